// GET /status (http-api.md §7.10, cluster-semantics.md §16.1) and /debug/vars (§7.15).
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "base/clock.h"
#include "http/duration.h"
#include "http/handlers.h"
#include "http/render.h"
#include "http/write_queue.h"

namespace http {
namespace {

// Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC.
std::string Rfc3339Nano(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
  int64_t frac = unix_ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac != 0) {
    char f[16];
    snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

api::TreeMap BuildSection(const ServiceEnv& env) {
  return api::TreeMap{{"build_time", env.config.build_time},
                      {"commit", env.config.build_commit},
                      {"compiler_command", "c++20"},
                      {"compiler_toolchain", "gcc"},
                      {"version", env.config.version}};
}

// http.tls (cluster-semantics.md §13); client_auth uses Go's tls.ClientAuthType names.
api::TreeMap TlsSection(const HttpConfig& c) {
  if (!c.tls()) return api::TreeMap{{"enabled", "false"}};
  return api::TreeMap{
      {"enabled", "true"},
      {"client_auth", c.tls_verify_client ? "RequireAndVerifyClientCert" : "NoClientCert"},
      {"cert_file", c.tls_cert_file},
      {"key_file", c.tls_key_file},
      {"ca_file", c.tls_ca_file},
      {"next_protos", api::TreeList{std::string("http/1.1")}},
  };
}

api::TreeMap HttpSection(const ServiceEnv& env) {
  api::TreeMap queue;
  if (env.queue != nullptr) {
    const QueueConfig& q = env.queue->config();
    queue["_default"] = api::TreeMap{{"batch_size", q.batch_size},
                                     {"max_size", q.capacity},
                                     {"sequence_number", env.queue->written_sequence_number()},
                                     {"timeout", FormatGoDuration(q.timeout_ns)}};
  }
  api::TreeMap m{
      {"auth", env.config.credentials != nullptr ? "enabled" : "disabled"},
      {"bind_addr", env.config.bind_addr},
      {"cluster", api::TreeMap{{"conn_pool_stats", api::TreeMap{}},
                               {"local_node_addr", env.config.raft_addr},
                               {"timeout", FormatGoDuration(env.config.cluster_timeout_ns)}}},
      {"queue", std::move(queue)},
      {"tls", TlsSection(env.config)},
  };
  if (!env.config.allow_origin.empty()) m["allow_origin"] = env.config.allow_origin;
  return m;
}

api::TreeMap NodeSection(const ServiceEnv& env) {
  int64_t now = env.clock->UnixNanos();
  return api::TreeMap{{"current_time", Rfc3339Nano(now)},
                      {"start_time", Rfc3339Nano(env.start_unix_ns)},
                      {"uptime", FormatGoDuration(now - env.start_unix_ns)}};
}

api::TreeMap OsSection() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return api::TreeMap{{"executable", exe},
                      {"hostname", std::string(host)},
                      {"page_size", static_cast<int64_t>(sysconf(_SC_PAGESIZE))},
                      {"pid", static_cast<int64_t>(getpid())},
                      {"ppid", static_cast<int64_t>(getppid())}};
}

api::TreeMap RuntimeSection() {
  int64_t cpus = static_cast<int64_t>(std::thread::hardware_concurrency());
  struct utsname u;
  std::string arch = uname(&u) == 0 ? u.machine : "unknown";
  if (arch == "x86_64") arch = "amd64";
  if (arch == "aarch64") arch = "arm64";
  return api::TreeMap{{"GOARCH", arch},
                      {"GOMAXPROCS", cpus},
                      {"GOOS", "linux"},
                      {"kubernetes_hint", false},
                      {"num_cpu", cpus},
                      {"num_goroutine", int64_t{0}},
                      {"version", "c++20"}};
}

api::TreeMap ExtensionsSection(const ServiceEnv& env) {
  api::TreeList names;
  if (!env.config.extensions_dir.empty()) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(env.config.extensions_dir, ec)) {
      files.push_back(e.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) names.emplace_back(std::move(f));
  }
  return api::TreeMap{{"dir", env.config.extensions_dir}, {"names", std::move(names)}};
}

}  // namespace

api::Tree BuildStatusTree(ServiceEnv& env) {
  api::TreeMap root{
      {"build", BuildSection(env)},
      {"cluster", api::TreeMap{{"addr", env.config.raft_addr},
                               {"api_addr", env.config.adv_addr},
                               {"https", env.config.tls() ? "true" : "false"}}},
      {"extensions", ExtensionsSection(env)},
      {"http", HttpSection(env)},
      {"node", NodeSection(env)},
      {"os", OsSection()},
      {"runtime", RuntimeSection()},
      {"store", env.db->Status()},
  };
  if (int64_t t = env.last_backup_unix_ns.load(); t != 0) root["last_backup_time"] = Rfc3339Nano(t);
  return api::Tree(std::move(root));
}

void HandleStatus(ServiceEnv& env, CallPtr call) {
  call->response.SetHeader("Content-Type", kJsonContentType);
  if (!Permitted(env, call->request, Permission::kStatus)) return FinishEmpty(std::move(call), 401);
  if (call->request.method != "GET") return FinishEmpty(std::move(call), 405);
  ++env.counters.num_status;
  api::Tree tree = BuildStatusTree(env);
  const api::Tree* node = &tree;
  if (call->params.key.has_value()) node = LookupTreePath(tree, *call->params.key);
  if (node == nullptr) {
    call->response.body = "{}";
    return Finish(std::move(call));
  }
  auto body = RenderTree(*node, call->params.pretty);
  if (!body.ok()) return FinishError(std::move(call), 500, body.status().message());
  call->response.body = std::move(body).value();
  Finish(std::move(call));
}

namespace {

api::TreeMap CountersMap(const ServiceEnv& env) {
  const HttpCounters& c = env.counters;
  WriteQueue::Stats q = env.queue != nullptr ? env.queue->stats() : WriteQueue::Stats{};
  return api::TreeMap{{"auth_fail", c.auth_fail.load()},
                      {"auth_ok", c.auth_ok.load()},
                      {"backups", c.backups.load()},
                      {"boot", c.boot.load()},
                      {"executions", c.executions.load()},
                      {"leader_not_found", c.leader_not_found.load()},
                      {"loads", c.loads.load()},
                      {"num_readyz", c.num_readyz.load()},
                      {"num_remove_node", c.remove_node.load()},
                      {"num_sql_analyze", c.sql_analyze.load()},
                      {"num_status", c.num_status.load()},
                      {"queries", c.queries.load()},
                      {"queued_executions", c.queued_executions.load()},
                      {"queued_executions_failed", q.failed},
                      {"queued_executions_leadership_lost", q.leadership_lost},
                      {"queued_executions_no_leader", q.no_leader},
                      {"queued_executions_not_leader", q.not_leader},
                      {"queued_executions_wait", c.queued_executions_wait.load()},
                      {"requests", c.requests.load()},
                      {"user_snapshots", c.user_snapshots.load()}};
}

api::TreeList Cmdline() {
  api::TreeList out;
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    out.emplace_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void HandleDebugVars(ServiceEnv& env, CallPtr call) {
  call->response.SetHeader("Content-Type", kJsonContentType);
  if (!Permitted(env, call->request, Permission::kStatus)) return FinishEmpty(std::move(call), 401);
  api::TreeMap vars;
  api::Tree store_vars = env.db->DebugVars();
  if (auto* m = std::get_if<api::TreeMap>(&store_vars.v)) vars = std::move(*m);
  vars["cmdline"] = Cmdline();
  vars["http"] = CountersMap(env);
  if (!vars.contains("memstats")) vars["memstats"] = api::TreeMap{};
  // expvar's handler: "{\n", entries "%q: %s" joined by ",\n", then "\n}\n".
  std::string out = "{\n";
  bool first = true;
  for (const auto& [name, value] : vars) {
    if (call->params.key.has_value() && *call->params.key != name) continue;
    auto json = RenderTree(value, false);
    if (!json.ok()) return FinishError(std::move(call), 500, json.status().message());
    if (!first) out += ",\n";
    first = false;
    out += GoQuote(name) + ": " + *json;
  }
  out += "\n}\n";
  call->response.body = std::move(out);
  Finish(std::move(call));
}

}  // namespace http
