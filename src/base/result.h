// base/result.h — a value or a non-OK Status.
// Thread-safety: a value type.
#pragma once

#include <optional>
#include <utility>

#include "base/check.h"
#include "base/status.h"

namespace base {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    CHECK(!status_.ok()) << "Result constructed from an OK Status without a value";
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & { CHECK(ok()) << status_.ToString(); return *value_; }
  const T& value() const& { CHECK(ok()) << status_.ToString(); return *value_; }
  T&& value() && { CHECK(ok()) << status_.ToString(); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace base

#define RQ_CONCAT_INNER_(a, b) a##b
#define RQ_CONCAT_(a, b) RQ_CONCAT_INNER_(a, b)
// RQ_ASSIGN_OR_RETURN(auto x, Foo()); returns Foo()'s Status when it is not OK.
#define RQ_ASSIGN_OR_RETURN(lhs, expr) \
  RQ_ASSIGN_OR_RETURN_IMPL_(RQ_CONCAT_(rq_result_, __LINE__), lhs, expr)
#define RQ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
