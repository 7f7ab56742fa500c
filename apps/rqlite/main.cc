// apps/rqlite/main.cc — the `rqlite` interactive shell (cli.md §5): the composition root of the
// shell. Reads the command line and the environment (RQLITE_HOST, RQLITE_HISTFILESIZE, HOME),
// builds the HTTP client and the Shell, and runs the read–eval loop over libedit (terminal) or
// plain stdin (pipes and files).
#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "shell/http_client.h"
#include "shell/line_reader.h"
#include "shell/options.h"
#include "shell/shell.h"
#include "shell/statements.h"

#ifndef RQ_SHELL_VERSION
#define RQ_SHELL_VERSION "v10.0.0"
#endif
#ifndef RQ_SHELL_COMMIT
#define RQ_SHELL_COMMIT "unknown"
#endif

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::vector<std::string> HostList(const shell::Options& o) {
  std::vector<std::string> hosts{shell::JoinHostPort(o.host, o.port)};
  std::istringstream alts(o.alternatives);
  for (std::string h; std::getline(alts, h, ',');) {
    h = shell::TrimSpace(h);
    for (const char* scheme : {"http://", "https://"}) {
      if (h.rfind(scheme, 0) == 0) h = h.substr(std::string(scheme).size());
    }
    if (!h.empty() && h.back() == '/') h.pop_back();
    if (!h.empty()) hosts.push_back(h);
  }
  return hosts;
}

// Feeds input lines to the shell: dot-commands directly, SQL through the statement buffer.
void RunLoop(shell::Shell* sh, shell::LineReader* reader) {
  shell::StatementBuffer buffer;
  std::string pending_entry;  // the multi-line statement being typed, for history
  std::string line;
  while (reader->ReadLine(buffer.empty() ? sh->prompt() : "   ...> ", &line)) {
    if (buffer.empty()) {
      pending_entry.clear();
      if (shell::Shell::IsCommandLine(line)) {
        reader->AddHistory(shell::TrimSpace(line));
        if (sh->Handle(line) == shell::Shell::Action::kQuit) return;
        continue;
      }
      if (shell::TrimSpace(line).empty()) continue;
    }
    const std::string t = shell::TrimSpace(line);
    if (!t.empty()) pending_entry += (pending_entry.empty() ? "" : " ") + t;
    for (const std::string& stmt : buffer.AddLine(line)) sh->HandleStatement(stmt);
    if (buffer.empty()) {
      reader->AddHistory(pending_entry);
      pending_entry.clear();
    }
  }
  // End of input: a final statement without ';' still runs (scripts piped on stdin).
  std::string rest = buffer.TakeRemainder();
  if (!rest.empty()) {
    if (shell::Shell::IsCommandLine(rest)) {
      sh->Handle(rest);
    } else {
      sh->HandleStatement(rest);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "");  // libedit edits multibyte (UTF-8) input per the locale
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = shell::ParseOptions(args);
  const bool color = isatty(STDOUT_FILENO) != 0;
  auto err = [&](const std::string& msg) {
    std::cout << (color ? "\x1b[31mERR!\x1b[0m " : "ERR! ") << msg << std::endl;
  };
  if (!parsed.ok()) {
    err(parsed.status().message());
    return 1;
  }
  shell::Options opts = std::move(parsed).value();
  if (opts.help) {
    std::cout << shell::HelpText();
    return 0;
  }
  if (opts.version) {
    std::cout << "Version " << RQ_SHELL_VERSION << ", commit " << RQ_SHELL_COMMIT
              << ", built on unknown\n";
    return 0;
  }
  if (const char* host_env = std::getenv("RQLITE_HOST"); host_env != nullptr) {
    if (base::Status st = shell::ApplyHostEnv(host_env, &opts); !st.ok()) {
      err(st.message());
      return 1;
    }
  }

  shell::TlsConfig tls{opts.ca_cert, opts.client_cert, opts.client_key, opts.insecure};
  shell::HttpClientConfig cfg;
  cfg.scheme = opts.scheme;
  cfg.hosts = HostList(opts);
  cfg.credentials = opts.user;
  cfg.timeout_ms = opts.http_timeout_ms;
  shell::HttpClient client(cfg, shell::NewCurlTransport(tls));

  shell::ShellSettings settings;
  settings.scheme = opts.scheme;
  settings.host_port = cfg.hosts[0];
  settings.prefix = opts.prefix;
  settings.color = color;
  shell::Shell sh(settings, &client, &std::cout);
  if (!sh.Connect()) return 0;  // rqlite's shell exits 0 after printing the error

  const bool interactive = isatty(STDIN_FILENO) != 0;
  const std::string home = Env("HOME");
  const std::string history_path = home.empty() ? "" : home + "/.rqlite_history";
  const int history_size = shell::HistorySizeFromEnv(Env("RQLITE_HISTFILESIZE"));
  if (interactive) {
    auto reader = shell::NewEditLineReader(stdin, stdout,
                                           history_path.empty()
                                               ? std::vector<std::string>{}
                                               : shell::ReadHistoryFile(history_path));
    RunLoop(&sh, reader.get());
    if (!history_path.empty()) {
      shell::WriteHistoryFile(history_path, reader->History(), history_size).IgnoreError();
    }
  } else {
    auto reader = shell::NewStreamLineReader(&std::cin);
    RunLoop(&sh, reader.get());
  }
  std::cout << "bye~" << std::endl;
  return 0;
}
