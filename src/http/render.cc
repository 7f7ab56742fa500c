// http/render.cc — see render.h.
#include "http/render.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "http/duration.h"

namespace http {
namespace {

void WriteBlob(JsonWriter& w, const std::string& bytes, bool blob_array) {
  if (!blob_array) {
    w.String(Base64Encode(bytes));
    return;
  }
  w.BeginArray();
  for (char c : bytes) w.Int64(static_cast<unsigned char>(c));
  w.EndArray();
}

void WriteTime(JsonWriter& w, const api::StatementResult& r, const RenderOptions& o,
               base::Status* st) {
  if (!o.timings || r.time_s == 0) return;
  w.Key("time");
  base::Status s = w.Double(r.time_s);
  if (st->ok()) *st = s;
}

void WriteError(JsonWriter& w, const api::StatementResult& r) {
  if (!r.error.empty()) w.KeyString("error", r.error);
}

void WriteExecute(JsonWriter& w, const api::StatementResult& r, const RenderOptions& o,
                  base::Status* st) {
  if (r.last_insert_id != 0) w.KeyInt64("last_insert_id", r.last_insert_id);
  if (r.rows_affected != 0) w.KeyInt64("rows_affected", r.rows_affected);
  WriteError(w, r);
  WriteTime(w, r, o, st);
  if (o.associative) {
    w.Key("rows");
    w.Null();
  }
}

void WriteRows(JsonWriter& w, const api::StatementResult& r, const RenderOptions& o,
               base::Status* st) {
  if (!r.columns.empty()) {
    w.Key("columns");
    w.BeginArray();
    for (const auto& c : r.columns) w.String(c);
    w.EndArray();
  }
  if (!r.types.empty()) {
    w.Key("types");
    w.BeginArray();
    for (const auto& t : r.types) w.String(t);
    w.EndArray();
  }
  if (!r.values.empty()) {
    w.Key("values");
    w.BeginArray();
    for (const auto& row : r.values) {
      w.BeginArray();
      for (const auto& v : row) {
        base::Status s = WriteValue(w, v, o.blob_array);
        if (st->ok()) *st = s;
      }
      w.EndArray();
    }
    w.EndArray();
  }
  WriteError(w, r);
  WriteTime(w, r, o, st);
}

// Associative rows: Go map[string]... → keys sorted, duplicate names collapse (last wins).
void WriteAssociativeRows(JsonWriter& w, const api::StatementResult& r, const RenderOptions& o,
                          base::Status* st) {
  std::map<std::string_view, size_t> cols;
  for (size_t i = 0; i < r.columns.size(); ++i) cols[r.columns[i]] = i;
  if (!cols.empty() && !r.types.empty()) {
    w.Key("types");
    w.BeginObject();
    for (const auto& [name, i] : cols) w.KeyString(name, i < r.types.size() ? r.types[i] : "");
    w.EndObject();
  }
  w.Key("rows");
  w.BeginArray();
  for (const auto& row : r.values) {
    w.BeginObject();
    for (const auto& [name, i] : cols) {
      w.Key(name);
      if (i < row.size()) {
        base::Status s = WriteValue(w, row[i], o.blob_array);
        if (st->ok()) *st = s;
      } else {
        w.Null();
      }
    }
    w.EndObject();
  }
  w.EndArray();
  WriteError(w, r);
  WriteTime(w, r, o, st);
}

}  // namespace

std::string Base64Encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

base::Status WriteValue(JsonWriter& w, const api::Value& value, bool blob_array) {
  struct Visitor {
    JsonWriter& w;
    bool blob_array;
    base::Status operator()(std::monostate) { w.Null(); return {}; }
    base::Status operator()(int64_t v) { w.Int64(v); return {}; }
    base::Status operator()(double v) { return w.Double(v); }
    base::Status operator()(const std::string& v) { w.String(v); return {}; }
    base::Status operator()(const api::Blob& v) { WriteBlob(w, v.bytes, blob_array); return {}; }
    base::Status operator()(bool v) { w.Bool(v); return {}; }
  };
  return std::visit(Visitor{w, blob_array}, value);
}

base::Status WriteResult(JsonWriter& w, const api::StatementResult& r, const RenderOptions& o) {
  base::Status st;
  w.BeginObject();
  switch (r.kind) {
    case api::StatementResult::Kind::kExecute:
      WriteExecute(w, r, o, &st);
      break;
    case api::StatementResult::Kind::kRows:
      if (o.associative) {
        WriteAssociativeRows(w, r, o, &st);
      } else {
        WriteRows(w, r, o, &st);
      }
      break;
    case api::StatementResult::Kind::kError:
      if (o.associative && o.query_errors_as_rows) {
        WriteAssociativeRows(w, r, o, &st);
      } else {
        WriteError(w, r);
        WriteTime(w, r, o, &st);
      }
      break;
  }
  w.EndObject();
  return st;
}

base::Result<std::string> RenderResponse(const api::Response& response,
                                         const RenderOptions& options, double total_time_s,
                                         std::optional<int64_t> sequence_number) {
  JsonWriter w(options.pretty);
  base::Status st;
  w.BeginObject();
  w.Key("results");
  w.BeginArray();
  for (const auto& r : response.results) {
    base::Status s = WriteResult(w, r, options);
    if (st.ok()) st = s;
  }
  w.EndArray();
  if (!st.ok()) {
    // rqlite encodes results inside DBResults.MarshalJSON; encoding/json wraps its error.
    return base::Internal("json: error calling MarshalJSON for type *http.DBResults: " +
                          st.message());
  }
  if (!response.status.ok()) w.KeyString("error", response.status.message());
  if (options.timings && total_time_s != 0) {
    w.Key("time");
    base::Status s = w.Double(total_time_s);
    if (st.ok()) st = s;
  }
  if (sequence_number) w.KeyInt64("sequence_number", *sequence_number);
  if (options.raft_index && response.raft_index != 0) {
    w.Key("raft_index");
    w.Uint64(response.raft_index);
  }
  w.EndObject();
  if (!st.ok()) return st;
  return w.Take();
}

base::Status WriteTree(JsonWriter& w, const api::Tree& tree) {
  struct Visitor {
    JsonWriter& w;
    base::Status operator()(std::monostate) { w.Null(); return {}; }
    base::Status operator()(bool v) { w.Bool(v); return {}; }
    base::Status operator()(int64_t v) { w.Int64(v); return {}; }
    base::Status operator()(uint64_t v) { w.Uint64(v); return {}; }
    base::Status operator()(double v) { return w.Double(v); }
    base::Status operator()(const std::string& v) { w.String(v); return {}; }
    base::Status operator()(const api::TreeMap& m) {
      base::Status st;
      w.BeginObject();
      for (const auto& [k, v] : m) {
        w.Key(k);
        base::Status s = WriteTree(w, v);
        if (st.ok()) st = s;
      }
      w.EndObject();
      return st;
    }
    base::Status operator()(const api::TreeList& l) {
      base::Status st;
      w.BeginArray();
      for (const auto& v : l) {
        base::Status s = WriteTree(w, v);
        if (st.ok()) st = s;
      }
      w.EndArray();
      return st;
    }
  };
  return std::visit(Visitor{w}, tree.v);
}

base::Result<std::string> RenderTree(const api::Tree& tree, bool pretty) {
  JsonWriter w(pretty);
  RQ_RETURN_IF_ERROR(WriteTree(w, tree));
  return w.Take();
}

const api::Tree* LookupTreePath(const api::Tree& tree, std::string_view path) {
  const api::Tree* cur = &tree;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    const auto* map = std::get_if<api::TreeMap>(&cur->v);
    if (map == nullptr) return cur;  // reached a non-object value: rqlite returns it
    auto it = map->find(key);
    if (it == map->end()) return nullptr;
    cur = &it->second;
  }
  return cur;
}

void WriteNode(JsonWriter& w, const api::NodeInfo& n) {
  w.BeginObject();
  if (!n.id.empty()) w.KeyString("id", n.id);
  if (!n.api_addr.empty()) w.KeyString("api_addr", n.api_addr);
  if (!n.raft_addr.empty()) w.KeyString("addr", n.raft_addr);
  w.KeyString("version", n.version);
  w.Key("voter");
  w.Bool(n.voter);
  w.Key("reachable");
  w.Bool(n.reachable);
  w.Key("leader");
  w.Bool(n.leader);
  if (n.probe_time_s != 0 && std::isfinite(n.probe_time_s)) {
    w.Key("time");
    w.Double(n.probe_time_s).IgnoreError();  // finite: cannot fail
  }
  const double ns = std::isfinite(n.probe_time_s) ? std::llround(n.probe_time_s * 1e9) : 0;
  w.KeyString("time_s", FormatGoDuration(static_cast<int64_t>(ns)));
  if (!n.error.empty()) w.KeyString("error", n.error);
  w.EndObject();
}

std::string RenderNode(const api::NodeInfo& node, bool pretty) {
  JsonWriter w(pretty);
  WriteNode(w, node);
  return w.Take();
}

std::string RenderNodes(const std::vector<api::NodeInfo>& nodes, bool ver2, bool pretty) {
  std::vector<const api::NodeInfo*> sorted;
  for (const auto& n : nodes) sorted.push_back(&n);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->id < b->id; });
  JsonWriter w(pretty);
  w.BeginObject();
  if (ver2) {
    w.Key("nodes");
    w.BeginArray();
    for (const auto* n : sorted) WriteNode(w, *n);
    w.EndArray();
  } else {
    // Go map keyed by id: sorted keys; a repeated id keeps the last node.
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i + 1 < sorted.size() && sorted[i + 1]->id == sorted[i]->id) continue;
      w.Key(sorted[i]->id);
      WriteNode(w, *sorted[i]);
    }
  }
  w.EndObject();
  return w.Take();
}

}  // namespace http
