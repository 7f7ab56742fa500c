#include "simulation.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <sstream>

#include "base/check.h"
#include "base/random.h"
#include "invariants.h"
#include "linearizability.h"
#include "raft/message.h"
#include "raft/storage.h"

namespace sim {
namespace {

using raft::NodeId;

constexpr int kMaxMembers = 7;
constexpr NodeId kMaxNodeId = 24;

enum class EventType : uint8_t {
  kTick, kDeliver, kSyncDone, kClientNext, kClientTimeout, kNemesis, kRestart, kStop, kHeal,
  kIsolate, kUnisolate,
};

struct Event {
  int64_t time;
  uint64_t seq;
  EventType type;
  NodeId node;
  uint64_t arg;  // incarnation, client id or message slot
  uint64_t arg2;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

struct PendingRead {
  std::string context;
  uint64_t index;
};

struct KvState {
  std::map<std::string, std::string> kv;
  std::map<uint64_t, uint64_t> client_seq;  // dedupe of re-proposed commands
  bool operator==(const KvState&) const = default;
};

struct SimNode {
  NodeId id = 0;
  bool running = false;
  bool removed = false;
  bool bootstrap = false;  // an initial voter (Config::peers set)
  uint64_t incarnation = 0;
  int64_t tick_us = 0;
  std::unique_ptr<base::Random> rng;
  raft::MemoryStorage durable;  // survives crashes
  std::unique_ptr<raft::MemoryStorage> storage;  // what the Node reads: durable + unsynced
  std::unique_ptr<raft::Node> node;
  LogShadow shadow;
  bool syncing = false;
  raft::Ready pending;
  uint64_t last_commit = 0;
  uint64_t visible_commit = 0;  // highest commit index seen in a synced Ready (incarnation)
  bool ready_from_leader = false;  // the node was leader when it produced the current Ready
  // The state machine: rebuilt after each restart from the durable snapshot + log replay.
  uint64_t applied = 0;
  KvState state;
  raft::ConfState conf;  // membership as of `applied` (for snapshots)
  std::vector<PendingRead> reads;
};

struct Client {
  uint64_t id = 0;
  uint64_t seq = 0;
  bool busy = false;
  size_t op = 0;  // index into history_
  NodeId node = 0;
  uint64_t incarnation = 0;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

class Simulation {
 public:
  explicit Simulation(const SimOptions& o)
      : o_(o), net_rng_(o.seed * 4 + 1), fault_rng_(o.seed * 4 + 2),
        client_rng_(o.seed * 4 + 3), disk_rng_(o.seed * 4 + 4) {}

  SimResult Run();

 private:
  void Schedule(int64_t delay, EventType type, NodeId node, uint64_t arg, uint64_t arg2 = 0) {
    queue_.push(Event{now_ + delay, next_seq_++, type, node, arg, arg2});
  }
  void Process(const Event& e);
  void Trace(const Event& e);

  SimNode& NodeAt(NodeId id) { return *nodes_.at(id); }
  void StartNode(NodeId id);
  void CrashNode(NodeId id, bool permanent);
  void Pump(SimNode& n);
  void FinishReady(SimNode& n, raft::Ready rd);
  void Send(const raft::Message& m);
  void CheckPersistedBeforeSend(const raft::Message& m);
  void MaybeIsolateSoon(NodeId id);
  void Deliver(uint64_t slot);
  void Apply(SimNode& n, const raft::Entry& e);
  void ServeReads(SimNode& n);
  void InstallSnapshot(SimNode& n, const raft::SnapshotMeta& meta);
  void MaybeCompact(SimNode& n);
  void ObserveMembership(const raft::Entry& e);

  void ClientNext(uint64_t client);
  void ClientTimeout(uint64_t client, uint64_t seq);
  void CompleteOp(Client& c, Outcome outcome, std::optional<std::string> value);

  void Nemesis();
  void NemesisPartition();
  void NemesisMembership();
  void Heal();
  NodeId Leader() const;
  std::vector<NodeId> RunningMembers() const;
  void CheckAfterStep();
  std::string DescribeNodes() const;

  const SimOptions o_;
  base::Random net_rng_, fault_rng_, client_rng_, disk_rng_;
  int64_t now_ = 0;
  uint64_t next_seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::map<NodeId, std::unique_ptr<SimNode>> nodes_;
  std::map<uint64_t, raft::Message> in_flight_;
  // Healed phase only: latest scheduled delivery per (from, to) link, to keep links FIFO.
  std::map<std::pair<NodeId, NodeId>, int64_t> link_last_delivery_;
  uint64_t next_slot_ = 0;
  std::set<std::pair<NodeId, NodeId>> blocked_;  // directed (from, to)
  bool partitioned_ = false;
  bool healed_ = false;
  raft::ConfState conf_;          // membership, from applied ConfChange entries
  uint64_t conf_index_ = 0;
  NodeId next_id_ = 1;
  std::vector<Client> clients_;
  std::vector<NodeId> touched_;  // nodes called into by the current event
  std::map<uint64_t, KvState> snapshots_;  // state machine at each snapshotted index
  std::vector<Operation> history_;
  Invariants inv_;
  SimResult result_;
  uint64_t writes_after_heal_ = 0;
};

SimResult Simulation::Run() {
  for (int i = 1; i <= o_.voters; ++i) {
    auto n = std::make_unique<SimNode>();
    n->id = static_cast<NodeId>(i);
    n->bootstrap = true;
    nodes_[n->id] = std::move(n);
  }
  next_id_ = static_cast<NodeId>(o_.voters) + 1;
  for (auto& [id, n] : nodes_) StartNode(id);
  for (int c = 0; c < o_.clients; ++c) {
    clients_.push_back(Client{static_cast<uint64_t>(c + 1)});
    Schedule(client_rng_.Range(10'000, 500'000), EventType::kClientNext, 0, c);
  }
  bool faults = o_.partitions || o_.crashes || o_.membership || o_.transfers;
  if (faults) Schedule(fault_rng_.Range(1, 2 * o_.nemesis_every_us), EventType::kNemesis, 0, 0);
  Schedule(o_.duration_us, EventType::kHeal, 0, 0);
  const int64_t end = o_.duration_us + o_.heal_us;
  while (!queue_.empty() && inv_.ok()) {
    Event e = queue_.top();
    if (e.time > end) break;
    queue_.pop();
    now_ = e.time;
    ++result_.events;
    Trace(e);
    Process(e);
    CheckAfterStep();
  }
  result_.simulated_us = inv_.ok() ? end : now_;  // a violation ends the run early
  now_ = end;
  result_.leaders = inv_.leaders_elected();
  result_.committed = inv_.committed_index();
  if (inv_.ok() && o_.check_liveness) {
    if (Leader() == 0) inv_.Fail("liveness: no leader at the end of the healed phase");
    else if (o_.clients > 0 && writes_after_heal_ == 0)
      inv_.Fail("liveness: no write completed during the healed phase");
  }
  if (!inv_.ok()) inv_.AddContext(DescribeNodes());
  for (Client& c : clients_) {
    if (c.busy) CompleteOp(c, Outcome::kUnknown, std::nullopt);
  }
  if (inv_.ok()) {
    CheckResult lin = CheckLinearizable(history_);
    if (lin.verdict != Verdict::kLinearizable) inv_.Fail("linearizability: " + lin.explanation);
  }
  result_.ok = inv_.ok();
  result_.failure = inv_.failure();
  return result_;
}

void Simulation::Trace(const Event& e) {
  uint64_t h = Mix(Mix(Mix(result_.trace_hash, e.time), static_cast<uint64_t>(e.type)), e.node);
  h = Mix(Mix(h, e.arg), e.arg2);
  if (e.type == EventType::kDeliver) {
    auto it = in_flight_.find(e.arg);
    if (it != in_flight_.end()) {
      const raft::Message& m = it->second;
      h = Mix(Mix(Mix(h, static_cast<uint64_t>(m.type)), m.term), m.index);
      h = Mix(Mix(Mix(h, m.commit), m.entries.size()), m.reject);
      if (o_.trace) std::printf("%lld deliver %s\n", static_cast<long long>(e.time),
                                raft::DescribeMessage(m).c_str());
    }
  } else if (o_.trace) {
    std::printf("%lld event %d node=%llu arg=%llu/%llu\n", static_cast<long long>(e.time),
                static_cast<int>(e.type), static_cast<unsigned long long>(e.node),
                static_cast<unsigned long long>(e.arg), static_cast<unsigned long long>(e.arg2));
  }
  result_.trace_hash = h;
}

void Simulation::Process(const Event& e) {
  switch (e.type) {
    case EventType::kTick: {
      SimNode& n = NodeAt(e.node);
      if (!n.running || n.incarnation != e.arg) return;
      n.node->Tick();
      Pump(n);
      Schedule(n.tick_us, EventType::kTick, n.id, n.incarnation);
      return;
    }
    case EventType::kDeliver:
      Deliver(e.arg);
      return;
    case EventType::kSyncDone: {
      SimNode& n = NodeAt(e.node);
      if (!n.running || n.incarnation != e.arg || !n.syncing) return;
      raft::Ready rd = std::move(n.pending);
      n.pending = raft::Ready{};
      n.syncing = false;
      if (rd.snapshot) CHECK_OK(n.durable.ApplySnapshot(*rd.snapshot));
      if (!rd.entries.empty()) CHECK_OK(n.durable.Append(rd.entries));
      if (rd.hard_state) n.durable.SetHardState(*rd.hard_state);
      FinishReady(n, std::move(rd));
      Pump(n);
      return;
    }
    case EventType::kClientNext:
      ClientNext(e.arg);
      return;
    case EventType::kClientTimeout:
      ClientTimeout(e.arg, e.arg2);
      return;
    case EventType::kNemesis:
      if (healed_) return;
      Nemesis();
      Schedule(fault_rng_.Range(1, 2 * o_.nemesis_every_us), EventType::kNemesis, 0, 0);
      return;
    case EventType::kRestart: {
      SimNode& n = NodeAt(e.node);
      if (!n.running && !n.removed && n.incarnation == e.arg) StartNode(n.id);
      return;
    }
    case EventType::kStop:
      if (NodeAt(e.node).running) CrashNode(e.node, /*permanent=*/true);
      return;
    case EventType::kHeal:
      Heal();
      return;
    case EventType::kIsolate:
      if (healed_) return;
      for (const auto& [id, other] : nodes_) {
        if (id == e.node) continue;
        blocked_.insert({e.node, id});
        blocked_.insert({id, e.node});
      }
      partitioned_ = true;
      Schedule(fault_rng_.Range(100'000, 3'000'000), EventType::kUnisolate, e.node, 0);
      return;
    case EventType::kUnisolate:
      std::erase_if(blocked_, [&e](const std::pair<NodeId, NodeId>& link) {
        return link.first == e.node || link.second == e.node;
      });
      return;
  }
}

void Simulation::StartNode(NodeId id) {
  SimNode& n = NodeAt(id);
  ++n.incarnation;
  n.running = true;
  n.rng = std::make_unique<base::Random>(Mix(o_.seed, id * 1000 + n.incarnation));
  n.storage = std::make_unique<raft::MemoryStorage>(n.durable);
  n.shadow = LogShadow();
  raft::SnapshotMeta snap = n.durable.Snapshot();
  n.applied = snap.index;
  n.state = KvState{};
  n.conf = snap.conf;
  if (snap.index > 0) {
    n.state = snapshots_.at(snap.index);
    n.shadow.Reset(snap.index, snap.term, inv_.CommittedPrefix(snap.index));
  }
  uint64_t first = n.durable.FirstIndex(), last = n.durable.LastIndex();
  if (first <= last) {
    auto ents = n.durable.Entries(first, last + 1, UINT64_MAX);
    CHECK(ents.ok());
    n.shadow.Append(ents.value());
  }
  raft::Config cfg;
  cfg.id = id;
  if (n.bootstrap) {
    for (int i = 1; i <= o_.voters; ++i) cfg.peers.push_back(static_cast<NodeId>(i));
  }
  cfg.election_ticks = 10;
  cfg.heartbeat_ticks = 2;
  cfg.knobs = o_.knobs;
  cfg.max_size_per_msg = o_.max_msg_bytes;
  cfg.applied = snap.index;
  n.node = std::make_unique<raft::Node>(cfg, n.storage.get(), n.rng.get());
  n.syncing = false;
  n.pending = raft::Ready{};
  n.last_commit = 0;
  n.visible_commit = 0;
    n.reads.clear();
  if (n.tick_us == 0) n.tick_us = 50'000 + fault_rng_.Range(-2'500, 2'500);  // clock drift
  Schedule(fault_rng_.Range(1, n.tick_us), EventType::kTick, id, n.incarnation);
  Pump(n);
}

void Simulation::CrashNode(NodeId id, bool permanent) {
  SimNode& n = NodeAt(id);
  if (n.syncing) {
    // The unsynced write was in flight: it is lost, or (torn) a prefix of it survives in WAL
    // order: entries first, then the hard state.
    const raft::Ready& rd = n.pending;
    size_t keep = o_.torn_writes ? disk_rng_.Uniform(rd.entries.size() + 2) : 0;
    if (rd.snapshot) {
      // The snapshot goes first; the entries after it only survive together with it.
      if (keep > 0) CHECK_OK(n.durable.ApplySnapshot(*rd.snapshot));
    }
    if (keep > 0 && !rd.entries.empty()) {
      std::vector<raft::Entry> part(rd.entries.begin(),
                                    rd.entries.begin() + std::min(keep, rd.entries.size()));
      CHECK_OK(n.durable.Append(part));
    }
    if (keep > rd.entries.size() && rd.hard_state) n.durable.SetHardState(*rd.hard_state);
  }
  n.node.reset();
  n.storage.reset();
  n.running = false;
  n.syncing = false;
  n.pending = raft::Ready{};
  n.reads.clear();
  ++n.incarnation;  // stale events of the old incarnation are ignored
  ++result_.crashes;
  if (permanent) n.removed = true;
}

void Simulation::Pump(SimNode& n) {
  touched_.push_back(n.id);
  while (n.running && !n.syncing && n.node->HasReady()) {
    raft::Ready rd = n.node->GetReady();
    n.ready_from_leader = n.node->role() == raft::Role::kLeader;
    for (const raft::Message& m : rd.pre_persist_messages) Send(m);
    if (rd.snapshot) InstallSnapshot(n, *rd.snapshot);
    if (!rd.entries.empty()) {
      CHECK_OK(n.storage->Append(rd.entries));
      n.shadow.Append(rd.entries);
      inv_.ObserveAppend(n.id, n.shadow, rd.entries);
    }
    if (rd.hard_state) n.storage->SetHardState(*rd.hard_state);
    if (rd.soft_state && rd.soft_state->role == raft::Role::kLeader) {
      inv_.ObserveNewLeader(n.id, n.shadow, n.node->term());
      MaybeIsolateSoon(n.id);
    }
    bool needs_disk = rd.must_sync || !rd.entries.empty() || rd.hard_state.has_value() ||
                      rd.snapshot.has_value();
    if (needs_disk) {
      n.syncing = true;
      n.pending = std::move(rd);
      Schedule(disk_rng_.Range(o_.disk_sync_min_us, o_.disk_sync_max_us), EventType::kSyncDone,
               n.id, n.incarnation);
      return;
    }
    FinishReady(n, std::move(rd));
  }
}

void Simulation::FinishReady(SimNode& n, raft::Ready rd) {
  // A commit becomes visible (messages, applies) only now, after the sync: a node may put an
  // entry and a commit index covering it in one Ready (a single voter), and a crash before the
  // sync loses both without anyone having seen them.
  if (rd.hard_state) {
    uint64_t commit = rd.hard_state->commit;
    inv_.ObserveCommit(n.id, n.shadow, commit);
    if (n.ready_from_leader && commit > n.visible_commit) {
      if (o_.direct_checks && n.shadow.Has(commit) && n.shadow.Term(commit) != rd.hard_state->term) {
        std::ostringstream out;
        out << "commit rule: leader " << n.id << " of term " << rd.hard_state->term
            << " advanced its commit index to " << commit << ", an entry of term "
            << n.shadow.Term(commit);
        for (const auto& [id, other] : nodes_) {
          if (other->shadow.Has(commit) && other->shadow.Term(commit) != n.shadow.Term(commit))
            out << "; node " << id << " holds term " << other->shadow.Term(commit) << " there";
        }
        inv_.Fail(out.str());
      }
      MaybeIsolateSoon(n.id);
    }
    n.visible_commit = std::max(n.visible_commit, commit);
  }
  for (const raft::Message& m : rd.messages) Send(m);
  for (const raft::Entry& e : rd.committed_entries) Apply(n, e);
  for (const raft::ReadState& rs : rd.read_states) n.reads.push_back({rs.context, rs.index});
  ServeReads(n);
  n.node->Advance(rd);
  MaybeCompact(n);
}

void Simulation::InstallSnapshot(SimNode& n, const raft::SnapshotMeta& meta) {
  if (meta.index > inv_.committed_index()) {
    std::ostringstream out;
    out << "snapshot: node " << n.id << " got a snapshot at " << meta.index
        << " beyond the committed index " << inv_.committed_index();
    inv_.Fail(out.str());
    return;
  }
  if (meta.index <= n.applied) {
    std::ostringstream out;
    out << "snapshot: node " << n.id << " got a snapshot at " << meta.index
        << " not ahead of its applied index " << n.applied;
    inv_.Fail(out.str());
    return;
  }
  CHECK_OK(n.storage->ApplySnapshot(meta));
  bool keeps_log = n.shadow.Has(meta.index) && n.shadow.Term(meta.index) == meta.term;
  if (!keeps_log || n.shadow.Prefix(meta.index) != inv_.CommittedPrefix(meta.index)) {
    n.shadow.Reset(meta.index, meta.term, inv_.CommittedPrefix(meta.index));
  }
  auto it = snapshots_.find(meta.index);
  CHECK(it != snapshots_.end()) << "no state machine snapshot at " << meta.index;
  n.state = it->second;
  n.applied = meta.index;
  n.conf = meta.conf;
}

void Simulation::MaybeCompact(SimNode& n) {
  if (o_.compact_every == 0 || !n.running) return;
  uint64_t snap = n.storage->Snapshot().index;
  if (n.applied < snap + o_.compact_every) return;
  auto [it, inserted] = snapshots_.emplace(n.applied, n.state);
  if (!inserted && !(it->second == n.state)) {
    std::ostringstream out;
    out << "state machine safety: node " << n.id << " has a different state at applied index "
        << n.applied << " than another node had there";
    inv_.Fail(out.str());
    return;
  }
  uint64_t compact_to = n.applied - std::min<uint64_t>(n.applied, disk_rng_.Uniform(20));
  for (raft::MemoryStorage* st : {n.storage.get(), &n.durable}) {
    CHECK_OK(st->CreateSnapshot(n.applied, n.conf));
    if (compact_to > st->FirstIndex()) CHECK_OK(st->Compact(compact_to));
  }
}

void Simulation::CheckPersistedBeforeSend(const raft::Message& m) {
  // Persist before reply (R1): a granted vote and an append acknowledgement may only leave a
  // node once what they promise is on its durable disk.
  const SimNode& n = NodeAt(m.from);
  std::ostringstream out;
  if (m.type == raft::MessageType::kVoteResp && !m.reject) {
    raft::HardState hs = n.durable.InitialHardState();
    if (hs.term != m.term || hs.vote != m.to) {
      out << "persist before send: node " << m.from << " granted its vote to " << m.to
          << " in term " << m.term << " but its durable hard state is term " << hs.term
          << " vote " << hs.vote;
    }
  } else if (m.type == raft::MessageType::kAppResp && !m.reject &&
             n.durable.LastIndex() < m.index) {
    out << "persist before send: node " << m.from << " acknowledged index " << m.index
        << " to " << m.to << " but has only " << n.durable.LastIndex() << " durably";
  }
  if (!out.str().empty()) inv_.Fail(out.str());
}

void Simulation::MaybeIsolateSoon(NodeId id) {
  if (o_.flaky_leaders <= 0 || !o_.partitions || healed_) return;
  if (!fault_rng_.Bernoulli(o_.flaky_leaders)) return;
  Schedule(fault_rng_.Range(0, o_.max_delay_us), EventType::kIsolate, id, 0);
}

void Simulation::Send(const raft::Message& m) {
  if (m.type == raft::MessageType::kVoteResp && !m.reject) inv_.ObserveVote(m.from, m.to, m.term);
  if (o_.direct_checks) CheckPersistedBeforeSend(m);
  if (m.to == m.from || !nodes_.contains(m.to)) return;
  if (m.type == raft::MessageType::kSnap) {
    // Snapshots go over their own stream: the outcome is reported to the sender at delivery.
    uint64_t slot = next_slot_++;
    in_flight_.emplace(slot, m);
    Schedule(net_rng_.Range(o_.min_delay_us, o_.max_delay_us), EventType::kDeliver, m.to, slot);
    return;
  }
  // After the heal the network behaves like our transport (TCP): no loss, no duplicates, each
  // link FIFO (delays still vary). The liveness check judges the cluster on the network it really
  // runs on; loss, duplication and reordering stay on during the faulty phase, where safety is
  // checked.
  int copies = (!healed_ && o_.duplicate > 0 && net_rng_.Bernoulli(o_.duplicate)) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    if (!healed_ && o_.drop > 0 && net_rng_.Bernoulli(o_.drop)) continue;
    uint64_t slot = next_slot_++;
    in_flight_.emplace(slot, m);
    int64_t delay = net_rng_.Range(o_.min_delay_us, o_.max_delay_us);
    if (healed_) {
      int64_t& last = link_last_delivery_[{m.from, m.to}];
      if (now_ + delay <= last) delay = last + 1 - now_;
      last = now_ + delay;
    }
    Schedule(delay, EventType::kDeliver, m.to, slot);
  }
}

void Simulation::Deliver(uint64_t slot) {
  auto it = in_flight_.find(slot);
  CHECK(it != in_flight_.end());
  raft::Message m = std::move(it->second);
  in_flight_.erase(it);
  SimNode& n = NodeAt(m.to);
  bool delivered = n.running && !blocked_.contains({m.from, m.to});
  if (m.type == raft::MessageType::kSnap) {
    if (o_.drop > 0 && net_rng_.Bernoulli(o_.drop)) delivered = false;
    SimNode& sender = NodeAt(m.from);
    if (sender.running) {
      sender.node->ReportSnapshot(m.to, delivered);
      Pump(sender);
    }
  }
  if (!delivered) return;
  if (m.type == raft::MessageType::kHeartbeat && m.term >= n.node->term() &&
      m.commit > n.storage->LastIndex()) {
    // The leader sends min(match, commit): in its term this node acknowledged entries up to
    // `commit`, and a follower's log never shrinks within a term. It lost acknowledged data.
    std::ostringstream out;
    out << "durability: leader " << m.from << " (term " << m.term << ") knows node " << m.to
        << " acknowledged up to " << m.commit << " but its log ends at "
        << n.storage->LastIndex();
    inv_.Fail(out.str());
    return;
  }
  base::Status s = n.node->Step(m);
  // A forwarded proposal may be refused (no leader, transfer in progress): it is just dropped.
  bool forwarded = m.type == raft::MessageType::kProp ||
                   m.type == raft::MessageType::kTransferLeader ||
                   m.type == raft::MessageType::kReadIndex;
  if (!s.ok() && !forwarded) inv_.Fail("Step rejected a message: " + s.ToString() + " " +
                         raft::DescribeMessage(m));
  Pump(n);
}

void Simulation::Apply(SimNode& n, const raft::Entry& e) {
  inv_.ObserveApply(n.id, e);
  if (e.index != n.applied + 1) {
    std::ostringstream out;
    out << "apply order: node " << n.id << " applied " << e.index << " after " << n.applied;
    inv_.Fail(out.str());
  }
  n.applied = e.index;
  if (e.type == raft::EntryType::kConfChange) {
    auto cc = raft::DecodeConfChange(e.data);
    CHECK(cc.ok());
    n.conf = raft::ApplyConfChangeTo(n.conf, cc.value());
    ObserveMembership(e);
    return;
  }
  if (e.type != raft::EntryType::kNormal || e.data.empty()) return;
  // "w:<client>:<seq>:<key>:<value>"
  std::vector<std::string> f = Split(e.data, ':');
  CHECK_EQ(f.size(), 5u) << e.data;
  uint64_t client = std::stoull(f[1]), seq = std::stoull(f[2]);
  uint64_t& last = n.state.client_seq[client];
  if (seq <= last) return;  // a duplicate or overtaken proposal: never applied twice
  last = seq;
  n.state.kv[f[3]] = f[4];
  Client& c = clients_[client - 1];
  if (c.busy && c.seq == seq && c.node == n.id && c.incarnation == n.incarnation) {
    CompleteOp(c, Outcome::kOk, f[4]);
    if (healed_) ++writes_after_heal_;
  }
}

void Simulation::ServeReads(SimNode& n) {
  std::vector<PendingRead> waiting;
  for (PendingRead& r : n.reads) {
    if (n.applied < r.index) {
      waiting.push_back(std::move(r));
      continue;
    }
    std::vector<std::string> f = Split(r.context, ':');  // "r:<client>:<seq>"
    Client& c = clients_[std::stoull(f[1]) - 1];
    if (!c.busy || c.seq != std::stoull(f[2]) || c.node != n.id ||
        c.incarnation != n.incarnation)
      continue;
    const std::string& key = history_[c.op].key;
    auto it = n.state.kv.find(key);
    CompleteOp(c, Outcome::kOk,
               it == n.state.kv.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  n.reads = std::move(waiting);
}

void Simulation::ObserveMembership(const raft::Entry& e) {
  if (e.index <= conf_index_) return;
  auto cc = raft::DecodeConfChange(e.data);
  CHECK(cc.ok());
  conf_index_ = e.index;
  conf_ = raft::ApplyConfChangeTo(conf_, cc.value());
  ++result_.conf_changes;
  NodeId id = cc.value().node;
  if (cc.value().type != raft::ConfChangeType::kRemoveNode) {
    if (!nodes_.contains(id)) {
      auto n = std::make_unique<SimNode>();
      n->id = id;
      nodes_[id] = std::move(n);
      StartNode(id);
    }
    return;
  }
  if (!nodes_.contains(id)) return;
  SimNode& n = NodeAt(id);
  if (n.removed) return;
  // No longer a client target and never restarted after a crash, but it keeps running: a
  // removed node must neither disrupt the cluster nor be needed by it.
  n.removed = true;
}

void Simulation::ClientNext(uint64_t index) {
  Client& c = clients_[index];
  if (c.busy) return;
  std::vector<NodeId> targets = RunningMembers();
  if (targets.empty()) {
    Schedule(100'000, EventType::kClientNext, 0, index);
    return;
  }
  SimNode& n = NodeAt(targets[client_rng_.Uniform(targets.size())]);
  ++c.seq;
  c.busy = true;
  c.node = n.id;
  c.incarnation = n.incarnation;
  c.op = history_.size();
  Operation op;
  op.client = static_cast<int>(c.id);
  // Keys rotate every 5 simulated seconds to keep each key's history short for the checker.
  op.key = "k" + std::to_string(client_rng_.Uniform(std::max(o_.keys, 1))) + "." +
           std::to_string(now_ / 5'000'000);
  op.invoke = now_;
  op.outcome = Outcome::kUnknown;
  bool write = client_rng_.Bernoulli(0.5);
  op.kind = write ? OpKind::kWrite : OpKind::kRead;
  std::string tag = std::to_string(c.id) + ":" + std::to_string(c.seq);
  if (write) op.value = "c" + std::to_string(c.id) + "s" + std::to_string(c.seq);
  history_.push_back(op);
  Schedule(o_.client_timeout_us, EventType::kClientTimeout, 0, index, c.seq);
  if (write) {
    base::Status s = n.node->Propose("w:" + tag + ":" + op.key + ":" + *op.value);
    if (!s.ok()) CompleteOp(c, Outcome::kFail, std::nullopt);
  } else {
    n.node->ReadIndex("r:" + tag);
  }
  Pump(n);
}

void Simulation::ClientTimeout(uint64_t index, uint64_t seq) {
  Client& c = clients_[index];
  if (c.busy && c.seq == seq) CompleteOp(c, Outcome::kUnknown, std::nullopt);
}

void Simulation::CompleteOp(Client& c, Outcome outcome, std::optional<std::string> value) {
  Operation& op = history_[c.op];
  op.outcome = outcome;
  op.ret = now_;
  if (op.kind == OpKind::kRead) op.value = std::move(value);
  c.busy = false;
  switch (outcome) {
    case Outcome::kOk:
      (op.kind == OpKind::kRead ? result_.reads_ok : result_.writes_ok)++;
      break;
    case Outcome::kFail:
      ++result_.ops_failed;
      break;
    case Outcome::kUnknown:
      if (op.kind == OpKind::kWrite) ++result_.writes_unknown;
      break;
  }
  // Think time, then the next operation (a failed one backs off a little longer).
  int64_t think = client_rng_.Range(0, outcome == Outcome::kFail ? 100'000 : 20'000);
  Schedule(think + 1, EventType::kClientNext, 0, c.id - 1);
}

NodeId Simulation::Leader() const {
  NodeId best = 0;
  uint64_t best_term = 0;
  for (const auto& [id, n] : nodes_) {
    if (n->running && !n->removed && n->node->role() == raft::Role::kLeader &&
        n->node->term() >= best_term) {
      best = id;
      best_term = n->node->term();
    }
  }
  return best;
}

std::vector<NodeId> Simulation::RunningMembers() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_) {
    if (n->running && !n->removed) out.push_back(id);
  }
  return out;
}

void Simulation::Nemesis() {
  std::vector<int> kinds;
  if (o_.partitions) kinds.push_back(0);
  if (o_.crashes) kinds.push_back(1);
  if (o_.membership) kinds.push_back(2);
  if (o_.transfers) kinds.push_back(3);
  int kind = kinds[fault_rng_.Uniform(kinds.size())];
  std::vector<NodeId> running = RunningMembers();
  NodeId leader = Leader();
  switch (kind) {
    case 0:
      NemesisPartition();
      return;
    case 1: {
      // Restart crashed nodes first sometimes; crash the leader half of the time.
      if (running.empty()) return;
      NodeId victim = (leader != 0 && fault_rng_.Bernoulli(0.5))
                          ? leader
                          : running[fault_rng_.Uniform(running.size())];
      CrashNode(victim, /*permanent=*/false);
      Schedule(fault_rng_.Range(10'000, 3'000'000), EventType::kRestart, victim,
               NodeAt(victim).incarnation);
      return;
    }
    case 2:
      NemesisMembership();
      return;
    case 3: {
      if (leader == 0) return;
      raft::ConfState conf = NodeAt(leader).node->conf();
      std::vector<NodeId> others;
      for (NodeId v : conf.voters) if (v != leader) others.push_back(v);
      if (others.empty()) return;
      (void)NodeAt(leader).node->TransferLeadership(others[fault_rng_.Uniform(others.size())]);
      Pump(NodeAt(leader));
      return;
    }
  }
}

void Simulation::NemesisPartition() {
  if (partitioned_) {
    blocked_.clear();
    partitioned_ = false;
    return;
  }
  std::vector<NodeId> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  if (ids.size() < 2) return;
  partitioned_ = true;
  uint64_t shape = fault_rng_.Uniform(3);
  NodeId leader = Leader();
  if (shape == 0) {  // random halves, symmetric
    std::set<NodeId> side;
    for (NodeId id : ids) if (fault_rng_.Bernoulli(0.5)) side.insert(id);
    for (NodeId a : ids)
      for (NodeId b : ids)
        if (side.contains(a) != side.contains(b)) blocked_.insert({a, b});
  } else if (shape == 1) {  // isolate the leader (or a random node), symmetric
    NodeId victim = leader != 0 ? leader : ids[fault_rng_.Uniform(ids.size())];
    for (NodeId b : ids)
      if (b != victim) blocked_.insert({victim, b}), blocked_.insert({b, victim});
  } else {  // one-way links: a random node cannot hear from (or cannot reach) some peers
    NodeId victim = leader != 0 && fault_rng_.Bernoulli(0.5) ? leader
                                                            : ids[fault_rng_.Uniform(ids.size())];
    bool inbound = fault_rng_.Bernoulli(0.5);
    for (NodeId b : ids) {
      if (b == victim || !fault_rng_.Bernoulli(0.7)) continue;
      blocked_.insert(inbound ? std::make_pair(b, victim) : std::make_pair(victim, b));
    }
  }
}

void Simulation::NemesisMembership() {
  NodeId leader = Leader();
  if (leader == 0) return;
  SimNode& l = NodeAt(leader);
  raft::ConfState conf = l.node->conf();
  size_t members = conf.voters.size() + conf.learners.size();
  std::vector<int> options;
  if (members < kMaxMembers && next_id_ <= kMaxNodeId) options.push_back(0);  // add
  if (!conf.learners.empty()) options.push_back(1);                           // promote
  if (conf.voters.size() > 1 || !conf.learners.empty()) options.push_back(2);  // remove
  if (options.empty()) return;
  raft::ConfChange cc;
  switch (options[fault_rng_.Uniform(options.size())]) {
    case 0:
      cc.type = fault_rng_.Bernoulli(0.5) ? raft::ConfChangeType::kAddLearner
                                          : raft::ConfChangeType::kAddVoter;
      cc.node = next_id_;
      break;
    case 1:
      cc.type = raft::ConfChangeType::kAddVoter;
      cc.node = conf.learners[fault_rng_.Uniform(conf.learners.size())];
      break;
    default: {
      std::vector<NodeId> candidates = conf.learners;
      if (conf.voters.size() > 1) {
        for (NodeId v : conf.voters) {
          if (v != leader || o_.remove_leader) candidates.push_back(v);
        }
      }
      if (candidates.empty()) return;
      cc.type = raft::ConfChangeType::kRemoveNode;
      cc.node = candidates[fault_rng_.Uniform(candidates.size())];
    }
  }
  if (l.node->ProposeConfChange(cc).ok() && cc.node == next_id_) ++next_id_;
  Pump(l);
}

void Simulation::Heal() {
  healed_ = true;
  blocked_.clear();
  partitioned_ = false;
  for (auto& [id, n] : nodes_) {
    if (!n->running && !n->removed) StartNode(id);
  }
}

std::string Simulation::DescribeNodes() const {
  std::ostringstream out;
  out << "\n  at t=" << now_ << "us; membership from the log: voters=[";
  for (NodeId v : conf_.voters) out << v << " ";
  out << "] learners=[";
  for (NodeId v : conf_.learners) out << v << " ";
  out << "]";
  for (const auto& [id, n] : nodes_) {
    out << "\n  node " << id << (n->removed ? " removed" : "") << (n->running ? "" : " down");
    if (!n->running) continue;
    raft::NodeStatus st = n->node->Status();
    out << " " << raft::RoleName(st.soft_state.role) << " term=" << st.hard_state.term
        << " vote=" << st.hard_state.vote << " lead=" << st.soft_state.leader
        << " commit=" << st.hard_state.commit << " applied=" << n->applied
        << " last=" << st.last_index << " voters=[";
    for (NodeId v : st.conf.voters) out << v << " ";
    out << "] learners=[";
    for (NodeId v : st.conf.learners) out << v << " ";
    out << "]";
    for (const auto& [peer, pr] : st.progress) {
      out << "\n    progress " << peer << ": match=" << pr.match << " next=" << pr.next << " "
          << pr.state << (pr.recent_active ? " active" : "");
    }
  }
  return out.str();
}

void Simulation::CheckAfterStep() {
  // Only nodes the event called into can have changed (every call is followed by Pump).
  for (NodeId id : touched_) {
    SimNode* n = nodes_.at(id).get();
    if (!n->running) continue;
    raft::Node& node = *n->node;
    inv_.ObserveRole(id, node.term(), node.role() == raft::Role::kLeader, now_);
    uint64_t commit = node.commit();
    if (commit < n->last_commit) {
      std::ostringstream out;
      out << "monotonicity: node " << id << " commit went from " << n->last_commit << " to "
          << commit;
      inv_.Fail(out.str());
    }
    n->last_commit = commit;
  }
  touched_.clear();
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  CHECK(options.voters >= 1 && options.voters <= kMaxMembers);
  Simulation sim(options);
  return sim.Run();
}

}  // namespace sim
