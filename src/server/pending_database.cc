#include "server/pending_database.h"

#include <utility>

#include "base/check.h"

namespace server {
namespace {

api::Response NoLeader() {
  api::Response r;
  r.status = base::Status(base::Code::kNoLeader, "leader not found");
  return r;
}

base::Status NotReady() { return base::Unavailable("store not ready"); }

}  // namespace

void PendingDatabase::Attach(api::Database* target) {
  CHECK(target != nullptr);
  api::Database* expected = nullptr;
  CHECK(target_.compare_exchange_strong(expected, target, std::memory_order_acq_rel))
      << "PendingDatabase attached twice";
}

void PendingDatabase::Execute(api::ExecuteRequest request, api::Done done) {
  if (api::Database* db = target()) return db->Execute(std::move(request), std::move(done));
  done(NoLeader());
}

void PendingDatabase::Query(api::QueryRequest request, api::Done done) {
  if (api::Database* db = target()) return db->Query(std::move(request), std::move(done));
  done(NoLeader());
}

void PendingDatabase::Request(api::UnifiedRequest request, api::Done done) {
  if (api::Database* db = target()) return db->Request(std::move(request), std::move(done));
  done(NoLeader());
}

void PendingDatabase::Load(std::string data, api::Done done) {
  if (api::Database* db = target()) return db->Load(std::move(data), std::move(done));
  done(NoLeader());
}

base::Status PendingDatabase::Boot(std::string sqlite_image) {
  if (api::Database* db = target()) return db->Boot(std::move(sqlite_image));
  return NotReady();
}

base::Result<api::BackupFile> PendingDatabase::Backup(const api::BackupRequest& request) {
  if (api::Database* db = target()) return db->Backup(request);
  return NotReady();
}

base::Status PendingDatabase::Snapshot(uint64_t trailing_logs) {
  if (api::Database* db = target()) return db->Snapshot(trailing_logs);
  return NotReady();
}

api::LeaderInfo PendingDatabase::Leader() {
  if (api::Database* db = target()) return db->Leader();
  return {};
}

std::vector<api::NodeInfo> PendingDatabase::Nodes(bool include_non_voters) {
  if (api::Database* db = target()) return db->Nodes(include_non_voters);
  return {};
}

base::Status PendingDatabase::Remove(const std::string& node_id) {
  if (api::Database* db = target()) return db->Remove(node_id);
  return NotReady();
}

base::Status PendingDatabase::Stepdown(const std::string& node_id, bool wait) {
  if (api::Database* db = target()) return db->Stepdown(node_id, wait);
  return NotReady();
}

void PendingDatabase::LoadWithOptions(api::LoadRequest request, api::Done done) {
  if (api::Database* db = target()) return db->LoadWithOptions(std::move(request), std::move(done));
  done(NoLeader());
}

base::Status PendingDatabase::RemoveWithOptions(const api::RemoveRequest& request) {
  if (api::Database* db = target()) return db->RemoveWithOptions(request);
  return NotReady();
}

base::Status PendingDatabase::StepdownWithOptions(const api::StepdownRequest& request) {
  if (api::Database* db = target()) return db->StepdownWithOptions(request);
  return NotReady();
}

std::vector<api::NodeInfo> PendingDatabase::NodesWithOptions(const api::NodesRequest& request) {
  if (api::Database* db = target()) return db->NodesWithOptions(request);
  return {};
}

base::Status PendingDatabase::Join(const api::JoinRequest& request) {
  if (api::Database* db = target()) return db->Join(request);
  return NotReady();
}

base::Status PendingDatabase::Notify(const api::NotifyRequest& request) {
  if (api::Database* db = target()) return db->Notify(request);
  return NotReady();
}

base::Status PendingDatabase::SyncWithLeader(int64_t timeout_ns) {
  if (api::Database* db = target()) return db->SyncWithLeader(timeout_ns);
  return NotReady();
}

base::Status PendingDatabase::WaitForCommitIndex(uint64_t index, int64_t timeout_ns) {
  if (api::Database* db = target()) return db->WaitForCommitIndex(index, timeout_ns);
  return NotReady();
}

bool PendingDatabase::Ready() {
  api::Database* db = target();
  return db != nullptr && db->Ready();
}

api::Tree PendingDatabase::Status() {
  if (api::Database* db = target()) return db->Status();
  return api::TreeMap{{"open", false}, {"ready", false}};
}

api::Tree PendingDatabase::DebugVars() {
  if (api::Database* db = target()) return db->DebugVars();
  return api::TreeMap{};
}

}  // namespace server
