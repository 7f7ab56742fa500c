#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <ctime>

namespace base {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};
}

void SetLogLevel(LogLevel level) { g_level.store(level); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

void LogLine(LogLevel level, const char* component, const std::string& message) {
  if (level < GetLogLevel()) return;
  time_t now = time(nullptr);
  tm t;
  localtime_r(&now, &t);
  char ts[32];
  strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &t);
  std::string line = std::string(ts) + " [" + component + "] " + message + "\n";
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

}  // namespace base
