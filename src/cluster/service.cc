#include "cluster/service.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>

#include "auth/credential_store.h"
#include "base/log.h"
#include "cluster/codec.h"
#include "cluster/conn_util.h"

namespace cluster {

struct Service::Core {
  asio::io_context& io;
  api::Database* local;
  NodeMetaFn meta_fn;
  const auth::CredentialStore* credentials;
  base::Executor* blocking;
  ServiceOptions options;

  std::atomic<uint64_t> accepted{0}, rejected{0}, open{0}, requests{0}, unauthorized{0}, bad{0};
  std::mutex mu;
  bool closed = false;                               // guarded by mu
  std::map<Conn*, std::weak_ptr<Conn>> conns;        // guarded by mu

  Core(asio::io_context& io, api::Database* local, NodeMetaFn meta_fn,
       const auth::CredentialStore* credentials, base::Executor* blocking, ServiceOptions o)
      : io(io), local(local), meta_fn(std::move(meta_fn)), credentials(credentials),
        blocking(blocking), options(o) {}
};

namespace {

using Core = Service::Core;

// The outcome of one command: the reply frame, and for BACKUP the file to stream after it.
struct Outcome {
  rqcluster::Reply reply;
  std::string stream_path;
};

bool Allowed(const Core& core, const rqcluster::Command& cmd, std::string_view perm) {
  if (core.credentials == nullptr) return true;
  return core.credentials->Check(cmd.credentials().username(), cmd.credentials().password(),
                                 perm);
}

void Deny(Core& core, rqcluster::Reply* reply) {
  core.unauthorized++;
  ToProto(base::Status(base::Code::kPermissionDenied, "unauthorized"), reply->mutable_status());
}

// Runs a synchronous Database call on the blocking executor (or inline without one).
template <typename T, typename F>
asio::awaitable<T> RunBlocking(Core& core, F f) {
  if (core.blocking == nullptr) co_return f();
  base::Executor* ex = core.blocking;
  auto start = [ex, f](auto cb) mutable { ex->Post([f, cb]() mutable { cb(f()); }); };
  T result = co_await AwaitCallback<T>(start);
  co_return result;
}

asio::awaitable<api::Response> RunSql(Core& core, const rqcluster::Command& cmd) {
  api::Database* db = core.local;
  switch (cmd.type()) {
    case rqcluster::Command::EXECUTE: {
      auto req = std::make_shared<api::ExecuteRequest>(ExecuteFromProto(cmd.sql()));
      auto start = [db, req](auto cb) { db->Execute(std::move(*req), cb); };
      co_return co_await AwaitCallback<api::Response>(start);
    }
    case rqcluster::Command::QUERY: {
      auto req = std::make_shared<api::QueryRequest>(QueryFromProto(cmd.sql()));
      auto start = [db, req](auto cb) { db->Query(std::move(*req), cb); };
      co_return co_await AwaitCallback<api::Response>(start);
    }
    case rqcluster::Command::REQUEST: {
      auto req = std::make_shared<api::UnifiedRequest>(UnifiedFromProto(cmd.sql()));
      auto start = [db, req](auto cb) { db->Request(std::move(*req), cb); };
      co_return co_await AwaitCallback<api::Response>(start);
    }
    default: {  // LOAD
      auto data = std::make_shared<std::string>(cmd.load_data());
      auto start = [db, data](auto cb) { db->Load(api::LoadRequest{std::move(*data), {}}, cb); };
      co_return co_await AwaitCallback<api::Response>(start);
    }
  }
}

std::string_view SqlPermission(rqcluster::Command::Type t) {
  switch (t) {
    case rqcluster::Command::EXECUTE: return auth::kPermExecute;
    case rqcluster::Command::QUERY: return auth::kPermQuery;
    default: return auth::kPermLoad;
  }
}

asio::awaitable<void> Membership(Core& core, const rqcluster::Command& cmd, Outcome* out) {
  api::Database* db = core.local;
  base::Status st;
  switch (cmd.type()) {
    case rqcluster::Command::REMOVE_NODE: {
      if (!Allowed(core, cmd, auth::kPermRemove)) co_return Deny(core, &out->reply);
      std::string id = cmd.node_id();
      auto fn = [db, id] { return db->Remove(api::RemoveRequest{id, {}}); };
      st = co_await RunBlocking<base::Status>(core, fn);
      break;
    }
    case rqcluster::Command::STEPDOWN: {
      if (!Allowed(core, cmd, auth::kPermLeaderOps)) co_return Deny(core, &out->reply);
      std::string id = cmd.node_id();
      bool wait = cmd.wait();
      auto fn = [db, id, wait] { return db->Stepdown(api::StepdownRequest{id, wait, {}}); };
      st = co_await RunBlocking<base::Status>(core, fn);
      break;
    }
    case rqcluster::Command::NOTIFY: {
      if (!Allowed(core, cmd, "join")) co_return Deny(core, &out->reply);
      api::NotifyRequest n{cmd.node_id(), cmd.raft_addr()};
      auto fn = [db, n] { return db->Notify(n); };
      st = co_await RunBlocking<base::Status>(core, fn);
      break;
    }
    default: {  // JOIN
      bool ok = cmd.voter() ? Allowed(core, cmd, "join")
                            : (Allowed(core, cmd, "join-read-only") ||
                               Allowed(core, cmd, "join-read-replica"));
      if (!ok) co_return Deny(core, &out->reply);
      api::JoinRequest j;
      j.id = cmd.node_id();
      j.raft_addr = cmd.raft_addr();
      j.voter = cmd.voter();
      auto fn = [db, j] { return db->Join(j); };
      st = co_await RunBlocking<base::Status>(core, fn);
      break;
    }
  }
  if (st.code() == base::Code::kNotLeader) out->reply.set_leader_raft_addr(db->Leader().raft_addr);
  ToProto(st, out->reply.mutable_status());
}

asio::awaitable<void> Backup(Core& core, const rqcluster::Command& cmd, Outcome* out) {
  if (!Allowed(core, cmd, auth::kPermBackup)) co_return Deny(core, &out->reply);
  api::Database* db = core.local;
  api::BackupRequest req = FromProto(cmd.backup());
  auto fn = [db, req] { return db->Backup(req); };
  auto file = co_await RunBlocking<base::Result<api::BackupFile>>(core, fn);
  if (!file.ok()) {
    if (file.status().code() == base::Code::kNotLeader) {
      out->reply.set_leader_raft_addr(db->Leader().raft_addr);
    }
    co_return ToProto(file.status(), out->reply.mutable_status());
  }
  out->reply.set_backup_size(file->size);
  out->stream_path = file->path;
  ToProto(base::Status::Ok(), out->reply.mutable_status());
}

asio::awaitable<Outcome> Dispatch(Core& core, const rqcluster::Command& cmd) {
  Outcome out;
  switch (cmd.type()) {
    case rqcluster::Command::GET_NODE_META: {
      NodeMeta m = core.meta_fn ? core.meta_fn() : NodeMeta{};
      out.reply.mutable_node_meta()->set_url(m.url);
      out.reply.mutable_node_meta()->set_commit_index(m.commit_index);
      out.reply.mutable_node_meta()->set_version(m.version);
      out.reply.mutable_node_meta()->set_node_id(m.node_id);
      ToProto(base::Status::Ok(), out.reply.mutable_status());
      break;
    }
    case rqcluster::Command::EXECUTE:
    case rqcluster::Command::QUERY:
    case rqcluster::Command::LOAD:
    case rqcluster::Command::REQUEST: {
      bool ok = cmd.type() == rqcluster::Command::REQUEST
                    ? Allowed(core, cmd, auth::kPermQuery) && Allowed(core, cmd, auth::kPermExecute)
                    : Allowed(core, cmd, SqlPermission(cmd.type()));
      if (!ok) {
        Deny(core, &out.reply);
        break;
      }
      api::Response r = co_await RunSql(core, cmd);
      if (r.status.code() == base::Code::kNotLeader) {
        out.reply.set_leader_raft_addr(core.local->Leader().raft_addr);
      }
      ToProto(r, out.reply.mutable_response());
      ToProto(base::Status::Ok(), out.reply.mutable_status());
      break;
    }
    case rqcluster::Command::BACKUP:
      co_await Backup(core, cmd, &out);
      break;
    case rqcluster::Command::REMOVE_NODE:
    case rqcluster::Command::STEPDOWN:
    case rqcluster::Command::NOTIFY:
    case rqcluster::Command::JOIN:
      co_await Membership(core, cmd, &out);
      break;
    default:
      ToProto(base::Unsupported("unsupported command"), out.reply.mutable_status());
      break;
  }
  co_return out;
}

// Streams a backup file as BackupChunk frames, then deletes it.
asio::awaitable<base::Status> StreamFile(Core& core, std::shared_ptr<Conn> c,
                                         const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  base::Status st;
  std::string buf(core.options.backup_chunk_bytes, '\0');
  while (st.ok()) {
    rqcluster::BackupChunk chunk;
    size_t n = f ? std::fread(buf.data(), 1, buf.size(), f.get()) : 0;
    chunk.set_data(buf.data(), n);
    chunk.set_last(n < buf.size());
    c->Arm(core.options.write_timeout_ms);
    std::string bytes = EncodeFrame(chunk);
    st = co_await WriteAll(c, bytes);
    if (chunk.last()) break;
  }
  f.reset();
  std::remove(path.c_str());
  co_return st;
}

asio::awaitable<void> Session(std::shared_ptr<Core> core, std::shared_ptr<Conn> c) {
  c->Arm(core->options.read_timeout_ms);
  uint8_t byte = 0;
  auto [ec, n] = co_await asio::async_read(c->socket, asio::buffer(&byte, 1), kUseTuple);
  if (ec || byte != kServiceByte) {
    if (!ec) core->bad++;
    co_return c->Close();
  }
  std::string frame;
  while (true) {
    c->Arm(core->options.read_timeout_ms);
    base::Status st = co_await ReadFrame(c, core->options.max_frame_bytes, &frame);
    if (!st.ok()) {
      if (st.code() == base::Code::kCorruption) core->bad++;
      break;
    }
    c->Disarm();  // the database has its own timeouts; the client its own deadline
    rqcluster::Command cmd;
    if (!cmd.ParseFromString(frame)) {
      core->bad++;
      break;
    }
    core->requests++;
    Outcome out = co_await Dispatch(*core, cmd);
    c->Arm(core->options.write_timeout_ms);
    std::string bytes = EncodeFrame(out.reply);
    st = co_await WriteAll(c, bytes);
    if (st.ok() && !out.stream_path.empty()) st = co_await StreamFile(*core, c, out.stream_path);
    if (!st.ok()) break;
  }
  c->Close();
}

}  // namespace

Service::Service(asio::io_context& io, api::Database* local, NodeMetaFn meta_fn,
                 const auth::CredentialStore* credentials, base::Executor* blocking,
                 ServiceOptions options)
    : core_(std::make_shared<Core>(io, local, std::move(meta_fn), credentials, blocking,
                                   options)) {}

Service::~Service() { Close(); }

void Service::Serve(tcp::socket socket) {
  auto strand = asio::make_strand(core_->io);
  auto c = std::make_shared<Conn>(std::move(socket), strand);
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->closed || core_->open.load() >= static_cast<uint64_t>(core_->options.max_connections)) {
      if (!core_->closed) core_->rejected++;
      boost::system::error_code ignored;
      c->socket.close(ignored);
      return;
    }
    core_->open++;
    core_->accepted++;
    core_->conns[c.get()] = c;
  }
  std::shared_ptr<Core> core = core_;
  asio::co_spawn(strand, Session(core, c), [core, raw = c.get()](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        LOG(kWarn, "cluster") << "service connection: " << ex.what();
      }
    }
    std::lock_guard<std::mutex> lock(core->mu);
    core->conns.erase(raw);
    core->open--;
  });
}

void Service::Close() {
  std::vector<std::shared_ptr<Conn>> live;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->closed = true;
    for (auto& [raw, weak] : core_->conns) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) {
    asio::post(c->timer.get_executor(), [c] { c->Close(); });
  }
}

ServiceStats Service::stats() const {
  ServiceStats s;
  s.connections_accepted = core_->accepted;
  s.connections_rejected = core_->rejected;
  s.connections_open = core_->open;
  s.requests = core_->requests;
  s.unauthorized = core_->unauthorized;
  s.bad_requests = core_->bad;
  return s;
}

}  // namespace cluster
