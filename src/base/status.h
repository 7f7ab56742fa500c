// base/status.h — errors as values.
//
// Status is either OK or a (code, message) pair. Expected outcomes (not leader, stale read,
// SQL error, timeout) are Statuses, because they map one-to-one onto HTTP responses.
// Thread-safety: a Status is a value; copies are independent.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace base {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // bad input from a client or caller
  kNotFound,
  kAlreadyExists,
  kNotLeader,         // this node cannot serve the request: it is not the leader
  kNoLeader,          // no leader is known
  kUnavailable,       // store not open / not ready, peer unreachable
  kTimeout,
  kStale,             // read would be staler than allowed
  kCorruption,        // on-disk data failed a check
  kIoError,
  kAborted,           // e.g. leadership lost while committing
  kUnsupported,
  kInternal,
  kPermissionDenied,  // credentials rejected (e.g. by the leader for a forwarded request)
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Explicitly discard a status (e.g. best-effort cleanup).
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
inline Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
inline Status Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }

}  // namespace base

// Propagate a non-OK Status to the caller.
#define RQ_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::base::Status rq_status_ = (expr);       \
    if (!rq_status_.ok()) return rq_status_;  \
  } while (0)
