// raft/raft_leader.cc — the leader: proposals, replication with flow control, commit,
// read index, leadership transfer; and membership changes (all roles).
#include <algorithm>
#include <limits>

#include "base/check.h"
#include "raft/raft.h"

namespace raft {

base::Status Raft::StepLeader(Message m) {
  switch (m.type) {
    case MessageType::kBeat:
      BcastHeartbeat();
      return base::Status::Ok();
    case MessageType::kProp:
      return LeaderPropose(std::move(m));
    case MessageType::kReadIndex:
      LeaderReadIndex(m);
      return base::Status::Ok();
    case MessageType::kTransferLeader:
      LeaderTransfer(m);
      return base::Status::Ok();
    default:
      break;
  }
  Progress* pr = tracker_.Get(m.from);
  if (pr == nullptr) return base::Status::Ok();  // not (or no longer) a member
  switch (m.type) {
    case MessageType::kAppResp:
      LeaderAppResp(m, pr);
      break;
    case MessageType::kHeartbeatResp:
      LeaderHeartbeatResp(m, pr);
      break;
    case MessageType::kSnapStatus:
      if (pr->state != ProgressState::kSnapshot) break;
      if (m.reject) pr->pending_snapshot = 0;  // failed: probe from match again
      pr->BecomeProbe();
      pr->probe_sent = true;  // wait for a heartbeat response before probing
      break;
    case MessageType::kUnreachable:
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      break;
    default:
      break;
  }
  return base::Status::Ok();
}

base::Status Raft::LeaderPropose(Message m) {
  if (m.entries.empty()) return base::InvalidArgument("raft: empty proposal");
  if (tracker_.Get(id_) == nullptr) {
    return base::Status(base::Code::kNotLeader, "raft: leader was removed from the cluster");
  }
  if (lead_transferee_ != kNoNode) {
    return base::Status(base::Code::kAborted, "raft: leadership transfer in progress");
  }
  size_t conf_changes = 0;
  for (const Entry& e : m.entries) {
    if (e.type != EntryType::kConfChange) continue;
    if (++conf_changes > 1) return base::InvalidArgument("raft: one membership change at a time");
    RQ_RETURN_IF_ERROR(ValidateConfChange(e));
  }
  AppendEntries(std::move(m.entries));
  if (role_ == Role::kLeader) bcast_pending_ = true;
  return base::Status::Ok();
}

void Raft::AppendEntries(std::vector<Entry> entries) {
  uint64_t last = log_.LastIndex();
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].term = term_;
    entries[i].index = last + 1 + i;
  }
  NoteConfEntries(entries, last + 1);
  log_.Append(std::move(entries));
  // The leader counts itself as soon as the entry is in its log: the entry is persisted by the
  // same Ready cycle, before any message that could let it commit elsewhere is acted upon.
  tracker_.Get(id_)->MaybeUpdate(log_.LastIndex());
  MaybeCommit();
}

bool Raft::CommittedEntryInCurrentTerm() const {
  return log_.TermOrZero(log_.committed()) == term_;
}

bool Raft::MaybeCommit() {
  uint64_t mci = tracker_.Committed();
  if (mci <= log_.committed()) return false;
  // Figure 8: only entries of the current term are committed by counting replicas; earlier
  // entries commit indirectly with them.
  if (log_.TermOrZero(mci) != term_ && !config_.knobs.commit_prev_term) return false;
  bool had_commit_in_term = CommittedEntryInCurrentTerm();
  CommitTo(mci);
  if (role_ == Role::kLeader && !had_commit_in_term && CommittedEntryInCurrentTerm()) {
    ReleasePendingReads();
  }
  return true;
}

void Raft::LeaderAppResp(const Message& m, Progress* pr) {
  NodeId from = m.from;
  NodeId transferee = lead_transferee_;  // a transfer started below sends its own TimeoutNow
  pr->recent_active = true;
  if (m.reject) {
    // Likewise skip our own entries with a term above the follower's at the hint.
    uint64_t hint = m.reject_hint;
    if (m.log_term > 0) hint = log_.FindConflictByTerm(hint, m.log_term);
    if (pr->MaybeDecrTo(m.index, hint)) {
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      MaybeSendAppend(from, true);
    }
    return;
  }
  bool was_paused = pr->IsPaused();
  if (!pr->MaybeUpdate(m.index)) return;
  switch (pr->state) {
    case ProgressState::kProbe:
      pr->BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr->match + 1 >= log_.FirstIndex()) {
        pr->BecomeProbe();
        pr->BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr->inflights.FreeLE(m.index);
      break;
  }
  if (MaybeCommit()) {
    if (role_ != Role::kLeader) return;  // a committed membership change removed us
    bcast_pending_ = true;               // tell everyone the new commit index
  } else if (was_paused) {
    MaybeSendAppend(from, true);
  }
  while (MaybeSendAppend(from, false)) {
  }
  pr = tracker_.Get(from);
  if (pr != nullptr && from == transferee && from == lead_transferee_ &&
      pr->match == log_.LastIndex()) {
    SendTimeoutNow(from);
  }
}

void Raft::LeaderHeartbeatResp(const Message& m, Progress* pr) {
  pr->recent_active = true;
  pr->probe_sent = false;
  if (pr->state == ProgressState::kReplicate && pr->inflights.Full()) {
    pr->inflights.FreeFirst();  // let one MsgApp through: it recovers lost messages
  }
  if (pr->match < log_.LastIndex()) MaybeSendAppend(m.from, true);
  if (m.context.empty()) return;
  auto it = reads_.find(m.context);
  if (it == reads_.end()) return;
  it->second.acks.insert(m.from);
  if (!tracker_.IsQuorum(it->second.acks)) return;
  // A quorum confirmed our leadership after this request (and all before it) arrived.
  while (!read_queue_.empty()) {
    std::string ctx = read_queue_.front();
    read_queue_.pop_front();
    auto node = reads_.extract(ctx);
    RespondToRead(node.mapped().req, node.mapped().index);
    if (ctx == m.context) break;
  }
}

void Raft::RespondToRead(const Message& req, uint64_t index) {
  std::string ctx = req.entries.empty() ? std::string() : req.entries[0].data;
  if (req.from == id_ || req.from == kNoNode) {
    read_states_.push_back(ReadState{index, std::move(ctx)});
    return;
  }
  Message resp;
  resp.type = MessageType::kReadIndexResp;
  resp.to = req.from;
  resp.index = index;
  resp.entries = req.entries;
  Send(std::move(resp));
}

void Raft::LeaderReadIndex(const Message& m) {
  if (tracker_.conf().voters.size() == 1 && tracker_.IsVoter(id_)) {
    RespondToRead(m, log_.committed());
    return;
  }
  if (!CommittedEntryInCurrentTerm()) {
    // Our commit index may be stale until our own no-op commits (§8): wait for it.
    reads_before_commit_.push_back(m);
    return;
  }
  if (config_.knobs.readindex_no_heartbeat) {
    RespondToRead(m, log_.committed());  // DELIBERATE BUG (TestingKnobs)
    return;
  }
  std::string ctx = m.entries.empty() ? std::string() : m.entries[0].data;
  if (ctx.empty() || reads_.count(ctx) != 0) return;  // contexts must be unique and non-empty
  PendingRead pending{m, log_.committed(), {id_}};
  reads_.emplace(ctx, std::move(pending));
  read_queue_.push_back(ctx);
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

void Raft::ReleasePendingReads() {
  std::vector<Message> pending;
  pending.swap(reads_before_commit_);
  for (const Message& m : pending) LeaderReadIndex(m);
}

void Raft::LeaderTransfer(const Message& m) {
  NodeId target = m.from;
  if (!tracker_.IsVoter(target) || target == id_) return;
  if (lead_transferee_ != kNoNode) {
    if (lead_transferee_ == target) return;  // already in progress
    lead_transferee_ = kNoNode;              // abort the previous one
  }
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  lead_transferee_ = target;
  Progress* pr = tracker_.Get(target);
  if (pr->match == log_.LastIndex()) {
    SendTimeoutNow(target);
  } else {
    MaybeSendAppend(target, true);  // catch it up first
  }
}

void Raft::TransferToBestVoter() {
  NodeId best = kNoNode;
  uint64_t best_match = 0;
  for (NodeId id : tracker_.conf().voters) {
    const Progress* pr = tracker_.Get(id);
    if (id != id_ && pr != nullptr && (best == kNoNode || pr->match > best_match)) {
      best = id;
      best_match = pr->match;
    }
  }
  if (best == kNoNode) return;
  Message m;
  m.type = MessageType::kTransferLeader;
  m.from = best;
  LeaderTransfer(m);
}

void Raft::SendTimeoutNow(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

void Raft::FlushBroadcast() {
  if (bcast_pending_ && role_ == Role::kLeader) {
    for (const auto& [id, pr] : tracker_.progress()) {
      if (id == id_) continue;
      // New entries go to everyone; an empty MsgApp only to tell a new commit index. In
      // replicate state, keep sending (pipelining) until the inflight window is full.
      bool sent = MaybeSendAppend(id, pr.sent_commit < log_.committed());
      while (sent && pr.state == ProgressState::kReplicate && MaybeSendAppend(id, false)) {
      }
    }
  }
  bcast_pending_ = false;
}

void Raft::BcastAppend() {
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) MaybeSendAppend(id, true);
  }
}

void Raft::BcastHeartbeat() {
  std::string ctx = read_queue_.empty() ? std::string() : read_queue_.back();
  for (const auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

void Raft::SendHeartbeat(NodeId to, const std::string& ctx) {
  const Progress* pr = tracker_.Get(to);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  // Never tell a follower to commit beyond what it is known to hold.
  m.commit = std::min(pr->match, log_.committed());
  m.context = ctx;
  tracker_.Get(to)->sent_commit = std::max(pr->sent_commit, m.commit);
  Send(std::move(m));
}

bool Raft::MaybeSendAppend(NodeId to, bool send_if_empty) {
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr || pr->IsPaused()) return false;
  uint64_t prev = pr->next - 1;
  std::optional<uint64_t> prev_term = log_.Term(prev);
  std::optional<std::vector<Entry>> ents = log_.EntriesFrom(pr->next, config_.max_size_per_msg);
  if (!prev_term || !ents) return SendSnapshot(to, pr);  // the entries were compacted
  if (ents->empty() && !send_if_empty) return false;
  Message m;
  m.type = MessageType::kApp;
  m.to = to;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = log_.committed();
  pr->sent_commit = m.commit;
  m.entries = std::move(*ents);
  if (pr->state == ProgressState::kProbe) {
    pr->probe_sent = true;
  } else if (pr->state == ProgressState::kReplicate && !m.entries.empty()) {
    pr->SentEntries(m.entries.back().index);
  }
  Send(std::move(m));
  return true;
}

bool Raft::SendSnapshot(NodeId to, Progress* pr) {
  if (!pr->recent_active) return false;  // do not stream a snapshot to a node that is down
  SnapshotMeta snap = log_.Snapshot();
  CHECK_GT(snap.index, 0u) << "entries compacted but no snapshot";
  pr->BecomeSnapshot(snap.index);
  Message m;
  m.type = MessageType::kSnap;
  m.to = to;
  m.snapshot = snap;
  Send(std::move(m));
  return true;
}

// ---- membership ----

void Raft::CommitTo(uint64_t index) {
  if (index <= log_.committed()) return;
  log_.CommitTo(index);
  ApplyConfEntriesUpTo(index);
}

void Raft::NoteConfEntries(const std::vector<Entry>& entries, uint64_t from) {
  conf_entries_.erase(conf_entries_.lower_bound(from), conf_entries_.end());
  for (const Entry& e : entries) {
    if (e.index >= from && e.type == EntryType::kConfChange && e.index > log_.committed()) {
      conf_entries_.insert(e.index);
    }
  }
}

void Raft::ApplyConfEntriesUpTo(uint64_t index) {
  while (!conf_entries_.empty() && *conf_entries_.begin() <= index) {
    uint64_t at = *conf_entries_.begin();
    conf_entries_.erase(conf_entries_.begin());
    std::vector<Entry> e = log_.Slice(at, at + 1, std::numeric_limits<uint64_t>::max());
    CHECK_EQ(e.size(), 1u);
    CHECK(e[0].type == EntryType::kConfChange) << "conf entry index " << at << " is not one";
    auto cc = DecodeConfChange(e[0].data);
    CHECK(cc.ok()) << "committed conf change at " << at << " is malformed";
    ApplyConf(ApplyConfChangeTo(tracker_.conf(), *cc));
  }
}

void Raft::ApplyConf(const ConfState& conf) {
  tracker_.SetConf(conf, log_.LastIndex() + 1);
  conf_changed_ = true;
  if (role_ != Role::kLeader) return;
  if (!Promotable()) {
    // The leader was removed. Stepping down at once could leave the cluster without a leader:
    // a voter that has not yet learned that the removal committed still needs our vote, which
    // we refuse if our log is longer. So (like etcd) we keep leading, uncounted and refusing
    // proposals, and hand over to the most up-to-date voter with MsgTimeoutNow.
    bcast_pending_ = true;
    TransferToBestVoter();
    return;
  }
  if (lead_transferee_ != kNoNode && !tracker_.IsVoter(lead_transferee_)) {
    lead_transferee_ = kNoNode;
  }
  if (MaybeCommit() && role_ == Role::kLeader) bcast_pending_ = true;  // quorum may have shrunk
}

base::Status Raft::ValidateConfChange(const Entry& e) const {
  if (!conf_entries_.empty()) {
    return base::Unavailable("raft: another membership change is pending");
  }
  if (!CommittedEntryInCurrentTerm()) {
    return base::Unavailable("raft: leader has not yet committed an entry in its term");
  }
  auto cc = DecodeConfChange(e.data);
  if (!cc.ok()) return base::InvalidArgument("raft: malformed conf change");
  if (cc->node == kNoNode) return base::InvalidArgument("raft: conf change for node 0");
  switch (cc->type) {
    case ConfChangeType::kAddLearner:
      if (tracker_.IsVoter(cc->node)) {
        return base::InvalidArgument("raft: cannot turn a voter into a learner");
      }
      break;
    case ConfChangeType::kRemoveNode:
      if (!tracker_.IsMember(cc->node)) return base::NotFound("raft: node is not a member");
      if (tracker_.IsVoter(cc->node) && tracker_.conf().voters.size() == 1) {
        return base::InvalidArgument("raft: cannot remove the last voter");
      }
      break;
    case ConfChangeType::kAddVoter:
      break;
  }
  return base::Status::Ok();
}

}  // namespace raft
