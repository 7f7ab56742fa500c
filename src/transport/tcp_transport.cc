// transport/tcp_transport.cc — the transport facade and the inbound (accepting) side.
#include "transport/tcp_transport.h"

#include <chrono>
#include <map>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "base/check.h"
#include "base/log.h"
#include "net/listener.h"
#include "transport/frame.h"
#include "transport/mux_handlers.h"
#include "transport/peer.h"
#include "transport/snapshot_stream.h"

namespace transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One accepted connection: preamble, then frames until EOF or an error. Read-only.
class Inbound : public std::enable_shared_from_this<Inbound> {
 public:
  Inbound(tcp::socket socket, std::shared_ptr<Hub> hub, const Options& options)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        hub_(std::move(hub)),
        options_(options) {}

  void Start() {
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::keep_alive(true), ignored);
    buf_.resize(kPreambleBytes);
    ArmTimer();
    asio::async_read(socket_, asio::buffer(buf_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       self->OnPreamble(ec);
                     });
  }

  void Close() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Stop(); });
  }

 private:
  void Stop() {
    closed_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  void Bad(const std::string& why) {
    LOG(kWarn, "transport") << "inbound connection from node " << from_ << ": " << why;
    hub_->bad_inbound++;
    Stop();
  }

  // Bounds the time to receive the preamble, or the rest of a frame whose header arrived.
  void ArmTimer() {
    const uint64_t seq = ++timer_seq_;
    timer_.expires_after(std::chrono::milliseconds(options_.read_timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq](boost::system::error_code ec) {
      if (ec || seq != self->timer_seq_ || self->closed_) return;
      self->Bad("read timeout");
    });
  }
  void Disarm() {
    ++timer_seq_;
    timer_.cancel();
  }

  void OnPreamble(boost::system::error_code ec) {
    Disarm();
    if (ec || closed_) return Stop();
    auto p = DecodePreamble(buf_);
    if (!p.ok()) return Bad(p.status().ToString());
    from_ = p->from;
    if (p->to != options_.self) {
      return Bad("connection meant for node " + std::to_string(p->to) + ", this is node " +
                 std::to_string(options_.self));
    }
    ReadHeader();
  }

  void ReadHeader() {
    buf_.resize(kFrameHeaderBytes);
    asio::async_read(socket_, asio::buffer(buf_),
                     [self = shared_from_this()](boost::system::error_code ec, size_t) {
                       self->OnHeader(ec);
                     });
  }

  void OnHeader(boost::system::error_code ec) {
    if (ec || closed_) return Stop();  // EOF: the peer closed; fine
    auto h = DecodeFrameHeader(buf_, options_.max_frame_bytes);
    if (!h.ok()) return Bad(h.status().ToString());
    header_ = *h;
    buf_.resize(header_.length);
    ArmTimer();
    asio::async_read(socket_, asio::buffer(buf_),
                     [self = shared_from_this()](boost::system::error_code e, size_t) {
                       self->OnBody(e);
                     });
  }

  void OnBody(boost::system::error_code ec) {
    Disarm();
    if (ec || closed_) return Stop();
    auto m = DecodeFramePayload(header_, buf_);
    if (!m.ok()) return Bad(m.status().ToString());
    if (m->from != from_ || m->to != options_.self || raft::IsLocalMessage(m->type)) {
      return Bad("unexpected message " + raft::DescribeMessage(*m));
    }
    hub_->frames_received++;
    hub_->Deliver(std::move(*m));
    ReadHeader();
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Hub> hub_;
  const Options options_;
  std::string buf_;
  FrameHeader header_;
  raft::NodeId from_ = 0;
  uint64_t timer_seq_ = 0;
  bool closed_ = false;
};

}  // namespace

struct TcpTransport::Impl {
  Impl(asio::io_context& io, Options o)
      : io(io), options(std::move(o)), hub(std::make_shared<Hub>()), listener(io) {}

  asio::io_context& io;
  const Options options;
  std::shared_ptr<Hub> hub;
  net::Listener listener;
  std::mutex mu;
  std::map<raft::NodeId, std::shared_ptr<Peer>> peers;  // guarded by mu
  std::map<raft::NodeId, std::string> addrs;            // guarded by mu
  std::vector<std::weak_ptr<Inbound>> inbound;          // guarded by mu
  bool closed = false;                                  // guarded by mu
  bool listening = false;                               // set by Listen (before Start)

  void AcceptRaft(tcp::socket socket) {
    auto conn = std::make_shared<Inbound>(std::move(socket), hub, options);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (closed) return;  // the socket closes with `conn`
      std::erase_if(inbound, [](const auto& w) { return w.expired(); });
      inbound.push_back(conn);
    }
    conn->Start();
  }
};

TcpTransport::TcpTransport(asio::io_context& io, Options options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {
  CHECK(impl_->options.self != raft::kNoNode);
}

TcpTransport::~TcpTransport() { Close(); }

base::Status TcpTransport::Listen() {
  base::Status st = impl_->listener.Listen(impl_->options.listen_addr);
  impl_->listening = st.ok();
  return st;
}

uint16_t TcpTransport::port() const { return impl_->listener.port(); }

void TcpTransport::Start(replica::TransportHandler* handler) {
  {
    std::lock_guard<std::mutex> lock(impl_->hub->mu);
    if (!impl_->hub->detached) impl_->hub->handler = handler;
  }
  if (!impl_->listening) return;  // connections arrive through a net::Mux
  std::weak_ptr<Impl> weak = impl_;
  impl_->listener.Start([weak](tcp::socket socket) {
    auto impl = weak.lock();
    if (!impl) return;
    // Our own listener serves both kinds of connection: peek at the service byte.
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    auto byte = std::make_shared<char>(0);
    sock->async_receive(asio::buffer(byte.get(), 1), tcp::socket::message_peek,
                        [weak, sock, byte](boost::system::error_code e, size_t n) {
                          auto im = weak.lock();
                          if (!im || e || n != 1) return;  // closed before a byte: drop it
                          if (static_cast<uint8_t>(*byte) == kServiceSnapshot) {
                            StartSnapshotReceive(std::move(*sock), im->hub, im->options);
                          } else {
                            im->AcceptRaft(std::move(*sock));
                          }
                        });
  });
}

void TcpTransport::SendSnapshot(raft::Message m, std::string image_path,
                                std::function<void(bool)> done) {
  std::string addr;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->addrs.find(m.to);
    if (!impl_->closed && it != impl_->addrs.end()) addr = it->second;
  }
  if (addr.empty()) {
    done(false);
    return;
  }
  StartSnapshotSend(impl_->io, impl_->hub, impl_->options, std::move(addr), std::move(m),
                    image_path, std::move(done));
}

std::function<void(tcp::socket)> RaftConnectionHandler(TcpTransport* t) {
  std::weak_ptr<TcpTransport::Impl> weak = MuxAccess::Get(t);
  return [weak](tcp::socket socket) {
    if (auto impl = weak.lock()) impl->AcceptRaft(std::move(socket));
  };
}

std::function<void(tcp::socket)> SnapshotConnectionHandler(TcpTransport* t) {
  std::weak_ptr<TcpTransport::Impl> weak = MuxAccess::Get(t);
  return [weak](tcp::socket socket) {
    auto impl = weak.lock();
    if (!impl) return;
    {
      std::lock_guard<std::mutex> lock(impl->mu);
      if (impl->closed) return;
    }
    StartSnapshotReceive(std::move(socket), impl->hub, impl->options);
  };
}

void TcpTransport::SetPeer(raft::NodeId id, const std::string& host_port) {
  std::shared_ptr<Peer> old;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) return;
    auto it = impl_->addrs.find(id);
    if (it != impl_->addrs.end() && it->second == host_port) return;
    impl_->addrs[id] = host_port;
    old = impl_->peers[id];
    impl_->peers[id] =
        std::make_shared<Peer>(impl_->io, impl_->hub, impl_->options, id, host_port);
  }
  if (old) old->Close();
}

void TcpTransport::RemovePeer(raft::NodeId id) {
  std::shared_ptr<Peer> old;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->peers.find(id);
    if (it == impl_->peers.end()) return;
    old = std::move(it->second);
    impl_->peers.erase(it);
    impl_->addrs.erase(id);
  }
  old->Close();
}

void TcpTransport::Send(raft::Message m) {
  std::shared_ptr<Peer> peer;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->peers.find(m.to);
    if (it != impl_->peers.end()) peer = it->second;
  }
  if (peer && peer->Send(EncodeFrame(m))) return;
  impl_->hub->dropped++;
  impl_->hub->Unreachable(m.to);
}

void TcpTransport::Close() {
  std::map<raft::NodeId, std::shared_ptr<Peer>> peers;
  std::vector<std::weak_ptr<Inbound>> inbound;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;
    peers.swap(impl_->peers);
    inbound.swap(impl_->inbound);
  }
  impl_->hub->Detach();  // after this returns no handler call runs or will run
  impl_->listener.Close();
  for (auto& [id, p] : peers) p->Close();
  for (auto& w : inbound) {
    if (auto c = w.lock()) c->Close();
  }
}

TransportStats TcpTransport::GetStats() const {
  const Hub& h = *impl_->hub;
  return TransportStats{h.frames_sent.load(), h.frames_received.load(), h.dropped.load(),
                        h.connects.load(),    h.connect_failures.load(), h.bad_inbound.load()};
}

}  // namespace transport
