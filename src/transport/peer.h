// transport/peer.h — INTERNAL to transport/: the outbound side of one peer, and the state the
// transport's connections share. Includes Asio; only transport/*.cc include it.
//
// Peer: one TCP connection to one remote node. Send() (any thread) pushes an encoded frame on a
// bounded queue under a mutex and posts a pump onto the peer's strand; everything touching the
// socket and timers runs on that strand. State machine: kIdle → kConnecting → kConnected →
// (error or timeout) → kBackoff → (timer) → kConnecting ... ; Close() → kClosed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "raft/types.h"
#include "replica/raft_replica.h"
#include "transport/tcp_transport.h"

namespace transport {

// What every connection of one transport shares: the handler (detached by Close) and counters.
struct Hub {
  void Deliver(raft::Message m);
  // Hands a received snapshot image to the handler (which then owns the file); deletes the file
  // when no handler is attached.
  void DeliverSnapshot(raft::Message m, const std::string& path, uint64_t size, uint32_t crc);
  void Unreachable(raft::NodeId id);
  void Detach();

  std::mutex mu;
  replica::TransportHandler* handler = nullptr;  // guarded by mu
  bool detached = false;                          // guarded by mu
  std::atomic<uint64_t> frames_sent{0}, frames_received{0}, dropped{0}, connects{0},
      connect_failures{0}, bad_inbound{0};
};

class Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(boost::asio::io_context& io, std::shared_ptr<Hub> hub, const Options& options,
       raft::NodeId id, std::string addr);
  // Queues one frame; false (and nothing queued) when the peer is down or the queue is full.
  bool Send(std::string frame);
  // Closes the connection and stops dialling. Idempotent; posts onto the strand.
  void Close();

 private:
  enum class State { kIdle, kConnecting, kConnected, kBackoff, kClosed };
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  void Pump();  // strand
  void Connect();
  void OnConnected(uint64_t gen, boost::system::error_code ec);
  void WatchForClose(uint64_t gen);
  void WriteNext();
  void OnWritten(uint64_t gen, boost::system::error_code ec);
  void Fail(uint64_t gen, const std::string& why);
  void ArmTimer(uint64_t gen, int ms, const char* what);
  void Disarm();

  boost::asio::io_context& io_;
  std::shared_ptr<Hub> hub_;
  const Options options_;
  const raft::NodeId id_;
  const std::string addr_;
  Strand strand_;

  // Strand only.
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;    // connect / write timeout
  boost::asio::steady_timer backoff_;  // reconnect delay
  State state_ = State::kIdle;
  uint64_t gen_ = 0;                   // connection generation: stale handlers compare it
  uint64_t timer_seq_ = 0;             // bumped by every arm/disarm of timer_
  bool writing_ = false;
  bool need_preamble_ = false;
  int backoff_ms_ = 0;
  std::vector<std::string> in_flight_;  // frames being written
  char probe_byte_ = 0;

  std::mutex mu_;
  std::deque<std::string> queue_;  // guarded by mu_
  uint64_t queue_bytes_ = 0;       // guarded by mu_
  bool pump_posted_ = false;       // guarded by mu_
  bool down_ = false;              // guarded by mu_: in backoff after a failure
  bool closed_ = false;            // guarded by mu_
};

}  // namespace transport
