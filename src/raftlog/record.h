// raftlog/record.h — the framing and payload encodings of raftlog segment files (the byte-level
// spec is docs/formats/raftlog.md). Pure functions; no I/O. Thread-safe.
//
// A record is: crc32c u32 | length u32 | type u8 | 3 zero bytes | payload (length bytes) |
// zero padding to a multiple of 8. The CRC covers everything from `length` to the end of the
// payload. Integers are little-endian. An all-zero 12-byte header marks the end of the data
// (preallocated, never-written space reads as zeros).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "raft/types.h"

namespace raftlog {

inline constexpr size_t kRecordHeaderBytes = 12;
inline constexpr size_t kRecordAlign = 8;
// Every write of buffered records starts on a sector boundary (zero padding before it), so a
// write lost or torn by a crash never shares a sector with data synced earlier.
inline constexpr size_t kSectorBytes = 512;
inline constexpr uint64_t kSegmentMagic = 0x3130474F4C525152ull;  // "RQRLOG01" as LE bytes
inline constexpr uint32_t kFormatVersion = 1;

enum class RecordType : uint8_t {
  kSegmentStart = 1,
  kEntry = 2,
  kHardState = 3,
  kSnapshot = 4,
  kSyncMark = 5,  // u64: bytes of this segment known durable when the record was buffered
};

// Total bytes a record with `payload_bytes` of payload occupies (header + payload + padding).
inline size_t RecordBytes(size_t payload_bytes) {
  return (kRecordHeaderBytes + payload_bytes + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

// Appends one framed record to `out`.
void AppendRecord(RecordType type, std::string_view payload, std::string* out);

enum class ParseOutcome {
  kOk,    // a well-formed record with a good CRC
  kEnd,   // an all-zero header: end of data
  kBad,   // anything else (torn, corrupt, or cut off by the end of the buffer)
};

struct RecordView {
  RecordType type;
  std::string_view payload;
  size_t total_bytes;  // including header and padding
};

// Parses the record starting at `buf[offset]`. REQUIRES: offset % kRecordAlign == 0.
ParseOutcome ParseRecord(std::string_view buf, size_t offset, RecordView* out);

// --- payloads ---
struct SegmentStart {
  uint64_t seq = 0;
  uint64_t prev_index = 0;  // index of the last entry before this segment's first entry
  uint64_t prev_term = 0;   // its term
  raft::HardState hard_state;
  raft::SnapshotMeta snapshot;
};

void EncodeEntry(const raft::Entry& e, std::string* out);
void EncodeHardState(const raft::HardState& hs, std::string* out);
void EncodeSnapshotMeta(const raft::SnapshotMeta& meta, std::string* out);
void EncodeSegmentStart(const SegmentStart& s, std::string* out);
void EncodeSyncMark(uint64_t durable_bytes, std::string* out);

base::Result<raft::Entry> DecodeEntry(std::string_view payload);
// Only term and index (cheap; for recovery's index).
base::Status DecodeEntryHeader(std::string_view payload, uint64_t* term, uint64_t* index);
base::Result<raft::HardState> DecodeHardState(std::string_view payload);
base::Result<raft::SnapshotMeta> DecodeSnapshotMeta(std::string_view payload);
base::Result<SegmentStart> DecodeSegmentStart(std::string_view payload);
base::Result<uint64_t> DecodeSyncMark(std::string_view payload);

}  // namespace raftlog
