// raftlog/log.h — the durable Raft log: entries, hard state and snapshot metadata on disk.
//
// What: a directory of segment files made of CRC32C-framed records (byte-level spec:
// docs/formats/raftlog.md). Append/SetHardState are buffered; Sync() makes everything since the
// previous Sync durable with ONE fdatasync (group commit: many Ready batches may share a Sync).
// Reads (Entries/Term) are served from an in-memory index of record offsets (with each entry's
// term) plus a bounded cache of recent entries, so they never re-scan the disk.
//
// Log implements raft::Storage (the read side raft::Node uses), so a Node can read it directly.
//
// Indexes: the log holds [first_index(), last_index()] with first_index() == snapshot().index + 1
// always (an empty log: last_index() == snapshot().index). Term(snapshot().index) is
// snapshot().term. Entries at or below the snapshot index are not readable even while their
// segment still exists on disk; Compact() reclaims the disk space.
//
// Recovery (Open): every segment is scanned and every record's CRC checked. Only a torn tail of
// the LAST segment is cut: bytes after the last good record that were never synced (zeroed,
// preallocated space after the last record is the normal end of data, not corruption). Writes
// start on 512-byte boundaries and each fdatasync is followed by a "sync mark" record, so
// recovery can tell a torn unsynced tail — even one whose pages reached the disk in any order —
// from damage to synced data. Any damage that is not a torn tail — in an older segment, below a
// later sync mark, or a bad record followed by good ones — fails Open with base::Corruption
// naming the file and offset. The precise rules: docs/formats/raftlog.md §5.
//
// Failure model: a failed fdatasync/fsync is fatal: the process CHECK-crashes (never retried),
// because after a failed fsync the kernel may have dropped the dirty pages. A failed write
// leaves the Log failed: every later mutation returns that error (the caller should crash).
//
// Ownership: the Log borrows `fs` (must outlive it) and owns its open files.
// Thread-safety: NOT thread-safe. One owner (the raft executor) calls every method; callers that
// share a Log between threads must serialise all calls externally.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace fs {
class FileSystem;
}  // namespace fs

namespace raftlog {

struct Options {
  // A segment is closed and a new one started once the next record would not fit.
  uint64_t segment_bytes = 64ull << 20;
  // Preallocate (fallocate) each new segment to segment_bytes, so appends overwrite allocated
  // space instead of growing the file (on this disk ~2x more fdatasyncs/s).
  bool preallocate = true;
  // With preallocate: also write zeros this far ahead of the data (in chunks), so that most
  // fdatasyncs overwrite already-written blocks instead of converting unwritten extents
  // (a metadata commit). 0 disables.
  uint64_t zero_fill_bytes = 1ull << 20;
  // Buffered records are written (pwrite, no sync) once this many bytes accumulate, and at Sync.
  uint64_t write_buffer_bytes = 1ull << 20;
  // Upper bound on the data bytes of recently appended entries kept decoded in memory.
  uint64_t cache_bytes = 16ull << 20;
};

class LogImpl;

class Log : public raft::Storage {
 public:
  // Opens or creates the log in `dir` (created if missing) and recovers it (see above).
  // REQUIRES: fs != nullptr and outlives the Log.
  static base::Result<std::unique_ptr<Log>> Open(fs::FileSystem* fs, std::string dir,
                                                  Options options);
  ~Log() override;
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // The last hard state passed to SetHardState (durable only after Sync), or {} for a new log.
  raft::HardState hard_state() const;
  // The last snapshot metadata passed to SetSnapshot, or {} (index 0) for a new log.
  raft::SnapshotMeta snapshot() const;
  uint64_t first_index() const;  // == snapshot().index + 1
  uint64_t last_index() const;   // == snapshot().index when the log is empty

  // Entries in [lo, hi). Returns at least one entry when lo < hi, then stops before the total
  // data size would exceed max_bytes. REQUIRES: first_index() <= lo <= hi <= last_index() + 1,
  // otherwise kInvalidArgument. A record failing its CRC on read gives kCorruption.
  base::Result<std::vector<raft::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes) const override;
  // REQUIRES: snapshot().index <= index <= last_index(), otherwise kInvalidArgument.
  base::Result<uint64_t> Term(uint64_t index) const override;

  // Buffered mutations; durable only after Sync().
  // Append: entries must have consecutive indexes starting at some i <= last_index() + 1.
  // Entries at or below snapshot().index are skipped; entries already in the log at >= i are
  // replaced (a conflicting suffix is truncated). REQUIRES: consecutive indexes.
  base::Status Append(std::span<const raft::Entry> entries);
  base::Status SetHardState(const raft::HardState& hs);
  // ONE fdatasync covering every Append/SetHardState since the previous Sync (two when a
  // segment was started in between). CHECK-crashes if an fdatasync fails.
  base::Status Sync();

  // Durable on return (also syncs any buffered mutations). If the log holds the entry
  // (meta.index, meta.term), later entries are kept (the "create snapshot" case); otherwise the
  // whole log is discarded (the "install snapshot" case) and a new segment is started.
  // REQUIRES: meta.index >= snapshot().index, otherwise kInvalidArgument.
  base::Status SetSnapshot(const raft::SnapshotMeta& meta);
  // Deletes the segment files holding only entries <= index (whole segments; the active
  // segment is never deleted). REQUIRES: index <= snapshot().index, otherwise kInvalidArgument.
  base::Status Compact(uint64_t index);

  // Number of segment files (for tests and metrics).
  size_t segment_count() const;

  // raft::Storage.
  raft::HardState InitialHardState() const override { return hard_state(); }
  raft::SnapshotMeta Snapshot() const override { return snapshot(); }
  uint64_t FirstIndex() const override { return first_index(); }
  uint64_t LastIndex() const override { return last_index(); }

 private:
  explicit Log(std::unique_ptr<LogImpl> impl);
  std::unique_ptr<LogImpl> impl_;
};

}  // namespace raftlog
