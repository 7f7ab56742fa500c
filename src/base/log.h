// base/log.h — minimal leveled logging to stderr, formatted like rqlite's Go log lines:
// "2006/01/02 15:04:05 [component] message". Thread-safe (one write(2) per line).
#pragma once

#include <sstream>
#include <string>

namespace base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogLine(LogLevel level, const char* component, const std::string& message);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* component) : level_(level), component_(component) {}
  ~LogMessage() { LogLine(level_, component_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* component_;
  std::ostringstream stream_;
};

}  // namespace base

// LOG(kInfo, "store") << "opened " << path;
#define LOG(level, component)                                   \
  if (::base::LogLevel::level < ::base::GetLogLevel()) {        \
  } else                                                        \
    ::base::LogMessage(::base::LogLevel::level, component).stream()
