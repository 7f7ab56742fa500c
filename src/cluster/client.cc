#include "cluster/client.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "base/log.h"
#include "cluster/codec.h"
#include "cluster/conn_util.h"
#include "net/address.h"

namespace cluster {

using Clock = std::chrono::steady_clock;

struct Client::Impl {
  asio::io_context& io;
  ClientOptions options;
  std::atomic<uint64_t> calls{0}, dials{0}, pool_hits{0}, failures{0};
  std::mutex mu;
  bool closed = false;                                             // guarded by mu
  std::map<std::string, std::deque<std::shared_ptr<Conn>>> pool;  // guarded by mu
  // Calls in flight per address (each holds at most one connection), and calls waiting for
  // a slot when max_conns_per_addr are in flight.
  std::map<std::string, int> active;                                       // guarded by mu
  std::map<std::string, std::deque<std::function<void()>>> waiting;        // guarded by mu

  Impl(asio::io_context& io, ClientOptions o) : io(io), options(o) {}

  // A pooled connection for `addr` rebound to the caller's executor, or nullptr.
  template <typename Executor>
  std::shared_ptr<Conn> Take(const std::string& addr, const Executor& ex) {
    int64_t now = Clock::now().time_since_epoch().count();
    int64_t idle_ns = options.idle_timeout_ms * 1'000'000;
    std::lock_guard<std::mutex> lock(mu);
    auto it = pool.find(addr);
    while (it != pool.end() && !it->second.empty()) {
      std::shared_ptr<Conn> c = std::move(it->second.back());
      it->second.pop_back();
      if (now - c->last_used_ns > idle_ns || !c->socket.is_open()) continue;  // dropped
      return std::make_shared<Conn>(std::move(c->socket), ex);
    }
    return nullptr;
  }

  void Put(const std::string& addr, std::shared_ptr<Conn> c) {
    c->Disarm();
    c->last_used_ns = Clock::now().time_since_epoch().count();
    std::lock_guard<std::mutex> lock(mu);
    auto& q = pool[addr];
    if (closed || static_cast<int>(q.size()) >= options.max_idle_per_addr) return;
    q.push_back(std::move(c));
  }
};

namespace {

using Impl = Client::Impl;
using ReplyFn = std::function<void(base::Result<rqcluster::Reply>)>;

bool IsTransportError(const base::Status& s) {
  switch (s.code()) {
    case base::Code::kUnavailable:
    case base::Code::kTimeout:
    case base::Code::kIoError:
    case base::Code::kCorruption:
      return true;
    default:
      return false;
  }
}

base::Status TimeoutStatus() { return base::Timeout("timeout waiting for node to respond"); }

int64_t RemainingMs(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
}

// Resolves and connects within min(connect timeout, deadline); writes nothing yet.
asio::awaitable<base::Result<std::shared_ptr<Conn>>> Dial(std::shared_ptr<Impl> impl,
                                                          const std::string& addr,
                                                          Clock::time_point deadline) {
  auto hp = net::ParseHostPort(addr);
  if (!hp.ok()) co_return hp.status();
  auto ex = co_await asio::this_coro::executor;
  impl->dials++;
  tcp::resolver resolver(ex);
  // GCC 12 mishandles temporaries inside co_await expressions: keep arguments in locals.
  std::string host = hp->host.empty() ? std::string("localhost") : hp->host;
  std::string port = std::to_string(hp->port);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, port, kUseTuple);
  if (rec) co_return base::Unavailable("dial " + addr + ": " + rec.message());
  auto c = std::make_shared<Conn>(tcp::socket(impl->io), ex);
  int64_t budget = std::min(impl->options.connect_timeout_ms, RemainingMs(deadline));
  if (budget <= 0) co_return TimeoutStatus();
  c->Arm(budget);
  auto [ec, ep] = co_await asio::async_connect(c->socket, endpoints, kUseTuple);
  if (ec) {
    c->Close();
    if (c->timed_out) co_return base::Unavailable("dial " + addr + ": i/o timeout");
    co_return base::Unavailable("dial " + addr + ": " + ec.message());
  }
  boost::system::error_code ignored;
  c->socket.set_option(tcp::no_delay(true), ignored);
  co_return c;
}

// Reads BackupChunk frames into `out` until the last one. Returns bytes written.
asio::awaitable<base::Result<uint64_t>> ReceiveStream(std::shared_ptr<Impl> impl,
                                                      std::shared_ptr<Conn> c, FILE* out) {
  std::string frame;
  uint64_t total = 0;
  while (true) {
    base::Status st = co_await ReadFrame(c, impl->options.max_frame_bytes, &frame);
    if (!st.ok()) co_return st;
    rqcluster::BackupChunk chunk;
    if (!chunk.ParseFromString(frame)) co_return base::Corruption("bad backup chunk");
    if (!chunk.data().empty() &&
        std::fwrite(chunk.data().data(), 1, chunk.data().size(), out) != chunk.data().size()) {
      co_return base::IoError("write backup file");
    }
    total += chunk.data().size();
    if (chunk.last()) break;
  }
  if (std::fflush(out) != 0) co_return base::IoError("flush backup file");
  co_return total;
}

// A backup destination for one call: reopened (truncated) on every attempt.
struct BackupSink {
  std::string path;
  uint64_t size = 0;
};

// One attempt on one connection (pooled or new). The connection returns to the pool only
// after a complete exchange.
asio::awaitable<base::Result<rqcluster::Reply>> Attempt(std::shared_ptr<Impl> impl,
                                                        std::string addr,
                                                        const std::string& frame,
                                                        Clock::time_point deadline,
                                                        BackupSink* sink) {
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<Conn> c = impl->Take(addr, ex);
  bool fresh = c == nullptr;
  if (fresh) {
    auto dialed = co_await Dial(impl, addr, deadline);
    if (!dialed.ok()) co_return dialed.status();
    c = std::move(dialed).value();
  } else {
    impl->pool_hits++;
  }
  int64_t remaining = RemainingMs(deadline);
  if (remaining <= 0) {
    c->Close();
    co_return TimeoutStatus();
  }
  c->Arm(remaining);
  std::string out;
  if (fresh) out.push_back(static_cast<char>(kServiceByte));
  out += frame;
  base::Status st = co_await WriteAll(c, out);
  std::string in;
  if (st.ok()) st = co_await ReadFrame(c, impl->options.max_frame_bytes, &in);
  rqcluster::Reply reply;
  if (st.ok() && !reply.ParseFromString(in)) st = base::Corruption("bad reply from " + addr);
  if (st.ok() && sink != nullptr && FromProto(reply.status()).ok()) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(sink->path.c_str(), "wb"), &std::fclose);
    if (!f) {
      st = base::IoError("create " + sink->path);
    } else {
      auto got = co_await ReceiveStream(impl, c, f.get());
      if (got.ok()) sink->size = *got;
      else st = got.status();
    }
  }
  if (!st.ok()) {
    bool timed_out = c->timed_out;
    c->Close();
    if (timed_out) co_return TimeoutStatus();
    co_return base::Status(st.code(), st.message());
  }
  impl->Put(addr, c);
  co_return reply;
}

asio::awaitable<void> Run(std::shared_ptr<Impl> impl, std::string addr, std::string frame,
                          CallOptions o, std::shared_ptr<BackupSink> sink, ReplyFn done) {
  int64_t timeout_ns = o.timeout_ns > 0 ? o.timeout_ns : impl->options.default_timeout_ns;
  base::Result<rqcluster::Reply> result = base::Unavailable("not attempted");
  for (int attempt = 0; attempt <= std::max(0, o.retries); ++attempt) {
    Clock::time_point deadline = Clock::now() + std::chrono::nanoseconds(timeout_ns);
    result = co_await Attempt(impl, addr, frame, deadline, sink.get());
    if (result.ok() || !IsTransportError(result.status())) break;
    impl->failures++;
  }
  if (!result.ok() && sink) std::remove(sink->path.c_str());
  done(std::move(result));
}

void Start(const std::shared_ptr<Impl>& impl, const std::string& addr, rqcluster::Command cmd,
           const CallOptions& o, std::shared_ptr<BackupSink> sink, ReplyFn done) {
  impl->calls++;
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    if (impl->closed) {
      auto st = base::Unavailable("cluster client closed");
      asio::post(impl->io, [done, st] { done(st); });
      return;
    }
  }
  cmd.mutable_credentials()->set_username(o.username);
  cmd.mutable_credentials()->set_password(o.password);
  std::string frame = EncodeFrame(cmd);
  // Launching takes a slot for `addr`; finishing frees it and launches the next waiting call.
  auto launch = [impl, addr, frame = std::move(frame), o, sink = std::move(sink), done]() {
    ReplyFn finish = [impl, addr, done](base::Result<rqcluster::Reply> r) {
      std::function<void()> next;
      {
        std::lock_guard<std::mutex> lock(impl->mu);
        auto& q = impl->waiting[addr];
        if (!q.empty()) {
          next = std::move(q.front());
          q.pop_front();
        } else {
          impl->active[addr]--;
        }
      }
      done(std::move(r));
      if (next) next();
    };
    asio::co_spawn(asio::make_strand(impl->io), Run(impl, addr, frame, o, sink, finish),
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       LOG(kError, "cluster") << "client call: " << ex.what();
                     }
                   });
  };
  {
    std::lock_guard<std::mutex> lock(impl->mu);
    int& active = impl->active[addr];
    if (active >= std::max(1, impl->options.max_conns_per_addr)) {
      impl->waiting[addr].push_back(std::move(launch));
      return;
    }
    ++active;
  }
  launch();
}

// Reply → api::Response for the SQL commands (a command-level failure becomes the status).
api::Response ToResponse(base::Result<rqcluster::Reply> r) {
  api::Response out;
  if (!r.ok()) {
    out.status = r.status();
    return out;
  }
  base::Status st = FromProto(r->status());
  if (!st.ok()) {
    out.status = st;
    return out;
  }
  return FromProto(r->response());
}

base::Status ToStatus(const base::Result<rqcluster::Reply>& r) {
  if (!r.ok()) return r.status();
  return FromProto(r->status());
}

template <typename T, typename F>
T Wait(F start) {
  auto p = std::make_shared<std::promise<T>>();
  std::future<T> f = p->get_future();
  start([p](T v) { p->set_value(std::move(v)); });
  return f.get();
}

}  // namespace

Client::Client(asio::io_context& io, ClientOptions options)
    : impl_(std::make_shared<Impl>(io, options)) {}

Client::~Client() { Close(); }

void Client::GetNodeMeta(const std::string& addr, const CallOptions& o,
                         std::function<void(base::Result<NodeMeta>)> done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::GET_NODE_META);
  Start(impl_, addr, std::move(cmd), o, nullptr, [done](base::Result<rqcluster::Reply> r) {
    base::Status st = ToStatus(r);
    if (!st.ok()) return done(st);
    const rqcluster::NodeMeta& m = r->node_meta();
    done(NodeMeta{m.url(), m.commit_index(), m.version(), m.node_id()});
  });
}

namespace {

ReplyFn SqlDone(api::Done done) {
  return [done](base::Result<rqcluster::Reply> r) { done(ToResponse(std::move(r))); };
}

ReplyFn StatusDone(Client::StatusFn done) {
  return [done](base::Result<rqcluster::Reply> r) { done(ToStatus(r)); };
}

}  // namespace

void Client::Execute(const std::string& addr, const api::ExecuteRequest& r, const CallOptions& o,
                     api::Done done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::EXECUTE);
  ToProto(r, cmd.mutable_sql());
  Start(impl_, addr, std::move(cmd), o, nullptr, SqlDone(std::move(done)));
}

void Client::Query(const std::string& addr, const api::QueryRequest& r, const CallOptions& o,
                   api::Done done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::QUERY);
  ToProto(r, cmd.mutable_sql());
  Start(impl_, addr, std::move(cmd), o, nullptr, SqlDone(std::move(done)));
}

void Client::Request(const std::string& addr, const api::UnifiedRequest& r, const CallOptions& o,
                     api::Done done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::REQUEST);
  ToProto(r, cmd.mutable_sql());
  Start(impl_, addr, std::move(cmd), o, nullptr, SqlDone(std::move(done)));
}

void Client::Load(const std::string& addr, const std::string& data, const CallOptions& o,
                  api::Done done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::LOAD);
  cmd.set_load_data(data);
  Start(impl_, addr, std::move(cmd), o, nullptr, SqlDone(std::move(done)));
}

void Client::Remove(const std::string& addr, const std::string& node_id, const CallOptions& o,
                    StatusFn done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::REMOVE_NODE);
  cmd.set_node_id(node_id);
  Start(impl_, addr, std::move(cmd), o, nullptr, StatusDone(std::move(done)));
}

void Client::Stepdown(const std::string& addr, const std::string& node_id, bool wait,
                      const CallOptions& o, StatusFn done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::STEPDOWN);
  cmd.set_node_id(node_id);
  cmd.set_wait(wait);
  Start(impl_, addr, std::move(cmd), o, nullptr, StatusDone(std::move(done)));
}

void Client::Notify(const std::string& addr, const api::NotifyRequest& r, const CallOptions& o,
                    StatusFn done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::NOTIFY);
  cmd.set_node_id(r.id);
  cmd.set_raft_addr(r.raft_addr);
  Start(impl_, addr, std::move(cmd), o, nullptr, StatusDone(std::move(done)));
}

void Client::Join(const std::string& addr, const api::JoinRequest& r, const CallOptions& o,
                  std::function<void(JoinReply)> done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::JOIN);
  cmd.set_node_id(r.id);
  cmd.set_raft_addr(r.raft_addr);
  cmd.set_voter(r.voter);
  Start(impl_, addr, std::move(cmd), o, nullptr, [done](base::Result<rqcluster::Reply> rep) {
    JoinReply out;
    out.status = ToStatus(rep);
    if (rep.ok()) out.leader_raft_addr = rep->leader_raft_addr();
    done(std::move(out));
  });
}

void Client::Backup(const std::string& addr, const api::BackupRequest& r,
                    const std::string& dest_path, const CallOptions& o,
                    std::function<void(base::Result<api::BackupFile>)> done) {
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::BACKUP);
  ToProto(r, cmd.mutable_backup());
  auto sink = std::make_shared<BackupSink>();
  sink->path = dest_path;
  Start(impl_, addr, std::move(cmd), o, sink, [done, sink](base::Result<rqcluster::Reply> rep) {
    base::Status st = ToStatus(rep);
    if (!st.ok()) return done(st);
    done(api::BackupFile{sink->path, sink->size});
  });
}

base::Result<NodeMeta> Client::GetNodeMetaSync(const std::string& addr, const CallOptions& o) {
  return Wait<base::Result<NodeMeta>>([&](auto cb) { GetNodeMeta(addr, o, cb); });
}

base::Status Client::RemoveSync(const std::string& addr, const std::string& node_id,
                                const CallOptions& o) {
  return Wait<base::Status>([&](auto cb) { Remove(addr, node_id, o, cb); });
}

base::Status Client::StepdownSync(const std::string& addr, const std::string& node_id, bool wait,
                                  const CallOptions& o) {
  return Wait<base::Status>([&](auto cb) { Stepdown(addr, node_id, wait, o, cb); });
}

base::Status Client::NotifySync(const std::string& addr, const api::NotifyRequest& r,
                                const CallOptions& o) {
  return Wait<base::Status>([&](auto cb) { Notify(addr, r, o, cb); });
}

JoinReply Client::JoinSync(const std::string& addr, const api::JoinRequest& r,
                           const CallOptions& o) {
  return Wait<JoinReply>([&](auto cb) { Join(addr, r, o, cb); });
}

base::Result<api::BackupFile> Client::BackupSync(const std::string& addr,
                                                 const api::BackupRequest& r,
                                                 const std::string& dest_path,
                                                 const CallOptions& o) {
  return Wait<base::Result<api::BackupFile>>([&](auto cb) { Backup(addr, r, dest_path, o, cb); });
}

void Client::Close() {
  std::map<std::string, std::deque<std::shared_ptr<Conn>>> pool;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->closed = true;
    pool.swap(impl_->pool);
  }
  for (auto& [addr, q] : pool) {
    for (auto& c : q) {
      auto conn = c;
      asio::post(conn->timer.get_executor(), [conn] { conn->Close(); });
    }
  }
}

ClientStats Client::stats() const {
  return ClientStats{impl_->calls, impl_->dials, impl_->pool_hits, impl_->failures};
}

}  // namespace cluster
