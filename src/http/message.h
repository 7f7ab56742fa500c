// http/message.h — transport-independent HTTP request/response values.
//
// What: the server (server.cc, the only file that sees Beast) converts wire messages to and from
// these, so the request pipeline and the handlers are plain C++ that unit tests drive directly.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

struct HttpRequest {
  std::string method;        // "GET", "POST", ... as received
  std::string path;          // percent-decoded path (Go's URL.Path)
  std::string raw_query;     // after '?', as received (no '?')
  bool has_query = false;    // the target contained '?'
  std::string content_type;  // "" when absent
  bool has_content_length = false;
  uint64_t content_length = 0;
  std::string authorization;  // "" when absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  // In insertion order; names as they go on the wire. SetHeader replaces by case-insensitive name.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When non-empty the body is this file, streamed and then deleted (backups).
  std::string file_path;
  bool close_connection = false;  // e.g. after refusing an oversized body

  void SetHeader(std::string_view name, std::string_view value);
  // "" when absent.
  std::string GetHeader(std::string_view name) const;
};

constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";

// Go's http.Error(w, message, status) on top of `base` (headers already set are kept; the body
// and Content-Type are replaced, X-Content-Type-Options: nosniff added, body = message + "\n").
void GoError(HttpResponse* response, int status, std::string_view message);

// Go's URL path unescaping ("%2F" → "/"); on a bad escape the input is returned unchanged.
std::string UnescapePath(std::string_view path);

// HTTP reason phrase ("Moved Permanently"); "" for unknown codes.
std::string_view ReasonPhrase(int status);

}  // namespace http
