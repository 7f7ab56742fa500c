// net/listener.h — a TCP listener on an Asio io_context.
//
// What: binds "host:port" (port 0 = a free port; host resolved, first usable address wins; empty
// host = all interfaces), reports the bound port, and runs an accept loop that hands each
// accepted socket (TCP_NODELAY already set) to a callback.
// Ownership: borrows the io_context (must outlive the Listener). The callback owns each socket.
// Threads: Listen()/port() from any one thread before Start(); the accept callback runs on an
// io_context thread; Close() may be called from any thread (it posts onto the acceptor's
// strand). Include this header only from .cc files that need sockets: it pulls in Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/status.h"

namespace net {

class Listener {
 public:
  using AcceptFn = std::function<void(boost::asio::ip::tcp::socket)>;

  explicit Listener(boost::asio::io_context& io);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Resolve, bind and listen. Errors: kInvalidArgument (bad address), kIoError (bind failed,
  // e.g. "address already in use").
  base::Status Listen(const std::string& host_port);
  // REQUIRES: Listen() succeeded.
  uint16_t port() const { return port_; }
  // Starts the accept loop. REQUIRES: Listen() succeeded; called once.
  void Start(AcceptFn on_accept);
  // Stops accepting and closes the listening socket. Idempotent.
  void Close();

  struct State;  // internal; public only so the accept loop (a free function) can name it

 private:
  std::shared_ptr<State> state_;  // shared with in-flight accept handlers
  uint16_t port_ = 0;
};

// Resolves host (name or literal) to addresses, for dialers and listeners. Blocking (getaddrinfo).
// Errors: kInvalidArgument when nothing resolves.
base::Status ResolveTcp(boost::asio::io_context& io, const std::string& host, uint16_t port,
                        std::vector<boost::asio::ip::tcp::endpoint>* out);

}  // namespace net
