// server/node.h — the composition root of one rqlited node: creates every thread, the
// io_context, the store, the inter-node services and the HTTP server, wires them, and tears
// them down in order (DESIGN.md "Start-up and shutdown order").
//
// Start-up (cli.md §4): create the data directory → executors and io threads → bind -raft-addr
// (server/inter_node.h: net::Mux with the Raft transport, snapshot streams and the cluster
// service) → start the HTTP server (answering "not ready" through a PendingDatabase) → open the
// store on RaftReplica with the TcpTransport and its peer callback → attach the transport and
// start the cluster service → Raft tick + store Tick timers → cluster formation
// (server/formation.h: -join / -bootstrap-expect; fatal errors are returned) → attach the
// cluster::ClusterDatabase (forwarding decorator over the store) → log "node HTTP API ...".
// Shutdown (Stop): stop HTTP → -raft-cluster-remove-shutdown → leadership transfer if leader of
// a multi-voter cluster (-raft-shutdown-stepdown) → close the cluster service → stop timers →
// close mux/transport/client → close the store → drain and join the io threads → destroy.
//
// Ownership: Node owns everything it creates. Thread-safety: Start/Stop/accessors from one
// thread (main). Threads created: `io` x3, `cluster-io` x1, `cluster-svc` x2, `apply` x1,
// `raft` x1, `read` x2 (see DESIGN.md "Threads").
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "server/flags.h"

namespace server {

class Node {
 public:
  // Starts the node. Errors carry the fatal message rqlited logs before exiting 1
  // (e.g. "failed to start HTTP server: ...", "failed to open store: ...").
  static base::Result<std::unique_ptr<Node>> Start(const Config& config, const BuildInfo& build);
  ~Node();  // Stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Graceful shutdown; idempotent.
  void Stop();

  // Advertised HTTP address ("host:port", with the bound port when -http-addr used port 0).
  std::string http_adv_addr() const;

  class Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates `path` and its missing parents (mkdir -p). Errors name the path.
base::Status CreateDirectories(const std::string& path);

}  // namespace server
