#include "cluster/joiner.h"

#include <chrono>
#include <thread>

#include "base/log.h"

namespace cluster {

void ThreadSleeper::SleepFor(int64_t nanos) {
  if (nanos > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(nanos));
}

Joiner::Joiner(JoinTransport* transport, const base::Clock* clock, Sleeper* sleeper,
               uint64_t seed)
    : transport_(transport), clock_(clock), sleeper_(sleeper), random_(seed) {}

namespace {

CallOptions CallOptionsFor(const JoinOptions& o) {
  CallOptions c;
  c.username = o.username;
  c.password = o.password;
  c.timeout_ns = o.call_timeout_ns;
  return c;
}

}  // namespace

base::Result<std::string> Joiner::JoinOne(const std::string& target, const JoinOptions& o) {
  api::JoinRequest req;
  req.id = o.id;
  req.raft_addr = o.raft_addr;
  req.voter = o.voter;
  std::string addr = target;
  for (int redirects = 0; redirects <= o.max_redirects; ++redirects) {
    JoinReply reply = transport_->Join(addr, req, CallOptionsFor(o));
    if (reply.status.ok()) return addr;
    if (reply.status.code() != base::Code::kNotLeader) {
      if (reply.status.code() == base::Code::kPermissionDenied && o.username.empty()) {
        LOG(kWarn, "cluster") << "join via " << addr << " unauthorized"
                              << " (did you forget to set -join-as?)";
      }
      return reply.status;
    }
    if (reply.leader_raft_addr.empty()) return base::Status(base::Code::kNoLeader, "no leader");
    addr = reply.leader_raft_addr;
  }
  return base::Unavailable("max redirects exceeded");
}

base::Result<std::string> Joiner::JoinRound(const std::vector<std::string>& targets,
                                            const JoinOptions& o) {
  base::Status last = base::Unavailable("no join addresses");
  for (const std::string& t : targets) {
    auto joined = JoinOne(t, o);
    if (joined.ok()) {
      LOG(kInfo, "cluster") << "successfully joined cluster at " << *joined;
      return joined;
    }
    last = joined.status();
    LOG(kWarn, "cluster") << "failed to join via node at " << t << ": " << last.message();
  }
  return last;
}

base::Result<std::string> Joiner::Join(const JoinOptions& o) {
  for (int attempt = 0; attempt < std::max(1, o.attempts); ++attempt) {
    auto joined = JoinRound(o.targets, o);
    if (joined.ok()) return joined;
    if (attempt + 1 < o.attempts) {
      LOG(kInfo, "cluster") << "failed to join cluster at " << o.targets.size()
                            << " address(es), sleeping " << o.interval_ns / 1'000'000
                            << " ms before retry";
      sleeper_->SleepFor(o.interval_ns);
    }
  }
  return base::Unavailable("failed to join cluster");
}

base::Status Joiner::BootstrapExpect(const JoinOptions& o,
                                     const std::function<bool()>& leader_known,
                                     const std::function<std::vector<std::string>()>& targets_fn) {
  int64_t deadline = clock_->MonotonicNanos() + o.boot_timeout_ns;
  api::NotifyRequest notify{o.id, o.raft_addr};
  while (true) {
    if (leader_known()) return base::Status::Ok();
    if (clock_->MonotonicNanos() >= deadline) return base::Timeout("boot timeout");
    std::vector<std::string> targets = targets_fn ? targets_fn() : o.targets;
    if (JoinRound(targets, o).ok()) return base::Status::Ok();
    if (o.voter) {
      for (const std::string& t : targets) {
        base::Status st = transport_->Notify(t, notify, CallOptionsFor(o));
        if (!st.ok()) LOG(kWarn, "cluster") << "failed to notify " << t << ": " << st.message();
      }
    }
    int64_t jitter = o.bootstrap_interval_ns > 1
                         ? random_.Range(0, o.bootstrap_interval_ns / 2)
                         : 0;
    sleeper_->SleepFor(o.bootstrap_interval_ns + jitter);
  }
}

}  // namespace cluster
