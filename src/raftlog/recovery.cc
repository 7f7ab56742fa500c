// raftlog::Log recovery: scan every segment, replay its records, cut a torn tail of the last
// segment, refuse anything else that fails a check. The rules are docs/formats/raftlog.md §5.
#include <algorithm>
#include <cctype>

#include "base/check.h"
#include "base/log.h"
#include "raftlog/log_impl.h"

namespace raftlog {
namespace {

// "0000000000000001.seg" -> 1; false for any other name.
bool ParseSegmentName(const std::string& name, uint64_t* seq) {
  if (name.size() != 20 || name.substr(16) != ".seg") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = name[i];
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(c)) return false;
    v = v * 16 + static_cast<uint64_t>(std::isdigit(c) ? c - '0' : c - 'a' + 10);
  }
  *seq = v;
  return true;
}

bool IsZero(std::string_view s) { return s.find_first_not_of('\0') == std::string_view::npos; }

size_t NextSector(size_t off) { return (off + kSectorBytes - 1) / kSectorBytes * kSectorBytes; }

// Offset of the first well-formed record starting at an aligned offset in [from, end), or npos.
// (A record may extend past `end`: its last bytes can be zeros.)
size_t FindValidRecord(std::string_view buf, size_t from, size_t end) {
  from = (from + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
  for (size_t q = from; q < end; q += kRecordAlign) {
    RecordView rec;
    if (ParseRecord(buf, q, &rec) == ParseOutcome::kOk) return q;
  }
  return std::string_view::npos;
}


// Why the damage at `off` (a bad record, or a zero header followed by more bytes) in the last
// segment must be corruption of synced data rather than a torn unsynced tail; "" for torn.
std::string SyncedDamage(std::string_view buf, size_t off, size_t nonzero_end,
                         ParseOutcome outcome) {
  size_t first_valid = std::string_view::npos;
  RecordView rec;
  for (size_t q = FindValidRecord(buf, off + kRecordAlign, nonzero_end);
       q != std::string_view::npos; q = FindValidRecord(buf, q + rec.total_bytes, nonzero_end)) {
    CHECK(ParseRecord(buf, q, &rec) == ParseOutcome::kOk);
    if (first_valid == std::string_view::npos) first_valid = q;
    if (rec.type != RecordType::kSyncMark) continue;
    base::Result<uint64_t> durable = DecodeSyncMark(rec.payload);
    if (durable.ok() && *durable > off) {
      return "a sync mark at offset " + std::to_string(q) + " says the first " +
             std::to_string(*durable) + " bytes were synced";
    }
  }
  if (first_valid == std::string_view::npos) return "";  // nothing good follows: torn
  // Good records follow, but nothing proves the damage was synced. Unsynced pages may reach the
  // disk in any order; a lost one reads as zeros (fresh, preallocated or zero-filled space). A
  // zero header, or a whole aligned zero sector before the next good record, is such a loss.
  if (outcome == ParseOutcome::kEnd) return "";
  for (size_t s = NextSector(off); s + kSectorBytes <= first_valid; s += kSectorBytes) {
    if (IsZero(buf.substr(s, kSectorBytes))) return "";
  }
  return "followed by a valid record at offset " + std::to_string(first_valid);
}

}  // namespace

// Replay state: while replaying, the live entries are locs_ = (base_index, base_index +
// locs_.size()], and base_index may run ahead of snap_.index (when older segments were
// compacted away, a later snapshot record catches up). FinishRecovery checks they meet.
struct LogImpl::Replay {
  bool started = false;
  uint64_t base_index = 0;
  uint64_t base_term = 0;
  bool base_term_known = true;  // false after a restart at an entry whose predecessor is gone
  uint64_t segment_prev_index = 0;  // from the start record of the segment being scanned

  uint64_t Last(const std::deque<Loc>& locs) const { return base_index + locs.size(); }
  // Whether the replayed log holds (index, term). Unknown base terms match.
  bool Holds(const std::deque<Loc>& locs, uint64_t index, uint64_t term) const {
    if (index < base_index || index > Last(locs)) return false;
    if (index == base_index) return !base_term_known || base_term == term;
    return locs[index - base_index - 1].term == term;
  }
};

base::Status LogImpl::Recover() {
  bool existed = fs_->Exists(dir_);
  RQ_RETURN_IF_ERROR(fs_->CreateDir(dir_));
  if (!existed) {
    // Make the new directory's own entry durable in its parent.
    size_t slash = dir_.find_last_of('/');
    std::string parent = slash == std::string::npos ? "."
                         : slash == 0                 ? "/"
                                                      : dir_.substr(0, slash);
    base::Status st = fs_->SyncDir(parent);
    CHECK(st.ok()) << "raftlog: fsync of " << parent << " failed (fatal): " << st.ToString();
  }
  RQ_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->List(dir_));
  std::vector<std::pair<uint64_t, std::string>> segs;
  for (const std::string& n : names) {
    uint64_t seq;
    if (ParseSegmentName(n, &seq)) segs.emplace_back(seq, n);
  }
  std::sort(segs.begin(), segs.end());
  for (size_t i = 1; i < segs.size(); ++i) {
    if (segs[i].first != segs[i - 1].first + 1) {
      return base::Corruption("raftlog: segment missing between " + segs[i - 1].second +
                              " and " + segs[i].second + " in " + dir_);
    }
  }
  Replay r;
  uint64_t next_seq = 1;
  for (size_t i = 0; i < segs.size(); ++i) {
    next_seq = segs[i].first;
    RQ_RETURN_IF_ERROR(ScanSegment(segs[i].second, segs[i].first, i + 1 == segs.size(), &r));
  }
  if (segs_.empty()) {
    // A new log (or one whose only segment was never completely created).
    RQ_ASSIGN_OR_RETURN(Segment seg, CreateSegment(next_seq, 0, 0));
    segs_.push_back(std::move(seg));
    r.started = true;
  }
  return FinishRecovery(&r);
}

base::Status LogImpl::ScanSegment(const std::string& name, uint64_t seq, bool last,
                                  Replay* r) {
  std::string path = fs::JoinPath(dir_, name);
  RQ_ASSIGN_OR_RETURN(std::unique_ptr<fs::File> file,
                      fs_->Open(path, fs::OpenMode::kReadWrite));
  RQ_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string buf(size, '\0');
  RQ_ASSIGN_OR_RETURN(size_t got, file->Read(0, size, buf.data()));
  if (got != size) return base::IoError("raftlog: short read of " + path);

  size_t off = 0, start_bytes = 0;
  RecordView rec;
  ParseOutcome outcome;
  for (;;) {
    outcome = ParseRecord(buf, off, &rec);
    if (outcome != ParseOutcome::kOk && off % kSectorBytes != 0) {
      // Every write starts on a sector boundary: zeros up to the next one are padding (a header
      // read across them may look bad when the padding is shorter than a header).
      size_t next = NextSector(off);
      if (next < buf.size() && IsZero(std::string_view(buf).substr(off, next - off)) &&
          ParseRecord(buf, next, &rec) != ParseOutcome::kEnd) {
        off = next;
        outcome = ParseRecord(buf, off, &rec);
      }
    }
    if (outcome != ParseOutcome::kOk) break;
    bool is_start = rec.type == RecordType::kSegmentStart;
    if (is_start != (off == 0)) {
      return base::Corruption("raftlog: " + path + ": " +
                              (off == 0 ? "does not begin with a segment start record"
                                        : "segment start record at offset " +
                                              std::to_string(off)));
    }
    RQ_RETURN_IF_ERROR(ApplyRecord(rec, seq, off, r));
    off += rec.total_bytes;
    if (is_start) start_bytes = off;
  }
  RQ_ASSIGN_OR_RETURN(bool removed, CheckTail(path, buf, off, outcome, last, file.get()));
  if (removed) return base::Status::Ok();
  Segment seg;
  seg.seq = seq;
  seg.prev_index = r->segment_prev_index;
  seg.file = std::move(file);
  seg.end = off;
  seg.data_start = start_bytes;
  segs_.push_back(std::move(seg));
  return base::Status::Ok();
}

base::Result<bool> LogImpl::CheckTail(const std::string& path, std::string_view buf, size_t off,
                                      ParseOutcome outcome, bool last, fs::File* file) {
  size_t nonzero_end = buf.size();
  while (nonzero_end > off && buf[nonzero_end - 1] == '\0') --nonzero_end;
  if (nonzero_end > off) {
    std::string what = outcome == ParseOutcome::kBad ? "bad record" : "stray bytes";
    if (!last) {
      return base::Corruption("raftlog: " + path + ": " + what + " at offset " +
                              std::to_string(off) + " in a segment that is not the last");
    }
    std::string why = SyncedDamage(buf, off, nonzero_end, outcome);
    if (!why.empty()) {
      return base::Corruption("raftlog: " + path + ": " + what + " at offset " +
                              std::to_string(off) + ": " + why +
                              " (corruption inside the log, not a torn tail)");
    }
    LOG(kWarn, "raftlog") << "cutting torn tail of " << path << ": " << (nonzero_end - off)
                          << " bytes at offset " << off;
  } else if (off > 0) {
    return false;  // clean: only zeros after the data
  } else if (!last) {
    return base::Corruption("raftlog: " + path + " is empty but not the last segment");
  }
  if (off == 0) {
    // The segment's creation never completed (no start record): nothing in it was synced.
    RQ_RETURN_IF_ERROR(fs_->Remove(path));
    base::Status st = fs_->SyncDir(dir_);
    CHECK(st.ok()) << "raftlog: fsync of log directory failed (fatal): " << st.ToString();
    return true;
  }
  RQ_RETURN_IF_ERROR(file->Write(off, std::string(nonzero_end - off, '\0')));
  base::Status st = file->Sync();
  CHECK(st.ok()) << "raftlog: fdatasync failed (fatal): " << st.ToString();
  return false;
}

base::Status LogImpl::AdoptSnapshot(const raft::SnapshotMeta& meta, const std::string& where,
                                    Replay* r) {
  if (meta.index > r->base_index) {
    if (!r->Holds(locs_, meta.index, meta.term)) {
      return base::Corruption("raftlog: " + where + ": snapshot metadata (index " +
                              std::to_string(meta.index) + ", term " +
                              std::to_string(meta.term) + ") does not match the log");
    }
    locs_.erase(locs_.begin(), locs_.begin() + static_cast<ptrdiff_t>(meta.index - r->base_index));
    r->base_index = meta.index;
    r->base_term = meta.term;
  }
  snap_ = meta;
  return base::Status::Ok();
}

base::Status LogImpl::ApplyStart(const SegmentStart& s, uint64_t seq, const std::string& where,
                                 Replay* r) {
  if (s.seq != seq) {
    return base::Corruption("raftlog: " + where + ": start record names segment " +
                            std::to_string(s.seq));
  }
  r->segment_prev_index = s.prev_index;
  if (r->started && r->Holds(locs_, s.prev_index, s.prev_term)) {
    // Rolled over from the previous segment; an Append that truncated the log may have started
    // this segment, so the log continues from prev_index.
    locs_.resize(s.prev_index - r->base_index);
    if (s.prev_index == r->base_index) {
      r->base_term = s.prev_term;
      r->base_term_known = true;
    }
  } else {
    // The first segment, or one started by installing a snapshot: the log restarts here.
    locs_.clear();
    r->base_index = s.prev_index;
    r->base_term = s.prev_term;
    r->base_term_known = true;
  }
  r->started = true;
  hs_ = s.hard_state;
  return AdoptSnapshot(s.snapshot, where, r);
}

base::Status LogImpl::ApplyRecord(const RecordView& rec, uint64_t seq, uint64_t offset,
                                  Replay* r) {
  // Built only for the rare records that need it: this runs once per record at startup.
  auto where = [&] { return SegmentPath(seq) + " offset " + std::to_string(offset); };
  switch (rec.type) {
    case RecordType::kSegmentStart: {
      RQ_ASSIGN_OR_RETURN(SegmentStart s, DecodeSegmentStart(rec.payload));
      return ApplyStart(s, seq, where(), r);
    }
    case RecordType::kEntry: {
      uint64_t term, index;
      RQ_RETURN_IF_ERROR(DecodeEntryHeader(rec.payload, &term, &index));
      uint64_t last = r->Last(locs_);
      if (index <= r->base_index) {
        // Rewrites an entry whose predecessors were in compacted segments (the truncation
        // happened before the snapshot that allowed the compaction): restart the log here.
        locs_.clear();
        r->base_index = index - 1;
        r->base_term_known = false;
        last = index - 1;
      }
      if (index == 0 || index > last + 1) {
        return base::Corruption("raftlog: " + where() + ": entry " + std::to_string(index) +
                                " out of sequence (log holds (" +
                                std::to_string(r->base_index) + ", " + std::to_string(last) +
                                "])");
      }
      locs_.resize(index - r->base_index - 1);
      locs_.push_back(Loc{term, seq, offset, rec.total_bytes});
      return base::Status::Ok();
    }
    case RecordType::kHardState: {
      RQ_ASSIGN_OR_RETURN(hs_, DecodeHardState(rec.payload));
      return base::Status::Ok();
    }
    case RecordType::kSnapshot: {
      RQ_ASSIGN_OR_RETURN(raft::SnapshotMeta meta, DecodeSnapshotMeta(rec.payload));
      return AdoptSnapshot(meta, where(), r);
    }
    case RecordType::kSyncMark: {
      RQ_ASSIGN_OR_RETURN(uint64_t durable, DecodeSyncMark(rec.payload));
      if (durable > offset) {
        return base::Corruption("raftlog: " + where() + ": sync mark beyond its own offset");
      }
      return base::Status::Ok();
    }
  }
  return base::Corruption("raftlog: " + where() + ": unknown record type");
}

base::Status LogImpl::FinishRecovery(Replay* r) {
  if (r->base_index != snap_.index) {
    return base::Corruption("raftlog: the log in " + dir_ + " begins after entry " +
                            std::to_string(r->base_index) + " but the snapshot covers only " +
                            std::to_string(snap_.index) + ": segments are missing");
  }
  pending_.clear();
  pending_offset_ = segs_.back().end;
  zeroed_to_ = 0;
  // What was read back may still be only in the page cache (the process crashed, not the
  // machine): make it durable before any sync mark claims it is.
  base::Status st = segs_.back().file->Sync();
  CHECK(st.ok()) << "raftlog: fdatasync failed (fatal): " << st.ToString();
  synced_end_ = pending_offset_;
  need_mark_ = true;
  active_dirty_ = false;
  return base::Status::Ok();
}

}  // namespace raftlog
