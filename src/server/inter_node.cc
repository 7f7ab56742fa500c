#include "server/inter_node.h"

#include <pthread.h>

#include <boost/asio/ip/tcp.hpp>

#include "base/log.h"
#include "transport/mux_handlers.h"

namespace server {

namespace asio = boost::asio;

namespace {

// Service bytes on the Raft port (brief contract 2; cluster-semantics §3).
constexpr uint8_t kServiceRaft = 0x01;
constexpr uint8_t kServiceCluster = 0x02;
constexpr uint8_t kServiceSnapshot = 0x03;

}  // namespace

InterNode::InterNode(asio::io_context& io, InterNodeOptions options)
    : io_(io), options_(std::move(options)) {
  mux_ = std::make_unique<net::Mux>(io_, net::MuxOptions{});
  transport::Options t;
  t.self = options_.self;
  t.snapshot_dir = options_.snapshot_dir;
  transport_ = std::make_unique<transport::TcpTransport>(io_, t);
  cluster::ClientOptions c;
  c.connect_timeout_ms = options_.connect_timeout_ms;
  client_ = std::make_unique<cluster::Client>(client_io_, c);
  client_work_.emplace(asio::make_work_guard(client_io_));
  client_thread_ = std::thread([this] {
    for (;;) {
      try {
        client_io_.run();
        break;
      } catch (const std::exception& e) {
        LOG(kError, "rqlited") << "cluster-io thread: unhandled exception: " << e.what();
      }
    }
  });
  pthread_setname_np(client_thread_.native_handle(), "cluster-io");
}

InterNode::~InterNode() { Close(); }

base::Status InterNode::Listen() { return mux_->Listen(options_.bind_addr); }

void InterNode::OnPeer(raft::NodeId id, const std::string& raft_addr) {
  if (raft_addr.empty()) {
    transport_->RemovePeer(id);
  } else {
    transport_->SetPeer(id, raft_addr);
  }
}

void InterNode::Start(store::Store* store, cluster::NodeMetaFn meta_fn,
                      const auth::CredentialStore* credentials) {
  transport_->Start(store->transport_handler());
  // Join/Remove/Stepdown/Backup block until a commit: never on an io thread, which the
  // transport needs to deliver that very commit.
  blocking_ = std::make_unique<base::ThreadPool>("cluster-svc", 2);
  service_ = std::make_unique<cluster::Service>(io_, store, std::move(meta_fn), credentials,
                                                blocking_.get());
  mux_->Register(kServiceRaft, transport::RaftConnectionHandler(transport_.get()));
  mux_->Register(kServiceSnapshot, transport::SnapshotConnectionHandler(transport_.get()));
  cluster::Service* svc = service_.get();
  mux_->Register(kServiceCluster, [svc](asio::ip::tcp::socket s) { svc->Serve(std::move(s)); });
  mux_->Start();
}

void InterNode::CloseService() {
  if (service_) service_->Close();
}

void InterNode::Close() {
  if (closed_) return;
  closed_ = true;
  CloseService();
  mux_->Close();
  transport_->Close();
  client_->Close();
  client_work_.reset();
  client_thread_.join();
  blocking_.reset();  // runs what was queued (each call ends quickly: the service is closed)
}

}  // namespace server
