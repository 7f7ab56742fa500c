// base/random.h — a seeded, deterministic pseudo-random generator (xoshiro256**).
// Never seeded from the environment here: whoever constructs it chooses the seed, so the
// simulator can replay a run exactly. Not thread-safe: one owner.
#pragma once

#include <cstdint>

namespace base {

class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability p.
  bool Bernoulli(double p);
  double NextDouble();  // [0, 1)

 private:
  uint64_t s_[4];
};

}  // namespace base
