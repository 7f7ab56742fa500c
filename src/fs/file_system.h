// fs/file_system.h — the file-system seam: every durable byte the node writes goes through a
// FileSystem, so tests and the simulator can swap the real disk (PosixFileSystem) for an
// in-memory one that loses unsynced data on a simulated crash (MemFileSystem).
//
// Semantics are POSIX's, pessimistically: data written to a File is durable only after
// File::Sync() (fdatasync) returns OK; a newly created, renamed or removed directory entry is
// durable only after SyncDir() on its parent directory. A failed Sync must be treated as fatal
// by the caller (the kernel may have dropped the dirty pages): never retry it.
//
// Paths are plain strings joined with '/'. Ownership: Open returns a File the caller owns; a
// File must not outlive its FileSystem.
// Thread-safety: a FileSystem is thread-safe. A File may be used by one thread at a time, except
// that Read may run concurrently with Read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace fs {

enum class OpenMode {
  kReadOnly,   // must exist
  kReadWrite,  // must exist
  kCreate,     // read-write; created (empty) if missing
  kCreateNew,  // read-write; fails with kAlreadyExists if it exists
};

class File {
 public:
  virtual ~File() = default;
  // Writes all of `data` at `offset` (pwrite); the file grows if needed (holes read as zeros).
  virtual base::Status Write(uint64_t offset, std::string_view data) = 0;
  // Writes `data` at the current end of the file.
  base::Status Append(std::string_view data) {
    RQ_ASSIGN_OR_RETURN(uint64_t size, Size());
    return Write(size, data);
  }
  // Reads up to `n` bytes at `offset` into `out`; returns the count, smaller only at end of file.
  virtual base::Result<size_t> Read(uint64_t offset, size_t n, char* out) const = 0;
  // fdatasync: makes the data (and the size) durable. A failure is fatal for the caller.
  virtual base::Status Sync() = 0;
  virtual base::Result<uint64_t> Size() const = 0;
  virtual base::Status Truncate(uint64_t size) = 0;
  // Allocates space so the file is at least `size` bytes (new bytes read as zeros), like
  // fallocate(fd, 0, 0, size). Durable after Sync().
  virtual base::Status Preallocate(uint64_t size) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual base::Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Creates the directory and any missing parents (mkdir -p). OK if it exists.
  virtual base::Status CreateDir(const std::string& path) = 0;
  // fsync on the directory: makes its entries (create/rename/remove) durable.
  virtual base::Status SyncDir(const std::string& path) = 0;
  virtual base::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual base::Status Remove(const std::string& path) = 0;  // a file
  virtual base::Status RemoveDir(const std::string& path) = 0;  // an empty directory
  // Names (not paths) of the entries in `dir`, sorted, without "." and "..".
  virtual base::Result<std::vector<std::string>> List(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual base::Result<uint64_t> FileSize(const std::string& path) = 0;
};

// "a" + "/" + "b", without doubling a trailing slash.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace fs
