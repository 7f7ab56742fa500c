#include "raftlog/record.h"

#include <cstring>

#include "base/crc32c.h"

namespace raftlog {
namespace {

void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}

void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

uint32_t LoadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t LoadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Sequential little-endian reader over a payload; any overrun sets !ok().
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  uint64_t U64() { return Take(8) ? LoadU64(s_.data() + pos_ - 8) : 0; }
  uint32_t U32() { return Take(4) ? LoadU32(s_.data() + pos_ - 4) : 0; }
  uint8_t U8() { return Take(1) ? static_cast<uint8_t>(s_[pos_ - 1]) : 0; }
  std::string_view Rest() const { return ok_ ? s_.substr(pos_) : std::string_view(); }
  size_t remaining() const { return s_.size() - pos_; }
  bool ok() const { return ok_; }

 private:
  bool Take(size_t n) {
    if (!ok_ || s_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::string_view s_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Indexes and terms beyond this are refused as corrupt, which keeps recovery's arithmetic far
// from overflow.
constexpr uint64_t kMaxIndex = 1ull << 62;

base::Status Bad(const char* what) {
  return base::Corruption(std::string("raftlog: malformed ") + what + " record payload");
}

void PutIds(std::string* out, const std::vector<raft::NodeId>& ids) {
  PutU32(out, static_cast<uint32_t>(ids.size()));
  for (raft::NodeId id : ids) PutU64(out, id);
}

bool GetIds(Reader* r, std::vector<raft::NodeId>* ids) {
  uint32_t n = r->U32();
  if (!r->ok() || r->remaining() / 8 < n) return false;
  ids->resize(n);
  for (uint32_t i = 0; i < n; ++i) (*ids)[i] = r->U64();
  return r->ok();
}

bool GetSnapshotMeta(Reader* r, raft::SnapshotMeta* m) {
  m->index = r->U64();
  m->term = r->U64();
  return r->ok() && GetIds(r, &m->conf.voters) && GetIds(r, &m->conf.learners);
}

}  // namespace

void AppendRecord(RecordType type, std::string_view payload, std::string* out) {
  size_t start = out->size();
  PutU32(out, 0);  // CRC, filled below
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  out->append(3, '\0');
  out->append(payload);
  uint32_t crc = base::Crc32c(out->data() + start + 4, out->size() - start - 4);
  for (int i = 0; i < 4; ++i) (*out)[start + i] = static_cast<char>(crc >> (8 * i));
  out->append(RecordBytes(payload.size()) - (out->size() - start), '\0');
}

ParseOutcome ParseRecord(std::string_view buf, size_t offset, RecordView* out) {
  if (offset >= buf.size()) return ParseOutcome::kEnd;
  if (buf.size() - offset < kRecordHeaderBytes) {
    for (size_t i = offset; i < buf.size(); ++i) {
      if (buf[i] != '\0') return ParseOutcome::kBad;
    }
    return ParseOutcome::kEnd;
  }
  const char* h = buf.data() + offset;
  static const char kZeros[kRecordHeaderBytes] = {};
  if (std::memcmp(h, kZeros, kRecordHeaderBytes) == 0) return ParseOutcome::kEnd;
  uint32_t crc = LoadU32(h);
  uint32_t len = LoadU32(h + 4);
  uint8_t type = static_cast<uint8_t>(h[8]);
  if (type < 1 || type > 5 || h[9] != 0 || h[10] != 0 || h[11] != 0) return ParseOutcome::kBad;
  if (len > buf.size() - offset - kRecordHeaderBytes) return ParseOutcome::kBad;
  if (base::Crc32c(h + 4, kRecordHeaderBytes - 4 + len) != crc) return ParseOutcome::kBad;
  size_t total = RecordBytes(len);
  if (total > buf.size() - offset) return ParseOutcome::kBad;
  for (size_t i = kRecordHeaderBytes + len; i < total; ++i) {
    if (h[i] != '\0') return ParseOutcome::kBad;  // padding must be zero
  }
  out->type = static_cast<RecordType>(type);
  out->payload = std::string_view(h + kRecordHeaderBytes, len);
  out->total_bytes = total;
  return ParseOutcome::kOk;
}

void EncodeEntry(const raft::Entry& e, std::string* out) {
  PutU64(out, e.term);
  PutU64(out, e.index);
  out->push_back(static_cast<char>(e.type));
  out->append(e.data);
}

void EncodeHardState(const raft::HardState& hs, std::string* out) {
  PutU64(out, hs.term);
  PutU64(out, hs.vote);
  PutU64(out, hs.commit);
}

void EncodeSnapshotMeta(const raft::SnapshotMeta& meta, std::string* out) {
  PutU64(out, meta.index);
  PutU64(out, meta.term);
  PutIds(out, meta.conf.voters);
  PutIds(out, meta.conf.learners);
}

void EncodeSegmentStart(const SegmentStart& s, std::string* out) {
  PutU64(out, kSegmentMagic);
  PutU32(out, kFormatVersion);
  PutU32(out, 0);
  PutU64(out, s.seq);
  PutU64(out, s.prev_index);
  PutU64(out, s.prev_term);
  EncodeHardState(s.hard_state, out);
  EncodeSnapshotMeta(s.snapshot, out);
}

void EncodeSyncMark(uint64_t durable_bytes, std::string* out) { PutU64(out, durable_bytes); }

base::Result<uint64_t> DecodeSyncMark(std::string_view payload) {
  if (payload.size() != 8) return Bad("sync mark");
  return LoadU64(payload.data());
}

base::Status DecodeEntryHeader(std::string_view payload, uint64_t* term, uint64_t* index) {
  if (payload.size() < 17) return Bad("entry");
  *term = LoadU64(payload.data());
  *index = LoadU64(payload.data() + 8);
  if (static_cast<uint8_t>(payload[16]) > 2) return Bad("entry (unknown entry type)");
  if (*index == 0 || *index >= kMaxIndex || *term >= kMaxIndex) return Bad("entry (index/term)");
  return base::Status::Ok();
}

base::Result<raft::Entry> DecodeEntry(std::string_view payload) {
  raft::Entry e;
  RQ_RETURN_IF_ERROR(DecodeEntryHeader(payload, &e.term, &e.index));
  e.type = static_cast<raft::EntryType>(payload[16]);
  e.data.assign(payload.substr(17));
  return e;
}

base::Result<raft::HardState> DecodeHardState(std::string_view payload) {
  Reader r(payload);
  raft::HardState hs;
  hs.term = r.U64();
  hs.vote = r.U64();
  hs.commit = r.U64();
  if (!r.ok() || r.remaining() != 0) return Bad("hard state");
  return hs;
}

base::Result<raft::SnapshotMeta> DecodeSnapshotMeta(std::string_view payload) {
  Reader r(payload);
  raft::SnapshotMeta m;
  if (!GetSnapshotMeta(&r, &m) || r.remaining() != 0) return Bad("snapshot");
  if (m.index >= kMaxIndex || m.term >= kMaxIndex) return Bad("snapshot (index/term)");
  return m;
}

base::Result<SegmentStart> DecodeSegmentStart(std::string_view payload) {
  Reader r(payload);
  SegmentStart s;
  uint64_t magic = r.U64();
  uint32_t version = r.U32();
  r.U32();
  if (!r.ok() || magic != kSegmentMagic) return Bad("segment start (bad magic)");
  if (version != kFormatVersion) {
    return base::Corruption("raftlog: unsupported segment format version " +
                            std::to_string(version));
  }
  s.seq = r.U64();
  s.prev_index = r.U64();
  s.prev_term = r.U64();
  s.hard_state.term = r.U64();
  s.hard_state.vote = r.U64();
  s.hard_state.commit = r.U64();
  if (!r.ok() || !GetSnapshotMeta(&r, &s.snapshot) || r.remaining() != 0) {
    return Bad("segment start");
  }
  if (s.prev_index >= kMaxIndex || s.prev_term >= kMaxIndex || s.snapshot.index >= kMaxIndex) {
    return Bad("segment start (index/term)");
  }
  return s;
}

}  // namespace raftlog
