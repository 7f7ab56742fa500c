// tests/sim/invariants.h — the simulator's oracle: ghost state about every node's log, commits,
// applies, leaders and votes, checked incrementally so that a violation is caught at the step
// that caused it.
//
// Checks (Raft paper §5.2–5.4 plus persistence):
//  * election safety     — at most one leader per term over the whole run;
//  * double vote         — a node never grants (kVoteResp, not rejected) two votes in one term,
//                          across crashes (catches an unpersisted vote);
//  * log matching        — each node's log is shadowed as prefix hashes; the same (index, term)
//                          must carry the same prefix hash on every node, in every incarnation;
//  * commit consistency  — every commit index a node reports must agree with the global
//                          committed prefix;
//  * leader completeness — a node that becomes leader of term T holds every entry committed in
//                          terms < T;
//  * state machine safety— no two applies (any node, any incarnation) differ at one index.
// The first violation is kept (later ones are usually consequences) and Ok() turns false.
// Not thread-safe; owned by one Simulation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/types.h"

namespace sim {

uint64_t HashEntry(const raft::Entry& e);

// One node's view of its log (what it has written to its storage), as prefix hashes.
class LogShadow {
 public:
  // Truncates any conflicting suffix at entries[0].index and appends.
  void Append(const std::vector<raft::Entry>& entries);
  // Restarts from a snapshot at (index, term) whose prefix hash is `prefix`.
  void Reset(uint64_t index, uint64_t term, uint64_t prefix);
  uint64_t last_index() const { return base_ + prefix_.size() - 1; }
  uint64_t first_index() const { return base_; }
  bool Has(uint64_t index) const { return index >= base_ && index <= last_index(); }
  uint64_t Prefix(uint64_t index) const { return prefix_[index - base_]; }
  uint64_t Term(uint64_t index) const { return terms_[index - base_]; }

 private:
  uint64_t base_ = 0;                 // index of prefix_[0]
  std::vector<uint64_t> prefix_{0};   // prefix_[i] = rolling hash of entries base_+1..base_+i
  std::vector<uint64_t> terms_{0};
};

class Invariants {
 public:
  // Called after every simulator step for each running node.
  void ObserveRole(raft::NodeId id, uint64_t term, bool is_leader, uint64_t now);
  // A vote granted by `voter` to `candidate` in `term` (a kVoteResp with reject=false).
  void ObserveVote(raft::NodeId voter, raft::NodeId candidate, uint64_t term);
  // After the node appended entries to its storage: log matching against all other nodes.
  void ObserveAppend(raft::NodeId id, const LogShadow& log, const std::vector<raft::Entry>& ents);
  // The node reports commit index `commit`.
  void ObserveCommit(raft::NodeId id, const LogShadow& log, uint64_t commit);
  // The node just became leader of `term`.
  void ObserveNewLeader(raft::NodeId id, const LogShadow& log, uint64_t term);
  // The node applied `e` to its state machine.
  void ObserveApply(raft::NodeId id, const raft::Entry& e);

  void Fail(std::string message);
  // Appends diagnostics to the recorded failure. REQUIRES: !ok().
  void AddContext(const std::string& text) { failure_ += text; }
  bool ok() const { return failure_.empty(); }
  const std::string& failure() const { return failure_; }
  uint64_t committed_index() const { return committed_prefix_.size() - 1; }
  // The prefix hash of the committed log at `index` (REQUIRES: index <= committed_index()).
  uint64_t CommittedPrefix(uint64_t index) const { return committed_prefix_[index]; }
  size_t leaders_elected() const { return leaders_.size(); }

 private:
  std::string failure_;
  std::map<uint64_t, raft::NodeId> leaders_;                    // term -> leader
  std::map<std::pair<raft::NodeId, uint64_t>, raft::NodeId> votes_;  // (voter, term) -> cand.
  // (index, term) -> prefix hash, for log matching. Lookup only (never iterated).
  std::unordered_map<uint64_t, std::unordered_map<uint64_t, uint64_t>> seen_;
  std::vector<uint64_t> committed_prefix_{0};
  std::vector<uint64_t> committed_terms_{0};
  std::vector<uint64_t> applied_;  // applied_[i] = HashEntry of the entry applied at i (0 unset)
};

}  // namespace sim
