// raft/storage.cc — MemoryStorage.
#include "raft/storage.h"

#include "base/check.h"

namespace raft {

MemoryStorage::MemoryStorage() { ents_.push_back(Entry{}); }

uint64_t MemoryStorage::FirstIndex() const { return ents_[0].index + 1; }

uint64_t MemoryStorage::LastIndex() const { return ents_[0].index + ents_.size() - 1; }

base::Result<std::vector<Entry>> MemoryStorage::Entries(uint64_t lo, uint64_t hi,
                                                        uint64_t max_bytes) const {
  if (lo < FirstIndex()) return base::Status(base::Code::kInvalidArgument, "compacted");
  if (hi > LastIndex() + 1 || lo > hi) {
    return base::Status(base::Code::kInvalidArgument, "unavailable");
  }
  std::vector<Entry> out;
  uint64_t bytes = 0;
  uint64_t offset = ents_[0].index;
  for (uint64_t i = lo; i < hi; ++i) {
    const Entry& e = ents_[i - offset];
    bytes += e.data.size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

base::Result<uint64_t> MemoryStorage::Term(uint64_t index) const {
  uint64_t offset = ents_[0].index;
  if (index < offset) return base::Status(base::Code::kInvalidArgument, "compacted");
  if (index > LastIndex()) return base::Status(base::Code::kInvalidArgument, "unavailable");
  return ents_[index - offset].term;
}

base::Status MemoryStorage::Append(std::span<const Entry> entries) {
  if (entries.empty()) return base::Status::Ok();
  uint64_t first = FirstIndex();
  uint64_t last_new = entries.back().index;
  if (last_new < first) return base::Status::Ok();  // all below the snapshot
  if (entries[0].index > LastIndex() + 1) {
    return base::Status(base::Code::kInvalidArgument, "raft: append leaves a gap");
  }
  if (first > entries[0].index) entries = entries.subspan(first - entries[0].index);
  uint64_t offset = entries[0].index - ents_[0].index;
  CHECK_LE(offset, ents_.size());
  ents_.resize(offset);
  ents_.insert(ents_.end(), entries.begin(), entries.end());
  return base::Status::Ok();
}

base::Status MemoryStorage::ApplySnapshot(const SnapshotMeta& meta) {
  if (meta.index <= snapshot_.index && snapshot_.index != 0) {
    return base::Status(base::Code::kInvalidArgument, "raft: snapshot out of date");
  }
  auto t = Term(meta.index);
  if (t.ok() && *t == meta.term && meta.index >= ents_[0].index) {
    ents_.erase(ents_.begin(), ents_.begin() + (meta.index - ents_[0].index));
  } else {
    ents_.clear();
    ents_.push_back(Entry{});
  }
  ents_[0] = Entry{meta.term, meta.index, EntryType::kNormal, ""};
  snapshot_ = meta;
  return base::Status::Ok();
}

base::Status MemoryStorage::CreateSnapshot(uint64_t index, const ConfState& conf) {
  if (index <= snapshot_.index) {
    return base::Status(base::Code::kInvalidArgument, "raft: snapshot out of date");
  }
  if (index > LastIndex()) return base::Status(base::Code::kInvalidArgument, "raft: beyond log");
  snapshot_.index = index;
  snapshot_.term = *Term(index);
  snapshot_.conf = conf;
  return base::Status::Ok();
}

base::Status MemoryStorage::Compact(uint64_t index) {
  if (index > snapshot_.index) {
    return base::Status(base::Code::kInvalidArgument, "raft: compact beyond snapshot");
  }
  uint64_t offset = ents_[0].index;
  if (index <= offset) return base::Status::Ok();
  ents_.erase(ents_.begin(), ents_.begin() + (index - offset));
  return base::Status::Ok();
}

uint64_t MemoryStorage::DataBytes() const {
  uint64_t n = 0;
  for (const Entry& e : ents_) n += e.data.size();
  return n;
}

}  // namespace raft
