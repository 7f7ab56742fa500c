#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "base/random.h"
#include "base/result.h"

namespace base {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s = "hello, incremental world of checksums";
  uint32_t a = Crc32cExtend(Crc32c(s.substr(0, 10)), s.data() + 10, s.size() - 10);
  EXPECT_EQ(a, Crc32c(s));
}

TEST(Random, DeterministicForSeed) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    (void)c;
  }
  Random d(42), e(43);
  EXPECT_NE(d.Next(), e.Next());
}

TEST(Random, UniformInRange) {
  Random r(1);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_LT(r.Uniform(7), 7u);
    int64_t v = r.Range(-3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
}

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  RQ_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(Result, ValueAndError) {
  EXPECT_EQ(*Half(4), 2);
  EXPECT_FALSE(Half(3).ok());
  EXPECT_EQ(Half(3).status().code(), Code::kInvalidArgument);
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseHalf(7, &out).message(), "odd");
}

}  // namespace
}  // namespace base

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "base/executor.h"

namespace base {
namespace {
TEST(ThreadPoolTest, RunsTasksConcurrently) {
  ThreadPool pool("test", 3);
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  // Three tasks that each wait for all three to have started: passes only if they overlap.
  for (int i = 0; i < 3; ++i) {
    pool.Post([&] {
      std::unique_lock<std::mutex> lock(mu);
      ++arrived;
      cv.notify_all();
      EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 3; }));
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 3; }));
}

TEST(ThreadPoolTest, DestructorDrainsPostedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool("test", 2);
    for (int i = 0; i < 1000; ++i) pool.Post([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(SerialExecutor, RunsInOrderAndDrainsOnDestruction) {
  std::vector<int> seen;
  {
    SerialExecutor ex("test");
    for (int i = 0; i < 100; ++i) ex.Post([&seen, i] { seen.push_back(i); });
  }
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}
}  // namespace
}  // namespace base
