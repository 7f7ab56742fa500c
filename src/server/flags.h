// server/flags.h — rqlited's command line: the full flag table of cli.md §2, the invocation rules
// of §1 (through server::FlagSet, Go `flag` semantics) and the validation rules of §3.
//
// What: ParseCommandLine turns argv into either a validated Config to run with, or an exit
// (code + exact stderr text): usage/help (0), -version (0), Go flag errors + usage (2), missing or
// extra positional arguments and `fatal: <message>` validation failures (1). Flags whose feature
// this build does not have yet are accepted at their default value; any other value is a
// `fatal: -<flag> is not supported yet` exit 1 (never silently ignored) — see DESIGN.md for the
// list.
//
// Ownership: values only. Thread-safety: call from one thread (start-up). Side effects: reads
// the current directory (data path → absolute) and stat()s the file paths named by flags; it
// never creates anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace server {

using Nanos = std::chrono::nanoseconds;

struct Config {
  std::string data_path;  // trimmed, absolute, cleaned
  bool show_version = false;
  std::string node_id;  // defaults to raft_adv_addr

  // HTTP API
  std::string http_addr = "localhost:4001";
  std::string http_adv_addr;  // defaults to http_addr
  std::string http_allow_origin;
  std::string http_cert, http_key, http_ca_cert;
  bool http_verify_client = false;
  std::string http_verify_common_name;
  std::string auth_file;

  // Node-to-node TLS
  std::string node_cert, node_key, node_ca_cert;
  bool node_no_verify = false;
  bool node_verify_client = false;
  std::string node_verify_server_name, node_verify_common_name;

  // Raft / clustering
  std::string raft_addr = "localhost:4002";
  std::string raft_adv_addr;  // defaults to raft_addr
  std::string join_addrs;
  int64_t join_attempts = 5;
  Nanos join_interval = std::chrono::seconds(3);
  std::string join_as;
  int64_t bootstrap_expect = 0;
  Nanos bootstrap_expect_timeout = std::chrono::seconds(120);
  bool raft_non_voter = false;
  Nanos cluster_connect_timeout = std::chrono::seconds(30);
  bool compress_snap_transport = false;
  std::string disco_mode;
  std::string disco_key = "rqlite";
  std::string disco_config;
  std::string raft_log_level = "WARN";
  uint64_t raft_snap_threshold = 8192;
  uint64_t raft_snap_wal_size = 4194304;
  Nanos raft_snap_interval = std::chrono::seconds(10);
  Nanos raft_leader_lease_timeout{0};
  Nanos raft_heartbeat_timeout = std::chrono::seconds(1);
  Nanos raft_commit_timeout = std::chrono::milliseconds(50);
  Nanos raft_election_timeout = std::chrono::seconds(1);
  Nanos raft_apply_timeout = std::chrono::seconds(10);
  bool raft_remove_shutdown = false;
  bool raft_cluster_remove_shutdown = false;
  bool raft_shutdown_stepdown = true;
  Nanos raft_reap_node_timeout{0};
  Nanos raft_reap_read_only_node_timeout{0};

  // Database
  bool fk = false;
  int64_t db_max_ro_conns = 256;
  Nanos auto_vacuum_interval{0};
  Nanos auto_optimize_interval = std::chrono::hours(24);
  std::string extensions_path;               // raw flag value
  std::vector<std::string> extension_paths;  // extensions_path split on ','

  // Queued writes
  int64_t write_queue_capacity = 1024;
  int64_t write_queue_batch_size = 128;
  Nanos write_queue_timeout = std::chrono::milliseconds(50);
  bool write_queue_tx = false;

  // Backup / restore / CDC / metrics / profiling
  std::string auto_backup_file, auto_restore_file, cdc_config;
  std::string otlp_endpoint;
  Nanos otlp_interval = std::chrono::seconds(30);
  bool otlp_insecure = false;
  bool otlp_no_verify = false;
  std::string otlp_ca_cert, otlp_cert, otlp_key;
  std::string cpu_profile, mem_profile, trace_profile;

  // "http://<http_adv_addr>" (https once TLS exists).
  std::string HttpUrl() const;
};

struct BuildInfo {
  std::string version = "v10.0.0";
  std::string commit = "unknown";
  std::string branch = "main";
  std::string compiler = "gcc";
  std::string compiler_version = "unknown";  // stands in for Go's runtime.Version()
  std::string sqlite_version = "unknown";
  std::string os = "linux";
  std::string arch = "amd64";
};

struct CommandLine {
  bool run = false;   // true: start the node with `config`; false: print and exit
  int exit_code = 0;  // when !run
  // Exact bytes for stderr when !run. When `log_line` is true it is one message that the caller
  // writes through the logger (Go's log.Fatalf), otherwise raw text (with trailing newline).
  std::string stderr_text;
  bool log_line = false;
  Config config;
};

// `args` excludes the program name.
CommandLine ParseCommandLine(const std::vector<std::string>& args, const BuildInfo& build);

// The usage text printed for -h and flag errors (header + Go PrintDefaults).
std::string UsageText();

// Go's net.SplitHostPort (exposed for tests). Returns false on a malformed address.
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port);
// Go's filepath.Clean of an absolute or relative path.
std::string CleanPath(const std::string& path);

}  // namespace server
