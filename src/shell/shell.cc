// shell/shell.cc — session core: connect, input dispatch, statements, queries, JSON trees.
// The dot-commands themselves live in commands.cc.
#include "shell/shell.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "shell/statements.h"

namespace shell {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string ServerError(const HttpResponse& resp) {
  return "server responded with " + resp.status_text + ": " + resp.body;
}

}  // namespace

Shell::Shell(ShellSettings settings, HttpClient* client, std::ostream* out)
    : settings_(std::move(settings)), client_(client), out_(out) {
  prompt_host_ = settings_.host_port;
}

bool Shell::Connect() {
  auto resp = client_->Do(HttpRequest::Make("GET", Path("status")));
  if (!resp.ok()) {
    PrintError(resp.status().message());
    return false;
  }
  std::string version = resp->HasHeader("X-Rqlite-Version") ? resp->Header("X-Rqlite-Version")
                                                            : "unknown";
  if (client_->host_changed()) prompt_host_ = client_->current_host();
  *out_ << "Welcome to the rqlite CLI.\n"
        << "Enter \".help\" for usage hints.\n"
        << "Connected to " << settings_.scheme << "://" << settings_.host_port
        << " running version " << version << "\n";
  out_->flush();
  return true;
}

bool Shell::IsCommandLine(std::string_view line) {
  std::string t = TrimSpace(line);
  if (!t.empty() && t[0] == '.') return true;
  std::string u = Upper(t);
  return u == "QUIT" || u == "EXIT";
}

Shell::Action Shell::Handle(const std::string& raw) {
  const std::string input = TrimSpace(raw);
  if (input.empty()) return Action::kContinue;
  size_t sp = input.find(' ');
  const int index = sp == std::string::npos ? -1 : static_cast<int>(sp);
  const std::string cmd = Upper(index < 0 ? input : input.substr(0, sp));
  Action action = Action::kContinue;
  base::Status st = Dispatch(cmd, input, index, &action);
  if (client_->host_changed()) prompt_host_ = client_->current_host();
  if (!st.ok()) PrintError(st.message());
  results().flush();
  out_->flush();
  return action;
}

void Shell::HandleStatement(const std::string& statement) {
  base::Status st = Request(statement);
  if (!st.ok()) PrintError(st.message());
  results().flush();
  out_->flush();
}

void Shell::PrintError(const std::string& message) {
  if (settings_.color) {
    *out_ << "\x1b[31mERR!\x1b[0m " << message << "\n";
  } else {
    *out_ << "ERR! " << message << "\n";
  }
  out_->flush();
}

base::Result<HttpResponse> Shell::Send(const HttpRequest& request) {
  auto resp = client_->Do(request);
  if (client_->host_changed()) prompt_host_ = client_->current_host();
  return resp;
}

base::Result<HttpResponse> Shell::Get(const std::string& path_and_query) {
  HttpRequest req;
  req.method = "GET";
  req.path = Path(path_and_query);
  return Send(req);
}

base::Result<HttpResponse> Shell::Post(const std::string& path_and_query, std::string body,
                                       Headers headers) {
  HttpRequest req;
  req.method = "POST";
  req.path = Path(path_and_query);
  req.body = std::move(body);
  req.has_body = true;
  req.headers = std::move(headers);
  return Send(req);
}

std::string MakeJsonBody(const std::string& statement) {
  return "[" + MarshalGoString(statement) + "]";
}

// The one result object of a single-statement response; a non-200 status, a request-level
// `error` or any other number of results is an error (as in rqlite's shell).
static base::Result<JsonValue> SingleResult(const HttpResponse& resp) {
  if (resp.status != 200) return base::Unavailable(ServerError(resp));
  RQ_ASSIGN_OR_RETURN(JsonValue ret, ParseJson(resp.body));
  if (const JsonValue* e = ret.Find("error"); e != nullptr && e->is_string() && !e->text.empty()) {
    return base::Internal(e->text);
  }
  const JsonValue* results_v = ret.Find("results");
  const size_t n = results_v != nullptr && results_v->is_array() ? results_v->array.size() : 0;
  if (n != 1) return base::Internal("unexpected results length: " + std::to_string(n));
  return results_v->array[0];
}

// rqlite's requestWithClient: one statement to db/request (or db/execute).
base::Status Shell::Request(const std::string& statement) {
  std::string path = force_writes_ ? "db/execute" : "db/request";
  if (timer_) path += "?timings=";
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Post(path, MakeJsonBody(statement)));
  RQ_ASSIGN_OR_RETURN(JsonValue result, SingleResult(resp));
  if (const JsonValue* e = result.Find("error"); e != nullptr && e->is_string() && !e->text.empty()) {
    results() << "Error: " << e->text << "\n";
    return base::Status::Ok();
  }
  auto present = [&](const char* k) {
    const JsonValue* v = result.Find(k);
    return v != nullptr && !v->is_null();
  };
  const JsonValue* time_v = result.Find("time");
  const double seconds = time_v != nullptr ? time_v->AsDouble() : 0;
  if (present("columns") || present("types") || present("values")) {
    results() << RenderTable(TableFromResult(result), mode_);
    if (timer_) results() << "Run Time: " << FormatSeconds(seconds) << " seconds\n";
    return base::Status::Ok();
  }
  const JsonValue* ra = result.Find("rows_affected");
  const long long rows = ra != nullptr ? ra->AsInt() : 0;
  results() << rows << (rows > 1 ? " rows" : " row") << " affected";
  if (timer_) results() << " (" << FormatSeconds(seconds) << " sec)";
  results() << "\n";
  if (changes_) {
    const JsonValue* id = result.Find("last_insert_id");
    results() << "last insert ID: " << (id != nullptr ? id->AsInt() : 0) << "\n";
  }
  return base::Status::Ok();
}

// rqlite's queryWithClient: GET db/query for .tables/.indexes/.schema.
base::Status Shell::Query(const std::string& sql) {
  // url.Values.Encode sorts keys: blob_array, level, q, timings.
  std::string qs;
  if (blob_array_) qs += "blob_array=&";
  qs += "level=" + QueryEscape(consistency_) + "&q=" + QueryEscape(sql);
  if (timer_) qs += "&timings=";
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get("db/query?" + qs));
  RQ_ASSIGN_OR_RETURN(JsonValue result, SingleResult(resp));
  if (const JsonValue* e = result.Find("error"); e != nullptr && e->is_string() && !e->text.empty()) {
    return base::Internal(e->text);
  }
  results() << RenderTable(TableFromResult(result), mode_);
  if (timer_) {
    const JsonValue* t = result.Find("time");
    results() << "Run Time: " << FormatSeconds(t != nullptr ? t->AsDouble() : 0) << " seconds\n";
  }
  return base::Status::Ok();
}

// rqlite's cliJSON: GET a JSON object and print it as a sorted key/value tree.
base::Status Shell::CliJson(const std::string& line, const std::string& path) {
  RQ_ASSIGN_OR_RETURN(HttpResponse resp, Get(path));
  if (resp.status == 401) return base::Unavailable("unauthorized");
  RQ_ASSIGN_OR_RETURN(JsonValue ret, ParseJson(resp.body));
  if (!ret.is_object()) return base::Internal("json: cannot unmarshal into Go value of type map[string]interface {}");
  // Specific key requested? (the second space-separated word)
  size_t sp = line.find(' ');
  if (sp != std::string::npos) {
    std::string key = line.substr(sp + 1);
    if (size_t sp2 = key.find(' '); sp2 != std::string::npos) key = key.substr(0, sp2);
    JsonValue filtered;
    filtered.kind = JsonValue::Kind::kObject;
    const JsonValue* v = ret.Find(key);
    filtered.object.emplace_back(key, v != nullptr ? *v : JsonValue{});
    ret = std::move(filtered);
  }
  *out_ << PrettyTree(ret);
  return base::Status::Ok();
}

std::string OpenErrorText(const std::string& path, int err) {
  std::string msg = std::strerror(err);
  if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
  return "open " + path + ": " + msg;
}

}  // namespace shell
