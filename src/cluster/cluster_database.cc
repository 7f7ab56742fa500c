#include "cluster/cluster_database.h"

#include <condition_variable>
#include <memory>
#include <unistd.h>

namespace cluster {
namespace {

api::Response NoLeaderResponse() {
  api::Response r;
  r.status = base::Status(base::Code::kNoLeader, "leader not found");
  return r;
}

}  // namespace

ClusterDatabase::ClusterDatabase(api::Database* local, Client* client, NodeMetaFn self_meta,
                                 const base::Clock* clock, ClusterDatabaseOptions options)
    : local_(local),
      client_(client),
      self_meta_(std::move(self_meta)),
      clock_(clock),
      options_(std::move(options)) {}

bool ClusterDatabase::SelfLeads() {
  api::LeaderInfo l = local_->Leader();
  if (l.id.empty() && l.raft_addr.empty()) return false;
  return (!options_.self_id.empty() && l.id == options_.self_id) ||
         (!options_.self_raft_addr.empty() && l.raft_addr == options_.self_raft_addr);
}

base::Result<std::string> ClusterDatabase::ForwardTarget() {
  api::LeaderInfo l = local_->Leader();
  if (l.raft_addr.empty()) return base::Status(base::Code::kNoLeader, "leader not found");
  if (l.raft_addr == options_.self_raft_addr || (!l.id.empty() && l.id == options_.self_id)) {
    // The store just said "not leader" but names us: leadership is changing.
    return base::Status(base::Code::kNotLeader, "not leader");
  }
  return l.raft_addr;
}

// The shared shape of the async calls: local first; on a follower, a kNotLeader answer is
// forwarded with a copy of the request made before the store consumed it.
template <typename Req, typename LocalCall, typename ForwardCall>
void ClusterDatabase::RunOrForward(Req request, api::Done done, LocalCall local_call,
                                   ForwardCall forward_call) {
  if (request.forward.redirect || SelfLeads()) {
    return local_call(std::move(request), std::move(done));
  }
  auto copy = std::make_shared<Req>(request);
  local_call(std::move(request), [this, copy, done, forward_call](api::Response r) {
    if (r.status.code() != base::Code::kNotLeader) return done(std::move(r));
    auto target = ForwardTarget();
    if (!target.ok()) {
      if (target.status().code() == base::Code::kNoLeader) return done(NoLeaderResponse());
      return done(std::move(r));
    }
    const std::string leader = *target;
    forward_call(leader, *copy, CallOptions::From(copy->forward),
                 [done, leader](api::Response fr) {
                   if (fr.status.ok()) fr.served_by = leader;
                   done(std::move(fr));
                 });
  });
}

void ClusterDatabase::Execute(api::ExecuteRequest request, api::Done done) {
  RunOrForward(
      std::move(request), std::move(done),
      [this](api::ExecuteRequest r, api::Done d) { local_->Execute(std::move(r), std::move(d)); },
      [this](const std::string& to, const api::ExecuteRequest& r, const CallOptions& o,
             api::Done d) { client_->Execute(to, r, o, std::move(d)); });
}

void ClusterDatabase::Query(api::QueryRequest request, api::Done done) {
  RunOrForward(
      std::move(request), std::move(done),
      [this](api::QueryRequest r, api::Done d) { local_->Query(std::move(r), std::move(d)); },
      [this](const std::string& to, const api::QueryRequest& r, const CallOptions& o,
             api::Done d) { client_->Query(to, r, o, std::move(d)); });
}

void ClusterDatabase::Request(api::UnifiedRequest request, api::Done done) {
  RunOrForward(
      std::move(request), std::move(done),
      [this](api::UnifiedRequest r, api::Done d) { local_->Request(std::move(r), std::move(d)); },
      [this](const std::string& to, const api::UnifiedRequest& r, const CallOptions& o,
             api::Done d) { client_->Request(to, r, o, std::move(d)); });
}

void ClusterDatabase::Load(api::LoadRequest request, api::Done done) {
  RunOrForward(
      std::move(request), std::move(done),
      [this](api::LoadRequest r, api::Done d) { local_->Load(std::move(r), std::move(d)); },
      [this](const std::string& to, const api::LoadRequest& r, const CallOptions& o,
             api::Done d) { client_->Load(to, r.data, o, std::move(d)); });
}

base::Status ClusterDatabase::Boot(std::string sqlite_image) {
  return local_->Boot(std::move(sqlite_image));
}

base::Result<api::BackupFile> ClusterDatabase::Backup(const api::BackupRequest& request) {
  auto local = local_->Backup(request);
  if (local.ok() || local.status().code() != base::Code::kNotLeader || request.forward.redirect ||
      !request.leader_only) {
    return local;
  }
  auto target = ForwardTarget();
  if (!target.ok()) return target.status();
  std::string dest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dest = options_.temp_dir + "/rqlite-forwarded-backup-" + std::to_string(getpid()) + "-" +
           std::to_string(++backup_seq_);
  }
  auto file = client_->BackupSync(*target, request, dest, CallOptions::From(request.forward));
  if (file.ok()) file->served_by = *target;
  return file;
}

base::Status ClusterDatabase::Snapshot(uint64_t trailing_logs) {
  return local_->Snapshot(trailing_logs);
}

std::string ClusterDatabase::CachedApiAddr(const std::string& raft_addr) {
  int64_t now = clock_->MonotonicNanos();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = meta_cache_.find(raft_addr);
    if (it != meta_cache_.end() && now - it->second.fetched_mono_ns < options_.meta_cache_ttl_ns) {
      return it->second.url;
    }
  }
  CallOptions o;
  o.timeout_ns = options_.leader_meta_timeout_ns;
  auto meta = client_->GetNodeMetaSync(raft_addr, o);
  if (!meta.ok()) return "";
  RememberApiAddr(raft_addr, meta->url);
  return meta->url;
}

void ClusterDatabase::RememberApiAddr(const std::string& raft_addr, const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  meta_cache_[raft_addr] = CachedMeta{url, clock_->MonotonicNanos()};
}

base::Status ClusterDatabase::SyncWithLeader(int64_t timeout_ns) {
  api::LeaderInfo l = local_->Leader();
  if (l.raft_addr.empty()) return base::Status(base::Code::kNoLeader, "leader not found");
  if (l.raft_addr == options_.self_raft_addr || (!l.id.empty() && l.id == options_.self_id)) {
    return base::Status::Ok();  // the leader's commit index is its own
  }
  const int64_t start = clock_->MonotonicNanos();
  CallOptions o;
  o.timeout_ns = timeout_ns;
  auto meta = client_->GetNodeMetaSync(l.raft_addr, o);
  if (!meta.ok()) return meta.status();
  const int64_t left = timeout_ns - (clock_->MonotonicNanos() - start);
  return local_->WaitForCommitIndex(meta->commit_index, left > 0 ? left : 0);
}

api::LeaderInfo ClusterDatabase::Leader() {
  api::LeaderInfo l = local_->Leader();
  if (l.raft_addr.empty()) return l;
  if (l.raft_addr == options_.self_raft_addr || (!l.id.empty() && l.id == options_.self_id)) {
    l.api_addr = self_meta_ ? self_meta_().url : l.api_addr;
  } else {
    l.api_addr = CachedApiAddr(l.raft_addr);
  }
  return l;
}

std::vector<api::NodeInfo> ClusterDatabase::Nodes(const api::NodesRequest& request) {
  std::vector<api::NodeInfo> nodes = local_->Nodes(request);
  std::string leader_addr = local_->Leader().raft_addr;
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    size_t outstanding = 0;
  };
  auto pending = std::make_shared<Pending>();
  auto results = std::make_shared<std::vector<base::Result<NodeMeta>>>(
      nodes.size(), base::Result<NodeMeta>(base::Unavailable("not probed")));
  auto probe_ns = std::make_shared<std::vector<int64_t>>(nodes.size(), 0);
  CallOptions o;
  o.timeout_ns = request.timeout_ns > 0 ? request.timeout_ns : options_.nodes_timeout_ns;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].raft_addr == options_.self_raft_addr || nodes[i].id == options_.self_id) {
      int64_t start = clock_->MonotonicNanos();
      (*results)[i] = self_meta_ ? self_meta_() : NodeMeta{};
      (*probe_ns)[i] = std::max<int64_t>(1, clock_->MonotonicNanos() - start);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      ++pending->outstanding;
    }
    int64_t start = clock_->MonotonicNanos();
    const base::Clock* clock = clock_;
    client_->GetNodeMeta(nodes[i].raft_addr, o,
                         [pending, results, probe_ns, i, start, clock](base::Result<NodeMeta> m) {
                           std::lock_guard<std::mutex> lock(pending->mu);
                           (*results)[i] = std::move(m);
                           (*probe_ns)[i] = std::max<int64_t>(1, clock->MonotonicNanos() - start);
                           if (--pending->outstanding == 0) pending->cv.notify_all();
                         });
  }
  {
    std::unique_lock<std::mutex> lock(pending->mu);
    pending->cv.wait(lock, [&] { return pending->outstanding == 0; });
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    api::NodeInfo& n = nodes[i];
    const base::Result<NodeMeta>& m = (*results)[i];
    n.reachable = m.ok();
    if (m.ok()) {
      n.api_addr = m->url;
      n.version = m->version.empty() ? "unknown" : m->version;
      n.leader = !leader_addr.empty() && n.raft_addr == leader_addr;
      n.probe_time_s = static_cast<double>((*probe_ns)[i]) / 1e9;
      n.error.clear();
      if (n.raft_addr != options_.self_raft_addr) RememberApiAddr(n.raft_addr, m->url);
    } else {
      n.api_addr.clear();
      n.version.clear();
      n.leader = false;
      n.probe_time_s = 0;
      n.error = m.status().message();
    }
  }
  return nodes;
}

base::Status ClusterDatabase::Remove(const api::RemoveRequest& request) {
  base::Status st = local_->Remove(request);
  if (st.code() != base::Code::kNotLeader || request.forward.redirect) return st;
  auto target = ForwardTarget();
  if (!target.ok()) return target.status();
  return client_->RemoveSync(*target, request.id, CallOptions::From(request.forward));
}

base::Status ClusterDatabase::Stepdown(const api::StepdownRequest& request) {
  base::Status st = local_->Stepdown(request);
  if (st.code() != base::Code::kNotLeader || request.forward.redirect) return st;
  auto target = ForwardTarget();
  if (!target.ok()) return target.status();
  return client_->StepdownSync(*target, request.id, request.wait,
                               CallOptions::From(request.forward));
}

base::Status ClusterDatabase::Join(const api::JoinRequest& request) {
  base::Status st = local_->Join(request);
  if (st.code() != base::Code::kNotLeader || request.forward.redirect) return st;
  auto target = ForwardTarget();
  if (!target.ok()) return target.status();
  return client_->JoinSync(*target, request, CallOptions::From(request.forward)).status;
}

base::Status ClusterDatabase::Notify(const api::NotifyRequest& request) {
  return local_->Notify(request);
}

bool ClusterDatabase::Ready() { return local_->Ready(); }

api::Tree ClusterDatabase::Status() { return local_->Status(); }

api::Tree ClusterDatabase::DebugVars() {
  api::Tree t = local_->DebugVars();
  ClientStats s = client_->stats();
  if (auto* m = std::get_if<api::TreeMap>(&t.v)) {
    (*m)["cluster"] = api::TreeMap{{"calls", s.calls},
                                   {"dials", s.dials},
                                   {"pool_hits", s.pool_hits},
                                   {"failures", s.failures}};
  }
  return t;
}

}  // namespace cluster
