// http/server.h — the rqlite v10 HTTP API server (shared/spec/http-api.md).
//
// What: an HTTP/1.1 keep-alive server (Boost.Beast, compiled only in http/*.cc) that implements
// the request pipeline of http-api.md §1 and every endpoint of §7 on top of `api::Database`,
// plus queued writes (§7.1, cluster-semantics.md §8).
//
// Ownership: the Server borrows the io_context and the Database; both must outlive it. The
// caller (server/) creates the io_context and runs it on its own threads (any number).
//
// Threads: Start()/Stop()/port() are called from the composition root's thread. All socket work
// runs on the io_context's threads; Database completion callbacks (store threads) only post back
// onto the connection's strand. The queued-write flusher uses io_context timers, no threads.
//
// Limits: request bodies larger than `max_body_bytes` are refused with 413 and the connection is
// closed after the reply (the body is never buffered). Default 256 MiB (a SQLite image for
// /db/load or /boot must fit in memory because api::Database takes it as one string).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace api {
class Database;
}  // namespace api

namespace auth {
class CredentialStore;
}  // namespace auth

namespace base {
class Clock;
}  // namespace base

namespace http {

// Queued writes (cli.md -write-queue-*).
struct QueueConfig {
  int64_t capacity = 1024;               // -write-queue-capacity: pending requests before blocking
  int64_t batch_size = 128;              // -write-queue-batch-size: requests per flush
  int64_t timeout_ns = 50'000'000;       // -write-queue-timeout: flush this long after the first
  bool tx = false;                       // -write-queue-tx: wrap each batch in a transaction
};

struct HttpConfig {
  std::string bind_addr = "localhost:4001";  // -http-addr; port 0 = pick a free port
  std::string adv_addr;                      // -http-adv-addr; empty = bind_addr (bound port)
  std::string allow_origin;                  // -http-allow-origin; empty = header not sent
  std::string version = "unknown";           // X-Rqlite-Version and build.version
  QueueConfig queue;

  // /status sections this layer cannot know by itself (filled by server/).
  std::string node_id;
  std::string raft_addr;            // cluster.addr (Raft listen address)
  std::string extensions_dir;       // extensions.dir
  std::string build_commit = "unknown";
  std::string build_time = "unknown";
  int64_t cluster_timeout_ns = 30'000'000'000;  // http.cluster.timeout

  uint64_t max_body_bytes = 256ull << 20;  // larger bodies -> 413, see header comment

  // HTTPS (cluster-semantics.md §13). TLS is on when cert_file and key_file are both set;
  // Start() fails when they (or ca_file) cannot be loaded. TLS 1.2 is the minimum version.
  std::string tls_cert_file;           // -http-cert (PEM chain)
  std::string tls_key_file;            // -http-key (PEM)
  std::string tls_ca_file;             // -http-ca-cert: roots for client certificates
  bool tls_verify_client = false;      // -http-verify-client: require + verify client certs
  std::string tls_verify_common_name;  // -http-verify-common-name: exact leaf Subject CN
  bool tls() const { return !tls_cert_file.empty() && !tls_key_file.empty(); }

  // -auth credentials (cluster-semantics.md §12); must outlive the Server. nullptr = auth
  // disabled (every request permitted).
  const auth::CredentialStore* credentials = nullptr;

  // Time source for timings, sequence numbers and /status; must outlive the Server.
  // REQUIRED (only server/ and tests construct clocks).
  const base::Clock* clock = nullptr;
};

class Server {
 public:
  // REQUIRES: `io` and `db` outlive the Server.
  Server(boost::asio::io_context& io, api::Database& db, HttpConfig config);
  ~Server();  // calls Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Errors: bad address, port in use, unreadable/invalid TLS
  // certificate, key or CA file.
  base::Status Start();
  // The bound port. REQUIRES: Start() succeeded.
  uint16_t port() const;
  // The advertised address ("host:port") used for X-Rqlite-Served-By and /status.
  std::string adv_addr() const;
  // Stops accepting, closes connections, cancels queue timers (pending queued writes are
  // dropped, as rqlite's queue is not durable). Idempotent. Safe from any thread.
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace http
