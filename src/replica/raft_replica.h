// replica/raft_replica.h — the Raft-driven replica: implements replica::Replica by driving a
// raft::Node whose storage is the durable raftlog::Log, and exchanging messages with the other
// replicas through a consumer-owned replica::Transport (implemented by transport/).
//
// Loop (everything on ONE raft executor): inputs (Tick, inbound messages, unreachable reports,
// proposals, read-index requests) are queued under a mutex and drained by a single task, which
// feeds them all to the Node, then repeats GetReady → persist (snapshot meta, entries, hard
// state: buffered) → Advance until the Node has nothing more, then issues ONE Sync for every
// Ready gathered (group commit), then sends the gathered messages, then posts the committed
// entries to the apply executor. Nothing leaves the node (message or apply) before the Sync
// that covers it.
//
// Tokens: a proposal accepted by this node while it leads is remembered by (index, term). When
// that index commits with the same term, the Committed entry carries the token; if a different
// entry commits there, or this node stops leading first, the token is Dropped with kAborted
// "leadership lost while committing log". A proposal on a non-leader is Dropped with
// kNotLeader (no forwarding: the store forwards at the HTTP/cluster level, as rqlite does).
//
// ReadIndex(cb): linearizable-read barrier. cb(index) runs on the apply executor once the
// leader confirmed its leadership with a quorum and the applier has applied `index`. cb gets
// kNotLeader when this node does not lead, kAborted when it loses leadership first, and
// kUnavailable when the replica closes. (A node that keeps leading but loses its quorum never
// answers: callers time out, as with raft::Node::ReadIndex.)
//
// Start-up: Open() recovers the log; if it is empty and options.peers is non-empty this node
// bootstraps a new cluster with those voters (every initial member must use the same list).
// Bootstrap(peers, done) does the same after Open, with a ConfChange context per voter (the
// store's {node id, address}); refused with kAlreadyExists when the log is not empty. The
// entries are those of raft::Config::peers (term 1, indexes 1..n, committed), so every initial
// member writes the same prefix.
// A node joining an existing cluster passes no peers. The sole voter of a one-node cluster
// campaigns immediately (leader within one drain, not an election timeout). resolve_applied(first, last) returns the
// applier's durable applied index; committed entries after it are replayed (token 0) through the
// normal apply path.
//
// Snapshots (when the Applier implements the snapshot hooks of replica.h): a MsgSnap the Node
// wants to send is rewritten to describe the applier's newest image (index, its term from the
// log, the current membership) and handed to Transport::SendSnapshot with the image file; the
// stream's outcome is reported to the Node (ReportSnapshot). On the receiving side the transport
// delivers the MsgSnap with the complete, CRC-checked file (OnSnapshot); when the Node accepts it
// the image is adopted (Applier::AdoptImage), the log records the snapshot (discarding older
// entries), and Applier::RestoreImage runs on the apply executor before any later entry.
// Without the hooks, the leader reports every snapshot as failed and an inbound one is dropped.
// Compact(i) keeps `trailing_logs` entries below i (i = the index of a snapshot image).
//
// Ownership: borrows fs, executors, applier and transport (all outlive the replica; Close() it
// before destroying them). Thread-safety: every public method is thread-safe. Applier and
// ReadIndex callbacks run on the apply executor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/executor.h"
#include "base/random.h"
#include "base/result.h"
#include "fs/file_system.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raftlog/log.h"
#include "replica/replica.h"

namespace replica {

// What a replica calls on the network. Implemented by transport/ (TCP) and by tests.
class Transport {
 public:
  virtual ~Transport() = default;
  // Queues `m` for m.to. Never blocks (the raft executor calls it); best effort. When the
  // message cannot be queued the transport reports the peer unreachable via the inbound side.
  virtual void Send(raft::Message m) = 0;
  // Streams the image file at `image_path` to m.to and delivers `m` (a MsgSnap describing the
  // image) with it. Never blocks. done(ok) runs once, on any thread: true when the receiver has
  // the whole checked image, false on any failure. Default: unsupported (done(false) at once).
  virtual void SendSnapshot(raft::Message m, std::string image_path,
                            std::function<void(bool)> done) {
    (void)m;
    (void)image_path;
    done(false);
  }
};

// What a transport calls on the replica. Thread-safe; implementations must not block.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  virtual void OnMessage(raft::Message m) = 0;
  virtual void OnUnreachable(raft::NodeId peer) = 0;
  // A MsgSnap whose image arrived complete at `image_path` (`size` bytes, CRC-32C `crc`, checked
  // by the transport). The handler owns the file from now on. Default: ignore it.
  virtual void OnSnapshot(raft::Message m, std::string image_path, uint64_t size, uint32_t crc) {
    (void)m;
    (void)image_path;
    (void)size;
    (void)crc;
  }
};

struct RaftReplicaOptions {
  raft::NodeId node_id = 1;
  std::string dir;                    // raftlog directory
  std::vector<raft::NodeId> peers;    // bootstrap voters (empty: join / restart)
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  uint64_t seed = 1;                  // raft::Node randomness (election timeouts)
  uint64_t trailing_logs = 10240;     // entries kept below a Compact() index
  raftlog::Options log_options;
  // Called on the apply executor for every committed membership change, in log order with the
  // applied entries (bootstrap entries and replays included): the owner updates the transport's
  // peer addresses (ConfChange::context carries the node's Raft address). May be empty.
  std::function<void(const raft::ConfChange&)> on_membership;
  // Optional: time source for RaftStatus::last_contact_mono_ns (nullptr = never recorded).
  const base::Clock* clock = nullptr;
};

// One initial voter for RaftReplica::Bootstrap.
struct BootstrapPeer {
  raft::NodeId id = raft::kNoNode;
  std::string context;  // ConfChange::context of its kAddVoter entry
};

// Read-only view for status pages and tests.
struct RaftStatus {
  raft::NodeId id = 0;
  raft::NodeId leader = 0;
  Role role = Role::kFollower;
  uint64_t term = 0;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;  // last index handed to and applied by the applier
  raft::ConfState conf;
  // Follower: clock->MonotonicNanos() when a message from the current leader was last stepped
  // (0 = never). Leader: 0 (it is its own contact).
  int64_t last_contact_mono_ns = 0;
  // Leader only: per other member, when a message from it was last stepped, but never earlier
  // than when this node became leader (rqlite's reap timers are per leader). Empty otherwise.
  std::map<raft::NodeId, int64_t> peer_contact_mono_ns;
  uint64_t last_log_index = 0;
  uint64_t snapshot_index = 0;
};

class RaftReplica final : public Replica, public TransportHandler {
 public:
  using ReadIndexCallback = std::function<void(base::Result<uint64_t>)>;

  static base::Result<std::unique_ptr<RaftReplica>> Open(
      const RaftReplicaOptions& options, fs::FileSystem* fs, base::Executor* raft_exec,
      base::Executor* apply_exec, Applier* applier, Transport* transport,
      const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied);
  ~RaftReplica() override;

  // replica::Replica.
  void Propose(std::string data, uint64_t token) override;
  bool IsLeader() const override { return is_leader_.load(); }
  Stats GetStats() const override;
  void Compact(uint64_t index) override;
  void Close() override;

  // replica::TransportHandler (called by the transport, any thread).
  void OnMessage(raft::Message m) override;
  void OnUnreachable(raft::NodeId peer) override;
  void OnSnapshot(raft::Message m, std::string image_path, uint64_t size, uint32_t crc) override;

  // One logical clock tick; the owner calls it every heartbeat interval.
  void Tick();
  void ReadIndex(ReadIndexCallback cb);
  // Starts an election now (tests, bootstrap of a one-node cluster).
  void Campaign();
  void TransferLeadership(raft::NodeId to);
  // Proposes a single-server membership change (leader only). done(status) runs on the apply
  // executor: OK once the change committed (it is then in effect), kNotLeader, kUnavailable
  // (another change pending / leader not ready; retry), kAborted (leadership lost).
  void ChangeMembership(raft::ConfChange cc, std::function<void(base::Status)> done);
  RaftStatus GetRaftStatus() const;
  // Writes the bootstrap entries for `peers` if the log is empty, then restarts the Node on them
  // (the sole voter campaigns at once). done(status) runs on the apply executor: OK,
  // kAlreadyExists (log not empty), kUnavailable (closed).
  void Bootstrap(std::vector<BootstrapPeer> peers, std::function<void(base::Status)> done);

 private:
  struct Pending {
    uint64_t term;
    uint64_t token;
  };
  struct Proposal {
    std::string data;
    uint64_t token;
  };
  struct ConfProposal {
    raft::ConfChange cc;
    std::function<void(base::Status)> done;
  };
  struct PendingConf {
    uint64_t term;
    std::function<void(base::Status)> done;
  };
  struct IncomingSnapshot {  // a received MsgSnap and its image file
    raft::Message m;
    std::string path;
    uint64_t size = 0;
    uint32_t crc = 0;
  };
  struct Inbox {  // guarded by mu_
    int ticks = 0;
    bool campaign = false;
    raft::NodeId transfer_to = 0;
    std::vector<raft::Message> messages;
    std::vector<raft::NodeId> unreachable;
    std::vector<Proposal> proposals;
    std::vector<ReadIndexCallback> reads;
    std::vector<ConfProposal> conf_changes;
    std::vector<IncomingSnapshot> snapshots;
    std::vector<std::pair<raft::NodeId, bool>> snapshot_reports;  // (follower, streamed ok)
    bool has_compact = false;
    uint64_t compact_index = 0;
    std::vector<BootstrapPeer> bootstrap;
    std::function<void(base::Status)> bootstrap_done;  // set: a Bootstrap() request
  };
  struct Batch;  // the output of one drain (raft_replica.cc)

  RaftReplica(const RaftReplicaOptions& o, base::Executor* raft_exec, base::Executor* apply_exec,
              Applier* applier, Transport* transport);
  // Queues work and schedules a drain. Returns false when closed.
  bool Enqueue(const std::function<void(Inbox&)>& add);
  void Drain();  // raft executor
  void FeedInputs(Inbox& in, Batch& out);
  void FeedProposals(std::vector<Proposal>& props, Batch& out);
  void FeedReads(std::vector<ReadIndexCallback>& reads, Batch& out);
  void FeedConfChanges(std::vector<ConfProposal>& ccs, Batch& out);
  void DoBootstrap(std::vector<BootstrapPeer>& peers, std::function<void(base::Status)> done,
                   Batch& out);
  void RunReadyLoop(Batch& out);
  void FeedSnapshots(Inbox& in);
  bool PrepareSnapshot(raft::Message& m, std::string* path);
  void InstallSnapshot(const raft::SnapshotMeta& meta, Batch& out);
  void PostApply(Batch& out);
  void HandleCommitted(std::vector<raft::Entry>& entries, Batch& out);
  void HandleCommittedConf(const raft::Entry& e, Batch& out);
  void OnLeadershipLost(Batch& out);
  void Publish(Batch& out);  // send + post to the apply executor
  void DoCompact(uint64_t index);
  void ApplyOnApplyExec(Batch& b);  // apply executor
  void ReleaseReads();             // apply executor
  void TaskDone();
  void UpdateStatus();

  const RaftReplicaOptions options_;
  base::Executor* raft_exec_;
  base::Executor* apply_exec_;
  Applier* applier_;
  Transport* transport_;

  // raft executor only (after Open).
  std::unique_ptr<raftlog::Log> log_;
  std::unique_ptr<base::Random> random_;
  std::unique_ptr<raft::Node> node_;
  raft::Config raft_config_;                             // as built by Open
  int64_t last_contact_ns_ = 0;                          // see RaftStatus::last_contact_mono_ns
  std::map<raft::NodeId, int64_t> peer_contact_ns_;      // last message stepped from each node
  int64_t leader_since_ns_ = 0;                          // when this node last became leader
  std::map<uint64_t, Pending> pending_;                  // index → proposal
  std::map<uint64_t, PendingConf> pending_conf_;         // index → membership change
  std::map<std::string, ReadIndexCallback> reads_;       // context → callback
  std::map<uint64_t, IncomingSnapshot> incoming_;        // snapshot index → received image
  // Snapshot-stream outcomes arrive from transport threads, possibly after the replica is gone:
  // they go through this gate, which Close() shuts.
  struct ReportGate {
    std::mutex mu;
    RaftReplica* replica = nullptr;  // guarded by mu; nullptr once closed
  };
  std::shared_ptr<ReportGate> report_gate_ = std::make_shared<ReportGate>();
  uint64_t next_read_ctx_ = 1;
  bool leading_ = false;
  uint64_t syncs_ = 0;

  // apply executor only.
  uint64_t applied_ = 0;
  std::multimap<uint64_t, ReadIndexCallback> read_waiters_;  // read index → callback

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Inbox inbox_;                 // guarded by mu_
  bool drain_scheduled_ = false;  // guarded by mu_
  int tasks_in_flight_ = 0;     // guarded by mu_
  bool closed_ = false;         // guarded by mu_
  RaftStatus status_;           // guarded by mu_
  Stats stats_;                 // guarded by mu_
  std::atomic<bool> is_leader_{false};
};

}  // namespace replica
