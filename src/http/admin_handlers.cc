// Handlers for the node-administration endpoints: /snapshot, /reap, /remove, /nodes, /leader,
// /readyz, /licenses. (/status and /debug/vars are in status_handlers.cc.)
#include <simdjson.h>

#include <algorithm>
#include <memory>

#include "base/clock.h"

#include "http/handlers.h"
#include "http/render.h"

namespace http {
namespace {

bool CheckPermAndMethod(ServiceEnv& env, CallPtr& call, Permission perm, std::string_view m1,
                        std::string_view m2 = {}) {
  if (!Permitted(env, call->request, perm)) {
    ++env.counters.auth_fail;
    FinishEmpty(std::move(call), 401);
    return false;
  }
  ++env.counters.auth_ok;
  const std::string& m = call->request.method;
  if (m != m1 && (m2.empty() || m != m2)) {
    FinishEmpty(std::move(call), 405);
    return false;
  }
  return true;
}

// Maps a leader-only operation's failure; `prefix` is prepended to the 500 text.
void FinishLeaderOpError(ServiceEnv& env, CallPtr call, const base::Status& st,
                         std::string_view prefix) {
  if (st.code() == base::Code::kNoLeader) {
    ++env.counters.leader_not_found;
    return FinishError(std::move(call), 503, "leader not found");
  }
  if (st.code() == base::Code::kNotLeader && call->params.redirect) {
    return FinishRedirectToLeader(env, std::move(call));
  }
  if (st.code() == base::Code::kPermissionDenied) {
    std::string text = RemoteUnauthorizedText(*call);
    return FinishError(std::move(call), 401, text);
  }
  FinishError(std::move(call), 500, std::string(prefix) + st.message());
}

// Database::Nodes() probes every node; when it reports a reachable node without a probe time
// (a single node answers its own probe without any I/O) the duration of the call is that
// node's probe time, so `time`/`time_s` are present as in rqlite.
std::vector<api::NodeInfo> TimedNodes(ServiceEnv& env, bool include_non_voters,
                                      int64_t timeout_ns) {
  int64_t start = env.clock->MonotonicNanos();
  api::NodesRequest req;
  req.include_non_voters = include_non_voters;
  req.timeout_ns = timeout_ns;
  std::vector<api::NodeInfo> nodes = env.db->Nodes(req);
  int64_t elapsed_ns = std::max<int64_t>(1, env.clock->MonotonicNanos() - start);
  for (api::NodeInfo& n : nodes) {
    if (n.reachable && n.probe_time_s <= 0) n.probe_time_s = static_cast<double>(elapsed_ns) / 1e9;
  }
  return nodes;
}

}  // namespace

void HandleSnapshot(ServiceEnv& env, CallPtr call) {
  if (!CheckPermAndMethod(env, call, Permission::kSnapshot, "POST")) return;
  ++env.counters.user_snapshots;
  base::Status st = env.db->Snapshot(static_cast<uint64_t>(
      std::max<int64_t>(0, call->params.trailing_logs.value_or(0))));
  if (st.code() == base::Code::kNotFound) return FinishEmpty(std::move(call), 204);
  if (!st.ok()) return FinishError(std::move(call), 500, st.message());
  FinishEmpty(std::move(call), 200);
}

// Snapshot reaping is internal to the store in this implementation (old snapshots are removed
// when a new one is installed), so there is never anything left to reap on demand.
void HandleReap(ServiceEnv& env, CallPtr call) {
  if (!CheckPermAndMethod(env, call, Permission::kSnapshot, "POST")) return;
  call->response.SetHeader("Content-Type", kJsonContentType);
  call->response.body = "{\"snapshots_reaped\":0,\"wals_checkpointed\":0}\n";
  Finish(std::move(call));
}

void HandleRemove(ServiceEnv& env, CallPtr call) {
  if (!CheckPermAndMethod(env, call, Permission::kRemove, "DELETE")) return;
  // The body must be a JSON object with exactly one member, "id", a string.
  std::string id;
  {
    simdjson::dom::parser parser;
    simdjson::padded_string body(call->request.body);
    simdjson::dom::element doc;
    simdjson::dom::object obj;
    std::string_view sv;
    bool ok = !parser.parse(body).get(doc) && !doc.get(obj) && obj.size() == 1 &&
              !obj["id"].get(sv);
    if (!ok) return FinishEmpty(std::move(call), 400);
    id = std::string(sv);
  }
  ++env.counters.remove_node;
  api::RemoveRequest req;
  req.id = std::move(id);
  req.forward = ForwardOptionsFor(*call);
  base::Status st = env.db->Remove(req);
  if (!st.ok()) return FinishLeaderOpError(env, std::move(call), st, "");
  call->response.SetHeader("X-Rqlite-Served-By", env.config.adv_addr);
  FinishEmpty(std::move(call), 200);
}

void HandleNodes(ServiceEnv& env, CallPtr call) {
  call->response.SetHeader("Content-Type", kJsonContentType);
  if (!CheckPermAndMethod(env, call, Permission::kStatus, "GET")) return;
  std::vector<api::NodeInfo> nodes = TimedNodes(env, call->params.nonvoters, call->params.TimeoutNs());
  call->response.body = RenderNodes(nodes, call->params.ver == "2", call->params.pretty);
  Finish(std::move(call));
}

namespace {

void LeaderGet(ServiceEnv& env, CallPtr call) {
  api::LeaderInfo leader = env.db->Leader();
  if (leader.id.empty()) {
    ++env.counters.leader_not_found;
    return FinishError(std::move(call), 503, "leader not found");
  }
  api::NodeInfo found;
  bool have = false;
  for (api::NodeInfo& n : TimedNodes(env, true, call->params.TimeoutNs())) {
    if (n.id == leader.id) {
      found = std::move(n);
      have = true;
    }
  }
  if (!have) {
    found.id = leader.id;
    found.raft_addr = leader.raft_addr;
    found.api_addr = leader.api_addr;
    found.version = env.config.version;
    found.reachable = !leader.api_addr.empty();
    found.leader = found.reachable;
  }
  call->response.body = RenderNode(found, call->params.pretty);
  Finish(std::move(call));
}

void LeaderPost(ServiceEnv& env, CallPtr call) {
  std::string id;
  const HttpRequest& r = call->request;
  if (r.content_type == "application/json" && r.has_content_length && r.content_length > 0) {
    simdjson::dom::parser parser;
    simdjson::padded_string body(r.body);
    simdjson::dom::element doc;
    auto err = parser.parse(body).get(doc);
    if (err) {
      return FinishError(std::move(call), 400,
                         std::string("invalid JSON: ") + simdjson::error_message(err));
    }
    std::string_view sv;
    if (doc.is_object() && !doc["id"].get(sv)) id = std::string(sv);
  }
  api::StepdownRequest req;
  req.id = std::move(id);
  req.wait = call->params.wait;
  req.forward = ForwardOptionsFor(*call);
  base::Status st = env.db->Stepdown(req);
  if (!st.ok()) return FinishLeaderOpError(env, std::move(call), st, "stepdown: ");
  call->response.SetHeader("X-Rqlite-Served-By", env.config.adv_addr);
  FinishEmpty(std::move(call), 200);
}

}  // namespace

void HandleLeader(ServiceEnv& env, CallPtr call) {
  call->response.SetHeader("Content-Type", kJsonContentType);
  if (!CheckPermAndMethod(env, call, Permission::kLeaderOps, "GET", "POST")) return;
  if (call->request.method == "GET") return LeaderGet(env, std::move(call));
  LeaderPost(env, std::move(call));
}

namespace {

void FinishReadyz(CallPtr call, int status, std::string body) {
  call->response.status = status;
  call->response.SetHeader("Content-Type", kTextContentType);
  call->response.body = std::move(body);
  Finish(std::move(call));
}

std::string DescribeResults(const api::Response& r) {
  std::string out = "[";
  for (size_t i = 0; i < r.results.size(); ++i) {
    if (i > 0) out += " ";
    out += r.results[i].kind == api::StatementResult::Kind::kError ? r.results[i].error : "ok";
  }
  return out + "]";
}

}  // namespace

void HandleReadyz(ServiceEnv& env, CallPtr call) {
  if (!CheckPermAndMethod(env, call, Permission::kReady, "GET")) return;
  ++env.counters.num_readyz;
  if (call->params.noleader) return FinishReadyz(std::move(call), 200, "[+]node ok");
  api::LeaderInfo leader = env.db->Leader();
  if (leader.id.empty()) {
    return FinishReadyz(std::move(call), 503, "[+]node ok\n[+]leader does not exist");
  }
  // The API URL comes from the leader's node metadata (cluster/): none = not contactable. A
  // single node is its own leader and always knows its own URL.
  if (leader.api_addr.empty()) {
    return FinishReadyz(std::move(call), 503,
                        "[+]node ok\n[+]leader not contactable: timeout waiting for node to respond");
  }
  std::string body = "[+]node ok\n[+]leader ok";
  if (!env.db->Ready()) return FinishReadyz(std::move(call), 503, body + "\n[+]store not ready");
  body += "\n[+]store ok";
  if (call->params.sync) {
    base::Status synced = env.db->SyncWithLeader(call->params.TimeoutNs());
    if (!synced.ok()) {
      return FinishReadyz(std::move(call), 503, body + "\n[+]sync " + synced.message());
    }
    body += "\n[+]sync ok";
  }
  api::QueryRequest q;
  q.statements.push_back(api::Statement{.sql = "SELECT 1"});
  q.level = api::Level::kNone;
  auto holder = std::make_shared<CallPtr>(std::move(call));
  env.db->Query(std::move(q), [holder, body](api::Response r) {
    bool ok = r.status.ok() && r.results.size() == 1 &&
              r.results[0].kind != api::StatementResult::Kind::kError;
    if (ok) return FinishReadyz(std::move(*holder), 200, body + "\n[+]db ok");
    std::string err = r.status.ok() ? "<nil>" : r.status.message();
    FinishReadyz(std::move(*holder), 503,
                 body + "\n[+]db not ok: (" + err + ", " + DescribeResults(r) + ")");
  });
}

void HandleLicenses(ServiceEnv& env, CallPtr call) {
  if (!CheckPermAndMethod(env, call, Permission::kStatus, "GET")) return;
  call->response.SetHeader("Content-Type", kTextContentType);
  call->response.body =
      "This server bundles or links the following third-party components:\n\n"
      "SQLite - public domain (https://sqlite.org/copyright.html)\n"
      "Boost (Asio, Beast) - Boost Software License 1.0\n"
      "simdjson - Apache License 2.0\n"
      "Protocol Buffers - BSD 3-Clause License\n"
      "zlib - zlib License\n"
      "zstd - BSD License\n"
      "OpenSSL - Apache License 2.0\n"
      "spdlog, fmt - MIT License\n"
      "libcurl - curl License (MIT-style)\n"
      "CLI11 - BSD 3-Clause License\n"
      "libedit - BSD License\n";
  Finish(std::move(call));
}

}  // namespace http
