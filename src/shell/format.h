// shell/format.h — pure renderers for the rqlite shell's output, byte-compatible with rqlite's
// Go shell (cmd/rqlite: query.go writeTable/writeCSV/writeJSON/writeLine, main.go pprintJSON).
//
//   column: ASCII table; a "+---+" border line before the header and after every row, cells
//           left-aligned and padded to the widest cell plus one space; NULL shows as "<nil>".
//   csv:    RFC 4180 as Go's encoding/csv writes it (header first), NULL as "NULL".
//   json:   array of objects (keys sorted), two-space indent, "[]" when empty.
//   line:   "<col right-aligned> = <value>" per column, a blank line between rows, NULL as "NULL".
// Every function returns text ending in '\n' (or "" when there is nothing to show).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shell/json.h"

namespace shell {

enum class OutputMode { kColumn, kCsv, kJson, kLine };

std::optional<OutputMode> ParseOutputMode(std::string_view name);
const char* OutputModeName(OutputMode mode);

// The tabular part of one rqlite result.
struct TableData {
  std::vector<std::string> columns;
  std::vector<std::vector<JsonValue>> values;  // rows; a row may be shorter than columns
};

// Builds TableData from one rqlite result object ({"columns":[..],"types":[..],"values":[[..]]}).
TableData TableFromResult(const JsonValue& result);

std::string RenderTable(const TableData& table, OutputMode mode);
std::string RenderColumnTable(const TableData& table);
std::string RenderCsv(const TableData& table);
std::string RenderJsonRows(const TableData& table);
std::string RenderLines(const TableData& table);

// rqlite's pprintJSON: "key: value" lines for an object, keys sorted, nested objects as "key:"
// followed by their members indented two more spaces, null members skipped, other values in
// Go's %v form.
std::string PrettyTree(const JsonValue& object, int indent = 0);

// Go's fmt %f (six decimals) of a double.
std::string FormatSeconds(double seconds);

}  // namespace shell
