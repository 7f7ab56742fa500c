// raftlog/log.h — the durable Raft log: entries, hard state and snapshot metadata on disk.
//
// What: a directory of segment files made of CRC32C-framed records (format:
// docs/formats/raftlog.md). Append/SetHardState are buffered; Sync() makes everything since the
// previous Sync durable with ONE fdatasync (group commit: many Ready batches may share a Sync).
// Reads (Entries/Term) are served from an in-memory index of record offsets plus a bounded cache
// of recent entries, so they never re-scan the disk.
//
// Recovery (Open): every segment is scanned and every record's CRC checked. Only a torn tail
// after the last good record of the LAST segment is truncated (zeroed, preallocated space after
// the last record is the normal end of data, not corruption). Any other bad record — in an older
// segment, or a good record following a bad one — fails Open with base::Corruption naming the
// file and offset.
//
// Failure model: a failed fdatasync/fsync is fatal: the process CHECK-crashes (never retried),
// because after a failed fsync the kernel may have dropped the dirty pages.
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
#include "raft/types.h"

namespace fs {
class FileSystem;
}  // namespace fs

namespace raftlog {

struct Options {
  // A segment is closed and a new one started once it reaches this size.
  uint64_t segment_bytes = 64ull << 20;
  // Preallocate (fallocate) each new segment to segment_bytes: overwrite+fdatasync on this disk
  // is ~2x faster than append+fdatasync, which must also commit the file size.
  bool preallocate = true;
  // Upper bound on the bytes of recently appended entries kept decoded in memory.
  uint64_t cache_bytes = 16ull << 20;
};

class LogImpl;

class Log {
 public:
  // Opens or creates the log in `dir` (created if missing) and recovers it (see above).
  // REQUIRES: fs != nullptr and outlives the Log.
  static base::Result<std::unique_ptr<Log>> Open(fs::FileSystem* fs, std::string dir,
                                                  Options options);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // The last hard state passed to SetHardState (durable only after Sync), or {} for a new log.
  raft::HardState hard_state() const;
  // The last snapshot metadata passed to SetSnapshot, or {} (index 0) for a new log.
  raft::SnapshotMeta snapshot() const;
  // first_index() == snapshot().index + 1 after SetSnapshot/Compact cut the log; the log holds
  // [first_index(), last_index()]; empty when last_index() == first_index() - 1.
  uint64_t first_index() const;
  uint64_t last_index() const;

  // Entries in [lo, hi). Returns at least one entry when lo < hi, then stops before the total
  // data size would exceed max_bytes. REQUIRES: first_index() <= lo <= hi <= last_index() + 1;
  // otherwise returns kInvalidArgument (lo < first_index(): "compacted").
  base::Result<std::vector<raft::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes) const;
  // Term of the entry at `index`; index == snapshot().index gives snapshot().term.
  // REQUIRES: snapshot().index <= index <= last_index(); otherwise kInvalidArgument.
  base::Result<uint64_t> Term(uint64_t index) const;

  // Buffered mutations; durable only after Sync().
  // Append: entries must have consecutive indexes starting at some i with
  // first_index() <= i <= last_index() + 1; entries at >= i already in the log are replaced (a
  // conflicting suffix is truncated). REQUIRES: entries non-empty and consecutive.
  base::Status Append(std::span<const raft::Entry> entries);
  base::Status SetHardState(const raft::HardState& hs);
  // ONE fdatasync covering every Append/SetHardState since the previous Sync. CHECK-crashes if
  // the fdatasync fails. Returns an error only for failed writes that left nothing ambiguous.
  base::Status Sync();

  // Durable on return (writes + syncs). Entries <= meta.index may be dropped; if the log holds
  // an entry at meta.index with term meta.term, the later entries are kept, otherwise the whole
  // log is discarded and first_index() becomes meta.index + 1.
  base::Status SetSnapshot(const raft::SnapshotMeta& meta);
  // Allows dropping entries <= index (whole segments are deleted; first_index() may stay lower
  // until a segment boundary is passed). REQUIRES: index <= snapshot().index.
  base::Status Compact(uint64_t index);

 private:
  explicit Log(std::unique_ptr<LogImpl> impl);
  std::unique_ptr<LogImpl> impl_;
};

}  // namespace raftlog
