#include <gtest/gtest.h>

#include "raftlog/record.h"

namespace raftlog {
namespace {

TEST(Record, RoundTripAndAlignment) {
  std::string buf;
  AppendRecord(RecordType::kHardState, "abc", &buf);
  EXPECT_EQ(buf.size(), RecordBytes(3));
  EXPECT_EQ(buf.size() % kRecordAlign, 0u);
  AppendRecord(RecordType::kEntry, std::string(100, 'x'), &buf);
  RecordView rec;
  ASSERT_EQ(ParseRecord(buf, 0, &rec), ParseOutcome::kOk);
  EXPECT_EQ(rec.type, RecordType::kHardState);
  EXPECT_EQ(rec.payload, "abc");
  ASSERT_EQ(ParseRecord(buf, rec.total_bytes, &rec), ParseOutcome::kOk);
  EXPECT_EQ(rec.payload, std::string(100, 'x'));
  EXPECT_EQ(ParseRecord(buf, buf.size(), &rec), ParseOutcome::kEnd);
}

TEST(Record, ZerosAreEndAndAnyFlipIsBad) {
  std::string zeros(64, '\0');
  RecordView rec;
  EXPECT_EQ(ParseRecord(zeros, 0, &rec), ParseOutcome::kEnd);
  std::string buf;
  AppendRecord(RecordType::kEntry, "payload-bytes", &buf);
  for (size_t i = 0; i < kRecordHeaderBytes + 13; ++i) {
    std::string bad = buf;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(ParseRecord(bad, 0, &rec), ParseOutcome::kBad) << "byte " << i;
  }
  // Cut short anywhere: bad (or end when only zeros remain).
  for (size_t n = 1; n < buf.size() - 3; ++n) {
    EXPECT_EQ(ParseRecord(std::string_view(buf).substr(0, n), 0, &rec), ParseOutcome::kBad);
  }
}

TEST(Record, PayloadCodecs) {
  raft::Entry e{7, 42, raft::EntryType::kConfChange, std::string("\0data", 5)};
  std::string p;
  EncodeEntry(e, &p);
  auto d = DecodeEntry(p);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, e);
  uint64_t term, index;
  ASSERT_TRUE(DecodeEntryHeader(p, &term, &index).ok());
  EXPECT_EQ(term, 7u);
  EXPECT_EQ(index, 42u);
  EXPECT_FALSE(DecodeEntry("short").ok());

  raft::HardState hs{3, 2, 99};
  p.clear();
  EncodeHardState(hs, &p);
  EXPECT_EQ(*DecodeHardState(p), hs);
  EXPECT_FALSE(DecodeHardState(p + "x").ok());

  raft::SnapshotMeta m{100, 4, {{1, 2, 3}, {9}}};
  p.clear();
  EncodeSnapshotMeta(m, &p);
  EXPECT_EQ(*DecodeSnapshotMeta(p), m);
  EXPECT_FALSE(DecodeSnapshotMeta(p.substr(0, p.size() - 1)).ok());

  SegmentStart s{5, 1000, 6, hs, m};
  p.clear();
  EncodeSegmentStart(s, &p);
  auto ds = DecodeSegmentStart(p);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->seq, 5u);
  EXPECT_EQ(ds->prev_index, 1000u);
  EXPECT_EQ(ds->prev_term, 6u);
  EXPECT_EQ(ds->hard_state, hs);
  EXPECT_EQ(ds->snapshot, m);
  p[0] ^= 1;  // magic
  EXPECT_EQ(DecodeSegmentStart(p).status().code(), base::Code::kCorruption);
}

TEST(Record, HugeVoterCountIsRejectedNotAllocated) {
  std::string p(16, '\0');
  p += std::string("\xff\xff\xff\x7f", 4);
  EXPECT_FALSE(DecodeSnapshotMeta(p).ok());
}

}  // namespace
}  // namespace raftlog
