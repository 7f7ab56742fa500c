#include "http/service.h"

#include <string_view>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "http/handlers.h"

namespace http {

void Finish(CallPtr call) {
  auto reply = std::move(call->reply);
  reply(std::move(call->response));
}

void FinishError(CallPtr call, int status, std::string_view message) {
  GoError(&call->response, status, message);
  Finish(std::move(call));
}

void FinishEmpty(CallPtr call, int status) {
  call->response.status = status;
  call->response.body.clear();
  Finish(std::move(call));
}

namespace {

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kExecute: return auth::kPermExecute;
    case Permission::kQuery: return auth::kPermQuery;
    case Permission::kBackup: return auth::kPermBackup;
    case Permission::kLoad: return auth::kPermLoad;
    case Permission::kSnapshot: return auth::kPermSnapshot;
    case Permission::kRemove: return auth::kPermRemove;
    case Permission::kStatus: return auth::kPermStatus;
    case Permission::kLeaderOps: return auth::kPermLeaderOps;
    case Permission::kReady: return auth::kPermReady;
    case Permission::kUi: return auth::kPermUi;
    case Permission::kNone: break;
  }
  return "";
}

}  // namespace

bool Permitted(const ServiceEnv& env, const HttpRequest& request, Permission permission) {
  const auth::CredentialStore* store = env.config.credentials;
  if (store == nullptr || permission == Permission::kNone) return true;  // http-api.md §2
  std::string username, password;
  if (!auth::ParseBasicAuthorization(request.authorization, &username, &password)) {
    username.clear();  // Go: BasicAuth() not ok → anonymous
    password.clear();
  }
  return store->Check(username, password, PermissionName(permission));
}

namespace {

enum class Match { kExact, kPrefix };

struct Route {
  std::string_view path;
  Match match;
  void (*handler)(ServiceEnv&, CallPtr);
};

// Go's http.Redirect: the HTML body only for GET when no Content-Type was set.
void Redirect(CallPtr call, int status, std::string_view location) {
  Call& c = *call;
  c.response.status = status;
  c.response.SetHeader("Location", location);
  if (c.request.method == "GET" || c.request.method == "HEAD") {
    c.response.SetHeader("Content-Type", "text/html; charset=utf-8");
    if (c.request.method == "GET") {
      c.response.body = "<a href=\"" + std::string(location) + "\">" +
                        std::string(ReasonPhrase(status)) + "</a>.\n\n";
    }
  }
  Finish(std::move(call));
}

void HandleRoot(ServiceEnv&, CallPtr call) { Redirect(std::move(call), 302, "/console/"); }
void HandleConsoleBare(ServiceEnv&, CallPtr call) { Redirect(std::move(call), 301, "/console/"); }

// The web console is a later issue: a placeholder page keeps the route and its methods.
void HandleConsole(ServiceEnv& env, CallPtr call) {
  if (!Permitted(env, call->request, Permission::kUi)) return FinishEmpty(std::move(call), 401);
  if (call->request.method != "GET" && call->request.method != "HEAD") {
    return FinishEmpty(std::move(call), 405);
  }
  call->response.SetHeader("Content-Type", "text/html; charset=utf-8");
  call->response.body =
      "<!doctype html><html><head><title>rqlite</title></head>"
      "<body><p>The rqlite console is not built into this server.</p></body></html>\n";
  Finish(std::move(call));
}

void HandlePprof(ServiceEnv&, CallPtr call) { FinishEmpty(std::move(call), 404); }

// http-api.md §1.1, in matching order.
constexpr Route kRoutes[] = {
    {"/console", Match::kExact, HandleConsoleBare},
    {"/console/", Match::kPrefix, HandleConsole},
    {"/db/execute", Match::kPrefix, HandleExecute},
    {"/db/query", Match::kPrefix, HandleQuery},
    {"/db/request", Match::kPrefix, HandleRequest},
    {"/db/backup", Match::kPrefix, HandleBackup},
    {"/db/load", Match::kPrefix, HandleLoad},
    {"/db/sql", Match::kPrefix, HandleSql},
    {"/boot", Match::kExact, HandleBoot},
    {"/snapshot", Match::kExact, HandleSnapshot},
    {"/reap", Match::kExact, HandleReap},
    {"/remove", Match::kPrefix, HandleRemove},
    {"/status", Match::kPrefix, HandleStatus},
    {"/nodes", Match::kPrefix, HandleNodes},
    {"/leader", Match::kExact, HandleLeader},
    {"/readyz", Match::kPrefix, HandleReadyz},
    {"/licenses", Match::kExact, HandleLicenses},
    {"/debug/vars", Match::kExact, HandleDebugVars},
    {"/debug/pprof", Match::kPrefix, HandlePprof},
};

using HandlerFn = void (*)(ServiceEnv&, CallPtr);

HandlerFn FindRoute(std::string_view path) {
  if (path.empty() || path == "/") return HandleRoot;
  for (const Route& r : kRoutes) {
    bool hit = r.match == Match::kExact ? path == r.path : path.starts_with(r.path);
    if (hit) return r.handler;
  }
  return nullptr;
}

}  // namespace

void SetBaseHeaders(const ServiceEnv& env, HttpResponse* response) {
  response->SetHeader("X-Rqlite-Version", env.config.version.empty() ? "unknown"
                                                                     : env.config.version);
  if (!env.config.allow_origin.empty()) {
    response->SetHeader("Access-Control-Allow-Origin", env.config.allow_origin);
  }
  response->SetHeader("Access-Control-Allow-Methods", "OPTIONS, GET, POST");
  if (env.config.credentials != nullptr) {
    response->SetHeader("Access-Control-Allow-Headers", "Content-Type, Authorization");
    response->SetHeader("Access-Control-Allow-Credentials", "true");
    response->SetHeader("WWW-Authenticate", "Basic realm=\"rqlite\"");
  } else {
    response->SetHeader("Access-Control-Allow-Headers", "Content-Type");
  }
}

void Service::Handle(HttpRequest request, std::function<void(HttpResponse)> reply) {
  auto call = std::make_unique<Call>();
  call->start_mono_ns = env_->clock->MonotonicNanos();
  call->reply = std::move(reply);
  SetBaseHeaders(*env_, &call->response);
  call->request = std::move(request);
  if (call->request.method == "OPTIONS") return FinishEmpty(std::move(call), 200);
  auto params = ParseQueryParams(call->request.raw_query);
  if (!params.ok()) return FinishError(std::move(call), 400, params.status().message());
  call->params = std::move(params).value();
  HandlerFn handler = FindRoute(call->request.path);
  if (handler == nullptr) return FinishEmpty(std::move(call), 404);
  handler(*env_, std::move(call));
}

}  // namespace http
