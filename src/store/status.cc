// StoreImpl status trees: the `store` section of /status (cluster-semantics.md §16.1, as far as
// it applies to one node) and the store's /debug/vars maps.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "replica/replica.h"
#include "store/store_impl.h"

namespace store {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

uint64_t DirSize(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// Go's humanize.Bytes-like rendering ("1.2 MB").
std::string Friendly(uint64_t n) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(n));
  } else {
    std::snprintf(buf, sizeof(buf), v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  }
  return buf;
}

std::string Duration(int64_t ns) {
  if (ns % 1000000000 == 0) return std::to_string(ns / 1000000000) + "s";
  if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  return std::to_string(ns) + "ns";
}

// Go's time.Duration.String(): "0s", "850ns", "1.5µs", "12.345678ms", "2.5s", "1m2.5s".
std::string GoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t v = ns < 0 ? uint64_t(-(ns + 1)) + 1 : uint64_t(ns);
  auto fixed = [](uint64_t value, uint64_t unit, int digits) {
    std::string out = std::to_string(value / unit);
    std::string frac = std::to_string(value % unit);
    frac.insert(0, digits - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? out : out + "." + frac;
  };
  if (v < 1000) return sign + std::to_string(v) + "ns";
  if (v < 1000000) return sign + fixed(v, 1000, 3) + "\u00b5s";
  if (v < 1000000000) return sign + fixed(v, 1000000, 6) + "ms";
  std::string out;
  const uint64_t hours = v / 3600000000000ull, minutes = (v / 60000000000ull) % 60;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return sign + out + fixed(v % 60000000000ull, 1000000000, 9) + "s";
}

}  // namespace

api::Tree StoreImpl::SqliteStatus() {
  api::TreeMap s;
  s["version"] = sqlite::Version();
  s["path"] = db_path();
  uint64_t db_size = FileSize(db_path());
  s["db_size"] = db_size;
  s["db_size_friendly"] = Friendly(db_size);
  s["size"] = db_size;
  s["wal_size"] = FileSize(db_path() + "-wal");
  s["rw_dsn"] = "file:" + db_path() + "?_fk=" + (config_.fk ? "true" : "false");
  s["ro_dsn"] = "file:" + db_path() + "?mode=ro";
  api::TreeMap rw{{"synchronous", "0"}, {"journal_mode", "wal"},
                  {"foreign_keys", config_.fk ? "1" : "0"}, {"wal_autocheckpoint", "0"},
                  {"busy_timeout", "5000"}};
  api::TreeMap ro = rw;
  ro["foreign_keys"] = "0";
  ro["wal_autocheckpoint"] = "1000";
  s["pragmas"] = api::TreeMap{{"rw", rw}, {"ro", ro}};
  s["conn_pool_stats"] = api::TreeMap{
      {"ro", api::TreeMap{{"max_open_connections", config_.max_ro_conns},
                          {"open_connections", pool_.open_count()},
                          {"idle", pool_.idle_count()}}},
      {"rw", api::TreeMap{{"max_open_connections", 1}, {"open_connections", 1}}}};
  api::TreeList options;
  api::TreeMap mem;
  if (auto conn = pool_.Acquire(); conn.ok()) {
    if (auto st = (*conn)->Prepare("PRAGMA compile_options"); st.ok() && *st) {
      while (sqlite3_step(st->get()) == SQLITE_ROW) {
        options.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st->get(), 0))));
      }
    }
    for (const char* p : {"page_count", "page_size", "freelist_count", "max_page_count",
                          "cache_size"}) {
      auto v = (*conn)->QueryString(std::string("PRAGMA ") + p);
      if (v.ok() && !v->empty()) mem[p] = static_cast<int64_t>(std::stoll(*v));
    }
    pool_.Release(std::move(*conn));
  }
  mem["hard_heap_limit"] = static_cast<int64_t>(sqlite3_hard_heap_limit64(-1));
  mem["soft_heap_limit"] = static_cast<int64_t>(sqlite3_soft_heap_limit64(-1));
  s["compile_options"] = options;
  s["mem_stats"] = mem;
  s["extensions"] = api::TreeList{};
  return s;
}

api::TreeMap StoreImpl::RaftStatusTree(const replica::RaftStatus& rs, const replica::Stats& st) {
  const auto members = members_->All();
  api::TreeMap raft;
  raft["state"] = replica::RoleName(rs.role);
  raft["term"] = rs.term;
  raft["commit_index"] = rs.commit_index;
  raft["applied_index"] = rs.applied_index;
  raft["last_log_index"] = st.last_log_index;
  raft["last_log_term"] = st.last_log_term;
  raft["fsm_pending"] =
      rs.commit_index > rs.applied_index ? rs.commit_index - rs.applied_index : uint64_t{0};
  // The state machine's last checkpoint (durable in db.sqlite) or the log's snapshot point.
  const uint64_t snap = std::max(st.snapshot_index, snapshot_index_.load());
  raft["last_snapshot_index"] = snap;
  raft["last_snapshot_term"] = snap > 0 ? st.last_log_term : uint64_t{0};
  raft["voter"] = IsVoter();
  // hashicorp/raft: "0" (numeric after rqlite's conversion) on the leader, "never", or a
  // duration since the last contact with the leader.
  if (rs.role == replica::Role::kLeader) {
    raft["last_contact"] = uint64_t{0};
  } else if (rs.last_contact_mono_ns == 0) {
    raft["last_contact"] = "never";
  } else {
    raft["last_contact"] = GoDuration(deps_.clock->MonotonicNanos() - rs.last_contact_mono_ns);
  }
  std::string conf = "[";
  uint64_t other_voters = 0;
  auto add = [&](raft::NodeId id, bool voter) {
    auto it = members.find(id);
    const std::string name = it != members.end() ? it->second.id : std::to_string(id);
    const std::string addr = it != members.end() ? it->second.raft_addr : "";
    if (conf.size() > 1) conf += " ";
    conf += std::string("{Suffrage:") + (voter ? "Voter" : "Nonvoter") + " ID:" + name +
            " Address:" + addr + "}";
    if (voter && id != self_) other_voters++;
  };
  for (raft::NodeId id : rs.conf.voters) add(id, true);
  for (raft::NodeId id : rs.conf.learners) add(id, false);
  raft["latest_configuration"] = conf + "]";
  raft["latest_configuration_index"] = uint64_t{0};
  raft["num_peers"] = other_voters;
  const uint64_t log_size = DirSize(config_.dir + "/raft/log");
  raft["log_size"] = log_size;
  raft["log_size_friendly"] = Friendly(log_size);
  raft["proposals"] = st.proposals;
  raft["log_syncs"] = st.syncs;
  raft["config"] = api::TreeMap{
      {"LocalID", config_.node_id},
      {"HeartbeatTimeout", config_.raft_heartbeat_timeout_ns},
      {"ElectionTimeout", config_.raft_election_timeout_ns},
      {"TickInterval", config_.raft_tick_ns},
      {"ElectionTicks", config_.raft_election_ticks},
      {"HeartbeatTicks", config_.raft_heartbeat_ticks}};
  return raft;
}

api::Tree StoreImpl::Status() {
  if (!open_) return api::TreeMap{{"open", false}};
  const replica::Stats rs = replica_->GetStats();
  const replica::RaftStatus raft = replica_->GetRaftStatus();
  api::TreeMap st;
  st["open"] = true;
  st["ready"] = Ready();
  st["node_id"] = config_.node_id;
  st["addr"] = config_.raft_addr;
  const api::LeaderInfo leader = Leader();
  st["leader"] = api::TreeMap{{"node_id", leader.id}, {"addr", leader.raft_addr}};
  st["observer"] = api::TreeMap{{"observed", uint64_t{0}}, {"dropped", uint64_t{0}}};
  const uint64_t applied = applied_index_.load();
  st["raft"] = RaftStatusTree(raft, rs);
  st["fsm_index"] = applied;
  st["fsm_term"] = rs.term;
  st["db_applied_index"] = applied;
  st["fsm_update_time"] = applied_at_unix_ns_.load();
  st["strong_read_term"] = strong_read_term_.load();
  st["snapshot_threshold"] = config_.snapshot_threshold;
  st["snapshot_interval"] = Duration(config_.snapshot_interval_ns);
  st["trailing_logs"] = config_.trailing_logs;
  st["heartbeat_timeout"] = Duration(config_.raft_heartbeat_timeout_ns);
  st["election_timeout"] = Duration(config_.raft_election_timeout_ns);
  st["apply_timeout"] = Duration(config_.raft_apply_timeout_ns);
  st["request_marshaler"] = api::TreeMap{{"compression_size", config_.compress_min_bytes}};
  api::TreeList nodes;
  const auto members = members_->All();
  auto add = [&](raft::NodeId id, const char* suffrage) {
    auto it = members.find(id);
    std::string name = it != members.end() ? it->second.id : std::to_string(id);
    std::string addr = it != members.end() ? it->second.raft_addr : "";
    nodes.push_back(api::TreeMap{{"id", name}, {"addr", addr}, {"suffrage", suffrage}});
  };
  for (raft::NodeId id : raft.conf.voters) add(id, "voter");
  for (raft::NodeId id : raft.conf.learners) add(id, "nonvoter");
  st["nodes"] = nodes;
  st["dir"] = config_.dir;
  uint64_t dir_size = DirSize(config_.dir);
  st["dir_size"] = dir_size;
  st["dir_size_friendly"] = Friendly(dir_size);
  st["db_conf"] = api::TreeMap{{"fk_constraints", config_.fk}, {"extensions", api::TreeList{}}};
  st["cdc"] = api::TreeMap{{"enabled", false}, {"registered", false}};
  st["sqlite3"] = SqliteStatus();
  return st;
}

api::Tree StoreImpl::DebugVars() {
  replica::Stats rs = replica_ ? replica_->GetStats() : replica::Stats{};
  api::TreeMap store{{"num_executes", n_executes_.load()},
                     {"num_queries", n_queries_.load()},
                     {"num_requests", n_requests_.load()},
                     {"num_user_snapshots", n_snapshots_.load()},
                     {"num_proposals", rs.proposals},
                     {"num_log_syncs", rs.syncs}};
  return api::TreeMap{{"store", store}};
}

}  // namespace store
