// store/store_impl.h — internal: the concrete Store (see store.h for the public contract and
// store/DESIGN.md for the write path, durability and the applied-index scheme).
//
// Threads and ownership of state:
//   writer_, last_snapshot_index_ bookkeeping -> apply executor only
//   read pool                                  -> ReadPool (own mutex)
//   pending_ (token -> Done), random_          -> mu_
//   applied_index_, open_, counters            -> atomics
//   members_                                   -> Members (own mutex; written on apply executor)
//   notifiers_, bootstrapped_                  -> notify_mu_
//   lin_reads_                                 -> lin_mu_
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/executor.h"
#include "base/random.h"
#include "command/command.h"
#include "replica/replica.h"
#include "snapshot/snapshot_store.h"
#include "sqlite/conn.h"
#include "store/membership.h"
#include "store/store.h"

namespace store {

// A bounded pool of read-only connections. Thread-safe.
class ReadPool {
 public:
  ReadPool(std::string path, int max_conns) : path_(std::move(path)), max_(max_conns) {}
  base::Result<std::unique_ptr<sqlite::Conn>> Acquire();
  void Release(std::unique_ptr<sqlite::Conn> conn);
  void Clear();  // closes idle connections
  int open_count() const;
  int idle_count() const;

 private:
  const std::string path_;
  const int max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sqlite::Conn>> idle_;  // guarded by mu_
  int open_ = 0;                                      // guarded by mu_
};

// Drops every message: the transport of a store without StoreDeps::transport (one voter).
class NullTransport final : public replica::Transport {
 public:
  void Send(raft::Message) override {}
};

// A linearizable read waiting for its ReadIndex (completed once: by the read or the timeout).
struct LinRead {
  std::atomic<bool> finished{false};
  api::Done done;
  int64_t deadline_mono_ns = 0;
  uint64_t index = 0;  // commit index when the read started (for the timeout message)
};

class StoreImpl final : public Store, public replica::Applier {
 public:
  StoreImpl(const StoreConfig& config, const StoreDeps& deps);
  ~StoreImpl() override;
  base::Status Init();  // opens SQLite and the replica (called by Store::Open)

  // api::Database
  void Execute(api::ExecuteRequest request, api::Done done) override;
  void Query(api::QueryRequest request, api::Done done) override;
  void Request(api::UnifiedRequest request, api::Done done) override;
  void Load(api::LoadRequest request, api::Done done) override;
  base::Status Boot(std::string sqlite_image) override;
  base::Result<api::BackupFile> Backup(const api::BackupRequest& request) override;
  base::Status Snapshot(uint64_t trailing_logs) override;
  api::LeaderInfo Leader() override;
  std::vector<api::NodeInfo> Nodes(const api::NodesRequest& request) override;
  base::Status Remove(const api::RemoveRequest& request) override;
  base::Status Stepdown(const api::StepdownRequest& request) override;
  base::Status WaitForCommitIndex(uint64_t index, int64_t timeout_ns) override;
  base::Status Join(const api::JoinRequest& request) override;
  base::Status Notify(const api::NotifyRequest& request) override;
  bool Ready() override;
  api::Tree Status() override;
  api::Tree DebugVars() override;
  // Store
  void Tick() override;
  void RaftTick() override;
  replica::TransportHandler* transport_handler() override { return replica_.get(); }
  raft::NodeId raft_id() const override { return self_; }
  void Close() override;
  // replica::Applier (apply executor)
  void Apply(std::vector<replica::Committed>& entries) override;
  void Dropped(uint64_t token, base::Status status) override;
  // replica::Applier snapshot hooks (store/snapshot.cc; threads as documented in replica.h).
  base::Result<replica::SnapshotImage> LatestImage() override;
  base::Status AdoptImage(const std::string& path, uint64_t size, uint32_t crc,
                          const raft::SnapshotMeta& meta, const std::string& context) override;
  base::Status RestoreImage(const raft::SnapshotMeta& meta) override;

 private:
  std::string db_path() const { return config_.dir + "/db.sqlite"; }
  // Request plumbing.
  void Propose(const command::Command& cmd, api::Done done);
  // Runs fn on a pooled read-only connection on `exec` (nullptr = deps_.read).
  void RunRead(std::function<api::Response(sqlite::Conn&)> fn, api::Done done,
               base::Executor* exec = nullptr);
  api::Response LocalQuery(sqlite::Conn& conn, const std::vector<api::Statement>& stmts,
                           bool transaction, int64_t db_timeout_ns, bool qualify);
  void Preprocess(std::vector<api::Statement>* stmts, const api::RewriteOptions& o, bool rewrite);
  bool NeedsStrongUpgrade();  // no strong read applied yet in the replica's current term

  // Cluster (cluster.cc).
  base::Status OpenReplica(fs::FileSystem* fs,
                           const std::function<uint64_t(uint64_t, uint64_t)>& resolve);
  base::Status ConvertLegacyLog(fs::FileSystem* fs);
  base::Status RecoverFromPeersJson(fs::FileSystem* fs);  // recovery.cc (§14)
  void OnMembership(const raft::ConfChange& cc);  // apply executor
  base::Status ChangeMembershipSync(const raft::ConfChange& cc);
  base::Status LeaderError() const;  // kNotLeader, or kNoLeader when no leader is known
  bool IsVoter() const;
  bool StaleRead(int64_t freshness_ns, bool strict) const;  // level=none freshness (§7)
  void LinearizableRead(std::function<api::Response(sqlite::Conn&)> fn, int64_t timeout_ns,
                        api::Done done);
  void ExpireLinearizableReads();
  void ReapUnreachable(const replica::RaftStatus& rs);  // leader, from RaftTick (§4)
  base::Executor* released_reads() const {
    return deps_.released_reads ? deps_.released_reads : deps_.read;
  }
  api::TreeMap RaftStatusTree(const replica::RaftStatus& rs, const replica::Stats& st);
  template <typename F>
  base::Status RunOnApply(F&& fn);  // runs fn on the apply executor and waits

  // Apply executor.
  api::Response ApplyCommand(const command::Command& cmd, uint64_t index);
  bool ApplyRun(const std::vector<command::Command>& cmds,
                const std::vector<replica::Committed>& entries, size_t i, size_t j,
                std::vector<api::Response>* resps);
  void Finish(const replica::Committed& e, api::Response resp);
  api::Response ApplyWrite(const command::Command& cmd, uint64_t index);
  api::Response ApplyLoad(const std::string& image, uint64_t index);
  api::Response ApplyLoadSql(const command::Command& cmd, uint64_t index);
  base::Status ReplaceDatabase(const std::string& image);
  base::Status RecordApplied(uint64_t index);  // in its own transaction
  std::string AppliedPragma(uint64_t index) const;
  base::Status SnapshotNow(bool force);
  void MaybeSnapshot();
  uint64_t ReadAppliedLow32();
  static int OnWal(void* self, sqlite3* db, const char* schema, int frames);

  // Backup helpers (caller thread).
  base::Status DumpSql(sqlite::Conn& conn, const std::vector<std::string>& tables,
                       const std::string& path);
  std::string TempPath(const char* tag);

  api::Tree SqliteStatus();

  const StoreConfig config_;
  const StoreDeps deps_;
  std::unique_ptr<sqlite::Conn> writer_;  // apply executor only (after Init)
  ReadPool pool_;
  std::unique_ptr<fs::FileSystem> owned_fs_;
  std::unique_ptr<replica::RaftReplica> replica_;
  raft::NodeId self_ = raft::kNoNode;
  std::unique_ptr<Members> members_;
  NullTransport null_transport_;

  std::mutex notify_mu_;
  std::map<std::string, std::string> notifiers_;  // guarded by notify_mu_: id -> raft address
  bool bootstrapped_ = false;                     // guarded by notify_mu_

  std::mutex lin_mu_;
  std::map<uint64_t, std::shared_ptr<LinRead>> lin_reads_;  // guarded by lin_mu_
  uint64_t next_lin_ = 1;                                   // guarded by lin_mu_
  std::atomic<int64_t> caught_up_mono_ns_{0};  // last time applied index >= known commit
  std::mutex reap_mu_;
  std::set<raft::NodeId> reaping_;  // guarded by reap_mu_: removals in flight

  std::mutex mu_;
  std::unordered_map<uint64_t, api::Done> pending_;  // guarded by mu_
  uint64_t next_token_ = 1;                          // guarded by mu_
  base::Random random_;                              // guarded by mu_

  std::atomic<bool> open_{false};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> applied_index_{0};
  std::atomic<uint64_t> snapshot_index_{0};
  std::atomic<int64_t> applied_at_unix_ns_{0};
  std::atomic<uint64_t> strong_read_term_{0};
  std::atomic<int> reads_in_flight_{0};
  std::atomic<uint64_t> temp_seq_{0};
  // Snapshot images (store/snapshot.cc): <dir>/snapshots; one image in the making at a time.
  base::Status OpenSnapshots();  // Init, before the writer opens: repairs a damaged db file
  uint64_t ReconcileWithLog(uint64_t first, uint64_t last, uint64_t applied);
  void CompactAfterSnapshot(uint64_t applied);  // apply executor (end of SnapshotNow)
  void StartImage();                            // any thread: image on the read executor
  void MaybeStartImage();                       // apply executor: a deferred image, when due
  bool image_wanted_ = false;                   // apply executor
  void StartUserImage(uint64_t trailing_logs);  // apply executor: POST /snapshot
  base::Status RestoreMembers(const std::string& encoded);  // raft executor (AdoptImage)
  std::atomic<uint64_t> image_trailing_{0};     // next image keeps this many entries (0: config)
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
  std::atomic<bool> image_busy_{false};
  std::atomic<int64_t> last_image_mono_ns_{0};
  std::atomic<int64_t> image_cost_ns_{0};  // how long the last image took to make
  std::atomic<uint64_t> n_executes_{0}, n_queries_{0}, n_requests_{0}, n_snapshots_{0};
  std::mutex close_mu_;
  std::condition_variable close_cv_;
  int64_t last_snapshot_mono_ns_ = 0;  // apply executor
  int64_t snapshot_retry_mono_ns_ = 0;  // apply executor: no automatic snapshot before this
  int wal_frames_ = 0;                 // apply executor (sqlite3_wal_hook)
  uint64_t page_size_ = 4096;          // apply executor
};

}  // namespace store
