// raft/log.cc — RaftLog.
#include "raft/log.h"

#include <algorithm>

#include "base/check.h"

namespace raft {

RaftLog::RaftLog(Storage* storage) : storage_(storage) {
  CHECK(storage_ != nullptr);
  offset_ = storage_->LastIndex() + 1;
  committed_ = storage_->FirstIndex() - 1;
  applied_ = storage_->FirstIndex() - 1;
}

uint64_t RaftLog::FirstIndex() const {
  if (unstable_snap_) return unstable_snap_->index + 1;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const {
  if (!unstable_.empty()) return offset_ + unstable_.size() - 1;
  if (unstable_snap_) return unstable_snap_->index;
  return storage_->LastIndex();
}

uint64_t RaftLog::LastTerm() const {
  auto t = Term(LastIndex());
  CHECK(t.has_value()) << "term of last index " << LastIndex() << " unknown";
  return *t;
}

std::optional<uint64_t> RaftLog::Term(uint64_t index) const {
  if (index >= offset_ && index - offset_ < unstable_.size()) return unstable_[index - offset_].term;
  if (unstable_snap_ && index == unstable_snap_->index) return unstable_snap_->term;
  uint64_t dummy = FirstIndex() - 1;
  if (index < dummy || index > LastIndex()) return std::nullopt;
  if (unstable_snap_) return std::nullopt;  // below the snapshot
  auto t = storage_->Term(index);
  if (!t.ok()) return std::nullopt;
  return *t;
}

bool RaftLog::MatchTerm(uint64_t index, uint64_t term) const {
  auto t = Term(index);
  return t.has_value() && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t last_term) const {
  uint64_t my_term = LastTerm();
  return last_term > my_term || (last_term == my_term && last_index >= LastIndex());
}

std::vector<Entry> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (lo >= hi) return out;
  CHECK_GE(lo, FirstIndex());
  CHECK_LE(hi, LastIndex() + 1);
  uint64_t bytes = 0;
  if (lo < offset_) {
    uint64_t stop = std::min(hi, offset_);
    auto got = storage_->Entries(lo, stop, max_bytes);
    CHECK(got.ok()) << got.status().ToString() << " lo=" << lo << " hi=" << stop;
    out = std::move(got).value();
    for (const Entry& e : out) bytes += e.data.size();
    if (out.size() < stop - lo) return out;  // size limit hit
  }
  for (uint64_t i = std::max(lo, offset_); i < hi; ++i) {
    const Entry& e = unstable_[i - offset_];
    bytes += e.data.size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

std::optional<std::vector<Entry>> RaftLog::EntriesFrom(uint64_t lo, uint64_t max_bytes) const {
  if (lo < FirstIndex()) return std::nullopt;
  if (lo > LastIndex()) return std::vector<Entry>{};
  return Slice(lo, LastIndex() + 1, max_bytes);
}

uint64_t RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return 0;
}

uint64_t RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  index = std::min(index, LastIndex());
  while (index > 0) {
    std::optional<uint64_t> t = Term(index);
    if (!t || *t <= term) return index;
    --index;
  }
  return 0;
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t prev_index, uint64_t prev_term,
                                             std::vector<Entry>& entries) {
  if (!MatchTerm(prev_index, prev_term)) return std::nullopt;
  uint64_t last_new = prev_index + entries.size();
  uint64_t conflict = FindConflict(entries);
  if (conflict != 0) {
    CHECK_GT(conflict, committed_) << "entry " << conflict << " conflicts with committed entry";
    std::vector<Entry> rest(std::make_move_iterator(entries.begin() + (conflict - prev_index - 1)),
                            std::make_move_iterator(entries.end()));
    Append(std::move(rest));
  }
  return last_new;
}

uint64_t RaftLog::Append(std::vector<Entry>&& entries) {
  if (entries.empty()) return LastIndex();
  uint64_t after = entries[0].index;
  CHECK_GT(after, committed_) << "append would overwrite committed entries";
  if (after == offset_ + unstable_.size()) {
    // contiguous
  } else if (after <= offset_) {
    offset_ = after;
    unstable_.clear();
  } else {
    unstable_.resize(after - offset_);
  }
  if (unstable_.empty()) {
    unstable_ = std::move(entries);
  } else {
    unstable_.insert(unstable_.end(), std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
  }
  return LastIndex();
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;
  CHECK_LE(index, LastIndex()) << "commit index out of range: was the log lost or truncated?";
  committed_ = index;
}

void RaftLog::AppliedTo(uint64_t index) {
  if (index == 0) return;
  CHECK_LE(index, committed_);
  applied_ = std::max(applied_, index);
}

void RaftLog::StableTo(uint64_t index, uint64_t term) {
  if (index < offset_ || index - offset_ >= unstable_.size()) return;
  if (unstable_[index - offset_].term != term) return;  // replaced since the Ready
  unstable_.erase(unstable_.begin(), unstable_.begin() + (index + 1 - offset_));
  offset_ = index + 1;
}

void RaftLog::StableSnapTo(uint64_t index) {
  if (unstable_snap_ && unstable_snap_->index == index) unstable_snap_.reset();
}

std::vector<Entry> RaftLog::CommittedAfter(uint64_t after, uint64_t max_bytes) const {
  if (unstable_snap_) return {};
  uint64_t lo = std::max(after + 1, FirstIndex());
  if (lo > committed_) return {};
  return Slice(lo, committed_ + 1, max_bytes);
}

void RaftLog::Restore(const SnapshotMeta& snap) {
  committed_ = snap.index;
  unstable_.clear();
  offset_ = snap.index + 1;
  unstable_snap_ = snap;
}

SnapshotMeta RaftLog::Snapshot() const {
  if (unstable_snap_) return *unstable_snap_;
  return storage_->Snapshot();
}

}  // namespace raft
