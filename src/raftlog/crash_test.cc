// Crash tests for raftlog::Log on the crashable in-memory file system: many seeded rounds of
// random mutations, crashes that drop unsynced writes (keeping random prefixes, tearing writes),
// reopen, and a check that the recovered log is exactly the durable state plus a whole-record
// prefix of what was unsynced. Then: any corrupted record that is not the very last must make
// Open fail with kCorruption. A failure prints the seed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <variant>

#include "base/log.h"

#include "base/random.h"
#include "fs/mem_file_system.h"
#include "raftlog/log.h"
#include "raftlog/record.h"

namespace raftlog {
namespace {

constexpr char kDir[] = "/node/raft";

// RAFTLOG_TRACE=1 prints every operation (to replay a failing seed by eye).
template <typename... Args>
void Trace(const char* fmt, Args... args) {
  if (std::getenv("RAFTLOG_TRACE") != nullptr) std::fprintf(stderr, fmt, args...);
}

struct Model {
  raft::SnapshotMeta snap;
  raft::HardState hs;
  std::vector<raft::Entry> ents;  // indexes snap.index + 1 ...

  uint64_t last() const { return snap.index + ents.size(); }
  uint64_t TermAt(uint64_t i) const {
    return i == snap.index ? snap.term : ents[i - snap.index - 1].term;
  }
  void Apply(const raft::Entry& e) {
    ents.resize(e.index - snap.index - 1);
    ents.push_back(e);
  }
  bool operator==(const Model&) const = default;
};

using Mutation = std::variant<raft::Entry, raft::HardState>;

Model Read(const Log& log) {
  Model m;
  m.snap = log.snapshot();
  m.hs = log.hard_state();
  auto r = log.Entries(log.first_index(), log.last_index() + 1, UINT64_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) m.ents = *r;
  return m;
}

std::string Describe(const Model& m) {
  return "snap=" + std::to_string(m.snap.index) + "/" + std::to_string(m.snap.term) +
         " hs=" + std::to_string(m.hs.term) + "," + std::to_string(m.hs.vote) + "," +
         std::to_string(m.hs.commit) + " last=" + std::to_string(m.last());
}

class Harness {
 public:
  explicit Harness(uint64_t seed) : seed_(seed), fs_(seed), rng_(seed * 7919 + 1) {
    options_.segment_bytes = rng_.Bernoulli(0.5) ? 4096 : 16384;
    options_.preallocate = rng_.Bernoulli(0.7);
    options_.cache_bytes = rng_.Bernoulli(0.5) ? 0 : 8192;
    const uint64_t kBuffers[] = {0, 256, 4096, 1 << 20};
    options_.write_buffer_bytes = kBuffers[rng_.Uniform(4)];
    options_.zero_fill_bytes = rng_.Bernoulli(0.3) ? 0 : rng_.Bernoulli(0.5) ? 1024 : 1 << 20;
    Reopen();
  }

  void Reopen() {
    auto r = Log::Open(&fs_, kDir, options_);
    ASSERT_TRUE(r.ok()) << "seed " << seed_ << ": recovery refused: " << r.status().ToString();
    log_ = std::move(r).value();
  }

  void Step() {
    uint64_t dice = rng_.Uniform(100);
    Trace("step dice=%d %s segs=%zu\n", static_cast<int>(dice), Describe(current_).c_str(),
          log_->segment_count());
    // Sometimes the next write fails: the log must report it, and the owner crashes.
    bool inject = dice < 85 && rng_.Bernoulli(0.03);
    if (inject) fs_.FailNextWrites(1);
    base::Status st;
    if (dice < 45) {
      st = DoAppend();
    } else if (dice < 60) {
      st = DoHardState();
    } else if (dice < 85) {
      st = log_->Sync();
      if (st.ok()) {
        durable_ = current_;
        unsynced_.clear();
      }
    } else if (dice < 92) {
      DoSnapshot();
    } else {
      uint64_t idx = rng_.Uniform(current_.snap.index + 1);
      Trace("compact %d\n", static_cast<int>(idx));
      ASSERT_TRUE(log_->Compact(idx).ok());
    }
    if (inject) fs_.FailNextWrites(0);
    if (!st.ok()) {
      ASSERT_TRUE(inject) << "seed " << seed_ << ": " << st.ToString();
      ASSERT_EQ(st.code(), base::Code::kIoError) << st.ToString();
      ASSERT_EQ(log_->Sync().code(), base::Code::kIoError) << "seed " << seed_ << ": not sticky";
      ++write_failures_;
      Trace("write failure: %s\n", st.ToString().c_str());
      CrashAndCheck();
      return;
    }
    ASSERT_EQ(Read(*log_), current_) << "seed " << seed_ << " live state diverged";
  }

  void CrashAndCheck() {
    log_.reset();
    fs::CrashOptions co;
    co.keep_unsynced_prefix = rng_.Bernoulli(0.7);
    co.tear = rng_.Bernoulli(0.7);
    co.keep_dir_ops_prefix = rng_.Bernoulli(0.5);
    co.any_order = rng_.Bernoulli(0.3);
    fs_.Crash(co);
    Trace("crash\n");
    Reopen();
    if (!log_) return;
    Model got = Read(*log_);
    // The recovered log must be the durable state plus a prefix of the unsynced mutations.
    Model candidate = durable_;
    bool match = got == candidate;
    for (size_t k = 0; k < unsynced_.size() && !match; ++k) {
      if (auto* e = std::get_if<raft::Entry>(&unsynced_[k])) {
        candidate.Apply(*e);
      } else {
        candidate.hs = std::get<raft::HardState>(unsynced_[k]);
      }
      match = got == candidate;
    }
    ASSERT_TRUE(match) << "seed " << seed_ << ": recovered " << Describe(got) << "; durable "
                       << Describe(durable_) << " + " << unsynced_.size()
                       << " unsynced mutations (current " << Describe(current_) << ")";
    current_ = durable_ = got;
    unsynced_.clear();
    ++crashes_;
  }

  fs::MemFileSystem& fs() { return fs_; }
  Log& log() { return *log_; }
  base::Random& rng() { return rng_; }
  int crashes() const { return crashes_; }
  int write_failures() const { return write_failures_; }

 private:
  std::string RandomData() {
    uint64_t d = rng_.Uniform(100);
    size_t n = d < 70 ? rng_.Uniform(100) : d < 95 ? 100 + rng_.Uniform(900)
                                                   : 1000 + rng_.Uniform(5000);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng_.Uniform(256));
    return s;
  }

  base::Status DoAppend() {
    uint64_t first = current_.snap.index + 1;
    uint64_t from = current_.last() + 1;
    if (rng_.Bernoulli(0.3)) from = first + rng_.Uniform(from - first + 1);
    if (rng_.Bernoulli(0.2)) ++max_term_;
    std::vector<raft::Entry> ents;
    uint64_t n = 1 + rng_.Uniform(5);
    for (uint64_t i = 0; i < n; ++i) {
      auto type = static_cast<raft::EntryType>(rng_.Uniform(3));
      ents.push_back(raft::Entry{max_term_, from + i, type, RandomData()});
    }
    Trace("append %d..%d\n", static_cast<int>(from), static_cast<int>(from + n - 1));
    for (const auto& e : ents) {
      current_.Apply(e);
      unsynced_.push_back(e);
    }
    return log_->Append(ents);
  }

  base::Status DoHardState() {
    raft::HardState hs = current_.hs;
    hs.term = std::max(hs.term, max_term_) + rng_.Uniform(2);
    hs.vote = rng_.Uniform(4);
    hs.commit = std::max(hs.commit, current_.snap.index + rng_.Uniform(3));
    if (hs != current_.hs) unsynced_.push_back(hs);
    current_.hs = hs;
    return log_->SetHardState(hs);
  }

  void DoSnapshot() {
    raft::SnapshotMeta meta;
    meta.conf.voters = {1, 2, 3};
    if (rng_.Bernoulli(0.8) && current_.last() > current_.snap.index) {
      // Snapshot of our own log: later entries stay.
      meta.index = current_.snap.index + 1 + rng_.Uniform(current_.last() - current_.snap.index);
      meta.term = current_.TermAt(meta.index);
      current_.ents.erase(current_.ents.begin(),
                          current_.ents.begin() +
                              static_cast<ptrdiff_t>(meta.index - current_.snap.index));
    } else {
      // Installed from a leader: the log is replaced.
      meta.index = current_.snap.index + rng_.Uniform(current_.last() - current_.snap.index + 20);
      meta.term = ++max_term_;
      current_.ents.clear();
    }
    current_.snap = meta;
    Trace("snapshot %d/%d\n", static_cast<int>(meta.index), static_cast<int>(meta.term));
    ASSERT_TRUE(log_->SetSnapshot(meta).ok()) << "seed " << seed_;
    durable_ = current_;  // durable on return, with everything before it
    unsynced_.clear();
  }

  uint64_t seed_;
  fs::MemFileSystem fs_;
  base::Random rng_;
  Options options_;
  std::unique_ptr<Log> log_;
  Model current_, durable_;
  std::vector<Mutation> unsynced_;
  uint64_t max_term_ = 1;
  int crashes_ = 0;
  int write_failures_ = 0;
};

TEST(RaftlogCrash, SyncedStateSurvivesEveryCrash) {
  int total_crashes = 0, total_write_failures = 0;
  base::SetLogLevel(base::LogLevel::kError);
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    Harness h(seed);
    for (int step = 0; step < 300; ++step) {
      h.Step();
      if (::testing::Test::HasFatalFailure()) return;
      if (h.rng().Bernoulli(0.04)) h.CrashAndCheck();
      if (::testing::Test::HasFatalFailure()) return;
    }
    h.CrashAndCheck();
    if (::testing::Test::HasFatalFailure()) return;
    total_crashes += h.crashes();
    total_write_failures += h.write_failures();
  }
  EXPECT_GT(total_crashes, 10000);
  EXPECT_GT(total_write_failures, 1000);
}

// Calls fn(offset, record) for every record of a segment image, skipping write padding (zeros
// up to the next sector boundary); returns the end of the data.
template <typename Fn>
size_t ForEachRecord(std::string_view data, Fn fn) {
  size_t off = 0;
  RecordView rec;
  for (;;) {
    if (ParseRecord(data, off, &rec) == ParseOutcome::kOk) {
      fn(off, rec);
      off += rec.total_bytes;
      continue;
    }
    size_t next = (off + kSectorBytes - 1) / kSectorBytes * kSectorBytes;
    if (next == off || ParseRecord(data, next, &rec) != ParseOutcome::kOk) return off;
    off = next;
  }
}

struct RecordLoc {
  std::string path;
  size_t offset;
  size_t bytes;
};

std::vector<RecordLoc> AllRecords(fs::MemFileSystem& fs) {
  std::vector<RecordLoc> out;
  std::vector<std::string> names = *fs.List(kDir);
  for (const auto& name : names) {
    std::string path = std::string(kDir) + "/" + name;
    std::string data = *fs.ReadAll(path);
    ForEachRecord(data, [&](size_t off, const RecordView& rec) {
      out.push_back({path, off, rec.total_bytes});
    });
  }
  return out;
}

TEST(RaftlogCrash, CorruptionBeforeTheLastRecordIsRefused) {
  int tested = 0;
  base::SetLogLevel(base::LogLevel::kError);
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Harness h(seed);
    for (int step = 0; step < 60; ++step) {
      h.Step();
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_TRUE(h.log().Sync().ok());
    h.CrashAndCheck();  // closes the log; nothing unsynced remains
    if (::testing::Test::HasFatalFailure()) return;
    std::vector<RecordLoc> recs = AllRecords(h.fs());
    if (recs.size() < 2) continue;  // e.g. just installed a snapshot: nothing to corrupt
    ++tested;
    size_t vi = h.rng().Uniform(recs.size() - 1);
    const RecordLoc& victim = recs[vi];  // never the last
    for (size_t i = 0; i < recs.size(); ++i) {
      Trace("%s %s:%zu +%zu\n", i == vi ? "*" : " ", recs[i].path.c_str(), recs[i].offset,
            recs[i].bytes);
    }
    ASSERT_TRUE(h.fs().CorruptByte(victim.path, victim.offset + h.rng().Uniform(victim.bytes))
                    .ok());
    Options opt;
    opt.segment_bytes = 4096;
    auto r = Log::Open(&h.fs(), kDir, opt);
    ASSERT_FALSE(r.ok()) << "seed " << seed << ": corrupt record at " << victim.path << ":"
                         << victim.offset << " was accepted";
    EXPECT_EQ(r.status().code(), base::Code::kCorruption) << r.status().ToString();
    EXPECT_NE(r.status().message().find("raftlog"), std::string::npos);
  }
  EXPECT_GT(tested, 150);
}

// Recovery on adversarial input: segments made of well-formed records (valid CRCs) with random
// contents, and random byte damage. Open must never crash: it returns OK or kCorruption, and an
// opened log must answer every read without crashing.
TEST(RaftlogCrash, RecoveryNeverCrashesOnHostileSegments) {
  base::SetLogLevel(base::LogLevel::kError);
  int opened = 0, refused = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    base::Random rng(seed);
    fs::MemFileSystem fs(seed);
    ASSERT_TRUE(fs.CreateDir(kDir).ok());
    uint64_t nsegs = 1 + rng.Uniform(3);
    auto small = [&] { return rng.Uniform(12); };
    for (uint64_t seq = 1; seq <= nsegs; ++seq) {
      std::string data;
      SegmentStart start{rng.Bernoulli(0.9) ? seq : small(), small(), small(),
                         raft::HardState{small(), small(), small()},
                         raft::SnapshotMeta{small(), small(), {{1}, {}}}};
      std::string payload;
      EncodeSegmentStart(start, &payload);
      if (rng.Bernoulli(0.95)) AppendRecord(RecordType::kSegmentStart, payload, &data);
      for (uint64_t k = rng.Uniform(12); k > 0; --k) {
        payload.clear();
        switch (rng.Uniform(4)) {
          case 0: EncodeHardState({small(), small(), small()}, &payload); break;
          case 1: EncodeSnapshotMeta({small(), small(), {}}, &payload); break;
          case 2: EncodeSegmentStart(start, &payload); break;
          default: EncodeEntry({small(), small(), raft::EntryType::kNormal, "x"}, &payload);
        }
        auto type = static_cast<RecordType>(1 + rng.Uniform(4));
        if (rng.Bernoulli(0.7) && payload.size() == 17 + 1) type = RecordType::kEntry;
        AppendRecord(type, payload, &data);
      }
      for (uint64_t k = rng.Uniform(3); k > 0 && !data.empty(); --k) {
        data[rng.Uniform(data.size())] = static_cast<char>(rng.Uniform(256));
      }
      if (rng.Bernoulli(0.2)) data.resize(rng.Uniform(data.size() + 1));
      char name[32];
      std::snprintf(name, sizeof(name), "/%016llx.seg", static_cast<unsigned long long>(seq));
      auto f = fs.Open(std::string(kDir) + name, fs::OpenMode::kCreate).value();
      ASSERT_TRUE(f->Write(0, data).ok());
    }
    Options opt;
    opt.segment_bytes = 4096;
    auto r = Log::Open(&fs, kDir, opt);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), base::Code::kCorruption) << "seed " << seed << ": "
                                                            << r.status().ToString();
      ++refused;
      continue;
    }
    ++opened;
    Log& log = **r;
    ASSERT_EQ(log.first_index(), log.snapshot().index + 1);
    for (uint64_t i = log.snapshot().index; i <= log.last_index(); ++i) {
      ASSERT_TRUE(log.Term(i).ok());
    }
    auto all = log.Entries(log.first_index(), log.last_index() + 1, UINT64_MAX);
    ASSERT_TRUE(all.ok() || all.status().code() == base::Code::kCorruption);
    // It must also stay writable.
    raft::Entry e{log.hard_state().term, log.last_index() + 1, raft::EntryType::kNormal, "y"};
    ASSERT_TRUE(log.Append(std::vector<raft::Entry>{e}).ok());
    ASSERT_TRUE(log.Sync().ok());
  }
  EXPECT_GT(opened, 50);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace raftlog
