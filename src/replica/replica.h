// replica/replica.h — the seam between the store and replication: the store proposes opaque
// commands; the replica makes them durable (and, later, replicated) and hands committed entries
// back, in log order, to the store's Applier on the apply executor.
//
// Contract:
//   * Propose() is thread-safe and never blocks on I/O. `token` (non-zero) identifies the
//     proposal to the proposer: the committed entry carries it back, so the store completes the
//     right request. Entries replayed at start-up, or committed from another leader, carry 0.
//   * Apply() is called on the apply executor only, with consecutive indexes, each index once.
//   * Dropped() reports a proposal that will never commit (e.g. not leader, log write failure,
//     replica closed), on the apply executor.
//   * Compact(i): the applier's state up to index i is durable outside the log; the replica may
//     drop entries <= i (keeping its trailing-logs policy).
// Implementation: RaftReplica (raft_replica.h) — also for a single node, which is a one-voter
// Raft cluster. (A LocalReplica without Raft existed until issue 4; the store converts its
// data directories, store/DESIGN.md.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "raft/types.h"

namespace replica {

struct Committed {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string data;
  uint64_t token = 0;  // 0 = not proposed by this process
};

// A local snapshot image file and the log index whose effects it holds (see Applier).
struct SnapshotImage {
  std::string path;
  uint64_t index = 0;
  std::string context;  // opaque bytes sent along (the store's member addresses) to AdoptImage
};

class Applier {
 public:
  virtual ~Applier() = default;
  virtual void Apply(std::vector<Committed>& entries) = 0;
  virtual void Dropped(uint64_t token, base::Status status) = 0;

  // Snapshot hooks, used by RaftReplica to stream and install snapshots (src/snapshot/DESIGN.md).
  // The defaults mean "no snapshot support": the replica then never sends or installs one.
  // LatestImage (raft executor; must be cheap): the newest local image. kNotFound when there is
  // none yet (the applier may start making one in the background; raft retries later).
  virtual base::Result<SnapshotImage> LatestImage() {
    return base::Unsupported("snapshots not supported");
  }
  // AdoptImage (raft executor): make the image received at `path` (size bytes, CRC-32C `crc`,
  // both checked by the transport) durable as the snapshot at meta.index; the file is moved.
  // `context` is the leader's SnapshotImage::context. Called BEFORE the log records the
  // snapshot, so a crash in between finds the image.
  virtual base::Status AdoptImage(const std::string& /*path*/, uint64_t /*size*/,
                                  uint32_t /*crc*/, const raft::SnapshotMeta& /*meta*/,
                                  const std::string& /*context*/) {
    return base::Unsupported("snapshots not supported");
  }
  // RestoreImage (apply executor): replace the state machine with the adopted snapshot
  // meta.index. Entries after meta.index are applied next. A failure is fatal (CHECK).
  virtual base::Status RestoreImage(const raft::SnapshotMeta& /*meta*/) {
    return base::Unsupported("snapshots not supported");
  }
};

enum class Role { kLeader, kFollower, kCandidate, kShutdown };
const char* RoleName(Role role);  // "Leader", "Follower", "Candidate", "Shutdown"

struct Stats {
  Role role = Role::kShutdown;
  uint64_t term = 0;
  uint64_t commit_index = 0;
  uint64_t last_log_index = 0;
  uint64_t last_log_term = 0;
  uint64_t first_log_index = 0;
  uint64_t snapshot_index = 0;
  uint64_t proposals = 0;
  uint64_t syncs = 0;  // group commits: proposals / syncs = average batch
};

class Replica {
 public:
  virtual ~Replica() = default;
  virtual void Propose(std::string data, uint64_t token) = 0;
  virtual bool IsLeader() const = 0;
  virtual Stats GetStats() const = 0;
  virtual void Compact(uint64_t index) = 0;
  // Stops accepting proposals (later ones are Dropped) and waits until every accepted proposal
  // has been handed to the applier executor. Idempotent.
  virtual void Close() = 0;
};

}  // namespace replica
