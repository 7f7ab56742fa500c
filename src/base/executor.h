// base/executor.h — where work runs.
//
// Components receive an `Executor&` and never start threads themselves; only server/ (and tests)
// construct the concrete `SerialExecutor`. Post() is thread-safe. Tasks posted to one
// SerialExecutor run one at a time, in order, on its single thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace base {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Post(std::function<void()> task) = 0;
};

// One thread draining a FIFO queue. The destructor runs every task already posted, then joins.
class SerialExecutor final : public Executor {
 public:
  explicit SerialExecutor(const char* name = "serial");
  ~SerialExecutor() override;
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  void Post(std::function<void()> task) override;
  // True when called from this executor's own thread.
  bool RunningInThisThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::thread thread_;
};

}  // namespace base
