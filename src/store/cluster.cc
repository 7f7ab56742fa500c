// StoreImpl: the Raft side of the store — start-up decisions (cluster-semantics.md §2.1),
// membership (§2.2, §2.3, §4, §6), leader/node views, read-consistency helpers (§7).
#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "base/check.h"
#include "base/log.h"
#include "raftlog/log.h"
#include "store/store_impl.h"

namespace store {
namespace {

const base::Status kNotOpenStatus(base::Code::kUnavailable, "store not open");

// Waits on `f` polling `deadline` (monotonic ns of `clock`); false on timeout.
template <typename T>
bool WaitFor(std::future<T>& f, const base::Clock* clock, int64_t deadline) {
  const int64_t left = deadline - clock->MonotonicNanos();
  if (left <= 0) return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  return f.wait_for(std::chrono::nanoseconds(left)) == std::future_status::ready;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Start-up

base::Status StoreImpl::ConvertLegacyLog(fs::FileSystem* fs) {
  // A pre-Raft single-node directory: <dir>/log holds a raftlog written by the old single-node
  // replica (every entry committed, no ConfChange entries; a compaction's snapshot metadata
  // names the old numeric id). Append the membership of a one-voter cluster of this node (add
  // self, remove the old id) at the end, committed, then move the log to <dir>/raft/log.
  const std::string old_dir = config_.dir + "/log", raft_dir = config_.dir + "/raft";
  if (!fs->Exists(old_dir) || fs->Exists(raft_dir)) return base::Status::Ok();
  if (config_.join || config_.bootstrap_expect > 0 || config_.non_voter) {
    return base::InvalidArgument(
        "data directory holds a single-node (pre-Raft) log: start it once without -join, "
        "-bootstrap-expect or -raft-non-voter to convert it, or use an empty directory");
  }
  LOG(kInfo, "store") << "converting single-node log " << old_dir << " into a Raft log";
  {
    RQ_ASSIGN_OR_RETURN(auto log, raftlog::Log::Open(fs, old_dir, {}));
    const uint64_t last = log->last_index();
    auto last_term = log->Term(last);
    uint64_t term = std::max<uint64_t>(log->hard_state().term, 1);
    if (last_term.ok()) term = std::max(term, *last_term);
    std::vector<raft::Entry> ents;
    auto add = [&](const raft::ConfChange& cc) {
      ents.push_back(raft::Entry{term, last + ents.size() + 1, raft::EntryType::kConfChange,
                                 raft::EncodeConfChange(cc)});
    };
    add({raft::ConfChangeType::kAddVoter, self_,
         EncodeMember({config_.node_id, config_.raft_addr, true})});
    for (raft::NodeId old : log->snapshot().conf.voters) {
      if (old != self_) add({raft::ConfChangeType::kRemoveNode, old, ""});
    }
    RQ_RETURN_IF_ERROR(log->Append(ents));
    RQ_RETURN_IF_ERROR(log->SetHardState({term, raft::kNoNode, ents.back().index}));
    RQ_RETURN_IF_ERROR(log->Sync());
  }
  RQ_RETURN_IF_ERROR(fs->CreateDir(raft_dir));
  RQ_RETURN_IF_ERROR(fs->Rename(old_dir, raft_dir + "/log"));
  RQ_RETURN_IF_ERROR(fs->SyncDir(raft_dir));
  return fs->SyncDir(config_.dir);
}

base::Status StoreImpl::OpenReplica(fs::FileSystem* fs,
                                    const std::function<uint64_t(uint64_t, uint64_t)>& resolve) {
  self_ = NodeIdFor(config_.node_id);
  RQ_RETURN_IF_ERROR(ConvertLegacyLog(fs));
  const std::string raft_dir = config_.dir + "/raft";
  RQ_RETURN_IF_ERROR(fs->CreateDir(raft_dir));
  RQ_RETURN_IF_ERROR(RecoverFromPeersJson(fs));
  members_ = std::make_unique<Members>(fs, raft_dir + "/members");
  RQ_RETURN_IF_ERROR(members_->Load());
  if (deps_.on_peer) {
    for (const auto& [id, m] : members_->All()) {
      if (id != self_) deps_.on_peer(id, m.raft_addr);
    }
  }
  replica::RaftReplicaOptions o;
  o.node_id = self_;
  o.dir = raft_dir + "/log";
  o.election_ticks = config_.raft_election_ticks;
  o.heartbeat_ticks = config_.raft_heartbeat_ticks;
  o.seed = config_.raft_seed != 0 ? config_.raft_seed : (config_.random_seed ^ self_) | 1;
  o.trailing_logs = config_.trailing_logs;
  // Entries are read back at start-up and by lagging followers: keep the decoded cache modest.
  o.log_options.cache_bytes = 8 << 20;
  o.log_options.segment_bytes = 32ull << 20;
  o.on_membership = [this](const raft::ConfChange& cc) { OnMembership(cc); };
  o.clock = deps_.clock;
  replica::Transport* transport = deps_.transport ? deps_.transport : &null_transport_;
  RQ_ASSIGN_OR_RETURN(replica_, replica::RaftReplica::Open(o, fs, deps_.log, deps_.apply, this,
                                                          transport, resolve));
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  const bool fresh = rs.last_log_index == 0 && rs.snapshot_index == 0;
  if (fresh && !config_.join && config_.bootstrap_expect == 0) {
    if (config_.non_voter) {
      return base::InvalidArgument(
          "cannot create a new non-voting node without joining it to an existing cluster");
    }
    // §2.1: a fresh node without -join bootstraps a one-voter cluster of itself.
    auto p = std::make_shared<std::promise<base::Status>>();
    auto f = p->get_future();
    replica_->Bootstrap({{self_, EncodeMember({config_.node_id, config_.raft_addr, true})}},
                        [p](base::Status st) { p->set_value(st); });
    RQ_RETURN_IF_ERROR(f.get());
    std::lock_guard<std::mutex> lock(notify_mu_);
    bootstrapped_ = true;
  }
  // The sole voter campaigns at once: wait (bounded) until it leads, so the first request
  // after Open does not see "not leader".
  // (The status is published at the end of the drain that ran the bootstrap, possibly after
  // `done` ran: a fresh bootstrap of this node alone is a sole voter too.)
  const raft::ConfState conf = replica_->GetRaftStatus().conf;
  const bool bootstrapped_alone = fresh && !config_.join && config_.bootstrap_expect == 0;
  if (bootstrapped_alone || (conf.voters.size() == 1 && conf.voters[0] == self_)) {
    const int64_t deadline = deps_.clock->MonotonicNanos() + 5'000'000'000;
    while (!replica_->IsLeader() && deps_.clock->MonotonicNanos() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  return base::Status::Ok();
}

void StoreImpl::OnMembership(const raft::ConfChange& cc) {
  std::optional<Member> m = members_->Apply(cc);
  LOG(kInfo, "store") << "membership: "
                      << (cc.type == raft::ConfChangeType::kRemoveNode ? "removed " : "added ")
                      << (m ? m->id : std::to_string(cc.node))
                      << (cc.type == raft::ConfChangeType::kAddLearner ? " (non-voter)" : "");
  if (cc.node == self_) {
    if (cc.type == raft::ConfChangeType::kRemoveNode && deps_.on_removed) deps_.on_removed();
    return;
  }
  if (!deps_.on_peer) return;
  if (cc.type == raft::ConfChangeType::kRemoveNode) {
    deps_.on_peer(cc.node, "");
  } else if (m) {
    deps_.on_peer(cc.node, m->raft_addr);
  }
}

void StoreImpl::RaftTick() {
  if (closed_) return;
  replica_->Tick();
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  if (rs.applied_index >= rs.commit_index) caught_up_mono_ns_ = deps_.clock->MonotonicNanos();
  ExpireLinearizableReads();
  if (rs.role == replica::Role::kLeader &&
      (config_.reap_timeout_ns > 0 || config_.reap_read_only_timeout_ns > 0)) {
    ReapUnreachable(rs);
  }
}

void StoreImpl::ReapUnreachable(const replica::RaftStatus& rs) {
  const int64_t now = deps_.clock->MonotonicNanos();
  for (const auto& [id, contact] : rs.peer_contact_mono_ns) {
    const bool voter = std::find(rs.conf.voters.begin(), rs.conf.voters.end(), id) !=
                       rs.conf.voters.end();
    const int64_t timeout = voter ? config_.reap_timeout_ns : config_.reap_read_only_timeout_ns;
    if (timeout <= 0 || now - contact <= timeout) continue;
    {
      std::lock_guard<std::mutex> lock(reap_mu_);
      if (!reaping_.insert(id).second) continue;  // already being removed
    }
    std::optional<Member> m = members_->Get(id);
    const std::string name = m ? m->id : std::to_string(id);
    LOG(kInfo, "store") << "reaping " << (voter ? "voter " : "non-voter ") << name
                        << ": unreachable for longer than " << timeout / 1'000'000 << " ms";
    replica_->ChangeMembership({raft::ConfChangeType::kRemoveNode, id, ""},
                               [this, id, name](base::Status st) {
                                 if (!st.ok()) {
                                   LOG(kWarn, "store") << "reaping " << name << ": "
                                                       << st.ToString();
                                 }
                                 std::lock_guard<std::mutex> lock(reap_mu_);
                                 reaping_.erase(id);
                               });
  }
}

// ---------------------------------------------------------------------------------------------
// Leader / nodes

base::Status StoreImpl::LeaderError() const {
  if (replica_ && replica_->GetRaftStatus().leader != raft::kNoNode) {
    return base::Status(base::Code::kNotLeader, "not leader");
  }
  return base::Status(base::Code::kNoLeader, "leader not found");
}

bool StoreImpl::IsVoter() const {
  const raft::ConfState conf = replica_->GetRaftStatus().conf;
  for (raft::NodeId v : conf.voters) {
    if (v == self_) return true;
  }
  // Not (yet) in the configuration: a voter unless started as a read replica.
  for (raft::NodeId l : conf.learners) {
    if (l == self_) return false;
  }
  return !config_.non_voter;
}

api::LeaderInfo StoreImpl::Leader() {
  if (!open_) return {};
  const raft::NodeId leader = replica_->GetRaftStatus().leader;
  if (leader == raft::kNoNode) return {};
  if (leader == self_) return {config_.node_id, config_.raft_addr, config_.api_url};
  std::optional<Member> m = members_->Get(leader);
  if (!m) return {};
  return {m->id, m->raft_addr, ""};  // the cluster decorator fills the API URL
}

std::vector<api::NodeInfo> StoreImpl::Nodes(const api::NodesRequest& request) {
  const bool include_non_voters = request.include_non_voters;
  if (!open_) return {};
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  const auto members = members_->All();
  std::vector<api::NodeInfo> out;
  auto add = [&](raft::NodeId id, bool voter) {
    api::NodeInfo n;
    auto it = members.find(id);
    n.id = it != members.end() ? it->second.id : std::to_string(id);
    n.raft_addr = it != members.end() ? it->second.raft_addr : "";
    n.voter = voter;
    n.leader = id == rs.leader;
    if (id == self_) {
      n.id = config_.node_id;
      n.raft_addr = config_.raft_addr;
      n.api_addr = config_.api_url;
      n.version = config_.version;
      n.reachable = true;
    }
    out.push_back(std::move(n));
  };
  for (raft::NodeId id : rs.conf.voters) add(id, true);
  if (include_non_voters) {
    for (raft::NodeId id : rs.conf.learners) add(id, false);
  }
  std::sort(out.begin(), out.end(),
            [](const api::NodeInfo& a, const api::NodeInfo& b) { return a.id < b.id; });
  return out;
}

bool StoreImpl::Ready() {
  return open_.load() && replica_->GetRaftStatus().leader != raft::kNoNode;
}

// ---------------------------------------------------------------------------------------------
// Membership changes (leader)

base::Status StoreImpl::ChangeMembershipSync(const raft::ConfChange& cc) {
  const int64_t deadline = deps_.clock->MonotonicNanos() + config_.raft_apply_timeout_ns;
  while (true) {
    auto p = std::make_shared<std::promise<base::Status>>();
    auto f = p->get_future();
    replica_->ChangeMembership(cc, [p](base::Status st) { p->set_value(std::move(st)); });
    if (!WaitFor(f, deps_.clock, deadline)) {
      return base::Status(base::Code::kTimeout, "timeout waiting for membership change");
    }
    base::Status st = f.get();
    // kUnavailable: another change is still pending, or the new leader has not committed in
    // its term yet. Both clear within a few round trips.
    if (st.code() != base::Code::kUnavailable || st.message() == "replica closed") return st;
    if (deps_.clock->MonotonicNanos() >= deadline) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

base::Status StoreImpl::Join(const api::JoinRequest& req) {
  if (!open_) return kNotOpenStatus;
  if (req.id.empty() || req.raft_addr.empty()) {
    return base::InvalidArgument("join request needs a node ID and an address");
  }
  if (!replica_->IsLeader()) return LeaderError();
  const raft::NodeId nid = NodeIdFor(req.id);
  if (std::optional<Member> m = members_->Get(nid); m && m->id != req.id) {
    return base::InvalidArgument("node ID " + req.id + " collides with member " + m->id +
                                 " (same Raft id); choose another -node-id");
  }
  auto by_id = members_->FindById(req.id);
  auto by_addr = members_->FindByAddr(req.raft_addr);
  if (by_id && by_id->second.raft_addr == req.raft_addr) {
    LOG(kInfo, "store") << "join of " << req.id << " at " << req.raft_addr
                        << " ignored: already a member";
    return base::Status::Ok();
  }
  if (by_id || by_addr) {
    // §2.2: remove the member with the joining node's ID (rqlite removes by ID only).
    if (by_id) {
      RQ_RETURN_IF_ERROR(
          ChangeMembershipSync({raft::ConfChangeType::kRemoveNode, by_id->first, ""}));
    }
  }
  raft::ConfChange cc{req.voter ? raft::ConfChangeType::kAddVoter
                                : raft::ConfChangeType::kAddLearner,
                      nid, EncodeMember({req.id, req.raft_addr, req.voter})};
  RQ_RETURN_IF_ERROR(ChangeMembershipSync(cc));
  LOG(kInfo, "store") << "node " << req.id << " at " << req.raft_addr << " joined as "
                      << (req.voter ? "voter" : "non-voter");
  return base::Status::Ok();
}

base::Status StoreImpl::Remove(const api::RemoveRequest& request) {
  const std::string& node_id = request.id;
  if (!open_) return kNotOpenStatus;
  if (!replica_->IsLeader()) return LeaderError();
  auto m = members_->FindById(node_id);
  if (!m) return base::Status::Ok();  // not a member: a no-op Raft change (http-api §7.13)
  return ChangeMembershipSync({raft::ConfChangeType::kRemoveNode, m->first, ""});
}

base::Status StoreImpl::Notify(const api::NotifyRequest& req) {
  if (!open_) return kNotOpenStatus;
  std::vector<replica::BootstrapPeer> peers;
  {
    std::lock_guard<std::mutex> lock(notify_mu_);
    // §2.3: ignored without -bootstrap-expect, once bootstrapped, or with a leader known.
    if (config_.bootstrap_expect <= 0 || bootstrapped_) return base::Status::Ok();
    const replica::RaftStatus rs = replica_->GetRaftStatus();
    if (rs.leader != raft::kNoNode || rs.last_log_index != 0) return base::Status::Ok();
    notifiers_[req.id] = req.raft_addr;
    if (static_cast<int>(notifiers_.size()) < config_.bootstrap_expect) {
      return base::Status::Ok();
    }
    for (const auto& [id, addr] : notifiers_) {
      peers.push_back({NodeIdFor(id), EncodeMember({id, addr, true})});
    }
    bootstrapped_ = true;
  }
  LOG(kInfo, "store") << "bootstrap-expect reached: bootstrapping with " << peers.size()
                      << " voters";
  replica_->Bootstrap(std::move(peers), [](base::Status st) {
    if (!st.ok()) LOG(kWarn, "store") << "bootstrap: " << st.ToString();
  });
  return base::Status::Ok();
}

base::Status StoreImpl::WaitForCommitIndex(uint64_t index, int64_t timeout_ns) {
  const int64_t deadline = deps_.clock->MonotonicNanos() + timeout_ns;
  while (replica_->GetRaftStatus().commit_index < index) {
    if (deps_.clock->MonotonicNanos() >= deadline) {
      return base::Status(base::Code::kTimeout, "timeout waiting for commit index");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval (readyz only)
  }
  return base::Status::Ok();
}

base::Status StoreImpl::Stepdown(const api::StepdownRequest& request) {
  const std::string& node_id = request.id;
  const bool wait = request.wait;
  if (!open_) return kNotOpenStatus;
  if (!replica_->IsLeader()) return LeaderError();
  raft::NodeId target = raft::kNoNode;
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  if (!node_id.empty()) {
    if (node_id == config_.node_id) return base::Internal("cannot step down to the current Leader");
    auto m = members_->FindById(node_id);
    bool voter = false;
    if (m) {
      for (raft::NodeId v : rs.conf.voters) voter = voter || v == m->first;
    }
    if (!m || !voter) return base::NotFound("node not found in cluster");
    target = m->first;
  } else {
    for (raft::NodeId v : rs.conf.voters) {
      if (v != self_) {
        target = v;
        break;
      }
    }
    if (target == raft::kNoNode) {
      // A single-node cluster: rqlite starts a transfer that fails; only `wait` reports it.
      if (wait) return base::Unavailable("leadership transfer failed: no other voter");
      return base::Status::Ok();
    }
  }
  replica_->TransferLeadership(target);
  if (!wait) return base::Status::Ok();
  // The transfer gives up after an election timeout; allow twice that plus scheduling slack.
  const int64_t deadline = deps_.clock->MonotonicNanos() +
                           2 * config_.raft_election_ticks * config_.raft_tick_ns + 1'000'000'000;
  while (deps_.clock->MonotonicNanos() < deadline) {
    const replica::RaftStatus now = replica_->GetRaftStatus();
    if (now.leader != self_ && now.leader != raft::kNoNode) return base::Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return base::Unavailable("leadership transfer failed");
}

// ---------------------------------------------------------------------------------------------
// Read consistency

bool StoreImpl::StaleRead(int64_t freshness_ns, bool strict) const {
  if (freshness_ns <= 0 || replica_->IsLeader()) return false;
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  const int64_t now = deps_.clock->MonotonicNanos();
  if (rs.last_contact_mono_ns == 0 || now - rs.last_contact_mono_ns > freshness_ns) return true;
  // Strict (no per-entry append times in our log): also stale when this node is behind the
  // commit index it knows of and has not been caught up for longer than `freshness`.
  if (strict && rs.applied_index < rs.commit_index &&
      now - caught_up_mono_ns_.load() > freshness_ns) {
    return true;
  }
  return false;
}

void StoreImpl::LinearizableRead(std::function<api::Response(sqlite::Conn&)> fn,
                                 int64_t timeout_ns, api::Done done) {
  const replica::RaftStatus rs = replica_->GetRaftStatus();
  auto lr = std::make_shared<LinRead>();
  lr->done = std::move(done);
  lr->index = rs.commit_index;
  lr->deadline_mono_ns = deps_.clock->MonotonicNanos() + (timeout_ns > 0 ? timeout_ns : 0);
  uint64_t key;
  {
    std::lock_guard<std::mutex> lock(lin_mu_);
    key = next_lin_++;
    if (timeout_ns > 0) lin_reads_[key] = lr;
  }
  const uint64_t term = rs.term;
  auto fn_shared = std::make_shared<std::function<api::Response(sqlite::Conn&)>>(std::move(fn));
  // Runs on the apply executor once the read index is applied (or on failure).
  replica_->ReadIndex([this, lr, key, term, fn_shared](base::Result<uint64_t> index) {
    {
      std::lock_guard<std::mutex> lock(lin_mu_);
      lin_reads_.erase(key);
    }
    if (lr->finished.exchange(true)) return;  // timed out already
    base::Status st = index.ok() ? base::Status::Ok() : index.status();
    if (st.ok() && replica_->GetRaftStatus().term != term) {
      st = base::Status(base::Code::kStale, "stale read");
    } else if (st.code() == base::Code::kAborted) {
      st = base::Status(base::Code::kNotLeader, "not leader");  // leadership lost: forward
    }
    if (!st.ok() || !open_) {
      lr->done(api::Response{st.ok() ? kNotOpenStatus : st, {}, 0});
      return;
    }
    // Never read on the apply thread (docs/decisions/0002): hand over to the read side.
    RunRead(*fn_shared, [lr](api::Response r) { lr->done(std::move(r)); }, released_reads());
  });
}

void StoreImpl::ExpireLinearizableReads() {
  const int64_t now = deps_.clock->MonotonicNanos();
  std::vector<std::shared_ptr<LinRead>> expired;
  {
    std::lock_guard<std::mutex> lock(lin_mu_);
    for (auto it = lin_reads_.begin(); it != lin_reads_.end();) {
      if (it->second->deadline_mono_ns <= now) {
        expired.push_back(it->second);
        it = lin_reads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& lr : expired) {
    if (lr->finished.exchange(true)) continue;
    lr->done(api::Response{base::Status(base::Code::kTimeout,
                                        "index " + std::to_string(lr->index) +
                                            ": timeout waiting for fsm"),
                           {}, 0});
  }
}

}  // namespace store
