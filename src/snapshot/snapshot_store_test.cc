// snapshot/snapshot_store_test.cc — create / verify / corrupt → refused / reap / import.
#include "snapshot/snapshot_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "sqlite/conn.h"

namespace snapshot {
namespace {

class SnapshotStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/snapshot_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    db_ = root_ + "/db.sqlite";
    auto w = sqlite::Conn::Open(db_, {});
    ASSERT_TRUE(w.ok());
    writer_ = std::move(*w);
    ASSERT_TRUE(writer_->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").ok());
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(root_);
  }
  void Insert(int n, uint64_t applied) {
    ASSERT_TRUE(writer_->Exec("BEGIN").ok());
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(writer_->Exec("INSERT INTO t(v) VALUES('row " + std::to_string(i) + "')").ok());
    }
    ASSERT_TRUE(writer_->Exec("PRAGMA application_id=" + std::to_string(applied)).ok());
    ASSERT_TRUE(writer_->Exec("COMMIT").ok());
  }
  static base::Result<uint64_t> AppId(sqlite::Conn& c) {
    RQ_ASSIGN_OR_RETURN(std::string v, c.QueryString("PRAGMA application_id"));
    return static_cast<uint64_t>(std::stoll(v));
  }
  static std::string Count(const std::string& path) {
    auto c = sqlite::Conn::Open(path, {.read_only = true});
    if (!c.ok()) return "open failed";
    auto v = (*c)->QueryString("SELECT count(*) FROM t");
    return v.ok() ? *v : v.status().ToString();
  }

  std::string root_, db_;
  std::unique_ptr<sqlite::Conn> writer_;
};

TEST(MetaTest, RoundTripAndCorruption) {
  Meta m{42, 7, {1, 2, 3}, {9}, 12345, 0xdeadbeef};
  std::string b = EncodeMeta(m);
  auto d = DecodeMeta(b);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, m);
  for (size_t i = 0; i < b.size(); ++i) {
    std::string bad = b;
    bad[i] ^= 0x10;
    EXPECT_FALSE(DecodeMeta(bad).ok()) << "flipped byte " << i;
  }
  EXPECT_FALSE(DecodeMeta(b.substr(0, b.size() - 1)).ok());
}

TEST_F(SnapshotStoreTest, CreateWhileWriterHoldsOpenTransactionAndVerify) {
  auto store = SnapshotStore::Open(root_ + "/snapshots");
  ASSERT_TRUE(store.ok());
  Insert(100, 17);
  // An uncommitted write transaction on the writer must neither block nor leak into the image.
  ASSERT_TRUE(writer_->Exec("BEGIN; INSERT INTO t(v) VALUES('uncommitted')").ok());
  auto m = (*store)->Create(db_, AppId);
  ASSERT_TRUE(writer_->Exec("COMMIT").ok());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->index, 17u);
  EXPECT_GT(m->size, 0u);
  EXPECT_EQ(Count((*store)->ImagePath(17)), "100");
  EXPECT_TRUE((*store)->Verify(17).ok());
  auto latest = (*store)->LatestVerified();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->index, 17u);
}

TEST_F(SnapshotStoreTest, CorruptImageOrMetaIsRefused) {
  auto store = SnapshotStore::Open(root_ + "/snapshots");
  ASSERT_TRUE(store.ok());
  Insert(10, 5);
  ASSERT_TRUE((*store)->Create(db_, AppId).ok());
  Insert(10, 9);
  ASSERT_TRUE((*store)->Create(db_, AppId).ok());
  // Flip one byte in the newest image: Verify refuses it, LatestVerified falls back to 5.
  {
    int fd = ::open((*store)->ImagePath(9).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char c;
    ASSERT_EQ(::pread(fd, &c, 1, 200), 1);
    c ^= 1;
    ASSERT_EQ(::pwrite(fd, &c, 1, 200), 1);
    ::close(fd);
  }
  EXPECT_EQ((*store)->Verify(9).code(), base::Code::kCorruption);
  auto v = (*store)->LatestVerified();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->index, 5u);
  // A damaged .meta hides that snapshot entirely.
  {
    int fd = ::open((*store)->MetaPath(5).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char c = 'X';
    ASSERT_EQ(::pwrite(fd, &c, 1, 0), 1);
    ::close(fd);
  }
  EXPECT_FALSE((*store)->LatestVerified().ok());
  EXPECT_EQ((*store)->List().size(), 1u);  // only 9's meta is readable
}

TEST_F(SnapshotStoreTest, ReapKeepsNewestAndOpenCleansLeftovers) {
  {
    auto store = SnapshotStore::Open(root_ + "/snapshots");
    ASSERT_TRUE(store.ok());
    for (uint64_t i = 1; i <= 4; ++i) {
      Insert(1, i * 10);
      ASSERT_TRUE((*store)->Create(db_, AppId).ok());
    }
    EXPECT_EQ((*store)->Reap(2), 2);
    auto all = (*store)->List();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].index, 30u);
    EXPECT_EQ(all[1].index, 40u);
    EXPECT_FALSE(std::filesystem::exists((*store)->ImagePath(10)));
    EXPECT_EQ((*store)->Reap(2), 0);
    // Leftovers of a crash: a temp file and an image without .meta.
    std::FILE* f = std::fopen((root_ + "/snapshots/create-1-1.tmp").c_str(), "w");
    std::fclose(f);
    std::filesystem::copy_file((*store)->ImagePath(40), (*store)->ImagePath(50));
  }
  auto store = SnapshotStore::Open(root_ + "/snapshots");
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(std::filesystem::exists(root_ + "/snapshots/create-1-1.tmp"));
  EXPECT_FALSE(std::filesystem::exists((*store)->ImagePath(50)));
  EXPECT_EQ((*store)->List().size(), 2u);
}

TEST_F(SnapshotStoreTest, ImportChecksSizeAndCrc) {
  auto store = SnapshotStore::Open(root_ + "/snapshots");
  ASSERT_TRUE(store.ok());
  Insert(3, 3);
  ASSERT_TRUE(writer_->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE).ok());
  std::string in = (*store)->TempPath("incoming");
  std::filesystem::copy_file(db_, in);
  Meta m;
  m.index = 77;
  m.term = 4;
  m.voters = {1, 2};
  ASSERT_TRUE(ChecksumFile(in, &m.size, &m.crc).ok());
  Meta wrong = m;
  wrong.crc ^= 1;
  EXPECT_EQ((*store)->Import(in, wrong, true).code(), base::Code::kCorruption);
  ASSERT_TRUE((*store)->Import(in, m, true).ok());
  auto latest = (*store)->Latest();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, m);
  EXPECT_EQ(Count((*store)->ImagePath(77)), "3");
  EXPECT_TRUE((*store)->Verify(77).ok());
}

}  // namespace
}  // namespace snapshot
