// transport/peer.cc — the outbound connection to one peer; see peer.h.
#include "transport/peer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "base/log.h"
#include "net/address.h"
#include "transport/frame.h"

namespace transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t kMaxWriteBatchBytes = 1 << 20;
constexpr size_t kMaxWriteBatchFrames = 1024;
}  // namespace

void Hub::Deliver(raft::Message m) {
  std::lock_guard<std::mutex> lock(mu);
  if (handler != nullptr && !detached) handler->OnMessage(std::move(m));
}

void Hub::DeliverSnapshot(raft::Message m, const std::string& path, uint64_t size,
                          uint32_t crc) {
  std::lock_guard<std::mutex> lock(mu);
  if (handler != nullptr && !detached) {
    handler->OnSnapshot(std::move(m), path, size, crc);
  } else {
    ::unlink(path.c_str());
  }
}

void Hub::Unreachable(raft::NodeId id) {
  std::lock_guard<std::mutex> lock(mu);
  if (handler != nullptr && !detached) handler->OnUnreachable(id);
}

void Hub::Detach() {
  std::lock_guard<std::mutex> lock(mu);
  detached = true;
  handler = nullptr;
}

Peer::Peer(asio::io_context& io, std::shared_ptr<Hub> hub, const Options& options,
           raft::NodeId id, std::string addr)
    : io_(io),
      hub_(std::move(hub)),
      options_(options),
      id_(id),
      addr_(std::move(addr)),
      strand_(asio::make_strand(io)),
      socket_(strand_),
      timer_(strand_),
      backoff_(strand_) {}

bool Peer::Send(std::string frame) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || down_) return false;
  if (queue_.size() >= options_.max_queue_messages ||
      queue_bytes_ + frame.size() > options_.max_queue_bytes) {
    return false;
  }
  queue_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  if (!pump_posted_) {
    pump_posted_ = true;
    asio::post(strand_, [self = shared_from_this()] { self->Pump(); });
  }
  return true;
}

void Peer::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    queue_.clear();
    queue_bytes_ = 0;
  }
  asio::post(strand_, [self = shared_from_this()] {
    self->state_ = State::kClosed;
    self->gen_++;
    boost::system::error_code ignored;
    self->Disarm();
    self->backoff_.cancel();
    self->socket_.close(ignored);
  });
}

void Peer::Pump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pump_posted_ = false;
  }
  if (state_ == State::kIdle) {
    Connect();
  } else if (state_ == State::kConnected) {
    WriteNext();
  }
}

void Peer::Connect() {
  state_ = State::kConnecting;
  const uint64_t gen = ++gen_;
  auto hp = net::ParseHostPort(addr_);
  if (!hp.ok()) {
    Fail(gen, hp.status().ToString());
    return;
  }
  std::string host = hp->host.empty() ? "127.0.0.1" : hp->host;
  socket_ = tcp::socket(strand_);
  ArmTimer(gen, options_.connect_timeout_ms, "connect");
  boost::system::error_code ec;
  asio::ip::address literal = asio::ip::make_address(host, ec);
  auto self = shared_from_this();
  if (!ec) {
    socket_.async_connect(tcp::endpoint(literal, hp->port),
                          [self, gen](boost::system::error_code e) { self->OnConnected(gen, e); });
    return;
  }
  // A host name: resolve asynchronously (Asio's own resolver thread), then try each address.
  auto resolver = std::make_shared<tcp::resolver>(strand_);
  resolver->async_resolve(
      host, std::to_string(hp->port),
      [self, gen, resolver](boost::system::error_code e, tcp::resolver::results_type results) {
        if (gen != self->gen_) return;
        if (e) {
          self->OnConnected(gen, e);
          return;
        }
        asio::async_connect(self->socket_, results,
                            [self, gen](boost::system::error_code e2, const tcp::endpoint&) {
                              self->OnConnected(gen, e2);
                            });
      });
}

void Peer::OnConnected(uint64_t gen, boost::system::error_code ec) {
  if (gen != gen_ || state_ != State::kConnecting) return;
  Disarm();
  if (ec) {
    hub_->connect_failures++;
    Fail(gen, "connect to " + addr_ + ": " + ec.message());
    return;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  state_ = State::kConnected;
  backoff_ms_ = 0;
  need_preamble_ = true;
  hub_->connects++;
  {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = false;
  }
  WatchForClose(gen);
  WriteNext();
}

// The acceptor never writes: a completed read means the peer closed (or broke the protocol).
void Peer::WatchForClose(uint64_t gen) {
  socket_.async_read_some(asio::buffer(&probe_byte_, 1),
                          [self = shared_from_this(), gen](boost::system::error_code ec, size_t) {
                            if (gen != self->gen_) return;
                            self->Fail(gen, ec ? "connection closed: " + ec.message()
                                               : "unexpected data from peer");
                          });
}

void Peer::WriteNext() {
  if (state_ != State::kConnected || writing_) return;
  in_flight_.clear();
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!queue_.empty() && in_flight_.size() < kMaxWriteBatchFrames &&
           (in_flight_.empty() || bytes + queue_.front().size() <= kMaxWriteBatchBytes)) {
      bytes += queue_.front().size();
      queue_bytes_ -= queue_.front().size();
      in_flight_.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  const uint64_t frames = in_flight_.size();
  if (need_preamble_) {
    in_flight_.insert(in_flight_.begin(), EncodePreamble({options_.self, id_}));
    need_preamble_ = false;
  }
  if (in_flight_.empty()) return;
  std::vector<asio::const_buffer> bufs;
  bufs.reserve(in_flight_.size());
  for (const auto& s : in_flight_) bufs.push_back(asio::buffer(s));
  writing_ = true;
  const uint64_t gen = gen_;
  ArmTimer(gen, options_.write_timeout_ms, "write");
  asio::async_write(socket_, bufs,
                    [self = shared_from_this(), gen, frames](boost::system::error_code ec, size_t) {
                      if (gen != self->gen_) return;
                      self->hub_->frames_sent += ec ? 0 : frames;
                      self->OnWritten(gen, ec);
                    });
}

void Peer::OnWritten(uint64_t gen, boost::system::error_code ec) {
  writing_ = false;
  Disarm();
  in_flight_.clear();
  if (ec) {
    Fail(gen, "write to " + addr_ + ": " + ec.message());
    return;
  }
  WriteNext();
}

void Peer::ArmTimer(uint64_t gen, int ms, const char* what) {
  const uint64_t seq = ++timer_seq_;
  timer_.expires_after(std::chrono::milliseconds(ms));
  timer_.async_wait([self = shared_from_this(), gen, seq, what](boost::system::error_code ec) {
    // Cancelled, disarmed (the operation finished even if the expiry was already queued), or
    // a later connection.
    if (ec || seq != self->timer_seq_ || gen != self->gen_) return;
    self->Fail(gen, std::string(what) + " timeout");
  });
}

void Peer::Disarm() {
  ++timer_seq_;
  timer_.cancel();
}

void Peer::Fail(uint64_t gen, const std::string& why) {
  if (gen != gen_ || state_ == State::kClosed || state_ == State::kBackoff) return;
  LOG(kDebug, "transport") << "peer " << id_ << " (" << addr_ << "): " << why;
  gen_++;  // every handler of this connection is now stale
  boost::system::error_code ignored;
  Disarm();
  socket_.close(ignored);
  writing_ = false;
  in_flight_.clear();
  state_ = State::kBackoff;
  {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = true;
    hub_->dropped += queue_.size();
    queue_.clear();
    queue_bytes_ = 0;
  }
  hub_->Unreachable(id_);
  backoff_ms_ = backoff_ms_ == 0 ? options_.backoff_min_ms
                                 : std::min(2 * backoff_ms_, options_.backoff_max_ms);
  backoff_.expires_after(std::chrono::milliseconds(backoff_ms_));
  backoff_.async_wait([self = shared_from_this(), g = gen_](boost::system::error_code ec) {
    if (ec || g != self->gen_ || self->state_ != State::kBackoff) return;
    self->Connect();
  });
}

}  // namespace transport
