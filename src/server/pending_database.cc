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

void PendingDatabase::Load(api::LoadRequest request, api::Done done) {
  if (api::Database* db = target()) return db->Load(std::move(request), std::move(done));
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

std::vector<api::NodeInfo> PendingDatabase::Nodes(const api::NodesRequest& request) {
  if (api::Database* db = target()) return db->Nodes(request);
  return {};
}

base::Status PendingDatabase::Remove(const api::RemoveRequest& request) {
  if (api::Database* db = target()) return db->Remove(request);
  return NotReady();
}

base::Status PendingDatabase::Stepdown(const api::StepdownRequest& request) {
  if (api::Database* db = target()) return db->Stepdown(request);
  return NotReady();
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
