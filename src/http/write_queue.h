// http/write_queue.h — queued writes (http-api.md §7.1, cluster-semantics.md §8).
//
// What: requests enter an in-memory FIFO and get a sequence number (start-up Unix nanoseconds,
// +1 per request). A batch is flushed as ONE Database::Execute (statements concatenated in
// arrival order, `transaction` = QueueConfig::tx) when `batch_size` requests are pending, when
// `timeout_ns` has passed since the first pending request, or when a flush marker (an empty
// request with `wait`) is queued. Batches run one at a time, in order. A batch that fails with a
// retriable store error (no leader, not leader, unavailable, aborted, timeout, I/O) is retried
// every second until it succeeds or the queue stops; per-statement SQL errors are discarded, and
// other request-level errors drop the batch (logged). After a successful batch the written
// sequence number becomes its largest one. More than `capacity` pending requests: Enqueue is
// parked (its callback is delayed) until a batch leaves the queue.
// Ownership: borrows the io_context and the Database (both outlive the queue). Internal state is
// shared with in-flight timers and callbacks, so destroying the queue while they run is safe.
// Threads: Enqueue() and Stop() from any thread; state lives on a strand of the io_context;
// `done` callbacks run on that strand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "api/database.h"
#include "http/server.h"

namespace http {

class WriteQueue {
 public:
  // done(sequence_number, timed_out). Without `wait`, called once the request is in the queue;
  // with `wait`, once its batch was written (timed_out=false) or after `timeout_ns` (true).
  using Done = std::function<void(int64_t, bool)>;

  WriteQueue(boost::asio::io_context& io, api::Database& db, QueueConfig config,
             int64_t start_sequence_number);
  ~WriteQueue();  // calls Stop()
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  void Enqueue(std::vector<api::Statement> statements, bool wait, int64_t timeout_ns, Done done);
  // The largest sequence number of the last successfully written batch; 0 before the first.
  int64_t written_sequence_number() const;
  // Failed batch attempts (/debug/vars `http` map): total and by cause.
  struct Stats {
    int64_t failed = 0, no_leader = 0, not_leader = 0, leadership_lost = 0;
  };
  Stats stats() const;
  const QueueConfig& config() const { return config_; }
  // Cancels timers and drops pending requests (waiters get timed_out=true). Idempotent.
  void Stop();

  struct State;  // internal

 private:
  QueueConfig config_;
  std::shared_ptr<State> state_;
};

}  // namespace http
