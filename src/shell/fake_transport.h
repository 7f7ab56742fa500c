// shell/fake_transport.h — a scripted Transport for unit tests (test-only header).
// Handlers are matched by "METHOD url" prefix; every request is recorded.
// Thread-safety: single-threaded tests only.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "shell/http_client.h"

namespace shell {

class FakeTransport final : public Transport {
 public:
  using Handler = std::function<base::Result<HttpResponse>(const TransportRequest&)>;

  // Requests whose "METHOD url" starts with `prefix` go to `handler` (first match wins).
  void On(std::string prefix, Handler handler) { routes_.emplace_back(std::move(prefix), std::move(handler)); }
  void OnJson(std::string prefix, int status, std::string body, Headers headers = {}) {
    On(std::move(prefix), [=](const TransportRequest&) -> base::Result<HttpResponse> {
      HttpResponse r;
      r.status = status;
      r.status_text = StatusTextFor(status);
      r.body = body;
      r.headers = headers;
      return r;
    });
  }

  base::Result<HttpResponse> Send(const TransportRequest& request) override {
    requests.push_back(request);
    const std::string key = request.method + " " + request.url;
    for (auto& [prefix, handler] : routes_) {
      if (key.rfind(prefix, 0) == 0) return handler(request);
    }
    return base::Unavailable("connection refused");
  }

  std::vector<TransportRequest> requests;

 private:
  std::vector<std::pair<std::string, Handler>> routes_;
};

}  // namespace shell
