// server/formation.h — forming and leaving a cluster at start-up and shutdown (cluster-semantics
// §2.1–§2.3, §4, §6; cli.md §3 runtime fatals, §4 shutdown).
//
// FormCluster runs after the store opened (cli.md §4 step 7):
//   no -join, no -bootstrap-expect → nothing (the store bootstrapped a fresh node itself, or
//     restarted with its stored configuration; a fresh non-voter was refused by Store::Open);
//   every -join address is first probed for HTTP (2 s): an answer is fatal
//     "join address <a> appears to be serving HTTP when it should be Raft";
//   -join, -bootstrap-expect 0 → "node is the only node in a single-node cluster, joining other
//     clusters not supported" when this node is the sole member of its own cluster; otherwise
//     up to -join-attempts rounds over the addresses (each following up to 10 "not leader"
//     redirects), -join-interval apart → "failed to join cluster: failed to join cluster";
//   -join, -bootstrap-expect N → until a leader is known: one join round, then (voters) NOTIFY
//     every address including our own; ~1 s with jitter between rounds; after
//     -bootstrap-expect-timeout → "failed to bootstrap cluster: boot timeout".
// RemoveSelf (-raft-cluster-remove-shutdown): asks the leader to remove this node (5 attempts
// 250 ms apart, 5 s each), then waits up to 5 s for the removal to be visible locally.
// StepdownIfLeader (-raft-shutdown-stepdown): leader of a multi-voter cluster → transfer
// leadership and wait for the outcome.
//
// Threads: blocking; call from the start-up/shutdown thread (never an io thread of the client).
// The client must run on its own io_context (server/inter_node.h).
#pragma once

#include <functional>
#include <string>

#include "api/database.h"
#include "base/status.h"
#include "cluster/client.h"
#include "server/flags.h"

namespace auth {
class CredentialStore;
}  // namespace auth

namespace server {

// -join-as credentials (the password comes from the -auth file; empty without -join-as).
struct JoinCredentials {
  std::string username;
  std::string password;
};
JoinCredentials CredentialsFor(const Config& config, const auth::CredentialStore* credentials);

// Called when a join succeeded: the node that accepted it (the leader) is `node_id` at
// `raft_addr`. The transport needs that address before the log (and with it the membership)
// can reach this node.
using LearnPeerFn = std::function<void(const std::string& node_id, const std::string& raft_addr)>;

// `local` is the store itself (Leader/Nodes views), never the forwarding decorator.
base::Status FormCluster(const Config& config, api::Database& local, cluster::Client& client,
                         const JoinCredentials& creds, const LearnPeerFn& learn_peer);
base::Status RemoveSelf(const Config& config, api::Database& local, cluster::Client& client,
                        const JoinCredentials& creds);
void StepdownIfLeader(const Config& config, api::Database& local);

}  // namespace server
