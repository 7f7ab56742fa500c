#include "linearizability.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace sim {
namespace {

Operation Write(int client, std::string key, std::string value, int64_t invoke, int64_t ret,
                Outcome outcome = Outcome::kOk) {
  return Operation{client, OpKind::kWrite, std::move(key), std::move(value), std::nullopt,
                   invoke, ret, outcome};
}

Operation Read(int client, std::string key, std::optional<std::string> value, int64_t invoke,
               int64_t ret, Outcome outcome = Outcome::kOk) {
  return Operation{client, OpKind::kRead, std::move(key), std::move(value), std::nullopt,
                   invoke, ret, outcome};
}

Operation Cas(int client, std::string key, std::optional<std::string> expected, std::string value,
              int64_t invoke, int64_t ret, Outcome outcome = Outcome::kOk) {
  return Operation{client, OpKind::kCas, std::move(key), std::move(value), std::move(expected),
                   invoke, ret, outcome};
}

Verdict Check(const std::vector<Operation>& h) { return CheckLinearizable(h).verdict; }

TEST(Linearizability, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(Check({}), Verdict::kLinearizable);
}

TEST(Linearizability, SequentialWriteThenRead) {
  EXPECT_EQ(Check({Write(1, "x", "a", 0, 10), Read(2, "x", "a", 20, 30)}), Verdict::kLinearizable);
}

TEST(Linearizability, ReadOfInitialAbsentValue) {
  EXPECT_EQ(Check({Read(1, "x", std::nullopt, 0, 5), Write(2, "x", "a", 10, 20)}),
            Verdict::kLinearizable);
  // Reading "absent" strictly after a completed write is a violation.
  EXPECT_EQ(Check({Write(2, "x", "a", 0, 5), Read(1, "x", std::nullopt, 10, 20)}),
            Verdict::kNotLinearizable);
}

TEST(Linearizability, ReadOfNeverWrittenValueFails) {
  EXPECT_EQ(Check({Write(1, "x", "a", 0, 10), Read(2, "x", "zzz", 20, 30)}),
            Verdict::kNotLinearizable);
}

// The classic stale read: w(a) completes, w(b) completes, then a later read still sees a
// (e.g. a deposed leader serving a read locally).
TEST(Linearizability, StaleReadAfterCompletedWriteIsDetected) {
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10), Write(1, "x", "b", 20, 30),
                              Read(2, "x", "a", 40, 50)};
  CheckResult r = CheckLinearizable(h);
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r.key, "x");
  EXPECT_NE(r.explanation.find("read x->a"), std::string::npos) << r.explanation;
}

TEST(Linearizability, ConcurrentReadMaySeeEitherValue) {
  // The read overlaps the write of b: both a and b are allowed.
  std::vector<Operation> base = {Write(1, "x", "a", 0, 10), Write(1, "x", "b", 20, 40)};
  auto h1 = base;
  h1.push_back(Read(2, "x", "a", 30, 50));
  auto h2 = base;
  h2.push_back(Read(2, "x", "b", 30, 50));
  EXPECT_EQ(Check(h1), Verdict::kLinearizable);
  EXPECT_EQ(Check(h2), Verdict::kLinearizable);
}

TEST(Linearizability, TwoReadersMustAgreeOnOrder) {
  // Both reads overlap the write, but r1 (which sees the new value) finishes before r2 starts,
  // and r2 sees the old value: a new-old inversion.
  std::vector<Operation> h = {Write(1, "x", "a", 0, 5), Write(1, "x", "b", 10, 100),
                              Read(2, "x", "b", 20, 30), Read(3, "x", "a", 40, 50)};
  EXPECT_EQ(Check(h), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownWriteMayHaveHappenedLater) {
  // The write of b timed out; a read long after sees b: fine (it took effect late).
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10),
                              Write(1, "x", "b", 20, 0, Outcome::kUnknown),
                              Read(2, "x", "b", 1000, 1010)};
  EXPECT_EQ(Check(h), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteMayNeverHaveHappened) {
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10),
                              Write(1, "x", "b", 20, 0, Outcome::kUnknown),
                              Read(2, "x", "a", 1000, 1010), Read(2, "x", "a", 2000, 2010)};
  EXPECT_EQ(Check(h), Verdict::kLinearizable);
}

TEST(Linearizability, UnknownWriteCannotTakeEffectBeforeItsInvocation) {
  std::vector<Operation> h = {Read(2, "x", "b", 0, 10),
                              Write(1, "x", "b", 20, 0, Outcome::kUnknown)};
  EXPECT_EQ(Check(h), Verdict::kNotLinearizable);
}

TEST(Linearizability, UnknownWriteSeenThenUnseenIsAViolation) {
  // Once a read has observed the unknown write b, a later read may not go back to a.
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10),
                              Write(1, "x", "b", 20, 0, Outcome::kUnknown),
                              Read(2, "x", "b", 100, 110), Read(3, "x", "a", 200, 210)};
  EXPECT_EQ(Check(h), Verdict::kNotLinearizable);
}

TEST(Linearizability, FailedWriteNeverTookEffect) {
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10), Write(1, "x", "b", 20, 30, Outcome::kFail),
                              Read(2, "x", "b", 40, 50)};
  EXPECT_EQ(Check(h), Verdict::kNotLinearizable);
}

TEST(Linearizability, KeysAreIndependent) {
  std::vector<Operation> h = {Write(1, "x", "a", 0, 10), Write(2, "y", "b", 0, 10),
                              Read(3, "x", "a", 20, 30), Read(3, "y", "b", 20, 30)};
  EXPECT_EQ(Check(h), Verdict::kLinearizable);
  h.push_back(Read(3, "y", "a", 40, 50));
  CheckResult r = CheckLinearizable(h);
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r.key, "y");
}

TEST(Linearizability, CompareAndSet) {
  std::vector<Operation> ok = {Write(1, "x", "a", 0, 10), Cas(2, "x", "a", "b", 20, 30),
                               Read(3, "x", "b", 40, 50)};
  EXPECT_EQ(Check(ok), Verdict::kLinearizable);
  // A cas that claims success although the value could not have been `expected`.
  std::vector<Operation> bad = {Write(1, "x", "a", 0, 10), Cas(2, "x", "z", "b", 20, 30)};
  EXPECT_EQ(Check(bad), Verdict::kNotLinearizable);
  // Two successful cas from the same expected value cannot both succeed.
  std::vector<Operation> dup = {Write(1, "x", "a", 0, 10), Cas(2, "x", "a", "b", 20, 30),
                                Cas(3, "x", "a", "c", 20, 30)};
  EXPECT_EQ(Check(dup), Verdict::kNotLinearizable);
}

TEST(Linearizability, OrderMattersForConcurrentWrites) {
  // w(a) and w(b) overlap; later reads see b then a: impossible (no write after both).
  std::vector<Operation> h = {Write(1, "x", "a", 0, 50), Write(2, "x", "b", 0, 50),
                              Read(3, "x", "b", 60, 70), Read(3, "x", "a", 80, 90)};
  EXPECT_EQ(Check(h), Verdict::kNotLinearizable);
  // But reading a then a is fine.
  h[3] = Read(3, "x", "b", 80, 90);
  EXPECT_EQ(Check(h), Verdict::kLinearizable);
}

// A randomly generated history of a real (atomic) register is always linearizable; mutating one
// read to a value that was overwritten before the read began makes it non-linearizable.
TEST(Linearizability, RandomAtomicHistoriesAreAccepted) {
  int mutated = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    base::Random rng(seed);
    std::vector<Operation> h;
    std::optional<std::string> current;
    int64_t now = 0;
    int next_value = 0;
    // Each op takes effect at an atomic instant `now`; its interval is widened randomly.
    for (int i = 0; i < 60; ++i) {
      now += 10;
      int64_t invoke = now - rng.Range(0, 25);
      int64_t ret = now + rng.Range(0, 25);
      int client = static_cast<int>(rng.Uniform(5));
      if (rng.Bernoulli(0.5)) {
        std::string v = "v" + std::to_string(next_value++);
        current = v;
        Outcome o = rng.Bernoulli(0.1) ? Outcome::kUnknown : Outcome::kOk;
        h.push_back(Write(client, "k", v, invoke, ret, o));
      } else {
        h.push_back(Read(client, "k", current, invoke, ret));
      }
    }
    CheckResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, Verdict::kLinearizable) << "seed " << seed << "\n" << r.explanation;
    // Mutation: find the last acknowledged write W and an acknowledged write E that returned
    // before W was invoked; a read of E's value after everything is a stale read.
    const Operation* last = nullptr;
    for (const Operation& op : h) {
      if (op.kind == OpKind::kWrite && op.outcome == Outcome::kOk) last = &op;
    }
    const Operation* earlier = nullptr;
    for (const Operation& op : h) {
      if (last && op.kind == OpKind::kWrite && op.outcome == Outcome::kOk && op.ret < last->invoke)
        earlier = &op;
    }
    if (earlier == nullptr) continue;
    h.push_back(Read(9, "k", earlier->value, now + 1000, now + 1010));
    ASSERT_EQ(CheckLinearizable(h).verdict, Verdict::kNotLinearizable) << "seed " << seed;
    ++mutated;
  }
  EXPECT_GT(mutated, 150);
}

TEST(Linearizability, GivesUpRatherThanLying) {
  // Twelve fully concurrent writes and one impossible read: with a 10-step budget the search
  // must say kGaveUp or kNotLinearizable, never kLinearizable.
  std::vector<Operation> h;
  for (int i = 0; i < 12; ++i) h.push_back(Write(i, "x", "v" + std::to_string(i), 0, 100));
  h.push_back(Read(99, "x", "nope", 200, 300));
  CheckOptions tiny;
  tiny.max_steps_per_key = 10;
  EXPECT_NE(CheckLinearizable(h, tiny).verdict, Verdict::kLinearizable);
  EXPECT_EQ(CheckLinearizable(h).verdict, Verdict::kNotLinearizable);
}

}  // namespace
}  // namespace sim
