// raft/storage.h — how raft::Node reads its stable state, and an in-memory implementation.
//
// Storage is the read side of the durable log: the Node reads entries, terms, the hard state
// and snapshot metadata through it and NEVER writes to it. The caller writes: after GetReady()
// it persists Ready::snapshot (ApplySnapshot), Ready::entries (Append) and Ready::hard_state
// (SetHardState) in that order, then calls Node::Advance. The caller may also cut the log
// (CreateSnapshot + Compact) at any time between Ready cycles, for entries already applied.
//
// Invariants: the storage holds [FirstIndex(), LastIndex()] and knows Term(FirstIndex()-1);
// FirstIndex()-1 <= Snapshot().index (a compaction may keep trailing entries before the
// snapshot). Empty log: FirstIndex() == LastIndex() + 1.
// The Node only asks for indexes within those bounds; out-of-bounds requests may fail.
//
// raftlog::Log (durable) is adapted to this interface by replica/. MemoryStorage below is
// used by tests and the simulator (its contents survive a simulated "crash" of the Node when the
// caller keeps the MemoryStorage object and rebuilds the Node on top of it).
// Thread-safety: NOT thread-safe; one owner.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "raft/types.h"

namespace raft {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual HardState InitialHardState() const = 0;
  virtual SnapshotMeta Snapshot() const = 0;
  virtual uint64_t FirstIndex() const = 0;
  virtual uint64_t LastIndex() const = 0;
  // Entries in [lo, hi); at least one entry when lo < hi, then stop before the total data size
  // would exceed max_bytes. REQUIRES: FirstIndex() <= lo <= hi <= LastIndex() + 1.
  virtual base::Result<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                                   uint64_t max_bytes) const = 0;
  // REQUIRES: FirstIndex() - 1 <= index <= LastIndex().
  virtual base::Result<uint64_t> Term(uint64_t index) const = 0;
};

class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  HardState InitialHardState() const override { return hard_state_; }
  SnapshotMeta Snapshot() const override { return snapshot_; }
  uint64_t FirstIndex() const override;
  uint64_t LastIndex() const override;
  base::Result<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                           uint64_t max_bytes) const override;
  base::Result<uint64_t> Term(uint64_t index) const override;

  // --- writes (the caller's side) ---
  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  // Appends consecutive entries; a conflicting suffix at >= entries[0].index is replaced.
  // Entries at or below the snapshot index are ignored. REQUIRES: entries[0].index <=
  // LastIndex() + 1.
  base::Status Append(std::span<const Entry> entries);
  // Installs a snapshot received from the leader: drops the whole log unless it holds the
  // entry (meta.index, meta.term), in which case later entries are kept.
  base::Status ApplySnapshot(const SnapshotMeta& meta);
  // Records that the application created a snapshot covering [.., index] with membership
  // `conf` (as of `index`; Node::conf() — as of the commit index — is also safe, since
  // replaying later ConfChange entries over it is idempotent).
  // REQUIRES: Snapshot().index < index <= LastIndex(); does not drop entries.
  base::Status CreateSnapshot(uint64_t index, const ConfState& conf);
  // Drops entries <= index. REQUIRES: index <= Snapshot().index.
  base::Status Compact(uint64_t index);

  // Total bytes of entry data held (for tests and compaction policy).
  uint64_t DataBytes() const;

 private:
  HardState hard_state_;
  SnapshotMeta snapshot_;
  // ents_[0] is a dummy entry at snapshot_.index with snapshot_.term.
  std::vector<Entry> ents_;
};

}  // namespace raft
