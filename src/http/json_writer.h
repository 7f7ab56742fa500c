// http/json_writer.h — a streaming JSON writer compatible with Go's encoding/json output.
//
// What: JsonWriter appends JSON tokens to an owned std::string. Output is byte-identical to Go's
// json.Marshal (compact) or json.MarshalIndent(v, "", "    ") (pretty) for the same token
// sequence:
//   * strings are escaped like encoding/json (HTML-safe: < > & as \u003c \u003e \u0026,
//     U+2028/U+2029 escaped, control characters as \n \r \t or \u00xx, invalid UTF-8 bytes
//     replaced by \ufffd);
//   * floats are formatted like encoding/json's floatEncoder (shortest round-trip digits; 'e'
//     form only when abs < 1e-6 or abs >= 1e21, exponent "e-07" cleaned to "e-7"; NaN and ±Inf
//     are errors with Go's message "json: unsupported value: NaN" / "+Inf" / "-Inf").
//   * pretty output is produced by re-indenting the compact text exactly like Go's json.Indent
//     ("[]" and "{}" stay on one line, "key": value with one space after the colon).
// Ownership: the writer owns its buffer; Take() moves it out.
// Thread-safety: none (a value used by one thread at a time).
// REQUIRES: calls form one well-formed JSON value (Key only inside an object, before each
// member value; balanced Begin/End). Violations crash through CHECK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace http {

class JsonWriter {
 public:
  // pretty = json.MarshalIndent(v, "", "    "); otherwise compact json.Marshal.
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // An object member key. REQUIRES: inside an object, not directly after another Key.
  void Key(std::string_view key);

  void String(std::string_view s);
  void Int64(int64_t v);
  void Uint64(uint64_t v);
  // Returns Go's UnsupportedValueError text for NaN/±Inf and writes "null" in its place so the
  // document stays well-formed; callers answer HTTP 500 with status.message().
  base::Status Double(double v);
  void Bool(bool v);
  void Null();
  // A pre-encoded COMPACT JSON value (re-indented like any other value when pretty).
  void Raw(std::string_view json);

  // Convenience: Key(k) followed by the value.
  void KeyString(std::string_view k, std::string_view v) { Key(k); String(v); }
  void KeyInt64(std::string_view k, int64_t v) { Key(k); Int64(v); }

  // The finished document. REQUIRES: all containers closed. Pretty output is produced here.
  std::string Take();

 private:
  void BeforeValue();

  bool pretty_;
  std::string out_;
  // One entry per open container: true while no element has been written yet.
  std::vector<bool> first_;
  std::vector<bool> is_object_;
  bool after_key_ = false;
};

// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 if the bytes there are
// not valid UTF-8 by Go's rules (no overlongs, no surrogates, <= U+10FFFF). REQUIRES: i < size.
size_t ValidUtf8Length(std::string_view s, size_t i);

// Appends s as a JSON string literal (with quotes), escaped like Go's encoding/json.
void AppendJsonString(std::string* out, std::string_view s);

// Appends f formatted like Go's encoding/json. Error (and nothing appended) for NaN/±Inf, with
// message "json: unsupported value: NaN" / "+Inf" / "-Inf".
base::Status AppendGoFloat(std::string* out, double f);

// Go's strconv.FormatFloat(f, 'g', -1, 64) (used in error texts): "NaN", "+Inf", "-Inf", ...
// Only the non-finite cases are needed by callers; finite values use AppendGoFloat.
std::string GoFloatErrorString(double f);

// Re-indents compact JSON exactly like Go's json.Indent(dst, src, prefix "", indent).
// REQUIRES: `compact` is valid JSON without insignificant whitespace.
std::string IndentJson(std::string_view compact, std::string_view indent = "    ");

}  // namespace http
