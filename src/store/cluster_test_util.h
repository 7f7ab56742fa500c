// store/cluster_test_util.h — helpers for tests that run several in-process stores as a Raft
// cluster (store_cluster_test, store_snapshot_test): the Raft clock as a ticker thread, and the
// per-node StoreConfig with test timings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "store/store.h"

namespace store::testing {

// Calls `tick` (which RaftTick()s every running store) every 5 ms on its own thread: this is
// the cluster's clock, not a wait. Stops on destruction or Stop().
class RaftTicker {
 public:
  explicit RaftTicker(std::function<void()> tick)
      : thread_([this, tick = std::move(tick)] {
          while (!stop_) {
            tick();
            ++ticks_;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
        }) {}
  ~RaftTicker() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t ticks() const { return ticks_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ticks_{0};
  std::thread thread_;  // last: starts after the flags exist
};

// Node `id` under `root`: addresses derived from the id, 5 ms ticks, election after 30 ticks
// (150-300 ms: robust on a loaded machine), heartbeat every 2.
inline StoreConfig ClusterNodeConfig(const std::string& root, const std::string& id) {
  StoreConfig c;
  c.dir = root + "/" + id;
  c.node_id = id;
  c.raft_addr = "addr-" + id;
  c.api_url = "http://api-" + id;
  c.random_seed = std::hash<std::string>()(id);
  c.raft_tick_ns = 5'000'000;
  c.raft_election_ticks = 30;
  c.raft_heartbeat_ticks = 2;
  return c;
}

}  // namespace store::testing
