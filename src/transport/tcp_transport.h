// transport/tcp_transport.h — Raft messages between nodes over TCP (Boost.Asio).
//
// What: implements replica::Transport. Outbound: ONE connection per peer, dialled lazily and
// kept open; messages are framed (docs/formats/transport.md) and written in batches from a
// bounded per-peer queue. Inbound: a listener accepts the other nodes' connections and hands
// every decoded message to the replica::TransportHandler. Connections are one-way (the dialer
// only writes, the acceptor only reads), so a pair of nodes uses two connections.
//
// Failure handling: connect/write timeouts and a read timeout on the preamble and on the body
// of a frame whose header arrived; a failed peer connection is closed and re-dialled with
// exponential backoff (backoff_min_ms doubling up to backoff_max_ms). While a peer is down, or
// when its queue is full (max_queue_messages / max_queue_bytes), Send drops the message and
// reports the peer unreachable to the handler: Send never blocks the raft executor.
// TCP_NODELAY and SO_KEEPALIVE on every socket.
//
// Snapshots: SendSnapshot streams an image file on a dedicated connection (service byte 0x03)
// in CRC-32C chunks with one chunk in memory; the receiver writes it to a temporary file in
// Options::snapshot_dir and hands the checked file to TransportHandler::OnSnapshot
// (snapshot_stream.h, docs/formats/transport.md §5). Close() does not cancel a stream in
// flight: it ends by itself (completion or timeout) and its `done` may run after Close() (the
// replica ignores reports after its own Close); an image it delivers after Close is deleted.
//
// Port sharing: with net::Mux owning the -raft-addr listener, register the handlers from
// transport/mux_handlers.h for service bytes 0x01 and 0x03 and call Start() without Listen().
//
// Ownership: borrows the io_context (it must outlive every handler this object posted; the
// owner runs it). The handler is borrowed from Start() until Close() returns.
// Threads: none of its own. Send/SetPeer/RemovePeer/Close/GetStats are thread-safe. Handler
// callbacks run on io_context threads, serialised (never two at once), never after Close()
// has returned. This header keeps Asio out: include it freely.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "raft/message.h"
#include "replica/raft_replica.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace transport {

struct Options {
  raft::NodeId self = 0;                   // REQUIRES: non-zero
  std::string listen_addr = "127.0.0.1:0";  // "host:port"; port 0 = a free port
  size_t max_queue_messages = 4096;        // per peer
  uint64_t max_queue_bytes = 64ull << 20;  // per peer (encoded frames)
  uint32_t max_frame_bytes = 256u << 20;   // larger inbound frames close the connection
  int connect_timeout_ms = 2000;
  int write_timeout_ms = 10000;
  int read_timeout_ms = 10000;
  int backoff_min_ms = 20;
  int backoff_max_ms = 1000;
  // Where inbound snapshot images are written (temporary "*.tmp" files; the handler moves them).
  // Same file system as the snapshot store. Empty: inbound snapshot streams are refused.
  std::string snapshot_dir;
};

struct TransportStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t dropped = 0;         // messages Send could not queue
  uint64_t connects = 0;        // successful outbound connections
  uint64_t connect_failures = 0;
  uint64_t bad_inbound = 0;     // inbound connections closed for a protocol error
};

class TcpTransport final : public replica::Transport {
 public:
  TcpTransport(boost::asio::io_context& io, Options options);
  ~TcpTransport() override;  // Close()
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Binds options.listen_addr. Errors: kInvalidArgument, kIoError.
  base::Status Listen();
  uint16_t port() const;  // REQUIRES: Listen() succeeded
  // Attaches the handler, and starts accepting if Listen() succeeded (without Listen, connections
  // come from a net::Mux: transport/mux_handlers.h). REQUIRES: handler outlives Close().
  void Start(replica::TransportHandler* handler);
  // Adds a peer, or changes its address (the current connection is dropped).
  void SetPeer(raft::NodeId id, const std::string& host_port);
  void RemovePeer(raft::NodeId id);

  // replica::Transport. Messages to unknown peers are dropped and reported unreachable.
  void Send(raft::Message m) override;
  void SendSnapshot(raft::Message m, std::string image_path,
                    std::function<void(bool)> done) override;

  // Stops accepting, closes every connection and detaches the handler. Idempotent.
  void Close();
  TransportStats GetStats() const;

  struct Impl;  // internal (tcp_transport.cc)
  friend struct MuxAccess;  // mux_handlers.cc

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace transport
