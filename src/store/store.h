// store/store.h — the SQL database of one rqlited node: implements api::Database on SQLite.
//
// What: Execute/Query/Request/Load/Boot/Backup/Snapshot/Status of http-api.md §4.3, §5, §7, §8 and
// cluster-semantics.md §7, §15. Every write (and every strong read, every load) is encoded as an
// opaque command (command/), proposed to a replica::Replica (replica/), made durable in the log
// (one fdatasync shared by all writes that arrive while a sync is in progress), then applied to
// SQLite on the single apply executor, and only then acknowledged. Reads at none/weak/linearizable
// run on the read executor against read-only connections. The replica is always a
// replica::RaftReplica: a single node is a one-voter Raft cluster (as in rqlite); a cluster
// member exchanges Raft messages through StoreDeps::transport (cluster-semantics.md §1–§7).
//
// Files under StoreConfig::dir:
//   db.sqlite (+ -wal, -shm)  the state machine database (WAL, synchronous=OFF; the applied
//                             index lives in its header, docs: store/DESIGN.md)
//   raft/log/                 the durable Raft log (raftlog/)
//   raft/members              rqlite node id + Raft address per member (docs/formats/membership.md)
//   log/                      a pre-Raft single-node log: converted into raft/log at Open
//                             (one-voter configuration = this node), then gone
//
// Start-up (§2.1): existing Raft state → restart with it; a fresh directory → bootstrap a
// one-voter cluster of this node, unless `join` (wait to be added by the leader) or
// `bootstrap_expect` > 0 (wait for Notify()s); a fresh non-voter without `join` is refused with
// "cannot create a new non-voting node without joining it to an existing cluster".
//
// Ownership: the caller owns the executors, the clock and the file system, which must outlive the
// Store. The Store owns its SQLite connections and its replica.
// Threads: every api::Database method may be called from any thread (see api/database.h).
//   `apply`  — exactly ONE thread (e.g. base::SerialExecutor): owns the writer connection; write
//              completions (Done) run here.
//   `log`    — exactly ONE thread: appends + fsyncs the log (group commit).
//   `read`   — any number of threads (a pool executor, or a SerialExecutor in tests); each running
//              read checks out one read-only connection (at most max_ro_conns are opened). Read
//              completions run here.
// Shutdown: destroy the Store before the executors; ~Store waits for its in-flight tasks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/database.h"
#include "base/result.h"
#include "raft/message.h"
#include "replica/raft_replica.h"
#include "replica/replica.h"

namespace base {
class Clock;
class Executor;
}  // namespace base

namespace fs {
class FileSystem;
}  // namespace fs

namespace store {

struct StoreConfig {
  std::string dir;             // data directory (created if missing)
  bool fk = false;             // -fk: PRAGMA foreign_keys=ON on the writer
  int max_ro_conns = 256;      // -db-max-ro-conns
  std::string node_id;         // -node-id (defaults to raft_addr in server/)
  std::string raft_addr;       // advertised Raft address (-raft-adv-addr)
  std::string api_addr;        // advertised HTTP address, host:port (-http-adv-addr)
  std::string api_url;         // full URL of this node's API ("http://host:port"), for Leader()
  std::string version;         // build version, reported by Nodes()
  uint64_t snapshot_threshold = 8192;  // -raft-snap: applied entries between log truncations
  int64_t snapshot_interval_ns = 10'000'000'000;  // -raft-snap-int (checked by server via Tick())
  uint64_t snapshot_wal_bytes = 4ull << 20;       // -raft-snap-wal-size (0 disables)
  uint64_t trailing_logs = 10240;                 // entries kept after a snapshot (log mode only)
  uint64_t compress_min_bytes = 4096;  // commands larger than this are zstd-compressed
  uint64_t random_seed = 0;            // seed for RANDOM() rewriting (server passes entropy)

  // --- Cluster (issue 4) -------------------------------------------------------------------
  bool non_voter = false;     // -raft-non-voter (read replica)
  bool join = false;          // -join given: a fresh node waits to be added instead of bootstrapping
  int bootstrap_expect = 0;   // -bootstrap-expect: a fresh node bootstraps after N Notify()s
  // Raft timing. The server calls Store::RaftTick() every raft_tick_ns. Followers start an
  // election after [election_ticks, 2*election_ticks) ticks without a leader; the leader
  // heartbeats every heartbeat_ticks. SetRaftTimeouts() derives them from the flags.
  int64_t raft_tick_ns = 100'000'000;
  int raft_election_ticks = 10;
  int raft_heartbeat_ticks = 1;
  int64_t raft_heartbeat_timeout_ns = 1'000'000'000;  // -raft-heartbeat-timeout (reported)
  int64_t raft_election_timeout_ns = 1'000'000'000;   // -raft-election-timeout (reported)
  int64_t raft_apply_timeout_ns = 10'000'000'000;     // -raft-apply-timeout: join/remove waits
  uint64_t raft_seed = 0;     // election randomness (0: derived from random_seed and node id)
  // -raft-reap-node-timeout / -raft-reap-read-only-node-timeout (0 = off): the leader removes a
  // voter / non-voter it has not heard from for this long (timers restart on leader change).
  int64_t reap_timeout_ns = 0;
  int64_t reap_read_only_timeout_ns = 0;

  // Fills the raft_* fields from -raft-heartbeat-timeout / -raft-election-timeout (hashicorp
  // semantics): tick = heartbeat/10 (≥ 1 ms), heartbeat every tick, election after
  // max(heartbeat, election)/tick ticks (≥ 2).
  void SetRaftTimeouts(int64_t heartbeat_timeout_ns, int64_t election_timeout_ns);
};

// Everything the Store borrows. Pointers outlive the Store; clock/apply/log/read are required.
struct StoreDeps {
  base::Clock* clock = nullptr;
  fs::FileSystem* fs = nullptr;  // for the log; nullptr = POSIX file I/O inside replica/
  base::Executor* apply = nullptr;
  base::Executor* log = nullptr;   // the Raft executor: drives raft::Node, appends + fsyncs the log
  base::Executor* read = nullptr;
  // Where reads released by a linearizable ReadIndex run (they are released on the apply
  // thread and must not run there: docs/decisions/0002). Must be a real thread or pool, never
  // inline. nullptr = `read` (only correct when `read` is not an inline executor).
  base::Executor* released_reads = nullptr;
  // Outbound Raft messages (transport::TcpTransport). nullptr = none: only a one-voter cluster
  // works (messages to others are dropped).
  replica::Transport* transport = nullptr;
  // Called for every member whose Raft address becomes known, changes, or is removed (empty
  // address), so the server updates the transport's peer table: once per member at Open (from
  // the persisted membership) and on every committed membership change (apply executor, in log
  // order). Never called for this node itself. May be empty.
  std::function<void(raft::NodeId, const std::string& raft_addr)> on_peer;
  // Called (apply executor) when this node applies a membership change that removes it — for
  // -raft-remove-shutdown (cluster-semantics §4); also during a restart's replay. NOT
  // guaranteed: the leader stops replicating to a removed node once the removal commits, so the
  // node may never learn it committed (cluster/ may tell it). May be empty.
  std::function<void()> on_removed;
};

class Store : public api::Database {
 public:
  // Opens (or creates) the store in config.dir, replays log entries after the applied index, and
  // becomes ready (single node: leader at once). REQUIRES: deps pointers valid (fs may be null).
  static base::Result<std::unique_ptr<Store>> Open(const StoreConfig& config,
                                                   const StoreDeps& deps);
  ~Store() override = default;

  // Periodic housekeeping (the snapshot/truncation policy of -raft-snap/-raft-snap-int/-wal-size).
  // server/ calls it every few seconds from any thread; it posts work to the apply executor.
  virtual void Tick() = 0;
  // One Raft logical clock tick; server/ calls it every StoreConfig::raft_tick_ns from any
  // thread (it only queues). Also expires linearizable reads past their timeout.
  virtual void RaftTick() = 0;
  // The inbound side for the transport: Raft messages / unreachable reports from peers.
  // Valid until the Store is destroyed; the server detaches the transport before that.
  virtual replica::TransportHandler* transport_handler() = 0;
  // This node's numeric Raft id (NodeIdFor(config.node_id), store/membership.h).
  virtual raft::NodeId raft_id() const = 0;
  // Stops accepting requests, finishes in-flight ones, checkpoints and truncates the log.
  // Idempotent; ~Store calls it.
  virtual void Close() = 0;
};

}  // namespace store
