// store/snapshot.cc — the store's half of snapshots (src/snapshot/DESIGN.md): images of the
// state-machine database in <dir>/snapshots, the replica's snapshot hooks (LatestImage,
// AdoptImage, RestoreImage), log compaction behind images, and start-up repair (a missing or
// damaged database file is rebuilt from the newest verified image + the log).
//
// Threads: images are made on StoreDeps::released_reads (a real pool; VACUUM INTO from a read
// connection: the writer keeps applying); LatestImage/AdoptImage run on the raft executor; RestoreImage on the
// apply executor; OpenSnapshots/ReconcileWithLog on the opening thread inside Init.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/check.h"
#include "base/log.h"
#include "snapshot/snapshot_store.h"
#include "store/store_impl.h"

namespace store {
namespace {

constexpr int kKeepSnapshots = 2;
// Automatic images are made at most this often, and at most 1/kImageCostShare of the time
// (each one copies the whole database: a 1 s image waits 10 s for the next one).
constexpr int64_t kMinImageIntervalNs = 2'000'000'000;
constexpr int64_t kImageCostShare = 10;
// Databases up to this size get a full PRAGMA quick_check at start-up; larger ones only the
// header and size checks (a full check of a 2 GB file would delay every restart).
constexpr uint64_t kQuickCheckMaxBytes = 256ull << 20;

// Identity of the database file's current contents: size, mtime, inode. Recorded right after a
// checkpoint made the file complete and durable; SQLite then writes only the WAL until the next
// checkpoint, so an unchanged fingerprint at start-up means the file is as it was then.
std::string Fingerprint(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
}

void RecordFingerprint(const std::string& db, const std::string& file) {
  const std::string fp = Fingerprint(db);
  if (fp.empty()) return;
  const std::string tmp = file + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return;
  const bool ok = std::fputs(fp.c_str(), f) >= 0;
  if (std::fclose(f) == 0 && ok) std::rename(tmp.c_str(), file.c_str());
}

bool FingerprintMatches(const std::string& db, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) return false;
  char buf[128] = {0};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string fp = Fingerprint(db);
  return !fp.empty() && std::string(buf, n) == fp;
}

void RemoveDbFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

// Cheap integrity check of a database file that exists. Empty string = intact.
std::string CheckDatabaseFile(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return ec.message();
  if (size == 0) return "";  // created but never written: SQLite treats it as empty
  auto conn = sqlite::Conn::Open(path, {.read_only = true, .query_only = false});
  if (!conn.ok()) return conn.status().ToString();
  auto schema = (*conn)->QueryString("SELECT count(*) FROM sqlite_master");
  if (!schema.ok()) return schema.status().ToString();
  if (size <= kQuickCheckMaxBytes) {
    auto qc = (*conn)->QueryString("PRAGMA quick_check");
    if (!qc.ok()) return qc.status().ToString();
    if (*qc != "ok") return "quick_check: " + *qc;
  }
  return "";
}

}  // namespace

base::Status StoreImpl::OpenSnapshots() {
  RQ_ASSIGN_OR_RETURN(snapshots_, snapshot::SnapshotStore::Open(config_.dir + "/snapshots"));
  struct stat st;
  const bool exists = ::stat(db_path().c_str(), &st) == 0;
  const std::string fp_file = config_.dir + "/db.fingerprint";
  if (exists && FingerprintMatches(db_path(), fp_file)) {
    LOG(kInfo, "store") << "database file unchanged since its last checkpoint: reused as is";
    return base::Status::Ok();
  }
  std::string why = exists ? CheckDatabaseFile(db_path()) : "missing";
  if (why.empty()) return base::Status::Ok();  // intact: reuse it, replay only the log tail
  auto latest = snapshots_->LatestVerified();
  if (!latest.ok()) {
    if (exists) {
      LOG(kError, "store") << "database " << db_path() << " is damaged (" << why
                           << ") and no verified snapshot exists";
    }
    return base::Status::Ok();  // a missing file starts empty; the log decides if that works
  }
  LOG(kWarn, "store") << "database " << db_path() << " not intact (" << why
                      << "): rebuilding from snapshot " << latest->index << " + the log";
  RemoveDbFiles(db_path());
  std::error_code ec;
  std::filesystem::copy_file(snapshots_->ImagePath(latest->index), db_path(), ec);
  if (ec) return base::IoError("restoring snapshot into " + db_path() + ": " + ec.message());
  return sqlite::SyncFile(db_path());
}

// Inside resolve_applied (writer open, replica not yet running): `applied` was derived from the
// database's low 32 bits as the value >= first-1. If it lies beyond the log, the database is
// older than the log's start (e.g. a crash after a snapshot install was logged but before the
// image was restored): restore the newest verified image the log can continue from.
uint64_t StoreImpl::ReconcileWithLog(uint64_t first, uint64_t last, uint64_t applied) {
  if (applied <= last || !snapshots_) return applied;
  auto latest = snapshots_->LatestVerified();
  if (!latest.ok() || latest->index + 1 < first || latest->index > last) return applied;
  auto src = sqlite::Conn::Open(snapshots_->ImagePath(latest->index),
                                {.read_only = true, .query_only = false});
  base::Status st = src.ok() ? writer_->CopyFrom(**src) : src.status();
  if (st.ok()) st = RecordApplied(latest->index);
  if (!st.ok()) {
    LOG(kError, "store") << "restoring snapshot " << latest->index << ": " << st.ToString();
    return applied;
  }
  LOG(kWarn, "store") << "database behind the log (first index " << first
                      << "): restored snapshot " << latest->index;
  return latest->index;
}

// SnapshotNow's last step (apply executor): the database file is checkpointed and durable at
// `applied`; make an image in the background, then let the log drop entries behind it.
void StoreImpl::CompactAfterSnapshot(uint64_t applied) {
  (void)applied;
  RecordFingerprint(db_path(), config_.dir + "/db.fingerprint");  // the file is complete now
  image_wanted_ = true;
  MaybeStartImage();
}

void StoreImpl::MaybeStartImage() {
  if (!image_wanted_ || image_busy_.load()) return;
  const int64_t now = deps_.clock->MonotonicNanos();
  const int64_t last = last_image_mono_ns_.load();
  const int64_t gap = std::max(kMinImageIntervalNs, kImageCostShare * image_cost_ns_.load());
  if (last != 0 && now - last < gap) return;  // rate limit: retried on a later apply
  image_wanted_ = false;
  StartImage();
}

// POST /snapshot[?trailing_logs=N]: an image now (no rate limit) unless the newest image already
// holds everything applied; the log then keeps N entries behind it (0: -raft-snap's default).
void StoreImpl::StartUserImage(uint64_t trailing_logs) {
  if (!snapshots_) return;
  auto latest = snapshots_->Latest();
  if (latest.ok() && latest->index >= applied_index_.load()) return;
  image_trailing_ = trailing_logs;
  if (image_busy_.load()) {
    image_wanted_ = true;  // after the running one
    return;
  }
  image_wanted_ = false;
  StartImage();
}

void StoreImpl::StartImage() {
  if (!snapshots_ || closed_.load() || image_busy_.exchange(true)) return;
  reads_in_flight_++;  // Close() waits for it
  // A real thread, never inline (server/'s `read` executor is inline): images take a while and
  // StartImage is called on the apply and raft executors.
  base::Executor* exec = deps_.released_reads != nullptr ? deps_.released_reads : deps_.read;
  exec->Post([this] {
    const int64_t start = deps_.clock->MonotonicNanos();
    auto meta = snapshots_->Create(db_path(), [this](sqlite::Conn& img) -> base::Result<uint64_t> {
      RQ_ASSIGN_OR_RETURN(std::string v, img.QueryString("PRAGMA application_id"));
      const uint64_t low32 = static_cast<uint32_t>(std::stoll(v));
      // The image holds an index <= the applied index now, and within 2^32 of it.
      const uint64_t hi = applied_index_.load();
      uint64_t idx = (hi & ~0xffffffffull) | low32;
      if (idx > hi) {
        if (hi < (1ull << 32)) return base::Corruption("image applied index above the store's");
        idx -= 1ull << 32;
      }
      return idx;
    });
    if (meta.ok()) {
      snapshots_->Reap(kKeepSnapshots);
      // The replica keeps config_.trailing_logs entries below the index it is given.
      const uint64_t keep = image_trailing_.exchange(0);
      if (keep == 0) {
        replica_->Compact(meta->index);
      } else if (meta->index + config_.trailing_logs > keep) {
        replica_->Compact(meta->index + config_.trailing_logs - keep);
      }
      LOG(kDebug, "store") << "snapshot image " << meta->index << " (" << meta->size << " bytes)";
    } else {
      LOG(kWarn, "store") << "snapshot image failed: " << meta.status().ToString();
    }
    last_image_mono_ns_ = deps_.clock->MonotonicNanos();
    image_cost_ns_ = last_image_mono_ns_.load() - start;
    image_busy_ = false;
    if (--reads_in_flight_ == 0) {
      std::lock_guard<std::mutex> lock(close_mu_);
      close_cv_.notify_all();
    }
  });
}

base::Result<replica::SnapshotImage> StoreImpl::LatestImage() {
  if (!snapshots_) return base::Unsupported("no snapshot store");
  auto latest = snapshots_->Latest();
  if (!latest.ok()) {
    StartImage();  // a follower needs one: make it now; raft asks again later
    return base::NotFound("no snapshot image yet (creating one)");
  }
  // The member addresses travel with the image: a follower restored from it may not have seen
  // the ConfChange entries (in the compacted range) that named them.
  return replica::SnapshotImage{snapshots_->ImagePath(latest->index), latest->index,
                                members_->Encode()};
}

base::Status StoreImpl::AdoptImage(const std::string& path, uint64_t size, uint32_t crc,
                                   const raft::SnapshotMeta& meta, const std::string& context) {
  if (!snapshots_) return base::Unsupported("no snapshot store");
  snapshot::Meta m;
  m.index = meta.index;
  m.term = meta.term;
  m.voters = meta.conf.voters;
  m.learners = meta.conf.learners;
  m.size = size;
  m.crc = crc;
  RQ_RETURN_IF_ERROR(snapshots_->Import(path, m, /*verify=*/false));  // the transport checked it
  snapshots_->Reap(kKeepSnapshots);
  if (!context.empty()) RQ_RETURN_IF_ERROR(RestoreMembers(context));
  return base::Status::Ok();
}

// Replaces the member table with the leader's (sent with a snapshot) and tells the server about
// every address that appeared, changed or disappeared.
base::Status StoreImpl::RestoreMembers(const std::string& encoded) {
  const auto before = members_->All();
  RQ_RETURN_IF_ERROR(members_->Restore(encoded));
  const auto after = members_->All();
  if (!deps_.on_peer) return base::Status::Ok();
  for (const auto& [id, m] : after) {
    auto it = before.find(id);
    if (id != self_ && (it == before.end() || it->second.raft_addr != m.raft_addr)) {
      deps_.on_peer(id, m.raft_addr);
    }
  }
  for (const auto& [id, m] : before) {
    if (id != self_ && after.count(id) == 0) deps_.on_peer(id, "");
  }
  return base::Status::Ok();
}

base::Status StoreImpl::RestoreImage(const raft::SnapshotMeta& meta) {
  if (!snapshots_) return base::Unsupported("no snapshot store");
  RQ_ASSIGN_OR_RETURN(auto src, sqlite::Conn::Open(snapshots_->ImagePath(meta.index),
                                                   {.read_only = true, .query_only = false}));
  if (!sqlite3_get_autocommit(writer_->db())) writer_->Exec("ROLLBACK").IgnoreError();
  writer_->ClearCache();
  RQ_RETURN_IF_ERROR(writer_->CopyFrom(*src));
  src.reset();
  RQ_RETURN_IF_ERROR(RecordApplied(meta.index));
  // Make the restored database file itself durable and the WAL empty (as SnapshotNow does).
  RQ_RETURN_IF_ERROR(sqlite::SyncFile(db_path() + "-wal"));
  RQ_RETURN_IF_ERROR(writer_->Checkpoint(SQLITE_CHECKPOINT_PASSIVE));
  RQ_RETURN_IF_ERROR(sqlite::SyncFile(db_path()));
  sqlite3_busy_timeout(writer_->db(), 0);
  writer_->Checkpoint(SQLITE_CHECKPOINT_TRUNCATE).IgnoreError();
  sqlite3_busy_timeout(writer_->db(), 5000);
  wal_frames_ = 0;
  RecordFingerprint(db_path(), config_.dir + "/db.fingerprint");
  applied_index_ = meta.index;
  snapshot_index_ = meta.index;
  applied_at_unix_ns_ = deps_.clock->UnixNanos();
  LOG(kInfo, "store") << "restored snapshot " << meta.index << " (term " << meta.term << ")";
  return base::Status::Ok();
}

}  // namespace store
