// Queued-write batching, sequence numbers, waits, retries and capacity, on a real io_context
// driven by the test thread, against the in-test FakeDatabase.
#include "http/write_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

#include "api/fake_database_test_util.h"

namespace http {
namespace {

using api::testing::FakeDatabase;
constexpr int64_t kStart = 1'653'314'298'877'648'933;

std::vector<api::Statement> Stmts(std::initializer_list<const char*> sqls) {
  std::vector<api::Statement> out;
  for (const char* s : sqls) out.push_back(api::Statement{.sql = s});
  return out;
}

class WriteQueueTest : public ::testing::Test {
 protected:
  // Runs handlers until `pred` holds; false on a 5 s deadline.
  bool RunUntil(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  size_t Executes() {
    std::lock_guard<std::mutex> lock(db_.mu);
    return db_.executes.size();
  }

  boost::asio::io_context io_;
  FakeDatabase db_;
};

struct Outcome {
  int64_t seq = -1;
  bool timed_out = false;
  bool called = false;
};

WriteQueue::Done Record(Outcome* o) {
  return [o](int64_t seq, bool timed_out) {
    o->seq = seq;
    o->timed_out = timed_out;
    o->called = true;
  };
}

TEST_F(WriteQueueTest, BatchSizeFlushesOneExecuteInOrder) {
  QueueConfig cfg{.capacity = 100, .batch_size = 3, .timeout_ns = 10'000'000'000, .tx = true};
  WriteQueue q(io_, db_, cfg, kStart);
  Outcome a, b, c;
  q.Enqueue(Stmts({"A1", "A2"}), false, 0, Record(&a));
  q.Enqueue(Stmts({"B"}), false, 0, Record(&b));
  q.Enqueue(Stmts({"C"}), false, 0, Record(&c));
  ASSERT_TRUE(RunUntil([&] { return c.called && q.written_sequence_number() != 0; }));
  EXPECT_EQ(a.seq, kStart + 1);
  EXPECT_EQ(b.seq, kStart + 2);
  EXPECT_EQ(c.seq, kStart + 3);
  ASSERT_EQ(Executes(), 1u);
  const api::ExecuteRequest& req = db_.executes[0];
  ASSERT_EQ(req.statements.size(), 4u);
  EXPECT_EQ(req.statements[0].sql, "A1");
  EXPECT_EQ(req.statements[3].sql, "C");
  EXPECT_TRUE(req.transaction);
  EXPECT_EQ(q.written_sequence_number(), kStart + 3);
}

TEST_F(WriteQueueTest, TimeoutFlushesPartialBatch) {
  QueueConfig cfg{.capacity = 100, .batch_size = 100, .timeout_ns = 20'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  Outcome a;
  q.Enqueue(Stmts({"A"}), false, 0, Record(&a));
  ASSERT_TRUE(RunUntil([&] { return a.called; }));
  EXPECT_EQ(Executes(), 0u);  // not yet: only the timer flushes
  ASSERT_TRUE(RunUntil([&] { return Executes() == 1; }));
  EXPECT_FALSE(db_.executes[0].transaction);
  ASSERT_TRUE(RunUntil([&] { return q.written_sequence_number() == kStart + 1; }));
}

TEST_F(WriteQueueTest, WaitReturnsAfterWriteAndFlushMarkerFlushes) {
  QueueConfig cfg{.capacity = 100, .batch_size = 100, .timeout_ns = 60'000'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  Outcome a, marker;
  db_.hold_execute = true;
  q.Enqueue(Stmts({"A"}), true, 10'000'000'000, Record(&a));
  q.Enqueue({}, true, 10'000'000'000, Record(&marker));  // `[]` with wait: flush now
  ASSERT_TRUE(RunUntil([&] { return Executes() == 1; }));
  EXPECT_EQ(db_.executes[0].statements.size(), 1u);
  for (int i = 0; i < 10; ++i) io_.poll();
  EXPECT_FALSE(a.called);  // still being written
  db_.ReleaseHeld(api::Response{});
  ASSERT_TRUE(RunUntil([&] { return a.called && marker.called; }));
  EXPECT_FALSE(a.timed_out);
  EXPECT_EQ(a.seq, kStart + 1);
  EXPECT_EQ(marker.seq, kStart + 2);
  EXPECT_EQ(q.written_sequence_number(), kStart + 2);
}

TEST_F(WriteQueueTest, WaitTimesOut) {
  QueueConfig cfg{.capacity = 100, .batch_size = 1, .timeout_ns = 1'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  db_.hold_execute = true;
  Outcome a;
  q.Enqueue(Stmts({"A"}), true, 30'000'000, Record(&a));
  ASSERT_TRUE(RunUntil([&] { return a.called; }));
  EXPECT_TRUE(a.timed_out);
  EXPECT_EQ(q.written_sequence_number(), 0);
  db_.ReleaseHeld(api::Response{});  // a late completion must not call `done` again
  a.called = false;
  ASSERT_TRUE(RunUntil([&] { return q.written_sequence_number() == kStart + 1; }));
  EXPECT_FALSE(a.called);
}

TEST_F(WriteQueueTest, RetriesRetriableErrors) {
  QueueConfig cfg{.capacity = 100, .batch_size = 1, .timeout_ns = 1'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  api::Response no_leader;
  no_leader.status = base::Status(base::Code::kNoLeader, "no leader");
  db_.execute_sequence = {no_leader};
  Outcome a;
  q.Enqueue(Stmts({"A"}), true, 10'000'000'000, Record(&a));
  ASSERT_TRUE(RunUntil([&] { return a.called; }));
  EXPECT_FALSE(a.timed_out);
  ASSERT_EQ(Executes(), 2u);
  EXPECT_EQ(db_.executes[1].statements[0].sql, "A");
  EXPECT_EQ(q.stats().failed, 1);
  EXPECT_EQ(q.stats().no_leader, 1);
}

TEST_F(WriteQueueTest, FullQueueParksUntilABatchLeaves) {
  QueueConfig cfg{.capacity = 2, .batch_size = 2, .timeout_ns = 60'000'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  db_.hold_execute = true;
  Outcome o[5];
  for (int i = 0; i < 5; ++i) q.Enqueue(Stmts({"X"}), false, 0, Record(&o[i]));
  // Batch 1 (o0, o1) is in flight; o2, o3 fill the queue; o4 is parked.
  ASSERT_TRUE(RunUntil([&] { return o[3].called; }));
  for (int i = 0; i < 10; ++i) io_.poll();
  EXPECT_FALSE(o[4].called);
  db_.ReleaseHeld(api::Response{});
  ASSERT_TRUE(RunUntil([&] { return o[4].called; }));
  EXPECT_EQ(o[4].seq, kStart + 5);
}

TEST_F(WriteQueueTest, StopFailsWaiters) {
  QueueConfig cfg{.capacity = 100, .batch_size = 100, .timeout_ns = 60'000'000'000, .tx = false};
  WriteQueue q(io_, db_, cfg, kStart);
  Outcome a;
  q.Enqueue(Stmts({"A"}), true, 60'000'000'000, Record(&a));
  q.Stop();
  ASSERT_TRUE(RunUntil([&] { return a.called; }));
  EXPECT_TRUE(a.timed_out);
  EXPECT_EQ(Executes(), 0u);
}

}  // namespace
}  // namespace http
