// snapshot/snapshot_store.cc — see snapshot_store.h; format: docs/formats/snapshot.md.
#include "snapshot/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "base/crc32c.h"
#include "base/log.h"
#include "sqlite/conn.h"

namespace snapshot {
namespace {

constexpr char kMagic[8] = {'R', 'Q', 'S', 'N', 'A', 'P', '0', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kChunk = 1 << 20;
constexpr uint32_t kMaxIds = 1 << 16;

void PutU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

struct Reader {
  std::string_view b;
  size_t pos = 0;
  bool ok = true;
  uint64_t Get(int n) {
    if (pos + n > b.size()) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(b[pos + i])} << (8 * i);
    pos += n;
    return v;
  }
  void Ids(std::vector<uint64_t>* out) {
    uint32_t n = static_cast<uint32_t>(Get(4));
    if (n > kMaxIds) ok = false;
    for (uint32_t i = 0; ok && i < n; ++i) out->push_back(Get(8));
  }
};

base::Status Errno(const std::string& what, const std::string& path) {
  return base::IoError(what + " " + path + ": " + std::strerror(errno));
}

base::Status FsyncPath(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return base::Status::Ok();
}

base::Status WriteFile(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      base::Status st = Errno("write", path);
      ::close(fd);
      return st;
    }
    off += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return base::Status::Ok();
}

base::Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return base::NotFound("no " + path);
    return Errno("open", path);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      base::Status st = Errno("read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (8u << 20)) break;  // far beyond any valid meta: DecodeMeta refuses it
  }
  ::close(fd);
  return out;
}

// "snap-<20 digits>.meta" → index.
bool ParseMetaName(const char* name, uint64_t* index) {
  size_t len = std::strlen(name);
  if (len != 5 + 20 + 5 || std::strncmp(name, "snap-", 5) != 0 ||
      std::strcmp(name + 25, ".meta") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (int i = 5; i < 25; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *index = v;
  return true;
}

}  // namespace

std::string EncodeMeta(const Meta& m) {
  std::string s(kMagic, sizeof kMagic);
  PutU32(&s, kVersion);
  PutU64(&s, m.index);
  PutU64(&s, m.term);
  PutU32(&s, static_cast<uint32_t>(m.voters.size()));
  for (uint64_t id : m.voters) PutU64(&s, id);
  PutU32(&s, static_cast<uint32_t>(m.learners.size()));
  for (uint64_t id : m.learners) PutU64(&s, id);
  PutU64(&s, m.size);
  PutU32(&s, m.crc);
  PutU32(&s, base::Crc32c(s));
  return s;
}

base::Result<Meta> DecodeMeta(std::string_view bytes) {
  if (bytes.size() < sizeof kMagic + 4 + 4 ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return base::Corruption("snapshot meta: bad magic or too short");
  }
  const size_t body = bytes.size() - 4;
  Reader crc_r{bytes.substr(body)};
  if (static_cast<uint32_t>(crc_r.Get(4)) != base::Crc32c(bytes.substr(0, body))) {
    return base::Corruption("snapshot meta: CRC mismatch");
  }
  Reader r{bytes.substr(0, body), sizeof kMagic};
  if (r.Get(4) != kVersion) return base::Corruption("snapshot meta: unknown version");
  Meta m;
  m.index = r.Get(8);
  m.term = r.Get(8);
  r.Ids(&m.voters);
  r.Ids(&m.learners);
  m.size = r.Get(8);
  m.crc = static_cast<uint32_t>(r.Get(4));
  if (!r.ok || r.pos != body) return base::Corruption("snapshot meta: malformed");
  return m;
}

base::Status ChecksumFile(const std::string& path, uint64_t* size, uint32_t* crc) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? base::NotFound("no " + path) : Errno("open", path);
  std::string buf(kChunk, '\0');
  uint32_t c = 0;
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      base::Status st = Errno("read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    c = base::Crc32cExtend(c, buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  ::close(fd);
  *size = total;
  *crc = c;
  return base::Status::Ok();
}

base::Result<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", dir);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno("opendir", dir);
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    auto ends = [&](const char* suf) {
      size_t n = std::strlen(suf);
      return name.size() > n && name.compare(name.size() - n, n, suf) == 0;
    };
    if (ends(".tmp")) stale.push_back(name);
    // An image whose .meta is missing is the leftover of an interrupted publish.
    if (ends(".db") && name.size() == 5 + 20 + 3) {
      struct stat st;
      std::string meta = dir + "/" + name.substr(0, name.size() - 3) + ".meta";
      if (::stat(meta.c_str(), &st) != 0) stale.push_back(name);
    }
  }
  ::closedir(d);
  for (const auto& t : stale) ::unlink((dir + "/" + t).c_str());
  return std::unique_ptr<SnapshotStore>(new SnapshotStore(dir));
}

std::string SnapshotStore::ImagePath(uint64_t index) const {
  char name[64];
  std::snprintf(name, sizeof name, "/snap-%020" PRIu64 ".db", index);
  return dir_ + name;
}

std::string SnapshotStore::MetaPath(uint64_t index) const {
  char name[64];
  std::snprintf(name, sizeof name, "/snap-%020" PRIu64 ".meta", index);
  return dir_ + name;
}

std::string SnapshotStore::TempPath(const std::string& tag) {
  std::lock_guard<std::mutex> lock(mu_);
  return dir_ + "/" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(temp_seq_++) +
         ".tmp";
}

base::Result<Meta> SnapshotStore::Create(
    const std::string& db_path,
    const std::function<base::Result<uint64_t>(sqlite::Conn&)>& index_of) {
  const std::string tmp = TempPath("create");
  auto fail = [&](base::Status st) {
    ::unlink(tmp.c_str());
    return st;
  };
  {
    auto src = sqlite::Conn::Open(db_path, {.read_only = true, .query_only = false});
    if (!src.ok()) return fail(src.status());
    std::string quoted;
    for (char ch : tmp) {
      quoted.push_back(ch);
      if (ch == '\'') quoted.push_back('\'');
    }
    base::Status st = (*src)->Exec("VACUUM INTO '" + quoted + "'");
    if (!st.ok()) return fail(st);
  }
  Meta meta;
  {
    auto img = sqlite::Conn::Open(tmp, {.read_only = true, .query_only = false});
    if (!img.ok()) return fail(img.status());
    auto index = index_of(**img);
    if (!index.ok()) return fail(index.status());
    meta.index = *index;
  }
  if (base::Status st = FsyncPath(tmp, false); !st.ok()) return fail(st);
  if (base::Status st = ChecksumFile(tmp, &meta.size, &meta.crc); !st.ok()) return fail(st);
  if (base::Status st = Publish(tmp, meta); !st.ok()) return fail(st);
  return meta;
}

base::Status SnapshotStore::Import(const std::string& path, const Meta& meta, bool verify) {
  if (verify) {
    uint64_t size = 0;
    uint32_t crc = 0;
    RQ_RETURN_IF_ERROR(ChecksumFile(path, &size, &crc));
    if (size != meta.size || crc != meta.crc) {
      return base::Corruption("snapshot image " + path + ": size/CRC mismatch");
    }
  }
  RQ_RETURN_IF_ERROR(FsyncPath(path, false));
  return Publish(path, meta);
}

// Moves the image into place, then writes the .meta (the commit point), then fsyncs the dir.
base::Status SnapshotStore::Publish(const std::string& tmp_image, const Meta& meta) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string meta_path = MetaPath(meta.index);
  ::unlink(meta_path.c_str());  // an older snapshot at the same index stops existing first
  if (::rename(tmp_image.c_str(), ImagePath(meta.index).c_str()) != 0) {
    return Errno("rename", tmp_image);
  }
  const std::string tmp_meta = meta_path + ".tmp";
  RQ_RETURN_IF_ERROR(WriteFile(tmp_meta, EncodeMeta(meta)));
  if (::rename(tmp_meta.c_str(), meta_path.c_str()) != 0) return Errno("rename", tmp_meta);
  return FsyncPath(dir_, true);
}

std::vector<Meta> SnapshotStore::List() const {
  std::vector<Meta> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return out;
  std::vector<uint64_t> indexes;
  while (dirent* e = ::readdir(d)) {
    uint64_t index = 0;
    if (ParseMetaName(e->d_name, &index)) indexes.push_back(index);
  }
  ::closedir(d);
  std::sort(indexes.begin(), indexes.end());
  for (uint64_t index : indexes) {
    auto bytes = ReadSmallFile(MetaPath(index));
    if (!bytes.ok()) continue;
    auto m = DecodeMeta(*bytes);
    if (!m.ok() || m->index != index) {
      LOG(kWarn, "snapshot") << "skipping " << MetaPath(index) << ": "
                             << (m.ok() ? "index mismatch" : m.status().ToString());
      continue;
    }
    out.push_back(std::move(*m));
  }
  return out;
}

base::Result<Meta> SnapshotStore::Latest() const {
  std::vector<Meta> all = List();
  if (all.empty()) return base::NotFound("no snapshot in " + dir_);
  return all.back();
}

base::Status SnapshotStore::Verify(uint64_t index) const {
  auto bytes = ReadSmallFile(MetaPath(index));
  if (!bytes.ok()) return bytes.status();
  RQ_ASSIGN_OR_RETURN(Meta m, DecodeMeta(*bytes));
  uint64_t size = 0;
  uint32_t crc = 0;
  RQ_RETURN_IF_ERROR(ChecksumFile(ImagePath(index), &size, &crc));
  if (size != m.size || crc != m.crc) {
    return base::Corruption("snapshot " + std::to_string(index) + ": image size/CRC mismatch");
  }
  return base::Status::Ok();
}

base::Result<Meta> SnapshotStore::LatestVerified() const {
  std::vector<Meta> all = List();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    base::Status st = Verify(it->index);
    if (st.ok()) return *it;
    LOG(kWarn, "snapshot") << "snapshot " << it->index << " refused: " << st.ToString();
  }
  return base::NotFound("no verified snapshot in " + dir_);
}

int SnapshotStore::Reap(int keep) {
  std::vector<Meta> all = List();
  int reaped = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i + static_cast<size_t>(std::max(keep, 0)) < all.size(); ++i) {
    ::unlink(MetaPath(all[i].index).c_str());  // the snapshot stops existing here
    ::unlink(ImagePath(all[i].index).c_str());
    reaped++;
  }
  if (reaped > 0) FsyncPath(dir_, true).IgnoreError();
  return reaped;
}

}  // namespace snapshot
