// store/values.h — conversions between SQLite and api::Value, exactly as rqlite (Go driver)
// reports them (http-api.md §4.1 binding, §5.5 values, §5.6 types, §5.6.1 date/time columns).
// Pure functions over a prepared statement; no ownership. Thread-safety: none needed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/database.h"
#include "base/status.h"

namespace store {

// Binds the parameters the Go driver would give the statement that consumed `consumed` positional
// slots so far: positional args[start, start+n) by ordinal, every named arg by :name/@name/$name
// (http-api.md §4.1). `*consumed` advances by the statement's parameter count.
// Errors: "not enough args to execute query: want N got M", "sql: name \"k\" does not begin with
// a letter". `query_path` selects the Go driver's query-path message (M = remaining args).
base::Status BindParameters(sqlite3_stmt* stmt, const std::vector<api::Parameter>& params,
                            size_t* consumed, bool query_path);

// Fills columns/types and steps every row into `out` (kind kRows). Returns SQLite's error
// (rows gathered so far are discarded by the caller).
int ReadRows(sqlite3_stmt* stmt, bool qualify_columns, api::StatementResult* out);

// Column names/types only (used for zero-row results such as a RETURNING that matched nothing).
void ReadColumns(sqlite3_stmt* stmt, bool qualify_columns, api::StatementResult* out);

// RFC 3339 text of a date/time-declared column's value (§5.6.1).
std::string FormatUnixTime(int64_t v);          // INTEGER: seconds, or ms if |v| > 1e12
std::string FormatTimeText(std::string_view s);  // TEXT: parsed per the layouts; year 1 if not

// True for decltypes whose BLOB values are returned as text (§5.6 rule 4).
bool IsTextLikeType(std::string_view lower_decltype);

}  // namespace store
