// raft/node.h — the Raft consensus core as a pure, deterministic state machine (etcd RawNode
// style).
//
// What: one Raft peer. Inputs: Tick() (one logical clock tick), Step(message from a peer),
// Propose/ProposeConfChange/ReadIndex/TransferLeadership/Campaign (local requests). Outputs:
// a Ready batch (GetReady) describing what to persist, what to send and what to apply. No
// threads, clocks, files or sockets; the only randomness is the caller's base::Random.
//
// The Ready cycle (the caller's contract):
//   while (node.HasReady()) {
//     Ready rd = node.GetReady();
//     send(rd.pre_persist_messages);         // may go before persisting (empty normally)
//     if (rd.snapshot) { install snapshot data; storage.ApplySnapshot(*rd.snapshot); }
//     storage.Append(rd.entries);            // then
//     if (rd.hard_state) storage.SetHardState(*rd.hard_state);
//     sync;                                  // durable before any message below leaves
//     send(rd.messages);
//     apply(rd.committed_entries);           // in order; serve rd.read_states once applied
//     node.Advance(rd);
//   }
// GetReady must be followed by Advance before the next GetReady. Appends to followers are
// produced by GetReady: proposals made between two GetReady calls travel together, in one
// MsgApp per follower (up to max_size_per_msg), so batching proposals batches the network.
//
// Membership: single-server changes (ConfChange). The Node applies a committed ConfChange
// entry itself when its commit index passes it (Ready::conf_state reports the new membership);
// the application only observes it in committed_entries. A new change is refused while another
// is uncommitted or before the leader has committed an entry in its own term.
//
// Ownership: the Node borrows `storage` and `random` (both must outlive it).
// Thread-safety: NOT thread-safe; one owner calls everything (the replica's raft executor).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "raft/message.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace raft {

// Deliberate bugs, to prove the simulator's checkers bite (reliability plan, item 5).
// All false in production; the simulator switches one on per run. Each is read in exactly one
// place in the core (grep for the field name).
struct TestingKnobs {
  // Leader commits an entry of a previous term by counting replicas (Figure 8 violation).
  bool commit_prev_term = false;
  // Leader answers ReadIndex immediately, without the heartbeat round to a quorum.
  bool readindex_no_heartbeat = false;
  // A vote is granted without being put in Ready::hard_state (the vote is never persisted).
  bool vote_not_persisted = false;
  // A follower's MsgAppResp goes into Ready::pre_persist_messages (ack before fsync).
  bool ack_before_sync = false;
};

struct Config {
  NodeId id = kNoNode;
  // Initial voters. Used only when the storage is empty (first boot of a new cluster): the
  // node then writes one kConfChange entry per peer at indexes 1..n, term 1, already committed.
  // A node joining an existing cluster passes no peers and learns membership from the leader.
  std::vector<NodeId> peers;
  int election_ticks = 10;   // election timeout is random in [election, 2*election) ticks
  int heartbeat_ticks = 1;   // REQUIRES: < election_ticks
  bool pre_vote = true;
  bool check_quorum = true;
  // Entries up to this index were already applied by the application (e.g. from a snapshot
  // or a previous run); committed_entries start after it. It may exceed the stored hard
  // state's commit (commit-only changes are not synced): the commit index is raised to it.
  // REQUIRES: applied <= the storage's last index.
  uint64_t applied = 0;
  uint64_t max_size_per_msg = 1 << 20;       // bytes of entry data per MsgApp
  size_t max_inflight_msgs = 256;            // MsgApp in flight per follower (replicate state)
  uint64_t max_committed_size_per_ready = 64ull << 20;
  TestingKnobs knobs;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

struct SoftState {
  NodeId leader = kNoNode;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

struct Ready {
  std::optional<SoftState> soft_state;     // set when leader or role changed
  std::optional<HardState> hard_state;     // set when it changed: persist before sending
  std::optional<SnapshotMeta> snapshot;    // install before appending entries
  std::vector<Entry> entries;              // append to stable storage
  std::vector<Message> messages;           // send AFTER persisting the above
  std::vector<Message> pre_persist_messages;  // may be sent before persisting
  std::vector<Entry> committed_entries;    // apply in order
  std::vector<ReadState> read_states;      // serve once applied >= index
  std::optional<ConfState> conf_state;     // membership changed (applied ConfChange/snapshot)
  bool must_sync = false;                  // hard_state/entries/snapshot need an fsync
};

// Replication state of one follower, as the leader sees it.
struct ProgressStatus {
  uint64_t match = 0;
  uint64_t next = 0;
  std::string state;  // "probe", "replicate", "snapshot"
  bool learner = false;
  bool recent_active = false;
};

struct NodeStatus {
  NodeId id = kNoNode;
  HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  ConfState conf;
  NodeId lead_transferee = kNoNode;
  std::map<NodeId, ProgressStatus> progress;  // leader only
};

class Raft;  // the core (raft/raft.h), internal

class Node {
 public:
  // Restores from storage (hard state, snapshot metadata, log; membership = snapshot's conf +
  // committed ConfChange entries after it) or bootstraps from config.peers when storage is
  // empty. REQUIRES: config.id != kNoNode; storage and random outlive the Node.
  Node(const Config& config, Storage* storage, base::Random* random);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void Tick();
  // Feeds a message from a peer (or a local kUnreachable/kSnapStatus). Stale or unknown
  // messages are dropped with OK; returns an error only for malformed input (a local type, or
  // `to` naming another node) or, for a forwarded request, when it cannot be forwarded.
  base::Status Step(Message m);
  // Appends (leader) or forwards (follower with a known leader) a proposal. kNotLeader/kNoLeader
  // when it cannot; kAborted while a leadership transfer is in progress.
  base::Status Propose(std::string data);
  // kUnavailable when another change is pending or the leader has not committed in its term.
  base::Status ProposeConfChange(const ConfChange& cc);
  // Requests a read index; REQUIRES: context non-empty and unique among pending requests.
  // The answer is a ReadState with the same context in a later Ready
  // (possibly never, e.g. if leadership is lost: callers time out).
  void ReadIndex(std::string context);
  // Leader: transfer leadership to `to` (catches it up first, then sends MsgTimeoutNow; gives
  // up after an election timeout). Follower: forwards the request to the leader.
  base::Status TransferLeadership(NodeId to);
  // Starts an election now (pre-vote first when enabled).
  base::Status Campaign();
  void ReportUnreachable(NodeId id);
  void ReportSnapshot(NodeId id, bool ok);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& rd);

  NodeId id() const;
  uint64_t term() const;
  NodeId leader() const;
  Role role() const;
  uint64_t commit() const;
  uint64_t applied() const;
  // Index of the last entry in the log (stable or not). On a leader, right after a successful
  // Propose this is the index the proposal will have if it commits.
  uint64_t last_index() const;
  ConfState conf() const;
  NodeStatus Status() const;

 private:
  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_;
  HardState prev_hard_;
  uint64_t applying_ = 0;  // last committed index handed out in a Ready
};

}  // namespace raft
