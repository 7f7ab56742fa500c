// store/store.h — the SQL database of one rqlited node: implements api::Database on SQLite.
//
// What: Execute/Query/Request/Load/Boot/Backup/Snapshot/Status of http-api.md §4.3, §5, §7, §8 and
// cluster-semantics.md §7, §15. Every write (and every strong read, every load) is encoded as an
// opaque command (command/), proposed to a replica::Replica (replica/), made durable in the log
// (one fdatasync shared by all writes that arrive while a sync is in progress), then applied to
// SQLite on the single apply executor, and only then acknowledged. Reads at none/weak/linearizable
// run on the read executor against read-only connections. Today the replica is a single-node
// driver (this node is always the leader); the Raft-driven replica implements the same interface,
// so nothing above the store changes when Raft arrives.
//
// Files under StoreConfig::dir:
//   db.sqlite (+ -wal, -shm)  the state machine database (WAL, synchronous=OFF)
//   db.applied                sidecar: the last log index whose effects are in db.sqlite after a
//                             checkpoint+fsync (docs: store/DESIGN.md)
//   log/                      the durable command log (replica/)
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
};

// Builds the replica the store proposes to (the seam where Raft slots in). It must deliver
// committed entries to `applier` on the store's apply executor, and call resolve_applied(first,
// last) once at start-up to learn the store's durable applied index (replica/replica.h).
using ReplicaFactory = std::function<base::Result<std::unique_ptr<replica::Replica>>(
    replica::Applier* applier, const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied)>;

// Everything the Store borrows. All pointers non-null and outliving the Store.
struct StoreDeps {
  base::Clock* clock = nullptr;
  fs::FileSystem* fs = nullptr;  // for the log; nullptr = POSIX file I/O inside replica/
  base::Executor* apply = nullptr;
  base::Executor* log = nullptr;
  base::Executor* read = nullptr;
  // Empty: a single-node replica::LocalReplica with its log in <dir>/log on `log`.
  ReplicaFactory replica_factory;
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
  // Stops accepting requests, finishes in-flight ones, checkpoints and truncates the log.
  // Idempotent; ~Store calls it.
  virtual void Close() = 0;
};

}  // namespace store
