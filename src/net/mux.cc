#include "net/mux.h"

#include <mutex>
#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/check.h"
#include "base/log.h"

namespace net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Mux::State {
  MuxOptions options;
  std::map<uint8_t, Handler> handlers;  // read-only once serving starts
  std::atomic<bool> serving{false};
  std::atomic<uint64_t> accepted{0}, dispatched{0}, unknown{0}, timeouts{0}, errors{0};

  // Connections still waiting for their byte, so Close() can close them.
  struct Pending;
  std::mutex mu;
  bool closed = false;                          // guarded by mu
  std::set<std::shared_ptr<Pending>> pending;   // guarded by mu
};

// One connection waiting for its service byte. Runs on the socket's executor (a strand when
// the listener accepted it).
struct Mux::State::Pending : std::enable_shared_from_this<Pending> {
  Pending(tcp::socket s, std::shared_ptr<State> st)
      : socket(std::move(s)), timer(socket.get_executor()), state(std::move(st)) {}
  tcp::socket socket;
  asio::steady_timer timer;
  std::shared_ptr<State> state;
  uint8_t byte = 0;
  bool done = false;  // on the socket's executor only

  void Start() {
    timer.expires_after(std::chrono::milliseconds(state->options.header_timeout_ms));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->done) return;
      self->state->timeouts++;
      self->Finish(false);
    });
    socket.async_receive(asio::buffer(&byte, 1), tcp::socket::message_peek,
                         [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                           self->OnByte(ec, n);
                         });
  }

  void OnByte(boost::system::error_code ec, size_t n) {
    if (done) return;
    if (ec || n != 1) {
      state->errors++;
      return Finish(false);
    }
    auto it = state->handlers.find(byte);
    if (it == state->handlers.end()) {
      state->unknown++;
      LOG(kWarn, "mux") << "unknown service byte " << static_cast<int>(byte) << ": closing";
      return Finish(false);
    }
    Finish(true);
    state->dispatched++;
    it->second(std::move(socket));
  }

  // Leaves the pending set; closes the socket unless it is being handed over.
  void Finish(bool handing_over) {
    done = true;
    boost::system::error_code ignored;
    timer.cancel();
    if (!handing_over) socket.close(ignored);
    std::lock_guard<std::mutex> lock(state->mu);
    state->pending.erase(shared_from_this());
  }

  void Cancel() {
    asio::post(socket.get_executor(), [self = shared_from_this()] {
      if (!self->done) self->Finish(false);
    });
  }
};

Mux::Mux(asio::io_context& io, MuxOptions options)
    : state_(std::make_shared<State>()), listener_(io) {
  state_->options = options;
}

Mux::~Mux() { Close(); }

void Mux::Register(uint8_t service, Handler handler) {
  CHECK(!state_->serving.load()) << "Mux::Register after serving started";
  CHECK(state_->handlers.count(service) == 0) << "Mux: service registered twice";
  state_->handlers[service] = std::move(handler);
}

base::Status Mux::Listen(const std::string& host_port) { return listener_.Listen(host_port); }

uint16_t Mux::port() const { return listener_.port(); }

void Mux::Start() {
  state_->serving = true;
  listener_.Start([this](tcp::socket socket) { Serve(std::move(socket)); });
}

void Mux::Serve(tcp::socket socket) {
  state_->serving = true;
  state_->accepted++;
  auto p = std::make_shared<State::Pending>(std::move(socket), state_);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->closed) {
      boost::system::error_code ignored;
      p->socket.close(ignored);
      return;
    }
    state_->pending.insert(p);
  }
  asio::post(p->socket.get_executor(), [p] { p->Start(); });
}

void Mux::Close() {
  listener_.Close();
  std::set<std::shared_ptr<State::Pending>> pending;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->closed = true;
    pending.swap(state_->pending);
  }
  for (const auto& p : pending) p->Cancel();
}

MuxStats Mux::stats() const {
  MuxStats s;
  s.accepted = state_->accepted;
  s.dispatched = state_->dispatched;
  s.unknown_service = state_->unknown;
  s.header_timeouts = state_->timeouts;
  s.header_errors = state_->errors;
  return s;
}

}  // namespace net
