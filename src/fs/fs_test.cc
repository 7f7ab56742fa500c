#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include <unistd.h>

#include "fs/file_system.h"
#include "fs/mem_file_system.h"
#include "fs/posix_file_system.h"

namespace fs {
namespace {

std::string ReadFile(FileSystem* fs, const std::string& path) {
  auto f = fs->Open(path, OpenMode::kReadOnly);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return "";
  auto size = (*f)->Size();
  std::string out(*size, '\0');
  auto n = (*f)->Read(0, out.size(), out.data());
  EXPECT_TRUE(n.ok());
  out.resize(*n);
  return out;
}

// Runs the same contract tests on both implementations.
class FileSystemContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "posix") {
      fs_ = std::make_unique<PosixFileSystem>();
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      for (char& c : name) c = c == '/' ? '_' : c;
      root_ = (std::filesystem::temp_directory_path() /
               ("fs_test_" + std::to_string(::getpid()) + "_" + name))
                  .string();
      std::filesystem::remove_all(root_);
    } else {
      fs_ = std::make_unique<MemFileSystem>(7);
      root_ = "/tmp/fs_test";
    }
    ASSERT_TRUE(fs_->CreateDir(root_).ok());
  }
  void TearDown() override {
    if (GetParam() == "posix") std::filesystem::remove_all(root_);
  }
  std::string P(const std::string& name) { return JoinPath(root_, name); }

  std::unique_ptr<FileSystem> fs_;
  std::string root_;
};

TEST_P(FileSystemContract, WriteReadSizeTruncate) {
  auto f = fs_->Open(P("a"), OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Write(0, "hello").ok());
  ASSERT_TRUE((*f)->Write(8, "world").ok());  // leaves a hole of zeros
  EXPECT_EQ(*(*f)->Size(), 13u);
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(ReadFile(fs_.get(), P("a")), std::string("hello\0\0\0world", 13));
  char buf[8];
  auto n = (*f)->Read(10, sizeof(buf), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);  // short read at end of file
  EXPECT_EQ(std::string(buf, 3), "rld");
  ASSERT_TRUE((*f)->Truncate(4).ok());
  EXPECT_EQ(*fs_->FileSize(P("a")), 4u);
  EXPECT_EQ(ReadFile(fs_.get(), P("a")), "hell");
}

TEST_P(FileSystemContract, PreallocateReadsZerosAndKeepsData) {
  auto f = fs_->Open(P("seg"), OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Write(0, "abc").ok());
  ASSERT_TRUE((*f)->Preallocate(4096).ok());
  EXPECT_EQ(*(*f)->Size(), 4096u);
  std::string all = ReadFile(fs_.get(), P("seg"));
  EXPECT_EQ(all.substr(0, 3), "abc");
  EXPECT_EQ(all.substr(3), std::string(4093, '\0'));
  ASSERT_TRUE((*f)->Preallocate(100).ok());  // never shrinks
  EXPECT_EQ(*(*f)->Size(), 4096u);
}

TEST_P(FileSystemContract, OpenModes) {
  EXPECT_EQ(fs_->Open(P("missing"), OpenMode::kReadOnly).status().code(), base::Code::kNotFound);
  EXPECT_EQ(fs_->Open(P("missing"), OpenMode::kReadWrite).status().code(), base::Code::kNotFound);
  ASSERT_TRUE(fs_->Open(P("x"), OpenMode::kCreateNew).ok());
  EXPECT_EQ(fs_->Open(P("x"), OpenMode::kCreateNew).status().code(),
            base::Code::kAlreadyExists);
  auto ro = fs_->Open(P("x"), OpenMode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  EXPECT_FALSE((*ro)->Write(0, "no").ok());
}

TEST_P(FileSystemContract, ListRenameRemove) {
  ASSERT_TRUE(fs_->Open(P("b"), OpenMode::kCreate).ok());
  ASSERT_TRUE(fs_->Open(P("a"), OpenMode::kCreate).ok());
  ASSERT_TRUE(fs_->CreateDir(P("sub/deeper")).ok());
  EXPECT_EQ(*fs_->List(root_), (std::vector<std::string>{"a", "b", "sub"}));
  ASSERT_TRUE(fs_->Rename(P("a"), P("c")).ok());
  EXPECT_FALSE(fs_->Exists(P("a")));
  EXPECT_TRUE(fs_->Exists(P("c")));
  ASSERT_TRUE(fs_->Remove(P("b")).ok());
  EXPECT_EQ(fs_->Remove(P("b")).code(), base::Code::kNotFound);
  ASSERT_TRUE(fs_->SyncDir(root_).ok());
  EXPECT_EQ(*fs_->List(root_), (std::vector<std::string>{"c", "sub"}));
  EXPECT_EQ(fs_->List(P("nope")).status().code(), base::Code::kNotFound);
}

TEST_P(FileSystemContract, AppendAndRemoveDir) {
  auto f = fs_->Open(P("log"), OpenMode::kCreate);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("ab").ok());
  ASSERT_TRUE((*f)->Append("cd").ok());
  EXPECT_EQ(ReadFile(fs_.get(), P("log")), "abcd");
  ASSERT_TRUE(fs_->CreateDir(P("d/e")).ok());
  EXPECT_FALSE(fs_->RemoveDir(P("d")).ok());  // not empty
  ASSERT_TRUE(fs_->RemoveDir(P("d/e")).ok());
  ASSERT_TRUE(fs_->RemoveDir(P("d")).ok());
  EXPECT_FALSE(fs_->Exists(P("d")));
  EXPECT_EQ(fs_->RemoveDir(P("d")).code(), base::Code::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Impls, FileSystemContract, ::testing::Values("posix", "mem"));

// --- MemFileSystem crash model ---

class MemCrash : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.CreateDir("/d").ok()); }
  std::unique_ptr<File> Create(const std::string& path) {
    auto f = fs_.Open(path, OpenMode::kCreate);
    EXPECT_TRUE(f.ok());
    return std::move(*f);
  }
  MemFileSystem fs_{42};
};

TEST_F(MemCrash, SyncedDataSurvivesUnsyncedIsDropped) {
  auto f = Create("/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Write(0, "durable").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Write(7, "-lost").ok());
  ASSERT_TRUE(f->Write(0, "X").ok());
  fs_.Crash({});
  EXPECT_EQ(*fs_.ReadAll("/d/f"), "durable");
  // Handles from before the crash are dead.
  EXPECT_EQ(f->Write(0, "x").code(), base::Code::kIoError);
  EXPECT_FALSE(f->Size().ok());
}

TEST_F(MemCrash, CreatedFileWithoutDirSyncVanishes) {
  auto f = Create("/d/new");
  ASSERT_TRUE(f->Write(0, "data").ok());
  ASSERT_TRUE(f->Sync().ok());  // data synced, but the name is not
  fs_.Crash({});
  EXPECT_FALSE(fs_.Exists("/d/new"));
}

TEST_F(MemCrash, RenameAndRemoveNeedDirSync) {
  auto f = Create("/d/a");
  ASSERT_TRUE(f->Write(0, "A").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Rename("/d/a", "/d/b").ok());
  fs_.Crash({});
  EXPECT_TRUE(fs_.Exists("/d/a"));
  EXPECT_FALSE(fs_.Exists("/d/b"));

  ASSERT_TRUE(fs_.Rename("/d/a", "/d/b").ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(fs_.Remove("/d/b").ok());
  fs_.Crash({});
  EXPECT_EQ(*fs_.ReadAll("/d/b"), "A");  // the remove was not durable
  ASSERT_TRUE(fs_.Remove("/d/b").ok());
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  fs_.Crash({});
  EXPECT_FALSE(fs_.Exists("/d/b"));
}

TEST_F(MemCrash, KeepPrefixAndTearAreRandomPrefixes) {
  bool saw_partial = false, saw_none = false, saw_torn = false;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/d").ok());
    auto f = fs.Open("/d/f", OpenMode::kCreate).value();
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    ASSERT_TRUE(f->Write(0, "base").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Write(4, "1111").ok());
    ASSERT_TRUE(f->Write(8, "2222").ok());
    ASSERT_TRUE(f->Write(12, "3333").ok());
    fs.Crash({.keep_unsynced_prefix = true, .tear = true});
    std::string got = *fs.ReadAll("/d/f");
    std::string full = "base111122223333";
    // Whatever survived is a prefix of the write sequence: base, then a prefix of the rest.
    ASSERT_GE(got.size(), 4u);
    EXPECT_EQ(got, full.substr(0, got.size())) << "seed " << seed;
    if (got.size() == 4) saw_none = true;
    if (got.size() > 4 && got.size() < 16) saw_partial = true;
    if (got.size() % 4 != 0) saw_torn = true;
  }
  EXPECT_TRUE(saw_none);
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE(saw_torn);
}

TEST_F(MemCrash, AnyOrderKeepsWholeSectorsIndependently) {
  bool saw_hole = false;
  for (uint64_t seed = 1; seed <= 32; ++seed) {
    MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir("/d").ok());
    auto f = fs.Open("/d/f", OpenMode::kCreate).value();
    ASSERT_TRUE(fs.SyncDir("/d").ok());
    std::string data(4096, 'a');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i / 512);
    ASSERT_TRUE(f->Write(0, data).ok());
    fs.Crash({.any_order = true});
    std::string got = *fs.ReadAll("/d/f");
    ASSERT_LE(got.size(), data.size());
    for (size_t s = 0; s < got.size(); s += 512) {
      std::string sector = got.substr(s, 512);
      bool kept = sector == data.substr(s, sector.size());
      bool lost = sector == std::string(sector.size(), '\0');
      EXPECT_TRUE(kept || lost) << "seed " << seed << " sector " << s / 512 << " is torn";
      if (lost && s + 512 < got.size()) saw_hole = true;
    }
  }
  EXPECT_TRUE(saw_hole);
}

TEST_F(MemCrash, CrashIsDeterministicForASeed) {
  auto run = [](uint64_t seed) {
    MemFileSystem fs(seed);
    EXPECT_TRUE(fs.CreateDir("/d").ok());
    auto f = fs.Open("/d/f", OpenMode::kCreate).value();
    EXPECT_TRUE(fs.SyncDir("/d").ok());
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(f->Write(i * 3, "abc").ok());
    fs.Crash({.keep_unsynced_prefix = true, .tear = true});
    return *fs.ReadAll("/d/f");
  };
  EXPECT_EQ(run(5), run(5));
}

TEST_F(MemCrash, FaultInjection) {
  auto f = Create("/d/f");
  fs_.FailNextWrites(1);
  EXPECT_EQ(f->Write(0, "x").code(), base::Code::kIoError);
  EXPECT_TRUE(f->Write(0, "y").ok());
  fs_.FailNextSyncs(2);
  EXPECT_EQ(f->Sync().code(), base::Code::kIoError);
  EXPECT_EQ(fs_.SyncDir("/d").code(), base::Code::kIoError);
  uint64_t before = fs_.sync_count();
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_EQ(fs_.sync_count(), before + 1);
}

TEST_F(MemCrash, FailedSyncDoesNotMakeDataDurable) {
  auto f = Create("/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Write(0, "x").ok());
  fs_.FailNextSyncs(1);
  EXPECT_FALSE(f->Sync().ok());
  fs_.Crash({});
  EXPECT_EQ(*fs_.ReadAll("/d/f"), "");
}

TEST_F(MemCrash, PreallocatedSpaceIsZerosAndSurvivesSync) {
  auto f = Create("/d/seg");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Preallocate(64ull << 30).ok());  // 64 GiB: must not be materialised
  ASSERT_TRUE(f->Write(100, "x").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Write(200, "y").ok());
  fs_.Crash({});
  auto g = fs_.Open("/d/seg", OpenMode::kReadOnly).value();
  EXPECT_EQ(*g->Size(), 64ull << 30);
  char buf[4] = {1, 1, 1, 1};
  ASSERT_EQ(*g->Read(99, 3, buf), 3u);
  EXPECT_EQ(std::string(buf, 3), std::string("\0x\0", 3));
  ASSERT_EQ(*g->Read(199, 3, buf), 3u);
  EXPECT_EQ(std::string(buf, 3), std::string(3, '\0'));  // the unsynced write is gone
  ASSERT_EQ(*g->Read((64ull << 30) - 2, 4, buf), 2u);
}

TEST_F(MemCrash, CorruptByteHitsDurableImage) {
  auto f = Create("/d/f");
  ASSERT_TRUE(fs_.SyncDir("/d").ok());
  ASSERT_TRUE(f->Write(0, "abc").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(fs_.CorruptByte("/d/f", 1).ok());
  fs_.Crash({});
  std::string got = *fs_.ReadAll("/d/f");
  EXPECT_EQ(got[0], 'a');
  EXPECT_EQ(got[1], static_cast<char>(~'b'));
}

}  // namespace
}  // namespace fs
