#include "invariants.h"

#include <algorithm>
#include <sstream>

namespace sim {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

}  // namespace

uint64_t HashEntry(const raft::Entry& e) {
  uint64_t h = Mix(Mix(0x5157, e.term), e.index);
  h = Mix(h, static_cast<uint64_t>(e.type));
  for (unsigned char c : e.data) h = (h ^ c) * 1099511628211ull;
  return Mix(h, e.data.size()) | 1;  // never 0 (0 marks "unset")
}

void LogShadow::Append(const std::vector<raft::Entry>& entries) {
  if (entries.empty()) return;
  uint64_t first = std::max(entries.front().index, base_ + 1);
  size_t keep = std::min<uint64_t>(first - base_, prefix_.size());
  prefix_.resize(keep);
  terms_.resize(keep);
  for (const raft::Entry& e : entries) {
    if (e.index <= base_) continue;  // at or below the snapshot: ignored, as MemoryStorage does
    prefix_.push_back(Mix(prefix_.back(), HashEntry(e)));
    terms_.push_back(e.term);
  }
}

void LogShadow::Reset(uint64_t index, uint64_t term, uint64_t prefix) {
  base_ = index;
  prefix_.assign(1, prefix);
  terms_.assign(1, term);
}

void Invariants::Fail(std::string message) {
  if (failure_.empty()) failure_ = std::move(message);
}

void Invariants::ObserveRole(raft::NodeId id, uint64_t term, bool is_leader, uint64_t now) {
  if (!is_leader) return;
  auto it = leaders_.find(term);
  if (it == leaders_.end()) {
    leaders_.emplace(term, id);
  } else if (it->second != id) {
    std::ostringstream out;
    out << "election safety: two leaders in term " << term << ": " << it->second << " and "
        << id << " (t=" << now << "us)";
    Fail(out.str());
  }
}

void Invariants::ObserveVote(raft::NodeId voter, raft::NodeId candidate, uint64_t term) {
  auto [it, inserted] = votes_.emplace(std::make_pair(voter, term), candidate);
  if (!inserted && it->second != candidate) {
    std::ostringstream out;
    out << "vote persistence: node " << voter << " voted for " << it->second << " and for "
        << candidate << " in term " << term;
    Fail(out.str());
  }
}

void Invariants::ObserveAppend(raft::NodeId id, const LogShadow& log,
                               const std::vector<raft::Entry>& ents) {
  for (const raft::Entry& e : ents) {
    if (!log.Has(e.index)) continue;
    auto [it, inserted] = seen_[e.index].emplace(e.term, log.Prefix(e.index));
    if (!inserted && it->second != log.Prefix(e.index)) {
      std::ostringstream out;
      out << "log matching: node " << id << " holds entry " << e.index << "/term " << e.term
          << " with a prefix that differs from another node's entry at the same index and term";
      Fail(out.str());
      return;
    }
  }
}

void Invariants::ObserveCommit(raft::NodeId id, const LogShadow& log, uint64_t commit) {
  if (commit == 0) return;
  if (commit > log.last_index()) {
    std::ostringstream out;
    out << "commit index " << commit << " of node " << id << " beyond its last index "
        << log.last_index();
    Fail(out.str());
    return;
  }
  uint64_t known = committed_index();
  uint64_t check = std::min(commit, known);
  if (check >= log.first_index() && check > 0 && log.Prefix(check) != committed_prefix_[check]) {
    std::ostringstream out;
    out << "commit consistency: node " << id << " reports commit " << commit
        << " but its log up to " << check << " (term " << log.Term(check)
        << ") differs from the committed log (term " << committed_terms_[check] << ")";
    Fail(out.str());
    return;
  }
  for (uint64_t i = known + 1; i <= commit; ++i) {
    if (!log.Has(i)) {
      Fail("commit of an index the node does not hold");
      return;
    }
    committed_prefix_.push_back(log.Prefix(i));
    committed_terms_.push_back(log.Term(i));
  }
}

void Invariants::ObserveNewLeader(raft::NodeId id, const LogShadow& log, uint64_t term) {
  // The highest committed index whose term is older than `term` (terms are non-decreasing).
  auto it = std::lower_bound(committed_terms_.begin(), committed_terms_.end(), term);
  uint64_t upto = static_cast<uint64_t>(it - committed_terms_.begin()) - 1;
  if (upto == 0) return;
  if (upto > log.last_index() || (upto >= log.first_index() &&
                                  log.Prefix(upto) != committed_prefix_[upto])) {
    std::ostringstream out;
    out << "leader completeness: node " << id << " became leader of term " << term
        << " without committed entry " << upto << " (committed term " << committed_terms_[upto]
        << "; its last index " << log.last_index() << ")";
    Fail(out.str());
  }
}

void Invariants::ObserveApply(raft::NodeId id, const raft::Entry& e) {
  if (applied_.size() <= e.index) applied_.resize(e.index + 1, 0);
  uint64_t h = HashEntry(e);
  if (applied_[e.index] == 0) {
    applied_[e.index] = h;
  } else if (applied_[e.index] != h) {
    std::ostringstream out;
    out << "state machine safety: node " << id << " applied a different entry at index "
        << e.index << " (term " << e.term << ")";
    Fail(out.str());
  }
}

}  // namespace sim
