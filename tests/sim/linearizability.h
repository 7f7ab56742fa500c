// tests/sim/linearizability.h — a Wing–Gong/Lowe (WGL) linearizability checker for a history of
// operations on a key/value store whose every key is an independent register (read, write, cas).
//
// Contract:
//  * Input: a complete client history. Each operation names one key, its invocation and return
//    times (any monotone clock; the simulator uses virtual microseconds) and an outcome:
//      kOk      — the client saw it succeed (a read's `value` is what it returned);
//      kFail    — it definitely did not take effect (dropped before checking);
//      kUnknown — a timeout: it may or may not have taken effect, at any time after its
//                 invocation (return time is treated as +infinity and it may be left out).
//  * Registers start absent (`std::nullopt`). A write sets the value; a cas with kOk replaced
//    `expected` with `value`; reads observe.
//  * The history is partitioned by key (a register per key is a local property, so the whole
//    history is linearizable iff each key's sub-history is). Each key is searched depth-first
//    over "linearize a minimal pending call next", memoising (linearized-set bitset, state).
//  * Unknown writes/cas whose value no read observed are dropped before the search: such an
//    operation can always be placed where it is invisible, so this changes no verdict.
//  * `max_steps_per_key` bounds the search; if exceeded the verdict is kGaveUp (never a false
//    "linearizable").
// Pure functions; no shared state; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sim {

enum class OpKind : uint8_t { kRead, kWrite, kCas };
enum class Outcome : uint8_t { kOk, kFail, kUnknown };

struct Operation {
  int client = 0;
  OpKind kind = OpKind::kRead;
  std::string key;
  // kWrite: value written. kCas: new value. kRead (kOk): value returned, nullopt = absent.
  std::optional<std::string> value;
  std::optional<std::string> expected;  // kCas only: the value compared against
  int64_t invoke = 0;
  int64_t ret = 0;  // ignored for kUnknown
  Outcome outcome = Outcome::kOk;
};

enum class Verdict : uint8_t { kLinearizable, kNotLinearizable, kGaveUp };

struct CheckResult {
  Verdict verdict = Verdict::kLinearizable;
  std::string key;          // the first key that failed (or gave up)
  std::string explanation;  // human-readable: the key's sub-history and the longest prefix found
  uint64_t steps = 0;       // total search steps over all keys
};

struct CheckOptions {
  uint64_t max_steps_per_key = 5'000'000;
};

CheckResult CheckLinearizable(const std::vector<Operation>& history,
                              const CheckOptions& options = {});

// Formats one operation for diagnostics, e.g. "c3 write k1=v7 [120,180] ok".
std::string FormatOp(const Operation& op);

}  // namespace sim
