// base/check.h — always-on invariant checks. A failed CHECK prints the location and message
// to stderr and aborts: nothing repairs a corrupted node, but the cluster repairs a crashed one.
// Usage: CHECK(cond) << "context " << value;   CHECK_EQ(a, b);
#pragma once

#include <sstream>

namespace base::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* expr);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `CHECK(x) << ...` compile as a void expression.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace base::internal

#define CHECK(cond)                                   \
  (__builtin_expect(static_cast<bool>(cond), 1))      \
      ? (void)0                                       \
      : ::base::internal::Voidify() &                 \
            ::base::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_NE(a, b) CHECK((a) != (b))
#define CHECK_LT(a, b) CHECK((a) < (b))
#define CHECK_LE(a, b) CHECK((a) <= (b))
#define CHECK_GT(a, b) CHECK((a) > (b))
#define CHECK_GE(a, b) CHECK((a) >= (b))
#define CHECK_OK(expr)                                  \
  do {                                                  \
    ::base::Status rq_check_status_ = (expr);           \
    CHECK(rq_check_status_.ok()) << rq_check_status_.ToString(); \
  } while (0)
