// Durability: a write acknowledged by the store survives kill -9 of the process, and a node
// whose database files are lost rebuilds them from the log.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>

#include "store/test_util.h"

namespace store {
namespace {

using testing::Render;
using testing::Stmts;

class StoreCrashTest : public testing::StoreFixture {
 protected:
  // Runs in a forked child: writes rows concurrently, reports every acknowledged id on `fd`, and
  // SIGKILLs itself once `kill_after` writes have been acknowledged (others still in flight).
  [[noreturn]] void ChildWriteAndDie(int fd, int total, int kill_after) {
    OpenStore();
    if (!store_) _exit(3);
    if (ExecJ({"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}) != "{\"results\":[{}]}") _exit(4);
    std::atomic<int> acked{0};
    for (int i = 1; i <= total; ++i) {
      api::ExecuteRequest r;
      r.statements = Stmts({"INSERT INTO t(id, v) VALUES(?, 'x')"});
      r.statements[0].parameters = {{"", int64_t{i}}};
      store_->Execute(std::move(r), [fd, i, kill_after, &acked](api::Response resp) {
        if (!resp.status.ok() || resp.results.empty() ||
            resp.results[0].kind != api::StatementResult::Kind::kExecute) {
          _exit(5);
        }
        // The "client" sees the acknowledgement.
        if (write(fd, &i, sizeof(i)) != sizeof(i)) _exit(6);
        if (++acked == kill_after) kill(getpid(), SIGKILL);
      });
    }
    for (;;) pause();
  }

  std::set<int> RunChild(int total, int kill_after) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      ChildWriteAndDie(fds[1], total, kill_after);
    }
    close(fds[1]);
    std::set<int> acked;
    int id;
    while (read(fds[0], &id, sizeof(id)) == sizeof(id)) acked.insert(id);
    close(fds[0]);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exit status " << status;
    return acked;
  }

  void ExpectRowsPresent(const std::set<int>& acked) {
    api::Response r = Query(Stmts({"SELECT id FROM t ORDER BY id"}));
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.results.size(), 1u);
    std::set<int> present;
    for (const auto& row : r.results[0].values) present.insert(static_cast<int>(std::get<int64_t>(row[0])));
    for (int id : acked) EXPECT_TRUE(present.count(id)) << "acknowledged row " << id << " lost";
  }
};

TEST_F(StoreCrashTest, AcknowledgedWritesSurviveKill9) {
  config_.snapshot_threshold = 100;  // some log truncation happens before the crash
  std::set<int> acked = RunChild(2000, 1500);
  ASSERT_GE(acked.size(), 1500u);
  OpenStore();
  ExpectRowsPresent(acked);
  // The store keeps working and indexes keep increasing after recovery.
  api::Response r = Exec(Stmts({"INSERT INTO t(v) VALUES('after')"}));
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].kind, api::StatementResult::Kind::kExecute);
  EXPECT_GT(r.raft_index, acked.size());
}

TEST_F(StoreCrashTest, LostDatabaseIsRebuiltFromTheLog) {
  config_.snapshot_threshold = 1u << 30;  // never truncate the log
  config_.snapshot_wal_bytes = 0;
  std::set<int> acked = RunChild(300, 300);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove((config_.dir + "/db.sqlite" + suffix).c_str());
  }
  OpenStore();
  ExpectRowsPresent(acked);
  EXPECT_NE(QueryJ({"SELECT count(*) FROM t"}).find("[[300]]"), std::string::npos);
}

TEST_F(StoreCrashTest, EntriesAreNotAppliedTwiceAfterCrash) {
  // Non-idempotent writes (UPDATE x = x + 1) must be applied exactly once across a crash.
  config_.snapshot_threshold = 50;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    OpenStore();
    ExecJ({"CREATE TABLE c(n INTEGER)", "INSERT INTO c VALUES(0)"});
    int acked = 0;
    for (int i = 0; i < 500; ++i) {
      if (ExecJ({"UPDATE c SET n = n + 1"}).find("rows_affected") == std::string::npos) _exit(5);
      ++acked;
      if (write(fds[1], &acked, sizeof(acked)) != sizeof(acked)) _exit(6);
    }
    kill(getpid(), SIGKILL);
  }
  close(fds[1]);
  int last = 0, v;
  while (read(fds[0], &v, sizeof(v)) == sizeof(v)) last = v;
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  ASSERT_EQ(last, 500);
  OpenStore();
  EXPECT_EQ(QueryJ({"SELECT n FROM c"}),
            "{\"results\":[{\"columns\":[\"n\"],\"types\":[\"integer\"],\"values\":[[500]]}]}");
}

}  // namespace
}  // namespace store
