// http/render.h — JSON response bodies of the rqlite HTTP API (http-api.md §5, §7.10, §7.11).
//
// What: pure functions from api:: values to the exact bytes rqlite v10 sends:
//   * RenderResponse: the envelope {"results":[...],"error":..,"time":..,"sequence_number":..,
//     "raft_index":..} (§5.1) with result objects (§5.2), associative form (§5.3) and value
//     encoding (§5.5). A REAL that is NaN/±Inf makes the whole render fail (kInternal) with the
//     message rqlite's json.Marshal produces, "json: error calling MarshalJSON for type
//     *http.DBResults: json: unsupported value: NaN" (or +Inf/-Inf); the caller answers HTTP 500
//     with it (http.Error: message + "\n").
//   * RenderTree: a /status-style tree (object keys sorted; api::TreeMap is already sorted).
//   * RenderNode / RenderNodes: /leader and /nodes bodies (§7.11).
// No trailing newline is appended (rqlite writes json.Marshal output as is).
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/database.h"
#include "base/result.h"
#include "http/json_writer.h"

namespace http {

struct RenderOptions {
  bool pretty = false;
  bool timings = false;      // top-level and per-result "time" (omitted when 0)
  bool associative = false;  // §5.3
  bool blob_array = false;   // BLOBs as arrays of byte values instead of base64
  bool raft_index = false;   // top-level "raft_index" (omitted when 0)
  // /db/query only: with `associative`, an error result is a rows object {"rows":[],"error":..}
  // (rqlite's QueryRows); on execute/request it stays {"error":..}.
  bool query_errors_as_rows = false;
};

// The body of an execute/query/request/load(SQL) response.
//   response.status not OK → "error": status.message() (results rendered as given, normally []).
//   total_time_s → "time" when options.timings and non-zero.
//   sequence_number → "sequence_number" when set (queued writes).
base::Result<std::string> RenderResponse(const api::Response& response,
                                         const RenderOptions& options, double total_time_s,
                                         std::optional<int64_t> sequence_number);

// Building blocks (for handlers that assemble other bodies with the same writer).
base::Status WriteResult(JsonWriter& w, const api::StatementResult& result,
                         const RenderOptions& options);
base::Status WriteValue(JsonWriter& w, const api::Value& value, bool blob_array);
base::Status WriteTree(JsonWriter& w, const api::Tree& tree);

// A /status-style document. Error only for non-finite doubles.
base::Result<std::string> RenderTree(const api::Tree& tree, bool pretty);

// Follows a dotted path ("store.leader") through TreeMaps, as rqlite's getSubJSON does.
// nullptr when a component is missing (rqlite answers "{}"). An empty path returns &tree.
const api::Tree* LookupTreePath(const api::Tree& tree, std::string_view dotted_path);

// One node object, fields in rqlite's order: id (omitempty), api_addr (omitempty), addr
// (omitempty), version, voter, reachable, leader, time (omitempty), time_s (Go duration string of
// probe_time_s; rqlite always sets it, also for unreachable nodes), error (omitempty).
void WriteNode(JsonWriter& w, const api::NodeInfo& node);
std::string RenderNode(const api::NodeInfo& node, bool pretty);

// /nodes: ver2 → {"nodes":[...]} sorted by id; otherwise the legacy map keyed by id (sorted).
std::string RenderNodes(const std::vector<api::NodeInfo>& nodes, bool ver2, bool pretty);

// Standard base64 with padding (Go base64.StdEncoding).
std::string Base64Encode(std::string_view bytes);

}  // namespace http
