// raft/progress.h — internal: the leader's view of each peer's replication (Progress with
// probe/replicate/snapshot states and an inflight window) and quorum arithmetic over the
// current membership. Not thread-safe; owned by Raft.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "raft/types.h"

namespace raft {

enum class ProgressState : uint8_t { kProbe, kReplicate, kSnapshot };
const char* ProgressStateName(ProgressState s);

// Sliding window of the last index of each MsgApp in flight (replicate state).
class Inflights {
 public:
  explicit Inflights(size_t capacity) : capacity_(capacity) {}
  void Add(uint64_t last_index) { window_.push_back(last_index); }
  void FreeLE(uint64_t index) {
    while (!window_.empty() && window_.front() <= index) window_.pop_front();
  }
  void FreeFirst() {
    if (!window_.empty()) window_.pop_front();
  }
  bool Full() const { return window_.size() >= capacity_; }
  size_t Count() const { return window_.size(); }
  void Reset() { window_.clear(); }

 private:
  size_t capacity_;
  std::deque<uint64_t> window_;
};

struct Progress {
  explicit Progress(size_t max_inflight) : inflights(max_inflight) {}

  uint64_t match = 0;
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  // Probe: one MsgApp outstanding; cleared by a response or a heartbeat response.
  bool probe_sent = false;
  uint64_t pending_snapshot = 0;  // snapshot state: index of the snapshot being sent
  bool recent_active = false;     // heard from within the last election timeout
  uint64_t sent_commit = 0;       // highest commit index sent to it (MsgApp or heartbeat)
  bool learner = false;
  Inflights inflights;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // An ack for index n. Returns true if match advanced.
  bool MaybeUpdate(uint64_t n);
  // A rejection of the MsgApp whose previous index was `rejected`; follower's last index is
  // `hint`. Returns false when the rejection is stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t hint);
  // Record that a MsgApp carrying entries up to `last` was sent.
  void SentEntries(uint64_t last);
  bool IsPaused() const;
};

class ProgressTracker {
 public:
  explicit ProgressTracker(size_t max_inflight) : max_inflight_(max_inflight) {}

  const ConfState& conf() const { return conf_; }
  // Installs a membership; keeps progress of surviving peers, adds new ones with next =
  // next_index, drops removed ones.
  void SetConf(const ConfState& conf, uint64_t next_index);
  bool IsVoter(NodeId id) const;
  bool IsMember(NodeId id) const;
  size_t Quorum() const { return conf_.voters.size() / 2 + 1; }

  Progress* Get(NodeId id);
  std::map<NodeId, Progress>& progress() { return progress_; }
  const std::map<NodeId, Progress>& progress() const { return progress_; }
  void ResetAll(uint64_t next_index);

  // Largest index replicated on a quorum of voters.
  uint64_t Committed() const;
  // Whether a quorum of voters has recent_active set (self counts as active).
  bool QuorumActive(NodeId self) const;

  enum class VoteResult { kPending, kWon, kLost };
  void ResetVotes() { votes_.clear(); }
  void RecordVote(NodeId id, bool granted);
  VoteResult TallyVotes() const;
  // True when the voters in `acks` form a quorum.
  bool IsQuorum(const std::set<NodeId>& acks) const;

 private:
  size_t max_inflight_;
  ConfState conf_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
};

}  // namespace raft
