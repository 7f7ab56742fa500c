// fs/posix_file_system.h — FileSystem on the real disk (open/pwrite/pread/fdatasync/fallocate).
// Thread-safety: thread-safe (stateless; every call is a syscall on its own fd).
#pragma once

#include "fs/file_system.h"

namespace fs {

class PosixFileSystem : public FileSystem {
 public:
  base::Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  base::Status CreateDir(const std::string& path) override;
  base::Status SyncDir(const std::string& path) override;
  base::Status Rename(const std::string& from, const std::string& to) override;
  base::Status Remove(const std::string& path) override;
  base::Status RemoveDir(const std::string& path) override;
  base::Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  base::Result<uint64_t> FileSize(const std::string& path) override;
};

}  // namespace fs
