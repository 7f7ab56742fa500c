// http/service.h — the request pipeline and routing of http-api.md §1, independent of sockets.
//
// What: Service::Handle takes one HttpRequest and eventually calls `reply` exactly once with the
// HttpResponse. Steps: (1) base headers (X-Rqlite-Version, CORS), (2) OPTIONS → 200, (3) query
// parameter validation → 400, (4) routing (§1.1, prefix matching) → 404, (5) the handler:
// Content-Type, permission (Permitted(): -auth, cluster-semantics.md §12), method → 405, logic.
// Ownership: borrows everything in ServiceEnv; it must outlive the Service and every pending
// reply.
// Threads: Handle() may be called from any thread, concurrently. `reply` runs on the calling
// thread or on a store thread (Database callbacks) or on the io thread running the write queue —
// the caller must re-post it onto its own executor.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/database.h"
#include "http/message.h"
#include "http/params.h"
#include "http/server.h"

namespace base {
class Clock;
}

namespace http {

class WriteQueue;

// Counters of the `http` map of /debug/vars.
struct HttpCounters {
  std::atomic<int64_t> executions{0}, queries{0}, requests{0}, queued_executions{0};
  std::atomic<int64_t> queued_executions_wait{0}, backups{0}, loads{0}, boot{0};
  std::atomic<int64_t> user_snapshots{0}, num_readyz{0}, num_status{0}, leader_not_found{0};
  std::atomic<int64_t> auth_ok{0}, auth_fail{0}, sql_analyze{0}, remove_node{0};
};

// Everything handlers share.
struct ServiceEnv {
  api::Database* db = nullptr;
  HttpConfig config;          // adv_addr resolved (host:port) by the server after binding
  const base::Clock* clock = nullptr;
  WriteQueue* queue = nullptr;  // nullptr: queued writes answer 503 "queue not available"
  int64_t start_unix_ns = 0;
  HttpCounters counters;
  std::atomic<int64_t> last_backup_unix_ns{0};
  // Runs a task on an io thread. Database callbacks arrive on store threads (the apply thread for
  // writes); handlers hop back through `defer` before rendering so JSON work never occupies the
  // single apply thread. Unset (tests): the task runs inline.
  std::function<void(std::function<void()>)> defer;
};

enum class Permission { kNone, kExecute, kQuery, kBackup, kLoad, kSnapshot, kRemove, kStatus,
                        kLeaderOps, kReady, kUi };

// One in-flight request, handed from the pipeline to a handler.
struct Call {
  HttpRequest request;
  QueryParams params;
  HttpResponse response;  // base headers already set
  std::function<void(HttpResponse)> reply;
  int64_t start_mono_ns = 0;
};
using CallPtr = std::unique_ptr<Call>;

// Sends the call's response (exactly once).
void Finish(CallPtr call);
// Go http.Error on the call's response, then Finish.
void FinishError(CallPtr call, int status, std::string_view message);
// Empty body with `status` (404, 405, 401...), then Finish.
void FinishEmpty(CallPtr call, int status);

// Step 1 of the pipeline: X-Rqlite-Version and the CORS headers (also used by the server for
// responses it produces before the pipeline runs, e.g. 413).
void SetBaseHeaders(const ServiceEnv& env, HttpResponse* response);

// The auth hook: every permission check goes through here. True when auth is disabled
// (config.credentials == nullptr) or the request's Basic credentials (or `*`) hold `permission`.
bool Permitted(const ServiceEnv& env, const HttpRequest& request, Permission permission);

class Service {
 public:
  explicit Service(ServiceEnv* env) : env_(env) {}
  void Handle(HttpRequest request, std::function<void(HttpResponse)> reply);

 private:
  ServiceEnv* env_;
};

}  // namespace http
