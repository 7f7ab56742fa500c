// server/inter_node.h — everything on the -raft-addr port, and the dialing side of the cluster
// service: net::Mux (one listener; 0x01 Raft messages, 0x02 cluster service, 0x03 snapshot
// streams), the transport::TcpTransport given to the store, the cluster::Service serving the
// local store, and the cluster::Client (with its own io_context and "cluster-io" thread, so
// its blocking helpers may be called from the HTTP io threads and from start-up/shutdown).
//
// Life cycle (driven by server/node.cc):
//   InterNode in(io, options);   in.Listen();            // bind -raft-addr (fatal on clash)
//   deps.transport = in.transport(); deps.on_peer = [&](id, a) { in.OnPeer(id, a); };
//   ... Store::Open ...
//   in.Start(store, meta_fn, credentials);               // attach + accept connections
//   ... run ...
//   in.CloseService();   // no more inbound cluster requests (shutdown step 1)
//   in.Close();          // mux, transport, client; joins cluster-io
//
// Ownership: borrows the main io_context (run by the Node's io threads, which must keep
// running until Close() returns) and whatever Start() is given (store, credentials), which
// must outlive Close(). Owns the mux, transport, service, client, the client's io_context and
// its thread, and the service's blocking executor.
// Thread-safety: Listen/Start/CloseService/Close from the owner's thread, in that order;
// OnPeer from any thread (the store calls it on its apply executor); client() is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "base/executor.h"
#include "base/status.h"
#include "cluster/client.h"
#include "cluster/service.h"
#include "net/mux.h"
#include "raft/message.h"
#include "store/store.h"
#include "transport/tcp_transport.h"

namespace auth {
class CredentialStore;
}  // namespace auth

namespace server {

struct InterNodeOptions {
  raft::NodeId self = 0;         // store::NodeIdFor(-node-id); REQUIRES non-zero
  std::string bind_addr;         // -raft-addr
  int64_t connect_timeout_ms = 30'000;  // -cluster-connect-timeout
  std::string snapshot_dir;      // where inbound snapshot streams land ("" = refused)
};

class InterNode {
 public:
  InterNode(boost::asio::io_context& io, InterNodeOptions options);
  ~InterNode();  // Close()
  InterNode(const InterNode&) = delete;
  InterNode& operator=(const InterNode&) = delete;

  // Binds -raft-addr. Errors as net::Listener::Listen.
  base::Status Listen();
  // The transport the store sends Raft messages through (valid until destruction).
  transport::TcpTransport* transport() { return transport_.get(); }
  // The store's peer callback: a member's address became known/changed ("" = removed).
  void OnPeer(raft::NodeId id, const std::string& raft_addr);
  // Attaches the transport to the store, starts the cluster service on `local` (the store
  // itself, never the forwarding decorator) and starts accepting connections.
  void Start(store::Store* store, cluster::NodeMetaFn meta_fn,
             const auth::CredentialStore* credentials);
  cluster::Client* client() { return client_.get(); }
  // Closes the cluster service: inbound cluster requests are refused from now on.
  void CloseService();
  // Closes the mux, the transport and the client, and joins the cluster-io thread. Idempotent.
  void Close();

 private:
  boost::asio::io_context& io_;
  const InterNodeOptions options_;
  std::unique_ptr<net::Mux> mux_;
  std::unique_ptr<transport::TcpTransport> transport_;
  // The client's own io_context and thread (cluster/client.h: *Sync helpers must not run on a
  // thread that runs the client's io_context).
  boost::asio::io_context client_io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      client_work_;
  std::thread client_thread_;
  std::unique_ptr<cluster::Client> client_;
  // Runs the service's synchronous Database calls (Backup, Join, Remove, Stepdown with wait).
  std::unique_ptr<base::ThreadPool> blocking_;
  std::unique_ptr<cluster::Service> service_;
  bool closed_ = false;
};

}  // namespace server
