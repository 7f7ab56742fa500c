#include "base/clock.h"

#include <ctime>

namespace base {
namespace {
int64_t Read(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

int64_t SystemClock::MonotonicNanos() const { return Read(CLOCK_MONOTONIC); }
int64_t SystemClock::UnixNanos() const { return Read(CLOCK_REALTIME); }

}  // namespace base
