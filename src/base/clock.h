// base/clock.h — time as an injected dependency.
// Code that needs "now" takes a Clock&; only server/ constructs the SystemClock, and tests and the
// simulator pass a ManualClock. Thread-safety: SystemClock is thread-safe; ManualClock is not.
#pragma once

#include <cstdint>

namespace base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds (arbitrary epoch): for timeouts and durations.
  virtual int64_t MonotonicNanos() const = 0;
  // Wall-clock Unix nanoseconds: for timestamps shown to users and for 'now' rewriting.
  virtual int64_t UnixNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t MonotonicNanos() const override;
  int64_t UnixNanos() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_unix_nanos = 0) : unix_(start_unix_nanos) {}
  int64_t MonotonicNanos() const override { return mono_; }
  int64_t UnixNanos() const override { return unix_ + mono_; }
  void Advance(int64_t nanos) { mono_ += nanos; }

 private:
  int64_t unix_;
  int64_t mono_ = 0;
};

}  // namespace base
