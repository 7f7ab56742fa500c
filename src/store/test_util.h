// store/test_util.h — helpers for store tests: a store in a temp dir with its own executors,
// synchronous wrappers, and a compact rqlite-style JSON rendering of api::Response for golden
// comparisons (integers/strings/blobs/null/bool exact; reals via %.17g trimmed).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/executor.h"
#include "store/store.h"

namespace store::testing {

inline std::string Base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

inline std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline std::string Render(const api::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "null";
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", *d);
    std::string s = buf;
    if (std::stod(std::to_string(*d)) == *d) {
      std::snprintf(buf, sizeof(buf), "%g", *d);
      s = buf;
    }
    return s;
  }
  if (auto* s = std::get_if<std::string>(&v)) return Quote(*s);
  if (auto* b = std::get_if<api::Blob>(&v)) return Quote(Base64(b->bytes));
  return std::get<bool>(v) ? "true" : "false";
}

inline std::string Render(const api::StatementResult& r) {
  using K = api::StatementResult::Kind;
  if (r.kind == K::kError) return "{\"error\":" + Quote(r.error) + "}";
  std::string out = "{";
  auto add = [&](const std::string& s) {
    if (out.size() > 1) out += ",";
    out += s;
  };
  if (r.kind == K::kExecute) {
    if (r.last_insert_id) add("\"last_insert_id\":" + std::to_string(r.last_insert_id));
    if (r.rows_affected) add("\"rows_affected\":" + std::to_string(r.rows_affected));
    return out + "}";
  }
  if (!r.columns.empty()) {
    std::string c = "\"columns\":[", t = "\"types\":[";
    for (size_t i = 0; i < r.columns.size(); ++i) {
      c += (i ? "," : "") + Quote(r.columns[i]);
      t += (i ? "," : "") + Quote(r.types[i]);
    }
    add(c + "]");
    add(t + "]");
  }
  if (!r.values.empty()) {
    std::string v = "\"values\":[";
    for (size_t i = 0; i < r.values.size(); ++i) {
      v += i ? ",[" : "[";
      for (size_t j = 0; j < r.values[i].size(); ++j) v += (j ? "," : "") + Render(r.values[i][j]);
      v += "]";
    }
    add(v + "]");
  }
  return out + "}";
}

inline std::string Render(const api::Response& r) {
  std::string out = "{\"results\":[";
  for (size_t i = 0; i < r.results.size(); ++i) out += (i ? "," : "") + Render(r.results[i]);
  out += "]";
  if (!r.status.ok()) out += ",\"error\":" + Quote(r.status.message());
  return out + "}";
}

inline std::vector<api::Statement> Stmts(std::initializer_list<const char*> sqls) {
  std::vector<api::Statement> v;
  for (const char* s : sqls) v.push_back(api::Statement{s, {}, false, false});
  return v;
}

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    config_.dir = dir_ + "/data";
    config_.node_id = "1";
    config_.raft_addr = "localhost:4002";
    config_.api_url = "http://localhost:4001";
    config_.random_seed = 42;
  }
  void TearDown() override {
    Shutdown();
    std::filesystem::remove_all(dir_);
  }
  void OpenStore() {
    apply_ = std::make_unique<base::SerialExecutor>("apply");
    log_ = std::make_unique<base::SerialExecutor>("log");
    read_ = std::make_unique<base::SerialExecutor>("read");
    StoreDeps deps;
    deps.clock = &clock_;
    deps.apply = apply_.get();
    deps.log = log_.get();
    deps.read = read_.get();
    auto s = Store::Open(config_, deps);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void Shutdown() {
    store_.reset();
    read_.reset();
    log_.reset();
    apply_.reset();
  }
  template <typename Req, typename Fn>
  api::Response Call(Req req, Fn fn) {
    std::promise<api::Response> p;
    auto f = p.get_future();
    (store_.get()->*fn)(std::move(req), [&](api::Response r) { p.set_value(std::move(r)); });
    return f.get();
  }
  api::Response Exec(std::vector<api::Statement> s, bool tx = false) {
    api::ExecuteRequest r;
    r.statements = std::move(s);
    r.transaction = tx;
    return Call(std::move(r), &api::Database::Execute);
  }
  std::string ExecJ(std::initializer_list<const char*> s, bool tx = false) {
    return Render(Exec(Stmts(s), tx));
  }
  api::Response Query(std::vector<api::Statement> s, api::Level level = api::Level::kWeak) {
    api::QueryRequest r;
    r.statements = std::move(s);
    r.level = level;
    return Call(std::move(r), &api::Database::Query);
  }
  std::string QueryJ(std::initializer_list<const char*> s, api::Level level = api::Level::kWeak) {
    return Render(Query(Stmts(s), level));
  }
  api::Response Req(std::vector<api::Statement> s, bool tx = false,
                    api::Level level = api::Level::kWeak) {
    api::UnifiedRequest r;
    r.statements = std::move(s);
    r.transaction = tx;
    r.level = level;
    return Call(std::move(r), &api::Database::Request);
  }
  api::Response LoadData(std::string data) {
    std::promise<api::Response> p;
    auto f = p.get_future();
    store_->Load({std::move(data)}, [&](api::Response r) { p.set_value(std::move(r)); });
    return f.get();
  }

  std::string dir_;
  StoreConfig config_;
  base::SystemClock clock_;
  std::unique_ptr<base::SerialExecutor> apply_, log_, read_;
  std::unique_ptr<Store> store_;
};

}  // namespace store::testing
