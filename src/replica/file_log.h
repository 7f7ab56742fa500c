// replica/file_log.h — a simple durable log of opaque entries for the single-node replica:
// CRC32C-framed records in segment files, group commit by the caller (Append many, Sync once).
//
// Format (docs/formats/command.md, "log segments"): files `seg-<first index, 20 digits>.log`;
// each record = u32 LE payload length | u32 LE CRC32C(payload) | payload; payload = u64 LE index |
// u64 LE term | data. Segments are preallocated in 16 MiB chunks; zeros after the last record are
// the normal end of data. Recovery: a bad or torn record in the LAST segment ends the log there
// (the tail is truncated); a bad record in an older segment fails Open with kCorruption.
// Compaction: Compact(i) starts a new segment and deletes old segments whose entries are all <= i.
//
// This is the fallback described in store/DESIGN.md until raftlog::Log is wired in.
// Ownership: borrows `fs` (must outlive the log). Thread-safety: not thread-safe; one owner (the
// log executor) calls every method after Open.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "replica/replica.h"

namespace replica {

class FileLog {
 public:
  // Opens or creates the log in `dir`; every entry it holds is returned in *entries (token 0).
  static base::Result<std::unique_ptr<FileLog>> Open(fs::FileSystem* fs, const std::string& dir,
                                                     std::vector<Committed>* entries);
  ~FileLog();

  // The log holds [first_index(), last_index()]; empty when last_index() == first_index() - 1.
  uint64_t first_index() const { return first_index_; }
  uint64_t last_index() const { return last_index_; }
  uint64_t last_term() const { return last_term_; }
  uint64_t size_bytes() const { return size_bytes_; }

  // Buffered; REQUIRES: entries[i].index == last_index() + 1 + i.
  base::Status Append(const std::vector<Committed>& entries);
  // One fdatasync for everything appended since the last Sync (CHECK-crashes on failure).
  base::Status Sync();
  // Drops whole segments whose entries are all <= index.
  base::Status Compact(uint64_t index);

 private:
  struct Segment {
    std::string name;
    uint64_t first = 0;  // first index (from the name)
    uint64_t last = 0;   // last index held; first - 1 when empty
    uint64_t size = 0;
  };
  FileLog(fs::FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  base::Status Recover(std::vector<Committed>* entries);
  base::Status ScanSegment(Segment& seg, bool last, std::vector<Committed>* entries);
  base::Status StartSegment(uint64_t first);

  fs::FileSystem* fs_;
  std::string dir_;
  std::vector<Segment> segments_;
  std::unique_ptr<fs::File> active_;
  std::string buffer_;  // appended, not yet written
  uint64_t first_index_ = 0, last_index_ = 0, last_term_ = 0, size_bytes_ = 0;
  bool new_segment_unsynced_ = false;
  uint64_t allocated_ = 0;  // preallocated size of the active segment
};

}  // namespace replica
