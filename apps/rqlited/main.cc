// rqlited — the rqlite server. All wiring lives in server/ (flags.h: the command line;
// node.h: threads, store, HTTP). This file only handles process concerns: signals, exit codes,
// the start-up banner.
#include <malloc.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/log.h"
#include "server/flags.h"
#include "server/node.h"

#ifndef RQ_VERSION
#define RQ_VERSION "v10.0.0"
#endif
#ifndef RQ_COMMIT
#define RQ_COMMIT "unknown"
#endif

namespace {

constexpr const char* kLogo = R"(
            _ _ _
           | (_) |
  _ __ __ _| |_| |_ ___
 | '__/ _  | | | __/ _ \   The lightweight, distributed
 | | | (_| | | | ||  __/   relational database.
 |_|  \__, |_|_|\__\___|
         | |               www.rqlite.io
         |_|

)";

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

server::BuildInfo MakeBuildInfo() {
  server::BuildInfo b;
  b.version = RQ_VERSION;
  b.commit = RQ_COMMIT;
  b.compiler = "gcc";
  b.compiler_version = std::string("gcc") + __VERSION__;
  b.sqlite_version = sqlite3_libversion();
#if defined(__aarch64__)
  b.arch = "arm64";
#endif
  return b;
}

const char* SignalName(int sig) { return sig == SIGINT ? "interrupt" : "terminated"; }

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread exists, so every thread inherits the mask and
  // only sigwait() below receives them.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  mallopt(M_ARENA_MAX, 2);  // idle RSS: avoid one malloc arena per thread

  const server::BuildInfo build = MakeBuildInfo();
  std::vector<std::string> args(argv + 1, argv + argc);
  server::CommandLine cl = server::ParseCommandLine(args, build);
  if (!cl.run) {
    if (cl.log_line) {
      LOG(kError, "rqlited") << cl.stderr_text;
    } else {
      WriteAll(STDERR_FILENO, cl.stderr_text);
    }
    return cl.exit_code;
  }
  const server::Config& config = cl.config;

  WriteAll(STDOUT_FILENO, kLogo);
  LOG(kInfo, "rqlited") << "rqlited starting, version " << build.version << ", SQLite "
                        << build.sqlite_version << ", commit " << build.commit << ", branch "
                        << build.branch << ", compiler " << build.compiler;
  std::string launch;
  for (int i = 0; i < argc; ++i) launch += (i ? " " : "") + std::string(argv[i]);
  LOG(kInfo, "rqlited") << "launch command: " << launch;

  auto node = server::Node::Start(config, build);
  if (!node.ok()) {
    LOG(kError, "rqlited") << node.status().message();
    return 1;
  }
  std::string adv = (*node)->http_adv_addr();
  LOG(kInfo, "rqlited") << "node HTTP API available at "
                        << (config.http_cert.empty() ? "http://" : "https://") << adv;
  size_t colon = adv.rfind(':');
  std::string host = adv.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  LOG(kInfo, "rqlited") << "connect using the command-line tool via 'rqlite -H " << host
                        << " -p " << adv.substr(colon + 1) << "'";

  int sig = 0;
  sigwait(&shutdown_signals, &sig);
  LOG(kInfo, "rqlited") << "received signal \"" << SignalName(sig) << "\", shutting down";
  (*node)->Stop();
  node = base::Result<std::unique_ptr<server::Node>>(base::Status(base::Code::kAborted, "stopped"));
  LOG(kInfo, "rqlited") << "rqlite server stopped";
  return 0;
}
