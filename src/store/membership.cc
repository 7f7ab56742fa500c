// store/membership.cc — see membership.h and docs/formats/membership.md.
#include "store/membership.h"

#include "base/check.h"
#include "base/crc32c.h"
#include "base/log.h"

namespace store {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// A bounds-checked little-endian reader.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool U8(uint8_t* v) {
    if (b_.size() < 1) return false;
    *v = static_cast<uint8_t>(b_[0]);
    b_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (b_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= uint32_t(static_cast<uint8_t>(b_[i])) << (8 * i);
    b_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (b_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= uint64_t(static_cast<uint8_t>(b_[i])) << (8 * i);
    b_.remove_prefix(8);
    return true;
  }
  bool Bytes(std::string* s) {
    uint32_t n;
    if (!U32(&n) || b_.size() < n) return false;
    s->assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  bool empty() const { return b_.empty(); }

 private:
  std::string_view b_;
};

constexpr char kMagic[] = "RQMEMBERS1";  // 10 bytes

}  // namespace

raft::NodeId NodeIdFor(std::string_view node_id) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (char c : node_id) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;  // FNV prime
  }
  return h == raft::kNoNode ? 1 : h;
}

std::string EncodeMember(const Member& m) {
  std::string out(1, '\x01');
  PutU32(&out, static_cast<uint32_t>(m.id.size()));
  out += m.id;
  PutU32(&out, static_cast<uint32_t>(m.raft_addr.size()));
  out += m.raft_addr;
  return out;
}

base::Result<Member> DecodeMember(std::string_view context) {
  Reader r(context);
  uint8_t version = 0;
  Member m;
  if (!r.U8(&version) || version != 1 || !r.Bytes(&m.id) || !r.Bytes(&m.raft_addr) ||
      !r.empty()) {
    return base::Corruption("malformed membership context");
  }
  return m;
}

base::Status Members::Load() {
  if (!fs_->Exists(path_)) return base::Status::Ok();
  RQ_ASSIGN_OR_RETURN(uint64_t size, fs_->FileSize(path_));
  RQ_ASSIGN_OR_RETURN(auto file, fs_->Open(path_, fs::OpenMode::kReadOnly));
  std::string bytes(size, '\0');
  RQ_ASSIGN_OR_RETURN(size_t n, file->Read(0, size, bytes.data()));
  bytes.resize(n);
  RQ_ASSIGN_OR_RETURN(auto map, DecodeMap(bytes));
  std::lock_guard<std::mutex> lock(mu_);
  members_ = std::move(map);
  return base::Status::Ok();
}

std::string Members::Encode() const {
  std::lock_guard<std::mutex> lock(mu_);
  return EncodeLocked();
}

std::string Members::EncodeLocked() const {
  std::string body;
  PutU32(&body, static_cast<uint32_t>(members_.size()));
  for (const auto& [id, m] : members_) {
    PutU64(&body, id);
    body.push_back(m.voter ? 1 : 0);
    std::string ctx = EncodeMember(m);
    PutU32(&body, static_cast<uint32_t>(ctx.size()));
    body += ctx;
  }
  std::string out(kMagic, 10);
  PutU32(&out, base::Crc32c(body));
  return out + body;
}

base::Result<std::map<raft::NodeId, Member>> Members::DecodeMap(std::string_view bytes) {
  const base::Status bad = base::Corruption("malformed membership file");
  if (bytes.size() < 14 || bytes.substr(0, 10) != std::string_view(kMagic, 10)) return bad;
  Reader head(bytes.substr(10, 4));
  uint32_t crc = 0;
  head.U32(&crc);
  std::string_view body = bytes.substr(14);
  if (crc != base::Crc32c(body)) return bad;
  Reader r(body);
  uint32_t count = 0;
  if (!r.U32(&count)) return bad;
  std::map<raft::NodeId, Member> out;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t id = 0;
    uint8_t voter = 0;
    std::string ctx;
    if (!r.U64(&id) || !r.U8(&voter) || !r.Bytes(&ctx)) return bad;
    RQ_ASSIGN_OR_RETURN(Member m, DecodeMember(ctx));
    m.voter = voter != 0;
    out[id] = std::move(m);
  }
  if (!r.empty()) return bad;
  return out;
}

base::Status Members::Restore(std::string_view bytes) {
  RQ_ASSIGN_OR_RETURN(auto map, DecodeMap(bytes));
  std::lock_guard<std::mutex> lock(mu_);
  members_ = std::move(map);
  return PersistLocked();
}

std::optional<Member> Members::Apply(const raft::ConfChange& cc) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<Member> out;
  if (cc.type == raft::ConfChangeType::kRemoveNode) {
    auto it = members_.find(cc.node);
    if (it == members_.end()) return std::nullopt;
    out = it->second;
    members_.erase(it);
  } else {
    auto m = DecodeMember(cc.context);
    if (!m.ok()) {
      // A bootstrap through raft::Config::peers carries no context (tests only).
      LOG(kWarn, "store") << "membership change for " << cc.node << " without a valid context";
      m = Member{std::to_string(cc.node), "", true};
    }
    m->voter = cc.type == raft::ConfChangeType::kAddVoter;
    members_[cc.node] = *m;
    out = *m;
  }
  base::Status st = PersistLocked();
  CHECK(st.ok()) << "cannot persist the membership: " << st.ToString();
  return out;
}

base::Status Members::PersistLocked() {
  const std::string bytes = EncodeLocked();
  const std::string tmp = path_ + ".tmp";
  {
    RQ_ASSIGN_OR_RETURN(auto f, fs_->Open(tmp, fs::OpenMode::kCreate));
    RQ_RETURN_IF_ERROR(f->Truncate(0));
    RQ_RETURN_IF_ERROR(f->Write(0, bytes));
    RQ_RETURN_IF_ERROR(f->Sync());
  }
  RQ_RETURN_IF_ERROR(fs_->Rename(tmp, path_));
  const size_t slash = path_.rfind('/');
  return fs_->SyncDir(slash == std::string::npos ? "." : path_.substr(0, slash));
}

std::optional<Member> Members::Get(raft::NodeId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::pair<raft::NodeId, Member>> Members::FindById(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [nid, m] : members_) {
    if (m.id == id) return std::make_pair(nid, m);
  }
  return std::nullopt;
}

std::optional<std::pair<raft::NodeId, Member>> Members::FindByAddr(const std::string& addr) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [nid, m] : members_) {
    if (m.raft_addr == addr) return std::make_pair(nid, m);
  }
  return std::nullopt;
}

std::map<raft::NodeId, Member> Members::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  return members_;
}

}  // namespace store
