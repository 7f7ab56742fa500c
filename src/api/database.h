// api/database.h — the database contract between the HTTP layer (http/, cluster/) and the store.
//
// http/ and cluster/ see only this header: value types for statements, parameters, results and
// consistency levels, and the abstract `Database`. The store (store/) implements it; later a
// forwarding decorator (cluster/) implements it too, so http/ never changes when Raft and
// forwarding arrive.
//
// Threads: every method may be called from any thread. Completion callbacks (`Done`) run on a
// store-owned thread (the apply thread for writes, a read thread for reads); they must not block —
// an HTTP handler posts the response back onto its own executor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace api {

// ---------------------------------------------------------------------------------------------
// Values

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// A SQL value as bound (parameters) or returned (rows).
//   monostate = NULL, int64_t = INTEGER, double = REAL, std::string = TEXT (bytes, may be invalid
//   UTF-8: the JSON writer replaces bad bytes with U+FFFD), Blob = BLOB, bool = an INTEGER read
//   from a column declared BOOLEAN (results only).
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob, bool>;

// One bound parameter. `name` is empty for positional parameters; for named ones it is the key
// without prefix ("n" binds :n, @n and $n).
struct Parameter {
  std::string name;
  Value value;
};

struct Statement {
  std::string sql;
  std::vector<Parameter> parameters;
  // Set by statement preprocessing (command/): the statement has a RETURNING clause, or is an
  // EXPLAIN. Callers leave them false.
  bool returning = false;
  bool explain = false;
};

// Controls of http-api.md §8.2 (norwrandom, norwtime, noparse).
struct RewriteOptions {
  bool no_rewrite_random = false;
  bool no_rewrite_time = false;
  bool no_parse = false;
};

enum class Level { kNone, kWeak, kLinearizable, kStrong, kAuto };

// How a request that this node cannot serve (kNotLeader) is handled (issue 4). The HTTP layer
// fills it from the call; cluster::ClusterDatabase (the forwarding decorator) reads it; the
// store ignores it.
//   redirect: the client asked for `redirect` — never forward; the decorator returns the
//             local kNotLeader so http/ answers 301 with the leader's API URL.
//   username/password: the original Basic Auth credentials ("" = none), re-checked by the
//             leader; a rejection comes back as kPermissionDenied (HTTP 401
//             "remote <op> not authorized").
//   timeout_ns/retries: the `timeout` / `retries` query parameters for the forwarded call
//             (0 = the forwarder's default timeout; retries = extra attempts).
struct ForwardOptions {
  bool redirect = false;
  std::string username;
  std::string password;
  int64_t timeout_ns = 0;
  int retries = 0;
};

// ---------------------------------------------------------------------------------------------
// Requests

struct ExecuteRequest {
  std::vector<Statement> statements;
  bool transaction = false;
  int64_t db_timeout_ns = 0;  // 0 = none
  RewriteOptions rewrite;
  ForwardOptions forward;
};

struct QueryRequest {
  std::vector<Statement> statements;
  bool transaction = false;
  int64_t db_timeout_ns = 0;
  RewriteOptions rewrite;  // applied only at Level::kStrong
  Level level = Level::kWeak;
  int64_t freshness_ns = 0;  // 0 = off
  bool freshness_strict = false;
  int64_t linearizable_timeout_ns = 10'000'000'000;
  bool qualify_columns = false;
  ForwardOptions forward;
};

// /db/request: a mix of reads and writes (http-api.md §7.3).
struct UnifiedRequest {
  std::vector<Statement> statements;
  bool transaction = false;
  int64_t db_timeout_ns = 0;
  RewriteOptions rewrite;
  Level level = Level::kWeak;
  int64_t freshness_ns = 0;
  bool freshness_strict = false;
  bool qualify_columns = false;
  ForwardOptions forward;
};

// ---------------------------------------------------------------------------------------------
// Results

struct StatementResult {
  enum class Kind { kExecute, kRows, kError };
  Kind kind = Kind::kExecute;
  // kExecute: connection-global counters read after the statement (http-api.md §5.2).
  int64_t last_insert_id = 0;
  int64_t rows_affected = 0;
  // kRows
  std::vector<std::string> columns;
  std::vector<std::string> types;
  std::vector<std::vector<Value>> values;
  // kError
  std::string error;
  double time_s = 0;  // statement time; reported only with `timings`
};

// A whole request's outcome. `status` not OK = request-level failure:
//   kNoLeader  -> HTTP 503 "leader not found"
//   kNotLeader -> the caller must forward (cluster/) or redirect
//   kPermissionDenied -> a forwarded request's credentials were rejected by the leader (401)
//   otherwise  -> HTTP 200 {"results":[],"error":status.message()}
//                 (messages are rqlite's: "disallowed pragma", "stale read", "store not ready"...)
struct Response {
  base::Status status;
  std::vector<StatementResult> results;
  uint64_t raft_index = 0;  // index of the log entry that carried the request; 0 if none
  // Set by the forwarding decorator (cluster/) on a response the leader served: the leader's
  // Raft address, which http/ reports in X-Rqlite-Served-By (http-api §1.2). "" = served here.
  std::string served_by;
};

using Done = std::function<void(Response)>;

// ---------------------------------------------------------------------------------------------
// Backup, load, boot

enum class BackupFormat { kBinary, kSql, kDelete };

struct BackupRequest {
  BackupFormat format = BackupFormat::kBinary;
  std::vector<std::string> tables;  // SQL format only; empty = all
  bool vacuum = false;
  bool leader_only = true;  // false with `noleader`
  ForwardOptions forward;
};

// /db/load (Database::Load).
struct LoadRequest {
  std::string data;
  ForwardOptions forward;
};

// A finished backup, written to a file that the caller streams and then deletes.
struct BackupFile {
  std::string path;
  uint64_t size = 0;
  std::string served_by;  // as Response::served_by (a backup the leader streamed to us)
};

// ---------------------------------------------------------------------------------------------
// Status and membership

// A JSON-shaped tree for /status and /debug/vars; maps keep keys sorted, as rqlite's output is.
struct Tree;
using TreeMap = std::map<std::string, Tree>;
using TreeList = std::vector<Tree>;
struct Tree {
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, TreeMap, TreeList> v;
  Tree() = default;
  template <typename T>
  Tree(T x) : v(std::move(x)) {}  // NOLINT: implicit by design
  Tree(const char* s) : v(std::string(s)) {}  // NOLINT
  Tree(int x) : v(static_cast<int64_t>(x)) {}  // NOLINT
};

struct NodeInfo {
  std::string id;
  std::string raft_addr;
  std::string api_addr;  // full URL ("http://host:port"); empty if unknown/unreachable
  std::string version;
  bool voter = true;
  bool reachable = false;
  bool leader = false;
  double probe_time_s = 0;
  std::string error;
};

// DELETE /remove (Database::Remove).
struct RemoveRequest {
  std::string id;
  ForwardOptions forward;
};

// POST /leader (Database::Stepdown). Empty id = any node.
struct StepdownRequest {
  std::string id;
  bool wait = false;
  ForwardOptions forward;
};

// GET /nodes, /leader (Database::Nodes).
struct NodesRequest {
  bool include_non_voters = false;
  int64_t timeout_ns = 0;  // per-node probe timeout; 0 = the implementation's default
};

// A node asking to join the cluster (cluster-semantics.md §2.2). `forward.username/password`
// are the joiner's `-join-as` credentials, checked by the cluster service.
struct JoinRequest {
  std::string id;
  std::string raft_addr;
  bool voter = true;
  ForwardOptions forward;
};

// A bootstrap-expect notification (cluster-semantics.md §2.3).
struct NotifyRequest {
  std::string id;
  std::string raft_addr;
};

struct LeaderInfo {
  std::string id;         // empty when no leader is known
  std::string raft_addr;
  std::string api_addr;   // full URL of the leader's HTTP API, if known
};

// ---------------------------------------------------------------------------------------------

class Database {
 public:
  virtual ~Database() = default;

  virtual void Execute(ExecuteRequest request, Done done) = 0;
  virtual void Query(QueryRequest request, Done done) = 0;
  virtual void Request(UnifiedRequest request, Done done) = 0;

  // /db/load: `request.data` is a SQLite file image or SQL text (http-api.md §7.4).
  virtual void Load(LoadRequest request, Done done) = 0;
  // /boot: replace the local database with a SQLite file image, bypassing the log.
  virtual base::Status Boot(std::string sqlite_image) = 0;
  virtual base::Result<BackupFile> Backup(const BackupRequest& request) = 0;
  // /snapshot. Returns kNotFound when there is nothing new to snapshot (HTTP 204).
  virtual base::Status Snapshot(uint64_t trailing_logs) = 0;

  // Membership and leadership.
  virtual LeaderInfo Leader() = 0;
  virtual std::vector<NodeInfo> Nodes(const NodesRequest& request) = 0;
  virtual base::Status Remove(const RemoveRequest& request) = 0;
  virtual base::Status Stepdown(const StepdownRequest& request) = 0;

  // Join and Notify default to kUnsupported (test fakes); the store and the forwarding
  // decorator (cluster/) implement them.
  // Join: leader adds (or replaces, §2.2) the member; kNotLeader on a follower (Leader() then
  // names the leader). Idempotent for a member with the same id and address.
  virtual base::Status Join(const JoinRequest& request) {
    return base::Status(base::Code::kUnsupported, "join not implemented");
  }
  // Notify: bootstrap-expect bookkeeping; a local operation on every node (never forwarded).
  virtual base::Status Notify(const NotifyRequest& request) {
    return base::Status(base::Code::kUnsupported, "notify not implemented");
  }
  // /readyz `sync`: waits until this node's commit index has reached the leader's (fetched from
  // the leader now), at most timeout_ns. OK at once on the leader. Errors: kTimeout "timeout
  // waiting for commit index", or the error of reaching the leader. The forwarding decorator
  // implements it with WaitForCommitIndex of the local store.
  virtual base::Status SyncWithLeader(int64_t timeout_ns) { return base::Status::Ok(); }
  // Waits until the local commit index is >= index, at most timeout_ns (kTimeout otherwise).
  virtual base::Status WaitForCommitIndex(uint64_t index, int64_t timeout_ns) {
    return base::Status::Ok();
  }

  // Readiness (/readyz): store open and a leader known.
  virtual bool Ready() = 0;
  // The `store` section of /status and the store's /debug/vars maps.
  virtual Tree Status() = 0;
  virtual Tree DebugVars() = 0;
};

}  // namespace api
