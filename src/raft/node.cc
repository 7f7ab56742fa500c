// raft/node.cc — Node: the public face of Raft; local requests and Ready bookkeeping.
#include "raft/node.h"

#include "base/check.h"
#include "raft/raft.h"

namespace raft {

Node::Node(const Config& config, Storage* storage, base::Random* random)
    : raft_(std::make_unique<Raft>(config, storage, random)) {
  prev_soft_ = raft_->soft_state();
  prev_hard_ = storage->InitialHardState();
  if (config.knobs.vote_not_persisted) prev_hard_.vote = kNoNode;
  applying_ = raft_->log().applied();
}

Node::~Node() = default;

void Node::Tick() { raft_->Tick(); }

base::Status Node::Step(Message m) {
  if (m.type == MessageType::kHup || m.type == MessageType::kBeat) {
    return base::InvalidArgument("raft: local message received from the network");
  }
  if (m.to != kNoNode && m.to != raft_->id()) {
    return base::InvalidArgument("raft: message for node " + std::to_string(m.to) +
                                 " delivered to node " + std::to_string(raft_->id()));
  }
  return raft_->Step(std::move(m));
}

base::Status Node::Propose(std::string data) {
  Message m;
  m.type = MessageType::kProp;
  m.from = raft_->id();
  m.entries.push_back(Entry{0, 0, EntryType::kNormal, std::move(data)});
  return raft_->Step(std::move(m));
}

base::Status Node::ProposeConfChange(const ConfChange& cc) {
  Message m;
  m.type = MessageType::kProp;
  m.from = raft_->id();
  m.entries.push_back(Entry{0, 0, EntryType::kConfChange, EncodeConfChange(cc)});
  return raft_->Step(std::move(m));
}

void Node::ReadIndex(std::string context) {
  Message m;
  m.type = MessageType::kReadIndex;
  m.from = raft_->id();
  m.entries.push_back(Entry{0, 0, EntryType::kNormal, std::move(context)});
  raft_->Step(std::move(m)).IgnoreError();  // no leader: the caller times out
}

base::Status Node::TransferLeadership(NodeId to) {
  if (raft_->role() == Role::kLeader && !raft_->tracker().IsVoter(to)) {
    return base::InvalidArgument("raft: transfer target is not a voter");
  }
  Message m;
  m.type = MessageType::kTransferLeader;
  m.from = to;
  return raft_->Step(std::move(m));
}

base::Status Node::Campaign() {
  Message m;
  m.type = MessageType::kHup;
  return raft_->Step(std::move(m));
}

void Node::ReportUnreachable(NodeId id) {
  Message m;
  m.type = MessageType::kUnreachable;
  m.from = id;
  raft_->Step(std::move(m)).IgnoreError();
}

void Node::ReportSnapshot(NodeId id, bool ok) {
  Message m;
  m.type = MessageType::kSnapStatus;
  m.from = id;
  m.reject = !ok;
  raft_->Step(std::move(m)).IgnoreError();
}

bool Node::HasReady() const {
  const RaftLog& log = raft_->log();
  if (raft_->soft_state() != prev_soft_) return true;
  if (raft_->hard_state() != prev_hard_) return true;
  if (log.unstable_snapshot() || !log.unstable_entries().empty()) return true;
  if (!raft_->msgs().empty() || !raft_->pre_persist_msgs().empty()) return true;
  if (!raft_->read_states().empty() || raft_->conf_changed()) return true;
  if (raft_->bcast_pending()) return true;
  return !log.unstable_snapshot() && log.committed() > applying_;
}

Ready Node::GetReady() {
  raft_->FlushBroadcast();
  RaftLog& log = raft_->log();
  Ready rd;
  SoftState ss = raft_->soft_state();
  if (ss != prev_soft_) {
    rd.soft_state = ss;
    prev_soft_ = ss;
  }
  HardState hs = raft_->hard_state();
  if (hs != prev_hard_) {
    rd.hard_state = hs;
    rd.must_sync = hs.term != prev_hard_.term || hs.vote != prev_hard_.vote;
    prev_hard_ = hs;
  }
  rd.snapshot = log.unstable_snapshot();
  rd.entries = log.unstable_entries();
  rd.must_sync = rd.must_sync || rd.snapshot.has_value() || !rd.entries.empty();
  rd.messages.swap(raft_->msgs());
  rd.pre_persist_messages.swap(raft_->pre_persist_msgs());
  rd.committed_entries =
      log.CommittedAfter(applying_, raft_->config().max_committed_size_per_ready);
  if (!rd.committed_entries.empty()) applying_ = rd.committed_entries.back().index;
  rd.read_states.swap(raft_->read_states());
  if (raft_->conf_changed()) {
    rd.conf_state = raft_->tracker().conf();
    raft_->clear_conf_changed();
  }
  return rd;
}

void Node::Advance(const Ready& rd) {
  RaftLog& log = raft_->log();
  if (rd.snapshot) {
    log.StableSnapTo(rd.snapshot->index);
    log.AppliedTo(rd.snapshot->index);
    applying_ = std::max(applying_, rd.snapshot->index);
  }
  if (!rd.entries.empty()) log.StableTo(rd.entries.back().index, rd.entries.back().term);
  if (!rd.committed_entries.empty()) log.AppliedTo(rd.committed_entries.back().index);
}

NodeId Node::id() const { return raft_->id(); }
uint64_t Node::term() const { return raft_->term(); }
NodeId Node::leader() const { return raft_->leader(); }
Role Node::role() const { return raft_->role(); }
uint64_t Node::commit() const { return raft_->log().committed(); }
uint64_t Node::applied() const { return raft_->log().applied(); }
uint64_t Node::last_index() const { return raft_->log().LastIndex(); }
ConfState Node::conf() const { return raft_->tracker().conf(); }

NodeStatus Node::Status() const {
  NodeStatus st;
  st.id = raft_->id();
  st.hard_state = HardState{raft_->term(), raft_->vote(), raft_->log().committed()};
  st.soft_state = raft_->soft_state();
  st.applied = raft_->log().applied();
  st.last_index = raft_->log().LastIndex();
  st.conf = raft_->tracker().conf();
  st.lead_transferee = raft_->lead_transferee();
  if (raft_->role() == Role::kLeader) {
    for (const auto& [id, pr] : raft_->tracker().progress()) {
      st.progress[id] = ProgressStatus{pr.match, pr.next, ProgressStateName(pr.state),
                                       pr.learner, pr.recent_active};
    }
  }
  return st;
}

}  // namespace raft
