// tests/sim/simulation.h — deterministic simulation of a raft::Node cluster on one thread.
//
// What: RunSimulation(options) builds a cluster of raft::Node (1–7 voters initially, more
// added and removed by membership churn), drives it with virtual time from a priority queue of
// events, a faulty network (loss, duplication, delay/reordering, symmetric and one-way
// partitions), crashing nodes with a synced/unsynced disk model (torn tails), leadership
// transfers and a client workload of writes (proposals) and linearizable reads (ReadIndex).
// Every step is checked by sim::Invariants; at the end the client history goes through the WGL
// checker. Everything derives from options.seed: the same options give the same trace hash.
//
// Thread-safety: RunSimulation is reentrant (no globals); each call owns all its state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raft/node.h"

namespace sim {

struct SimOptions {
  uint64_t seed = 1;
  int voters = 3;                       // initial voters, 1..7
  int64_t duration_us = 60'000'000;     // faulty phase (virtual microseconds)
  int64_t heal_us = 20'000'000;         // healed phase at the end: liveness and completion
  int clients = 3;
  int keys = 3;
  // Network.
  double drop = 0.0;
  double duplicate = 0.0;
  int64_t min_delay_us = 200;
  int64_t max_delay_us = 3'000;
  // Fault classes (swarm testing switches each on or off per seed).
  bool partitions = false;
  bool crashes = false;
  bool torn_writes = false;   // on crash, a prefix of the unsynced write may survive
  bool membership = false;
  bool transfers = false;
  // Membership churn may remove the current leader. (Off: the leader is never chosen.)
  bool remove_leader = true;
  // raft::Config::max_size_per_msg: tiny values make the leader send one entry per MsgApp
  // (BUGGIFY-style: exposes commit-rule bugs that big batches hide).
  uint64_t max_msg_bytes = 1 << 20;
  // Targeted faults (BUGGIFY-style; needs `partitions`): with this probability a node that just
  // became leader, or a leader that just advanced its commit index, is isolated from everyone
  // within one network delay — the narrow windows of Raft's Figure 8.
  double flaky_leaders = 0.0;
  // Log compaction: once a node has applied `compact_every` entries past its last snapshot it
  // snapshots its state machine and drops its log up to a few entries before that; lagging
  // followers then get a snapshot (kSnap, Ready::snapshot). 0 = never.
  uint64_t compact_every = 0;
  int64_t nemesis_every_us = 1'000'000;  // mean gap between nemesis actions
  int64_t disk_sync_min_us = 100;         // fsync latency range
  int64_t disk_sync_max_us = 2'000;
  int64_t client_timeout_us = 2'000'000;
  bool check_liveness = true;   // after heal: a leader and a completed write
  // Rule checks that look at one node's outputs: persist-before-send (a granted vote / an
  // append ack must already be durable when sent) and the commit rule (a leader's commit index
  // only advances onto an entry of its own term, §5.4.2). Off: bugs must show through their
  // consequences (election safety, log matching, leader completeness, linearizability, ...).
  bool direct_checks = true;
  raft::TestingKnobs knobs;
  bool trace = false;           // print every event to stdout

  // A "swarm" configuration: cluster size, fault classes and probabilities all drawn from the
  // seed (independently of the run's own random stream).
  static SimOptions Swarm(uint64_t seed, int64_t duration_us);
  // Swarm options tilted to expose one deliberate bug (bugs.h name), with that bug switched on.
  // REQUIRES: `bug` is one of kBugNames.
  static SimOptions ForBug(std::string_view bug, uint64_t seed, int64_t duration_us);
  std::string Describe() const;
};

struct SimResult {
  bool ok = true;
  std::string failure;        // the first failed check, with context
  uint64_t trace_hash = 0;    // rolling hash of every processed event
  uint64_t events = 0;
  int64_t simulated_us = 0;
  uint64_t writes_ok = 0, writes_unknown = 0, reads_ok = 0, ops_failed = 0;
  uint64_t crashes = 0, leaders = 0, conf_changes = 0, committed = 0;
  std::string Summary() const;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace sim
