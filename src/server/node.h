// server/node.h — the composition root of one rqlited node: creates every thread, the
// io_context, the store and the HTTP server, wires them, and tears them down in order.
//
// Start-up (cli.md §4, the parts this build has): create the data directory → start the
// executors (apply, log, read pool) and the io_context threads → bind -raft-addr (held; no
// inter-node protocol yet, connections are closed) → start the HTTP server (answering
// "not ready" through a PendingDatabase) → open the store (single node: leader of itself at once)
// → attach it → start the periodic store Tick → log "node HTTP API available at ...".
// Shutdown (Stop): stop HTTP → close the store (finishes in-flight requests, whose completions
// still reach the running io_context) → drain and join the io threads → destroy the store, the
// server and the executors.
//
// Ownership: Node owns everything it creates. Thread-safety: Start/Stop/accessors from one
// thread (main). Threads created: `io` x2 (HTTP), `apply` x1, `log` x1, `read` x4.
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
