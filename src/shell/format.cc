// shell/format.cc — see format.h.
#include "shell/format.h"

#include <algorithm>
#include <cstdio>

namespace shell {
namespace {

// Go's fmt "%-*s": pads with spaces to `width` runes (the width itself was measured in bytes by
// the caller, exactly as rqlite does).
std::string PadRight(const std::string& s, size_t width) {
  size_t runes = RuneCount(s);
  std::string out = s;
  if (runes < width) out.append(width - runes, ' ');
  return out;
}

std::string PadLeft(const std::string& s, size_t width) {
  size_t runes = RuneCount(s);
  std::string out;
  if (runes < width) out.append(width - runes, ' ');
  return out + s;
}

std::string CellText(const TableData& t, size_t row, size_t col) {
  if (row >= t.values.size() || col >= t.values[row].size()) return "NULL";
  return FormatGoValue(t.values[row][col]);
}

std::string NullableText(const std::vector<JsonValue>& row, size_t col) {
  if (col >= row.size() || row[col].is_null()) return "NULL";
  return FormatGoValue(row[col]);
}

bool CsvNeedsQuotes(const std::string& f) {
  if (f.empty()) return false;
  if (f == "\\.") return true;
  for (char c : f) {
    if (c == '\n' || c == '\r' || c == '"' || c == ',') return true;
  }
  unsigned char c0 = static_cast<unsigned char>(f[0]);
  // unicode.IsSpace of the first rune (ASCII space class, plus U+0085 and U+00A0).
  if (c0 == ' ' || c0 == '\t' || c0 == '\v' || c0 == '\f') return true;
  if (f.size() >= 2 && c0 == 0xC2 &&
      (static_cast<unsigned char>(f[1]) == 0x85 || static_cast<unsigned char>(f[1]) == 0xA0)) {
    return true;
  }
  return false;
}

void AppendCsvRecord(std::string* out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    const std::string& f = fields[i];
    if (!CsvNeedsQuotes(f)) {
      out->append(f);
      continue;
    }
    out->push_back('"');
    for (char c : f) {
      if (c == '"') out->append("\"\"");
      else out->push_back(c);
    }
    out->push_back('"');
  }
  out->push_back('\n');
}

}  // namespace

std::optional<OutputMode> ParseOutputMode(std::string_view name) {
  if (name == "column") return OutputMode::kColumn;
  if (name == "csv") return OutputMode::kCsv;
  if (name == "json") return OutputMode::kJson;
  if (name == "line") return OutputMode::kLine;
  return std::nullopt;
}

const char* OutputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kColumn: return "column";
    case OutputMode::kCsv: return "csv";
    case OutputMode::kJson: return "json";
    case OutputMode::kLine: return "line";
  }
  return "column";
}

TableData TableFromResult(const JsonValue& result) {
  TableData t;
  if (const JsonValue* cols = result.Find("columns"); cols != nullptr && cols->is_array()) {
    for (const JsonValue& c : cols->array) t.columns.push_back(FormatGoValue(c));
  }
  if (const JsonValue* vals = result.Find("values"); vals != nullptr && vals->is_array()) {
    for (const JsonValue& row : vals->array) {
      t.values.push_back(row.is_array() ? row.array : std::vector<JsonValue>{});
    }
  }
  return t;
}

std::string RenderColumnTable(const TableData& t) {
  const size_t cols = t.columns.size();
  const size_t rows = t.values.size() + 1;  // header + data
  if (cols == 0) return "";
  std::vector<size_t> width(cols, 0);
  for (size_t j = 0; j < cols; ++j) {
    width[j] = t.columns[j].size();
    for (size_t i = 0; i + 1 < rows; ++i) width[j] = std::max(width[j], CellText(t, i, j).size());
  }
  std::string border = "+";
  for (size_t w : width) border += std::string(w + 2, '-') + "+";
  std::string out = border;
  for (size_t i = 0; i < rows; ++i) {
    out += "\n|";
    for (size_t j = 0; j < cols; ++j) {
      const std::string cell = i == 0 ? t.columns[j] : CellText(t, i - 1, j);
      out += " " + PadRight(cell, width[j] + 1) + "|";
    }
    out += "\n" + border;
  }
  return out + "\n";
}

std::string RenderCsv(const TableData& t) {
  std::string out;
  AppendCsvRecord(&out, t.columns);
  for (const auto& row : t.values) {
    std::vector<std::string> rec;
    for (size_t j = 0; j < t.columns.size(); ++j) rec.push_back(NullableText(row, j));
    AppendCsvRecord(&out, rec);
  }
  return out;
}

std::string RenderJsonRows(const TableData& t) {
  JsonValue arr;
  arr.kind = JsonValue::Kind::kArray;
  for (const auto& row : t.values) {
    JsonValue obj;
    obj.kind = JsonValue::Kind::kObject;
    for (size_t j = 0; j < t.columns.size(); ++j) {
      obj.object.emplace_back(t.columns[j], j < row.size() ? row[j] : JsonValue{});
    }
    arr.array.push_back(std::move(obj));
  }
  return MarshalIndentGo(arr) + "\n";
}

std::string RenderLines(const TableData& t) {
  size_t max_width = 0;
  for (const auto& c : t.columns) max_width = std::max(max_width, c.size());
  std::string out;
  for (size_t i = 0; i < t.values.size(); ++i) {
    if (i > 0) out += "\n";
    for (size_t j = 0; j < t.columns.size(); ++j) {
      out += PadLeft(t.columns[j], max_width) + " = " + NullableText(t.values[i], j) + "\n";
    }
  }
  return out;
}

std::string RenderTable(const TableData& table, OutputMode mode) {
  switch (mode) {
    case OutputMode::kCsv: return RenderCsv(table);
    case OutputMode::kJson: return RenderJsonRows(table);
    case OutputMode::kLine: return RenderLines(table);
    case OutputMode::kColumn: return RenderColumnTable(table);
  }
  return RenderColumnTable(table);
}

std::string PrettyTree(const JsonValue& object, int indent) {
  std::string out;
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  for (const auto& [key, v] : object.SortedMembers()) {
    if (v->is_null()) continue;
    if (v->is_object()) {
      out += pad + key + ":\n" + PrettyTree(*v, indent + 1);
    } else {
      out += pad + key + ": " + FormatGoValue(*v) + "\n";
    }
  }
  return out;
}

std::string FormatSeconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", seconds);
  return buf;
}

}  // namespace shell
