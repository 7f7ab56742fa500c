// bench/raft_core_bench.cc — throughput of the pure Raft core: entries/s committed and applied
// on all 3 nodes of an in-memory cluster (MemoryStorage, messages passed by value, no I/O,
// no encoding). Measures the core's CPU cost per entry, the ceiling above which only I/O
// matters.
//
// Usage: raft_core_bench [--entries=N] [--size=BYTES] [--batch=B]
//   batch = proposals submitted before each Ready round (pipelining depth).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/random.h"
#include "raft/node.h"

namespace {

struct Peer {
  explicit Peer(uint64_t seed) : random(seed) {}
  raft::MemoryStorage storage;
  base::Random random;
  std::unique_ptr<raft::Node> node;
  uint64_t applied = 0;
};

class Cluster {
 public:
  Cluster() {
    for (raft::NodeId id : {1, 2, 3}) {
      auto p = std::make_unique<Peer>(id);
      raft::Config c;
      c.id = id;
      c.peers = {1, 2, 3};
      p->node = std::make_unique<raft::Node>(c, &p->storage, &p->random);
      peers_[id] = std::move(p);
    }
    CHECK_OK(peers_[1]->node->Campaign());
    Pump();
  }

  raft::Node& leader() { return *peers_[1]->node; }
  uint64_t MinApplied() {
    uint64_t m = UINT64_MAX;
    for (auto& [id, p] : peers_) m = std::min(m, p->applied);
    return m;
  }

  // Runs Ready rounds until no node has work.
  void Pump() {
    bool any = true;
    while (any) {
      any = false;
      for (auto& [id, p] : peers_) {
        if (!p->node->HasReady()) continue;
        any = true;
        raft::Ready rd = p->node->GetReady();
        CHECK_OK(p->storage.Append(rd.entries));
        if (rd.hard_state) p->storage.SetHardState(*rd.hard_state);
        for (auto& m : rd.messages) inbox_.push_back(std::move(m));
        if (!rd.committed_entries.empty()) p->applied = rd.committed_entries.back().index;
        p->node->Advance(rd);
      }
      std::vector<raft::Message> msgs;
      msgs.swap(inbox_);
      for (const raft::Message& m : msgs) {
        any = true;
        CHECK_OK(peers_[m.to]->node->Step(m));
      }
    }
  }

  // Keeps memory flat: snapshot + compact everything applied everywhere.
  void Compact() {
    uint64_t upto = MinApplied();
    for (auto& [id, p] : peers_) {
      if (upto <= p->storage.Snapshot().index) continue;
      CHECK_OK(p->storage.CreateSnapshot(upto, p->node->conf()));
      CHECK_OK(p->storage.Compact(upto));
    }
  }

 private:
  std::map<raft::NodeId, std::unique_ptr<Peer>> peers_;
  std::vector<raft::Message> inbox_;
};

uint64_t Flag(int argc, char** argv, const char* name, uint64_t def) {
  size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return std::stoull(argv[i] + n + 1);
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t entries = Flag(argc, argv, "--entries", 1000000);
  uint64_t size = Flag(argc, argv, "--size", 100);
  uint64_t batch = Flag(argc, argv, "--batch", 64);
  Cluster c;
  std::string payload(size, 'x');
  uint64_t start_applied = c.MinApplied();
  auto t0 = std::chrono::steady_clock::now();
  uint64_t proposed = 0;
  while (proposed < entries) {
    for (uint64_t i = 0; i < batch && proposed < entries; ++i, ++proposed) {
      CHECK_OK(c.leader().Propose(payload));
    }
    c.Pump();
    if (proposed % (batch * 256) == 0) c.Compact();
  }
  c.Pump();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t done = c.MinApplied() - start_applied;
  CHECK_GE(done, entries);
  std::printf("raft_core_bench: 3 nodes, %lu entries of %lu B, batch %lu: %.3f s, %.0f entries/s\n",
              static_cast<unsigned long>(done), static_cast<unsigned long>(size),
              static_cast<unsigned long>(batch), secs, done / secs);
  return 0;
}
