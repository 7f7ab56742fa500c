// raft/raft.h — internal: the Raft protocol state machine behind raft::Node.
//
// raft.cc holds the role transitions, elections, Step dispatch and follower handlers;
// raft_leader.cc the leader: replication, commit, read index, transfer, membership; node.cc
// the Ready bookkeeping. Not thread-safe; owned by Node.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "raft/log.h"
#include "raft/message.h"
#include "raft/node.h"
#include "raft/progress.h"

namespace raft {

class Raft {
 public:
  Raft(const Config& config, Storage* storage, base::Random* random);

  void Tick();
  base::Status Step(Message m);

  // --- accessors used by Node ---
  NodeId id() const { return id_; }
  uint64_t term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return lead_; }
  Role role() const { return role_; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  NodeId lead_transferee() const { return lead_transferee_; }
  const Config& config() const { return config_; }
  // The hard state as it must be persisted (knobs may hide the vote).
  HardState hard_state() const;
  // Last index of the term-1 bootstrap prefix of the stored log (0 if none): committed by definition.
  uint64_t RecoveredBootstrapEnd() const;
  SoftState soft_state() const { return SoftState{lead_, role_}; }

  std::vector<Message>& msgs() { return msgs_; }
  std::vector<Message>& pre_persist_msgs() { return pre_persist_msgs_; }
  std::vector<ReadState>& read_states() { return read_states_; }
  bool conf_changed() const { return conf_changed_; }
  // Appends to followers are batched: proposals and commit advances only mark a broadcast,
  // which Node::GetReady flushes, so one MsgApp per follower carries a whole batch.
  bool bcast_pending() const { return bcast_pending_; }
  void FlushBroadcast();
  void clear_conf_changed() { conf_changed_ = false; }

 private:
  // roles (raft.cc)
  void Reset(uint64_t term);
  void BecomeFollower(uint64_t term, NodeId lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetRandomizedElectionTimeout();
  bool Promotable() const { return tracker_.IsVoter(id_); }
  void TickElection();
  void TickHeartbeat();
  void Hup(bool transfer);
  void StartCampaign(bool pre_vote, bool transfer);
  void Send(Message m);
  bool StepTermCheck(const Message& m, bool* drop);
  void StepVoteRequest(const Message& m);
  base::Status StepFollower(Message m);
  base::Status StepCandidate(Message& m);
  void HandleAppendEntries(Message& m);  // moves m.entries into the log
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  bool RestoreSnapshot(const SnapshotMeta& snap);

  // leader (raft_leader.cc)
  base::Status StepLeader(Message m);
  base::Status LeaderPropose(Message m);
  void LeaderAppResp(const Message& m, Progress* pr);
  void LeaderHeartbeatResp(const Message& m, Progress* pr);
  void LeaderReadIndex(const Message& m);
  void LeaderTransfer(const Message& m);
  void AppendEntries(std::vector<Entry> entries);
  bool MaybeSendAppend(NodeId to, bool send_if_empty);
  bool SendSnapshot(NodeId to, Progress* pr);
  void BcastAppend();
  void BcastHeartbeat();
  void SendHeartbeat(NodeId to, const std::string& ctx);
  void SendTimeoutNow(NodeId to);
  void TransferToBestVoter();  // a removed leader hands over
  bool MaybeCommit();
  bool CommittedEntryInCurrentTerm() const;
  void RespondToRead(const Message& req, uint64_t index);
  void ReleasePendingReads();

  // membership (raft_leader.cc)
  void CommitTo(uint64_t index);
  // Records the kConfChange entries among `entries`, which were written at >= from (earlier
  // records at >= from were truncated).
  void NoteConfEntries(const std::vector<Entry>& entries, uint64_t from);
  void ApplyConfEntriesUpTo(uint64_t index);
  void ApplyConf(const ConfState& conf);
  base::Status ValidateConfChange(const Entry& e) const;

  Config config_;
  base::Random* random_;
  NodeId id_;
  uint64_t term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId lead_ = kNoNode;
  Role role_ = Role::kFollower;
  RaftLog log_;
  ProgressTracker tracker_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  NodeId lead_transferee_ = kNoNode;
  // Indexes of kConfChange entries in the log above the commit index (uncommitted changes).
  std::set<uint64_t> conf_entries_;

  // Read-index requests waiting for a heartbeat quorum (leader).
  struct PendingRead {
    Message req;
    uint64_t index = 0;
    std::set<NodeId> acks;
  };
  std::map<std::string, PendingRead> reads_;
  std::deque<std::string> read_queue_;
  std::vector<Message> reads_before_commit_;  // leader has not committed in its term yet

  std::vector<Message> msgs_;
  std::vector<Message> pre_persist_msgs_;
  std::vector<ReadState> read_states_;
  bool conf_changed_ = false;
  bool bcast_pending_ = false;
};

}  // namespace raft
