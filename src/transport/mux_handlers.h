// transport/mux_handlers.h — the transport's handlers for net::Mux (one -raft-addr port).
//
// What: functions that return the net::Mux handler for each transport service byte:
//   mux.Register(0x01, transport::RaftConnectionHandler(&t));      // Raft message streams
//   mux.Register(0x03, transport::SnapshotConnectionHandler(&t));  // snapshot image streams
// then t.Start(&replica) WITHOUT t.Listen(). The Mux hands over sockets with the service byte
// still unread (it peeks), which is the first byte of both preambles.
// Ownership: the handlers hold a weak reference to the transport's state; after Close() (or
// destruction) they close the sockets they are given.
// Threads: the handlers run on the Mux's io threads. Includes Asio: include only from .cc files.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "transport/tcp_transport.h"

namespace transport {

std::function<void(boost::asio::ip::tcp::socket)> RaftConnectionHandler(TcpTransport* t);
std::function<void(boost::asio::ip::tcp::socket)> SnapshotConnectionHandler(TcpTransport* t);

// Internal: lets the handlers reach the transport's state.
struct MuxAccess {
  static std::shared_ptr<TcpTransport::Impl> Get(TcpTransport* t) { return t->impl_; }
};

}  // namespace transport
