// shell/commands.cc — the shell's dot-commands (cli.md §5.3), one function per command.
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "shell/shell.h"
#include "shell/statements.h"

namespace shell {
namespace {

constexpr const char* kHelp[] = {
    ".backup FILE                                  Write database backup to FILE",
    ".blobarray [on|off]                           Show setting, or set BLOB data display as byte arrays",
    ".boot FILE                                    Boot the node using a SQLite file read from FILE",
    ".changes [on|off]                             Show setting, or set display of last insert ID after writes",
    ".consistency [none|weak|linearizable|strong]  Show or set read consistency level",
    ".dump FILE [TABLE,TABLE...]                   Dump the database in SQL text to FILE, optionally limited to TABLEs",
    ".exit                                         Exit this program",
    ".expvar                                       Show expvar (Go runtime) information for connected node",
    ".extensions                                   Show loaded SQLite extensions",
    ".forcewrites [on|off]                         Show setting, or set all statements to be executed via /db/execute",
    ".help                                         Show this message",
    ".indexes                                      Show names of all indexes",
    ".leader                                       Show the current cluster leader",
    ".mode [column|csv|json|line]                  Show or set output mode for query results",
    ".nodes [all]                                  Show connection status of voting nodes. 'all' to show all nodes",
    ".output FILE                                  Send output to FILE, or stdout if FILE is omitted",
    ".quit                                         Exit this program",
    ".read FILE                                    Read and execute SQL statements from FILE",
    ".ready                                        Show ready status for connected node",
    ".remove NODEID                                Remove node NODEID from the cluster",
    ".restore FILE                                 Load using SQLite file or SQL dump contained in FILE",
    ".schema                                       Show CREATE statements for all tables",
    ".reap                                         Request a snapshot reap on connected node",
    ".show                                         Show the current values for various settings",
    ".snapshot [TRAILINGLOGS]                      Request a Raft snapshot and log truncation on connected node",
    ".status                                       Show status and diagnostic information for connected node",
    ".stepdown [NODEID]                            Instruct the leader to stepdown, optionally specifying new Leader node",
    ".sysdump FILE                                 Dump system diagnostics to FILE",
    ".tables                                       List names of tables",
    ".timer [on|off]                               Show setting, or set query timings on or off",
};

const char* OnOff(bool b) { return b ? "on" : "off"; }

// rqlite's requireArg: the text after the first space, or an error.
base::Result<std::string> RequireArg(const std::string& input, int index, const char* msg) {
  if (index < 0 || index == static_cast<int>(input.size()) - 1) return base::InvalidArgument(msg);
  return input.substr(static_cast<size_t>(index) + 1);
}

std::string OptionalArg(const std::string& input, int index) {
  if (index < 0 || index >= static_cast<int>(input.size()) - 1) return "";
  return input.substr(static_cast<size_t>(index) + 1);
}

base::Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return base::IoError(OpenErrorText(path, errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

base::Status WriteWholeFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return base::IoError(OpenErrorText(path, errno));
  f << data;
  f.close();
  if (!f) return base::IoError("write " + path + ": I/O error");
  return base::Status::Ok();
}

bool IsSqliteFile(const std::string& data) {
  static const char kMagic[] = "SQLite format 3";
  return data.size() >= 16 && data.compare(0, 16, std::string(kMagic, 16)) == 0;
}

base::Status StatusError(const HttpResponse& resp) {
  if (resp.status == 401) return base::Unavailable("unauthorized");
  return base::Unavailable("server responded with " + resp.status_text);
}

}  // namespace

std::string HelpLines() {
  std::vector<std::string> lines(std::begin(kHelp), std::end(kHelp));
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void ParseDumpArgs(const std::string& arg, std::string* file, std::vector<std::string>* tables) {
  std::istringstream ss(arg);
  std::vector<std::string> fields;
  for (std::string f; ss >> f;) fields.push_back(f);
  tables->clear();
  if (fields.empty()) {
    *file = arg;
    return;
  }
  *file = fields[0];
  std::string rest;
  for (size_t i = 1; i < fields.size(); ++i) rest += (i > 1 ? " " : "") + fields[i];
  std::istringstream parts(rest);
  for (std::string t; std::getline(parts, t, ',');) {
    t = TrimSpace(t);
    if (!t.empty()) tables->push_back(t);
  }
}

base::Status Shell::Dispatch(const std::string& cmd, const std::string& input, int index,
                             Action* action) {
  if (cmd == ".QUIT" || cmd == "QUIT" || cmd == "EXIT" || cmd == ".EXIT") {
    *action = Action::kQuit;
    return base::Status::Ok();
  }
  if (std::optional<base::Status> st = DispatchLocal(cmd, input, index)) return *st;
  return DispatchRemote(cmd, input, index);
}

// Commands that only read or change the shell's own settings.
std::optional<base::Status> Shell::DispatchLocal(const std::string& cmd, const std::string& input,
                                                 int index) {
  if (cmd == ".CHANGES") return Toggle(input, index, &changes_);
  if (cmd == ".TIMER") return Toggle(input, index, &timer_);
  if (cmd == ".BLOBARRAY") return Toggle(input, index, &blob_array_);
  if (cmd == ".FORCEWRITES") return Toggle(input, index, &force_writes_);
  if (cmd == ".CONSISTENCY") {
    std::string arg = OptionalArg(input, index);
    if (arg.empty()) {
      *out_ << consistency_ << "\n";
      return base::Status::Ok();
    }
    if (arg != "strong" && arg != "weak" && arg != "linearizable" && arg != "none") {
      return base::InvalidArgument("invalid consistency '" + arg +
                                   "'. Use 'none', 'weak', 'linearizable', or 'strong'");
    }
    consistency_ = arg;
    return base::Status::Ok();
  }
  if (cmd == ".MODE") {
    std::string arg = OptionalArg(input, index);
    if (arg.empty()) {
      *out_ << OutputModeName(mode_) << "\n";
      return base::Status::Ok();
    }
    auto m = ParseOutputMode(arg);
    if (!m) {
      return base::InvalidArgument("invalid mode '" + arg +
                                   "'. Use 'column', 'csv', 'json', or 'line'");
    }
    mode_ = *m;
    return base::Status::Ok();
  }
  if (cmd == ".SHOW") {
    Show();
    return base::Status::Ok();
  }
  if (cmd == ".HELP") {
    *out_ << HelpLines();
    return base::Status::Ok();
  }
  if (cmd == ".OUTPUT") return SetOutput(OptionalArg(input, index));
  return std::nullopt;
}

// Commands that make HTTP calls; anything unrecognised is sent as a SQL statement.
base::Status Shell::DispatchRemote(const std::string& cmd, const std::string& input, int index) {
  if (cmd == ".TABLES") {
    return Query("SELECT name FROM sqlite_master WHERE type=\"table\" ORDER BY name ASC");
  }
  if (cmd == ".INDEXES") return Query("SELECT sql FROM sqlite_master WHERE type=\"index\"");
  if (cmd == ".SCHEMA") {
    return Query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid ASC");
  }
  if (cmd == ".STATUS") return CliJson(input, "status");
  if (cmd == ".EXPVAR") return CliJson(input, "debug/vars");
  if (cmd == ".NODES") return CliJson("", OptionalArg(input, index).empty() ? "nodes" : "nodes?nonvoters");
  if (cmd == ".EXTENSIONS") return Extensions();
  if (cmd == ".READY") return Ready();
  if (cmd == ".LEADER") return Leader();
  if (cmd == ".REAP") return Reap();
  if (cmd == ".SNAPSHOT") return Snapshot(TrimSpace(OptionalArg(input, index)));
  if (cmd == ".STEPDOWN") return Stepdown(TrimSpace(OptionalArg(input, index)));
  if (cmd == ".REMOVE") {
    RQ_ASSIGN_OR_RETURN(std::string id, RequireArg(input, index, "please specify a node ID to remove"));
    return Remove(id);
  }
  if (cmd == ".BACKUP") {
    RQ_ASSIGN_OR_RETURN(std::string f, RequireArg(input, index, "please specify an output file for the backup"));
    return Backup(f, false, "");
  }
  if (cmd == ".DUMP") {
    RQ_ASSIGN_OR_RETURN(std::string arg, RequireArg(input, index, "please specify an output file for the SQL text"));
    std::string file;
    std::vector<std::string> tables;
    ParseDumpArgs(arg, &file, &tables);
    std::string joined;
    for (size_t i = 0; i < tables.size(); ++i) joined += (i > 0 ? "," : "") + tables[i];
    return Backup(file, true, joined);
  }
  if (cmd == ".RESTORE") {
    RQ_ASSIGN_OR_RETURN(std::string f, RequireArg(input, index, "please specify an input file to restore from"));
    return Restore(f);
  }
  if (cmd == ".BOOT") {
    RQ_ASSIGN_OR_RETURN(std::string f, RequireArg(input, index, "please specify an input file to boot with"));
    return Boot(f);
  }
  if (cmd == ".SYSDUMP") {
    RQ_ASSIGN_OR_RETURN(std::string f, RequireArg(input, index, "please specify an output file for the sysdump"));
    return Sysdump(f);
  }
  if (cmd == ".READ") {
    RQ_ASSIGN_OR_RETURN(std::string f, RequireArg(input, index, "please specify an input file to read from"));
    return ReadFile(f);
  }
  return Request(input);
}

base::Status Shell::Toggle(const std::string& input, int index, bool* flag) {
  std::string op = OptionalArg(input, index);
  if (op.empty()) {
    *out_ << OnOff(*flag) << "\n";
    return base::Status::Ok();
  }
  if (op != "on" && op != "off") {
    return base::InvalidArgument("invalid option '" + op + "'. Use 'on' or 'off' (default)");
  }
  *flag = op == "on";
  return base::Status::Ok();
}

void Shell::Show() {
  *out_ << "  blobarray: " << OnOff(blob_array_) << "\n"
        << "  changes: " << OnOff(changes_) << "\n"
        << "  consistency: " << consistency_ << "\n"
        << "  forcewrites: " << OnOff(force_writes_) << "\n"
        << "  mode: " << OutputModeName(mode_) << "\n"
        << "  output: " << output_name_ << "\n"
        << "  timer: " << OnOff(timer_) << "\n";
}

base::Status Shell::SetOutput(const std::string& arg) {
  if (arg.empty() || arg == "stdout") {
    output_file_.reset();
    output_name_ = "stdout";
    return base::Status::Ok();
  }
  auto f = std::make_unique<std::ofstream>(arg, std::ios::trunc);
  if (!*f) return base::IoError(OpenErrorText(arg, errno));
  output_file_ = std::move(f);
  output_name_ = arg;
  return base::Status::Ok();
}

base::Status Shell::Backup(const std::string& file, bool sql, const std::string& tables) {
  std::string path = "db/backup";
  if (sql) {
    path += "?fmt=sql";
    if (!tables.empty()) path += "&tables=" + QueryEscape(tables);
  }
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get(path));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  if (resp.status != 200) {
    return base::Unavailable("server responded with " + resp.status_text + ": " + resp.body);
  }
  RQ_RETURN_IF_ERROR(WriteWholeFile(file, resp.body));
  *out_ << (sql ? "SQL text file written successfully\n" : "backup file written successfully\n");
  return base::Status::Ok();
}

base::Status Shell::Restore(const std::string& file) {
  RQ_ASSIGN_OR_RETURN(HttpResponse st, Get("status"));
  if (st.status == 401) return base::Unavailable("unauthorized");
  RQ_ASSIGN_OR_RETURN(JsonValue status, ParseJson(st.body));
  const JsonValue* store = status.Find("store");
  if (store == nullptr || !store->is_object()) {
    return base::Internal("unexpected server response: store status not found");
  }
  RQ_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(file));
  const bool sqlite = IsSqliteFile(data);
  Headers headers;
  if (sqlite) {
    headers.emplace_back("Content-Type", "application/octet-stream");
  } else {
    const JsonValue* s3 = store->Find("sqlite3");
    const JsonValue* fk = s3 != nullptr ? s3->Find("fk_constraints") : nullptr;
    const bool fk_on = fk != nullptr && fk->is_string() && fk->text == "enabled";
    data += fk_on ? "PRAGMA foreign_keys=ON;" : "PRAGMA foreign_keys=OFF;";
    headers.emplace_back("Content-Type", "text/plain");
  }
  HttpRequest req{"POST", Path("db/load"), headers, std::move(data), true, true};
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  if (resp.status != 200) {
    return base::Unavailable("server responded with " + resp.status_text + ": " + resp.body);
  }
  if (!sqlite) {
    RQ_ASSIGN_OR_RETURN(JsonValue ret, ParseJson(resp.body));
    const JsonValue* results_v = ret.Find("results");
    if (results_v == nullptr || !results_v->is_array() || results_v->array.empty()) {
      return base::Internal("unexpected results length: 0");
    }
    const JsonValue& r = results_v->array[0];
    if (const JsonValue* e = r.Find("error"); e != nullptr && e->is_string() && !e->text.empty()) {
      *out_ << "Error: " << e->text << "\n";
      return base::Status::Ok();
    }
    const JsonValue* id = r.Find("last_insert_id");
    const JsonValue* ra = r.Find("rows_affected");
    *out_ << "last inserted ID: " << (id != nullptr ? id->AsInt() : 0) << "\n"
          << "rows affected: " << (ra != nullptr ? ra->AsInt() : 0) << "\n";
  }
  *out_ << "Database restored successfully.\n";
  return base::Status::Ok();
}

base::Status Shell::Boot(const std::string& file) {
  RQ_ASSIGN_OR_RETURN(HttpResponse st, Get("status"));
  if (st.status == 401) return base::Unavailable("unauthorized");
  RQ_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(file));
  if (!IsSqliteFile(data)) return base::InvalidArgument("boot file is not a SQLite file");
  HttpRequest req{"POST", Path("boot"), {{"Content-Type", "application/octet-stream"}},
                  std::move(data), true, true};
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  if (resp.status != 200) {
    return base::Unavailable("server responded with " + resp.status_text + ": " + resp.body);
  }
  *out_ << "Node booted successfully.\n";
  return base::Status::Ok();
}

base::Status Shell::Extensions() {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get("status?key=extensions"));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  if (resp.status == 404) return base::Status::Ok();
  RQ_ASSIGN_OR_RETURN(JsonValue ret, ParseJson(resp.body));
  const JsonValue* names = ret.Find("names");
  if (names == nullptr || !names->is_array()) return base::Status::Ok();
  for (const JsonValue& n : names->array) *out_ << FormatGoValue(n) << "\n";
  return base::Status::Ok();
}

base::Status Shell::Leader() {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get("nodes"));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  if (resp.status != 200) {
    return base::Unavailable("server responded with " + resp.status_text + ": " + resp.body);
  }
  RQ_ASSIGN_OR_RETURN(JsonValue all, ParseJson(resp.body));
  for (const auto& [id, node] : all.SortedMembers()) {
    if (!node->is_object()) continue;
    const JsonValue* leader = node->Find("leader");
    if (leader != nullptr && leader->is_bool() && leader->boolean) {
      JsonValue one;
      one.kind = JsonValue::Kind::kObject;
      one.object.emplace_back(id, *node);
      *out_ << PrettyTree(one);
      return base::Status::Ok();
    }
  }
  return base::NotFound("no leader found");
}

base::Status Shell::Ready() {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get("readyz"));
  *out_ << (resp.status == 200 ? "ready\n" : "not ready\n");
  return base::Status::Ok();
}

base::Status Shell::Reap() {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Post("reap", ""));
  if (resp.status != 200) return StatusError(resp);
  auto ret = ParseJson(resp.body);
  if (!ret.ok()) return base::Internal("failed to decode response: " + ret.status().message());
  const JsonValue* s = ret->Find("snapshots_reaped");
  const JsonValue* w = ret->Find("wals_checkpointed");
  *out_ << "snapshots reaped: " << (s != nullptr ? s->AsInt() : 0)
        << ", WALs checkpointed: " << (w != nullptr ? w->AsInt() : 0) << "\n";
  return base::Status::Ok();
}

base::Status Shell::Snapshot(const std::string& arg) {
  long long trailing = 0;
  if (!arg.empty()) {
    char* end = nullptr;
    trailing = std::strtoll(arg.c_str(), &end, 10);
    if (end == arg.c_str() || *end != '\0' || trailing < 0) {
      return base::InvalidArgument("invalid trailing logs value: " + arg);
    }
  }
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Post("snapshot?trailing_logs=" + std::to_string(trailing), ""));
  if (resp.status != 200 && resp.status != 204) return StatusError(resp);
  return base::Status::Ok();
}

base::Status Shell::Stepdown(const std::string& node_id) {
  HttpRequest req{"POST", Path("leader?wait=true"), {}, "", true, false};
  if (!node_id.empty()) {
    req.body = "{\"id\":" + MarshalGoString(node_id) + "}";
    req.headers.emplace_back("Content-Type", "application/json");
  }
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status != 200) return StatusError(resp);
  return base::Status::Ok();
}

base::Status Shell::Remove(const std::string& node_id) {
  HttpRequest req{"DELETE", Path("remove"), {}, "{\"id\":" + MarshalGoString(node_id) + "}", true,
                  false};
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status != 200) return StatusError(resp);
  return base::Status::Ok();
}

base::Status Shell::Sysdump(const std::string& file) {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get("nodes"));
  RQ_ASSIGN_OR_RETURN(JsonValue nodes, ParseJson(resp.body));
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  if (!f) return base::IoError(OpenErrorText(file, errno));
  for (const auto& [id, node] : nodes.SortedMembers()) {
    const JsonValue* api = node->Find("api_addr");
    if (api == nullptr || !api->is_string() || api->text.empty()) continue;
    for (const char* suffix : {"/status?pretty", "/nodes?pretty", "/readyz", "/debug/vars"}) {
      const std::string url = api->text + suffix;
      f << "\n=========================================\n" << "URL: " << url << "\n";
      auto r = client_->DoDirect("GET", url);
      if (!r.ok()) {
        f << "Status: " << r.status().message() << "\n\n";
        continue;
      }
      f << "Status: " << r->status_text << "\n\n";
      if (r->status == 200) f << r->body;
    }
  }
  return base::Status::Ok();
}

base::Status Shell::ReadFile(const std::string& file) {
  std::ifstream f(file);
  if (!f) return base::IoError(OpenErrorText(file, errno));
  for (std::string line; std::getline(f, line);) {
    line = TrimSpace(line);
    if (line.empty() || line.rfind("--", 0) == 0) continue;
    base::Status st = Request(line);
    if (!st.ok()) PrintError(st.message());
  }
  return base::Status::Ok();
}

}  // namespace shell
