// shell/line_reader.cc — see line_reader.h.
#include "shell/line_reader.h"

#include <histedit.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <fstream>

#include "shell/statements.h"

namespace shell {
namespace {

// Set by the SIGINT handler while libedit waits for input. A signal handler can only talk to
// the program through a flag of this type, so this is the one file-level variable of the module.
volatile sig_atomic_t g_interrupted = 0;

extern "C" void OnSigint(int) { g_interrupted = 1; }

class EditLineReader final : public LineReader {
 public:
  EditLineReader(std::FILE* in, std::FILE* out, std::vector<std::string> history)
      : entries_(std::move(history)) {
    el_ = el_init("rqlite", in, out, stderr);
    hist_ = history_init();
    HistEvent ev;
    ::history(hist_, &ev, H_SETSIZE, 10000);
    for (const auto& e : entries_) ::history(hist_, &ev, H_ENTER, e.c_str());
    el_set(el_, EL_CLIENTDATA, this);
    el_set(el_, EL_PROMPT, &EditLineReader::PromptFn);
    el_set(el_, EL_EDITOR, "emacs");
    el_set(el_, EL_HIST, ::history, hist_);
    el_set(el_, EL_GETCFN, &EditLineReader::ReadCharFn);
    fd_ = fileno(in);
    // Ctrl-C: interrupt the read (no SA_RESTART) and end input, instead of killing the process
    // with the terminal left in raw mode.
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnSigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sigint_);
  }

  ~EditLineReader() override {
    sigaction(SIGINT, &old_sigint_, nullptr);
    el_end(el_);
    history_end(hist_);
  }

  bool ReadLine(const std::string& prompt, std::string* line) override {
    prompt_ = prompt;
    // Ctrl-C pressed while a command ran (or just before the prompt): end input now.
    if (g_interrupted != 0) {
      std::fputs("\n", stdout);
      std::fflush(stdout);
      return false;
    }
    // Raw mode before the prompt appears: keys typed once the prompt shows are read by libedit
    // (not echoed by the tty in cooked mode) and Ctrl-C reaches OnSigint while el_gets waits.
    el_set(el_, EL_PREP_TERM, 1);
    int count = 0;
    const char* s = el_gets(el_, &count);
    el_set(el_, EL_PREP_TERM, 0);
    if (g_interrupted != 0 || s == nullptr || count <= 0) {
      std::fputs("\n", stdout);  // leave the prompt line before "bye~"
      std::fflush(stdout);
      return false;
    }
    *line = s;
    while (!line->empty() && (line->back() == '\n' || line->back() == '\r')) line->pop_back();
    return true;
  }

  void AddHistory(const std::string& entry) override {
    if (TrimSpace(entry).empty()) return;
    HistEvent ev;
    ::history(hist_, &ev, H_ENTER, entry.c_str());
    entries_.push_back(entry);
  }

  std::vector<std::string> History() const override { return entries_; }

 private:
  // libedit's character reader, replaced so that an interrupted read(2) ends el_gets when
  // Ctrl-C was pressed (libedit itself retries EINTR). Returns 1 = char, 0 = EOF, -1 = error.
  static int ReadCharFn(EditLine* el, wchar_t* out) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    const int fd = static_cast<EditLineReader*>(data)->fd_;
    std::mbstate_t state{};
    for (;;) {
      if (g_interrupted != 0) return -1;
      char c = 0;
      ssize_t n = ::read(fd, &c, 1);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      size_t r = std::mbrtowc(out, &c, 1, &state);
      if (r == static_cast<size_t>(-2)) continue;  // partial multibyte character
      if (r == static_cast<size_t>(-1)) {
        *out = static_cast<unsigned char>(c);
        state = std::mbstate_t{};
      }
      return 1;
    }
  }

  static char* PromptFn(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return const_cast<char*>(static_cast<EditLineReader*>(data)->prompt_.c_str());
  }

  EditLine* el_ = nullptr;
  int fd_ = 0;
  ::History* hist_ = nullptr;
  std::string prompt_;
  std::vector<std::string> entries_;
  struct sigaction old_sigint_;
};

class StreamLineReader final : public LineReader {
 public:
  explicit StreamLineReader(std::istream* in) : in_(in) {}
  bool ReadLine(const std::string&, std::string* line) override {
    if (!std::getline(*in_, *line)) return false;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }
  void AddHistory(const std::string&) override {}
  std::vector<std::string> History() const override { return {}; }

 private:
  std::istream* in_;
};

}  // namespace

std::unique_ptr<LineReader> NewEditLineReader(std::FILE* in, std::FILE* out,
                                              std::vector<std::string> history) {
  return std::make_unique<EditLineReader>(in, out, std::move(history));
}

std::unique_ptr<LineReader> NewStreamLineReader(std::istream* in) {
  return std::make_unique<StreamLineReader>(in);
}

std::vector<std::string> ReadHistoryFile(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  if (!f) return out;
  for (std::string line; std::getline(f, line);) {
    if (!TrimSpace(line).empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> PruneHistory(const std::vector<std::string>& entries, int max_size) {
  std::vector<std::string> kept;
  if (max_size <= 0) return kept;
  for (const auto& e : entries) {
    if (TrimSpace(e).empty()) continue;
    if (!kept.empty() && kept.back() == e) continue;
    kept.push_back(e);
  }
  if (kept.size() > static_cast<size_t>(max_size)) {
    kept.erase(kept.begin(), kept.end() - max_size);
  }
  return kept;
}

base::Status WriteHistoryFile(const std::string& path, const std::vector<std::string>& entries,
                              int max_size) {
  if (max_size <= 0) {
    if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
      return base::IoError("remove " + path + ": " + std::strerror(errno));
    }
    return base::Status::Ok();
  }
  std::vector<std::string> kept = PruneHistory(entries, max_size);
  std::ofstream f(path, std::ios::trunc);
  if (!f) return base::IoError("open " + path + ": " + std::strerror(errno));
  for (size_t i = 0; i < kept.size(); ++i) {
    f << kept[i];
    if (i + 1 < kept.size()) f << "\n";
  }
  return base::Status::Ok();
}

int HistorySizeFromEnv(const std::string& value) {
  if (value.empty()) return 100;
  char* end = nullptr;
  long v = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0') return 100;
  return static_cast<int>(v);
}

}  // namespace shell
