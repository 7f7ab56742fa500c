#include "server/formation.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "base/log.h"
#include "cluster/joiner.h"
#include "server/http_probe.h"

namespace server {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kJoinCallTimeout = std::chrono::seconds(5);
constexpr auto kHttpProbeTimeout = std::chrono::seconds(2);

std::vector<std::string> SplitAddrs(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

cluster::CallOptions Call(const JoinCredentials& creds, std::chrono::nanoseconds timeout) {
  cluster::CallOptions o;
  o.username = creds.username;
  o.password = creds.password;
  o.timeout_ns = timeout.count();
  return o;
}

// The Joiner's calls over the cluster client; a successful JOIN also fetches the accepting
// node's id (GET_NODE_META) and hands {id, address} to `learn`, so this node's transport can
// answer the leader before the membership reaches it through the log.
class LearningJoinTransport final : public cluster::JoinTransport {
 public:
  LearningJoinTransport(cluster::Client* client, LearnPeerFn learn)
      : client_(client), learn_(std::move(learn)) {}

  cluster::JoinReply Join(const std::string& addr, const api::JoinRequest& request,
                          const cluster::CallOptions& options) override {
    cluster::JoinReply reply = client_->JoinSync(addr, request, options);
    if (!reply.status.ok()) return reply;
    auto meta = client_->GetNodeMetaSync(addr, options);
    if (meta.ok() && !meta->node_id.empty()) {
      learn_(meta->node_id, addr);
    } else {
      LOG(kWarn, "rqlited") << "joined via " << addr << ", but its node id is unknown: "
                            << (meta.ok() ? "empty" : meta.status().message());
    }
    return reply;
  }
  base::Status Notify(const std::string& addr, const api::NotifyRequest& request,
                      const cluster::CallOptions& options) override {
    return client_->NotifySync(addr, request, options);
  }

 private:
  cluster::Client* client_;
  LearnPeerFn learn_;
};

cluster::JoinOptions MakeJoinOptions(const Config& config, const JoinCredentials& creds,
                                     std::vector<std::string> targets) {
  cluster::JoinOptions o;
  o.targets = std::move(targets);
  o.id = config.node_id;
  o.raft_addr = config.raft_adv_addr;
  o.voter = !config.raft_non_voter;
  o.username = creds.username;
  o.password = creds.password;
  o.attempts = static_cast<int>(std::clamp<int64_t>(config.join_attempts, 1, 1 << 20));
  o.interval_ns = config.join_interval.count();
  o.call_timeout_ns = std::chrono::nanoseconds(kJoinCallTimeout).count();
  o.boot_timeout_ns = config.bootstrap_expect_timeout.count();
  return o;
}

base::Status JoinOrBoot(const Config& config, api::Database& local, cluster::Client& client,
                        const JoinCredentials& creds, const LearnPeerFn& learn,
                        std::vector<std::string> targets) {
  LearningJoinTransport transport(&client, learn);
  base::SystemClock clock;
  cluster::ThreadSleeper sleeper;
  cluster::Joiner joiner(&transport, &clock, &sleeper, std::random_device{}());
  const cluster::JoinOptions opts = MakeJoinOptions(config, creds, std::move(targets));
  if (config.bootstrap_expect > 0) {
    base::Status s = joiner.BootstrapExpect(opts, [&local] { return !local.Leader().id.empty(); });
    if (!s.ok()) return base::Status(s.code(), "failed to bootstrap cluster: " + s.message());
    LOG(kInfo, "rqlited") << "bootstrap-expect complete, leader is " << local.Leader().id;
    return s;
  }
  auto joined = joiner.Join(opts);
  if (!joined.ok()) {
    return base::Status(joined.status().code(), "failed to join cluster: " +
                                                    joined.status().message());
  }
  LOG(kInfo, "rqlited") << "successfully joined cluster at " << *joined;
  return base::Status::Ok();
}

bool IsMember(api::Database& local, const std::string& id) {
  for (const api::NodeInfo& n : local.Nodes(api::NodesRequest{.include_non_voters = true})) {
    if (n.id == id) return true;
  }
  return false;
}

}  // namespace

JoinCredentials CredentialsFor(const Config& config, const auth::CredentialStore* credentials) {
  JoinCredentials c;
  if (config.join_as.empty()) return c;
  c.username = config.join_as;
  if (credentials != nullptr) c.password = credentials->PasswordOf(config.join_as);
  return c;
}

base::Status FormCluster(const Config& config, api::Database& local, cluster::Client& client,
                         const JoinCredentials& creds, const LearnPeerFn& learn) {
  const std::vector<std::string> targets = SplitAddrs(config.join_addrs);
  if (targets.empty()) return base::Status::Ok();
  for (const std::string& a : targets) {
    if (ServesHttp(a, kHttpProbeTimeout)) {
      return base::InvalidArgument("join address " + a +
                                   " appears to be serving HTTP when it should be Raft");
    }
  }
  if (config.bootstrap_expect == 0) {
    std::vector<api::NodeInfo> nodes = local.Nodes(api::NodesRequest{.include_non_voters = true});
    if (nodes.size() == 1 && nodes[0].id == config.node_id) {
      return base::InvalidArgument(
          "node is the only node in a single-node cluster, joining other clusters not "
          "supported");
    }
  }
  return JoinOrBoot(config, local, client, creds, learn, targets);
}

base::Status RemoveSelf(const Config& config, api::Database& local, cluster::Client& client,
                        const JoinCredentials& creds) {
  base::Status s(base::Code::kNoLeader, "leader not found");
  const auto overall = SteadyClock::now() + std::chrono::seconds(10);
  for (int attempt = 0; attempt < 5 && SteadyClock::now() < overall; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    api::LeaderInfo leader = local.Leader();
    if (leader.id.empty()) {
      s = base::Status(base::Code::kNoLeader, "leader not found");
      continue;
    }
    s = leader.id == config.node_id
            ? local.Remove(api::RemoveRequest{.id = config.node_id})
            : client.RemoveSync(leader.raft_addr, config.node_id,
                                Call(creds, std::chrono::seconds(5)));
    if (s.ok()) break;
  }
  if (!s.ok()) return s;
  // The removal commits on the leader; this node may or may not learn of it (it is no longer
  // sent entries once removed), so the wait is bounded and only informative.
  const auto until = SteadyClock::now() + std::chrono::seconds(5);
  while (IsMember(local, config.node_id) && SteadyClock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return base::Status::Ok();
}

void StepdownIfLeader(const Config& config, api::Database& local) {
  if (local.Leader().id != config.node_id) return;
  if (local.Nodes(api::NodesRequest{}).size() < 2) return;
  LOG(kInfo, "rqlited") << "stepping down as Leader before shutdown";
  base::Status s = local.Stepdown(api::StepdownRequest{.wait = true});
  if (!s.ok()) LOG(kWarn, "rqlited") << "stepdown before shutdown failed: " << s.message();
}

}  // namespace server
