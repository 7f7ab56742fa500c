// http/request_parser.h — SQL request bodies of the rqlite HTTP API (http-api.md §4.1, §4.2).
//
// What: ParseStatements turns a JSON body into statements:
//   ["SELECT 1", ["INSERT .. VALUES(?, ?)", 1, "x"], ["UPDATE .. :n", {"n": 2}]]
// Errors (kInvalidArgument; the caller answers 400 with message() + "\n"):
//   `invalid JSON body`  - not JSON, truncated, empty body
//   `invalid request`    - top level not an array; element neither string nor array; inner
//                          array empty or its first item not a string
//   `no statements`      - top-level array empty
//   `unsupported type`   - a parameter array with a non-integer or a value outside 0..255
//   `invalid number <n>` - a number that neither fits int64 nor is a finite float64 (1e400)
// Parameter mapping: integer literal fitting int64 → int64; any other finite number → double
// (including integers beyond int64, e.g. 18446744073709551616); true/false → int64 1/0;
// null → NULL; "x'..'"/"X'..'" (after trimming ASCII whitespace, even-length hex) → Blob; other
// string → text; array of integers 0..255 → Blob; object → one named parameter per member, in
// document order.
// Go compatibility decisions: invalid UTF-8 inside strings is accepted and each bad byte becomes
// U+FFFD (as Go's decoder does); content after the closing ']' of the top-level array is ignored
// (Go's json.Decoder reads one value). Named-parameter key validity ("sql: name ... does not begin
// with a letter") is NOT checked here: in rqlite it is a per-statement SQL error reported inside
// a 200 response, so the store/sqlite binder reports it.
// Pure; thread-safe (each call uses its own simdjson parser).
#pragma once

#include <string_view>
#include <vector>

#include "api/database.h"
#include "base/result.h"

namespace http {

base::Result<std::vector<api::Statement>> ParseStatements(std::string_view body);

// text/plain body (§4.2): the whole body is one statement without parameters.
std::vector<api::Statement> ParsePlainText(std::string_view body);

}  // namespace http
