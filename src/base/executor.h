// base/executor.h — where work runs.
//
// Components receive an `Executor&` and never start threads themselves; only server/ (and tests)
// construct the concrete executors. Post() is thread-safe and may be called from any thread,
// including the executor's own.
//
// ThreadPool: `threads` threads draining one FIFO queue; tasks start in FIFO order and run
// concurrently on up to `threads` threads. SerialExecutor: a ThreadPool of one thread, so its
// tasks run one at a time, in order. Destructors run every task already posted, then join.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace base {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Post(std::function<void()> task) = 0;
};

// Runs each task immediately in the thread that posts it. For work that is short and whose caller
// may block briefly: server/ uses it so read queries run on the HTTP io thread that received
// them (docs/decisions/0002-reads-on-io-threads.md). Thread-safe if the tasks are.
class InlineExecutor final : public Executor {
 public:
  void Post(std::function<void()> task) override { task(); }
};

class ThreadPool : public Executor {
 public:
  // REQUIRES: threads >= 1. `name` (at most 15 characters are kept) names the threads.
  ThreadPool(const char* name, int threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Post(std::function<void()> task) override;

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

class SerialExecutor final : public ThreadPool {
 public:
  explicit SerialExecutor(const char* name = "serial") : ThreadPool(name, 1) {}
};

}  // namespace base
