#include "fs/posix_file_system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace fs {
namespace {

base::Status Errno(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what + " " + path + ": " + std::strerror(e);
  if (e == ENOENT) return base::NotFound(msg);
  if (e == EEXIST) return base::Status(base::Code::kAlreadyExists, msg);
  return base::IoError(msg);
}

class PosixFile : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  base::Status Write(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("pwrite", path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return base::Status::Ok();
  }

  base::Result<size_t> Read(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("pread", path_);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  base::Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("fdatasync", path_);
    return base::Status::Ok();
  }

  base::Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Errno("fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

  base::Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return Errno("ftruncate", path_);
    return base::Status::Ok();
  }

  base::Status Preallocate(uint64_t size) override {
    int rc = ::fallocate(fd_, 0, 0, static_cast<off_t>(size));
    if (rc == 0) return base::Status::Ok();
    if (errno != EOPNOTSUPP) return Errno("fallocate", path_);
    // Not supported by this file system (e.g. some tmpfs versions): fall back.
    rc = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (rc != 0) {
      errno = rc;
      return Errno("posix_fallocate", path_);
    }
    return base::Status::Ok();
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

base::Result<std::unique_ptr<File>> PosixFileSystem::Open(const std::string& path,
                                                          OpenMode mode) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kReadOnly: flags |= O_RDONLY; break;
    case OpenMode::kReadWrite: flags |= O_RDWR; break;
    case OpenMode::kCreate: flags |= O_RDWR | O_CREAT; break;
    case OpenMode::kCreateNew: flags |= O_RDWR | O_CREAT | O_EXCL; break;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Errno("open", path);
  return std::unique_ptr<File>(new PosixFile(fd, path));
}

base::Status PosixFileSystem::CreateDir(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", prefix);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Errno("stat", path);
  if (!S_ISDIR(st.st_mode)) return base::IoError("not a directory: " + path);
  return base::Status::Ok();
}

base::Status PosixFileSystem::SyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open dir", path);
  int rc = ::fsync(fd);
  base::Status st = rc == 0 ? base::Status::Ok() : Errno("fsync dir", path);
  ::close(fd);
  return st;
}

base::Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename", from + " -> " + to);
  return base::Status::Ok();
}

base::Status PosixFileSystem::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return Errno("unlink", path);
  return base::Status::Ok();
}

base::Status PosixFileSystem::RemoveDir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return Errno("rmdir", path);
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> PosixFileSystem::List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno("opendir", dir);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixFileSystem::Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

base::Result<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Errno("stat", path);
  return static_cast<uint64_t>(st.st_size);
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

}  // namespace fs
