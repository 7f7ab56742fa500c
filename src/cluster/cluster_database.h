// cluster/cluster_database.h — the forwarding decorator: an api::Database over the local store
// that sends what this node cannot serve to the leader (http-api.md §6, brief contract 3).
//
// What: every call goes to the local store first, unchanged, when this node is the leader or
// the request asked for `redirect` (then the store's kNotLeader reaches http/, which answers
// 301). On a follower, a request the store answers with kNotLeader is forwarded over the
// cluster service to the leader's Raft address (local->Leader()); the leader's response is
// returned verbatim. No leader known → kNoLeader ("leader not found"). The original Basic
// credentials, `timeout` and `retries` travel with the forwarded call (api::ForwardOptions);
// a leader that rejects them yields kPermissionDenied.
//   Execute / Query / Request / Load — async, as above (reads at `none` are served
//       by the local store and never forwarded). Queued writes work unchanged: the http/ write
//       queue calls Execute.
//   Backup — forwarded when leader_only and the store says kNotLeader; the leader streams the
//       file into options.temp_dir (the caller deletes it, as for a local backup).
//   Remove / Stepdown / Join — synchronous, forwarded likewise.
//   Notify, Boot, Snapshot, Ready, Status, DebugVars — always local.
//   Leader() — the store's view plus `api_addr`: this node's own URL when it leads, else the
//       leader's GET_NODE_META url (cached per Raft address for meta_cache_ttl_ns; looked up
//       with leader_meta_timeout_ns; empty when unreachable).
//   Nodes() — the store's membership, each node probed with GET_NODE_META
//       concurrently (this node answers from self_meta without I/O), bounded by the request's
//       timeout (default nodes_timeout_ns): reachable, api_addr, version ("unknown" when a node
//       reports none), leader (reachable and Raft address == the leader's), probe time, error
//       ("timeout waiting for node to respond" on timeout).
//
// What the server (src/server/node.cc) must create and pass:
//   cluster::Client client(cluster_io, {.connect_timeout_ms = <-cluster-connect-timeout>});
//   cluster::ClusterDatabase db(&store, &client, meta_fn, &clock,
//       {.self_id = node_id, .self_raft_addr = raft_adv_addr, .temp_dir = <data dir>/tmp});
//   pending_database.Attach(&db);     // http/ sees the decorator, the cluster::Service the store
// `cluster_io` must be run by a thread that never calls into this object (the sync paths
// block on the Client); the HTTP io threads are fine.
//
// Ownership: borrows local, client, clock; they must outlive this object.
// Threads: none of its own; thread-safe. Async completions run on the store's thread (local
// answers) or on the Client's io thread (forwarded answers); like the store's, they must not
// block. The synchronous methods block the caller for at most the call timeout.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "api/database.h"
#include "base/clock.h"
#include "cluster/client.h"
#include "cluster/service.h"

namespace cluster {

struct ClusterDatabaseOptions {
  std::string self_id;         // this node's id (the store's Leader().id when it leads)
  std::string self_raft_addr;  // advertised Raft address
  std::string temp_dir = "/tmp";  // forwarded backups are written here
  int64_t nodes_timeout_ns = 30'000'000'000;
  int64_t leader_meta_timeout_ns = 5'000'000'000;
  int64_t meta_cache_ttl_ns = 10'000'000'000;
};

class ClusterDatabase final : public api::Database {
 public:
  ClusterDatabase(api::Database* local, Client* client, NodeMetaFn self_meta,
                  const base::Clock* clock, ClusterDatabaseOptions options);

  void Execute(api::ExecuteRequest request, api::Done done) override;
  void Query(api::QueryRequest request, api::Done done) override;
  void Request(api::UnifiedRequest request, api::Done done) override;
  void Load(api::LoadRequest request, api::Done done) override;
  base::Status Boot(std::string sqlite_image) override;
  base::Result<api::BackupFile> Backup(const api::BackupRequest& request) override;
  base::Status Snapshot(uint64_t trailing_logs) override;

  api::LeaderInfo Leader() override;
  base::Status SyncWithLeader(int64_t timeout_ns) override;
  base::Status WaitForCommitIndex(uint64_t index, int64_t timeout_ns) override {
    return local_->WaitForCommitIndex(index, timeout_ns);
  }
  std::vector<api::NodeInfo> Nodes(const api::NodesRequest& request) override;
  base::Status Remove(const api::RemoveRequest& request) override;
  base::Status Stepdown(const api::StepdownRequest& request) override;
  base::Status Join(const api::JoinRequest& request) override;
  base::Status Notify(const api::NotifyRequest& request) override;

  bool Ready() override;
  api::Tree Status() override;
  api::Tree DebugVars() override;

 private:
  template <typename Req, typename LocalCall, typename ForwardCall>
  void RunOrForward(Req request, api::Done done, LocalCall local_call, ForwardCall forward_call);
  bool SelfLeads();
  // The leader's Raft address for forwarding, or kNoLeader.
  base::Result<std::string> ForwardTarget();
  std::string CachedApiAddr(const std::string& raft_addr);
  void RememberApiAddr(const std::string& raft_addr, const std::string& url);

  api::Database* local_;
  Client* client_;
  NodeMetaFn self_meta_;
  const base::Clock* clock_;
  ClusterDatabaseOptions options_;

  struct CachedMeta {
    std::string url;
    int64_t fetched_mono_ns = 0;
  };
  std::mutex mu_;
  std::map<std::string, CachedMeta> meta_cache_;  // guarded by mu_; key = Raft address
  uint64_t backup_seq_ = 0;                        // guarded by mu_
};

}  // namespace cluster
