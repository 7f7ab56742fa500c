// raft/testing_cluster.cc — TEST ONLY: see testing_cluster.h.
#include "raft/testing_cluster.h"

#include <algorithm>

#include "base/check.h"

namespace raft::testing {

namespace {

std::string Ids(const std::vector<NodeId>& ids) {
  std::string s;
  for (NodeId id : ids) {
    if (!s.empty()) s += " ";
    s += std::to_string(id);
  }
  return s;
}

}  // namespace

std::string DescribeReady(NodeId id, const Ready& rd) {
  std::ostringstream os;
  os << "> " << id << " handling Ready\n";
  os << "  Ready MustSync=" << (rd.must_sync ? "true" : "false") << ":\n";
  if (rd.soft_state) {
    os << "  Lead:" << rd.soft_state->leader << " State:" << RoleName(rd.soft_state->role)
       << "\n";
  }
  if (rd.hard_state) {
    os << "  HardState Term:" << rd.hard_state->term << " Vote:" << rd.hard_state->vote
       << " Commit:" << rd.hard_state->commit << "\n";
  }
  if (rd.snapshot) {
    os << "  Snapshot Index:" << rd.snapshot->index << " Term:" << rd.snapshot->term
       << " Voters:(" << Ids(rd.snapshot->conf.voters) << ") Learners:("
       << Ids(rd.snapshot->conf.learners) << ")\n";
  }
  if (!rd.entries.empty()) {
    os << "  Entries:\n";
    for (const Entry& e : rd.entries) os << "  " << DescribeEntry(e) << "\n";
  }
  if (!rd.pre_persist_messages.empty()) {
    os << "  PrePersistMessages:\n";
    for (const Message& m : rd.pre_persist_messages) os << "  " << DescribeMessage(m) << "\n";
  }
  if (!rd.messages.empty()) {
    os << "  Messages:\n";
    for (const Message& m : rd.messages) os << "  " << DescribeMessage(m) << "\n";
  }
  if (!rd.committed_entries.empty()) {
    os << "  CommittedEntries:\n";
    for (const Entry& e : rd.committed_entries) os << "  " << DescribeEntry(e) << "\n";
  }
  if (!rd.read_states.empty()) {
    os << "  ReadStates:\n";
    for (const ReadState& r : rd.read_states) {
      os << "  Index:" << r.index << " Context:" << r.context << "\n";
    }
  }
  if (rd.conf_state) {
    os << "  ConfState Voters:(" << Ids(rd.conf_state->voters) << ") Learners:("
       << Ids(rd.conf_state->learners) << ")\n";
  }
  return os.str();
}

std::string DescribeStatus(const Node& n) {
  NodeStatus st = n.Status();
  std::ostringstream os;
  os << st.id << ": " << RoleName(st.soft_state.role) << " Term:" << st.hard_state.term
     << " Vote:" << st.hard_state.vote << " Lead:" << st.soft_state.leader
     << " Commit:" << st.hard_state.commit << " Applied:" << st.applied
     << " Last:" << st.last_index << " Voters:(" << Ids(st.conf.voters) << ") Learners:("
     << Ids(st.conf.learners) << ")\n";
  for (const auto& [id, pr] : st.progress) {
    os << "  " << id << ": " << pr.state << " match=" << pr.match << " next=" << pr.next
       << (pr.learner ? " learner" : "") << "\n";
  }
  return os.str();
}

std::string DescribeLog(const MemoryStorage& s) {
  std::ostringstream os;
  if (s.Snapshot().index != 0) {
    os << "snapshot " << s.Snapshot().index << "/" << s.Snapshot().term << "\n";
  }
  if (s.LastIndex() < s.FirstIndex()) {
    os << "log is empty: first index=" << s.FirstIndex() << ", last index=" << s.LastIndex()
       << "\n";
    return os.str();
  }
  auto ents = s.Entries(s.FirstIndex(), s.LastIndex() + 1, UINT64_MAX);
  CHECK(ents.ok());
  for (const Entry& e : *ents) os << DescribeEntry(e) << "\n";
  return os.str();
}

Cluster::Cluster(const std::vector<NodeId>& ids, Config base, bool bootstrap, uint64_t seed)
    : base_(base), seed_(seed) {
  for (NodeId id : ids) {
    auto p = std::make_unique<Peer>(seed_ * 1000003 + id * 7919 + 17);
    p->config = base_;
    p->config.id = id;
    if (bootstrap) p->config.peers = ids;
    p->node = std::make_unique<Node>(p->config, &p->storage, &p->random);
    peers_.emplace(id, std::move(p));
  }
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, p] : peers_) out.push_back(id);
  return out;
}

void Cluster::AddEmptyNode(NodeId id) {
  CHECK(peers_.count(id) == 0);
  auto p = std::make_unique<Peer>(seed_ * 1000003 + id * 7919 + 17);
  p->config = base_;
  p->config.id = id;
  p->config.peers.clear();
  p->node = std::make_unique<Node>(p->config, &p->storage, &p->random);
  peers_.emplace(id, std::move(p));
}

void Cluster::Persist(Peer& p, const Ready& rd) {
  if (rd.snapshot) CHECK_OK(p.storage.ApplySnapshot(*rd.snapshot));
  CHECK_OK(p.storage.Append(rd.entries));
  if (rd.hard_state) p.storage.SetHardState(*rd.hard_state);
}

void Cluster::Apply(NodeId id, Peer& p, const Ready& rd) {
  if (rd.snapshot) {
    auto& snaps = snapshots_;
    auto it = snaps.find({rd.snapshot->index, rd.snapshot->term});
    CHECK(it != snaps.end()) << "snapshot data missing";
    p.applied = it->second;
  }
  for (const Entry& e : rd.committed_entries) {
    CHECK(p.applied.empty() || e.index == p.applied.back().index + 1)
        << "node " << id << " applies " << e.index << " after " << p.applied.back().index;
    p.applied.push_back(e);
  }
  for (const ReadState& r : rd.read_states) p.read_states.push_back(r);
}

bool Cluster::ProcessReady(NodeId id, std::ostream* out) {
  Peer& p = *peers_.at(id);
  if (!p.node->HasReady()) return false;
  Ready rd = p.node->GetReady();
  if (out) *out << DescribeReady(id, rd);
  for (const Message& m : rd.pre_persist_messages) queue_.push_back(m);
  Persist(p, rd);
  if (on_ready) on_ready(id, rd, p);
  for (const Message& m : rd.messages) queue_.push_back(m);
  Apply(id, p, rd);
  p.node->Advance(rd);
  return true;
}

size_t Cluster::Deliver(NodeId to, std::ostream* out) {
  std::vector<Message> mine, rest;
  for (Message& m : queue_) {
    (to == kNoNode || m.to == to ? mine : rest).push_back(std::move(m));
  }
  queue_ = std::move(rest);
  std::stable_sort(mine.begin(), mine.end(),
                   [](const Message& a, const Message& b) { return a.to < b.to; });
  size_t n = 0;
  NodeId last_to = kNoNode;
  for (const Message& m : mine) {
    if (peers_.count(m.to) == 0) continue;
    bool dropped = !Connected(m.from, m.to);
    if (out) {
      if (m.to != last_to) *out << "> " << m.to << " receiving messages\n";
      last_to = m.to;
      *out << "  " << DescribeMessage(m) << (dropped ? " DROPPED" : "") << "\n";
    }
    if (dropped) continue;
    base::Status st = peers_.at(m.to)->node->Step(m);
    if (out && !st.ok()) *out << "  error: " << st.ToString() << "\n";
    ++n;
  }
  return n;
}

void Cluster::Stabilize(std::ostream* out) {
  for (int round = 0; round < 10000; ++round) {
    bool any = false;
    for (const auto& [id, p] : peers_) any = ProcessReady(id, out) || any;
    if (!queue_.empty()) {
      Deliver(kNoNode, out);
      any = true;
    }
    if (!any) return;
  }
  CHECK(false) << "cluster did not stabilize";
}

bool Cluster::DeliverAt(size_t i) {
  CHECK_LT(i, queue_.size());
  Message m = std::move(queue_[i]);
  queue_.erase(queue_.begin() + i);
  bool ok = peers_.count(m.to) != 0 && Connected(m.from, m.to);
  if (ok) peers_.at(m.to)->node->Step(m).IgnoreError();
  if (report_snapshots && m.type == MessageType::kSnap && peers_.count(m.from) != 0) {
    peers_.at(m.from)->node->ReportSnapshot(m.to, ok);
  }
  return ok;
}

void Cluster::DropAt(size_t i) {
  CHECK_LT(i, queue_.size());
  Message m = std::move(queue_[i]);
  queue_.erase(queue_.begin() + i);
  if (report_snapshots && m.type == MessageType::kSnap && peers_.count(m.from) != 0) {
    peers_.at(m.from)->node->ReportSnapshot(m.to, false);
  }
}

void Cluster::CrashDuringReady(NodeId id) {
  Peer& p = *peers_.at(id);
  if (p.node->HasReady()) {
    Ready rd = p.node->GetReady();
    for (const Message& m : rd.pre_persist_messages) queue_.push_back(m);
  }
  Restart(id);
}

void Cluster::Tick(NodeId id, int n) {
  for (int i = 0; i < n; ++i) peers_.at(id)->node->Tick();
}

NodeId Cluster::ElectLeader(NodeId preferred) {
  if (preferred != kNoNode) {
    CHECK_OK(node(preferred).Campaign());
    Stabilize();
    return Leader();
  }
  for (int i = 0; i < 1000 && Leader() == kNoNode; ++i) {
    for (const auto& [id, p] : peers_) p->node->Tick();
    Stabilize();
  }
  return Leader();
}

void Cluster::Isolate(NodeId id) {
  for (const auto& [other, p] : peers_) {
    if (other != id) Cut(id, other);
  }
}

void Cluster::Cut(NodeId a, NodeId b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

void Cluster::Heal() { cut_.clear(); }

bool Cluster::Connected(NodeId a, NodeId b) const { return cut_.count({a, b}) == 0; }

void Cluster::DropMessages(NodeId to) {
  std::erase_if(queue_, [to](const Message& m) { return to == kNoNode || m.to == to; });
}

void Cluster::Restart(NodeId id) {
  Peer& p = *peers_.at(id);
  // Messages already in the queue were sent: they stay in flight.
  // The state machine is rebuilt from the snapshot; the log replays the rest.
  uint64_t snap = p.storage.Snapshot().index;
  std::erase_if(p.applied, [snap](const Entry& e) { return e.index > snap; });
  p.config.applied = snap;
  p.node = std::make_unique<Node>(p.config, &p.storage, &p.random);
}

void Cluster::Compact(NodeId id, uint64_t index, uint64_t keep) {
  Peer& p = *peers_.at(id);
  CHECK_LE(index, p.node->applied());
  CHECK_OK(p.storage.CreateSnapshot(index, p.node->conf()));
  std::vector<Entry> data;
  for (const Entry& e : p.applied) {
    if (e.index <= index) data.push_back(e);
  }
  snapshots_[{index, p.storage.Snapshot().term}] = data;
  if (index > keep) CHECK_OK(p.storage.Compact(index - keep));
}

NodeId Cluster::Leader() const {
  NodeId best = kNoNode;
  uint64_t best_term = 0;
  for (const auto& [id, p] : peers_) {
    if (p->node->role() == Role::kLeader && p->node->term() >= best_term) {
      best = id;
      best_term = p->node->term();
    }
  }
  return best;
}

bool Cluster::StateMachinesConsistent(std::string* why) const {
  for (const auto& [a, pa] : peers_) {
    for (const auto& [b, pb] : peers_) {
      size_t n = std::min(pa->applied.size(), pb->applied.size());
      for (size_t i = 0; i < n; ++i) {
        if (!(pa->applied[i] == pb->applied[i])) {
          *why = "nodes " + std::to_string(a) + " and " + std::to_string(b) +
                 " applied different entries at position " + std::to_string(i) + ": " +
                 DescribeEntry(pa->applied[i]) + " vs " + DescribeEntry(pb->applied[i]);
          return false;
        }
      }
    }
  }
  return true;
}

}  // namespace raft::testing
