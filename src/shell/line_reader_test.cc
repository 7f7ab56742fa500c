// Tests for shell/line_reader.h: history file rules and the plain stream reader.
#include "shell/line_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace shell {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/shell_hist_XXXXXX";
  return mkdtemp(tmpl);
}

TEST(HistoryTest, PruneDedupesFiltersAndKeepsNewest) {
  std::vector<std::string> in = {"a", "a", " ", "b", "", "a", "c", "c"};
  EXPECT_EQ(PruneHistory(in, 100), (std::vector<std::string>{"a", "b", "a", "c"}));
  EXPECT_EQ(PruneHistory(in, 2), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(PruneHistory(in, 0).empty());
}

TEST(HistoryTest, WriteReadRoundTripAndZeroDeletes) {
  const std::string dir = TempDir();
  std::string path = dir + "/.rqlite_history";
  ASSERT_TRUE(WriteHistoryFile(path, {"SELECT 1", "SELECT 2", "SELECT 2", ".tables"}, 100).ok());
  std::ifstream f(path);
  std::string raw((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(raw, "SELECT 1\nSELECT 2\n.tables");
  EXPECT_EQ(ReadHistoryFile(path), (std::vector<std::string>{"SELECT 1", "SELECT 2", ".tables"}));
  ASSERT_TRUE(WriteHistoryFile(path, {"x"}, 0).ok());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_TRUE(ReadHistoryFile(path).empty());
  std::filesystem::remove_all(dir);
}

TEST(HistoryTest, SizeFromEnv) {
  EXPECT_EQ(HistorySizeFromEnv(""), 100);
  EXPECT_EQ(HistorySizeFromEnv("5"), 5);
  EXPECT_EQ(HistorySizeFromEnv("0"), 0);
  EXPECT_EQ(HistorySizeFromEnv("junk"), 100);
}

TEST(StreamReaderTest, ReadsLinesUntilEof) {
  std::istringstream in("one\r\ntwo\nthree");
  auto r = NewStreamLineReader(&in);
  std::string line;
  ASSERT_TRUE(r->ReadLine("p> ", &line));
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(r->ReadLine("p> ", &line));
  EXPECT_EQ(line, "two");
  ASSERT_TRUE(r->ReadLine("p> ", &line));
  EXPECT_EQ(line, "three");
  EXPECT_FALSE(r->ReadLine("p> ", &line));
}

}  // namespace
}  // namespace shell
