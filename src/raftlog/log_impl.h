// raftlog/log_impl.h — internal: the state behind raftlog::Log. Not part of the interface.
// log_impl.cc holds the write and read paths, recovery.cc holds Open's scan and replay.
// Thread-safety: none (see log.h).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "fs/file_system.h"
#include "raftlog/log.h"
#include "raftlog/record.h"

namespace raftlog {

class LogImpl {
 public:
  LogImpl(fs::FileSystem* fs, std::string dir, Options options);

  base::Status Recover();  // recovery.cc

  raft::HardState hard_state() const { return hs_; }
  raft::SnapshotMeta snapshot() const { return snap_; }
  uint64_t first_index() const { return snap_.index + 1; }
  uint64_t last_index() const { return snap_.index + locs_.size(); }
  size_t segment_count() const { return segs_.size(); }

  base::Result<std::vector<raft::Entry>> Entries(uint64_t lo, uint64_t hi,
                                                 uint64_t max_bytes) const;
  base::Result<uint64_t> Term(uint64_t index) const;
  base::Status Append(std::span<const raft::Entry> entries);
  base::Status SetHardState(const raft::HardState& hs);
  base::Status Sync();
  base::Status SetSnapshot(const raft::SnapshotMeta& meta);
  base::Status Compact(uint64_t index);

 private:
  // Where one live entry's record is.
  struct Loc {
    uint64_t term;
    uint64_t seq;     // segment
    uint64_t offset;  // of the record in the segment file
    uint64_t bytes;   // record bytes (header + payload + padding)
  };
  struct Segment {
    uint64_t seq = 0;
    uint64_t prev_index = 0;  // from its start record
    std::unique_ptr<fs::File> file;
    uint64_t end = 0;         // bytes of records written (or buffered) so far
    uint64_t data_start = 0;  // end of the start record
  };
  // The log state replay works on (recovery.cc).
  struct Replay;

  std::string SegmentPath(uint64_t seq) const;
  // Buffers a record for the active segment, starting a new segment first if it does not fit.
  base::Status AddRecord(RecordType type, std::string_view payload, Loc* loc);
  base::Status FlushPending();
  base::Status ZeroFillAhead();
  base::Status SyncActive();
  // Syncs the active segment and starts segment seq+1 whose start record says the log before
  // it ends at (prev_index, prev_term).
  base::Status Roll(uint64_t prev_index, uint64_t prev_term);
  base::Result<Segment> CreateSegment(uint64_t seq, uint64_t prev_index, uint64_t prev_term);
  // Reads entries from [lo, hi) that sit back to back in one segment (at least one, at most
  // about 1 MiB) with one read, checking every record. REQUIRES: lo < hi, both live.
  base::Result<std::vector<raft::Entry>> ReadRun(uint64_t lo, uint64_t hi) const;
  const Segment* FindSegment(uint64_t seq) const;
  void TruncateFrom(uint64_t index);  // drops live entries >= index from the index and cache
  void DropThrough(uint64_t index);   // drops live entries <= index (new snapshot)
  void CachePush(const raft::Entry& e);

  // recovery.cc
  base::Status ScanSegment(const std::string& name, uint64_t seq, bool last, Replay* r);
  // Classifies the bytes after the last good record at `off` (§5 of the format doc): clean,
  // torn tail (zeroed; or the file removed when it has no start record: returns true), or
  // corruption.
  base::Result<bool> CheckTail(const std::string& path, std::string_view buf, size_t off,
                               ParseOutcome outcome, bool last, fs::File* file);
  base::Status ApplyRecord(const RecordView& rec, uint64_t seq, uint64_t offset, Replay* r);
  base::Status ApplyStart(const SegmentStart& s, uint64_t seq, const std::string& where,
                          Replay* r);
  base::Status AdoptSnapshot(const raft::SnapshotMeta& meta, const std::string& where,
                             Replay* r);
  base::Status FinishRecovery(Replay* r);

  fs::FileSystem* fs_;
  std::string dir_;
  Options options_;
  base::Status failed_;  // sticky write error

  raft::HardState hs_;
  raft::SnapshotMeta snap_;
  std::deque<Loc> locs_;  // live entries [snap_.index + 1, last_index()]
  std::deque<raft::Entry> cache_;  // the newest live entries, contiguous, ending at last_index()
  uint64_t cache_bytes_ = 0;

  std::deque<Segment> segs_;  // ascending seq; back() is the active segment
  std::string pending_;        // buffered bytes of the active segment at [pending_offset_, ..)
  uint64_t pending_offset_ = 0;
  bool active_dirty_ = false;  // written to the active file but not yet synced
  uint64_t zeroed_to_ = 0;     // the active segment holds written zeros (or data) up to here
  uint64_t synced_end_ = 0;    // the active segment is durable up to here
  bool need_mark_ = false;     // a Sync happened: the next record is preceded by a sync mark
  std::string zeros_;
  std::string scratch_;
};

}  // namespace raftlog
