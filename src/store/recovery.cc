// StoreImpl: recovery after permanent quorum loss with <data>/raft/peers.json
// (cluster-semantics.md §14). Runs at Open, before the replica opens the log.
#include <simdjson.h>

#include <algorithm>
#include <set>

#include "base/log.h"
#include "raftlog/log.h"
#include "store/store_impl.h"

namespace store {

base::Result<std::vector<Member>> ParsePeersJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return base::InvalidArgument("peers.json is not valid JSON");
  }
  simdjson::dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS) {
    return base::InvalidArgument("peers.json must be a JSON array");
  }
  std::vector<Member> out;
  std::set<std::string> ids, addrs;
  bool any_voter = false;
  for (simdjson::dom::element e : arr) {
    std::string_view id, addr;
    bool non_voter = false;
    if (e["id"].get_string().get(id) != simdjson::SUCCESS || id.empty()) {
      return base::InvalidArgument("peers.json: every entry needs a non-empty \"id\"");
    }
    if (e["address"].get_string().get(addr) != simdjson::SUCCESS || addr.empty()) {
      return base::InvalidArgument("peers.json: every entry needs a non-empty \"address\"");
    }
    auto nv = e["non_voter"];
    if (nv.error() == simdjson::SUCCESS && nv.get_bool().get(non_voter) != simdjson::SUCCESS) {
      return base::InvalidArgument("peers.json: \"non_voter\" must be a boolean");
    }
    const std::string a(addr);
    const size_t colon = a.rfind(':');
    if (a.find("://") != std::string::npos || colon == std::string::npos || colon == 0 ||
        colon + 1 == a.size() ||
        a.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return base::InvalidArgument("peers.json: address " + a + " is not host:port");
    }
    if (!ids.insert(std::string(id)).second) {
      return base::InvalidArgument("peers.json: duplicate id " + std::string(id));
    }
    if (!addrs.insert(a).second) {
      return base::InvalidArgument("peers.json: duplicate address " + a);
    }
    any_voter = any_voter || !non_voter;
    out.push_back(Member{std::string(id), a, !non_voter});
  }
  if (!any_voter) return base::InvalidArgument("peers.json: no voter in the configuration");
  return out;
}

// Like hashicorp/raft's RecoverCluster: every entry in the local log is taken as committed and
// the configuration becomes exactly peers.json. We append, committed at the end of the log,
// the membership changes from the log's configuration to the new one (each add with its
// context), so the raft core, the store's Members and the transport all learn it through the
// normal ConfChange path. Then peers.json is renamed to peers.info.
base::Status StoreImpl::RecoverFromPeersJson(fs::FileSystem* fs) {
  const std::string raft_dir = config_.dir + "/raft";
  const std::string path = raft_dir + "/peers.json";
  if (!fs->Exists(path)) return base::Status::Ok();
  RQ_ASSIGN_OR_RETURN(uint64_t size, fs->FileSize(path));
  RQ_ASSIGN_OR_RETURN(auto file, fs->Open(path, fs::OpenMode::kReadOnly));
  std::string json(size, '\0');
  RQ_ASSIGN_OR_RETURN(size_t n, file->Read(0, size, json.data()));
  json.resize(n);
  auto peers = ParsePeersJson(json);
  if (!peers.ok()) {
    return base::InvalidArgument("failed to recover from " + path + ": " +
                                 peers.status().message());
  }
  LOG(kWarn, "store") << "recovering the cluster configuration from " << path << " ("
                      << peers->size() << " nodes)";
  {
    RQ_ASSIGN_OR_RETURN(auto log, raftlog::Log::Open(fs, raft_dir + "/log", {}));
    raft::ConfState conf = log->snapshot().conf;
    for (uint64_t lo = log->first_index(); lo <= log->last_index();) {
      RQ_ASSIGN_OR_RETURN(auto chunk, log->Entries(lo, log->last_index() + 1, 16u << 20));
      for (const raft::Entry& e : chunk) {
        if (e.type != raft::EntryType::kConfChange) continue;
        RQ_ASSIGN_OR_RETURN(raft::ConfChange cc, raft::DecodeConfChange(e.data));
        conf = raft::ApplyConfChangeTo(conf, cc);
      }
      lo = chunk.back().index + 1;
    }
    const uint64_t last = log->last_index();
    uint64_t term = std::max<uint64_t>(log->hard_state().term, 1);
    if (auto t = log->Term(last); t.ok()) term = std::max(term, *t);
    std::set<raft::NodeId> keep;
    for (const Member& m : *peers) keep.insert(NodeIdFor(m.id));
    std::vector<raft::ConfChange> changes;
    for (const auto* ids : {&conf.voters, &conf.learners}) {
      for (raft::NodeId id : *ids) {
        if (!keep.count(id)) changes.push_back({raft::ConfChangeType::kRemoveNode, id, ""});
      }
    }
    for (const Member& m : *peers) {
      const raft::NodeId id = NodeIdFor(m.id);
      const bool was_voter =
          std::find(conf.voters.begin(), conf.voters.end(), id) != conf.voters.end();
      // A learner add never demotes a voter: remove it first.
      if (!m.voter && was_voter) changes.push_back({raft::ConfChangeType::kRemoveNode, id, ""});
      changes.push_back({m.voter ? raft::ConfChangeType::kAddVoter
                                 : raft::ConfChangeType::kAddLearner,
                         NodeIdFor(m.id), EncodeMember(m)});
    }
    std::vector<raft::Entry> ents;
    for (const raft::ConfChange& cc : changes) {
      ents.push_back(raft::Entry{term, last + ents.size() + 1, raft::EntryType::kConfChange,
                                 raft::EncodeConfChange(cc)});
    }
    RQ_RETURN_IF_ERROR(log->Append(ents));
    RQ_RETURN_IF_ERROR(log->SetHardState({term, raft::kNoNode, ents.back().index}));
    RQ_RETURN_IF_ERROR(log->Sync());
  }
  RQ_RETURN_IF_ERROR(fs->Rename(path, raft_dir + "/peers.info"));
  return fs->SyncDir(raft_dir);
}

}  // namespace store
