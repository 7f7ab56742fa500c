// shell/shell.h — the rqlite shell's session: settings, dot-commands and SQL statements, each
// turned into the HTTP call rqlite's Go shell makes (cli.md §5.2, §5.3) and printed the same way.
//
// Input arrives already split: Shell::Handle() takes one dot-command line (see IsCommandLine) or
// one complete SQL statement; the caller (the line reader loop in apps/rqlite) does the
// multi-line accumulation with StatementBuffer.
// Output: results (tables, "n rows affected", "Error: ..", "Run Time: ..") go to the current
// .output target; everything else (welcome, settings, trees, "ERR! ..") goes to `out`.
// Ownership: Shell borrows the HttpClient and the output stream; both must outlive it.
// Thread-safety: not thread-safe; one thread drives a Shell.
#pragma once

#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "shell/format.h"
#include "shell/http_client.h"
#include "shell/json.h"

namespace shell {

struct ShellSettings {
  std::string scheme = "http";
  std::string host_port = "127.0.0.1:4001";  // the main host, as shown in the prompt
  std::string prefix = "/";                  // starts and ends with '/'
  bool color = false;                        // red "ERR!" (stdout is a terminal)
};

class Shell {
 public:
  enum class Action { kContinue, kQuit };

  Shell(ShellSettings settings, HttpClient* client, std::ostream* out);

  // GET <prefix>status and print the welcome lines. On failure prints "ERR! ..." and returns
  // false (the session should end).
  bool Connect();

  // True when `line` is handled as a command rather than SQL: it starts with '.', or it is
  // quit/exit (any case). Such lines need no ';'.
  static bool IsCommandLine(std::string_view line);

  // Runs one dot-command line or one SQL statement. Returns kQuit for .quit/.exit/quit/exit.
  Action Handle(const std::string& input);
  // Sends one complete SQL statement (no dot-command interpretation) and prints its result.
  void HandleStatement(const std::string& statement);

  // "<host:port>> ", following failover to another host.
  std::string prompt() const { return prompt_host_ + "> "; }

 private:
  // Commands (commands.cc).
  base::Status Dispatch(const std::string& cmd, const std::string& input, int index,
                        Action* action);
  std::optional<base::Status> DispatchLocal(const std::string& cmd, const std::string& input,
                                            int index);
  base::Status DispatchRemote(const std::string& cmd, const std::string& input, int index);
  base::Status Toggle(const std::string& input, int index, bool* flag);
  base::Status Query(const std::string& sql);
  base::Status Request(const std::string& statement);
  base::Status CliJson(const std::string& line, const std::string& path);
  base::Status Backup(const std::string& file, bool sql, const std::string& tables);
  base::Status Restore(const std::string& file);
  base::Status Boot(const std::string& file);
  base::Status Extensions();
  base::Status Leader();
  base::Status Ready();
  base::Status Reap();
  base::Status Snapshot(const std::string& arg);
  base::Status Stepdown(const std::string& node_id);
  base::Status Remove(const std::string& node_id);
  base::Status Sysdump(const std::string& file);
  base::Status ReadFile(const std::string& file);
  base::Status SetOutput(const std::string& arg);
  void Show();

  // Helpers (shell.cc).
  base::Result<HttpResponse> Send(const HttpRequest& request);
  base::Result<HttpResponse> Get(const std::string& path_and_query);
  base::Result<HttpResponse> Post(const std::string& path_and_query, std::string body,
                                  Headers headers = {});
  void PrintError(const std::string& message);
  std::ostream& results() { return output_file_ ? *output_file_ : *out_; }
  std::string Path(std::string_view rel) const { return settings_.prefix + std::string(rel); }

  ShellSettings settings_;
  HttpClient* client_;
  std::ostream* out_;
  std::string prompt_host_;

  bool blob_array_ = false;
  bool timer_ = false;
  bool force_writes_ = false;
  bool changes_ = false;
  std::string consistency_ = "weak";
  OutputMode mode_ = OutputMode::kColumn;
  std::unique_ptr<std::ofstream> output_file_;
  std::string output_name_ = "stdout";
};

// The sorted .help text, one command per line.
std::string HelpLines();

// Splits ".dump FILE [T1,T2 ...]" arguments into the file and the comma-joined table list.
void ParseDumpArgs(const std::string& arg, std::string* file, std::vector<std::string>* tables);

// Go's json.Marshal([]string{s}).
std::string MakeJsonBody(const std::string& statement);

// Go error text for a failed open(2) of `path` ("open x: no such file or directory").
std::string OpenErrorText(const std::string& path, int err);

}  // namespace shell
