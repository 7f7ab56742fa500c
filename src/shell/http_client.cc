// shell/http_client.cc — see http_client.h.
#include "shell/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <cctype>

#include "base/check.h"

namespace shell {
namespace {

bool IEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.c_str(), b.c_str(), a.size()) == 0;
}

std::string Trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string line(data, size * n);
  line = Trim(line);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (e.g. after "100 Continue"): start over.
    resp->headers.clear();
    size_t sp = line.find(' ');
    std::string rest = sp == std::string::npos ? "" : Trim(line.substr(sp + 1));
    resp->status = std::atoi(rest.c_str());
    resp->status_text = rest.find(' ') == std::string::npos ? StatusTextFor(resp->status) : rest;
  } else if (size_t colon = line.find(':'); colon != std::string::npos) {
    resp->headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TlsConfig tls) : tls_(std::move(tls)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = curl_easy_init();
    CHECK(curl_ != nullptr) << "curl_easy_init failed";
  }
  ~CurlTransport() override { curl_easy_cleanup(curl_); }

  base::Result<HttpResponse> Send(const TransportRequest& req) override {
    HttpResponse resp;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    // Like rqlite's shell (NextProtos=nil): HTTP/1.1 only, even if the server offers h2.
    curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &resp);
    if (req.timeout_ms > 0) {
      curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
      curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout_ms));
    }
    ApplyTls();
    if (req.method == "GET") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    } else {
      if (req.method != "POST") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (req.method == "POST" || req.has_body) {
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, req.body.data());
      }
    }
    curl_slist* list = nullptr;
    bool has_content_type = false;
    for (const auto& [k, v] : req.headers) {
      if (IEquals(k, "Content-Type")) has_content_type = true;
      list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    // Like Go's client: no Expect: 100-continue, no implicit form Content-Type.
    list = curl_slist_append(list, "Expect:");
    if (!has_content_type) list = curl_slist_append(list, "Content-Type:");
    list = curl_slist_append(list, "User-Agent: rqlite-cli");
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
      std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
      base::Code code = (rc == CURLE_COULDNT_CONNECT) ? base::Code::kUnavailable
                        : (rc == CURLE_OPERATION_TIMEDOUT) ? base::Code::kTimeout
                                                           : base::Code::kIoError;
      return base::Status(code, detail);
    }
    return resp;
  }

 private:
  void ApplyTls() {
    if (!tls_.ca_cert.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, tls_.ca_cert.c_str());
    if (!tls_.client_cert.empty()) curl_easy_setopt(curl_, CURLOPT_SSLCERT, tls_.client_cert.c_str());
    if (!tls_.client_key.empty()) curl_easy_setopt(curl_, CURLOPT_SSLKEY, tls_.client_key.c_str());
    if (tls_.insecure) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  TlsConfig tls_;
  CURL* curl_ = nullptr;
};

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

bool HttpResponse::HasHeader(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return true;
  }
  return false;
}

std::unique_ptr<Transport> NewCurlTransport(const TlsConfig& tls) {
  return std::make_unique<CurlTransport>(tls);
}

HttpClient::HttpClient(HttpClientConfig config, std::unique_ptr<Transport> transport)
    : config_(std::move(config)), transport_(std::move(transport)) {
  CHECK(!config_.hosts.empty());
  CHECK(transport_ != nullptr);
}

base::Status HttpClient::AddAuth(Headers* headers) const {
  if (config_.credentials.empty()) return base::Status::Ok();
  size_t colon = config_.credentials.find(':');
  if (colon == std::string::npos || config_.credentials.find(':', colon + 1) != std::string::npos) {
    return base::InvalidArgument("invalid Basic Auth credential format");
  }
  headers->emplace_back("Authorization", "Basic " + Base64Encode(config_.credentials));
  return base::Status::Ok();
}

base::Result<HttpResponse> HttpClient::FollowRedirects(const HttpRequest& request,
                                                       const std::string& first_url) {
  TransportRequest tr;
  tr.method = request.method;
  tr.url = first_url;
  tr.headers = request.headers;
  tr.body = request.body;
  tr.has_body = request.has_body;
  tr.timeout_ms = request.no_timeout ? 0 : config_.timeout_ms;
  RQ_RETURN_IF_ERROR(AddAuth(&tr.headers));
  for (int redirects = 0;;) {
    RQ_ASSIGN_OR_RETURN(HttpResponse resp, transport_->Send(tr));
    if (resp.status != 301) return resp;
    if (++redirects > config_.max_redirects) {
      return base::Status(base::Code::kAborted, "maximum leader redirect limit exceeded");
    }
    std::string location = resp.Header("Location");
    if (!location.empty() && location[0] == '/') {
      size_t scheme_end = tr.url.find("://");
      size_t host_end = tr.url.find('/', scheme_end + 3);
      location = tr.url.substr(0, host_end) + location;
    }
    tr.url = location;
  }
}

base::Result<HttpResponse> HttpClient::Do(const HttpRequest& request) {
  host_changed_ = false;
  base::Status first_error;
  std::string first_url;
  for (size_t tried = 0; tried < config_.hosts.size(); ++tried) {
    const std::string base = current_base_url();
    auto resp = FollowRedirects(request, base + request.path);
    if (resp.ok()) {
      host_changed_ = tried > 0;
      return resp;
    }
    if (resp.status().code() == base::Code::kInvalidArgument) return resp.status();
    if (tried == 0) {
      first_error = resp.status();
      first_url = base;
    }
    current_ = (current_ + 1) % config_.hosts.size();
  }
  if (first_error.code() == base::Code::kUnavailable) {
    return base::Unavailable("Unable to connect to rqlited at " + first_url + " - is it running?");
  }
  return first_error;
}

base::Result<HttpResponse> HttpClient::DoDirect(const std::string& method, const std::string& url) {
  TransportRequest tr;
  tr.method = method;
  tr.url = url;
  tr.timeout_ms = config_.timeout_ms;
  RQ_RETURN_IF_ERROR(AddAuth(&tr.headers));
  return transport_->Send(tr);
}

std::string StatusTextFor(int code) {
  const char* text = "";
  switch (code) {
    case 200: text = "OK"; break;
    case 201: text = "Created"; break;
    case 204: text = "No Content"; break;
    case 301: text = "Moved Permanently"; break;
    case 400: text = "Bad Request"; break;
    case 401: text = "Unauthorized"; break;
    case 403: text = "Forbidden"; break;
    case 404: text = "Not Found"; break;
    case 405: text = "Method Not Allowed"; break;
    case 408: text = "Request Timeout"; break;
    case 413: text = "Request Entity Too Large"; break;
    case 500: text = "Internal Server Error"; break;
    case 501: text = "Not Implemented"; break;
    case 503: text = "Service Unavailable"; break;
    default: break;
  }
  std::string out = std::to_string(code);
  if (text[0] != '\0') out += std::string(" ") + text;
  return out;
}

std::string Base64Encode(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string QueryEscape(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace shell
