#include "raftlog/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "fs/mem_file_system.h"
#include "fs/posix_file_system.h"
#include "raftlog/record.h"

namespace raftlog {
namespace {

raft::Entry E(uint64_t index, uint64_t term, std::string data = "") {
  if (data.empty()) {
    data = "cmd-" + std::to_string(index) + "-" + std::to_string(term) + std::string(60, '.');
  }
  return raft::Entry{term, index, raft::EntryType::kNormal, data};
}

std::vector<raft::Entry> Range(uint64_t lo, uint64_t hi, uint64_t term) {
  std::vector<raft::Entry> out;
  for (uint64_t i = lo; i <= hi; ++i) out.push_back(E(i, term));
  return out;
}

std::vector<raft::Entry> All(const Log& log) {
  auto r = log.Entries(log.first_index(), log.last_index() + 1, UINT64_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<raft::Entry>{};
}

// Calls fn(offset, record) for every record of a segment image, skipping write padding (zeros
// up to the next sector boundary); returns the end of the data.
template <typename Fn>
size_t ForEachRecord(std::string_view data, Fn fn) {
  size_t off = 0;
  RecordView rec;
  for (;;) {
    if (ParseRecord(data, off, &rec) == ParseOutcome::kOk) {
      fn(off, rec);
      off += rec.total_bytes;
      continue;
    }
    size_t next = (off + kSectorBytes - 1) / kSectorBytes * kSectorBytes;
    if (next == off || ParseRecord(data, next, &rec) != ParseOutcome::kOk) return off;
    off = next;
  }
}

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog() {
    auto r = Log::Open(&fs_, "/data/log", options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  void SetUp() override {
    options_.segment_bytes = 4096;
    options_.cache_bytes = 0;  // every read goes to the file
  }
  fs::MemFileSystem fs_{1};
  Options options_;
};

TEST_F(LogTest, NewLogIsEmpty) {
  auto log = OpenLog();
  EXPECT_EQ(log->first_index(), 1u);
  EXPECT_EQ(log->last_index(), 0u);
  EXPECT_EQ(log->hard_state(), raft::HardState{});
  EXPECT_EQ(log->snapshot(), raft::SnapshotMeta{});
  EXPECT_EQ(*log->Term(0), 0u);
  EXPECT_TRUE(log->Entries(1, 1, 100)->empty());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(*fs_.List("/data/log"), std::vector<std::string>{"0000000000000001.seg"});
}

TEST_F(LogTest, AppendSyncReopen) {
  auto log = OpenLog();
  auto ents = Range(1, 100, 1);
  ents[50].type = raft::EntryType::kNoop;
  ents[51].data.clear();
  ASSERT_TRUE(log->Append(ents).ok());
  ASSERT_TRUE(log->SetHardState({3, 2, 77}).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(All(*log), ents);
  EXPECT_GT(log->segment_count(), 1u);  // 4 KiB segments
  log.reset();
  fs_.Crash({});
  log = OpenLog();
  EXPECT_EQ(log->last_index(), 100u);
  EXPECT_EQ(All(*log), ents);
  EXPECT_EQ(log->hard_state(), (raft::HardState{3, 2, 77}));
  EXPECT_EQ(*log->Term(100), 1u);
}

TEST_F(LogTest, EntriesHonoursMaxBytesButReturnsOne) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(std::vector<raft::Entry>{E(1, 1, std::string(100, 'a')),
                                                   E(2, 1, std::string(100, 'b')),
                                                   E(3, 1, std::string(100, 'c'))})
                  .ok());
  EXPECT_EQ(log->Entries(1, 4, 0)->size(), 1u);
  EXPECT_EQ(log->Entries(1, 4, 200)->size(), 2u);
  EXPECT_EQ(log->Entries(1, 4, 1000)->size(), 3u);
  EXPECT_EQ(log->Entries(2, 3, 1000)->at(0).data, std::string(100, 'b'));
}

TEST_F(LogTest, ConflictingSuffixIsReplaced) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 10, 1)).ok());
  ASSERT_TRUE(log->Append(Range(6, 8, 2)).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(log->last_index(), 8u);
  EXPECT_EQ(*log->Term(5), 1u);
  EXPECT_EQ(*log->Term(6), 2u);
  auto want = All(*log);
  log.reset();
  fs_.Crash({});
  log = OpenLog();
  EXPECT_EQ(All(*log), want);
  EXPECT_EQ(want.back(), E(8, 2));
}

TEST_F(LogTest, BadArguments) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 5, 1)).ok());
  EXPECT_EQ(log->Append(Range(7, 8, 1)).code(), base::Code::kInvalidArgument);  // gap
  std::vector<raft::Entry> holey{E(6, 1), E(8, 1)};
  EXPECT_EQ(log->Append(holey).code(), base::Code::kInvalidArgument);
  EXPECT_EQ(log->Entries(0, 3, 10).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(log->Entries(1, 7, 10).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(log->Term(6).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(log->Compact(1).code(), base::Code::kInvalidArgument);  // beyond the snapshot
  EXPECT_EQ(log->last_index(), 5u);
}

TEST_F(LogTest, SnapshotKeepsLaterEntriesAndCompactDeletesSegments) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 60, 1)).ok());
  ASSERT_TRUE(log->Append(Range(61, 120, 2)).ok());
  ASSERT_TRUE(log->Sync().ok());
  size_t segs = log->segment_count();
  ASSERT_GT(segs, 3u);
  raft::SnapshotMeta meta{100, 2, {{1, 2, 3}, {}}};
  ASSERT_TRUE(log->SetSnapshot(meta).ok());
  EXPECT_EQ(log->first_index(), 101u);
  EXPECT_EQ(*log->Term(100), 2u);
  EXPECT_EQ(log->Term(99).status().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(log->Entries(100, 101, 10).status().code(), base::Code::kInvalidArgument);
  ASSERT_TRUE(log->Compact(100).ok());
  EXPECT_LT(log->segment_count(), segs);
  EXPECT_EQ(log->SetSnapshot({50, 1, {}}).code(), base::Code::kInvalidArgument);  // older
  auto want = All(*log);
  ASSERT_EQ(want.size(), 20u);
  log.reset();
  fs_.Crash({});
  log = OpenLog();
  EXPECT_EQ(log->snapshot(), meta);
  EXPECT_EQ(log->first_index(), 101u);
  EXPECT_EQ(All(*log), want);
  // Appending below the snapshot is ignored; above it works.
  ASSERT_TRUE(log->Append(Range(95, 125, 2)).ok());
  EXPECT_EQ(log->last_index(), 125u);
}

TEST_F(LogTest, InstallSnapshotDiscardsTheLog) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 80, 1)).ok());
  ASSERT_TRUE(log->SetHardState({5, 1, 10}).ok());
  raft::SnapshotMeta meta{1000, 9, {{1}, {2}}};
  ASSERT_TRUE(log->SetSnapshot(meta).ok());  // durable on return, also syncs the hard state
  EXPECT_EQ(log->first_index(), 1001u);
  EXPECT_EQ(log->last_index(), 1000u);
  EXPECT_EQ(*log->Term(1000), 9u);
  EXPECT_EQ(log->segment_count(), 1u);
  log.reset();
  fs_.Crash({});
  log = OpenLog();
  EXPECT_EQ(log->snapshot(), meta);
  EXPECT_EQ(log->hard_state(), (raft::HardState{5, 1, 10}));
  EXPECT_EQ(log->last_index(), 1000u);
  ASSERT_TRUE(log->Append(Range(1001, 1003, 9)).ok());
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  log = OpenLog();
  EXPECT_EQ(All(*log), Range(1001, 1003, 9));
}

TEST_F(LogTest, SnapshotWithMismatchedTermDiscards) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 10, 1)).ok());
  ASSERT_TRUE(log->SetSnapshot({5, 3, {}}).ok());  // log has term 1 at 5
  EXPECT_EQ(log->last_index(), 5u);
  EXPECT_EQ(log->first_index(), 6u);
}

TEST_F(LogTest, UnsyncedWritesAreLostOnCrash) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 10, 1)).ok());
  ASSERT_TRUE(log->SetHardState({1, 1, 5}).ok());
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Append(Range(11, 12, 1)).ok());
  ASSERT_TRUE(log->SetHardState({2, 0, 5}).ok());
  log.reset();
  fs_.Crash({});
  log = OpenLog();
  EXPECT_EQ(log->last_index(), 10u);
  EXPECT_EQ(log->hard_state(), (raft::HardState{1, 1, 5}));
}

TEST_F(LogTest, GroupCommitIsOneSync) {
  options_.segment_bytes = 1 << 20;
  auto log = OpenLog();
  uint64_t before = fs_.sync_count();
  for (uint64_t i = 1; i <= 50; ++i) ASSERT_TRUE(log->Append(Range(i, i, 1)).ok());
  ASSERT_TRUE(log->SetHardState({1, 1, 50}).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(fs_.sync_count(), before + 1);
  ASSERT_TRUE(log->Sync().ok());  // nothing new: no fdatasync
  EXPECT_EQ(fs_.sync_count(), before + 1);
}

TEST_F(LogTest, OversizedEntryGetsItsOwnSegment) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(std::vector<raft::Entry>{E(1, 1, std::string(10000, 'z'))}).ok());
  ASSERT_TRUE(log->Append(Range(2, 3, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  log = OpenLog();
  EXPECT_EQ(log->Entries(1, 2, 1)->at(0).data, std::string(10000, 'z'));
  EXPECT_EQ(log->last_index(), 3u);
}

TEST_F(LogTest, MiddleCorruptionIsRefusedWithLocation) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 20, 1)).ok());
  ASSERT_TRUE(log->Append(std::vector<raft::Entry>{E(21, 1, "NEEDLE-in-the-log")}).ok());
  ASSERT_TRUE(log->Append(Range(22, 30, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  std::string path;
  size_t pos = std::string::npos;
  std::vector<std::string> names = *fs_.List("/data/log");
  for (const auto& name : names) {
    std::string data = *fs_.ReadAll("/data/log/" + name);
    pos = data.find("NEEDLE");
    if (pos != std::string::npos) {
      path = "/data/log/" + name;
      break;
    }
  }
  ASSERT_FALSE(path.empty());
  ASSERT_TRUE(fs_.CorruptByte(path, pos + 2).ok());
  auto r = Log::Open(&fs_, "/data/log", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kCorruption);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("offset"), std::string::npos);
}

TEST_F(LogTest, LostSyncedSectorIsRefusedThanksToSyncMarks) {
  options_.segment_bytes = 1 << 20;
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 30, 1)).ok());  // one batch of ~3 KiB
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Append(Range(31, 32, 1)).ok());  // later batches, each led by a sync mark
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Append(Range(33, 34, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  // A synced sector in the middle of the first batch reads back as zeros (a lost write): it
  // looks exactly like a torn unsynced write, except that later sync marks vouch for it.
  std::string path = "/data/log/0000000000000001.seg";
  auto f = fs_.Open(path, fs::OpenMode::kReadWrite).value();
  ASSERT_TRUE(f->Write(1536, std::string(kSectorBytes, '\0')).ok());
  ASSERT_TRUE(f->Sync().ok());
  auto r = Log::Open(&fs_, "/data/log", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), base::Code::kCorruption);
  EXPECT_NE(r.status().message().find("sync mark"), std::string::npos) << r.status().ToString();
}

TEST_F(LogTest, LostSectorOfTheUnsyncedTailIsCut) {
  options_.segment_bytes = 1 << 20;
  options_.write_buffer_bytes = 0;  // every record is written at once, without a sync
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 3, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_TRUE(log->Append(Range(4, 40, 1)).ok());  // written, never synced
  log.reset();
  // The kernel wrote back a later page but not an earlier one: a hole of zeros, then records.
  std::string path = "/data/log/0000000000000001.seg";
  // Layout: one record per sector (each write starts on a sector boundary); entries 1..3 end
  // in sector 3, the sync mark and entry 4 open sector 4, entry 5 fills sector 5.
  auto f = fs_.Open(path, fs::OpenMode::kReadWrite).value();
  ASSERT_TRUE(f->Write(5 * kSectorBytes, std::string(kSectorBytes, '\0')).ok());
  ASSERT_TRUE(f->Sync().ok());
  log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), 4u);
  EXPECT_EQ(All(*log), Range(1, log->last_index(), 1));
}

TEST_F(LogTest, MissingSegmentIsRefused) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 100, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  ASSERT_GE(log->segment_count(), 3u);
  log.reset();
  ASSERT_TRUE(fs_.Remove("/data/log/0000000000000002.seg").ok());
  auto r = Log::Open(&fs_, "/data/log", options_);
  EXPECT_EQ(r.status().code(), base::Code::kCorruption);
  EXPECT_NE(r.status().message().find("missing"), std::string::npos);
}

TEST_F(LogTest, HalfCreatedLastSegmentIsRemoved) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 5, 1)).ok());
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  // A crash after fallocate but before the start record was synced leaves a zeroed file.
  auto f = fs_.Open("/data/log/0000000000000002.seg", fs::OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Preallocate(4096).ok());
  log = OpenLog();
  EXPECT_EQ(log->last_index(), 5u);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_FALSE(fs_.Exists("/data/log/0000000000000002.seg"));
  ASSERT_TRUE(log->Append(Range(6, 200, 1)).ok());  // rolls into a new segment 2
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  log = OpenLog();
  EXPECT_EQ(log->last_index(), 200u);
}

TEST_F(LogTest, CorruptOlderSegmentTailIsRefused) {
  auto log = OpenLog();
  for (uint64_t i = 1; i <= 40; ++i) {
    ASSERT_TRUE(log->Append(std::vector<raft::Entry>{E(i, 1, std::string(200, 'x'))}).ok());
  }
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  // Stray bytes after the last record of a segment that is not the last one.
  std::string first = "/data/log/0000000000000001.seg";
  std::string data = *fs_.ReadAll(first);
  size_t end = ForEachRecord(data, [](size_t, const RecordView&) {});
  ASSERT_LT(end + 16, data.size());
  ASSERT_TRUE(fs_.CorruptByte(first, end + 8).ok());
  auto r = Log::Open(&fs_, "/data/log", options_);
  EXPECT_EQ(r.status().code(), base::Code::kCorruption);
  EXPECT_NE(r.status().message().find("not the last"), std::string::npos)
      << r.status().ToString();
}

TEST_F(LogTest, UnknownFilesAreIgnored) {
  ASSERT_TRUE(fs_.CreateDir("/data/log").ok());
  ASSERT_TRUE(fs_.Open("/data/log/README", fs::OpenMode::kCreate).ok());
  ASSERT_TRUE(fs_.Open("/data/log/00000000000000zz.seg", fs::OpenMode::kCreate).ok());
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_index(), 0u);
}

TEST_F(LogTest, FailedWriteIsSticky) {
  options_.segment_bytes = 1 << 20;
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 3, 1)).ok());
  fs_.FailNextWrites(1);
  EXPECT_EQ(log->Sync().code(), base::Code::kIoError);
  EXPECT_EQ(log->Append(Range(4, 4, 1)).code(), base::Code::kIoError);
  EXPECT_EQ(log->Sync().code(), base::Code::kIoError);
}

TEST_F(LogTest, FailedFsyncCrashesTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto log = OpenLog();
        (void)log->Append(Range(1, 3, 1));
        fs_.FailNextSyncs(1);
        (void)log->Sync();
      },
      "fdatasync failed");
}

TEST_F(LogTest, ImplementsRaftStorage) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Append(Range(1, 5, 2)).ok());
  ASSERT_TRUE(log->SetHardState({2, 1, 3}).ok());
  const raft::Storage& s = *log;
  EXPECT_EQ(s.FirstIndex(), 1u);
  EXPECT_EQ(s.LastIndex(), 5u);
  EXPECT_EQ(*s.Term(3), 2u);
  EXPECT_EQ(s.InitialHardState(), (raft::HardState{2, 1, 3}));
  EXPECT_EQ(s.Entries(2, 4, UINT64_MAX)->size(), 2u);
  EXPECT_EQ(s.Snapshot().index, s.FirstIndex() - 1);
}

// The same life cycle on the real disk, with preallocated segments.
TEST(PosixLogTest, RealDiskRoundTripAndTornTail) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("raftlog_test_" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  fs::PosixFileSystem pfs;
  Options opt;
  opt.segment_bytes = 256 << 10;
  std::vector<raft::Entry> want;
  {
    auto log = Log::Open(&pfs, dir, opt);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (uint64_t i = 1; i <= 3000; ++i) want.push_back(E(i, 1 + i / 1000));
    ASSERT_TRUE((*log)->Append(want).ok());
    ASSERT_TRUE((*log)->SetHardState({3, 1, 3000}).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_GT((*log)->segment_count(), 1u);
  }
  // Preallocated: the active segment is already full size.
  auto names = *pfs.List(dir);
  EXPECT_EQ(*pfs.FileSize(fs::JoinPath(dir, names.back())), opt.segment_bytes);
  // A torn write after the data: a half record of garbage at the end of the valid data.
  {
    auto log = Log::Open(&pfs, dir, opt);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(All(**log), want);
  }
  {
    std::string last = fs::JoinPath(dir, names.back());
    auto f = pfs.Open(last, fs::OpenMode::kReadWrite).value();
    std::string data(opt.segment_bytes, '\0');
    ASSERT_TRUE(f->Read(0, data.size(), data.data()).ok());
    size_t end = ForEachRecord(data, [](size_t, const RecordView&) {});
    ASSERT_TRUE(f->Write(end, std::string("\x40\x01\x02\x03\x10\x00\x00\x00\x02", 9)).ok());
  }
  {
    auto log = Log::Open(&pfs, dir, opt);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(All(**log), want);
    EXPECT_EQ((*log)->hard_state(), (raft::HardState{3, 1, 3000}));
    ASSERT_TRUE((*log)->Append(Range(3001, 3002, 4)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
  }
  {
    auto log = Log::Open(&pfs, dir, opt);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ((*log)->last_index(), 3002u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace raftlog
