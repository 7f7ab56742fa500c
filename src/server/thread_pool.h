// server/thread_pool.h — a fixed pool of threads draining one FIFO queue (base::Executor).
//
// What: the `read` executor of the store (any number of concurrent read tasks). Tasks run in
// FIFO order of start, concurrently on up to `threads` threads.
// Ownership: owns its threads. The destructor runs every task already posted, then joins.
// Thread-safety: Post() may be called from any thread, including pool threads.
// Only server/ (the composition root) constructs it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/executor.h"

namespace server {

class ThreadPool final : public base::Executor {
 public:
  // REQUIRES: threads >= 1.
  ThreadPool(const char* name, int threads);
  ~ThreadPool() override;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Post(std::function<void()> task) override;

 private:
  void Run();

  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace server
