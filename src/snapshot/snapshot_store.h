// snapshot/snapshot_store.h — durable images of the SQLite state machine (<data>/snapshots).
//
// What: a directory of snapshots. Each snapshot is TWO files named by its log index:
//   snap-<index:020>.db    a plain SQLite database file (the image; streamed to followers as is)
//   snap-<index:020>.meta  metadata: index, term, membership, image size and its CRC-32C,
//                          itself CRC-32C framed (byte layout: docs/formats/snapshot.md)
// A snapshot exists only once its .meta is in place (written last, renamed atomically, directory
// fsynced), so a crash mid-create leaves only temporary files, which Open() deletes.
//
// Create() makes a consistent image of a live WAL-mode database without blocking its writer:
// `VACUUM INTO` from a fresh read-only connection (a read transaction; the writer keeps
// committing to the WAL). The caller's `index_of` callback reads, from the finished image, the
// log index the image contains (the store keeps its applied index inside the database).
// Import() adopts an image received from another node (already checked by the transport).
// Verify() re-reads the image and checks size and CRC (bounded memory: 1 MiB chunks).
// Reap(keep) deletes all but the newest `keep` snapshots.
//
// Ownership: owns nothing but the directory's files. Thread-safety: all methods are
// thread-safe (one internal mutex around directory changes; Create's VACUUM runs unlocked).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace sqlite {
class Conn;
}  // namespace sqlite

namespace snapshot {

struct Meta {
  uint64_t index = 0;
  uint64_t term = 0;               // 0 = unknown (image made locally, outside Raft)
  std::vector<uint64_t> voters;    // membership at `index` (may be empty when unknown)
  std::vector<uint64_t> learners;
  uint64_t size = 0;               // bytes of the .db image
  uint32_t crc = 0;                // CRC-32C of the .db image
  bool operator==(const Meta&) const = default;
};

// The metadata file's bytes (pure; exposed for tests and docs/formats/snapshot.md).
std::string EncodeMeta(const Meta& m);
base::Result<Meta> DecodeMeta(std::string_view bytes);  // kCorruption on any mismatch

// CRC-32C and size of a file, read in 1 MiB chunks. Errors: kIoError.
base::Status ChecksumFile(const std::string& path, uint64_t* size, uint32_t* crc);

class SnapshotStore {
 public:
  // Creates `dir` if missing and deletes leftover temporary files. Errors: kIoError.
  static base::Result<std::unique_ptr<SnapshotStore>> Open(const std::string& dir);

  // Consistent image of the database at `db_path` (see above). index_of(image) returns the log
  // index the image holds. The new snapshot replaces one with the same index.
  base::Result<Meta> Create(const std::string& db_path,
                            const std::function<base::Result<uint64_t>(sqlite::Conn&)>& index_of);
  // Adopts the image file at `path` (moved into the store; same file system) as snapshot
  // meta.index. meta.size/crc must describe the file (checked when verify is true).
  base::Status Import(const std::string& path, const Meta& meta, bool verify);

  // Newest snapshot's metadata (kNotFound when there is none). Reads only the .meta files.
  base::Result<Meta> Latest() const;
  std::vector<Meta> List() const;  // oldest first; unreadable .meta files are skipped
  // Re-reads the image of snapshot `index` and checks its size and CRC. kCorruption/kNotFound.
  base::Status Verify(uint64_t index) const;
  // Newest snapshot whose image verifies (kNotFound when none does).
  base::Result<Meta> LatestVerified() const;
  // Deletes all but the newest `keep` snapshots. Returns how many were deleted.
  int Reap(int keep);

  std::string ImagePath(uint64_t index) const;
  std::string MetaPath(uint64_t index) const;
  const std::string& dir() const { return dir_; }
  // A fresh temporary path in the directory (deleted by the next Open if left behind).
  std::string TempPath(const std::string& tag);

 private:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  base::Status Publish(const std::string& tmp_image, const Meta& meta);

  const std::string dir_;
  mutable std::mutex mu_;
  uint64_t temp_seq_ = 0;  // guarded by mu_
};

}  // namespace snapshot
