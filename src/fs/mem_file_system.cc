#include "fs/mem_file_system.h"

#include <algorithm>
#include <cstring>

namespace fs {

// A file's contents: `size` bytes, of which those past bytes.size() are zeros (so preallocating
// a large segment costs no memory).
struct Image {
  std::string bytes;
  uint64_t size = 0;

  std::string Materialize() const {
    std::string out = bytes;
    out.resize(size, '\0');
    return out;
  }
};

// One file: the durable image plus the unsynced changes made to the current one since.
struct MemFileSystem::Inode {
  struct Change {
    bool is_write;       // write `bytes` at `offset`; otherwise set the size to `offset`
    uint64_t offset;
    std::string bytes;
  };
  Image data;    // current contents
  Image synced;  // durable contents
  std::vector<Change> unsynced;

  static void Apply(const Change& c, Image* img) {
    if (!c.is_write) {
      img->size = c.offset;
      if (img->bytes.size() > c.offset) img->bytes.resize(c.offset);
      return;
    }
    uint64_t end = c.offset + c.bytes.size();
    if (img->bytes.size() < end) img->bytes.resize(end, '\0');
    std::memcpy(img->bytes.data() + c.offset, c.bytes.data(), c.bytes.size());
    img->size = std::max(img->size, end);
  }
  void Record(Change c) {
    Apply(c, &data);
    unsynced.push_back(std::move(c));
  }
  void Sync() {
    for (const Change& c : unsynced) Apply(c, &synced);
    unsynced.clear();
  }
};

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

class MemFile : public File {
 public:
  MemFile(MemFileSystem* fs, std::shared_ptr<MemFileSystem::Inode> inode, uint64_t epoch,
          bool writable)
      : fs_(fs), inode_(std::move(inode)), epoch_(epoch), writable_(writable) {}

  base::Status Write(uint64_t offset, std::string_view data) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    RQ_RETURN_IF_ERROR(CheckWritable());
    if (fs_->ConsumeFault(&fs_->fail_writes_)) return base::IoError("injected write error");
    inode_->Record({true, offset, std::string(data)});
    return base::Status::Ok();
  }

  base::Result<size_t> Read(uint64_t offset, size_t n, char* out) const override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    if (epoch_ != fs_->epoch_) return base::IoError("stale file handle (file system crashed)");
    const Image& d = inode_->data;
    if (offset >= d.size) return size_t{0};
    size_t k = std::min<uint64_t>(n, d.size - offset);
    size_t from_bytes =
        offset >= d.bytes.size() ? 0 : std::min<uint64_t>(k, d.bytes.size() - offset);
    std::memcpy(out, d.bytes.data() + offset, from_bytes);
    std::memset(out + from_bytes, 0, k - from_bytes);
    return k;
  }

  base::Status Sync() override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    if (epoch_ != fs_->epoch_) return base::IoError("stale file handle (file system crashed)");
    if (fs_->ConsumeFault(&fs_->fail_syncs_)) return base::IoError("injected fdatasync error");
    inode_->Sync();
    ++fs_->sync_count_;
    return base::Status::Ok();
  }

  base::Result<uint64_t> Size() const override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    if (epoch_ != fs_->epoch_) return base::IoError("stale file handle (file system crashed)");
    return inode_->data.size;
  }

  base::Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    RQ_RETURN_IF_ERROR(CheckWritable());
    if (fs_->ConsumeFault(&fs_->fail_writes_)) return base::IoError("injected truncate error");
    inode_->Record({false, size, {}});
    return base::Status::Ok();
  }

  base::Status Preallocate(uint64_t size) override {
    std::lock_guard<std::mutex> l(fs_->mu_);
    RQ_RETURN_IF_ERROR(CheckWritable());
    if (fs_->ConsumeFault(&fs_->fail_writes_)) return base::IoError("injected fallocate error");
    if (size > inode_->data.size) inode_->Record({false, size, {}});
    return base::Status::Ok();
  }

 private:
  base::Status CheckWritable() const {
    if (epoch_ != fs_->epoch_) return base::IoError("stale file handle (file system crashed)");
    if (!writable_) return base::IoError("file opened read-only");
    return base::Status::Ok();
  }

  MemFileSystem* fs_;
  std::shared_ptr<MemFileSystem::Inode> inode_;
  uint64_t epoch_;
  bool writable_;
};

MemFileSystem::MemFileSystem(uint64_t seed) : rng_(seed) { dirs_.insert("/"); }
MemFileSystem::~MemFileSystem() = default;

bool MemFileSystem::ConsumeFault(int* counter) {
  if (*counter <= 0) return false;
  --*counter;
  return true;
}

base::Result<std::unique_ptr<File>> MemFileSystem::Open(const std::string& raw_path,
                                                        OpenMode mode) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  bool exists = it != files_.end();
  if (mode == OpenMode::kCreateNew && exists) {
    return base::Status(base::Code::kAlreadyExists, "open " + path + ": file exists");
  }
  if (!exists) {
    if (mode == OpenMode::kReadOnly || mode == OpenMode::kReadWrite) {
      return base::NotFound("open " + path + ": no such file");
    }
    if (dirs_.count(Parent(path)) == 0) {
      return base::NotFound("open " + path + ": no such directory");
    }
    if (dirs_.count(path) != 0) return base::IoError("open " + path + ": is a directory");
    auto inode = std::make_shared<Inode>();
    files_[path] = inode;
    dir_ops_.push_back({DirOp::kCreate, path, {}, inode});
    it = files_.find(path);
  }
  bool writable = mode != OpenMode::kReadOnly;
  return std::unique_ptr<File>(new MemFile(this, it->second, epoch_, writable));
}

base::Status MemFileSystem::CreateDir(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (files_.count(prefix) != 0) return base::IoError("mkdir " + prefix + ": is a file");
    dirs_.insert(prefix);
  }
  return base::Status::Ok();
}

base::Status MemFileSystem::SyncDir(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  if (dirs_.count(path) == 0) return base::NotFound("fsync dir " + path + ": no such directory");
  if (ConsumeFault(&fail_syncs_)) return base::IoError("injected fsync(dir) error");
  // Like a journal commit: every operation up to the last one touching `path` becomes durable.
  size_t last = 0;
  for (size_t i = 0; i < dir_ops_.size(); ++i) {
    const DirOp& op = dir_ops_[i];
    if (Parent(op.path) == path || (op.kind == DirOp::kRename && Parent(op.to) == path)) {
      last = i + 1;
    }
  }
  for (size_t i = 0; i < last; ++i) ApplyDirOp(dir_ops_[i], &durable_files_);
  dir_ops_.erase(dir_ops_.begin(), dir_ops_.begin() + static_cast<ptrdiff_t>(last));
  return base::Status::Ok();
}

void MemFileSystem::ApplyDirOp(const DirOp& op, Namespace* ns) {
  switch (op.kind) {
    case DirOp::kCreate: (*ns)[op.path] = op.inode; break;
    case DirOp::kRemove: ns->erase(op.path); break;
    case DirOp::kRename:
      ns->erase(op.path);
      (*ns)[op.to] = op.inode;
      break;
  }
}

base::Status MemFileSystem::Rename(const std::string& raw_from, const std::string& raw_to) {
  std::string from = Normalize(raw_from), to = Normalize(raw_to);
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return base::NotFound("rename " + from + ": no such file");
  if (dirs_.count(Parent(to)) == 0) return base::NotFound("rename to " + to + ": no such dir");
  auto inode = it->second;
  files_.erase(it);
  files_[to] = inode;
  dir_ops_.push_back({DirOp::kRename, from, to, inode});
  return base::Status::Ok();
}

base::Status MemFileSystem::Remove(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return base::NotFound("unlink " + path + ": no such file");
  dir_ops_.push_back({DirOp::kRemove, path, {}, it->second});
  files_.erase(it);
  return base::Status::Ok();
}

base::Status MemFileSystem::RemoveDir(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  if (dirs_.count(path) == 0) return base::NotFound("rmdir " + path + ": no such directory");
  for (const auto& [p, inode] : files_) {
    if (Parent(p) == path) return base::IoError("rmdir " + path + ": directory not empty");
  }
  for (const auto& d : dirs_) {
    if (d != path && Parent(d) == path) {
      return base::IoError("rmdir " + path + ": directory not empty");
    }
  }
  dirs_.erase(path);
  return base::Status::Ok();
}

base::Result<std::vector<std::string>> MemFileSystem::List(const std::string& raw_dir) {
  std::string dir = Normalize(raw_dir);
  std::lock_guard<std::mutex> l(mu_);
  if (dirs_.count(dir) == 0) return base::NotFound("opendir " + dir + ": no such directory");
  std::vector<std::string> names;
  auto add = [&](const std::string& p) {
    if (p != dir && Parent(p) == dir) names.push_back(p.substr(p.rfind('/') + 1));
  };
  for (const auto& [p, inode] : files_) add(p);
  for (const auto& p : dirs_) add(p);
  std::sort(names.begin(), names.end());
  return names;
}

bool MemFileSystem::Exists(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  return files_.count(path) != 0 || dirs_.count(path) != 0;
}

base::Result<uint64_t> MemFileSystem::FileSize(const std::string& raw_path) {
  std::string path = Normalize(raw_path);
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return base::NotFound("stat " + path + ": no such file");
  return it->second->data.size;
}

void MemFileSystem::Crash(const CrashOptions& options) {
  std::lock_guard<std::mutex> l(mu_);
  size_t keep_ops = options.keep_dir_ops_prefix ? rng_.Uniform(dir_ops_.size() + 1) : 0;
  for (size_t i = 0; i < keep_ops; ++i) ApplyDirOp(dir_ops_[i], &durable_files_);
  dir_ops_.clear();
  files_ = durable_files_;
  for (auto& [path, inode] : files_) {
    Image img = inode->synced;
    size_t n = inode->unsynced.size();
    if (options.any_order) {
      // Each sector ends up as it was after some prefix of the writes that touched it (a sector
      // is written back whole, with whatever the page held then): pick that prefix per sector.
      constexpr uint64_t kSector = 512;
      std::map<uint64_t, size_t> cut;  // sector -> number of changes whose pieces land
      for (size_t i = 0; i < n; ++i) {
        const Inode::Change& c = inode->unsynced[i];
        if (!c.is_write) {
          Inode::Apply(c, &img);
          continue;
        }
        for (uint64_t pos = c.offset; pos < c.offset + c.bytes.size();) {
          uint64_t sector = pos / kSector;
          uint64_t next = std::min<uint64_t>((sector + 1) * kSector, c.offset + c.bytes.size());
          auto it = cut.find(sector);
          if (it == cut.end()) it = cut.emplace(sector, rng_.Uniform(n + 1)).first;
          if (i < it->second) {
            Inode::Apply({true, pos, c.bytes.substr(pos - c.offset, next - pos)}, &img);
          } else if (img.size < next) {
            img.size = next;  // the file's size landed, the sector did not: zeros
          }
          pos = next;
        }
      }
      n = 0;
    }
    size_t keep = options.keep_unsynced_prefix ? rng_.Uniform(n + 1) : 0;
    for (size_t i = 0; i < keep; ++i) Inode::Apply(inode->unsynced[i], &img);
    if (options.tear && keep < n && inode->unsynced[keep].is_write) {
      Inode::Change torn = inode->unsynced[keep];
      torn.bytes.resize(rng_.Uniform(torn.bytes.size() + 1));
      Inode::Apply(torn, &img);
    }
    inode->data = img;
    inode->synced = img;
    inode->unsynced.clear();
  }
  ++epoch_;
}

void MemFileSystem::FailNextSyncs(int n) {
  std::lock_guard<std::mutex> l(mu_);
  fail_syncs_ = n;
}

void MemFileSystem::FailNextWrites(int n) {
  std::lock_guard<std::mutex> l(mu_);
  fail_writes_ = n;
}

base::Status MemFileSystem::CorruptByte(const std::string& path, uint64_t offset) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(Normalize(path));
  if (it == files_.end()) return base::NotFound("corrupt " + path + ": no such file");
  Inode& inode = *it->second;
  if (offset >= inode.data.size) return base::InvalidArgument("corrupt: offset past the end");
  for (Image* img : {&inode.data, &inode.synced}) {
    if (offset >= img->size) continue;
    if (img->bytes.size() <= offset) img->bytes.resize(offset + 1, '\0');
    img->bytes[offset] = static_cast<char>(~img->bytes[offset]);
  }
  return base::Status::Ok();
}

base::Result<std::string> MemFileSystem::ReadAll(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(Normalize(path));
  if (it == files_.end()) return base::NotFound("read " + path + ": no such file");
  return it->second->data.Materialize();
}

uint64_t MemFileSystem::sync_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return sync_count_;
}

}  // namespace fs
