// raft_sim — command-line driver of the deterministic Raft simulator (see DESIGN.md).
//
//   raft_sim --seed=42 [--trace]             one seed; prints options, summary and trace hash
//   raft_sim --seeds=10000 [--start-seed=1]  many seeds (swarm faults), stops at the first
//            [--sim-seconds=300] [--jobs=2]  violation unless --keep-going
//   raft_sim --duration=600s|10m|2h ...      as many seeds as fit in the wall-clock budget
//                                            (and at most --seeds=N if that is given too)
//   raft_sim --bug=vote_not_persisted ...    switch on a deliberate raft bug (TestingKnobs)
//   raft_sim --no-remove-leader ...          membership churn never removes the leader
//   raft_sim --consequences-only ...         no rule checks: bugs must show through safety,
//                                            durability or linearizability violations
// Exit status 0 iff no violation. A failure prints the command that replays it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bugs.h"
#include "simulation.h"

namespace {

struct Flags {
  uint64_t seed = 0;
  bool single = false;
  uint64_t seeds = 100;
  bool seeds_given = false;  // with --duration, --seeds is a limit only if given
  uint64_t start_seed = 1;
  int64_t sim_seconds = 60;
  double duration_s = 0;
  int jobs = 1;
  bool trace = false;
  bool keep_going = false;
  bool remove_leader = true;
  bool direct_checks = true;
  raft::TestingKnobs knobs;
  std::string bug;
};

bool Parse(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&a](const char* name) -> const char* {
      size_t n = std::string(name).size();
      return a.compare(0, n, name) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--seed=")) { f->seed = std::stoull(v); f->single = true; }
    else if (const char* v = value("--seeds=")) { f->seeds = std::stoull(v); f->seeds_given = true; }
    else if (const char* v = value("--start-seed=")) f->start_seed = std::stoull(v);
    else if (const char* v = value("--sim-seconds=")) f->sim_seconds = std::stoll(v);
    else if (const char* v = value("--duration=")) {
      // "600", "600s", "10m" or "2h".
      size_t used = 0;
      f->duration_s = std::stod(v, &used);
      std::string unit = std::string(v).substr(used);
      if (unit == "m") f->duration_s *= 60;
      else if (unit == "h") f->duration_s *= 3600;
      else if (!unit.empty() && unit != "s") return false;
    }
    else if (const char* v = value("--jobs=")) f->jobs = std::max(1, std::stoi(v));
    else if (const char* v = value("--bug=")) {
      f->bug = v;
      if (!sim::EnableBug(f->bug, &f->knobs)) return false;
    } else if (a == "--trace") f->trace = true;
    else if (a == "--keep-going") f->keep_going = true;
    else if (a == "--no-remove-leader") f->remove_leader = false;
    else if (a == "--consequences-only") f->direct_checks = false;
    else return false;
  }
  return true;
}

sim::SimOptions OptionsFor(const Flags& f, uint64_t seed) {
  // With --bug the fault mix is tilted towards that bug (SimOptions::ForBug).
  sim::SimOptions o = f.bug.empty() ? sim::SimOptions::Swarm(seed, f.sim_seconds * 1'000'000)
                                    : sim::SimOptions::ForBug(f.bug, seed, f.sim_seconds * 1'000'000);
  o.direct_checks = f.direct_checks;
  o.trace = f.trace;
  o.remove_leader = f.remove_leader;
  return o;
}

// The seed each worker is running, for the abort handler: a CHECK failure inside raft/ (e.g.
// "commit index out of range" after lost acknowledged entries) aborts the process, and the
// seed must still be reported. The only global state of this tool; written by workers, read
// by the signal handler.
constexpr int kMaxJobs = 64;
std::atomic<uint64_t> g_running_seed[kMaxJobs];

void OnAbort(int) {
  char buf[64];
  for (int j = 0; j < kMaxJobs; ++j) {
    uint64_t seed = g_running_seed[j].load();
    if (seed == 0) continue;
    int len = 0;
    char digits[24];
    int nd = 0;
    do { digits[nd++] = static_cast<char>('0' + seed % 10); seed /= 10; } while (seed > 0);
    const char prefix[] = "ABORT while running seed=";
    for (char c : prefix) if (c) buf[len++] = c;
    while (nd > 0) buf[len++] = digits[--nd];
    buf[len++] = '\n';
    (void)!write(STDOUT_FILENO, buf, len);
  }
  signal(SIGABRT, SIG_DFL);
}

std::string Replay(const Flags& f, uint64_t seed) {
  std::string cmd = "raft_sim --seed=" + std::to_string(seed) +
                    " --sim-seconds=" + std::to_string(f.sim_seconds);
  if (!f.bug.empty()) cmd += " --bug=" + f.bug;
  if (!f.remove_leader) cmd += " --no-remove-leader";
  if (!f.direct_checks) cmd += " --consequences-only";
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!Parse(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: raft_sim [--seed=N [--trace]] [--seeds=N] [--start-seed=S] "
                 "[--sim-seconds=T] [--duration=600s] [--jobs=J] [--keep-going] [--bug=NAME] "
                 "[--no-remove-leader] [--consequences-only]\n");
    return 2;
  }
  f.jobs = std::min(f.jobs, kMaxJobs);
  if (f.single) {
    sim::SimOptions o = OptionsFor(f, f.seed);
    std::printf("%s\n", o.Describe().c_str());
    std::fflush(stdout);
    sim::SimResult r = sim::RunSimulation(o);
    std::printf("%s\n", r.Summary().c_str());
    if (!r.ok) std::printf("replay: %s\n", Replay(f, f.seed).c_str());
    return r.ok ? 0 : 1;
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto elapsed = [&start] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::atomic<uint64_t> next{0}, done{0}, failures{0};
  std::atomic<int64_t> simulated_us{0};
  std::atomic<uint64_t> events{0};
  std::atomic<bool> stop{false};
  std::mutex out_mu;
  std::signal(SIGABRT, OnAbort);
  std::atomic<int> next_job{0};
  auto worker = [&] {
    int job = std::min(next_job++, kMaxJobs - 1);
    while (!stop) {
      uint64_t i = next++;
      if (f.duration_s > 0 && elapsed() >= f.duration_s) return;
      if (i >= f.seeds && (f.duration_s == 0 || f.seeds_given)) return;
      uint64_t seed = f.start_seed + i;
      sim::SimOptions o = OptionsFor(f, seed);
      g_running_seed[job] = seed;
      sim::SimResult r = sim::RunSimulation(o);
      g_running_seed[job] = 0;
      simulated_us += r.simulated_us;
      events += r.events;
      ++done;
      if (!r.ok) {
        ++failures;
        std::lock_guard<std::mutex> lock(out_mu);
        std::printf("FAIL %s\n  %s\n  replay: %s\n", o.Describe().c_str(), r.Summary().c_str(),
                    Replay(f, seed).c_str());
        std::fflush(stdout);
        if (!f.keep_going) stop = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < f.jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  double wall = elapsed();
  double sim_s = simulated_us.load() / 1e6;
  std::printf(
      "seeds=%llu (from %llu) violations=%llu simulated=%.0fs (%.2f h) wall=%.1fs jobs=%d "
      "speed=%.0f sim-s/wall-s events=%llu (%.0f/s)%s%s\n",
      static_cast<unsigned long long>(done.load()),
      static_cast<unsigned long long>(f.start_seed),
      static_cast<unsigned long long>(failures.load()), sim_s, sim_s / 3600, wall, f.jobs,
      sim_s / wall, static_cast<unsigned long long>(events.load()), events.load() / wall,
      f.bug.empty() ? "" : " bug=", f.bug.c_str());
  return failures.load() == 0 ? 0 : 1;
}
