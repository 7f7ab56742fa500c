// server/http_probe.h — the pre-join check of cluster-semantics §2.1: is a -join address an
// HTTP server (a user passed the HTTP address instead of the Raft one)?
//
// What: ServesHttp(addr, timeout) connects to "host:port", sends `GET /status HTTP/1.1` and
// reports whether the peer answered with an HTTP status line within `timeout`. A Raft port
// (our net::Mux) closes the connection on the unknown service byte 'G', so it reads as "not
// HTTP"; so does a refused connection or silence.
//
// Threads: blocking (poll-based deadlines); call from the start-up thread. No state.
#pragma once

#include <chrono>
#include <string>

namespace server {

bool ServesHttp(const std::string& host_port, std::chrono::milliseconds timeout);

}  // namespace server
