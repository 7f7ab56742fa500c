// raft/testing_cluster.h — TEST ONLY (linked into raft_test, not into rq_raft): N raft::Nodes
// on one thread with MemoryStorage, a message queue, partitions, crash/restart, and a
// trace printer used by the golden scripts.
//
// The harness follows the Ready contract exactly: persist snapshot/entries/hard state to the
// node's MemoryStorage, then queue messages, then apply committed entries, then Advance.
// "Crash" = drop the Node object (its unpersisted memory) and rebuild it from the storage.
// Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/random.h"
#include "raft/node.h"

namespace raft::testing {

struct Peer {
  explicit Peer(uint64_t seed) : random(seed) {}
  MemoryStorage storage;
  base::Random random;
  Config config;
  std::unique_ptr<Node> node;
  std::vector<Entry> applied;  // the "state machine": every applied entry, in order
  std::vector<ReadState> read_states;
};

class Cluster {
 public:
  // Creates nodes `ids`, all bootstrapped with peers = ids (unless bootstrap is false).
  explicit Cluster(const std::vector<NodeId>& ids, Config base = Config{},
                   bool bootstrap = true, uint64_t seed = 0);

  Node& node(NodeId id) { return *peers_.at(id)->node; }
  Peer& peer(NodeId id) { return *peers_.at(id); }
  std::vector<NodeId> ids() const;
  // Adds an empty node that will join through a conf change.
  void AddEmptyNode(NodeId id);

  // Handles one Ready of `id` if it has one (persist, queue messages, apply). Appends a trace
  // to `out` if non-null. Returns whether there was a Ready.
  bool ProcessReady(NodeId id, std::ostream* out = nullptr);
  // Delivers every queued message addressed to `to` (or to anyone if to == 0), except those
  // cut by a partition (dropped). Returns the number delivered.
  size_t Deliver(NodeId to = kNoNode, std::ostream* out = nullptr);
  // Alternates ProcessReady on every node and Deliver until nothing is left.
  void Stabilize(std::ostream* out = nullptr);
  void Tick(NodeId id, int n = 1);
  // Delivers queue()[i] alone (dropped if cut); returns false if it was dropped. A MsgSnap is
  // reported to its sender (ReportSnapshot) like a transport would, when report_snapshots.
  bool DeliverAt(size_t i);
  // Drops queue()[i] (reporting a failed MsgSnap when report_snapshots).
  void DropAt(size_t i);
  bool report_snapshots = false;
  // Crash in the middle of a Ready: its pre-persist messages leave, nothing is persisted,
  // then the node restarts from storage.
  void CrashDuringReady(NodeId id);
  // Called with every Ready after it was persisted, before Advance (checkers use it).
  std::function<void(NodeId, const Ready&, const Peer&)> on_ready;
  // Ticks every node until one is leader (bounded); returns its id or 0.
  NodeId ElectLeader(NodeId preferred = kNoNode);

  // Network.
  void Isolate(NodeId id);
  void Cut(NodeId a, NodeId b);
  void Heal();
  bool Connected(NodeId a, NodeId b) const;
  void DropMessages(NodeId to = kNoNode);
  std::vector<Message>& queue() { return queue_; }

  // Crash `id` (losing unpersisted state) and restart it from its storage.
  void Restart(NodeId id);
  // The application of `id` takes a snapshot at its applied index and compacts the log,
  // keeping `keep` trailing entries.
  void Compact(NodeId id, uint64_t index, uint64_t keep = 0);

  NodeId Leader() const;  // a node whose role is leader in the highest term, or 0
  // Checks (with gtest EXPECTs) that applied sequences are prefixes of each other.
  bool StateMachinesConsistent(std::string* why) const;

 private:
  void Persist(Peer& p, const Ready& rd);
  void Apply(NodeId id, Peer& p, const Ready& rd);

  Config base_;
  uint64_t seed_;
  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::vector<Message> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  // Snapshot "data" (the applied prefix) by (index, term), as if streamed by a transport.
  std::map<std::pair<uint64_t, uint64_t>, std::vector<Entry>> snapshots_;
};

std::string DescribeReady(NodeId id, const Ready& rd);
std::string DescribeStatus(const Node& n);
std::string DescribeLog(const MemoryStorage& s);

}  // namespace raft::testing
