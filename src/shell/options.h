// shell/options.h — command-line options of the `rqlite` shell (cli.md §5.1), parsed the way
// rqlite's option library (mkideal/cli) accepts them: `-x value`, `-x=value`, `-xvalue`,
// `--long value`, `--long=value`; booleans as `-i`, `-i=true|false`.
//
// Pure: no environment or file access here; the caller passes RQLITE_HOST's value in.
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace shell {

struct Options {
  bool help = false;
  bool version = false;
  std::string alternatives;  // comma list of host:port
  std::string scheme = "http";
  std::string host = "127.0.0.1";
  uint16_t port = 4001;
  std::string prefix = "/";  // always starts and ends with '/' after parsing
  bool insecure = false;
  std::string ca_cert;
  std::string client_cert;
  std::string client_key;
  std::string user;  // "username:password"
  int64_t http_timeout_ms = 30000;

  // Which of -H/-p/-s were given explicitly (RQLITE_HOST applies only when none was).
  bool host_set = false;
  bool port_set = false;
  bool scheme_set = false;
};

// Parses argv[1..]. Errors are one-line messages suitable for "ERR! <message>".
base::Result<Options> ParseOptions(const std::vector<std::string>& args);

// Applies RQLITE_HOST (`[http://|https://]host[:port]`, also `//host[:port]`) when none of
// -H/-p/-s were given. Returns an error for an unsupported scheme, a missing host or a bad port.
base::Status ApplyHostEnv(std::string_view value, Options* options);

// The -h/--help text (mkideal/cli "manual" style, as rqlite prints it).
std::string HelpText();

// Parses a Go duration ("30s", "1m30s", "500ms", "0"). Result in milliseconds.
base::Result<int64_t> ParseGoDurationMs(std::string_view text);

// "host:port", with IPv6 hosts in brackets (Go's net.JoinHostPort).
std::string JoinHostPort(std::string_view host, uint16_t port);

}  // namespace shell
