// raft/types.h — the vocabulary shared by the Raft core (raft/), the durable log (raftlog/),
// the driver (replica/) and the transport: entries, hard state, membership and snapshot metadata.
// Plain value types; no I/O. Owned by raft/; raftlog/ persists exactly these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace raft {

using NodeId = uint64_t;  // 0 = none
inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,      // opaque application command
  kConfChange = 1,  // membership change; data is an encoded ConfChange
  kNoop = 2,        // empty entry a new leader appends to commit its term
};

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;
  bool operator==(const Entry&) const = default;
};

// What must be on stable storage before any message that depends on it is sent.
struct HardState {
  uint64_t term = 0;
  NodeId vote = kNoNode;
  uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
};

// Membership: voters vote and count toward quorum; learners (rqlite's non-voters) only receive.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;
  bool operator==(const ConfState&) const = default;
};

struct SnapshotMeta {
  uint64_t index = 0;  // last index covered by the snapshot
  uint64_t term = 0;   // term of that entry
  ConfState conf;      // membership as of `index`
  bool operator==(const SnapshotMeta&) const = default;
};

}  // namespace raft
