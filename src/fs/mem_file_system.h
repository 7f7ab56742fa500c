// fs/mem_file_system.h — an in-memory FileSystem that can crash, for tests and the simulator.
//
// Model: every file (inode) keeps its durable image (as of its last successful Sync) and the
// ordered list of writes/size changes made since. Every create/rename/remove is an unsynced
// directory operation until SyncDir() on the parent directory (which, like a journalling file
// system, also makes every EARLIER directory operation durable). Directories themselves are
// durable as soon as CreateDir returns (a simplification).
//
// Crash(options) simulates power loss: the namespace falls back to its durable state (or keeps a
// random prefix of the unsynced directory operations), and each surviving file falls back to its
// durable image, optionally keeping a random prefix of its unsynced writes and tearing the next
// one (a random prefix of its bytes lands). Randomness comes from a base::Random seeded in the
// constructor, so a crash is replayable. Files opened before a crash return kIoError afterwards.
//
// Fault injection: FailNextSyncs(n) / FailNextWrites(n) make the next n Sync/SyncDir or
// Write/Truncate/Preallocate calls return kIoError without effect.
// Thread-safety: thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/random.h"
#include "fs/file_system.h"

namespace fs {

struct CrashOptions {
  // Keep a random prefix of each file's unsynced writes (otherwise all are dropped).
  bool keep_unsynced_prefix = false;
  // Also let a random prefix of the bytes of the first dropped write land (a torn write).
  bool tear = false;
  // Keep a random prefix of the unsynced directory operations (otherwise all are dropped).
  bool keep_dir_ops_prefix = false;
  // Unsynced writes reach the disk in any order, sector by sector: each 512-byte sector ends up
  // as it was after a random prefix of the unsynced writes touching it (sectors are atomic);
  // size changes land. Overrides keep_unsynced_prefix and tear.
  bool any_order = false;
};

class MemFileSystem : public FileSystem {
 public:
  explicit MemFileSystem(uint64_t seed = 1);
  ~MemFileSystem() override;

  base::Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  base::Status CreateDir(const std::string& path) override;
  base::Status SyncDir(const std::string& path) override;
  base::Status Rename(const std::string& from, const std::string& to) override;
  base::Status Remove(const std::string& path) override;
  // Durable immediately, like CreateDir.
  base::Status RemoveDir(const std::string& path) override;
  base::Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  base::Result<uint64_t> FileSize(const std::string& path) override;

  // Simulated power loss (see the file comment).
  void Crash(const CrashOptions& options);
  void FailNextSyncs(int n);
  void FailNextWrites(int n);

  // --- test helpers ---
  // Flips every bit of the byte at `offset` in both the durable and the current image (media
  // corruption). REQUIRES: the file exists and offset < its size.
  base::Status CorruptByte(const std::string& path, uint64_t offset);
  // The current contents of a file.
  base::Result<std::string> ReadAll(const std::string& path);
  // Successful File::Sync calls so far.
  uint64_t sync_count() const;

  struct Inode;

 private:
  friend class MemFile;
  struct DirOp {
    enum Kind { kCreate, kRemove, kRename } kind;
    std::string path;
    std::string to;
    std::shared_ptr<Inode> inode;
  };
  using Namespace = std::map<std::string, std::shared_ptr<Inode>>;

  static void ApplyDirOp(const DirOp& op, Namespace* ns);
  bool ConsumeFault(int* counter);

  mutable std::mutex mu_;
  base::Random rng_;
  uint64_t epoch_ = 0;  // bumped by Crash; stale handles fail
  int fail_syncs_ = 0;
  int fail_writes_ = 0;
  uint64_t sync_count_ = 0;
  std::set<std::string> dirs_;
  Namespace files_;          // current view
  Namespace durable_files_;  // as of the last SyncDir of each op's directory
  std::vector<DirOp> dir_ops_;  // unsynced, in order
};

}  // namespace fs
