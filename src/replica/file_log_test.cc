#include "replica/file_log.h"

#include <gtest/gtest.h>

#include "fs/mem_file_system.h"

namespace replica {
namespace {

std::vector<Committed> Make(uint64_t from, int n) {
  std::vector<Committed> v;
  for (int i = 0; i < n; ++i) v.push_back({from + i, 1, "cmd" + std::to_string(from + i), 0});
  return v;
}

TEST(FileLog, AppendSyncReopen) {
  fs::MemFileSystem fs;
  std::vector<Committed> got;
  {
    auto log = FileLog::Open(&fs, "/log", &got);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_TRUE(got.empty());
    EXPECT_EQ((*log)->first_index(), 1u);
    EXPECT_EQ((*log)->last_index(), 0u);
    ASSERT_TRUE((*log)->Append(Make(1, 5)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    ASSERT_TRUE((*log)->Append(Make(6, 2)).ok());  // never synced
  }
  fs.Crash({});
  auto log = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[4].index, 5u);
  EXPECT_EQ(got[4].data, "cmd5");
  EXPECT_EQ((*log)->last_index(), 5u);
  ASSERT_TRUE((*log)->Append(Make(6, 1)).ok());
  ASSERT_TRUE((*log)->Sync().ok());
}

TEST(FileLog, TornTailIsTruncated) {
  for (uint64_t seed = 1; seed < 30; ++seed) {
    fs::MemFileSystem fs(seed);
    std::vector<Committed> got;
    {
      auto log = FileLog::Open(&fs, "/log", &got);
      ASSERT_TRUE(log.ok());
      ASSERT_TRUE((*log)->Append(Make(1, 3)).ok());
      ASSERT_TRUE((*log)->Sync().ok());
      ASSERT_TRUE((*log)->Append(Make(4, 3)).ok());
      ASSERT_TRUE((*log)->Sync().ok());
    }
    fs.Crash({.keep_unsynced_prefix = true, .tear = true});
    got.clear();
    auto log = FileLog::Open(&fs, "/log", &got);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_EQ(got.size(), 6u) << "seed " << seed;  // everything was synced
  }
}

TEST(FileLog, CorruptOlderSegmentFailsOpen) {
  fs::MemFileSystem fs;
  std::vector<Committed> got;
  {
    auto log = FileLog::Open(&fs, "/log", &got);
    ASSERT_TRUE((*log)->Append(Make(1, 3)).ok());
    ASSERT_TRUE((*log)->Compact(0).ok());  // rotates: segment 1 is now an older segment
    ASSERT_TRUE((*log)->Append(Make(4, 1)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  ASSERT_TRUE(fs.CorruptByte("/log/seg-00000000000000000001.log", 20).ok());
  auto log = FileLog::Open(&fs, "/log", &got);
  EXPECT_EQ(log.status().code(), base::Code::kCorruption);
}

TEST(FileLog, CorruptLastRecordOfLastSegmentIsDropped) {
  fs::MemFileSystem fs;
  std::vector<Committed> got;
  {
    auto log = FileLog::Open(&fs, "/log", &got);
    ASSERT_TRUE((*log)->Append(Make(1, 3)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  // Each record is 8 (frame) + 16 (index, term) + 4 ("cmdN") bytes; hit the third one's data.
  ASSERT_TRUE(fs.CorruptByte("/log/seg-00000000000000000001.log", 3 * 28 - 1).ok());
  auto log = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ((*log)->last_index(), 2u);
}

TEST(FileLog, PreallocatedTailIsNotCorruption) {
  fs::MemFileSystem fs;
  std::vector<Committed> got;
  {
    auto log = FileLog::Open(&fs, "/log", &got);
    ASSERT_TRUE((*log)->Append(Make(1, 3)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  EXPECT_GT(*fs.FileSize("/log/seg-00000000000000000001.log"), 3u * 28);
  auto log = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(got.size(), 3u);
  ASSERT_TRUE((*log)->Append(Make(4, 1)).ok());
  ASSERT_TRUE((*log)->Sync().ok());
  got.clear();
  log = base::Result<std::unique_ptr<FileLog>>(base::Internal("close"));
  auto again = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(got.size(), 4u);
}

TEST(FileLog, CompactDropsWholeSegments) {
  fs::MemFileSystem fs;
  std::vector<Committed> got;
  auto log = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE((*log)->Append(Make(1, 10)).ok());
  ASSERT_TRUE((*log)->Sync().ok());
  ASSERT_TRUE((*log)->Compact(10).ok());
  EXPECT_EQ((*log)->first_index(), 11u);
  EXPECT_EQ((*log)->size_bytes(), 0u);
  ASSERT_TRUE((*log)->Append(Make(11, 2)).ok());
  ASSERT_TRUE((*log)->Compact(11).ok());  // segment [11,12] stays: 12 > 11
  EXPECT_EQ((*log)->first_index(), 11u);
  log = base::Result<std::unique_ptr<FileLog>>(base::Internal("close"));
  got.clear();
  auto again = FileLog::Open(&fs, "/log", &got);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].index, 11u);
  EXPECT_EQ((*again)->first_index(), 11u);
  EXPECT_EQ((*again)->last_index(), 12u);
}

}  // namespace
}  // namespace replica
