#include "net/listener.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/check.h"
#include "base/log.h"
#include "net/address.h"

namespace net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Listener::State {
  explicit State(asio::io_context& io) : io(io), strand(asio::make_strand(io)), acceptor(strand) {}
  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  AcceptFn on_accept;
  bool closed = false;  // only touched on `strand`
};

namespace {

void AcceptLoop(std::shared_ptr<Listener::State> s);

}  // namespace

Listener::Listener(asio::io_context& io) : state_(std::make_shared<State>(io)) {}

// Closing happens on the acceptor's strand (never concurrently with the accept handler); the
// state stays alive until the cancelled handler has run.
Listener::~Listener() { Close(); }

base::Status ResolveTcp(asio::io_context& io, const std::string& host, uint16_t port,
                        std::vector<tcp::endpoint>* out) {
  out->clear();
  if (host.empty()) {
    out->emplace_back(tcp::v6(), port);
    out->emplace_back(tcp::v4(), port);
    return base::Status::Ok();
  }
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port),
                                  tcp::resolver::numeric_service, ec);
  if (ec) return base::InvalidArgument("resolve " + host + ": " + ec.message());
  for (const auto& entry : results) out->push_back(entry.endpoint());
  if (out->empty()) return base::InvalidArgument("resolve " + host + ": no addresses");
  return base::Status::Ok();
}

base::Status Listener::Listen(const std::string& host_port) {
  auto hp = ParseHostPort(host_port);
  if (!hp.ok()) return hp.status();
  std::vector<tcp::endpoint> endpoints;
  RQ_RETURN_IF_ERROR(ResolveTcp(state_->io, hp->host, hp->port, &endpoints));
  std::string last_error = "no usable address";
  for (const auto& ep : endpoints) {
    boost::system::error_code ec;
    tcp::acceptor& a = state_->acceptor;
    if (a.is_open()) a.close(ec);
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6() && hp->host.empty()) a.set_option(asio::ip::v6_only(false), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      port_ = a.local_endpoint(ec).port();
      if (!ec) return base::Status::Ok();
    }
    last_error = ec.message();
    a.close(ec);
  }
  return base::IoError("listen " + host_port + ": " + last_error);
}

void Listener::Start(AcceptFn on_accept) {
  CHECK(state_->acceptor.is_open()) << "Listener::Start before a successful Listen";
  state_->on_accept = std::move(on_accept);
  asio::post(state_->strand, [s = state_] { AcceptLoop(s); });
}

void Listener::Close() {
  asio::post(state_->strand, [s = state_] {
    s->closed = true;
    boost::system::error_code ec;
    s->acceptor.close(ec);
  });
}

namespace {

void AcceptLoop(std::shared_ptr<Listener::State> s) {
  if (s->closed) return;
  s->acceptor.async_accept(
      asio::make_strand(s->io), [s](boost::system::error_code ec, tcp::socket socket) {
        if (s->closed || ec == asio::error::operation_aborted) return;
        if (!ec) {
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          s->on_accept(std::move(socket));
          AcceptLoop(s);
          return;
        }
        // E.g. EMFILE: back off briefly instead of spinning.
        LOG(kWarn, "net") << "accept: " << ec.message();
        auto timer = std::make_shared<asio::steady_timer>(s->strand, std::chrono::milliseconds(50));
        timer->async_wait([s, timer](boost::system::error_code) { AcceptLoop(s); });
      });
}

}  // namespace

}  // namespace net
