// cluster/conn_util.h — Asio helpers shared by the cluster Service and Client (INTERNAL).
//
// A Conn is one TCP connection plus a watchdog timer: Arm(ms) closes the socket when the
// deadline passes (every pending read/write then fails), Disarm() cancels it. A Conn is used
// by one coroutine at a time, on one strand; the watchdog handler runs on the same strand.
// Frames: 8-byte little-endian length + protobuf (codec.h). No exceptions escape: errors are
// base::Status values. Include only from cluster/ .cc files.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/status.h"
#include "cluster/codec.h"

namespace cluster {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
inline constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct Conn : std::enable_shared_from_this<Conn> {
  template <typename Executor>
  Conn(tcp::socket s, const Executor& ex) : socket(std::move(s)), timer(ex) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;
  int64_t last_used_ns = 0;  // steady clock; for the client's idle pool

  void Arm(int64_t timeout_ms);
  void Disarm();
  void Close();
};

// Reads one frame (header + body) into `out`. Errors: kIoError (EOF, reset, closed by the
// watchdog: kTimeout), kCorruption (length above max_bytes).
asio::awaitable<base::Status> ReadFrame(std::shared_ptr<Conn> c, uint64_t max_bytes,
                                        std::string* out);
// Writes `bytes` (already framed). Errors: kIoError / kTimeout.
asio::awaitable<base::Status> WriteAll(std::shared_ptr<Conn> c, const std::string& bytes);

// Runs a callback-style operation and resumes the coroutine on its own executor with the
// value the callback delivered. `start(cb)` must call `cb(T)` exactly once, on any thread.
// (No temporaries with destructors inside the co_await expression: GCC 12 destroys them
// twice. The initiation lambda is a named local.)
template <typename T, typename Start>
asio::awaitable<T> AwaitCallback(Start start) {
  auto initiation = [start = std::move(start)](auto handler) mutable {
    auto ex = asio::get_associated_executor(handler);
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    start([h, ex](T value) mutable {
      asio::post(ex, [h, value = std::move(value)]() mutable { std::move(*h)(std::move(value)); });
    });
  };
  T result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      std::move(initiation), asio::use_awaitable);
  co_return result;
}

}  // namespace cluster
