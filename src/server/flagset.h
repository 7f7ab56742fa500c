// server/flagset.h — a command-line flag set with the exact behaviour of Go's `flag` package.
//
// What: the parsing rules of cli.md §1, byte-for-byte as Go's flag.FlagSet (ContinueOnError):
//   * `-name` and `--name` are equivalent; `-name=value` or `-name value`;
//   * boolean flags take a value only with `=` (`-fk=false`); Go bool spellings
//     (1 0 t f T F true false TRUE FALSE True False);
//   * ints parse like strconv.ParseInt(s, 0, 64) (0x.., 0o.., 0b.., leading-0 octal, `_`),
//     uints like strconv.ParseUint(s, 0, 64), durations like time.ParseDuration;
//   * parsing stops at the first non-flag argument (or "-"); `--` ends flags and is consumed;
//   * `-h`/`-help` (when not defined) request help.
// Errors carry Go's exact text ("flag provided but not defined: -x",
// `invalid value "abc" for flag -n: parse error`, `invalid boolean value "x" for -b: parse error`,
// "flag needs an argument: -s", "bad flag syntax: ---x"). Usage() renders Go's PrintDefaults().
//
// Ownership: a value type. Thread-safety: none (used once, on the main thread, at start-up).
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace server {

class FlagSet {
 public:
  enum class Type { kBool, kString, kInt, kUint, kDuration };

  enum class Outcome {
    kOk,     // all flags parsed; Args() holds the positional arguments
    kHelp,   // -h / -help: caller prints usage, exits 0
    kError,  // error(): caller prints error + usage, exits 2
  };

  // Registers a flag. `default_text` is parsed with the flag's own parser (CHECK-fails when
  // invalid: defaults are compile-time constants). REQUIRES: name unique, not empty.
  void Add(const std::string& name, Type type, const std::string& default_text,
           const std::string& usage);

  // Parses `args` (without the program name). May be called once.
  Outcome Parse(const std::vector<std::string>& args);

  // Go's error text after Outcome::kError (no trailing newline).
  const std::string& error() const { return error_; }
  // Positional arguments left after flag parsing.
  const std::vector<std::string>& Args() const { return args_; }
  // True when the flag was given on the command line (Go's FlagSet.Visit).
  bool WasSet(const std::string& name) const { return set_.count(name) > 0; }
  // True when the flag's current value equals its default (whether given or not).
  bool IsDefault(const std::string& name) const;

  // Typed values (the default unless set). REQUIRES: flag exists with that type.
  bool GetBool(const std::string& name) const;
  const std::string& GetString(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  uint64_t GetUint(const std::string& name) const;
  int64_t GetDurationNanos(const std::string& name) const;

  // Go's FlagSet.PrintDefaults() output: every flag in lexical order.
  std::string Usage() const;

 private:
  struct Flag {
    Type type = Type::kString;
    std::string usage;
    std::string default_text;  // Go's DefValue (Value.String() of the default)
    bool b = false;
    std::string s;
    int64_t i = 0;  // int, or duration nanoseconds
    uint64_t u = 0;
  };

  // Sets `flag` from text; on failure returns Go's error word ("parse error",
  // "value out of range"), else "".
  static std::string SetValue(Flag& flag, const std::string& text);
  static std::string ValueString(const Flag& flag);
  // One step of Go's parseOne. Returns false when parsing is finished (or failed).
  bool ParseOne(std::vector<std::string>& rest, Outcome& outcome);
  const Flag& Lookup(const std::string& name, Type type) const;
  Outcome Fail(std::string message);

  std::map<std::string, Flag> flags_;
  std::set<std::string> set_;
  std::vector<std::string> args_;
  std::string error_;
};

// strconv-compatible number parsing (exposed for tests). Return "" on success, else Go's error
// word: "parse error" (syntax) or "value out of range".
std::string ParseGoInt(const std::string& s, int64_t* out);
std::string ParseGoUint(const std::string& s, uint64_t* out);
// strconv.ParseBool.
bool ParseGoBool(const std::string& s, bool* out);
// strconv.Quote (as used by Go's %q): escapes quotes, backslashes, control bytes, invalid UTF-8.
std::string GoQuote(const std::string& s);

}  // namespace server
