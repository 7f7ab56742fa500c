// http/duration.h — Go time.Duration parsing and formatting.
//
// What: ParseGoDuration implements Go's time.ParseDuration ("300ms", "-1.5h", "2h45m", "1µs",
// "0"; units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h) returning nanoseconds, with Go's
// error texts (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "x" in duration "1x"`). FormatGoDuration implements
// time.Duration.String() ("1.5s", "402ns", "1.2µs", "1h0m0s", "0s").
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace http {

// Nanoseconds, or kInvalidArgument with Go's error text.
base::Result<int64_t> ParseGoDuration(std::string_view s);

// Go's Duration.String() of `ns` nanoseconds.
std::string FormatGoDuration(int64_t ns);

}  // namespace http
