#include "base/status.h"

namespace base {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kNotLeader: return "NotLeader";
    case Code::kNoLeader: return "NoLeader";
    case Code::kUnavailable: return "Unavailable";
    case Code::kTimeout: return "Timeout";
    case Code::kStale: return "Stale";
    case Code::kCorruption: return "Corruption";
    case Code::kIoError: return "IoError";
    case Code::kAborted: return "Aborted";
    case Code::kUnsupported: return "Unsupported";
    case Code::kInternal: return "Internal";
    case Code::kPermissionDenied: return "PermissionDenied";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace base
