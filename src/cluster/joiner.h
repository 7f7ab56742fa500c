// cluster/joiner.h — joining a cluster (-join) and automatic bootstrapping (-bootstrap-expect),
// the joining node's side of cluster-semantics.md §2.2 and §2.3.
//
// Join(): up to `attempts` rounds (rqlited -join-attempts, default 5); each round tries every
// target in order with a JOIN {id, raft_addr, voter} carrying the -join-as credentials. A
// target that is not the leader answers "not leader" plus the leader's Raft address; the
// Joiner follows such redirects up to 10 times per target ("max redirects exceeded"); a
// redirect without an address fails that target ("no leader"). Between rounds it sleeps
// `interval_ns` (-join-interval, 3 s). All rounds failing → kUnavailable "failed to join
// cluster" (rqlited exits with that message). An "unauthorized" answer without credentials
// logs the hint "(did you forget to set -join-as?)".
//
// BootstrapExpect(): until `leader_known()` is true or `boot_timeout_ns` passes (then kTimeout
// "boot timeout"): one Join round over the targets (success → done); then, voters only, a
// NOTIFY {id, raft_addr} to every target (including this node's own address); then sleep
// about `bootstrap_interval_ns` (1 s) plus up to 50 % random jitter. The first iteration runs at
// once. Re-resolving targets (DNS discovery) is the caller's business: pass a targets_fn.
//
// What the server must create and pass (before the HTTP API reports ready, after the local
// Raft node and cluster::Service are listening, so NOTIFYs from peers can be answered):
//   cluster::ClientJoinTransport transport(&client);   // client: see client.h
//   cluster::ThreadSleeper sleeper;
//   cluster::Joiner joiner(&transport, &clock, &sleeper, /*seed=*/<random>);
//   auto joined = joiner.Join(opts);                    // plain -join
//   base::Status st = joiner.BootstrapExpect(opts, [&] { return !store.Leader().id.empty(); });
// Both block the calling thread (a start-up thread, not an io thread of the client).
//
// Ownership: borrows transport, clock and sleeper. Threads: none; not thread-safe (one caller).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/database.h"
#include "base/clock.h"
#include "base/random.h"
#include "base/result.h"
#include "cluster/client.h"

namespace cluster {

// The two calls a Joiner makes; ClientJoinTransport sends them with a cluster::Client, tests
// use fakes.
class JoinTransport {
 public:
  virtual ~JoinTransport() = default;
  virtual JoinReply Join(const std::string& addr, const api::JoinRequest& request,
                         const CallOptions& options) = 0;
  virtual base::Status Notify(const std::string& addr, const api::NotifyRequest& request,
                              const CallOptions& options) = 0;
};

class ClientJoinTransport final : public JoinTransport {
 public:
  explicit ClientJoinTransport(Client* client) : client_(client) {}
  JoinReply Join(const std::string& addr, const api::JoinRequest& request,
                 const CallOptions& options) override {
    return client_->JoinSync(addr, request, options);
  }
  base::Status Notify(const std::string& addr, const api::NotifyRequest& request,
                      const CallOptions& options) override {
    return client_->NotifySync(addr, request, options);
  }

 private:
  Client* client_;
};

// Waiting between attempts, injected so tests do not sleep.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void SleepFor(int64_t nanos) = 0;
};

// Sleeps the calling thread.
class ThreadSleeper final : public Sleeper {
 public:
  void SleepFor(int64_t nanos) override;
};

struct JoinOptions {
  std::vector<std::string> targets;  // -join: Raft addresses, tried in order
  std::string id;                    // this node's id
  std::string raft_addr;             // this node's advertised Raft address
  bool voter = true;                 // !-raft-non-voter
  std::string username;              // -join-as
  std::string password;
  int attempts = 5;                  // -join-attempts
  int64_t interval_ns = 3'000'000'000;  // -join-interval
  int64_t call_timeout_ns = 10'000'000'000;  // per JOIN / NOTIFY call
  int64_t bootstrap_interval_ns = 1'000'000'000;
  int64_t boot_timeout_ns = 120'000'000'000;  // -bootstrap-expect-timeout
  int max_redirects = 10;
};

class Joiner {
 public:
  Joiner(JoinTransport* transport, const base::Clock* clock, Sleeper* sleeper, uint64_t seed);

  // Returns the Raft address of the node that accepted the join.
  base::Result<std::string> Join(const JoinOptions& options);
  // REQUIRES: leader_known is callable. `targets_fn`, when set, supplies the targets of each
  // iteration (DNS discovery); otherwise options.targets.
  base::Status BootstrapExpect(const JoinOptions& options, const std::function<bool()>& leader_known,
                               const std::function<std::vector<std::string>()>& targets_fn = {});

 private:
  // One target, following not-leader redirects.
  base::Result<std::string> JoinOne(const std::string& target, const JoinOptions& options);
  base::Result<std::string> JoinRound(const std::vector<std::string>& targets,
                                      const JoinOptions& options);

  JoinTransport* transport_;
  const base::Clock* clock_;
  Sleeper* sleeper_;
  base::Random random_;
};

}  // namespace cluster
