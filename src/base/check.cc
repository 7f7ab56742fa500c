#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace base::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* expr) {
  stream_ << "CHECK failed at " << file << ":" << line << ": " << expr << " ";
}

CheckFailure::~CheckFailure() {
  std::string s = stream_.str();
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace base::internal
