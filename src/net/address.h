// net/address.h — "host:port" parsing and formatting (pure; no sockets, no Boost).
//
// Accepted forms: "host:port", "[v6addr]:port", ":port" (host empty = all interfaces).
// Port must be a decimal 0..65535 (0 = pick a free port when binding).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace net {

struct HostPort {
  std::string host;  // without brackets; may be empty
  uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// Errors: kInvalidArgument with a message naming the bad input.
base::Result<HostPort> ParseHostPort(std::string_view addr);

// Inverse of ParseHostPort: brackets IPv6 literals ("[::1]:4001").
std::string JoinHostPort(std::string_view host, uint16_t port);

}  // namespace net
