// raft/log.h — internal: the Raft log as the core sees it = stable Storage + an unstable tail
// (entries and possibly a snapshot not yet persisted by the caller), plus commit/applied.
// Not thread-safe; owned by Raft.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"

namespace raft {

class RaftLog {
 public:
  explicit RaftLog(Storage* storage);

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // nullopt when index is compacted (< FirstIndex()-1) or beyond LastIndex().
  std::optional<uint64_t> Term(uint64_t index) const;
  uint64_t TermOrZero(uint64_t index) const { return Term(index).value_or(0); }
  bool MatchTerm(uint64_t index, uint64_t term) const;
  // Is (last_index, last_term) at least as up to date as this log (Raft §5.4.1)?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  // Entries in [lo, LastIndex()] (at least one if any), bounded by max_bytes.
  // nullopt when lo is compacted.
  std::optional<std::vector<Entry>> EntriesFrom(uint64_t lo, uint64_t max_bytes) const;
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // Follower append (§5.3). Returns the new last index of the matched/appended region, or
  // nullopt when (prev_index, prev_term) does not match. Does not touch commit.
  // Moves the entries it appends out of `entries`.
  std::optional<uint64_t> MaybeAppend(uint64_t prev_index, uint64_t prev_term,
                                      std::vector<Entry>& entries);
  // Appends to the unstable tail, truncating any conflicting suffix. Returns LastIndex().
  uint64_t Append(std::vector<Entry>&& entries);
  uint64_t Append(const std::vector<Entry>& entries) { return Append(std::vector<Entry>(entries)); }
  // The largest index <= index whose term is <= term (or the first unknown one going down):
  // lets a rejection skip a whole divergent term instead of one entry per round trip.
  uint64_t FindConflictByTerm(uint64_t index, uint64_t term) const;
  // First index in `entries` whose term conflicts with (or is beyond) the log; 0 if none.
  uint64_t FindConflict(const std::vector<Entry>& entries) const;

  uint64_t committed() const { return committed_; }
  void CommitTo(uint64_t index);  // REQUIRES: index <= LastIndex(); never decreases
  uint64_t applied() const { return applied_; }
  void AppliedTo(uint64_t index);

  // Unstable state, for Ready.
  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<SnapshotMeta>& unstable_snapshot() const { return unstable_snap_; }
  void StableTo(uint64_t index, uint64_t term);
  void StableSnapTo(uint64_t index);
  // Committed entries after `after` not yet handed out (none while a snapshot is pending).
  std::vector<Entry> CommittedAfter(uint64_t after, uint64_t max_bytes) const;

  // Replace the whole log by a snapshot (follower receiving MsgSnap).
  void Restore(const SnapshotMeta& snap);
  SnapshotMeta Snapshot() const;  // unstable snapshot if any, else the storage's

 private:
  Storage* storage_;
  std::optional<SnapshotMeta> unstable_snap_;
  std::vector<Entry> unstable_;
  uint64_t offset_ = 1;  // index of unstable_[0]
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace raft
