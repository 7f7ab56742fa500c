// http/params.h — URL query parameters of the rqlite HTTP API (http-api.md §3).
//
// What: ParseQueryParams parses a raw query string exactly like rqlite's NewQueryParams on top of
// Go's url.ParseQuery: '&'-separated pairs, percent-decoding with '+' as space, first value of a
// repeated key wins, presence-based boolean flags, and the validation of §3.3 in rqlite's order:
//   1. unparseable query → Go's url.ParseQuery error text ("invalid semicolon separator in query",
//      `invalid URL escape "%zz"`);
//   2. `freshness_strict requires freshness`;
//   3. `<key> is not a valid duration` for timeout, freshness, db_timeout, linearizable_timeout;
//   4. `<key> is not a valid integer` for retries, trailing_logs (Go strconv.Atoi: int64 range,
//      optional sign);
//   5. `query parameter not set` when `q` is present and empty.
// Every error is kInvalidArgument; the caller answers 400 with message() + "\n".
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/database.h"
#include "base/result.h"

namespace http {

struct QueryParams {
  // The raw query string as received (no leading '?'); redirects copy it byte for byte.
  std::string raw;
  // Decoded (key, value) pairs in order of appearance, repeats included.
  std::vector<std::pair<std::string, std::string>> pairs;

  // Presence-based flags (§3.2).
  bool pretty = false;
  bool timings = false;
  bool transaction = false;
  bool queue = false;
  bool wait = false;
  bool associative = false;
  bool blob_array = false;
  bool qualify_columns = false;
  bool freshness_strict = false;
  bool redirect = false;
  bool noleader = false;
  bool nonvoters = false;
  bool sync = false;
  bool vacuum = false;
  bool compress = false;
  bool norwrandom = false;
  bool norwtime = false;
  bool noparse = false;
  bool raft_index = false;
  bool bypass = false;

  // `level`: unknown or empty → kWeak; case-insensitive.
  api::Level level = api::Level::kWeak;

  // Durations in nanoseconds; nullopt when the key is absent.
  std::optional<int64_t> freshness_ns;
  std::optional<int64_t> linearizable_timeout_ns;
  std::optional<int64_t> db_timeout_ns;
  std::optional<int64_t> timeout_ns;

  // Integers; nullopt when absent.
  std::optional<int64_t> retries;
  std::optional<int64_t> trailing_logs;

  // Strings; nullopt when absent. `q` is never present-and-empty (that is a 400).
  std::optional<std::string> q;
  std::optional<std::string> key;
  std::string ver;  // "" when absent; "2" selects the /nodes array form

  // `fmt` for backups: binary (default / unknown), sql, delete; case-insensitive.
  api::BackupFormat fmt = api::BackupFormat::kBinary;
  // `tables`: comma-split, whitespace-trimmed, empty items dropped.
  std::vector<std::string> tables;

  // Defaults as rqlite's handlers use them.
  int64_t TimeoutNs(int64_t def = 30'000'000'000) const { return timeout_ns.value_or(def); }
  int64_t LinearizableTimeoutNs(int64_t def = 10'000'000'000) const {
    return linearizable_timeout_ns.value_or(def);
  }
  int64_t DbTimeoutNs() const { return db_timeout_ns.value_or(0); }
  int64_t FreshnessNs() const { return freshness_ns.value_or(0); }
  int64_t Retries(int64_t def = 0) const { return retries.value_or(def); }

  // Generic access (first value wins).
  bool Has(std::string_view name) const;
  std::optional<std::string> Get(std::string_view name) const;

  api::RewriteOptions Rewrite() const { return {norwrandom, norwtime, noparse}; }
};

// Parses `raw_query` (the part after '?', without it). Errors: see the file comment.
base::Result<QueryParams> ParseQueryParams(std::string_view raw_query);

// Go's url.QueryUnescape: "%XX" decoding and '+' → ' '. Error text `invalid URL escape "%zz"`.
base::Result<std::string> QueryUnescape(std::string_view s);

// Go's strconv.Quote (used in error texts).
std::string GoQuote(std::string_view s);

}  // namespace http
