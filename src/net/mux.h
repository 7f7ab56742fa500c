// net/mux.h — one TCP port, several services: the first byte of a connection selects one.
//
// What: the Raft-port multiplexer (cluster-semantics.md §3; brief contract 2). Every inbound
// connection must send one service byte first (0x01 Raft transport, 0x02 cluster service, 0x03
// snapshot stream, ...). The Mux waits for that byte for at most `header_timeout_ms` (30 s by
// default), then hands the socket to the handler registered for it. A connection whose byte
// is unknown, that closes, or that stays silent past the deadline is closed.
//
// The byte is PEEKED, not consumed: the handler receives the socket with the service byte
// still unread, so a protocol whose framing begins with it (transport/'s 22-byte preamble
// starts with 0x01) parses it as before, and a handler that does not need it reads and checks
// one byte first (cluster::Service does). Dialers write the byte first (see cluster::Client).
//
// Two ways to feed it: Listen()+Start() (the Mux owns a net::Listener), or Serve(socket) for
// sockets accepted elsewhere.
// Ownership: borrows the io_context (it must outlive the Mux and every handler it posted).
// Handlers own the sockets they are given.
// Threads: none of its own. Register() before Start()/Serve(); after that the handler table is
// read-only. Handlers run on an io_context thread (the socket's own strand). Close() and
// stats() may be called from any thread. Include only from .cc files: it pulls in Asio.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/status.h"
#include "net/listener.h"

namespace net {

struct MuxOptions {
  int header_timeout_ms = 30'000;  // rqlite: the header byte must arrive within 30 s
};

struct MuxStats {
  uint64_t accepted = 0;
  uint64_t dispatched = 0;
  uint64_t unknown_service = 0;  // closed: no handler for the byte
  uint64_t header_timeouts = 0;  // closed: no byte within header_timeout_ms
  uint64_t header_errors = 0;    // closed: EOF/error before the byte
};

class Mux {
 public:
  using Handler = std::function<void(boost::asio::ip::tcp::socket)>;

  Mux(boost::asio::io_context& io, MuxOptions options);
  ~Mux();  // Close()
  Mux(const Mux&) = delete;
  Mux& operator=(const Mux&) = delete;

  // REQUIRES: before Start()/Serve(); one handler per byte.
  void Register(uint8_t service, Handler handler);

  // Binds the listener ("host:port", port 0 = a free port). Errors as net::Listener::Listen.
  base::Status Listen(const std::string& host_port);
  uint16_t port() const;  // REQUIRES: Listen() succeeded
  // Starts accepting. REQUIRES: Listen() succeeded.
  void Start();
  // Dispatches one already-accepted socket (any thread).
  void Serve(boost::asio::ip::tcp::socket socket);
  // Stops accepting; connections still waiting for their byte are closed. Sockets already
  // handed to handlers are theirs. Idempotent.
  void Close();

  MuxStats stats() const;

  struct State;  // internal (mux.cc)

 private:
  std::shared_ptr<State> state_;
  Listener listener_;
};

}  // namespace net
