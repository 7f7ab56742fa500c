#include "server/node.h"

#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <future>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "base/executor.h"
#include "base/log.h"
#include "cluster/cluster_database.h"
#include "http/server.h"
#include "server/formation.h"
#include "server/inter_node.h"
#include "server/pending_database.h"
#include "store/membership.h"
#include "store/store.h"

namespace server {

namespace asio = boost::asio;

namespace {

// Three io threads on this 2-core machine: reads run inline on them (decision 0002), so one
// long query holds one thread while the others keep serving every connection.
constexpr int kIoThreads = 3;
constexpr auto kIoDrainDeadline = std::chrono::seconds(5);

http::HttpConfig MakeHttpConfig(const Config& c, const BuildInfo& build, const base::Clock* clock) {
  http::HttpConfig h;
  h.bind_addr = c.http_addr;
  // Validation defaulted the advertised address to the bind address; leave it empty then, so
  // the HTTP server advertises the port it actually bound (matters for port 0).
  h.adv_addr = c.http_adv_addr == c.http_addr ? "" : c.http_adv_addr;
  h.allow_origin = c.http_allow_origin;
  h.tls_cert_file = c.http_cert;
  h.tls_key_file = c.http_key;
  h.tls_ca_file = c.http_ca_cert;
  h.tls_verify_client = c.http_verify_client;
  h.tls_verify_common_name = c.http_verify_common_name;
  h.version = build.version;
  h.queue.capacity = c.write_queue_capacity;
  h.queue.batch_size = c.write_queue_batch_size;
  h.queue.timeout_ns = c.write_queue_timeout.count();
  h.queue.tx = c.write_queue_tx;
  h.node_id = c.node_id;
  h.raft_addr = c.raft_addr;
  h.extensions_dir = c.data_path + "/extensions";
  h.build_commit = build.commit;
  h.cluster_timeout_ns = c.cluster_connect_timeout.count();
  h.clock = clock;
  return h;
}

store::StoreConfig MakeStoreConfig(const Config& c, const BuildInfo& build,
                                   const std::string& api_addr) {
  store::StoreConfig s;
  s.dir = c.data_path;
  s.fk = c.fk;
  s.max_ro_conns = static_cast<int>(std::min<int64_t>(c.db_max_ro_conns, 1 << 20));
  s.node_id = c.node_id;
  s.raft_addr = c.raft_adv_addr;
  s.api_addr = api_addr;
  s.api_url = (c.http_cert.empty() ? "http://" : "https://") + api_addr;
  s.version = build.version;
  s.snapshot_threshold = c.raft_snap_threshold;
  s.snapshot_interval_ns = c.raft_snap_interval.count();
  s.snapshot_wal_bytes = c.raft_snap_wal_size;
  s.trailing_logs = c.raft_snap_threshold + c.raft_snap_threshold / 4;  // × 1.25 (cli.md §2.4)
  std::random_device rd;
  s.random_seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  s.non_voter = c.raft_non_voter;
  s.join = !c.join_addrs.empty();
  s.bootstrap_expect = static_cast<int>(c.bootstrap_expect);
  s.SetRaftTimeouts(c.raft_heartbeat_timeout.count(), c.raft_election_timeout.count());
  s.raft_apply_timeout_ns = c.raft_apply_timeout.count();
  s.reap_timeout_ns = c.raft_reap_node_timeout.count();
  s.reap_read_only_timeout_ns = c.raft_reap_read_only_node_timeout.count();
  return s;
}

// The `commit_index` of the store's /status raft section (GET_NODE_META, readyz sync).
uint64_t CommitIndexOf(api::Database& db) {
  api::Tree status = db.Status();
  const auto* top = std::get_if<api::TreeMap>(&status.v);
  if (top == nullptr) return 0;
  auto raft = top->find("raft");
  if (raft == top->end()) return 0;
  const auto* fields = std::get_if<api::TreeMap>(&raft->second.v);
  if (fields == nullptr) return 0;
  auto ci = fields->find("commit_index");
  if (ci == fields->end()) return 0;
  if (const auto* u = std::get_if<uint64_t>(&ci->second.v)) return *u;
  if (const auto* i = std::get_if<int64_t>(&ci->second.v)) return static_cast<uint64_t>(*i);
  return 0;
}

}  // namespace

class Node::Impl {
 public:
  explicit Impl(const Config& config, const BuildInfo& build)
      : config_(config), build_(build), work_(asio::make_work_guard(io_)) {}

  base::Status Start();
  void Stop();
  std::string http_adv_addr() const { return http_ ? http_->adv_addr() : config_.http_adv_addr; }

 private:
  void StartIoThreads();
  void JoinIoThreads();
  base::Status StartHttp();
  base::Status OpenStore();
  void ScheduleTick();
  void ScheduleRaftTick();
  void StopTimers();
  void ShutdownRaft();  // tick strand
  void LeaveCluster();

  Config config_;
  BuildInfo build_;
  base::SystemClock clock_;
  // Executors are declared before the store so that they outlive it.
  std::unique_ptr<base::SerialExecutor> apply_;
  std::unique_ptr<base::SerialExecutor> raft_;
  // Reads run inline on the io thread that received them (decision 0002); reads released by a
  // linearizable ReadIndex (on the apply thread) run on released_reads_.
  std::unique_ptr<base::InlineExecutor> read_;
  std::unique_ptr<base::ThreadPool> released_reads_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::mutex io_mu_;
  std::condition_variable io_cv_;
  int io_running_ = 0;  // guarded by io_mu_
  // -raft-addr: mux, transport, cluster service and client (cli.md §4 step 2).
  std::unique_ptr<InterNode> inter_node_;
  // -auth credentials; borrowed by the HTTP server, so declared before it. nullptr = no -auth.
  std::unique_ptr<auth::CredentialStore> credentials_;
  JoinCredentials creds_;  // -join-as
  PendingDatabase pending_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<store::Store> store_;
  // What the HTTP server sees once the store is open: the store, forwarding to the leader.
  std::unique_ptr<cluster::ClusterDatabase> cluster_db_;
  // The timers and timers_stopped_ are used only on tick_strand_.
  asio::strand<asio::io_context::executor_type> tick_strand_{asio::make_strand(io_)};
  asio::steady_timer tick_{tick_strand_};
  asio::steady_timer raft_tick_{tick_strand_};
  std::chrono::nanoseconds raft_tick_interval_{0};
  bool timers_stopped_ = false;
  bool raft_shut_down_ = false;  // -raft-remove-shutdown fired (tick strand)
  bool stopped_ = false;
};

void Node::Impl::StartIoThreads() {
  io_running_ = kIoThreads;
  for (int i = 0; i < kIoThreads; ++i) {
    io_threads_.emplace_back([this] {
      for (;;) {
        try {
          io_.run();
          break;
        } catch (const std::exception& e) {
          LOG(kError, "rqlited") << "io thread: unhandled exception: " << e.what();
        }
      }
      std::lock_guard<std::mutex> lock(io_mu_);
      --io_running_;
      io_cv_.notify_all();
    });
    pthread_setname_np(io_threads_.back().native_handle(), "io");
  }
}

// Lets the io threads finish every outstanding handler, then joins them. If some handler never
// completes within the deadline, the io_context is stopped.
void Node::Impl::JoinIoThreads() {
  work_.reset();
  {
    std::unique_lock<std::mutex> lock(io_mu_);
    if (!io_cv_.wait_for(lock, kIoDrainDeadline, [this] { return io_running_ == 0; })) {
      LOG(kWarn, "rqlited") << "HTTP handlers still running after shutdown deadline, stopping";
      io_.stop();
    }
  }
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
}

void Node::Impl::ScheduleTick() {
  auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(config_.raft_snap_interval);
  // -raft-snap-int=0: no periodic snapshot checks.
  if (interval.count() <= 0 || timers_stopped_) return;
  tick_.expires_after(interval);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || timers_stopped_) return;
    store_->Tick();
    ScheduleTick();
  });
}

// The Raft logical clock: one Store::RaftTick per StoreConfig::raft_tick_ns. The next expiry is
// computed from the previous one, so a slow io thread does not stretch the clock.
void Node::Impl::ScheduleRaftTick() {
  if (timers_stopped_) return;
  raft_tick_.expires_at(raft_tick_.expiry() + raft_tick_interval_);
  raft_tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || timers_stopped_ || raft_shut_down_) return;
    if (raft_tick_.expiry() + raft_tick_interval_ < asio::steady_timer::clock_type::now()) {
      raft_tick_.expires_at(asio::steady_timer::clock_type::now());  // fell behind: no burst
    }
    store_->RaftTick();
    ScheduleRaftTick();
  });
}

// -raft-remove-shutdown: this node applied its own removal. Its Raft instance stops: no more
// ticks (no elections) and no transport (no messages in or out); HTTP keeps answering.
void Node::Impl::ShutdownRaft() {
  if (timers_stopped_ || raft_shut_down_) return;
  raft_shut_down_ = true;
  LOG(kInfo, "rqlited") << "node removed from the cluster, shutting down Raft (-raft-remove-shutdown)";
  raft_tick_.cancel();
  inter_node_->transport()->Close();
}

void Node::Impl::StopTimers() {
  if (io_threads_.empty()) return;  // start-up failed before any timer existed
  std::promise<void> done;
  asio::post(tick_strand_, [this, &done] {
    timers_stopped_ = true;
    tick_.cancel();
    raft_tick_.cancel();
    done.set_value();
  });
  done.get_future().wait();
}

base::Status Node::Impl::StartHttp() {
  http::HttpConfig http_config = MakeHttpConfig(config_, build_, &clock_);
  http_config.credentials = credentials_.get();
  http_ = std::make_unique<http::Server>(io_, pending_, std::move(http_config));
  if (base::Status s = http_->Start(); !s.ok()) {
    return base::Unavailable("failed to start HTTP server: " + s.message());
  }
  LOG(kInfo, "rqlited") << "HTTP server started";
  return base::Status::Ok();
}

base::Status Node::Impl::OpenStore() {
  store::StoreDeps deps;
  deps.clock = &clock_;
  deps.apply = apply_.get();
  deps.log = raft_.get();
  deps.read = read_.get();
  deps.released_reads = released_reads_.get();
  deps.transport = inter_node_->transport();
  InterNode* in = inter_node_.get();
  deps.on_peer = [in](raft::NodeId id, const std::string& addr) { in->OnPeer(id, addr); };
  if (config_.raft_remove_shutdown) {
    deps.on_removed = [this] { asio::post(tick_strand_, [this] { ShutdownRaft(); }); };
  }
  store::StoreConfig sc = MakeStoreConfig(config_, build_, http_->adv_addr());
  raft_tick_interval_ = std::chrono::nanoseconds(sc.raft_tick_ns);
  auto opened = store::Store::Open(sc, deps);
  if (!opened.ok()) return base::Unavailable(opened.status().message());
  store_ = std::move(opened).value();
  const std::string api_url = sc.api_url;
  const std::string version = build_.version;
  const std::string id = config_.node_id;
  store::Store* st = store_.get();
  cluster::NodeMetaFn meta = [st, api_url, version, id] {
    return cluster::NodeMeta{api_url, CommitIndexOf(*st), version, id};
  };
  inter_node_->Start(store_.get(), meta, credentials_.get());
  cluster::ClusterDatabaseOptions co;
  co.self_id = config_.node_id;
  co.self_raft_addr = config_.raft_adv_addr;
  co.temp_dir = config_.data_path;
  cluster_db_ = std::make_unique<cluster::ClusterDatabase>(store_.get(), inter_node_->client(),
                                                           meta, &clock_, co);
  asio::post(tick_strand_, [this] {
    raft_tick_.expires_at(asio::steady_timer::clock_type::now());
    ScheduleRaftTick();
    ScheduleTick();
  });
  return base::Status::Ok();
}

base::Status Node::Impl::Start() {
  if (!config_.auth_file.empty()) {  // rqlite: log.Fatalf("failed to get credential store: ...")
    auto loaded = auth::CredentialStore::Load(config_.auth_file);
    if (!loaded.ok()) {
      return base::InvalidArgument("failed to get credential store: " + loaded.status().message());
    }
    credentials_ = std::make_unique<auth::CredentialStore>(std::move(loaded).value());
  }
  RQ_RETURN_IF_ERROR(CreateDirectories(config_.data_path));
  apply_ = std::make_unique<base::SerialExecutor>("apply");
  raft_ = std::make_unique<base::SerialExecutor>("raft");
  read_ = std::make_unique<base::InlineExecutor>();
  released_reads_ = std::make_unique<base::ThreadPool>("read", 2);
  StartIoThreads();

  InterNodeOptions in;
  in.self = store::NodeIdFor(config_.node_id);
  in.bind_addr = config_.raft_addr;
  in.connect_timeout_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.cluster_connect_timeout)
          .count();
  in.snapshot_dir = config_.data_path + "/snapshots";  // the store's snapshot store
  inter_node_ = std::make_unique<InterNode>(io_, in);
  if (base::Status s = inter_node_->Listen(); !s.ok()) {
    return base::Unavailable("failed to listen on " + config_.raft_addr + ": " + s.message());
  }
  // HTTP first, so /readyz and /status answer while the store opens (cli.md §4 step 5).
  RQ_RETURN_IF_ERROR(StartHttp());
  if (base::Status s = OpenStore(); !s.ok()) {
    // Formation refusals are rqlite's own fatal lines; everything else names the store.
    if (s.message().find("cannot create a new non-voting node") == 0) return s;
    return base::Unavailable("failed to open store: " + s.message());
  }
  creds_ = CredentialsFor(config_, credentials_.get());
  InterNode* inter = inter_node_.get();
  RQ_RETURN_IF_ERROR(FormCluster(config_, *store_, *inter->client(), creds_,
                                 [inter](const std::string& id, const std::string& addr) {
                                   inter->OnPeer(store::NodeIdFor(id), addr);
                                 }));
  pending_.Attach(cluster_db_.get());
  return base::Status::Ok();
}

// Graceful-shutdown steps of a cluster member (cli.md §4): self-removal, then leadership
// transfer. Errors are logged; a failed self-removal is fatal (exit 1) in rqlite, here it is
// logged and shutdown continues (the process still exits 0 — see DESIGN.md).
void Node::Impl::LeaveCluster() {
  if (config_.raft_cluster_remove_shutdown) {
    LOG(kInfo, "rqlited") << "initiating removal of this node from cluster before shutdown";
    base::Status s = RemoveSelf(config_, *store_, *inter_node_->client(), creds_);
    if (s.ok()) {
      LOG(kInfo, "rqlited") << "removed this node successfully from cluster before shutdown";
    } else {
      LOG(kError, "rqlited") << "failed to remove this node from cluster before shutdown: "
                             << s.message();
    }
  }
  if (config_.raft_shutdown_stepdown) StepdownIfLeader(config_, *store_);
}

void Node::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Stop();
  if (store_) LeaveCluster();
  if (inter_node_) inter_node_->CloseService();
  StopTimers();
  if (inter_node_) inter_node_->Close();
  if (store_) store_->Close();
  JoinIoThreads();
  cluster_db_.reset();
  store_.reset();
  http_.reset();
  inter_node_.reset();
  released_reads_.reset();
  read_.reset();
  raft_.reset();
  apply_.reset();
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { Stop(); }

void Node::Stop() { impl_->Stop(); }

std::string Node::http_adv_addr() const { return impl_->http_adv_addr(); }

base::Result<std::unique_ptr<Node>> Node::Start(const Config& config, const BuildInfo& build) {
  auto impl = std::make_unique<Impl>(config, build);
  if (base::Status s = impl->Start(); !s.ok()) {
    impl->Stop();
    return s;
  }
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

base::Status CreateDirectories(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return base::IoError("failed to create data directory " + partial + ": " +
                           std::strerror(errno));
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return base::IoError("data directory " + path + " is not a directory");
  }
  return base::Status::Ok();
}

}  // namespace server
