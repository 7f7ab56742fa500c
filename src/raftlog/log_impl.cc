// The write and read paths of raftlog::Log, and the Log facade. Recovery is in recovery.cc.
#include <cinttypes>
#include <cstdio>

#include "base/check.h"
#include "raftlog/log_impl.h"

namespace raftlog {
namespace {

constexpr uint64_t kCacheEntryOverheadBytes = 64;
constexpr uint64_t kReadChunkBytes = 1 << 20;

}  // namespace

LogImpl::LogImpl(fs::FileSystem* fs, std::string dir, Options options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string LogImpl::SegmentPath(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%016" PRIx64 ".seg", seq);
  return fs::JoinPath(dir_, name);
}

base::Result<LogImpl::Segment> LogImpl::CreateSegment(uint64_t seq, uint64_t prev_index,
                                                      uint64_t prev_term) {
  std::string path = SegmentPath(seq);
  RQ_ASSIGN_OR_RETURN(std::unique_ptr<fs::File> file,
                      fs_->Open(path, fs::OpenMode::kCreateNew));
  if (options_.preallocate) RQ_RETURN_IF_ERROR(file->Preallocate(options_.segment_bytes));
  SegmentStart start{seq, prev_index, prev_term, hs_, snap_};
  std::string payload, rec;
  EncodeSegmentStart(start, &payload);
  AppendRecord(RecordType::kSegmentStart, payload, &rec);
  RQ_RETURN_IF_ERROR(file->Write(0, rec));
  base::Status st = file->Sync();
  CHECK(st.ok()) << "raftlog: fdatasync of new segment failed (fatal): " << st.ToString();
  st = fs_->SyncDir(dir_);
  CHECK(st.ok()) << "raftlog: fsync of log directory failed (fatal): " << st.ToString();
  Segment seg;
  seg.seq = seq;
  seg.prev_index = prev_index;
  seg.file = std::move(file);
  seg.end = rec.size();
  seg.data_start = rec.size();
  return seg;
}

base::Status LogImpl::FlushPending() {
  if (!failed_.ok()) return failed_;
  if (pending_.empty()) return base::Status::Ok();
  base::Status st = segs_.back().file->Write(pending_offset_, pending_);
  if (!st.ok()) {
    failed_ = st;
    return st;
  }
  pending_offset_ += pending_.size();
  pending_.clear();
  active_dirty_ = true;
  return ZeroFillAhead();
}

base::Status LogImpl::ZeroFillAhead() {
  // fallocate leaves "unwritten" extents: the first write to each block makes fdatasync commit
  // an extent conversion too. Writing zeros a chunk ahead makes most syncs plain overwrites.
  uint64_t chunk = options_.zero_fill_bytes;
  if (!options_.preallocate || chunk == 0) return base::Status::Ok();
  uint64_t limit = options_.segment_bytes;
  uint64_t from = std::max(zeroed_to_, pending_offset_);
  if (from >= limit || zeroed_to_ >= pending_offset_ + chunk / 2) return base::Status::Ok();
  uint64_t to = std::min(limit, pending_offset_ + chunk);
  if (zeros_.size() < to - from) zeros_.assign(to - from, '\0');
  std::string_view zeros = std::string_view(zeros_).substr(0, to - from);
  base::Status st = segs_.back().file->Write(from, zeros);
  if (!st.ok()) {
    failed_ = st;
    return st;
  }
  zeroed_to_ = to;
  return base::Status::Ok();
}

base::Status LogImpl::SyncActive() {
  RQ_RETURN_IF_ERROR(FlushPending());
  if (!active_dirty_) return base::Status::Ok();
  base::Status st = segs_.back().file->Sync();
  CHECK(st.ok()) << "raftlog: fdatasync failed (fatal, never retried): " << st.ToString();
  active_dirty_ = false;
  synced_end_ = pending_offset_;
  need_mark_ = true;
  return base::Status::Ok();
}

base::Status LogImpl::Roll(uint64_t prev_index, uint64_t prev_term) {
  // Every segment but the last is fully synced: recovery may then treat any bad byte in an
  // older segment as corruption.
  RQ_RETURN_IF_ERROR(SyncActive());
  base::Result<Segment> seg = CreateSegment(segs_.back().seq + 1, prev_index, prev_term);
  if (!seg.ok()) {
    failed_ = seg.status();
    return failed_;
  }
  segs_.push_back(std::move(seg).value());
  pending_offset_ = segs_.back().end;
  zeroed_to_ = 0;
  synced_end_ = segs_.back().end;
  need_mark_ = true;
  return base::Status::Ok();
}

base::Status LogImpl::AddRecord(RecordType type, std::string_view payload, Loc* loc) {
  const uint64_t mark_bytes = RecordBytes(8);
  uint64_t n = RecordBytes(payload.size());
  Segment* act = &segs_.back();
  auto pad = [&] {  // a new write starts on a sector boundary
    return pending_.empty() ? (kSectorBytes - act->end % kSectorBytes) % kSectorBytes : 0;
  };
  // A record bigger than a whole segment still goes into a segment of its own.
  if (act->end + pad() + n + (need_mark_ ? mark_bytes : 0) > options_.segment_bytes &&
      act->end > act->data_start) {
    RQ_ASSIGN_OR_RETURN(uint64_t prev_term, Term(last_index()));
    RQ_RETURN_IF_ERROR(Roll(last_index(), prev_term));
    act = &segs_.back();
  }
  if (pending_.empty()) {
    act->end += pad();  // the skipped bytes are zeros already (never written)
    pending_offset_ = act->end;
  }
  if (need_mark_) {
    // The first record after a Sync says how much of the segment that Sync made durable, so
    // recovery can tell damage to synced data from a torn unsynced tail.
    std::string mark;
    EncodeSyncMark(synced_end_, &mark);
    AppendRecord(RecordType::kSyncMark, mark, &pending_);
    act->end += mark_bytes;
    need_mark_ = false;
  }
  loc->seq = act->seq;
  loc->offset = act->end;
  loc->bytes = n;
  AppendRecord(type, payload, &pending_);
  act->end += n;
  if (pending_.size() >= options_.write_buffer_bytes) return FlushPending();
  return base::Status::Ok();
}

void LogImpl::TruncateFrom(uint64_t index) {
  if (index > last_index()) return;
  locs_.resize(index - first_index());
  while (!cache_.empty() && cache_.back().index >= index) {
    cache_bytes_ -= cache_.back().data.size() + kCacheEntryOverheadBytes;
    cache_.pop_back();
  }
}

void LogImpl::DropThrough(uint64_t index) {
  uint64_t n = std::min<uint64_t>(index - snap_.index, locs_.size());
  locs_.erase(locs_.begin(), locs_.begin() + static_cast<ptrdiff_t>(n));
  while (!cache_.empty() && cache_.front().index <= index) {
    cache_bytes_ -= cache_.front().data.size() + kCacheEntryOverheadBytes;
    cache_.pop_front();
  }
}

void LogImpl::CachePush(const raft::Entry& e) {
  if (!cache_.empty() && cache_.back().index + 1 != e.index) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  cache_.push_back(e);
  cache_bytes_ += e.data.size() + kCacheEntryOverheadBytes;
  while (cache_bytes_ > options_.cache_bytes && !cache_.empty()) {
    cache_bytes_ -= cache_.front().data.size() + kCacheEntryOverheadBytes;
    cache_.pop_front();
  }
}

base::Status LogImpl::Append(std::span<const raft::Entry> entries) {
  if (!failed_.ok()) return failed_;
  size_t i = 0;
  while (i < entries.size() && entries[i].index <= snap_.index) ++i;
  if (i == entries.size()) return base::Status::Ok();
  for (size_t j = i + 1; j < entries.size(); ++j) {
    if (entries[j].index != entries[j - 1].index + 1) {
      return base::InvalidArgument("raftlog: Append: indexes not consecutive");
    }
  }
  uint64_t from = entries[i].index;
  if (from > last_index() + 1) {
    return base::InvalidArgument("raftlog: Append at " + std::to_string(from) +
                                 " would leave a gap after " + std::to_string(last_index()));
  }
  for (; i < entries.size(); ++i) {
    const raft::Entry& e = entries[i];
    scratch_.clear();
    EncodeEntry(e, &scratch_);
    Loc loc;
    // Add the record before truncating: a segment started for it must begin at the log's end
    // as it was, so the truncation stays an unsynced effect of this record.
    RQ_RETURN_IF_ERROR(AddRecord(RecordType::kEntry, scratch_, &loc));
    TruncateFrom(e.index);
    loc.term = e.term;
    locs_.push_back(loc);
    CachePush(e);
  }
  return base::Status::Ok();
}

base::Status LogImpl::SetHardState(const raft::HardState& hs) {
  if (!failed_.ok()) return failed_;
  if (hs == hs_) return base::Status::Ok();
  scratch_.clear();
  EncodeHardState(hs, &scratch_);
  Loc loc;
  RQ_RETURN_IF_ERROR(AddRecord(RecordType::kHardState, scratch_, &loc));
  hs_ = hs;
  return base::Status::Ok();
}

base::Status LogImpl::Sync() {
  if (!failed_.ok()) return failed_;
  return SyncActive();
}

base::Status LogImpl::SetSnapshot(const raft::SnapshotMeta& meta) {
  if (!failed_.ok()) return failed_;
  if (meta.index < snap_.index) {
    return base::InvalidArgument("raftlog: snapshot at " + std::to_string(meta.index) +
                                 " is older than the current one at " +
                                 std::to_string(snap_.index));
  }
  if (meta == snap_) return SyncActive();
  bool keep = meta.index <= last_index() && Term(meta.index).value() == meta.term;
  if (keep) {
    scratch_.clear();
    EncodeSnapshotMeta(meta, &scratch_);
    Loc loc;
    RQ_RETURN_IF_ERROR(AddRecord(RecordType::kSnapshot, scratch_, &loc));
    DropThrough(meta.index);
    snap_ = meta;
    return SyncActive();
  }
  // Install: the whole log is replaced. The new segment's start record carries the snapshot;
  // then every older segment is garbage.
  locs_.clear();
  cache_.clear();
  cache_bytes_ = 0;
  snap_ = meta;
  RQ_RETURN_IF_ERROR(Roll(meta.index, meta.term));
  while (segs_.size() > 1) {
    RQ_RETURN_IF_ERROR(fs_->Remove(SegmentPath(segs_.front().seq)));
    segs_.pop_front();
    base::Status st = fs_->SyncDir(dir_);
    CHECK(st.ok()) << "raftlog: fsync of log directory failed (fatal): " << st.ToString();
  }
  return base::Status::Ok();
}

base::Status LogImpl::Compact(uint64_t index) {
  if (!failed_.ok()) return failed_;
  if (index > snap_.index) {
    return base::InvalidArgument("raftlog: Compact(" + std::to_string(index) +
                                 ") beyond the snapshot at " + std::to_string(snap_.index));
  }
  // Oldest first, one directory sync each: the survivors are always a contiguous run.
  while (segs_.size() > 1 && segs_[1].prev_index <= index) {
    RQ_RETURN_IF_ERROR(fs_->Remove(SegmentPath(segs_.front().seq)));
    segs_.pop_front();
    base::Status st = fs_->SyncDir(dir_);
    CHECK(st.ok()) << "raftlog: fsync of log directory failed (fatal): " << st.ToString();
  }
  return base::Status::Ok();
}

base::Result<uint64_t> LogImpl::Term(uint64_t index) const {
  if (index < snap_.index || index > last_index()) {
    return base::InvalidArgument("raftlog: Term(" + std::to_string(index) +
                                 ") outside [" + std::to_string(snap_.index) + ", " +
                                 std::to_string(last_index()) + "]");
  }
  if (index == snap_.index) return snap_.term;
  return locs_[index - first_index()].term;
}

const LogImpl::Segment* LogImpl::FindSegment(uint64_t seq) const {
  for (const Segment& s : segs_) {
    if (s.seq == seq) return &s;
  }
  return nullptr;
}

base::Result<std::vector<raft::Entry>> LogImpl::ReadRun(uint64_t lo, uint64_t hi) const {
  const Loc& head = locs_[lo - first_index()];
  const Segment* seg = FindSegment(head.seq);
  CHECK(seg != nullptr) << "raftlog: entry " << lo << " in a deleted segment " << head.seq;
  bool active = seg == &segs_.back();
  auto buffered = [&](const Loc& l) { return active && l.offset >= pending_offset_; };
  // The longest run of records that sit back to back in one place, up to kReadChunkBytes.
  uint64_t end = lo + 1, bytes = head.bytes;
  while (end < hi) {
    const Loc& l = locs_[end - first_index()];
    if (l.seq != head.seq || l.offset != head.offset + bytes || buffered(l) != buffered(head) ||
        bytes + l.bytes > kReadChunkBytes) {
      break;
    }
    bytes += l.bytes;
    ++end;
  }
  std::string buf;
  if (buffered(head)) {
    buf = pending_.substr(head.offset - pending_offset_, bytes);
  } else {
    buf.resize(bytes);
    RQ_ASSIGN_OR_RETURN(size_t n, seg->file->Read(head.offset, bytes, buf.data()));
    buf.resize(n);
  }
  std::vector<raft::Entry> out;
  size_t off = 0;
  for (uint64_t i = lo; i < end; ++i) {
    const Loc& l = locs_[i - first_index()];
    std::string where = SegmentPath(l.seq) + " at offset " + std::to_string(l.offset);
    RecordView rec;
    if (ParseRecord(buf, off, &rec) != ParseOutcome::kOk || rec.type != RecordType::kEntry) {
      return base::Corruption("raftlog: entry " + std::to_string(i) +
                              " failed its checksum on read: " + where);
    }
    RQ_ASSIGN_OR_RETURN(raft::Entry e, DecodeEntry(rec.payload));
    if (e.index != i || e.term != l.term) {
      return base::Corruption("raftlog: record for entry " + std::to_string(i) +
                              " holds entry " + std::to_string(e.index) + ": " + where);
    }
    out.push_back(std::move(e));
    off += rec.total_bytes;
  }
  return out;
}

base::Result<std::vector<raft::Entry>> LogImpl::Entries(uint64_t lo, uint64_t hi,
                                                        uint64_t max_bytes) const {
  if (lo < first_index() || lo > hi || hi > last_index() + 1) {
    return base::InvalidArgument("raftlog: Entries [" + std::to_string(lo) + ", " +
                                 std::to_string(hi) + ") outside [" +
                                 std::to_string(first_index()) + ", " +
                                 std::to_string(last_index() + 1) + ")" +
                                 (lo < first_index() ? " (compacted)" : ""));
  }
  std::vector<raft::Entry> out;
  uint64_t total = 0;
  uint64_t cache_first = cache_.empty() ? UINT64_MAX : cache_.front().index;
  auto take = [&](raft::Entry e) {
    if (!out.empty() && total + e.data.size() > max_bytes) return false;
    total += e.data.size();
    out.push_back(std::move(e));
    return true;
  };
  uint64_t i = lo;
  while (i < hi) {
    if (i >= cache_first) {
      if (!take(cache_[i - cache_first])) break;
      ++i;
      continue;
    }
    RQ_ASSIGN_OR_RETURN(std::vector<raft::Entry> run, ReadRun(i, std::min(hi, cache_first)));
    for (raft::Entry& e : run) {
      if (!take(std::move(e))) return out;
      ++i;
    }
  }
  return out;
}

// --- the facade ---

Log::Log(std::unique_ptr<LogImpl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

base::Result<std::unique_ptr<Log>> Log::Open(fs::FileSystem* fs, std::string dir,
                                             Options options) {
  CHECK(fs != nullptr);
  CHECK_GT(options.segment_bytes, 0u);
  auto impl = std::make_unique<LogImpl>(fs, std::move(dir), options);
  RQ_RETURN_IF_ERROR(impl->Recover());
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

raft::HardState Log::hard_state() const { return impl_->hard_state(); }
raft::SnapshotMeta Log::snapshot() const { return impl_->snapshot(); }
uint64_t Log::first_index() const { return impl_->first_index(); }
uint64_t Log::last_index() const { return impl_->last_index(); }
size_t Log::segment_count() const { return impl_->segment_count(); }
base::Result<std::vector<raft::Entry>> Log::Entries(uint64_t lo, uint64_t hi,
                                                    uint64_t max_bytes) const {
  return impl_->Entries(lo, hi, max_bytes);
}
base::Result<uint64_t> Log::Term(uint64_t index) const { return impl_->Term(index); }
base::Status Log::Append(std::span<const raft::Entry> entries) {
  return impl_->Append(entries);
}
base::Status Log::SetHardState(const raft::HardState& hs) { return impl_->SetHardState(hs); }
base::Status Log::Sync() { return impl_->Sync(); }
base::Status Log::SetSnapshot(const raft::SnapshotMeta& meta) {
  return impl_->SetSnapshot(meta);
}
base::Status Log::Compact(uint64_t index) { return impl_->Compact(index); }

}  // namespace raftlog
