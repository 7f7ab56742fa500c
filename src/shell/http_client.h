// shell/http_client.h — the shell's small blocking HTTP/1.1 client.
//
// HttpClient adds rqlite's client behaviour on top of a Transport (one request, one response):
//   * never lets the transport follow redirects; follows 301 itself (same method, same body, up
//     to 21 hops, then "maximum leader redirect limit exceeded", which counts as the host being
//     unavailable);
//   * on a transport error (refused, unreachable, timeout, TLS failure) tries the next host of
//     the list (the main host, then --alternatives), each at most once per request, and remembers
//     the host that answered; host_changed() reports when a request landed on a different host;
//   * Basic Auth from "user:password" (exactly one ':').
// CurlTransport is the real transport (libcurl + OpenSSL: https, CA file, insecure, client cert).
// Thread-safety: not thread-safe; one client per shell, used from the shell's single thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace shell {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string status_text;  // Go's resp.Status, e.g. "401 Unauthorized"
  Headers headers;
  std::string body;

  // Case-insensitive header lookup; "" when absent.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
};

struct TransportRequest {
  std::string method;
  std::string url;  // absolute
  Headers headers;
  std::string body;
  bool has_body = false;
  int64_t timeout_ms = 0;  // 0 = none
};

// Performs exactly one HTTP exchange. Errors are transport failures only (an HTTP error status
// is a response). Status code kUnavailable marks "could not connect" (refused/unreachable).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual base::Result<HttpResponse> Send(const TransportRequest& request) = 0;
};

struct TlsConfig {
  std::string ca_cert;
  std::string client_cert;
  std::string client_key;
  bool insecure = false;
};

// libcurl-backed Transport. Keeps one easy handle (connection reuse).
std::unique_ptr<Transport> NewCurlTransport(const TlsConfig& tls);

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // path + query, starting with '/', e.g. "/db/query?q=..."
  Headers headers;
  std::string body;
  bool has_body = false;
  bool no_timeout = false;  // uploads (.restore/.boot) run without the per-request timeout

  static HttpRequest Make(std::string method, std::string path) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    return r;
  }
};

struct HttpClientConfig {
  std::string scheme = "http";
  std::vector<std::string> hosts;  // host:port, main host first
  std::string credentials;         // "user:password" or ""
  int64_t timeout_ms = 30000;
  int max_redirects = 21;
};

class HttpClient {
 public:
  // REQUIRES: config.hosts is not empty; transport is not null.
  HttpClient(HttpClientConfig config, std::unique_ptr<Transport> transport);

  // Sends to the current host with failover and 301 following (see file comment).
  base::Result<HttpResponse> Do(const HttpRequest& request);
  // Sends to an absolute URL: no failover, no redirect following (sysdump's GetDirect).
  base::Result<HttpResponse> DoDirect(const std::string& method, const std::string& url);

  const std::string& current_host() const { return config_.hosts[current_]; }
  std::string current_base_url() const { return config_.scheme + "://" + current_host(); }
  // True when the last Do() was answered by a different host than the one before it.
  bool host_changed() const { return host_changed_; }

 private:
  base::Result<HttpResponse> FollowRedirects(const HttpRequest& request, const std::string& url);
  base::Status AddAuth(Headers* headers) const;

  HttpClientConfig config_;
  std::unique_ptr<Transport> transport_;
  size_t current_ = 0;
  bool host_changed_ = false;
};

// "Go-style" Status text for a code without a reason phrase ("404 Not Found").
std::string StatusTextFor(int code);
std::string Base64Encode(const std::string& in);
// Percent-encodes a query value the way Go's url.Values.Encode does (space as '+').
std::string QueryEscape(const std::string& s);

}  // namespace shell
