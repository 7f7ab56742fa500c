// raft/raft.cc — roles, elections (with pre-vote and check-quorum leases), Step dispatch and
// the follower's handlers. The leader's side is in raft_leader.cc.
#include "raft/raft.h"

#include <algorithm>
#include <limits>

#include "base/check.h"

namespace raft {

namespace {
constexpr const char* kTransferContext = "transfer";
}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower: return "StateFollower";
    case Role::kPreCandidate: return "StatePreCandidate";
    case Role::kCandidate: return "StateCandidate";
    case Role::kLeader: return "StateLeader";
  }
  return "?";
}

Raft::Raft(const Config& config, Storage* storage, base::Random* random)
    : config_(config),
      random_(random),
      id_(config.id),
      log_(storage),
      tracker_(config.max_inflight_msgs) {
  CHECK_NE(id_, kNoNode);
  CHECK(random_ != nullptr);
  CHECK_GT(config_.heartbeat_ticks, 0);
  CHECK_LT(config_.heartbeat_ticks, config_.election_ticks);
  CHECK_GT(config_.max_inflight_msgs, 0u);
  HardState hs = storage->InitialHardState();
  SnapshotMeta snap = storage->Snapshot();
  tracker_.SetConf(snap.conf, log_.LastIndex() + 1);
  bool empty = storage->LastIndex() == 0 && snap.index == 0 && hs == HardState{};
  if (empty && !config_.peers.empty()) {
    // Bootstrap: every initial member writes the same committed entries 1..n at term 1.
    std::vector<NodeId> peers = config_.peers;
    std::sort(peers.begin(), peers.end());
    std::vector<Entry> ents;
    for (NodeId p : peers) {
      ConfChange cc{ConfChangeType::kAddVoter, p, ""};
      ents.push_back(Entry{1, ents.size() + 1, EntryType::kConfChange, EncodeConfChange(cc)});
    }
    log_.Append(ents);
    term_ = 1;
    NoteConfEntries(ents, 1);
    CommitTo(ents.size());
  } else {
    term_ = hs.term;
    vote_ = hs.vote;
    // Membership = snapshot's + every ConfChange entry after it.
    uint64_t lo = log_.FirstIndex();
    while (lo <= log_.LastIndex()) {
      std::vector<Entry> chunk = log_.Slice(lo, log_.LastIndex() + 1, 16u << 20);
      NoteConfEntries(chunk, lo);
      lo = chunk.back().index + 1;
    }
    CHECK_LE(hs.commit, log_.LastIndex()) << "hard state commit beyond the stored log";
    CommitTo(std::max(hs.commit, RecoveredBootstrapEnd()));
    if (log_.LastTerm() > term_) {
      // A torn write kept entries but not the hard state that went with them: the term is at
      // least the last entry's (the vote, if any, was for an older term).
      term_ = log_.LastTerm();
      vote_ = kNoNode;
    }
  }
  if (config_.applied > log_.applied()) {
    // Applied entries were committed: the commit index in the hard state may lag (it is not
    // synced on its own), so never re-apply what the application already has.
    CHECK_LE(config_.applied, log_.LastIndex()) << "applied index beyond the stored log";
    CommitTo(config_.applied);
    log_.AppliedTo(config_.applied);
  }
  conf_changed_ = false;
  BecomeFollower(term_, kNoNode);
}

uint64_t Raft::RecoveredBootstrapEnd() const {
  // Term-1 entries are the bootstrap entries every initial member writes itself, committed by
  // definition; no leader ever exists in term 1 (the first election is term 2). A crash during
  // the first boot can keep them without the hard state that records their commit (sim seed
  // 4762): restore it, or a single-node cluster would restart with no voters and never campaign.
  uint64_t end = 0;
  for (uint64_t i = log_.FirstIndex(); i <= log_.LastIndex() && log_.TermOrZero(i) == 1; ++i) {
    end = i;
  }
  return end;
}

HardState Raft::hard_state() const {
  HardState hs{term_, vote_, log_.committed()};
  if (config_.knobs.vote_not_persisted) hs.vote = kNoNode;  // DELIBERATE BUG (TestingKnobs)
  return hs;
}

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      config_.election_ticks + static_cast<int>(random_->Uniform(config_.election_ticks));
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  lead_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  lead_transferee_ = kNoNode;
  bcast_pending_ = false;
  tracker_.ResetVotes();
  tracker_.ResetAll(log_.LastIndex() + 1);
  if (Progress* self = tracker_.Get(id_)) self->match = log_.LastIndex();
  reads_.clear();
  read_queue_.clear();
  reads_before_commit_.clear();
}

void Raft::BecomeFollower(uint64_t term, NodeId lead) {
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void Raft::BecomePreCandidate() {
  CHECK(role_ != Role::kLeader) << "leader cannot become pre-candidate";
  tracker_.ResetVotes();
  role_ = Role::kPreCandidate;
  lead_ = kNoNode;
}

void Raft::BecomeCandidate() {
  CHECK(role_ != Role::kLeader) << "leader cannot become candidate";
  Reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::BecomeLeader() {
  CHECK(role_ != Role::kFollower) << "follower cannot become leader without an election";
  Reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  Progress* self = tracker_.Get(id_);
  CHECK(self != nullptr);
  self->BecomeReplicate();
  self->recent_active = true;
  // The no-op entry: once it commits, every earlier entry is committed too (§5.4.2), and the
  // leader knows its commit index is current (needed for read index and membership changes).
  AppendEntries({Entry{0, 0, EntryType::kNoop, ""}});
}

void Raft::Tick() {
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    Hup(false);
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!tracker_.QuorumActive(id_)) {
        BecomeFollower(term_, kNoNode);  // lost contact with a quorum: step down
        return;
      }
      for (auto& [id, pr] : tracker_.progress()) {
        if (id != id_) pr.recent_active = false;
      }
    }
    lead_transferee_ = kNoNode;  // a transfer that did not finish in a timeout is abandoned
    if (!Promotable()) TransferToBestVoter();  // a removed leader tries again
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BcastHeartbeat();
  }
}

void Raft::Hup(bool transfer) {
  if (role_ == Role::kLeader || !Promotable()) return;
  StartCampaign(config_.pre_vote && !transfer, transfer);
}

void Raft::StartCampaign(bool pre_vote, bool transfer) {
  MessageType type;
  uint64_t term;
  if (pre_vote) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_ + 1;  // the term we would use; not adopted until a quorum agrees
  } else {
    BecomeCandidate();
    type = MessageType::kVote;
    term = term_;
  }
  tracker_.RecordVote(id_, true);
  if (tracker_.TallyVotes() == ProgressTracker::VoteResult::kWon) {
    if (pre_vote) {
      StartCampaign(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId voter : tracker_.conf().voters) {
    if (voter == id_) continue;
    Message m;
    m.type = type;
    m.to = voter;
    m.term = term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    if (transfer) m.context = kTransferContext;
    Send(std::move(m));
  }
}

void Raft::Send(Message m) {
  if (m.type != MessageType::kTransferLeader) m.from = id_;
  bool forwarded = m.type == MessageType::kProp || m.type == MessageType::kReadIndex ||
                   m.type == MessageType::kTransferLeader;
  if (forwarded) {
    m.term = 0;  // forwarded requests carry no term: the leader may be in a later one
  } else if (m.term == 0) {
    m.term = term_;
  }
  if (config_.knobs.ack_before_sync && m.type == MessageType::kAppResp && !m.reject) {
    pre_persist_msgs_.push_back(std::move(m));  // DELIBERATE BUG (TestingKnobs)
    return;
  }
  msgs_.push_back(std::move(m));
}

// Returns false when the message must be dropped because of its term.
bool Raft::StepTermCheck(const Message& m, bool* drop) {
  *drop = false;
  if (m.term == 0) return true;  // local message or forwarded request
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == kTransferContext;
      bool in_lease = config_.check_quorum && lead_ != kNoNode &&
                      election_elapsed_ < config_.election_ticks;
      if (!force && in_lease) {
        *drop = true;  // we heard from a leader recently: ignore the disruptive candidate
        return false;
      }
    }
    if (m.type == MessageType::kPreVote) {
      // A pre-vote never changes our term.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // The term is bumped when the pre-candidate wins the pre-vote.
    } else if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnap) {
      BecomeFollower(m.term, m.from);
    } else {
      BecomeFollower(m.term, kNoNode);
    }
    return true;
  }
  if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kApp)) {
      // A stale leader (e.g. after a partition) learns our term and steps down.
      Message resp;
      resp.type = MessageType::kAppResp;
      resp.to = m.from;
      Send(std::move(resp));
    } else if (m.type == MessageType::kPreVote) {
      Message resp;
      resp.type = MessageType::kPreVoteResp;
      resp.to = m.from;
      resp.reject = true;
      Send(std::move(resp));
    }
    *drop = true;
    return false;
  }
  return true;
}

base::Status Raft::Step(Message m) {
  bool drop = false;
  if (!StepTermCheck(m, &drop)) return base::Status::Ok();
  switch (m.type) {
    case MessageType::kHup:
      Hup(false);
      return base::Status::Ok();
    case MessageType::kVote:
    case MessageType::kPreVote:
      StepVoteRequest(m);
      return base::Status::Ok();
    default:
      break;
  }
  switch (role_) {
    case Role::kLeader: return StepLeader(std::move(m));
    case Role::kCandidate:
    case Role::kPreCandidate: return StepCandidate(m);
    case Role::kFollower: return StepFollower(std::move(m));
  }
  return base::Status::Ok();
}

void Raft::StepVoteRequest(const Message& m) {
  bool can_vote = vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) ||
                  (m.type == MessageType::kPreVote && m.term > term_);
  Message resp;
  resp.type = m.type == MessageType::kVote ? MessageType::kVoteResp : MessageType::kPreVoteResp;
  resp.to = m.from;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    resp.term = m.term;
    Send(std::move(resp));
    if (m.type == MessageType::kVote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    resp.term = term_;
    resp.reject = true;
    // Commit hint: a candidate may be stuck behind a membership change that committed without
    // it learning so (a removed leader left before telling it). Commitment is a fact about the
    // log, safe to learn from anyone: the candidate adopts it only where its log matches.
    resp.commit = log_.committed();
    resp.log_term = log_.Term(resp.commit).value_or(0);
    Send(std::move(resp));
  }
}

base::Status Raft::StepCandidate(Message& m) {
  MessageType resp_type =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kProp:
      return base::Status(base::Code::kNoLeader, "raft: no leader (election in progress)");
    case MessageType::kApp:
      BecomeFollower(m.term, m.from);
      HandleAppendEntries(m);
      return base::Status::Ok();
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      return base::Status::Ok();
    case MessageType::kSnap:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      return base::Status::Ok();
    default:
      break;
  }
  if (m.type != resp_type) return base::Status::Ok();
  if (m.reject && m.commit > log_.committed() && log_.MatchTerm(m.commit, m.log_term)) {
    CommitTo(m.commit);  // the voter's commit hint (see StepVoteRequest)
    if (!Promotable()) {
      BecomeFollower(term_, kNoNode);  // the learned membership no longer lets us campaign
      return base::Status::Ok();
    }
  }
  tracker_.RecordVote(m.from, !m.reject);
  switch (tracker_.TallyVotes()) {
    case ProgressTracker::VoteResult::kWon:
      if (role_ == Role::kPreCandidate) {
        StartCampaign(false, false);
      } else {
        BecomeLeader();
        BcastAppend();
      }
      break;
    case ProgressTracker::VoteResult::kLost:
      BecomeFollower(term_, kNoNode);
      break;
    case ProgressTracker::VoteResult::kPending:
      break;
  }
  return base::Status::Ok();
}

base::Status Raft::StepFollower(Message m) {
  switch (m.type) {
    case MessageType::kProp:
    case MessageType::kReadIndex:
    case MessageType::kTransferLeader:
      if (lead_ == kNoNode) return base::Status(base::Code::kNoLeader, "raft: no leader");
      m.to = lead_;
      Send(std::move(m));
      return base::Status::Ok();
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppendEntries(m);
      return base::Status::Ok();
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      return base::Status::Ok();
    case MessageType::kSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      return base::Status::Ok();
    case MessageType::kTimeoutNow:
      Hup(true);  // leadership transfer: skip pre-vote and the leases of the other voters
      return base::Status::Ok();
    case MessageType::kReadIndexResp:
      read_states_.push_back(
          ReadState{m.index, m.entries.empty() ? std::string() : m.entries[0].data});
      return base::Status::Ok();
    default:
      return base::Status::Ok();
  }
}

void Raft::HandleAppendEntries(Message& m) {
  Message resp;
  resp.type = MessageType::kAppResp;
  resp.to = m.from;
  if (m.index < log_.committed()) {
    resp.index = log_.committed();
    Send(std::move(resp));
    return;
  }
  uint64_t conflict = log_.MatchTerm(m.index, m.log_term) ? log_.FindConflict(m.entries) : 0;
  if (conflict != 0) NoteConfEntries(m.entries, conflict);  // before the entries move
  std::optional<uint64_t> last = log_.MaybeAppend(m.index, m.log_term, m.entries);
  if (last) {
    CommitTo(std::min(m.commit, *last));
    resp.index = *last;
  } else {
    resp.index = m.index;
    resp.reject = true;
    // Point the leader at the last entry that can possibly match: skip our entries whose term
    // is above the leader's term at m.index (they are all divergent).
    resp.reject_hint = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
    resp.log_term = log_.TermOrZero(resp.reject_hint);
  }
  Send(std::move(resp));
}

void Raft::HandleHeartbeat(const Message& m) {
  CommitTo(m.commit);
  Message resp;
  resp.type = MessageType::kHeartbeatResp;
  resp.to = m.from;
  resp.context = m.context;
  Send(std::move(resp));
}

void Raft::HandleSnapshot(const Message& m) {
  Message resp;
  resp.type = MessageType::kAppResp;
  resp.to = m.from;
  resp.index = RestoreSnapshot(m.snapshot) ? log_.LastIndex() : log_.committed();
  Send(std::move(resp));
}

bool Raft::RestoreSnapshot(const SnapshotMeta& snap) {
  if (snap.index <= log_.committed()) return false;
  if (log_.MatchTerm(snap.index, snap.term)) {
    CommitTo(snap.index);  // we already have the entries: fast-forward the commit
    return false;
  }
  log_.Restore(snap);
  conf_entries_.clear();
  ApplyConf(snap.conf);
  return true;
}

}  // namespace raft
