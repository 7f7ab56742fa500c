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
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "auth/credential_store.h"
#include "base/clock.h"
#include "base/executor.h"
#include "base/log.h"
#include "http/server.h"
#include "net/listener.h"
#include "server/pending_database.h"
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
  return s;
}

}  // namespace

class Node::Impl {
 public:
  explicit Impl(const Config& config) : config_(config), work_(asio::make_work_guard(io_)) {}

  base::Status Start(const BuildInfo& build);
  void Stop();
  std::string http_adv_addr() const { return http_ ? http_->adv_addr() : config_.http_adv_addr; }

 private:
  void StartIoThreads();
  void JoinIoThreads();
  void ScheduleTick();

  Config config_;
  base::SystemClock clock_;
  // Executors are declared before the store so that they outlive it.
  std::unique_ptr<base::SerialExecutor> apply_;
  std::unique_ptr<base::SerialExecutor> log_;
  // Reads run inline on the io thread that received them (decision 0002).
  std::unique_ptr<base::InlineExecutor> read_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::mutex io_mu_;
  std::condition_variable io_cv_;
  int io_running_ = 0;  // guarded by io_mu_
  // Holds -raft-addr (cli.md §4 step 2) so a port clash fails start-up, as in rqlite. There is
  // no inter-node protocol in a single-node build: accepted connections are closed at once.
  std::unique_ptr<net::Listener> raft_listener_;
  // -auth credentials; borrowed by the HTTP server, so declared before it. nullptr = no -auth.
  std::unique_ptr<auth::CredentialStore> credentials_;
  PendingDatabase pending_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<store::Store> store_;
  // The Tick timer and tick_stopped_ are used only on tick_strand_.
  asio::strand<asio::io_context::executor_type> tick_strand_{asio::make_strand(io_)};
  asio::steady_timer tick_{tick_strand_};
  bool tick_stopped_ = false;
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
  if (interval.count() <= 0 || tick_stopped_) return;
  tick_.expires_after(interval);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || tick_stopped_) return;
    store_->Tick();
    ScheduleTick();
  });
}

base::Status Node::Impl::Start(const BuildInfo& build) {
  if (!config_.auth_file.empty()) {  // rqlite: log.Fatalf("failed to get credential store: ...")
    auto loaded = auth::CredentialStore::Load(config_.auth_file);
    if (!loaded.ok()) {
      return base::InvalidArgument("failed to get credential store: " + loaded.status().message());
    }
    credentials_ = std::make_unique<auth::CredentialStore>(std::move(loaded).value());
  }
  RQ_RETURN_IF_ERROR(CreateDirectories(config_.data_path));
  apply_ = std::make_unique<base::SerialExecutor>("apply");
  log_ = std::make_unique<base::SerialExecutor>("log");
  read_ = std::make_unique<base::InlineExecutor>();
  StartIoThreads();

  raft_listener_ = std::make_unique<net::Listener>(io_);
  if (base::Status s = raft_listener_->Listen(config_.raft_addr); !s.ok()) {
    return base::Unavailable("failed to listen on " + config_.raft_addr + ": " + s.message());
  }
  raft_listener_->Start([](asio::ip::tcp::socket socket) {
    boost::system::error_code ignored;
    socket.close(ignored);
  });

  // HTTP first, so /readyz and /status answer while the store opens (cli.md §4 step 5).
  http::HttpConfig http_config = MakeHttpConfig(config_, build, &clock_);
  http_config.credentials = credentials_.get();
  http_ = std::make_unique<http::Server>(io_, pending_, std::move(http_config));
  if (base::Status s = http_->Start(); !s.ok()) {
    return base::Unavailable("failed to start HTTP server: " + s.message());
  }
  LOG(kInfo, "rqlited") << "HTTP server started";

  store::StoreDeps deps;
  deps.clock = &clock_;
  deps.apply = apply_.get();
  deps.log = log_.get();
  deps.read = read_.get();
  auto opened = store::Store::Open(MakeStoreConfig(config_, build, http_->adv_addr()), deps);
  if (!opened.ok()) return base::Unavailable("failed to open store: " + opened.status().message());
  store_ = std::move(opened).value();
  pending_.Attach(store_.get());
  asio::post(tick_strand_, [this] { ScheduleTick(); });
  return base::Status::Ok();
}

void Node::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->Stop();
  if (raft_listener_) raft_listener_->Close();
  asio::post(tick_strand_, [this] {
    tick_stopped_ = true;
    tick_.cancel();
  });
  if (store_) store_->Close();
  JoinIoThreads();
  store_.reset();
  http_.reset();
  raft_listener_.reset();
  read_.reset();
  log_.reset();
  apply_.reset();
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { Stop(); }

void Node::Stop() { impl_->Stop(); }

std::string Node::http_adv_addr() const { return impl_->http_adv_addr(); }

base::Result<std::unique_ptr<Node>> Node::Start(const Config& config, const BuildInfo& build) {
  auto impl = std::make_unique<Impl>(config);
  if (base::Status s = impl->Start(build); !s.ok()) {
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
