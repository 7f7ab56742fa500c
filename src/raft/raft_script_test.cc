// raft/raft_script_test.cc — data-driven interaction scripts with golden traces.
//
// Each file in testdata/*.txt is a sequence of blocks:
//   # comment lines and blank lines are kept as they are
//   <command> <args...>
//   ----
//   <expected output; never contains a blank line>
// `nodes N [leader=ID] [pre_vote=0] ...` starts a bootstrapped cluster 1..N (silently
// stabilized, and with ID elected when given).
// The command's actual output must equal the expected block. RQ_REWRITE_GOLDEN=1 rewrites the
// files with the actual outputs (review the diff!). Commands: see RunCommand below.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "raft/testing_cluster.h"

namespace raft {
namespace {

std::vector<std::string> Split(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> out;
  std::string w;
  while (is >> w) out.push_back(w);
  return out;
}

class ScriptRunner {
 public:
  std::string Run(const std::string& line) {
    std::vector<std::string> args = Split(line);
    std::ostringstream out;
    RunCommand(args, out);
    std::string s = out.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s.empty() ? "ok" : s;
  }

 private:
  static uint64_t Num(const std::string& s) { return std::stoull(s); }

  void NewCluster(const std::vector<std::string>& args, std::ostream& out) {
    Config cfg;
    NodeId leader = kNoNode;
    for (size_t i = 2; i < args.size(); ++i) {
      auto eq = args[i].find('=');
      std::string k = args[i].substr(0, eq), v = args[i].substr(eq + 1);
      if (k == "pre_vote") cfg.pre_vote = v == "1" || v == "true";
      else if (k == "check_quorum") cfg.check_quorum = v == "1" || v == "true";
      else if (k == "election") cfg.election_ticks = std::stoi(v);
      else if (k == "heartbeat") cfg.heartbeat_ticks = std::stoi(v);
      else if (k == "max_inflight") cfg.max_inflight_msgs = Num(v);
      else if (k == "max_msg_size") cfg.max_size_per_msg = Num(v);
      else if (k == "leader") leader = Num(v);
      else if (k == "knob" && v == "commit_prev_term") cfg.knobs.commit_prev_term = true;
      else if (k == "knob" && v == "readindex_no_heartbeat") cfg.knobs.readindex_no_heartbeat = true;
      else if (k == "knob" && v == "vote_not_persisted") cfg.knobs.vote_not_persisted = true;
      else if (k == "knob" && v == "ack_before_sync") cfg.knobs.ack_before_sync = true;
      else out << "unknown option " << args[i] << "\n";
    }
    std::vector<NodeId> ids;
    for (uint64_t i = 1; i <= Num(args[1]); ++i) ids.push_back(i);
    cluster_ = std::make_unique<testing::Cluster>(ids, cfg);
    cluster_->Stabilize();
    if (leader != kNoNode && cluster_->ElectLeader(leader) != leader) out << "election failed\n";
  }

  void Status(std::ostream& out, base::Status st) {
    if (!st.ok()) out << "error: " << st.ToString() << "\n";
  }

  void RunCommand(const std::vector<std::string>& a, std::ostream& out) {
    const std::string& c = a.at(0);
    if (c == "nodes") return NewCluster(a, out);
    testing::Cluster& cl = *cluster_;
    auto id = [&](size_t i) { return static_cast<NodeId>(Num(a.at(i))); };
    if (c == "add-node") {
      cl.AddEmptyNode(id(1));
    } else if (c == "campaign") {
      Status(out, cl.node(id(1)).Campaign());
    } else if (c == "tick") {
      cl.Tick(id(1), a.size() > 2 ? std::stoi(a[2]) : 1);
    } else if (c == "tick-all") {
      for (NodeId n : cl.ids()) cl.Tick(n, std::stoi(a.at(1)));
    } else if (c == "tick-heartbeat") {
      cl.Tick(id(1), cl.peer(id(1)).config.heartbeat_ticks);
    } else if (c == "tick-election") {
      cl.Tick(id(1), 2 * cl.peer(id(1)).config.election_ticks);
    } else if (c == "process-ready") {
      for (size_t i = 1; i < a.size(); ++i) {
        if (!cl.ProcessReady(id(i), &out)) out << "> " << a[i] << " no Ready\n";
      }
    } else if (c == "deliver-msgs") {
      if (a.size() == 1) {
        cl.Deliver(kNoNode, &out);
      } else {
        for (size_t i = 1; i < a.size(); ++i) cl.Deliver(id(i), &out);
      }
    } else if (c == "stabilize") {
      cl.Stabilize(&out);
    } else if (c == "propose") {
      Status(out, cl.node(id(1)).Propose(a.at(2)));
    } else if (c == "propose-conf-change") {
      const std::string& s = a.at(2);
      ConfChange cc;
      cc.type = s[0] == 'v' ? ConfChangeType::kAddVoter
                            : s[0] == 'l' ? ConfChangeType::kAddLearner
                                          : ConfChangeType::kRemoveNode;
      cc.node = Num(s.substr(1));
      Status(out, cl.node(id(1)).ProposeConfChange(cc));
    } else if (c == "read-index") {
      cl.node(id(1)).ReadIndex(a.at(2));
    } else if (c == "transfer-leadership") {
      Status(out, cl.node(id(1)).TransferLeadership(id(2)));
    } else if (c == "isolate") {
      cl.Isolate(id(1));
    } else if (c == "cut") {
      cl.Cut(id(1), id(2));
    } else if (c == "heal") {
      cl.Heal();
    } else if (c == "drop-msgs") {
      cl.DropMessages(a.size() > 1 ? id(1) : kNoNode);
    } else if (c == "status") {
      out << testing::DescribeStatus(cl.node(id(1)));
    } else if (c == "raft-log") {
      out << testing::DescribeLog(cl.peer(id(1)).storage);
    } else if (c == "compact") {
      cl.Compact(id(1), Num(a.at(2)), a.size() > 3 ? Num(a[3]) : 0);
    } else if (c == "restart") {
      cl.Restart(id(1));
    } else if (c == "report-snapshot") {
      cl.node(id(1)).ReportSnapshot(id(2), a.at(3) == "ok");
    } else if (c == "report-unreachable") {
      cl.node(id(1)).ReportUnreachable(id(2));
    } else if (c == "state-machines") {
      std::string why;
      if (!cl.StateMachinesConsistent(&why)) out << "INCONSISTENT: " << why << "\n";
      for (NodeId n : cl.ids()) {
        const auto& ap = cl.peer(n).applied;
        out << n << ": applied " << ap.size() << " entries, last "
            << (ap.empty() ? 0 : ap.back().index) << "\n";
      }
    } else {
      out << "unknown command " << c << "\n";
    }
  }

  std::unique_ptr<testing::Cluster> cluster_;
};

struct Block {
  bool is_command = false;
  std::string text;  // the line (text) or the command
  std::vector<std::string> expected;
  int line = 0;
};

std::vector<Block> ParseScript(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::vector<Block> blocks;
  for (size_t i = 0; i < lines.size();) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == '#') {
      blocks.push_back(Block{false, l, {}, static_cast<int>(i + 1)});
      ++i;
      continue;
    }
    Block b{true, l, {}, static_cast<int>(i + 1)};
    ++i;
    if (i < lines.size() && lines[i] == "----") {
      ++i;
      while (i < lines.size() && !lines[i].empty()) b.expected.push_back(lines[i++]);
    }
    blocks.push_back(std::move(b));
  }
  return blocks;
}

std::vector<std::string> ScriptFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(RQ_RAFT_TESTDATA)) {
    if (e.path().extension() == ".txt") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class RaftScriptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RaftScriptTest, MatchesGolden) {
  std::string path = std::string(RQ_RAFT_TESTDATA) + "/" + GetParam();
  std::vector<Block> blocks = ParseScript(path);
  ASSERT_FALSE(blocks.empty()) << path;
  const char* rewrite_env = std::getenv("RQ_REWRITE_GOLDEN");
  bool rewrite = rewrite_env != nullptr && std::string(rewrite_env) == "1";
  ScriptRunner runner;
  std::ostringstream rewritten;
  for (const Block& b : blocks) {
    if (!b.is_command) {
      rewritten << b.text << "\n";
      continue;
    }
    std::string actual = runner.Run(b.text);
    std::string expected;
    for (const std::string& l : b.expected) expected += (expected.empty() ? "" : "\n") + l;
    if (!rewrite) {
      EXPECT_EQ(expected, actual) << GetParam() << ":" << b.line << ": " << b.text;
    }
    rewritten << b.text << "\n----\n" << actual << "\n";
  }
  if (rewrite) {
    std::ofstream out(path, std::ios::trunc);
    out << rewritten.str();
  }
}

INSTANTIATE_TEST_SUITE_P(Scripts, RaftScriptTest, ::testing::ValuesIn(ScriptFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.size() - 4);
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace raft
