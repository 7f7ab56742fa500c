// http/handlers.h — the endpoint handlers of http-api.md §7 (internal to http/).
//
// Each handler runs step 5 of the pipeline for its route: set Content-Type, check the
// permission (Permitted()), check the method (405), then do the work and Finish() the call
// exactly once — synchronously, or later from a Database callback (store thread).
// db_handlers.cc: execute, query, request, load, boot, backup, sql.
// admin_handlers.cc: snapshot, reap, remove, status, nodes, leader, readyz, debug/vars, licenses.
#pragma once

#include "http/service.h"

namespace http {

void HandleExecute(ServiceEnv& env, CallPtr call);
void HandleQuery(ServiceEnv& env, CallPtr call);
void HandleRequest(ServiceEnv& env, CallPtr call);
void HandleLoad(ServiceEnv& env, CallPtr call);
void HandleBoot(ServiceEnv& env, CallPtr call);
void HandleBackup(ServiceEnv& env, CallPtr call);
void HandleSql(ServiceEnv& env, CallPtr call);

void HandleSnapshot(ServiceEnv& env, CallPtr call);
void HandleReap(ServiceEnv& env, CallPtr call);
void HandleRemove(ServiceEnv& env, CallPtr call);
void HandleStatus(ServiceEnv& env, CallPtr call);
void HandleNodes(ServiceEnv& env, CallPtr call);
void HandleLeader(ServiceEnv& env, CallPtr call);
void HandleReadyz(ServiceEnv& env, CallPtr call);
void HandleDebugVars(ServiceEnv& env, CallPtr call);
void HandleLicenses(ServiceEnv& env, CallPtr call);

// Shared helpers.
// Answers an execute/query/request style api::Response: 503 for kNoLeader, 301 (or 500) for
// kNotLeader with `redirect`, else 200 with the rendered envelope (500 on render failure).
void FinishSqlResponse(ServiceEnv& env, CallPtr call, api::Response response);
// §6.2: 301 to the leader's API URL + path + ?raw query; 500 "leader not found" if unknown.
void FinishRedirectToLeader(ServiceEnv& env, CallPtr call);
// The call's forwarding options (redirect, Basic credentials, timeout, retries) for the
// api::Database request (the forwarding decorator in cluster/ reads them).
api::ForwardOptions ForwardOptionsFor(const Call& call);
// 401 text when the leader rejected forwarded credentials: "remote <op> not authorized".
std::string RemoteUnauthorizedText(const Call& call);
// Seconds since the call started (monotonic).
double ElapsedSeconds(const ServiceEnv& env, const Call& call);

}  // namespace http
