// shell/json.h — a small JSON tree for the rqlite shell, faithful to how rqlite's Go shell sees
// server responses.
//
// Numbers keep their exact source text (Go's json.Number, i.e. decoding with UseNumber), object
// members keep their source order, and the printers reproduce Go's formatting:
//   * FormatGoValue  — Go's fmt "%v" of a decoded value (nil → "<nil>", arrays "[a b]",
//                      objects "map[k:v]" with sorted keys).
//   * MarshalGoString — Go's json.Marshal of a string (HTML-safe escapes \u003c \u003e \u0026,
//                      U+2028/U+2029 escaped, invalid UTF-8 → \ufffd).
//   * MarshalIndentGo — Go's json.MarshalIndent(v, "", "  ") of a decoded value (objects with
//                      sorted keys, as Go marshals maps).
// Ownership: JsonValue owns its children by value. Thread-safety: plain values; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace shell {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kNumber: the number's source text; kString: the decoded string
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // source order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_bool() const { return kind == Kind::kBool; }

  // Object member lookup (last occurrence wins, like Go maps). nullptr when absent or not an object.
  const JsonValue* Find(std::string_view key) const;
  // Members sorted by key, duplicates collapsed to the last value (Go map semantics).
  std::vector<std::pair<std::string, const JsonValue*>> SortedMembers() const;
  // A number's value as int64/double (0 when not a number or unparsable).
  long long AsInt() const;
  double AsDouble() const;
};

// Parses one JSON document (surrounding whitespace allowed). Errors carry a short message.
base::Result<JsonValue> ParseJson(std::string_view text);

std::string FormatGoValue(const JsonValue& v);
std::string MarshalGoString(std::string_view s);
// indent_level: starting depth (each level is two spaces); no trailing newline.
std::string MarshalIndentGo(const JsonValue& v, int indent_level = 0);

// Number of Unicode code points in UTF-8 text (invalid bytes count one each), as Go's fmt counts
// width for padding.
size_t RuneCount(std::string_view s);

}  // namespace shell
