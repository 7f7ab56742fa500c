// shell/options.cc — see options.h.
#include "shell/options.h"

#include <cctype>
#include <cstdlib>
#include <optional>

namespace shell {
namespace {

enum class Kind { kBool, kString, kPort, kDuration };

struct Spec {
  const char* short_name;  // without '-'
  const char* long_name;   // without '--'
  Kind kind;
  const char* default_text;  // shown as [=x] in help; nullptr for none
  const char* usage;
};

constexpr Spec kSpecs[] = {
    {"h", "help", Kind::kBool, nullptr, "display help information"},
    {"a", "alternatives", Kind::kString, nullptr,
     "comma separated list of 'host:port' pairs to use as fallback"},
    {"s", "scheme", Kind::kString, "http", "protocol scheme (http or https)"},
    {"H", "host", Kind::kString, "127.0.0.1", "rqlited host address"},
    {"p", "port", Kind::kPort, "4001", "rqlited host port"},
    {"P", "prefix", Kind::kString, "/", "rqlited HTTP URL prefix"},
    {"i", "insecure", Kind::kBool, "false", "do not verify rqlited HTTPS certificate"},
    {"c", "ca-cert", Kind::kString, nullptr, "path to trusted X.509 root CA certificate"},
    {"d", "client-cert", Kind::kString, nullptr, "path to client X.509 certificate for mutual TLS"},
    {"k", "client-key", Kind::kString, nullptr, "path to client X.509 key for mutual TLS"},
    {"u", "user", Kind::kString, nullptr, "set basic auth credentials in form username:password"},
    {"v", "version", Kind::kBool, nullptr, "display CLI version"},
    {"t", "http-timeout", Kind::kDuration, "30s", "set timeout on HTTP requests"},
};

const Spec* FindSpec(std::string_view name, bool is_long) {
  for (const Spec& s : kSpecs) {
    if (name == (is_long ? s.long_name : s.short_name)) return &s;
  }
  return nullptr;
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

base::Result<uint16_t> ParsePort(std::string_view v) {
  if (v.empty() || v.size() > 5) return base::InvalidArgument("invalid port: " + std::string(v));
  unsigned long n = 0;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return base::InvalidArgument("invalid port: " + std::string(v));
    }
    n = n * 10 + static_cast<unsigned long>(c - '0');
  }
  if (n > 65535) return base::InvalidArgument("invalid port: " + std::string(v));
  return static_cast<uint16_t>(n);
}

std::string NormalizePrefix(std::string p) {
  if (p.empty() || p.front() != '/') p.insert(p.begin(), '/');
  if (p.back() != '/') p.push_back('/');
  return p;
}

base::Status Assign(const Spec& spec, std::string_view value, Options* o) {
  const std::string name = spec.long_name;
  const std::string v(value);
  switch (spec.kind) {
    case Kind::kBool: {
      auto b = ParseBool(value);
      if (!b) return base::InvalidArgument("invalid boolean value for --" + name + ": " + v);
      if (name == "help") o->help = *b;
      else if (name == "version") o->version = *b;
      else if (name == "insecure") o->insecure = *b;
      return base::Status::Ok();
    }
    case Kind::kPort: {
      RQ_ASSIGN_OR_RETURN(o->port, ParsePort(value));
      o->port_set = true;
      return base::Status::Ok();
    }
    case Kind::kDuration: {
      RQ_ASSIGN_OR_RETURN(o->http_timeout_ms, ParseGoDurationMs(value));
      return base::Status::Ok();
    }
    case Kind::kString: break;
  }
  if (name == "alternatives") o->alternatives = v;
  else if (name == "scheme") { o->scheme = v; o->scheme_set = true; }
  else if (name == "host") { o->host = v; o->host_set = true; }
  else if (name == "prefix") o->prefix = NormalizePrefix(v);
  else if (name == "ca-cert") o->ca_cert = v;
  else if (name == "client-cert") o->client_cert = v;
  else if (name == "client-key") o->client_key = v;
  else if (name == "user") o->user = v;
  return base::Status::Ok();
}

}  // namespace

base::Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') return base::InvalidArgument("unexpected argument: " + a);
    const bool is_long = a[1] == '-';
    std::string body = a.substr(is_long ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const Spec* spec = FindSpec(body, is_long);
    if (spec == nullptr && !is_long && body.size() > 1 && !value) {
      // -p4001 form: a one-letter option glued to its value.
      spec = FindSpec(body.substr(0, 1), false);
      if (spec != nullptr && spec->kind != Kind::kBool) value = body.substr(1);
      else spec = nullptr;
    }
    if (spec == nullptr) return base::InvalidArgument("undefined flag: " + a);
    if (!value) {
      if (spec->kind == Kind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return base::InvalidArgument("missing value for flag: " + a);
      }
    }
    RQ_RETURN_IF_ERROR(Assign(*spec, *value, &o));
  }
  return o;
}

base::Status ApplyHostEnv(std::string_view value, Options* o) {
  if (o->host_set || o->port_set || o->scheme_set) return base::Status::Ok();
  std::string_view rest = value;
  std::string scheme;
  if (size_t p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p));
    rest.remove_prefix(p + 3);
    if (scheme != "http" && scheme != "https") {
      return base::InvalidArgument("unsupported protocol " + scheme);
    }
  } else if (rest.substr(0, 2) == "//") {
    rest.remove_prefix(2);
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  std::string host;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return base::InvalidArgument("invalid RQLITE_HOST");
    host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  } else {
    host = std::string(rest);
  }
  if (host.empty()) return base::InvalidArgument("RQLITE_HOST does not contain a hostname");
  uint16_t port_num = 0;
  if (!port.empty()) {
    auto pr = ParsePort(port);
    if (!pr.ok()) return base::InvalidArgument("invalid port number " + port);
    port_num = *pr;
  }
  if (!scheme.empty()) o->scheme = scheme;
  o->host = host;
  if (port_num != 0) o->port = port_num;
  return base::Status::Ok();
}

std::string HelpText() {
  std::string out = "Options:\n\n";
  for (const Spec& s : kSpecs) {
    out += std::string("  -") + s.short_name + ", --" + s.long_name;
    if (s.default_text != nullptr) out += std::string("[=") + s.default_text + "]";
    out += std::string("\n      ") + s.usage + "\n\n";
  }
  return out;
}

base::Result<int64_t> ParseGoDurationMs(std::string_view text) {
  const std::string orig(text);
  if (text == "0") return int64_t{0};
  if (text.empty()) return base::InvalidArgument("time: invalid duration \"" + orig + "\"");
  double total_ms = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) {
      ++n;
    }
    if (n == 0) return base::InvalidArgument("time: invalid duration \"" + orig + "\"");
    const double number = std::strtod(std::string(text.substr(0, n)).c_str(), nullptr);
    text.remove_prefix(n);
    size_t u = 0;
    while (u < text.size() && !std::isdigit(static_cast<unsigned char>(text[u])) && text[u] != '.') {
      ++u;
    }
    const std::string unit(text.substr(0, u));
    text.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") scale = 1e-6;
    else if (unit == "us" || unit == "µs") scale = 1e-3;
    else if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60000;
    else if (unit == "h") scale = 3600000;
    else return base::InvalidArgument("time: invalid duration \"" + orig + "\"");
    total_ms += number * scale;
  }
  return static_cast<int64_t>(total_ms);
}

std::string JoinHostPort(std::string_view host, uint16_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

}  // namespace shell
