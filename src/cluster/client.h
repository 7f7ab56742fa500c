// cluster/client.h — the dialing side of the cluster service (docs/formats/cluster.md).
//
// What: sends commands to other nodes' cluster service at their Raft address. Connections are
// pooled per target address and reused for sequential requests (a connection carries one
// request at a time); a new connection writes the service byte 0x02 first. Each call has a
// deadline (`timeout_ns`, default options.default_timeout_ns) covering dial + request + reply;
// dialing alone is also bounded by options.connect_timeout_ms (rqlited's
// -cluster-connect-timeout). Transport failures (dial, reset, timeout) are retried `retries`
// more times on a fresh connection; command outcomes (not leader, SQL errors, unauthorized)
// are never retried. Idle pooled connections older than idle_timeout_ms are dropped (the
// service closes connections idle for 30 s).
//
// Errors: kUnavailable (dial failed), kTimeout ("timeout waiting for node to respond"),
// kIoError (connection broken), or the remote command's own status (kNotLeader, kNoLeader,
// kPermissionDenied "unauthorized", ...).
//
// Threads: none of its own. The async methods may be called from any thread; their callbacks
// run on a thread of `io`. The *Sync helpers block the caller until the reply arrives:
// REQUIRES they are NOT called on a thread that runs `io` (that could deadlock). The server
// should give the Client its own io_context run by one dedicated thread (e.g. "cluster-io"),
// separate from the HTTP io threads, which then may call the *Sync helpers.
// Ownership: borrows `io` (it must outlive the Client and run until Close() returns and the
// last callback ran). Close() fails in-flight calls' future attempts and empties the pool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/database.h"
#include "base/result.h"
#include "base/status.h"
#include "cluster/service.h"  // NodeMeta

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace cluster {

struct ClientOptions {
  int64_t connect_timeout_ms = 30'000;
  int64_t default_timeout_ns = 30'000'000'000;
  int64_t idle_timeout_ms = 10'000;
  int max_idle_per_addr = 16;
  // Calls in flight to one address (one connection each); more wait in FIFO order for a slot.
  // Keeps a burst of forwarded requests under the service's connection cap (512). A waiting
  // call's deadline starts when it gets its slot.
  int max_conns_per_addr = 64;
  uint64_t max_frame_bytes = 2ull << 30;
};

// Credentials and limits of one call (see api::ForwardOptions; `redirect` is ignored here).
struct CallOptions {
  std::string username;
  std::string password;
  int64_t timeout_ns = 0;  // 0 = options.default_timeout_ns
  int retries = 0;
  static CallOptions From(const api::ForwardOptions& f) {
    return CallOptions{f.username, f.password, f.timeout_ns, f.retries};
  }
};

// A JOIN's outcome: on kNotLeader, `leader_raft_addr` names the leader ("" = none known).
struct JoinReply {
  base::Status status;
  std::string leader_raft_addr;
};

struct ClientStats {
  uint64_t calls = 0;
  uint64_t dials = 0;
  uint64_t pool_hits = 0;
  uint64_t failures = 0;  // transport failures (each attempt)
};

class Client {
 public:
  using StatusFn = std::function<void(base::Status)>;

  Client(boost::asio::io_context& io, ClientOptions options = {});
  ~Client();  // Close()
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Async API; `addr` is the target's Raft address "host:port".
  void GetNodeMeta(const std::string& addr, const CallOptions& o,
                   std::function<void(base::Result<NodeMeta>)> done);
  void Execute(const std::string& addr, const api::ExecuteRequest& r, const CallOptions& o,
               api::Done done);
  void Query(const std::string& addr, const api::QueryRequest& r, const CallOptions& o,
             api::Done done);
  void Request(const std::string& addr, const api::UnifiedRequest& r, const CallOptions& o,
               api::Done done);
  void Load(const std::string& addr, const std::string& data, const CallOptions& o,
            api::Done done);
  void Remove(const std::string& addr, const std::string& node_id, const CallOptions& o,
              StatusFn done);
  void Stepdown(const std::string& addr, const std::string& node_id, bool wait,
                const CallOptions& o, StatusFn done);
  void Notify(const std::string& addr, const api::NotifyRequest& r, const CallOptions& o,
              StatusFn done);
  void Join(const std::string& addr, const api::JoinRequest& r, const CallOptions& o,
            std::function<void(JoinReply)> done);
  // Streams the remote backup into `dest_path` (created/truncated; removed on failure).
  void Backup(const std::string& addr, const api::BackupRequest& r, const std::string& dest_path,
              const CallOptions& o, std::function<void(base::Result<api::BackupFile>)> done);

  // Blocking helpers. REQUIRES: not called on a thread running `io`.
  base::Result<NodeMeta> GetNodeMetaSync(const std::string& addr, const CallOptions& o);
  base::Status RemoveSync(const std::string& addr, const std::string& node_id,
                          const CallOptions& o);
  base::Status StepdownSync(const std::string& addr, const std::string& node_id, bool wait,
                            const CallOptions& o);
  base::Status NotifySync(const std::string& addr, const api::NotifyRequest& r,
                          const CallOptions& o);
  JoinReply JoinSync(const std::string& addr, const api::JoinRequest& r, const CallOptions& o);
  base::Result<api::BackupFile> BackupSync(const std::string& addr, const api::BackupRequest& r,
                                           const std::string& dest_path, const CallOptions& o);

  // Drops pooled connections; calls started afterwards fail with kUnavailable. Idempotent.
  void Close();
  ClientStats stats() const;

  struct Impl;  // internal (client.cc)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cluster
