// store/membership.h — rqlite node identity on top of Raft's numeric ids (docs/formats/
// membership.md).
//
// What: rqlite node ids are strings (default = the advertised Raft address); the Raft core uses
// numeric raft::NodeId. NodeIdFor() maps one to the other with a stable 64-bit hash (FNV-1a,
// never 0). Every membership ConfChange carries {string id, raft address} in its `context`
// (EncodeMember/DecodeMember). `Members` is the store's view of who is in the configuration:
// numeric id -> {string id, raft address}, rebuilt from committed ConfChanges and persisted in
// <dir>/raft/members so that it survives log compaction (replayed ConfChanges re-apply
// idempotently).
//
// Thread-safety: Members is thread-safe (one mutex). Apply() is called on the apply executor in
// log order; lookups from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "raft/message.h"

namespace store {

struct Member {
  std::string id;         // rqlite node id
  std::string raft_addr;  // advertised Raft address
  bool voter = true;
  bool operator==(const Member&) const = default;
};

// Stable numeric id of an rqlite node id: FNV-1a 64 of the bytes; 0 maps to 1.
raft::NodeId NodeIdFor(std::string_view node_id);

// ConfChange::context encoding (version 1): 0x01, u32le len, id, u32le len, raft address.
std::string EncodeMember(const Member& m);
base::Result<Member> DecodeMember(std::string_view context);

// Parses and validates <data>/raft/peers.json (cluster-semantics.md §14):
// [{"id":"1","address":"host:4002","non_voter":false}, ...] — non-empty unique ids and
// addresses, host:port without "://", at least one voter.
base::Result<std::vector<Member>> ParsePeersJson(std::string_view json);

class Members {
 public:
  // `path` is the persistence file; fs borrowed (outlives this object).
  Members(fs::FileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Loads the persisted map (a missing file is an empty map).
  base::Status Load();
  // Applies one committed ConfChange and persists the map (durable on return). Returns the
  // affected member (for removal: the removed member, if it was known).
  std::optional<Member> Apply(const raft::ConfChange& cc);

  std::optional<Member> Get(raft::NodeId id) const;
  // The member with this string id, if any.
  std::optional<std::pair<raft::NodeId, Member>> FindById(const std::string& id) const;
  std::optional<std::pair<raft::NodeId, Member>> FindByAddr(const std::string& addr) const;
  std::map<raft::NodeId, Member> All() const;

  // Serialized map, for snapshots (the snapshot engineer carries it with the state machine
  // image so a follower restored from a snapshot knows the members added before it).
  std::string Encode() const;
  base::Status Restore(std::string_view bytes);  // replaces the map and persists it

 private:
  std::string EncodeLocked() const;
  base::Status PersistLocked();
  static base::Result<std::map<raft::NodeId, Member>> DecodeMap(std::string_view bytes);

  fs::FileSystem* const fs_;
  const std::string path_;
  mutable std::mutex mu_;
  std::map<raft::NodeId, Member> members_;  // guarded by mu_
};

}  // namespace store
