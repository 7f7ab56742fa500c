// store_bench — in-process throughput of the store (no HTTP): single-row inserts with N requests
// in flight, 100-row batch inserts, and point queries on a read pool. Not a test; run manually:
//   store_bench [dir] [inflight=64] [seconds=3]
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/executor.h"
#include "store/store.h"

namespace {

// A fixed pool of threads draining one queue (what server/ would provide for reads).
class Pool final : public base::Executor {
 public:
  explicit Pool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Pool() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Post(std::function<void()> f) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

using Clock = std::chrono::steady_clock;

// Keeps `inflight` requests outstanding for `secs`; make(i, done) issues request i.
double Run(base::Executor& client, int inflight, double secs,
           const std::function<void(uint64_t, std::function<void()>)>& make) {
  std::atomic<uint64_t> next{0}, completed{0};
  std::atomic<bool> stop{false};
  std::atomic<int> outstanding{0};
  std::function<void()> issue;
  issue = [&] {
    if (stop) return;
    outstanding++;
    make(next++, [&] {
      // Like an HTTP client: the next request comes from another thread. The task keeps
      // `outstanding` above zero until it is done with `issue`, so Run() cannot return early.
      client.Post([&] {
        completed++;
        issue();
        outstanding--;
      });
    });
  };
  auto start = Clock::now();
  for (int i = 0; i < inflight; ++i) client.Post([&] { issue(); });
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop = true;
  uint64_t n = completed.load();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  while (outstanding.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return n / elapsed;
}

long RssKb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f && std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  if (f) std::fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/store_bench";
  int inflight = argc > 2 ? std::atoi(argv[2]) : 64;
  double secs = argc > 3 ? std::atof(argv[3]) : 3;
  std::filesystem::remove_all(dir);
  base::SystemClock clock;
  base::SerialExecutor apply("apply"), log("log");
  Pool read(2), client(1);
  store::StoreConfig cfg;
  cfg.dir = dir;
  cfg.node_id = "1";
  auto s = store::Store::Open(cfg, {&clock, nullptr, &apply, &log, &read});
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.status().ToString().c_str());
    return 1;
  }
  auto& st = **s;
  std::printf("idle RSS after open: %ld KiB\n", RssKb());
  auto exec = [&](std::vector<api::Statement> stmts, std::function<void()> done) {
    api::ExecuteRequest r;
    r.statements = std::move(stmts);
    st.Execute(std::move(r), [done](api::Response resp) {
      if (!resp.status.ok() || resp.results.empty() ||
          resp.results[0].kind == api::StatementResult::Kind::kError) {
        std::fprintf(stderr, "write failed\n");
        std::abort();
      }
      done();
    });
  };
  std::promise<void> created;
  api::Statement create;
  create.sql = "CREATE TABLE foo(id INTEGER PRIMARY KEY, name TEXT, age INTEGER)";
  exec({create}, [&] { created.set_value(); });
  created.get_future().wait();

  double ins = Run(client, inflight, secs, [&](uint64_t i, std::function<void()> done) {
    api::Statement stmt{"INSERT INTO foo(name, age) VALUES(?, ?)", {{"", std::string("fiona")}, {"", int64_t(i)}}};
    exec({stmt}, std::move(done));
  });
  std::printf("single-row inserts, %d in flight: %.0f req/s\n", inflight, ins);
  auto vars = std::get<api::TreeMap>(std::get<api::TreeMap>(st.DebugVars().v).at("store").v);
  std::printf("  proposals=%llu log syncs=%llu\n",
              (unsigned long long)std::get<uint64_t>(vars.at("num_proposals").v),
              (unsigned long long)std::get<uint64_t>(vars.at("num_log_syncs").v));

  double batches = Run(client, inflight, secs, [&](uint64_t i, std::function<void()> done) {
    std::vector<api::Statement> v;
    for (int k = 0; k < 100; ++k) {
      v.push_back({"INSERT INTO foo(name, age) VALUES(?, ?)", {{"", std::string("batch")}, {"", int64_t(k)}}});
    }
    exec(std::move(v), std::move(done));
  });
  std::printf("100-row batches, %d in flight: %.0f rows/s\n", inflight, batches * 100);

  double reads = Run(client, inflight, secs, [&](uint64_t i, std::function<void()> done) {
    api::QueryRequest q;
    q.statements = {{"SELECT * FROM foo WHERE id=?", {{"", int64_t(1 + i % 1000)}}}};
    st.Query(std::move(q), [done](api::Response resp) {
      if (!resp.status.ok() || resp.results.empty() || resp.results[0].values.empty()) std::abort();
      done();
    });
  });
  std::printf("point queries, %d in flight, 2 read threads: %.0f req/s\n", inflight, reads);
  std::printf("RSS at end: %ld KiB\n", RssKb());
  s->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
