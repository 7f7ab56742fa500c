// http/request_parser.cc — see request_parser.h.
//
// Fast path: simdjson DOM over the body. simdjson is stricter than Go's encoding/json in four
// ways; when it rejects a body we run Normalize() (one linear pass) and parse again:
//   1. invalid UTF-8 bytes → U+FFFD (Go's decoder replaces them inside strings);
//   2. lone UTF-16 surrogate escapes (\ud800) → \ufffd (Go does the same);
//   3. integers beyond the 64-bit range get ".0" appended so they parse as doubles (Go:
//      json.Number.Int64 fails, Float64 succeeds); numbers that overflow float64 (1e400) become a
//      marker string reported as `invalid number 1e400` where a parameter is expected;
//   4. anything after the first complete top-level value is dropped (Go's json.Decoder reads one
//      value and never looks further).
#include "http/request_parser.h"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>

#include "http/json_writer.h"

namespace http {
namespace {

namespace dom = simdjson::dom;

// Prefix of the string that Normalize() substitutes for a number float64 cannot hold.
constexpr std::string_view kBadNumberMarker("\0rq-invalid-number:", 19);

base::Status InvalidJson() { return base::InvalidArgument("invalid JSON body"); }
base::Status InvalidRequest() { return base::InvalidArgument("invalid request"); }
base::Status NoStatements() { return base::InvalidArgument("no statements"); }
base::Status UnsupportedType() { return base::InvalidArgument("unsupported type"); }

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape starting at s[i] (s[i] == '\\'), or -1.
int EscapedUnit(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    const int h = HexVal(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Copies a string literal starting at body[i] == '"'; returns the index after it.
size_t CopyString(std::string_view body, size_t i, std::string* out) {
  out->push_back('"');
  ++i;
  while (i < body.size()) {
    const char c = body[i];
    if (c == '"') {
      out->push_back('"');
      return i + 1;
    }
    if (c == '\\') {
      const int unit = EscapedUnit(body, i);
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        const int low = EscapedUnit(body, i + 6);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          out->append(body.substr(i, 12));
          i += 12;
        } else {
          out->append("\\ufffd");
          i += 6;
        }
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        out->append("\\ufffd");
        i += 6;
      } else {
        out->append(body.substr(i, std::min<size_t>(2, body.size() - i)));
        i += 2;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      const size_t n = ValidUtf8Length(body, i);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(body.substr(i, n));
        i += n;
      }
      continue;
    }
    out->push_back(c);
    ++i;
  }
  return i;
}

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// Copies a number token, rewriting the forms simdjson cannot represent (see file comment).
void CopyNumber(std::string_view tok, std::string* out) {
  const bool integer_form = tok.find_first_of(".eE") == std::string_view::npos;
  const std::string text(tok);
  if (integer_form) {
    errno = 0;
    char* end = nullptr;
    if (text[0] == '-') {
      std::strtoll(text.c_str(), &end, 10);
    } else {
      std::strtoull(text.c_str(), &end, 10);
    }
    if (errno != ERANGE) {
      out->append(tok);
      return;
    }
  }
  const double d = std::strtod(text.c_str(), nullptr);
  if (std::isinf(d)) {
    out->append("\"\\u0000rq-invalid-number:");
    out->append(tok);  // only number characters: no escaping needed
    out->push_back('"');
    return;
  }
  out->append(tok);
  if (integer_form) out->append(".0");
}

// One pass making a Go-acceptable body simdjson-acceptable (file comment).
std::string Normalize(std::string_view body) {
  std::string out;
  out.reserve(body.size() + 16);
  int depth = 0;
  bool started = false;
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == '"') {
      i = CopyString(body, i, &out);
      started = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < body.size() && IsNumberChar(body[j])) ++j;
      CopyNumber(body.substr(i, j - i), &out);
      i = j;
      started = true;
    } else if (c >= 'a' && c <= 'z') {  // a literal (true, false, null) is one token
      size_t j = i;
      while (j < body.size() && body[j] >= 'a' && body[j] <= 'z') ++j;
      out.append(body.substr(i, j - i));
      i = j;
      started = true;
    } else {
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') --depth;
      if (static_cast<unsigned char>(c) >= 0x80 && ValidUtf8Length(body, i) == 0) {
        out.append("\xEF\xBF\xBD");
      } else {
        out.push_back(c);
      }
      ++i;
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') started = true;
    }
    if (started && depth <= 0) break;  // first top-level value complete
  }
  return out;
}

bool IsHexBlobLiteral(std::string_view s, std::string* bytes) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  if (s.size() < 3 || (s[0] != 'x' && s[0] != 'X') || s[1] != '\'' || s.back() != '\'') {
    return false;
  }
  const std::string_view hex = s.substr(2, s.size() - 3);
  if (hex.size() % 2 != 0) return false;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t k = 0; k < hex.size(); k += 2) {
    const int hi = HexVal(hex[k]), lo = HexVal(hex[k + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  *bytes = std::move(out);
  return true;
}

base::Result<api::Value> ArrayToBlob(dom::array arr) {
  api::Blob blob;
  blob.bytes.reserve(arr.size());
  for (dom::element e : arr) {
    int64_t v = 0;
    if (e.type() != dom::element_type::INT64 || e.get_int64().get(v) || v < 0 || v > 255) {
      return UnsupportedType();
    }
    blob.bytes.push_back(static_cast<char>(v));
  }
  return api::Value(std::move(blob));
}

base::Result<api::Value> ToValue(dom::element e, bool markers) {
  switch (e.type()) {
    case dom::element_type::INT64:
      return api::Value(int64_t{e.get_int64().value_unsafe()});
    case dom::element_type::UINT64:
      return api::Value(static_cast<double>(e.get_uint64().value_unsafe()));
    case dom::element_type::DOUBLE:
      return api::Value(e.get_double().value_unsafe());
    case dom::element_type::BOOL:
      return api::Value(int64_t{e.get_bool().value_unsafe() ? 1 : 0});
    case dom::element_type::NULL_VALUE:
      return api::Value(std::monostate{});
    case dom::element_type::STRING: {
      const std::string_view s = e.get_string().value_unsafe();
      if (markers && s.substr(0, kBadNumberMarker.size()) == kBadNumberMarker) {
        return base::InvalidArgument("invalid number " +
                                     std::string(s.substr(kBadNumberMarker.size())));
      }
      std::string bytes;
      if (IsHexBlobLiteral(s, &bytes)) return api::Value(api::Blob{std::move(bytes)});
      return api::Value(std::string(s));
    }
    case dom::element_type::ARRAY:
      return ArrayToBlob(e.get_array().value_unsafe());
    case dom::element_type::OBJECT:
      break;
  }
  return UnsupportedType();
}

// A SQL string element; marker strings stand for numbers, which Go rejects as "invalid request".
bool SqlString(dom::element e, bool markers, std::string_view* sql) {
  if (e.type() != dom::element_type::STRING) return false;
  *sql = e.get_string().value_unsafe();
  return !markers || sql->substr(0, kBadNumberMarker.size()) != kBadNumberMarker;
}

// `markers`: the body went through Normalize(), so marker strings may stand for numbers.
base::Result<api::Statement> ToStatement(dom::element e, bool markers) {
  api::Statement stmt;
  std::string_view sql;
  if (SqlString(e, markers, &sql)) {
    stmt.sql = std::string(sql);
    return stmt;
  }
  if (e.type() != dom::element_type::ARRAY) return InvalidRequest();
  dom::array items = e.get_array().value_unsafe();
  auto it = items.begin();
  if (it == items.end() || !SqlString(*it, markers, &sql)) return InvalidRequest();
  stmt.sql = std::string(sql);
  for (++it; it != items.end(); ++it) {
    dom::element item = *it;
    if (item.type() == dom::element_type::OBJECT) {
      dom::object obj = item.get_object().value_unsafe();
      for (dom::key_value_pair kv : obj) {
        RQ_ASSIGN_OR_RETURN(api::Value v, ToValue(kv.value, markers));
        stmt.parameters.push_back({std::string(kv.key), std::move(v)});
      }
    } else {
      RQ_ASSIGN_OR_RETURN(api::Value v, ToValue(item, markers));
      stmt.parameters.push_back({std::string(), std::move(v)});
    }
  }
  return stmt;
}

size_t SkipSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

}  // namespace

base::Result<std::vector<api::Statement>> ParseStatements(std::string_view body) {
  const size_t first = SkipSpace(body);
  if (first == body.size()) return InvalidJson();
  // Go's json.Decoder.Token returns '{' without reading further.
  if (body[first] == '{') return InvalidRequest();

  dom::parser parser;
  dom::element root;
  std::string normalized;
  {
    simdjson::padded_string padded(body);
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
      normalized = Normalize(body);
      simdjson::padded_string again(normalized);
      if (parser.parse(again).get(root) != simdjson::SUCCESS) return InvalidJson();
    }
  }
  // Top level must be an array; any other complete value is "invalid request".
  if (root.type() != dom::element_type::ARRAY) return InvalidRequest();
  std::vector<api::Statement> stmts;
  dom::array arr = root.get_array().value_unsafe();
  stmts.reserve(arr.size());
  for (dom::element e : arr) {
    RQ_ASSIGN_OR_RETURN(api::Statement s, ToStatement(e, !normalized.empty()));
    stmts.push_back(std::move(s));
  }
  if (stmts.empty()) return NoStatements();
  return stmts;
}

std::vector<api::Statement> ParsePlainText(std::string_view body) {
  api::Statement s;
  s.sql = std::string(body);
  return {std::move(s)};
}

}  // namespace http
