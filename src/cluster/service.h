// cluster/service.h — the server side of the inter-node cluster service (byte 0x02 on the
// Raft port; docs/formats/cluster.md, cluster-semantics.md §3).
//
// What: serves requests from other nodes on connections handed over by net::Mux. A connection
// carries many sequential requests (request frame → reply frame[s]). Each command runs on the
// LOCAL database (the store, never the forwarding decorator: a request that reaches a
// non-leader answers "not leader" instead of being forwarded again):
//   GET_NODE_META → meta_fn()          EXECUTE/QUERY/REQUEST/LOAD → local Execute/... (async)
//   BACKUP → local Backup, file streamed in chunks (bounded memory), then deleted
//   REMOVE_NODE / STEPDOWN / JOIN / NOTIFY → local Remove / Stepdown / Join / Notify
// Permissions (when a CredentialStore is given): §3's table with the credentials carried by
// the request; failure → status kPermissionDenied "unauthorized". JOIN as voter needs `join`,
// as non-voter `join-read-only` or `join-read-replica`; NOTIFY needs `join`.
// Limits: `read_timeout_ms` for the service byte and each request frame (also the idle time
// allowed between requests), `write_timeout_ms` per reply, at most `max_connections` at once
// (more are closed at once), frames above `max_frame_bytes` close the connection.
//
// What the server (src/server/node.cc) must do:
//   cluster::Service svc(io, &store, meta_fn, credentials_or_null, &blocking_executor, opts);
//   mux.Register(0x02, [&svc](tcp::socket s) { svc.Serve(std::move(s)); });
//   ... on shutdown: svc.Close() before the store closes.
// meta_fn returns {api URL "http(s)://<http-adv-addr>", local commit index, build version}.
// blocking_executor (may be nullptr = run inline on the io thread) runs the synchronous
// Database calls (Backup, Remove, Stepdown with wait, Join, Notify) so they do not hold an io
// thread; a small pool (1-2 threads) is enough.
//
// Ownership: borrows io, local, credentials and the executor; all must outlive the Service.
// Threads: none of its own; connections run on `io` threads (one strand each). Serve(),
// Close() and stats() may be called from any thread. Database completions may arrive on any
// thread; they are posted back to the connection's strand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "api/database.h"
#include "base/executor.h"

namespace auth {
class CredentialStore;
}  // namespace auth

namespace cluster {

// GET_NODE_META's answer.
struct NodeMeta {
  std::string url;  // API URL, "http://host:port" or "https://..."
  uint64_t commit_index = 0;
  std::string version;
  // The node's rqlite id (additive, server engineer): a joining node learns the leader's Raft
  // id from it, so its transport can answer the leader before the log reaches it.
  std::string node_id;
};
using NodeMetaFn = std::function<NodeMeta()>;

struct ServiceOptions {
  int64_t read_timeout_ms = 30'000;
  int64_t write_timeout_ms = 30'000;
  int max_connections = 512;
  uint64_t max_frame_bytes = 2ull << 30;
  size_t backup_chunk_bytes = 256 << 10;
};

struct ServiceStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t connections_open = 0;
  uint64_t requests = 0;
  uint64_t unauthorized = 0;
  uint64_t bad_requests = 0;  // wrong service byte, oversized or unparsable frames
};

class Service {
 public:
  Service(boost::asio::io_context& io, api::Database* local, NodeMetaFn meta_fn,
          const auth::CredentialStore* credentials, base::Executor* blocking,
          ServiceOptions options = {});
  ~Service();  // Close()
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Takes an inbound connection whose first (unread) byte should be 0x02.
  void Serve(boost::asio::ip::tcp::socket socket);
  // Closes every open connection; later Serve() calls close their socket. Idempotent.
  void Close();
  ServiceStats stats() const;

  struct Core;  // internal (service.cc)

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace cluster
