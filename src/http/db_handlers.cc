// Handlers for the SQL endpoints: /db/execute (incl. queued writes), /db/query, /db/request,
// /db/load, /boot, /db/sql. (/db/backup is in backup_handler.cc.)
#include <algorithm>
#include <memory>
#include <optional>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "http/handlers.h"
#include "http/json_writer.h"
#include "http/render.h"
#include "http/request_parser.h"
#include "http/write_queue.h"

namespace http {

double ElapsedSeconds(const ServiceEnv& env, const Call& call) {
  return static_cast<double>(env.clock->MonotonicNanos() - call.start_mono_ns) / 1e9;
}

namespace {

RenderOptions OptionsFor(const Call& call) {
  const QueryParams& p = call.params;
  RenderOptions o;
  o.query_errors_as_rows = call.request.path.starts_with("/db/query");
  o.pretty = p.pretty;
  o.timings = p.timings;
  o.associative = p.associative;
  o.blob_array = p.blob_array;
  o.raft_index = p.raft_index;
  return o;
}

bool IsPlainText(const HttpRequest& r) { return r.content_type.starts_with("text/plain"); }

// A copyable Database callback that owns the call (std::function needs copyable targets).
// Writes complete on the store's single apply thread: with RenderOn::kIoThread the response is
// rendered on an io thread (ServiceEnv::defer) instead. Reads complete on the read pool, which
// renders in parallel, so they skip that extra hop.
enum class RenderOn { kCompletingThread, kIoThread };
template <typename F>
api::Done OwningDone(ServiceEnv& env, CallPtr call, RenderOn where, F on_response) {
  auto holder = std::make_shared<CallPtr>(std::move(call));
  return [&env, where, holder, on_response](api::Response r) mutable {
    if (where == RenderOn::kCompletingThread || !env.defer) {
      return on_response(std::move(*holder), std::move(r));
    }
    env.defer([holder, on_response, r = std::move(r)]() mutable {
      on_response(std::move(*holder), std::move(r));
    });
  };
}

void FinishEnvelope(ServiceEnv& env, CallPtr call, const api::Response& response,
                    std::optional<int64_t> sequence_number) {
  double t = call->params.timings ? ElapsedSeconds(env, *call) : 0;
  auto body = RenderResponse(response, OptionsFor(*call), t, sequence_number);
  if (!body.ok()) return FinishError(std::move(call), 500, body.status().message());
  call->response.status = 200;
  call->response.body = std::move(body).value();
  Finish(std::move(call));
}

// Content-Type, permission and method checks shared by the JSON endpoints. Returns false (and
// has answered) when the call must stop.
bool Preamble(ServiceEnv& env, CallPtr& call, Permission perm, bool allow_get, bool allow_post,
              Permission perm2 = Permission::kNone) {
  call->response.SetHeader("Content-Type", kJsonContentType);
  bool ok = Permitted(env, call->request, perm) &&
            (perm2 == Permission::kNone || Permitted(env, call->request, perm2));
  if (!ok) {
    ++env.counters.auth_fail;
    FinishEmpty(std::move(call), 401);
    return false;
  }
  ++env.counters.auth_ok;
  const std::string& m = call->request.method;
  if (!((allow_get && m == "GET") || (allow_post && m == "POST"))) {
    FinishEmpty(std::move(call), 405);
    return false;
  }
  return true;
}

void QueuedExecute(ServiceEnv& env, CallPtr call) {
  const QueryParams& p = call->params;
  if (!p.noleader && env.db->Leader().id.empty()) {
    ++env.counters.leader_not_found;
    return FinishError(std::move(call), 503, "leader not found");
  }
  if (env.queue == nullptr) return FinishError(std::move(call), 503, "queue not available");
  std::vector<api::Statement> statements;
  auto parsed = ParseStatements(call->request.body);
  if (parsed.ok()) {
    statements = std::move(parsed).value();
  } else if (parsed.status().message() == "no statements" && !p.wait) {
    return FinishError(std::move(call), 400, "no statements");
  }
  // Quirk (http-api.md §11.1): other parse errors queue an empty request.
  ++env.counters.queued_executions;
  if (p.wait) ++env.counters.queued_executions_wait;
  bool wait = p.wait;
  int64_t timeout_ns = p.TimeoutNs();
  auto holder = std::make_shared<CallPtr>(std::move(call));
  env.queue->Enqueue(std::move(statements), wait, timeout_ns,
                     [holder, &env](int64_t seq, bool timed_out) {
                       CallPtr c = std::move(*holder);
                       if (timed_out) return FinishError(std::move(c), 408, "queue wait timeout");
                       FinishEnvelope(env, std::move(c), api::Response{}, seq);
                     });
}

}  // namespace

api::ForwardOptions ForwardOptionsFor(const Call& call) {
  api::ForwardOptions f;
  f.redirect = call.params.redirect;
  if (!auth::ParseBasicAuthorization(call.request.authorization, &f.username, &f.password)) {
    f.username.clear();
    f.password.clear();
  }
  f.timeout_ns = call.params.TimeoutNs();
  f.retries = static_cast<int>(std::max<int64_t>(0, call.params.Retries()));
  return f;
}

std::string RemoteUnauthorizedText(const Call& call) {
  const std::string& p = call.request.path;
  const char* op = "request";
  if (p.starts_with("/db/execute")) op = "Execute";
  else if (p.starts_with("/db/query")) op = "query";
  else if (p.starts_with("/db/request")) op = "Request";
  else if (p.starts_with("/db/backup")) op = "backup";
  else if (p.starts_with("/db/load")) op = "load";
  else if (p.starts_with("/remove")) op = "remove node";
  else if (p.starts_with("/leader")) op = "stepdown";
  return std::string("remote ") + op + " not authorized";
}

void FinishRedirectToLeader(ServiceEnv& env, CallPtr call) {
  api::LeaderInfo leader = env.db->Leader();
  if (leader.api_addr.empty()) return FinishError(std::move(call), 500, "leader not found");
  std::string location = leader.api_addr + call->request.path;
  if (!call->request.raw_query.empty()) location += "?" + call->request.raw_query;
  call->response.status = 301;
  call->response.SetHeader("Location", location);
  call->response.body.clear();
  Finish(std::move(call));
}

void FinishSqlResponse(ServiceEnv& env, CallPtr call, api::Response response) {
  switch (response.status.code()) {
    case base::Code::kNoLeader:
      ++env.counters.leader_not_found;
      return FinishError(std::move(call), 503, "leader not found");
    case base::Code::kNotLeader:
      if (call->params.redirect) return FinishRedirectToLeader(env, std::move(call));
      break;
    case base::Code::kPermissionDenied: {
      std::string text = RemoteUnauthorizedText(*call);
      return FinishError(std::move(call), 401, text);
    }
    case base::Code::kOk:
      call->response.SetHeader("X-Rqlite-Served-By",
                               response.served_by.empty() ? env.config.adv_addr
                                                          : response.served_by);
      break;
    default:
      break;
  }
  FinishEnvelope(env, std::move(call), response, std::nullopt);
}

void HandleExecute(ServiceEnv& env, CallPtr call) {
  if (!Preamble(env, call, Permission::kExecute, false, true)) return;
  if (call->params.queue) return QueuedExecute(env, std::move(call));
  auto statements = IsPlainText(call->request) ? ParsePlainText(call->request.body)
                                               : ParseStatements(call->request.body);
  if (!statements.ok()) return FinishError(std::move(call), 400, statements.status().message());
  ++env.counters.executions;
  api::ExecuteRequest req;
  req.statements = std::move(statements).value();
  req.transaction = call->params.transaction;
  req.db_timeout_ns = call->params.DbTimeoutNs();
  req.rewrite = call->params.Rewrite();
  req.forward = ForwardOptionsFor(*call);
  env.db->Execute(std::move(req), OwningDone(env, std::move(call), RenderOn::kIoThread, [&env](CallPtr c, api::Response r) {
                    FinishSqlResponse(env, std::move(c), std::move(r));
                  }));
}

void HandleQuery(ServiceEnv& env, CallPtr call) {
  if (!Preamble(env, call, Permission::kQuery, true, true)) return;
  const QueryParams& p = call->params;
  std::vector<api::Statement> statements;
  if (call->request.method == "GET") {
    if (p.q.has_value()) statements.push_back(api::Statement{.sql = *p.q});
  } else {
    auto parsed = IsPlainText(call->request) ? ParsePlainText(call->request.body)
                                             : ParseStatements(call->request.body);
    if (!parsed.ok()) return FinishError(std::move(call), 400, parsed.status().message());
    statements = std::move(parsed).value();
  }
  ++env.counters.queries;
  if (statements.empty()) return FinishEnvelope(env, std::move(call), api::Response{}, {});
  api::QueryRequest req;
  req.statements = std::move(statements);
  req.transaction = p.transaction;
  req.db_timeout_ns = p.DbTimeoutNs();
  req.rewrite = p.Rewrite();
  req.level = p.level;
  req.freshness_ns = p.FreshnessNs();
  req.freshness_strict = p.freshness_strict;
  req.linearizable_timeout_ns = p.LinearizableTimeoutNs();
  req.qualify_columns = p.qualify_columns;
  req.forward = ForwardOptionsFor(*call);
  env.db->Query(std::move(req), OwningDone(env, std::move(call), RenderOn::kCompletingThread, [&env](CallPtr c, api::Response r) {
                  FinishSqlResponse(env, std::move(c), std::move(r));
                }));
}

void HandleRequest(ServiceEnv& env, CallPtr call) {
  if (!Preamble(env, call, Permission::kQuery, false, true, Permission::kExecute)) return;
  const QueryParams& p = call->params;
  auto parsed = ParseStatements(call->request.body);
  if (!parsed.ok()) return FinishError(std::move(call), 400, parsed.status().message());
  ++env.counters.requests;
  api::UnifiedRequest req;
  req.statements = std::move(parsed).value();
  req.transaction = p.transaction;
  req.db_timeout_ns = p.DbTimeoutNs();
  req.rewrite = p.Rewrite();
  req.level = p.level;
  req.freshness_ns = p.FreshnessNs();
  req.freshness_strict = p.freshness_strict;
  req.qualify_columns = p.qualify_columns;
  req.forward = ForwardOptionsFor(*call);
  env.db->Request(std::move(req), OwningDone(env, std::move(call), RenderOn::kIoThread, [&env](CallPtr c, api::Response r) {
                    FinishSqlResponse(env, std::move(c), std::move(r));
                  }));
}

namespace {

void FinishBinaryLoad(ServiceEnv& env, CallPtr call, api::Response r) {
  switch (r.status.code()) {
    case base::Code::kOk:
      call->response.SetHeader("X-Rqlite-Served-By",
                               r.served_by.empty() ? env.config.adv_addr
                                                          : r.served_by);
      return FinishEnvelope(env, std::move(call), api::Response{}, std::nullopt);
    case base::Code::kNoLeader:
      ++env.counters.leader_not_found;
      return FinishError(std::move(call), 503, "leader not found");
    case base::Code::kNotLeader:
      if (call->params.redirect) return FinishRedirectToLeader(env, std::move(call));
      [[fallthrough]];
    default:
      if (r.status.code() == base::Code::kPermissionDenied) {
        std::string text = RemoteUnauthorizedText(*call);
        return FinishError(std::move(call), 401, text);
      }
      return FinishError(std::move(call), 500, r.status.message());
  }
}

}  // namespace

void HandleLoad(ServiceEnv& env, CallPtr call) {
  if (!Preamble(env, call, Permission::kLoad, false, true)) return;
  ++env.counters.loads;
  api::LoadRequest req;
  req.forward = ForwardOptionsFor(*call);
  req.data = std::move(call->request.body);
  bool binary = req.data.size() > 13 && req.data.starts_with("SQLite format");
  if (binary) {
    env.db->Load(std::move(req), OwningDone(env, std::move(call), RenderOn::kIoThread, [&env](CallPtr c, api::Response r) {
                   FinishBinaryLoad(env, std::move(c), std::move(r));
                 }));
    return;
  }
  env.db->Load(std::move(req), OwningDone(env, std::move(call), RenderOn::kIoThread, [&env](CallPtr c, api::Response r) {
                 FinishSqlResponse(env, std::move(c), std::move(r));
               }));
}

void HandleBoot(ServiceEnv& env, CallPtr call) {
  if (!Permitted(env, call->request, Permission::kLoad)) return FinishEmpty(std::move(call), 401);
  if (call->request.method != "POST") return FinishEmpty(std::move(call), 405);
  ++env.counters.boot;
  const std::string& body = call->request.body;
  // rqlite peeks the 32-byte header first; a shorter body fails that read (quirk: 503).
  if (body.size() < 32) return FinishError(std::move(call), 503, "EOF");
  if (!body.starts_with(std::string_view("SQLite format 3\0", 16))) {
    return FinishError(std::move(call), 400, "invalid SQLite data");
  }
  base::Status st = env.db->Boot(std::move(call->request.body));
  if (st.code() == base::Code::kNotLeader) return FinishError(std::move(call), 503, "not leader");
  if (!st.ok()) return FinishError(std::move(call), 503, st.message());
  FinishEmpty(std::move(call), 200);
}

// /db/sql: no SQL parser lives in http/ (it may use only api/auth/net/base), so `rewritten`
// echoes the statement (http-api.md §7.7 leaves the text implementation-defined, P2).
void HandleSql(ServiceEnv& env, CallPtr call) {
  if (!Preamble(env, call, Permission::kQuery, true, true)) return;
  std::vector<api::Statement> statements;
  if (call->request.method == "GET") {
    if (!call->params.q.has_value()) return FinishError(std::move(call), 400, "query not specified");
    statements.push_back(api::Statement{.sql = *call->params.q});
  } else {
    auto parsed = ParseStatements(call->request.body);
    if (!parsed.ok()) return FinishError(std::move(call), 400, parsed.status().message());
    statements = std::move(parsed).value();
  }
  ++env.counters.sql_analyze;
  JsonWriter w(call->params.pretty);
  w.BeginObject();
  w.Key("results");
  w.BeginArray();
  for (const api::Statement& s : statements) {
    w.BeginObject();
    w.KeyString("original", s.sql);
    w.KeyString("rewritten", s.sql);
    w.EndObject();
  }
  w.EndArray();
  if (call->params.timings) {
    w.Key("time");
    w.Double(ElapsedSeconds(env, *call)).IgnoreError();
  }
  w.EndObject();
  call->response.body = w.Take();
  Finish(std::move(call));
}

}  // namespace http
