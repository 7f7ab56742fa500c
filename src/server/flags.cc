#include "server/flags.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <variant>

#include "server/flagset.h"

namespace server {
namespace {

using Field = std::variant<bool Config::*, std::string Config::*, int64_t Config::*,
                           uint64_t Config::*, Nanos Config::*>;

struct FlagDef {
  const char* name;
  FlagSet::Type type;
  const char* default_text;
  const char* usage;
  Field field;
};

using T = FlagSet::Type;

// The flag table of cli.md §2 (names, types, defaults and usage texts of rqlite v10).
const std::vector<FlagDef>& FlagTable() {
  static const std::vector<FlagDef> kTable = {
      {"version", T::kBool, "false", "Show version information and exit", &Config::show_version},
      {"node-id", T::kString, "", "Unique ID for node. If not set, set to advertised Raft address",
       &Config::node_id},
      {"http-addr", T::kString, "localhost:4001",
       "HTTP server bind address. To enable HTTPS, set X.509 certificate and key",
       &Config::http_addr},
      {"http-adv-addr", T::kString, "",
       "Advertised HTTP address. If not set, same as HTTP server bind address",
       &Config::http_adv_addr},
      {"http-allow-origin", T::kString, "",
       "Value to set for Access-Control-Allow-Origin HTTP header", &Config::http_allow_origin},
      {"http-cert", T::kString, "", "Path to HTTPS X.509 certificate", &Config::http_cert},
      {"http-key", T::kString, "", "Path to HTTPS X.509 private key", &Config::http_key},
      {"http-ca-cert", T::kString, "", "Path to X.509 CA certificate for HTTPS",
       &Config::http_ca_cert},
      {"http-verify-client", T::kBool, "false", "Enable mutual TLS for HTTPS",
       &Config::http_verify_client},
      {"http-verify-common-name", T::kString, "",
       "Required Common Name on client certificates. If not set, no Common Name required",
       &Config::http_verify_common_name},
      {"auth", T::kString, "",
       "Path to authentication and authorization file. If not set, not enabled",
       &Config::auth_file},
      {"node-cert", T::kString, "",
       "Path to X.509 certificate for node-to-node mutual authentication and encryption",
       &Config::node_cert},
      {"node-key", T::kString, "",
       "Path to X.509 private key for node-to-node mutual authentication and encryption",
       &Config::node_key},
      {"node-ca-cert", T::kString, "", "Path to X.509 CA certificate for node-to-node encryption",
       &Config::node_ca_cert},
      {"node-no-verify", T::kBool, "false", "Skip verification of any presented certificate",
       &Config::node_no_verify},
      {"node-verify-client", T::kBool, "false",
       "Enable mutual TLS for node-to-node communication", &Config::node_verify_client},
      {"node-verify-server-name", T::kString, "",
       "Hostname to verify on certificate returned by a node", &Config::node_verify_server_name},
      {"node-verify-common-name", T::kString, "",
       "Required Common Name on incoming peer certificates. If not set, no Common Name required",
       &Config::node_verify_common_name},
      {"raft-addr", T::kString, "localhost:4002", "Raft communication bind address",
       &Config::raft_addr},
      {"raft-adv-addr", T::kString, "",
       "Advertised Raft communication address. If not set, same as Raft bind address",
       &Config::raft_adv_addr},
      {"join", T::kString, "",
       "Comma-delimited list of nodes, in host:port form, through which a cluster can be joined",
       &Config::join_addrs},
      {"join-attempts", T::kInt, "5", "Number of join attempts to make", &Config::join_attempts},
      {"join-interval", T::kDuration, "3s", "Period between join attempts",
       &Config::join_interval},
      {"join-as", T::kString, "",
       "Username in authentication file to join as. If not set, joins anonymously",
       &Config::join_as},
      {"bootstrap-expect", T::kInt, "0", "Minimum number of nodes required for a bootstrap",
       &Config::bootstrap_expect},
      {"bootstrap-expect-timeout", T::kDuration, "120s", "Maximum time for bootstrap process",
       &Config::bootstrap_expect_timeout},
      {"raft-non-voter", T::kBool, "false", "Configure as non-voting node",
       &Config::raft_non_voter},
      {"cluster-connect-timeout", T::kDuration, "30s",
       "Timeout for initial connection to other nodes", &Config::cluster_connect_timeout},
      {"compress-snap-transport", T::kBool, "false",
       "Enable compression when transferring snapshots between nodes",
       &Config::compress_snap_transport},
      {"disco-mode", T::kString, "",
       "Choose clustering discovery mode. If not set, no node discovery is performed",
       &Config::disco_mode},
      {"disco-key", T::kString, "rqlite", "Key prefix for cluster discovery service",
       &Config::disco_key},
      {"disco-config", T::kString, "",
       "Set discovery config, or path to cluster discovery config file", &Config::disco_config},
      {"raft-log-level", T::kString, "WARN", "Minimum log level for Raft module",
       &Config::raft_log_level},
      {"raft-snap", T::kUint, "8192", "Number of outstanding log entries which triggers Raft snapshot",
       &Config::raft_snap_threshold},
      {"raft-snap-wal-size", T::kUint, "4194304",
       "SQLite WAL file size in bytes which triggers Raft snapshot. Set to 0 to disable",
       &Config::raft_snap_wal_size},
      {"raft-snap-int", T::kDuration, "10s", "Snapshot threshold check interval",
       &Config::raft_snap_interval},
      {"raft-leader-lease-timeout", T::kDuration, "0s",
       "Raft leader lease timeout. Use 0s for Raft default", &Config::raft_leader_lease_timeout},
      {"raft-heartbeat-timeout", T::kDuration, "1s", "Raft heartbeat timeout",
       &Config::raft_heartbeat_timeout},
      {"raft-commit-timeout", T::kDuration, "50ms", "Raft commit timeout",
       &Config::raft_commit_timeout},
      {"raft-election-timeout", T::kDuration, "1s", "Raft election timeout",
       &Config::raft_election_timeout},
      {"raft-apply-timeout", T::kDuration, "10s", "Raft apply timeout",
       &Config::raft_apply_timeout},
      {"raft-remove-shutdown", T::kBool, "false", "Shutdown Raft if node removed from cluster",
       &Config::raft_remove_shutdown},
      {"raft-cluster-remove-shutdown", T::kBool, "false",
       "Node removes itself from cluster on graceful shutdown",
       &Config::raft_cluster_remove_shutdown},
      {"raft-shutdown-stepdown", T::kBool, "true",
       "If leader, stepdown before shutting down. Enabled by default",
       &Config::raft_shutdown_stepdown},
      {"raft-reap-node-timeout", T::kDuration, "0h",
       "Time after which a non-reachable voting node will be reaped. If not set, no reaping "
       "takes place",
       &Config::raft_reap_node_timeout},
      {"raft-reap-read-only-node-timeout", T::kDuration, "0h",
       "Time after which a non-reachable read replica (non-voting) node will be reaped. If not "
       "set, no reaping takes place",
       &Config::raft_reap_read_only_node_timeout},
      {"fk", T::kBool, "false", "Enable SQLite foreign key constraints", &Config::fk},
      {"db-max-ro-conns", T::kInt, "256", "Maximum number of read-only connections to database",
       &Config::db_max_ro_conns},
      {"auto-vacuum-int", T::kDuration, "0s",
       "Period between automatic VACUUMs. If not set, not enabled", &Config::auto_vacuum_interval},
      {"auto-optimize-int", T::kDuration, "24h",
       "Period between automatic 'PRAGMA optimize'. Set to 0h to disable",
       &Config::auto_optimize_interval},
      {"extensions-path", T::kString, "",
       "Comma-delimited list of paths to directories, zipfiles, or tar.gz files containing "
       "SQLite extensions",
       &Config::extensions_path},
      {"write-queue-capacity", T::kInt, "1024", "Queued Writes queue capacity",
       &Config::write_queue_capacity},
      {"write-queue-batch-size", T::kInt, "128", "Queued Writes queue batch size",
       &Config::write_queue_batch_size},
      {"write-queue-timeout", T::kDuration, "50ms", "Queued Writes queue timeout",
       &Config::write_queue_timeout},
      {"write-queue-tx", T::kBool, "false", "Use a transaction when processing a queued write",
       &Config::write_queue_tx},
      {"auto-backup", T::kString, "",
       "Path to automatic backup configuration file. If not set, not enabled",
       &Config::auto_backup_file},
      {"auto-restore", T::kString, "",
       "Path to automatic restore configuration file. If not set, not enabled",
       &Config::auto_restore_file},
      {"cdc-config", T::kString, "",
       "Set CDC HTTP endpoint, or path to CDC config file. If not set, CDC not enabled",
       &Config::cdc_config},
      {"otlp-endpoint", T::kString, "",
       "Address of OpenTelemetry Collector for metrics. If not set, OTLP reporting not enabled",
       &Config::otlp_endpoint},
      {"otlp-interval", T::kDuration, "30s", "Period between OTLP metric exports",
       &Config::otlp_interval},
      {"otlp-insecure", T::kBool, "false",
       "Use plaintext gRPC when communicating with the OpenTelemetry Collector",
       &Config::otlp_insecure},
      {"otlp-no-verify", T::kBool, "false",
       "Skip verification of the OpenTelemetry Collector certificate", &Config::otlp_no_verify},
      {"otlp-ca-cert", T::kString, "",
       "Path to X.509 CA certificate for verifying the OpenTelemetry Collector",
       &Config::otlp_ca_cert},
      {"otlp-cert", T::kString, "",
       "Path to X.509 certificate for mutual TLS with the OpenTelemetry Collector",
       &Config::otlp_cert},
      {"otlp-key", T::kString, "",
       "Path to X.509 private key for mutual TLS with the OpenTelemetry Collector",
       &Config::otlp_key},
      {"cpu-profile", T::kString, "", "Path to file for CPU profiling information",
       &Config::cpu_profile},
      {"mem-profile", T::kString, "", "Path to file for memory profiling information",
       &Config::mem_profile},
      {"trace-profile", T::kString, "", "Path to file for trace profiling information",
       &Config::trace_profile},
  };
  return kTable;
}

// Flags whose feature this build does not have: accepted only at their default value.
constexpr const char* kNotYetSupported[] = {
    "node-cert", "node-key", "node-ca-cert", "node-no-verify",
    "node-verify-client", "node-verify-server-name", "node-verify-common-name",
    "disco-mode", "disco-config",
    "extensions-path", "auto-vacuum-int", "auto-backup", "auto-restore", "cdc-config",
    "otlp-endpoint", "otlp-interval", "otlp-insecure", "otlp-no-verify", "otlp-ca-cert",
    "otlp-cert", "otlp-key", "cpu-profile", "mem-profile", "trace-profile",
};

constexpr const char* kUsageHeader =
    "\nrqlite is a lightweight, distributed relational database, which uses SQLite as its\n"
    "storage engine. It provides an easy-to-use, fault-tolerant store for relational data.\n\n"
    "Visit https://www.rqlite.io to learn more.\n\n"
    "Usage: rqlited [flags] <data directory>\n";

FlagSet MakeFlagSet() {
  FlagSet fs;
  for (const FlagDef& def : FlagTable()) fs.Add(def.name, def.type, def.default_text, def.usage);
  return fs;
}

void CopyValues(const FlagSet& fs, Config& c) {
  for (const FlagDef& def : FlagTable()) {
    std::visit(
        [&](auto member) {
          using M = std::remove_reference_t<decltype(c.*member)>;
          if constexpr (std::is_same_v<M, bool>) c.*member = fs.GetBool(def.name);
          if constexpr (std::is_same_v<M, std::string>) c.*member = fs.GetString(def.name);
          if constexpr (std::is_same_v<M, int64_t>) c.*member = fs.GetInt(def.name);
          if constexpr (std::is_same_v<M, uint64_t>) c.*member = fs.GetUint(def.name);
          if constexpr (std::is_same_v<M, Nanos>) c.*member = Nanos(fs.GetDurationNanos(def.name));
        },
        def.field);
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string TrimSpace(const std::string& s) {
  auto space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Go's net.ParseIP(host).IsUnspecified(): 0.0.0.0 or :: (any spelling).
bool IsUnspecifiedIp(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
    return std::all_of(buf, buf + 4, [](unsigned char b) { return b == 0; });
  }
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool all_zero = std::all_of(buf, buf + 16, [](unsigned char b) { return b == 0; });
    bool mapped_zero = std::memcmp(buf, kMapped, 12) == 0 &&
                       std::all_of(buf + 12, buf + 16, [](unsigned char b) { return b == 0; });
    return all_zero || mapped_zero;
  }
  return false;
}

// strconv.Atoi.
bool IsGoAtoi(const std::string& s) {
  int64_t v = 0;
  std::string digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits = digits.substr(1);
  if (digits.empty()) return false;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return false;
  }
  return digits.size() <= 18 || ParseGoInt(s, &v).empty();
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool BothOrNeither(const std::string& a, const std::string& b) {
  return a.empty() == b.empty();
}

}  // namespace

bool SplitHostPort(const std::string& addr, std::string* host, std::string* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return false;  // missing port in address
  size_t j = 0, k = 0;
  if (!addr.empty() && addr[0] == '[') {
    size_t end = addr.find(']');
    if (end == std::string::npos) return false;  // missing ']'
    if (end + 1 == addr.size()) return false;    // missing port
    if (end + 1 != colon) return false;          // too many colons / missing port
    *host = addr.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = addr.substr(0, colon);
    if (host->find(':') != std::string::npos) return false;  // too many colons
  }
  if (addr.find('[', j) != std::string::npos) return false;
  if (addr.find(']', k) != std::string::npos) return false;
  *port = addr.substr(colon + 1);
  return true;
}

std::string CleanPath(const std::string& path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  for (const std::string& p : Split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
      continue;
    }
    parts.push_back(p);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

std::string Config::HttpUrl() const {
  return (http_cert.empty() ? "http://" : "https://") + http_adv_addr;
}

std::string UsageText() { return kUsageHeader + MakeFlagSet().Usage(); }

namespace {

// Addresses, node ID and cross-flag rules of rqlite's Config.Validate. Returns "" or a message.
std::string ValidateAddresses(Config& c) {
  if (c.raft_addr == c.http_addr) return "HTTP and Raft addresses must differ";
  if (c.raft_adv_addr.empty()) c.raft_adv_addr = c.raft_addr;
  if (c.http_adv_addr.empty()) c.http_adv_addr = c.http_addr;
  if (c.node_id.empty()) c.node_id = c.raft_adv_addr;
  if (Lower(c.http_addr).rfind("http", 0) == 0 || Lower(c.http_adv_addr).rfind("http", 0) == 0) {
    return "HTTP options should not include protocol (http:// or https://)";
  }
  std::string host, port;
  if (!SplitHostPort(c.http_addr, &host, &port)) return "HTTP bind address not valid";
  if (!SplitHostPort(c.http_adv_addr, &host, &port)) {
    return "HTTP advertised HTTP address not valid";
  }
  if (IsUnspecifiedIp(host)) {
    return "advertised HTTP address is not routable (" + host +
           "), specify it via -http-addr or -http-adv-addr";
  }
  if (!SplitHostPort(c.raft_addr, &host, &port)) return "raft bind address not valid";
  if (!IsGoAtoi(port)) return "raft bind port not valid";
  if (!SplitHostPort(c.raft_adv_addr, &host, &port)) return "raft advertised address not valid";
  if (IsUnspecifiedIp(host)) {
    return "advertised Raft address is not routable (" + host +
           "), specify it via -raft-addr or -raft-adv-addr";
  }
  if (!IsGoAtoi(port)) return "raft advertised port is not valid";
  if (c.raft_adv_addr == c.http_adv_addr) return "advertised HTTP and Raft addresses must differ";
  return "";
}

std::string ValidateClustering(const Config& c) {
  if (c.bootstrap_expect > 0 && c.raft_non_voter) {
    return "bootstrapping only applicable to voting nodes";
  }
  if (!c.join_addrs.empty()) {
    for (const std::string& a : Split(c.join_addrs, ',')) {
      std::string host, port;
      if (!SplitHostPort(a, &host, &port)) return a + " is an invalid join address";
      if (c.bootstrap_expect == 0) {
        if (a == c.raft_adv_addr || a == c.raft_addr) {
          return "node cannot join with itself unless bootstrapping";
        }
        if (!c.auto_restore_file.empty()) {
          return "auto-restoring cannot be used when joining a cluster";
        }
      }
    }
    if (!c.disco_mode.empty()) {
      return "disco mode cannot be used when also explicitly joining a cluster";
    }
  }
  const std::string& m = c.disco_mode;
  if (m == "etcd-kv" || m == "consul-kv") {
    if (c.bootstrap_expect > 0) return "bootstrapping not applicable when using " + m;
  } else if (m == "dns" || m == "dns-srv") {
    if (c.bootstrap_expect == 0 && !c.raft_non_voter) {
      return "bootstrap-expect value required when using " + m + " with a voting node";
    }
  } else if (!m.empty()) {
    return "disco mode must be one of consul-kv, etcd-kv, dns, or dns-srv";
  }
  if (!c.cdc_config.empty() && c.raft_non_voter) {
    return "CDC cannot be enabled on non-voting nodes";
  }
  return "";
}

std::string ValidateOtlp(const Config& c) {
  bool tls_opts = c.otlp_no_verify || !c.otlp_ca_cert.empty() || !c.otlp_cert.empty() ||
                  !c.otlp_key.empty();
  if (c.otlp_endpoint.empty()) {
    if (tls_opts || c.otlp_insecure) return "OTLP options require -otlp-endpoint";
    return "";
  }
  if (c.otlp_endpoint.find("://") != std::string::npos) {
    return "-otlp-endpoint must not include a protocol scheme";
  }
  std::string host, port;
  if (!SplitHostPort(c.otlp_endpoint, &host, &port)) return "-otlp-endpoint is not a valid address";
  if (c.otlp_interval.count() <= 0) return "-otlp-interval must be greater than zero";
  if (!BothOrNeither(c.otlp_cert, c.otlp_key)) {
    return "either both -otlp-cert and -otlp-key must be set, or neither";
  }
  if (c.otlp_insecure && tls_opts) return "-otlp-insecure cannot be used with other OTLP TLS options";
  return "";
}

// rqlite's Config.Validate (cli.md §3). Returns "" or the message for `fatal: <message>`.
std::string Validate(Config& c) {
  if (c.data_path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == nullptr) return "failed to determine absolute data path";
    c.data_path = std::string(cwd) + "/" + c.data_path;
  }
  c.data_path = CleanPath(c.data_path);
  for (const std::string* p : {&c.auth_file, &c.auto_backup_file, &c.auto_restore_file,
                               &c.http_ca_cert, &c.http_cert, &c.http_key, &c.node_ca_cert,
                               &c.node_cert, &c.node_key}) {
    if (!p->empty() && !FileExists(*p)) return *p + " does not exist";
  }
  for (const std::string& p : c.extension_paths) {
    if (!FileExists(p)) return "extension path does not exist: " + p;
  }
  if (!BothOrNeither(c.http_cert, c.http_key)) {
    return "either both -http-cert and -http-key must be set, or neither";
  }
  if (!BothOrNeither(c.node_cert, c.node_key)) {
    return "either both -node-cert and -node-key must be set, or neither";
  }
  if (!c.http_verify_common_name.empty() && !c.http_verify_client) {
    return "-http-verify-common-name requires -http-verify-client";
  }
  if (!c.node_verify_common_name.empty() && !c.node_verify_client) {
    return "-node-verify-common-name requires -node-verify-client";
  }
  std::string err = ValidateAddresses(c);
  if (err.empty()) err = ValidateClustering(c);
  if (err.empty()) err = ValidateOtlp(c);
  return err;
}

CommandLine Exit(int code, std::string text) {
  CommandLine out;
  out.exit_code = code;
  out.stderr_text = std::move(text);
  return out;
}

std::string GoStringSlice(const std::vector<std::string>& v, size_t from) {
  std::string out = "[";
  for (size_t i = from; i < v.size(); ++i) out += (i > from ? " " : "") + v[i];
  return out + "]";
}

}  // namespace

CommandLine ParseCommandLine(const std::vector<std::string>& args, const BuildInfo& build) {
  if (args.empty()) {
    CommandLine out = Exit(1, "failed to parse command-line flags: missing required argument: "
                              "DataPath");
    out.log_line = true;
    return out;
  }
  FlagSet fs = MakeFlagSet();
  switch (fs.Parse(args)) {
    case FlagSet::Outcome::kHelp:
      return Exit(0, kUsageHeader + fs.Usage());
    case FlagSet::Outcome::kError:
      return Exit(2, fs.error() + "\n" + kUsageHeader + fs.Usage());
    case FlagSet::Outcome::kOk:
      break;
  }
  Config c;
  CopyValues(fs, c);
  if (c.show_version) {
    return Exit(0, "rqlited " + build.version + " " + build.os + " " + build.arch + " " +
                       build.compiler_version + " sqlite" + build.sqlite_version + " (commit " +
                       build.commit + ", branch " + build.branch + ", compiler " +
                       build.compiler + ")\n");
  }
  for (const char* reap : {"raft-reap-node-timeout", "raft-reap-read-only-node-timeout"}) {
    if (fs.WasSet(reap) && fs.GetDurationNanos(reap) <= 0) {
      return Exit(1, std::string("fatal: -") + reap + " must be greater than 0\n");
    }
  }
  const std::vector<std::string>& pos = fs.Args();
  if (pos.empty()) return Exit(1, "fatal: data directory path is required\n");
  if (pos.size() > 1) {
    return Exit(1, "arguments after data directory (" + pos[0] + ") are not accepted (" +
                       GoStringSlice(pos, 1) + ")\n");
  }
  c.data_path = TrimSpace(pos[0]);
  if (c.data_path.empty()) return Exit(1, "fatal: data directory path is required\n");
  for (const std::string& p : Split(c.extensions_path, ',')) {
    if (!p.empty()) c.extension_paths.push_back(p);
  }
  if (std::string err = Validate(c); !err.empty()) return Exit(1, "fatal: " + err + "\n");
  for (const char* name : kNotYetSupported) {
    if (!fs.IsDefault(name)) {
      return Exit(1, std::string("fatal: -") + name + " is not supported yet\n");
    }
  }
  CommandLine out;
  out.run = true;
  out.config = std::move(c);
  return out;
}

}  // namespace server
