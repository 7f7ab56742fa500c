// raft/message.h — the messages Raft nodes exchange, and the membership-change payload.
//
// What: plain value types. A Message is produced by raft::Node (in Ready::messages) and handed
// to Node::Step on the receiving node; the transport carries it opaquely (any encoding that
// round-trips every field; EncodeMessage/DecodeMessage below is one). kHup, kBeat,
// kUnreachable and kSnapStatus are local only and never appear in Ready::messages; kProp,
// kReadIndex and kTransferLeader do, when a follower forwards a request to the leader.
// Thread-safety: values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "raft/types.h"

namespace raft {

enum class MessageType : uint8_t {
  kHup = 0,              // local: start an election (Node::Campaign)
  kBeat = 1,             // local: leader sends heartbeats
  kProp = 2,             // proposal; followers forward it to the leader
  kApp = 3,              // AppendEntries: log_term/index = previous entry, entries, commit
  kAppResp = 4,          // index = last matching index (or rejected index + reject_hint)
  kVote = 5,             // RequestVote: index/log_term = candidate's last entry
  kVoteResp = 6,         // reject = vote refused
  kPreVote = 7,          // pre-vote: term = the term the candidate WOULD use (not adopted)
  kPreVoteResp = 8,
  kHeartbeat = 9,        // commit = min(follower match, leader commit); context = read ctx
  kHeartbeatResp = 10,
  kSnap = 11,            // snapshot: metadata only; the caller streams the data
  kTimeoutNow = 12,      // leadership transfer: campaign now, ignoring the election timer
  kReadIndex = 13,       // linearizable read request; entries[0].data = request context
  kReadIndexResp = 14,   // index = read index; entries[0].data = request context
  kTransferLeader = 15,  // from = transferee; sent to (or forwarded to) the leader
  kUnreachable = 16,     // local: the transport could not reach `from`
  kSnapStatus = 17,      // local: snapshot to `from` finished; reject = it failed
};

// "MsgApp" etc., as in etcd traces.
const char* MessageTypeName(MessageType type);
// True for messages that only ever come from the local node (never from the network).
bool IsLocalMessage(MessageType type);
// True for responses (kAppResp, kVoteResp, kPreVoteResp, kHeartbeatResp, kReadIndexResp).
bool IsResponseMessage(MessageType type);

struct Message {
  MessageType type = MessageType::kApp;
  NodeId to = kNoNode;
  NodeId from = kNoNode;
  uint64_t term = 0;      // sender's term (0 for local messages and kProp)
  uint64_t log_term = 0;  // kApp: term of entry `index`; kVote/kPreVote: term of last entry
  uint64_t index = 0;     // kApp: previous index; kAppResp: match/rejected index; kVote: last
  std::vector<Entry> entries;
  uint64_t commit = 0;
  bool reject = false;
  uint64_t reject_hint = 0;  // kAppResp reject: follower's last index (probe hint)
  SnapshotMeta snapshot;     // kSnap only
  std::string context;       // kHeartbeat(Resp): read-index round context; kVote: "transfer"
  bool operator==(const Message&) const = default;
};

// One-line human-readable form used by golden traces, e.g. "1->2 MsgApp Term:2 Log:1/3 ...".
std::string DescribeMessage(const Message& m);
std::string DescribeEntry(const Entry& e);

// Wire form (docs/formats/raft-messages.md): little-endian, length-prefixed, versioned.
std::string EncodeMessage(const Message& m);
base::Result<Message> DecodeMessage(std::string_view bytes);

// Single-server membership change, the payload of an EntryType::kConfChange entry.
//   kAddVoter on a current learner promotes it; on a new node adds it as a voter.
//   kAddLearner adds a non-voting member (rqlite non-voter); on a voter it is rejected.
//   kRemoveNode removes a voter or learner.
enum class ConfChangeType : uint8_t { kAddVoter = 0, kAddLearner = 1, kRemoveNode = 2 };

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddVoter;
  NodeId node = kNoNode;
  std::string context;  // opaque to raft (rqlite: the node's address)
  bool operator==(const ConfChange&) const = default;
};

std::string EncodeConfChange(const ConfChange& cc);
base::Result<ConfChange> DecodeConfChange(std::string_view bytes);
// Applies `cc` to `conf` (idempotent for repeated adds/removes). Voters/learners stay sorted.
ConfState ApplyConfChangeTo(const ConfState& conf, const ConfChange& cc);

// The answer to Node::ReadIndex: once the state machine has applied `index`, a read issued
// with `context` is linearizable.
struct ReadState {
  uint64_t index = 0;
  std::string context;
  bool operator==(const ReadState&) const = default;
};

}  // namespace raft
