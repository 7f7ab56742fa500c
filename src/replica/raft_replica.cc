// replica/raft_replica.cc — see raft_replica.h for the contract and DESIGN_raft.md for the loop.
#include "replica/raft_replica.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "base/check.h"
#include "base/log.h"

namespace replica {

struct RaftReplica::Batch {
  bool must_sync = false;
  std::vector<raft::Message> messages;     // sent after the Sync
  std::vector<raft::Message> early;        // leader's MsgApp: sent before the Sync (see below)
  std::vector<Committed> committed;        // kNormal entries, in index order
  uint64_t applied_upto = 0;               // last committed index of any type (0: none)
  std::vector<std::pair<uint64_t, base::Status>> dropped;  // token → why
  std::vector<std::pair<ReadIndexCallback, base::Status>> read_failures;
  std::vector<std::pair<uint64_t, ReadIndexCallback>> read_waits;  // read index → callback
  // Membership changes and conf-change completions, in log order relative to `committed`:
  // each is delivered after the normal entries before it (`after` = count of committed entries
  // preceding it).
  struct ConfEvent {
    size_t after = 0;
    std::optional<raft::ConfChange> cc;
    std::function<void(base::Status)> done;
    base::Status status;
  };
  std::vector<ConfEvent> conf_events;
  bool closing = false;  // fail every read still waiting for its index to be applied
  // Install this snapshot (Applier::RestoreImage) before anything else in the batch.
  std::optional<raft::SnapshotMeta> restore;
  std::vector<std::pair<raft::Message, std::string>> snapshots;  // MsgSnap + image, after Sync
  bool empty_for_apply() const {
    return !closing && !restore && committed.empty() && conf_events.empty() && applied_upto == 0 && dropped.empty() && read_failures.empty() &&
           read_waits.empty();
  }
};

namespace {

Role ToRole(raft::Role r) {
  switch (r) {
    case raft::Role::kLeader: return Role::kLeader;
    case raft::Role::kFollower: return Role::kFollower;
    default: return Role::kCandidate;
  }
}

base::Status NotLeader() { return base::Status(base::Code::kNotLeader, "not leader"); }
base::Status LeadershipLost() {
  return base::Status(base::Code::kAborted, "leadership lost while committing log");
}
base::Status Closed() { return base::Unavailable("replica closed"); }

}  // namespace

RaftReplica::RaftReplica(const RaftReplicaOptions& o, base::Executor* raft_exec,
                         base::Executor* apply_exec, Applier* applier, Transport* transport)
    : options_(o),
      raft_exec_(raft_exec),
      apply_exec_(apply_exec),
      applier_(applier),
      transport_(transport) {}

base::Result<std::unique_ptr<RaftReplica>> RaftReplica::Open(
    const RaftReplicaOptions& options, fs::FileSystem* fs, base::Executor* raft_exec,
    base::Executor* apply_exec, Applier* applier, Transport* transport,
    const std::function<uint64_t(uint64_t, uint64_t)>& resolve_applied) {
  CHECK(options.node_id != raft::kNoNode);
  std::unique_ptr<RaftReplica> r(
      new RaftReplica(options, raft_exec, apply_exec, applier, transport));
  RQ_ASSIGN_OR_RETURN(r->log_, raftlog::Log::Open(fs, options.dir, options.log_options));
  const uint64_t first = r->log_->first_index(), last = r->log_->last_index();
  const uint64_t applied = resolve_applied(first, last);
  if (applied + 1 < first || applied > last) {
    return base::Corruption("log holds [" + std::to_string(first) + ", " + std::to_string(last) +
                            "] but the database applied index is " + std::to_string(applied));
  }
  raft::Config c;
  c.id = options.node_id;
  c.peers = options.peers;  // used by the Node only when the log is empty (bootstrap)
  c.election_ticks = options.election_ticks;
  c.heartbeat_ticks = options.heartbeat_ticks;
  c.applied = applied;
  r->random_ = std::make_unique<base::Random>(options.seed * 0x9E3779B97F4A7C15ull +
                                              options.node_id);
  r->raft_config_ = c;
  r->report_gate_->replica = r.get();  // shut by Close()
  r->node_ = std::make_unique<raft::Node>(c, r->log_.get(), r->random_.get());
  r->applied_ = applied;
  r->status_.id = options.node_id;
  r->status_.applied_index = applied;
  r->UpdateStatus();
  // First drain: persists a bootstrap and replays committed entries after `applied`. The sole
  // voter of a one-node cluster campaigns at once instead of waiting an election timeout.
  const raft::ConfState conf = r->node_->conf();
  const bool sole_voter = conf.voters.size() == 1 && conf.voters[0] == options.node_id;
  r->Enqueue([sole_voter](Inbox& in) { in.campaign = sole_voter; });
  return r;
}

RaftReplica::~RaftReplica() { Close(); }

bool RaftReplica::Enqueue(const std::function<void(Inbox&)>& add) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  add(inbox_);
  if (!drain_scheduled_) {
    drain_scheduled_ = true;
    tasks_in_flight_++;
    raft_exec_->Post([this] { Drain(); });
  }
  return true;
}

void RaftReplica::Propose(std::string data, uint64_t token) {
  bool queued = Enqueue([&](Inbox& in) {
    in.proposals.push_back({std::move(data), token});
    stats_.proposals++;
  });
  if (!queued) applier_->Dropped(token, base::Unavailable("store not open"));
}

void RaftReplica::OnMessage(raft::Message m) {
  Enqueue([&](Inbox& in) { in.messages.push_back(std::move(m)); });
}

void RaftReplica::OnUnreachable(raft::NodeId peer) {
  Enqueue([&](Inbox& in) {
    for (raft::NodeId id : in.unreachable) {
      if (id == peer) return;
    }
    in.unreachable.push_back(peer);
  });
}

void RaftReplica::Tick() {
  Enqueue([](Inbox& in) { in.ticks++; });
}

void RaftReplica::Campaign() {
  Enqueue([](Inbox& in) { in.campaign = true; });
}

void RaftReplica::TransferLeadership(raft::NodeId to) {
  Enqueue([&](Inbox& in) { in.transfer_to = to; });
}

void RaftReplica::ReadIndex(ReadIndexCallback cb) {
  bool queued = Enqueue([&](Inbox& in) { in.reads.push_back(std::move(cb)); });
  if (!queued) cb(Closed());
}

void RaftReplica::Bootstrap(std::vector<BootstrapPeer> peers,
                            std::function<void(base::Status)> done) {
  bool queued = Enqueue([&](Inbox& in) {
    if (in.bootstrap_done) {
      apply_exec_->Post([d = std::move(in.bootstrap_done)] {
        d(base::Status(base::Code::kAborted, "superseded by another bootstrap request"));
      });
    }
    in.bootstrap = std::move(peers);
    in.bootstrap_done = std::move(done);
  });
  if (!queued) done(Closed());
}

void RaftReplica::DoBootstrap(std::vector<BootstrapPeer>& peers,
                              std::function<void(base::Status)> done, Batch& out) {
  base::Status st = base::Status::Ok();
  if (log_->last_index() != 0 || log_->snapshot().index != 0) {
    st = base::Status(base::Code::kAlreadyExists, "cluster already bootstrapped");
  } else if (peers.empty()) {
    st = base::InvalidArgument("bootstrap needs at least one voter");
  } else {
    std::sort(peers.begin(), peers.end(),
              [](const BootstrapPeer& a, const BootstrapPeer& b) { return a.id < b.id; });
    std::vector<raft::Entry> ents;
    for (const BootstrapPeer& p : peers) {
      raft::ConfChange cc{raft::ConfChangeType::kAddVoter, p.id, p.context};
      ents.push_back(raft::Entry{1, ents.size() + 1, raft::EntryType::kConfChange,
                                 raft::EncodeConfChange(cc)});
    }
    // Keep any term/vote the empty node already recorded (it may have voted while waiting).
    raft::HardState hs = log_->hard_state();
    hs.term = std::max<uint64_t>(hs.term, 1);
    hs.commit = ents.size();
    CHECK_OK(log_->Append(ents));
    CHECK_OK(log_->SetHardState(hs));
    CHECK_OK(log_->Sync());
    raft::Config c = raft_config_;
    c.peers.clear();
    c.applied = 0;
    node_ = std::make_unique<raft::Node>(c, log_.get(), random_.get());
    leading_ = false;
    if (peers.size() == 1 && peers[0].id == options_.node_id) node_->Campaign().IgnoreError();
  }
  out.conf_events.push_back({out.committed.size(), std::nullopt, std::move(done), st});
}

void RaftReplica::Compact(uint64_t index) {
  Enqueue([&](Inbox& in) {
    in.has_compact = true;
    in.compact_index = std::max(in.compact_index, index);
  });
}

void RaftReplica::Drain() {
  Inbox in;
  bool closed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(in, inbox_);
    drain_scheduled_ = false;
    closed = closed_;
  }
  Batch out;
  if (closed) {
    for (auto& p : in.proposals) out.dropped.emplace_back(p.token, Closed());
    for (auto& c : in.conf_changes) {
      out.conf_events.push_back({0, std::nullopt, std::move(c.done), Closed()});
    }
    for (auto& cb : in.reads) out.read_failures.emplace_back(std::move(cb), Closed());
    if (in.bootstrap_done) {
      out.conf_events.push_back({0, std::nullopt, std::move(in.bootstrap_done), Closed()});
    }
  } else {
    FeedInputs(in, out);
  }
  RunReadyLoop(out);
  Publish(out);
  if (in.has_compact && !closed) DoCompact(in.compact_index);
  UpdateStatus();
  TaskDone();
}

void RaftReplica::FeedInputs(Inbox& in, Batch& out) {
  FeedSnapshots(in);
  if (in.bootstrap_done) DoBootstrap(in.bootstrap, std::move(in.bootstrap_done), out);
  for (int i = 0; i < in.ticks; ++i) node_->Tick();
  bool leader_contact = false;
  for (raft::Message& m : in.messages) {
    if (m.type == raft::MessageType::kSnap) {
      // Snapshot data streaming is not implemented: never install metadata without data.
      LOG(kError, "replica") << "dropping MsgSnap from " << m.from << " at index "
                             << m.snapshot.index << ": snapshot transfer not supported";
      continue;
    }
    const raft::NodeId from = m.from;
    base::Status st = node_->Step(m);
    if (!st.ok()) {
      LOG(kWarn, "replica") << "step: " << st.ToString();
    }
    if (from != raft::kNoNode && from == node_->leader()) leader_contact = true;
    if (from != raft::kNoNode && options_.clock != nullptr) {
      peer_contact_ns_[from] = options_.clock->MonotonicNanos();
    }
  }
  if (leader_contact && options_.clock != nullptr) {
    last_contact_ns_ = options_.clock->MonotonicNanos();
  }
  for (raft::NodeId id : in.unreachable) node_->ReportUnreachable(id);
  if (in.campaign) node_->Campaign().IgnoreError();
  if (in.transfer_to != raft::kNoNode) {
    base::Status st = node_->TransferLeadership(in.transfer_to);
    if (!st.ok()) {
      LOG(kInfo, "replica") << "transfer: " << st.ToString();
    }
  }
  // Role changes caused by the inputs above must be seen before proposals are accepted.
  RunReadyLoop(out);
  FeedProposals(in.proposals, out);
  FeedConfChanges(in.conf_changes, out);
  FeedReads(in.reads, out);
}

void RaftReplica::FeedConfChanges(std::vector<ConfProposal>& ccs, Batch& out) {
  for (auto& p : ccs) {
    if (node_->role() != raft::Role::kLeader) {
      out.conf_events.push_back({out.committed.size(), std::nullopt, std::move(p.done),
                                 NotLeader()});
      continue;
    }
    const uint64_t index = node_->Status().last_index + 1;
    base::Status st = node_->ProposeConfChange(p.cc);
    if (!st.ok()) {
      out.conf_events.push_back({out.committed.size(), std::nullopt, std::move(p.done), st});
      continue;
    }
    pending_conf_[index] = PendingConf{node_->term(), std::move(p.done)};
  }
}

void RaftReplica::ChangeMembership(raft::ConfChange cc, std::function<void(base::Status)> done) {
  bool queued = Enqueue([&](Inbox& in) { in.conf_changes.push_back({cc, std::move(done)}); });
  if (!queued) done(Closed());
}

void RaftReplica::FeedProposals(std::vector<Proposal>& props, Batch& out) {
  if (props.empty()) return;
  if (node_->role() != raft::Role::kLeader) {
    for (auto& p : props) out.dropped.emplace_back(p.token, NotLeader());
    return;
  }
  uint64_t last = node_->Status().last_index;
  const uint64_t term = node_->term();
  for (auto& p : props) {
    base::Status st = node_->Propose(std::move(p.data));
    if (!st.ok()) {
      out.dropped.emplace_back(p.token, st);
      continue;
    }
    ++last;  // a leader appends exactly one entry per accepted proposal
    if (p.token != 0) pending_[last] = Pending{term, p.token};
  }
}

void RaftReplica::FeedReads(std::vector<ReadIndexCallback>& reads, Batch& out) {
  for (auto& cb : reads) {
    if (node_->role() != raft::Role::kLeader) {
      out.read_failures.emplace_back(std::move(cb), NotLeader());
      continue;
    }
    std::string ctx(8, '\0');
    uint64_t id = next_read_ctx_++;
    for (int i = 0; i < 8; ++i) ctx[i] = static_cast<char>(id >> (8 * i));
    reads_[ctx] = std::move(cb);
    node_->ReadIndex(std::move(ctx));
  }
}

void RaftReplica::RunReadyLoop(Batch& out) {
  while (node_->HasReady()) {
    raft::Ready rd = node_->GetReady();
    for (auto& m : rd.pre_persist_messages) out.messages.push_back(std::move(m));
    if (rd.soft_state) {
      const bool now = rd.soft_state->role == raft::Role::kLeader;
      if (leading_ && !now) OnLeadershipLost(out);
      if (!leading_ && now && options_.clock != nullptr) {
        leader_since_ns_ = options_.clock->MonotonicNanos();
      }
      leading_ = now;
    }
    if (rd.snapshot) InstallSnapshot(*rd.snapshot, out);
    if (!rd.entries.empty()) CHECK_OK(log_->Append(rd.entries));
    if (rd.hard_state) CHECK_OK(log_->SetHardState(*rd.hard_state));
    out.must_sync = out.must_sync || rd.must_sync;
    std::vector<raft::NodeId> snap_failed;
    for (auto& m : rd.messages) {
      if (m.type == raft::MessageType::kSnap) {
        std::string path;
        if (PrepareSnapshot(m, &path)) {
          out.snapshots.emplace_back(std::move(m), std::move(path));
        } else {
          snap_failed.push_back(m.to);
        }
        continue;
      }
      // The leader's own log write may overlap the followers' (Raft thesis §10.2.1): the
      // leader's MsgApp goes out before this drain's Sync. Safe because a commit counting the
      // leader's copy can only follow a follower's ack of this MsgApp, which is stepped in a
      // LATER drain, after this Sync; and every other effect still waits for the Sync.
      if (m.type == raft::MessageType::kApp && leading_) {
        out.early.push_back(std::move(m));
      } else {
        out.messages.push_back(std::move(m));
      }
    }
    HandleCommitted(rd.committed_entries, out);
    for (auto& rs : rd.read_states) {
      auto it = reads_.find(rs.context);
      if (it == reads_.end()) continue;
      out.read_waits.emplace_back(rs.index, std::move(it->second));
      reads_.erase(it);
    }
    node_->Advance(rd);
    for (raft::NodeId id : snap_failed) node_->ReportSnapshot(id, false);
  }
}

void RaftReplica::HandleCommitted(std::vector<raft::Entry>& entries, Batch& out) {
  for (raft::Entry& e : entries) {
    out.applied_upto = e.index;
    uint64_t token = 0;
    while (!pending_.empty() && pending_.begin()->first <= e.index) {
      auto [idx, p] = *pending_.begin();
      pending_.erase(pending_.begin());
      if (idx == e.index && p.term == e.term) {
        token = p.token;
      } else {
        out.dropped.emplace_back(p.token, LeadershipLost());
      }
    }
    if (e.type == raft::EntryType::kNormal) {
      out.committed.push_back({e.index, e.term, std::move(e.data), token});
    } else if (token != 0) {
      out.dropped.emplace_back(token, LeadershipLost());  // cannot happen: tokens are kNormal
    }
    if (e.type == raft::EntryType::kConfChange) HandleCommittedConf(e, out);
  }
}

void RaftReplica::HandleCommittedConf(const raft::Entry& e, Batch& out) {
  Batch::ConfEvent ev;
  ev.after = out.committed.size();
  auto cc = raft::DecodeConfChange(e.data);
  CHECK(cc.ok()) << "committed conf change at " << e.index << " is malformed";
  ev.cc = *cc;
  for (auto p = pending_conf_.begin(); p != pending_conf_.end() && p->first <= e.index;) {
    if (p->first == e.index && p->second.term == e.term) {
      ev.done = std::move(p->second.done);
      ev.status = base::Status::Ok();
    } else {
      out.conf_events.push_back({out.committed.size(), std::nullopt, std::move(p->second.done),
                                 LeadershipLost()});
    }
    p = pending_conf_.erase(p);
  }
  out.conf_events.push_back(std::move(ev));
}

void RaftReplica::OnLeadershipLost(Batch& out) {
  for (auto& [idx, p] : pending_conf_) {
    out.conf_events.push_back({out.committed.size(), std::nullopt, std::move(p.done),
                               LeadershipLost()});
  }
  pending_conf_.clear();
  for (auto& [idx, p] : pending_) out.dropped.emplace_back(p.token, LeadershipLost());
  pending_.clear();
  for (auto& [ctx, cb] : reads_) {
    out.read_failures.emplace_back(std::move(cb),
                                   base::Status(base::Code::kAborted, "leadership lost"));
  }
  reads_.clear();
}

void RaftReplica::Publish(Batch& out) {
  for (auto& m : out.early) transport_->Send(std::move(m));
  out.early.clear();
  if (out.must_sync) {
    CHECK_OK(log_->Sync());  // ONE fdatasync for every Ready gathered in this drain
    syncs_++;
  }
  for (auto& m : out.messages) transport_->Send(std::move(m));
  out.messages.clear();
  for (auto& [m, path] : out.snapshots) {
    const raft::NodeId to = m.to;
    transport_->SendSnapshot(std::move(m), std::move(path), [gate = report_gate_, to](bool ok) {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (gate->replica == nullptr) return;  // closed meanwhile
      gate->replica->Enqueue([&](Inbox& in) { in.snapshot_reports.emplace_back(to, ok); });
    });
  }
  out.snapshots.clear();
  if (out.empty_for_apply()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_in_flight_++;
  }
  auto b = std::make_shared<Batch>(std::move(out));
  apply_exec_->Post([this, b] {
    ApplyOnApplyExec(*b);
    TaskDone();
  });
}

void RaftReplica::ApplyOnApplyExec(Batch& b) {
  if (b.restore) {
    base::Status st = applier_->RestoreImage(*b.restore);
    CHECK(st.ok()) << "installing snapshot " << b.restore->index << ": " << st.ToString();
    applied_ = std::max(applied_, b.restore->index);
    std::lock_guard<std::mutex> lock(mu_);
    status_.applied_index = applied_;
  }
  // Entries and membership events interleave in log order.
  size_t done = 0;
  for (auto& ev : b.conf_events) {
    if (ev.after > done) {
      std::vector<Committed> part(std::make_move_iterator(b.committed.begin() + done),
                                  std::make_move_iterator(b.committed.begin() + ev.after));
      applier_->Apply(part);
      done = ev.after;
    }
    if (ev.cc && options_.on_membership) options_.on_membership(*ev.cc);
    if (ev.done) ev.done(ev.status);
  }
  if (done == 0) {
    if (!b.committed.empty()) applier_->Apply(b.committed);
  } else if (done < b.committed.size()) {
    std::vector<Committed> rest(std::make_move_iterator(b.committed.begin() + done),
                                std::make_move_iterator(b.committed.end()));
    applier_->Apply(rest);
  }
  if (b.applied_upto > applied_) {
    applied_ = b.applied_upto;
    std::lock_guard<std::mutex> lock(mu_);  // visible before any callback below runs
    status_.applied_index = applied_;
  }
  for (auto& [token, st] : b.dropped) applier_->Dropped(token, st);
  for (auto& [cb, st] : b.read_failures) cb(st);
  for (auto& [idx, cb] : b.read_waits) read_waiters_.emplace(idx, std::move(cb));
  ReleaseReads();
  if (b.closing) {
    for (auto& [idx, cb] : read_waiters_) cb(Closed());
    read_waiters_.clear();
  }
}

void RaftReplica::ReleaseReads() {
  while (!read_waiters_.empty() && read_waiters_.begin()->first <= applied_) {
    auto node = read_waiters_.extract(read_waiters_.begin());
    node.mapped()(node.key());
  }
}

void RaftReplica::DoCompact(uint64_t index) {
  // Keep trailing entries for slow followers (no snapshot streaming yet); never compact past
  // what the applier has seen committed.
  uint64_t upto = index > options_.trailing_logs ? index - options_.trailing_logs : 0;
  upto = std::min(upto, node_->applied());
  if (upto <= log_->snapshot().index || upto > log_->last_index()) return;
  auto term = log_->Term(upto);
  base::Status st = term.ok() ? log_->SetSnapshot({upto, *term, node_->conf()}) : term.status();
  if (st.ok()) st = log_->Compact(upto);
  if (!st.ok()) {
    LOG(kWarn, "replica") << "log compaction failed: " << st.ToString();
  }
}

// ---- snapshots (raft executor unless noted) ----

void RaftReplica::OnSnapshot(raft::Message m, std::string image_path, uint64_t size,
                             uint32_t crc) {
  bool queued = Enqueue([&](Inbox& in) {
    in.snapshots.push_back({std::move(m), image_path, size, crc});
  });
  if (!queued) ::unlink(image_path.c_str());
}

void RaftReplica::FeedSnapshots(Inbox& in) {
  for (auto& [to, ok] : in.snapshot_reports) node_->ReportSnapshot(to, ok);
  // Images of earlier drains the Node did not install (it installs within the Ready loop that
  // follows the Step) can no longer be installed once the commit index reached them.
  for (auto it = incoming_.begin(); it != incoming_.end() && it->first <= node_->commit();) {
    ::unlink(it->second.path.c_str());
    it = incoming_.erase(it);
  }
  for (IncomingSnapshot& s : in.snapshots) {
    const uint64_t index = s.m.snapshot.index;
    if (s.m.type != raft::MessageType::kSnap || index <= node_->commit()) {
      ::unlink(s.path.c_str());  // stale (or not a snapshot): nothing to install
      continue;
    }
    auto old = incoming_.find(index);
    if (old != incoming_.end()) ::unlink(old->second.path.c_str());
    raft::Message m = s.m;
    incoming_[index] = std::move(s);
    base::Status st = node_->Step(std::move(m));
    if (!st.ok()) {
      LOG(kWarn, "replica") << "step snapshot: " << st.ToString();
    }
  }
}

// Leader: describe the applier's newest image instead of the log's snapshot metadata (which
// trails it by the kept entries). False: no usable image (raft retries after the report).
bool RaftReplica::PrepareSnapshot(raft::Message& m, std::string* path) {
  auto img = applier_->LatestImage();
  if (!img.ok()) {
    LOG(kInfo, "replica") << "follower " << m.to << " needs a snapshot: " << img.status().ToString();
    return false;
  }
  if (img->index < log_->snapshot().index || img->index > log_->last_index()) {
    LOG(kWarn, "replica") << "snapshot image " << img->index << " outside the log ["
                          << log_->snapshot().index << ", " << log_->last_index() << "]";
    return false;
  }
  auto term = log_->Term(img->index);
  if (!term.ok()) return false;
  m.snapshot = raft::SnapshotMeta{img->index, *term, node_->conf()};
  m.context = std::move(img->context);
  *path = img->path;
  LOG(kInfo, "replica") << "streaming snapshot " << img->index << " to " << m.to;
  return true;
}

// Follower: the Node accepted a MsgSnap. Adopt the image, record the snapshot in the log (which
// drops the older entries; durable), and restore the state machine before later entries.
void RaftReplica::InstallSnapshot(const raft::SnapshotMeta& meta, Batch& out) {
  auto it = incoming_.find(meta.index);
  CHECK(it != incoming_.end()) << "snapshot " << meta.index << " accepted without its image";
  base::Status st = applier_->AdoptImage(it->second.path, it->second.size, it->second.crc, meta,
                                         it->second.m.context);
  CHECK(st.ok()) << "adopting snapshot " << meta.index << ": " << st.ToString();
  incoming_.erase(it);
  CHECK_OK(log_->SetSnapshot(meta));  // also syncs everything buffered so far
  if (!out.empty_for_apply()) PostApply(out);  // entries committed before it apply first
  out.restore = meta;
  LOG(kInfo, "replica") << "installed snapshot " << meta.index << " term " << meta.term;
}

// Posts the apply half of `out` now (its log writes are already durable) and clears it.
void RaftReplica::PostApply(Batch& out) {
  auto b = std::make_shared<Batch>();
  std::swap(b->committed, out.committed);
  std::swap(b->applied_upto, out.applied_upto);
  std::swap(b->dropped, out.dropped);
  std::swap(b->read_failures, out.read_failures);
  std::swap(b->read_waits, out.read_waits);
  std::swap(b->conf_events, out.conf_events);
  std::swap(b->restore, out.restore);
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_in_flight_++;
  }
  apply_exec_->Post([this, b] {
    ApplyOnApplyExec(*b);
    TaskDone();
  });
}

void RaftReplica::UpdateStatus() {
  const bool leader = node_->role() == raft::Role::kLeader;
  std::lock_guard<std::mutex> lock(mu_);
  status_.leader = node_->leader();
  status_.role = ToRole(node_->role());
  status_.term = node_->term();
  status_.commit_index = node_->commit();
  status_.conf = node_->conf();
  status_.last_contact_mono_ns = leader ? 0 : last_contact_ns_;
  status_.peer_contact_mono_ns.clear();
  if (leader) {
    for (const auto* ids : {&status_.conf.voters, &status_.conf.learners}) {
      for (raft::NodeId id : *ids) {
        if (id == options_.node_id) continue;
        auto it = peer_contact_ns_.find(id);
        status_.peer_contact_mono_ns[id] =
            std::max(leader_since_ns_, it == peer_contact_ns_.end() ? 0 : it->second);
      }
    }
  }
  status_.last_log_index = log_->last_index();
  status_.snapshot_index = log_->snapshot().index;
  stats_.role = status_.role;
  stats_.term = status_.term;
  stats_.commit_index = status_.commit_index;
  stats_.first_log_index = log_->first_index();
  stats_.last_log_index = log_->last_index();
  stats_.snapshot_index = log_->snapshot().index;
  auto t = log_->Term(stats_.last_log_index);
  stats_.last_log_term = t.ok() ? *t : 0;
  stats_.syncs = syncs_;
  is_leader_.store(leader && !closed_);
}

RaftStatus RaftReplica::GetRaftStatus() const {
  std::lock_guard<std::mutex> lock(mu_);
  RaftStatus s = status_;
  if (closed_) s.role = Role::kShutdown;
  return s;
}

Stats RaftReplica::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  if (closed_) s.role = Role::kShutdown;
  return s;
}

void RaftReplica::TaskDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--tasks_in_flight_ == 0) cv_.notify_all();
}

void RaftReplica::Close() {
  {
    std::lock_guard<std::mutex> gate(report_gate_->mu);
    report_gate_->replica = nullptr;  // no snapshot report reaches this object from now on
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (!closed_) {
    closed_ = true;
    is_leader_.store(false);
    tasks_in_flight_++;
    raft_exec_->Post([this] {
      // Every accepted proposal and read still waiting will never be answered now.
      Batch out;
      for (auto& [idx, p] : pending_) out.dropped.emplace_back(p.token, Closed());
      pending_.clear();
      for (auto& [idx, p] : pending_conf_) {
        out.conf_events.push_back({0, std::nullopt, std::move(p.done), Closed()});
      }
      pending_conf_.clear();
      for (auto& [ctx, cb] : reads_) out.read_failures.emplace_back(std::move(cb), Closed());
      reads_.clear();
      out.closing = true;
      Publish(out);
      TaskDone();
    });
  }
  cv_.wait(lock, [this] { return tasks_in_flight_ == 0; });
}

}  // namespace replica
