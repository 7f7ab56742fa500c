#include "net/address.h"

#include <charconv>

namespace net {

base::Result<HostPort> ParseHostPort(std::string_view addr) {
  auto bad = [&](const char* why) {
    return base::InvalidArgument("address " + std::string(addr) + ": " + why);
  };
  HostPort out;
  std::string_view port_part;
  if (!addr.empty() && addr.front() == '[') {
    size_t close = addr.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    out.host = std::string(addr.substr(1, close - 1));
    if (close + 1 >= addr.size() || addr[close + 1] != ':') return bad("missing port");
    port_part = addr.substr(close + 2);
  } else {
    size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    out.host = std::string(addr.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("too many colons");
    port_part = addr.substr(colon + 1);
  }
  if (port_part.empty()) return bad("missing port");
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (ec != std::errc() || ptr != port_part.data() + port_part.size() || value > 65535) {
    return bad("invalid port");
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  return out + ":" + std::to_string(port);
}

}  // namespace net
