// cluster/test_node_test_util.h — one "node" for cluster/ tests: a fake store behind a real
// cluster::Service on a loopback net::Mux, run by its own io thread, plus a cluster::Client on
// a separate io thread (so the test thread may call the Client's *Sync helpers).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "api/fake_database_test_util.h"
#include "auth/credential_store.h"
#include "base/executor.h"
#include "cluster/client.h"
#include "cluster/service.h"
#include "net/mux.h"

namespace cluster::testing {

using api::testing::FakeDatabase;

// Runs an io_context on one thread until destroyed.
class IoThread {
 public:
  IoThread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

struct TestNode {
  // `blocking_pool`: run the Service's synchronous store calls on a 2-thread pool (as the
  // server does) instead of inline on the io thread.
  explicit TestNode(ServiceOptions so = {}, const auth::CredentialStore* creds = nullptr,
                    ClientOptions co = {}, bool blocking_pool = false)
      : pool(blocking_pool ? std::make_unique<base::ThreadPool>("blocking", 2) : nullptr),
        mux(server_io.io(), net::MuxOptions{}),
        service(server_io.io(), &db, [this] { return meta; }, creds, pool.get(), so),
        client(client_io.io(), co) {
    mux.Register(0x02, [this](boost::asio::ip::tcp::socket s) { service.Serve(std::move(s)); });
    if (!mux.Listen("127.0.0.1:0").ok()) std::abort();
    mux.Start();
    addr = "127.0.0.1:" + std::to_string(mux.port());
    meta = NodeMeta{"http://api-" + std::to_string(mux.port()), 7, "v10.0.0", "node-" + std::to_string(mux.port())};
  }
  ~TestNode() {
    client.Close();
    service.Close();
    mux.Close();
  }

  FakeDatabase db;
  NodeMeta meta;
  std::unique_ptr<base::ThreadPool> pool;
  IoThread server_io;
  IoThread client_io;
  net::Mux mux;
  Service service;
  Client client;
  std::string addr;
};

// Polls `cond` until true or 10 s pass.
inline bool WaitFor(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

}  // namespace cluster::testing
