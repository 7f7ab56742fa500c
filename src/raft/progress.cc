// raft/progress.cc — Progress and ProgressTracker.
#include "raft/progress.h"

#include <algorithm>
#include <vector>

#include "base/check.h"

namespace raft {

const char* ProgressStateName(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe: return "probe";
    case ProgressState::kReplicate: return "replicate";
    case ProgressState::kSnapshot: return "snapshot";
  }
  return "?";
}

void Progress::BecomeProbe() {
  if (state == ProgressState::kSnapshot) {
    uint64_t pending = pending_snapshot;
    state = ProgressState::kProbe;
    next = std::max(match + 1, pending + 1);
  } else {
    state = ProgressState::kProbe;
    next = match + 1;
  }
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t hint) {
  if (state == ProgressState::kReplicate) {
    if (rejected <= match) return false;  // stale
    next = match + 1;
    return true;
  }
  if (next - 1 != rejected) return false;  // stale: not the probe we are waiting for
  next = std::max(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

void Progress::SentEntries(uint64_t last) {
  if (state == ProgressState::kReplicate) {
    next = last + 1;
    inflights.Add(last);
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

bool Progress::IsPaused() const {
  switch (state) {
    case ProgressState::kProbe: return probe_sent;
    case ProgressState::kReplicate: return inflights.Full();
    case ProgressState::kSnapshot: return true;
  }
  return true;
}

void ProgressTracker::SetConf(const ConfState& conf, uint64_t next_index) {
  conf_ = conf;
  std::map<NodeId, Progress> next;
  auto add = [&](NodeId id, bool learner) {
    auto it = progress_.find(id);
    Progress p = it != progress_.end() ? it->second : Progress(max_inflight_);
    if (it == progress_.end()) {
      p.next = next_index;
      p.recent_active = true;  // give a new member a full timeout before counting it out
    }
    p.learner = learner;
    next.emplace(id, p);
  };
  for (NodeId id : conf.voters) add(id, false);
  for (NodeId id : conf.learners) add(id, true);
  progress_ = std::move(next);
}

bool ProgressTracker::IsVoter(NodeId id) const {
  return std::find(conf_.voters.begin(), conf_.voters.end(), id) != conf_.voters.end();
}

bool ProgressTracker::IsMember(NodeId id) const {
  return IsVoter(id) ||
         std::find(conf_.learners.begin(), conf_.learners.end(), id) != conf_.learners.end();
}

Progress* ProgressTracker::Get(NodeId id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

void ProgressTracker::ResetAll(uint64_t next_index) {
  for (auto& [id, p] : progress_) {
    bool learner = p.learner;
    p = Progress(max_inflight_);
    p.learner = learner;
    p.next = next_index;
  }
}

uint64_t ProgressTracker::Committed() const {
  if (conf_.voters.empty()) return 0;
  std::vector<uint64_t> matches;
  for (NodeId id : conf_.voters) {
    auto it = progress_.find(id);
    matches.push_back(it == progress_.end() ? 0 : it->second.match);
  }
  std::sort(matches.begin(), matches.end(), std::greater<uint64_t>());
  return matches[Quorum() - 1];
}

bool ProgressTracker::QuorumActive(NodeId self) const {
  size_t active = 0;
  for (NodeId id : conf_.voters) {
    auto it = progress_.find(id);
    if (id == self || (it != progress_.end() && it->second.recent_active)) ++active;
  }
  return active >= Quorum();
}

void ProgressTracker::RecordVote(NodeId id, bool granted) { votes_.emplace(id, granted); }

ProgressTracker::VoteResult ProgressTracker::TallyVotes() const {
  size_t granted = 0, rejected = 0;
  for (NodeId id : conf_.voters) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    (it->second ? granted : rejected)++;
  }
  if (granted >= Quorum()) return VoteResult::kWon;
  if (conf_.voters.size() - rejected < Quorum()) return VoteResult::kLost;
  return VoteResult::kPending;
}

bool ProgressTracker::IsQuorum(const std::set<NodeId>& acks) const {
  size_t n = 0;
  for (NodeId id : conf_.voters) n += acks.count(id);
  return !conf_.voters.empty() && n >= Quorum();
}

}  // namespace raft
