// raft/raft_test.cc — unit tests: MemoryStorage, RaftLog, Progress/Inflights/quorum, message
// and ConfChange encoding.
#include <gtest/gtest.h>

#include "raft/log.h"
#include "raft/message.h"
#include "raft/progress.h"
#include "raft/storage.h"

namespace raft {
namespace {

std::vector<Entry> Ents(uint64_t first, const std::vector<uint64_t>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); ++i) {
    out.push_back(Entry{terms[i], first + i, EntryType::kNormal, "d" + std::to_string(first + i)});
  }
  return out;
}

TEST(MemoryStorage, AppendTruncatesConflictsAndRejectsGaps) {
  MemoryStorage s;
  EXPECT_EQ(s.FirstIndex(), 1u);
  EXPECT_EQ(s.LastIndex(), 0u);
  ASSERT_TRUE(s.Append(Ents(1, {1, 1, 2})).ok());
  EXPECT_EQ(s.LastIndex(), 3u);
  ASSERT_TRUE(s.Append(Ents(2, {3})).ok());
  EXPECT_EQ(s.LastIndex(), 2u);
  EXPECT_EQ(*s.Term(2), 3u);
  EXPECT_FALSE(s.Append(Ents(5, {3})).ok());
}

TEST(MemoryStorage, EntriesRespectsByteLimitButReturnsAtLeastOne) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 1, 1, 1})).ok());  // 2 bytes each
  EXPECT_EQ(s.Entries(1, 5, 0)->size(), 1u);
  EXPECT_EQ(s.Entries(1, 5, 4)->size(), 2u);
  EXPECT_EQ(s.Entries(1, 5, 100)->size(), 4u);
  EXPECT_FALSE(s.Entries(1, 6, 100).ok());
}

TEST(MemoryStorage, SnapshotAndCompact) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 1, 2, 2, 3})).ok());
  ConfState cs{{1, 2, 3}, {}};
  ASSERT_TRUE(s.CreateSnapshot(4, cs).ok());
  EXPECT_EQ(s.Snapshot().term, 2u);
  EXPECT_FALSE(s.Compact(5).ok()) << "cannot compact beyond the snapshot";
  ASSERT_TRUE(s.Compact(3).ok());  // keep one trailing entry before the snapshot
  EXPECT_EQ(s.FirstIndex(), 4u);
  EXPECT_FALSE(s.Entries(3, 4, 100).ok());
  EXPECT_EQ(*s.Term(3), 2u);
  EXPECT_FALSE(s.Term(2).ok());
  // Installing a snapshot that matches the log keeps later entries; otherwise drops all.
  ASSERT_TRUE(s.ApplySnapshot(SnapshotMeta{5, 3, cs}).ok());
  EXPECT_EQ(s.FirstIndex(), 6u);
  EXPECT_EQ(s.LastIndex(), 5u);
  ASSERT_TRUE(s.Append(Ents(6, {3, 3})).ok());
  ASSERT_TRUE(s.ApplySnapshot(SnapshotMeta{7, 4, cs}).ok());
  EXPECT_EQ(s.LastIndex(), 7u);
  EXPECT_EQ(s.FirstIndex(), 8u);
  EXPECT_EQ(*s.Term(7), 4u);
}

TEST(RaftLog, UnstableTailOverStorage) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 1, 2})).ok());
  RaftLog log(&s);
  EXPECT_EQ(log.LastIndex(), 3u);
  log.Append(Ents(4, {2, 2}));
  EXPECT_EQ(log.LastIndex(), 5u);
  EXPECT_EQ(log.unstable_entries().size(), 2u);
  EXPECT_EQ(log.TermOrZero(5), 2u);
  EXPECT_FALSE(log.Term(6).has_value());
  auto ents = log.EntriesFrom(2, UINT64_MAX);
  ASSERT_TRUE(ents.has_value());
  EXPECT_EQ(ents->size(), 4u);
  // Persist, then stabilize: the unstable tail empties.
  ASSERT_TRUE(s.Append(log.unstable_entries()).ok());
  log.StableTo(5, 2);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_EQ(log.LastIndex(), 5u);
}

TEST(RaftLog, StableToIgnoresReplacedEntries) {
  MemoryStorage s;
  RaftLog log(&s);
  log.Append(Ents(1, {1, 1}));
  log.Append(Ents(2, {2}));  // replaces index 2 before the first Ready was advanced
  log.StableTo(2, 1);
  EXPECT_EQ(log.unstable_entries().size(), 2u);
}

TEST(RaftLog, MaybeAppendFindsConflicts) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 2, 3})).ok());
  RaftLog log(&s);
  auto e4 = Ents(4, {4});
  EXPECT_FALSE(log.MaybeAppend(3, 2, e4).has_value()) << "previous term mismatch";
  auto e2 = Ents(2, {2});
  EXPECT_EQ(log.MaybeAppend(1, 1, e2).value(), 2u);
  EXPECT_EQ(log.LastIndex(), 3u) << "a matching prefix must not truncate";
  auto e2b = Ents(2, {4});
  EXPECT_EQ(log.MaybeAppend(1, 1, e2b).value(), 2u);
  EXPECT_EQ(log.LastIndex(), 2u);
  EXPECT_EQ(log.TermOrZero(2), 4u);
}

TEST(RaftLog, IsUpToDate) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 2, 2})).ok());
  RaftLog log(&s);
  EXPECT_TRUE(log.IsUpToDate(3, 2));
  EXPECT_TRUE(log.IsUpToDate(1, 3));
  EXPECT_FALSE(log.IsUpToDate(2, 2));
  EXPECT_FALSE(log.IsUpToDate(10, 1));
}

TEST(RaftLog, CommittedAfterAndRestore) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append(Ents(1, {1, 1, 1})).ok());
  RaftLog log(&s);
  log.CommitTo(2);
  EXPECT_EQ(log.CommittedAfter(0, UINT64_MAX).size(), 2u);
  EXPECT_EQ(log.CommittedAfter(2, UINT64_MAX).size(), 0u);
  log.Restore(SnapshotMeta{10, 5, {}});
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_EQ(log.LastIndex(), 10u);
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_TRUE(log.CommittedAfter(2, UINT64_MAX).empty()) << "nothing while a snapshot pends";
  EXPECT_FALSE(log.Term(9).has_value());
  EXPECT_EQ(log.TermOrZero(10), 5u);
}

TEST(Progress, ProbeAndReplicateTransitions) {
  Progress p(2);
  p.next = 5;
  EXPECT_FALSE(p.IsPaused());
  p.SentEntries(7);
  EXPECT_TRUE(p.probe_sent);
  EXPECT_TRUE(p.IsPaused()) << "one probe at a time";
  EXPECT_FALSE(p.MaybeDecrTo(3, 2)) << "stale rejection";
  EXPECT_TRUE(p.MaybeDecrTo(4, 2));
  EXPECT_EQ(p.next, 3u);
  EXPECT_TRUE(p.MaybeUpdate(4));
  p.BecomeReplicate();
  EXPECT_EQ(p.next, 5u);
  p.SentEntries(6);
  p.SentEntries(8);
  EXPECT_EQ(p.next, 9u);
  EXPECT_TRUE(p.IsPaused()) << "inflight window of 2 is full";
  p.inflights.FreeLE(6);
  EXPECT_FALSE(p.IsPaused());
  EXPECT_FALSE(p.MaybeDecrTo(4, 4)) << "rejection at or below match is stale";
  EXPECT_TRUE(p.MaybeDecrTo(8, 5));
  EXPECT_EQ(p.next, 5u);
  p.BecomeSnapshot(20);
  EXPECT_TRUE(p.IsPaused());
  p.BecomeProbe();
  EXPECT_EQ(p.next, 21u);
}

TEST(ProgressTracker, QuorumCommitAndVotes) {
  ProgressTracker t(8);
  t.SetConf(ConfState{{1, 2, 3, 4, 5}, {6}}, 1);
  uint64_t matches[] = {0, 9, 7, 5, 3, 1, 100};
  for (NodeId id = 1; id <= 6; ++id) t.Get(id)->match = matches[id];
  EXPECT_EQ(t.Committed(), 5u) << "the learner's 100 does not count";
  t.RecordVote(1, true);
  t.RecordVote(2, true);
  t.RecordVote(6, true);
  EXPECT_EQ(t.TallyVotes(), ProgressTracker::VoteResult::kPending);
  t.RecordVote(3, false);
  t.RecordVote(4, false);
  EXPECT_EQ(t.TallyVotes(), ProgressTracker::VoteResult::kPending);
  t.RecordVote(5, false);
  EXPECT_EQ(t.TallyVotes(), ProgressTracker::VoteResult::kLost);
  EXPECT_TRUE(t.IsQuorum({1, 2, 3}));
  EXPECT_FALSE(t.IsQuorum({1, 2, 6}));
  // Survivors keep their progress across a membership change.
  t.SetConf(ConfState{{1, 2, 3}, {}}, 50);
  EXPECT_EQ(t.Get(1)->match, 9u);
  EXPECT_EQ(t.Get(6), nullptr);
  EXPECT_EQ(t.Committed(), 7u);
}

TEST(Message, EncodingRoundTrips) {
  Message m;
  m.type = MessageType::kSnap;
  m.to = 2;
  m.from = 1;
  m.term = 7;
  m.log_term = 6;
  m.index = 99;
  m.commit = 98;
  m.reject = true;
  m.reject_hint = 5;
  m.context = std::string("ctx\0x", 5);
  m.snapshot = SnapshotMeta{90, 6, ConfState{{1, 2, 3}, {4}}};
  m.entries = {Entry{6, 100, EntryType::kNormal, "abc"}, Entry{7, 101, EntryType::kNoop, ""}};
  std::string bytes = EncodeMessage(m);
  auto back = DecodeMessage(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DecodeMessage(std::string_view(bytes).substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(DecodeMessage(bytes + "x").ok());
}

TEST(ConfChange, EncodingAndApply) {
  ConfChange cc{ConfChangeType::kAddLearner, 4, "host:4002"};
  auto back = DecodeConfChange(EncodeConfChange(cc));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cc);
  ConfState cs{{1, 2, 3}, {}};
  cs = ApplyConfChangeTo(cs, cc);
  EXPECT_EQ(cs.learners, std::vector<NodeId>{4});
  cs = ApplyConfChangeTo(cs, ConfChange{ConfChangeType::kAddVoter, 4, ""});  // promote
  EXPECT_EQ(cs.voters, (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_TRUE(cs.learners.empty());
  cs = ApplyConfChangeTo(cs, ConfChange{ConfChangeType::kAddLearner, 2, ""});  // no demotion
  EXPECT_EQ(cs.voters.size(), 4u);
  cs = ApplyConfChangeTo(cs, ConfChange{ConfChangeType::kRemoveNode, 1, ""});
  EXPECT_EQ(cs.voters, (std::vector<NodeId>{2, 3, 4}));
  EXPECT_FALSE(DecodeConfChange("\x07").ok());
}

}  // namespace
}  // namespace raft
