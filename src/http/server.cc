// The only translation unit that compiles Boost.Beast: HTTP/1.1 sessions as C++20 coroutines,
// converting wire messages to HttpRequest/HttpResponse for the Service.
#include "http/server.h"

#include <time.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "base/log.h"
#include "http/service.h"
#include "http/write_queue.h"
#include "net/address.h"
#include "net/listener.h"

namespace http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

class Server::Impl {
 public:
  Impl(asio::io_context& io, api::Database& db, HttpConfig config);
  base::Status Start();
  void Stop();
  uint16_t port() const { return listener_.port(); }
  std::string adv_addr() const { return core_->env.config.adv_addr; }

  // State shared with sessions and pending replies; outlives the Impl while they run.
  struct Core {
    ServiceEnv env;
    std::unique_ptr<WriteQueue> queue;
    std::unique_ptr<Service> service;
    std::mutex mu;
    uint64_t next_session = 0;
    std::map<uint64_t, std::function<void()>> sessions;  // closers; guarded by mu
    std::unique_ptr<asio::ssl::context> tls;  // set by Start() when HTTPS is configured
    std::atomic<bool> stopped{false};
  };

 private:
  asio::io_context& io_;
  std::shared_ptr<Core> core_;
  net::Listener listener_;
  bool started_ = false;
};

namespace {

using Core = Server::Impl::Core;
using RequestParser = bhttp::request_parser<bhttp::string_body>;

// Go's Date header (RFC 1123, GMT).
std::string HttpDate() {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

HttpRequest ToHttpRequest(bhttp::request<bhttp::string_body>&& in) {
  HttpRequest out;
  out.method = std::string(in.method_string());
  std::string_view target = in.target();
  size_t q = target.find('?');
  out.path = UnescapePath(target.substr(0, q));
  if (q != std::string_view::npos) {
    out.has_query = true;
    out.raw_query = std::string(target.substr(q + 1));
  }
  out.content_type = std::string(in[bhttp::field::content_type]);
  if (auto it = in.find(bhttp::field::content_length); it != in.end()) {
    out.has_content_length = true;
    out.content_length = std::strtoull(std::string(it->value()).c_str(), nullptr, 10);
  }
  out.authorization = std::string(in[bhttp::field::authorization]);
  out.body = std::move(in.body());
  return out;
}

template <typename Body>
void CopyHeaders(const HttpResponse& from, bhttp::response<Body>* to, bool keep_alive) {
  to->result(static_cast<unsigned>(from.status));
  to->reason(ReasonPhrase(from.status));
  for (const auto& [k, v] : from.headers) to->set(k, v);
  to->set(bhttp::field::date, HttpDate());
  to->keep_alive(keep_alive);
}

// Writes `resp`; false when the connection must be dropped.
template <typename Stream>
asio::awaitable<bool> WriteResponse(Stream& stream, HttpResponse& resp,
                                    bool keep_alive, bool head = false) {
  if (!resp.file_path.empty()) {
    bhttp::response<bhttp::file_body> res;
    beast::error_code ec;
    res.body().open(resp.file_path.c_str(), beast::file_mode::scan, ec);
    std::remove(resp.file_path.c_str());  // unlinked now; the open descriptor keeps the data
    if (ec) {
      GoError(&resp, 500, "open backup: " + ec.message());
    } else {
      CopyHeaders(resp, &res, keep_alive);
      res.prepare_payload();
      auto [wec, n] = co_await bhttp::async_write(stream, res, kUseTuple);
      co_return !wec;
    }
  }
  if (head) {  // HEAD: the headers a GET would get, no body
    bhttp::response<bhttp::empty_body> res;
    CopyHeaders(resp, &res, keep_alive);
    res.content_length(resp.body.size());
    auto [wec, n] = co_await bhttp::async_write(stream, res, kUseTuple);
    co_return !wec;
  }
  bhttp::response<bhttp::string_body> res;
  CopyHeaders(resp, &res, keep_alive);
  res.body() = std::move(resp.body);
  res.prepare_payload();
  auto [wec, n] = co_await bhttp::async_write(stream, res, kUseTuple);
  co_return !wec;
}

// Hands the request to the Service and resumes on the session's executor with the response.
template <typename Token>
auto AsyncHandle(std::shared_ptr<Core> core, HttpRequest request, Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      [core](auto handler, HttpRequest req) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        core->service->Handle(std::move(req), [h, ex, core](HttpResponse resp) {
          asio::post(ex, [h, resp = std::move(resp)]() mutable { (*h)(std::move(resp)); });
        });
      },
      token, std::move(request));
}

// After refusing a request whose body we will not read: stop sending, discard what the peer
// still sends (bounded by time) so it sees our response instead of a reset.
template <typename Stream>
asio::awaitable<void> LingeringClose(Stream& stream) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  std::vector<char> sink(1 << 16);
  for (;;) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
    if (rec) break;
  }
}

// A parse failure before routing: Go answers "400 Bad Request" (431 for huge headers) and closes.
template <typename Stream>
asio::awaitable<void> RejectMalformed(Stream& stream, const beast::error_code& ec) {
  HttpResponse resp;
  int status = ec == bhttp::error::header_limit ? 431 : 400;
  resp.status = status;
  resp.SetHeader("Content-Type", kTextContentType);
  resp.body = std::to_string(status) + " " + std::string(ReasonPhrase(status));
  co_await WriteResponse(stream, resp, false);
}

template <typename Stream>
asio::awaitable<void> RefuseTooLarge(std::shared_ptr<Core> core, Stream& stream) {
  HttpResponse resp;
  SetBaseHeaders(core->env, &resp);
  GoError(&resp, 413, "http: request body too large (limit " +
                          std::to_string(core->env.config.max_body_bytes) + " bytes)");
  if (co_await WriteResponse(stream, resp, false)) co_await LingeringClose(stream);
}

// A malformed message (not a closed or reset connection).
bool IsParseError(const beast::error_code& ec) {
  return ec.category() == beast::error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Reads one request. nullopt = the session ends (already answered when needed).
template <typename Stream>
asio::awaitable<std::optional<HttpRequest>> ReadRequest(std::shared_ptr<Core> core,
                                                        Stream& stream,
                                                        beast::flat_buffer& buffer,
                                                        bool* keep_alive) {
  RequestParser parser;
  parser.header_limit(1 << 20);  // Go's DefaultMaxHeaderBytes
  parser.body_limit(core->env.config.max_body_bytes);
  // idle keep-alive connections
  beast::get_lowest_layer(stream).expires_after(std::chrono::minutes(5));
  auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
  if (ec == bhttp::error::body_limit) {  // Content-Length over the limit: checked at the header
    co_await RefuseTooLarge(core, stream);
    co_return std::nullopt;
  }
  if (ec) {
    if (IsParseError(ec)) co_await RejectMalformed(stream, ec);
    co_return std::nullopt;
  }
  beast::get_lowest_layer(stream).expires_never();
  auto len = parser.content_length();
  if (len && *len > core->env.config.max_body_bytes) {
    co_await RefuseTooLarge(core, stream);
    co_return std::nullopt;
  }
  if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
    auto [cec, cn] = co_await bhttp::async_write(stream, cont, kUseTuple);
    if (cec) co_return std::nullopt;
  }
  if (!parser.is_done()) {
    auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
    if (bec == bhttp::error::body_limit) {
      co_await RefuseTooLarge(core, stream);
      co_return std::nullopt;
    }
    if (bec) {
      if (IsParseError(bec)) co_await RejectMalformed(stream, bec);
      co_return std::nullopt;
    }
  }
  *keep_alive = parser.get().keep_alive();
  co_return ToHttpRequest(parser.release());
}

// Registers a live session for Stop(); unregisters on scope exit (also on exceptions).
class SessionRegistration {
 public:
  template <typename Stream>
  SessionRegistration(std::shared_ptr<Core> core, const std::shared_ptr<Stream>& stream)
      : core_(std::move(core)) {
    std::weak_ptr<Stream> weak = stream;
    std::lock_guard<std::mutex> lock(core_->mu);
    id_ = core_->next_session++;
    core_->sessions[id_] = [weak] {
      auto s = weak.lock();
      if (!s) return;
      asio::post(s->get_executor(), [s] {
        beast::error_code ec;
        beast::get_lowest_layer(*s).socket().shutdown(tcp::socket::shutdown_both, ec);
        beast::get_lowest_layer(*s).socket().close(ec);
      });
    };
  }
  ~SessionRegistration() {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->sessions.erase(id_);
  }
  SessionRegistration(const SessionRegistration&) = delete;
  SessionRegistration& operator=(const SessionRegistration&) = delete;

 private:
  std::shared_ptr<Core> core_;
  uint64_t id_ = 0;
};

// The request/response loop, the same for plain TCP and TLS streams.
template <typename Stream>
asio::awaitable<void> ServeRequests(std::shared_ptr<Core> core, Stream& stream) {
  beast::flat_buffer buffer;
  while (!core->stopped) {
    bool keep_alive = false;
    std::optional<HttpRequest> req = co_await ReadRequest(core, stream, buffer, &keep_alive);
    if (!req) break;
    bool head = req->method == "HEAD";
    HttpResponse resp = co_await AsyncHandle(core, std::move(*req), asio::use_awaitable);
    keep_alive = keep_alive && !resp.close_connection && !core->stopped;
    if (!co_await WriteResponse(stream, resp, keep_alive, head) || !keep_alive) break;
  }
}

asio::awaitable<void> RunSession(std::shared_ptr<Core> core, tcp::socket socket) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  SessionRegistration registration(core, stream);
  co_await ServeRequests(core, *stream);
  beast::error_code ec;
  stream->socket().shutdown(tcp::socket::shutdown_send, ec);
}

using TlsStream = asio::ssl::stream<beast::tcp_stream>;

// HTTPS: handshake (bounded by a timeout), then the same request loop, then close_notify.
asio::awaitable<void> RunTlsSession(std::shared_ptr<Core> core, tcp::socket socket) {
  auto stream = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), *core->tls);
  SessionRegistration registration(core, stream);
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(*stream);
  tcp_layer.expires_after(std::chrono::seconds(10));
  auto [hec] = co_await stream->async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (hec) {
    LOG(kDebug, "http") << "TLS handshake failed: " << hec.message();
    co_return;
  }
  tcp_layer.expires_never();
  co_await ServeRequests(core, *stream);
  tcp_layer.expires_after(std::chrono::seconds(2));
  auto [sec] = co_await stream->async_shutdown(kUseTuple);
  beast::error_code ec;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// Reads the PEM files into a TLS 1.2+ server context; errors name the offending file.
base::Result<std::unique_ptr<asio::ssl::context>> MakeTlsContext(const HttpConfig& cfg) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  ctx->use_certificate_chain_file(cfg.tls_cert_file, ec);
  if (ec) {
    return base::InvalidArgument("failed to load X.509 certificate " + cfg.tls_cert_file + ": " +
                                 ec.message());
  }
  ctx->use_private_key_file(cfg.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return base::InvalidArgument("failed to load X.509 key " + cfg.tls_key_file + ": " +
                                 ec.message());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return base::InvalidArgument("X.509 key " + cfg.tls_key_file + " does not match certificate " +
                                 cfg.tls_cert_file);
  }
  if (!cfg.tls_ca_file.empty()) {
    ctx->load_verify_file(cfg.tls_ca_file, ec);
    if (ec) {
      return base::InvalidArgument("failed to load CA certificate " + cfg.tls_ca_file + ": " +
                                   ec.message());
    }
  }
  if (cfg.tls_verify_client) {
    ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    if (!cfg.tls_verify_common_name.empty()) {
      ctx->set_verify_callback([cn = cfg.tls_verify_common_name](bool preverified,
                                                                 asio::ssl::verify_context& vc) {
        if (!preverified) return false;
        X509_STORE_CTX* store = vc.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) != 0) return true;  // only the leaf's CN
        X509* leaf = X509_STORE_CTX_get_current_cert(store);
        char buf[256] = {0};
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, buf,
                                          sizeof buf);
        return n >= 0 && std::string(buf, static_cast<size_t>(n)) == cn;
      });
    }
  }
  return ctx;
}

// "host:port" with the bound port substituted when the configured port is 0.
std::string WithBoundPort(const std::string& addr, uint16_t port) {
  auto hp = net::ParseHostPort(addr);
  if (!hp.ok()) return addr;
  return net::JoinHostPort(hp->host, hp->port == 0 ? port : hp->port);
}

}  // namespace

Server::Impl::Impl(asio::io_context& io, api::Database& db, HttpConfig config)
    : io_(io), core_(std::make_shared<Core>()), listener_(io) {
  core_->env.db = &db;
  core_->env.defer = [&io](std::function<void()> task) { asio::post(io, std::move(task)); };
  core_->env.config = std::move(config);
  CHECK(core_->env.config.clock != nullptr) << "HttpConfig::clock is required";
  core_->env.clock = core_->env.config.clock;
  core_->env.start_unix_ns = core_->env.clock->UnixNanos();
  core_->queue = std::make_unique<WriteQueue>(io, db, core_->env.config.queue,
                                              core_->env.start_unix_ns);
  core_->env.queue = core_->queue.get();
  core_->service = std::make_unique<Service>(&core_->env);
}

base::Status Server::Impl::Start() {
  CHECK(!started_) << "Server::Start called twice";
  if (core_->env.config.tls()) {
    auto ctx = MakeTlsContext(core_->env.config);
    if (!ctx.ok()) return ctx.status();
    core_->tls = std::move(ctx).value();
  }
  RQ_RETURN_IF_ERROR(listener_.Listen(core_->env.config.bind_addr));
  started_ = true;
  HttpConfig& cfg = core_->env.config;
  cfg.bind_addr = WithBoundPort(cfg.bind_addr, port());
  cfg.adv_addr = cfg.adv_addr.empty() ? cfg.bind_addr : WithBoundPort(cfg.adv_addr, port());
  listener_.Start([core = core_](tcp::socket socket) {
    auto ex = socket.get_executor();
    // Exceptions from Asio/Beast/allocation end this connection only (design.md §5).
    auto session = core->tls ? RunTlsSession(core, std::move(socket))
                             : RunSession(core, std::move(socket));
    asio::co_spawn(ex, std::move(session), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        LOG(kWarn, "http") << "connection aborted: " << ex.what();
      }
    });
  });
  LOG(kInfo, "http") << "service listening on " << cfg.bind_addr << (core_->tls ? " (HTTPS)" : "");
  return base::Status::Ok();
}

void Server::Impl::Stop() {
  if (core_->stopped.exchange(true)) return;
  listener_.Close();
  core_->queue->Stop();
  std::lock_guard<std::mutex> lock(core_->mu);
  for (auto& [id, close] : core_->sessions) close();
}

Server::Server(asio::io_context& io, api::Database& db, HttpConfig config)
    : impl_(std::make_unique<Impl>(io, db, std::move(config))) {}
Server::~Server() { Stop(); }
base::Status Server::Start() { return impl_->Start(); }
uint16_t Server::port() const { return impl_->port(); }
std::string Server::adv_addr() const { return impl_->adv_addr(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace http
