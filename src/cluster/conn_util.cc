#include "cluster/conn_util.h"

#include <chrono>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace cluster {

void Conn::Arm(int64_t timeout_ms) {
  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled or re-armed
    self->timed_out = true;
    boost::system::error_code ignored;
    self->socket.close(ignored);
  });
}

void Conn::Disarm() { timer.cancel(); }

void Conn::Close() {
  boost::system::error_code ignored;
  timer.cancel();
  socket.close(ignored);
}

namespace {

base::Status IoStatus(const Conn& c, const boost::system::error_code& ec, const char* what) {
  if (c.timed_out) return base::Timeout(std::string(what) + ": i/o timeout");
  if (ec == asio::error::eof) return base::IoError(std::string(what) + ": EOF");
  return base::IoError(std::string(what) + ": " + ec.message());
}

}  // namespace

asio::awaitable<base::Status> ReadFrame(std::shared_ptr<Conn> c, uint64_t max_bytes,
                                        std::string* out) {
  uint8_t header[kFrameHeaderBytes];
  auto [ec, n] = co_await asio::async_read(c->socket, asio::buffer(header), kUseTuple);
  if (ec) co_return IoStatus(*c, ec, "read");
  uint64_t length = DecodeFrameHeader(header);
  if (length > max_bytes) {
    co_return base::Corruption("frame of " + std::to_string(length) + " bytes exceeds the limit");
  }
  out->resize(length);
  if (length > 0) {
    auto [ec2, n2] = co_await asio::async_read(c->socket, asio::buffer(*out), kUseTuple);
    if (ec2) co_return IoStatus(*c, ec2, "read");
  }
  co_return base::Status::Ok();
}

asio::awaitable<base::Status> WriteAll(std::shared_ptr<Conn> c, const std::string& bytes) {
  auto [ec, n] = co_await asio::async_write(c->socket, asio::buffer(bytes), kUseTuple);
  if (ec) co_return IoStatus(*c, ec, "write");
  co_return base::Status::Ok();
}

}  // namespace cluster
