// raft/message.cc — names, trace formatting and the wire encoding of messages (format in
// docs/formats/raft-messages.md).
#include "raft/message.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace raft {

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHup: return "MsgHup";
    case MessageType::kBeat: return "MsgBeat";
    case MessageType::kProp: return "MsgProp";
    case MessageType::kApp: return "MsgApp";
    case MessageType::kAppResp: return "MsgAppResp";
    case MessageType::kVote: return "MsgVote";
    case MessageType::kVoteResp: return "MsgVoteResp";
    case MessageType::kPreVote: return "MsgPreVote";
    case MessageType::kPreVoteResp: return "MsgPreVoteResp";
    case MessageType::kHeartbeat: return "MsgHeartbeat";
    case MessageType::kHeartbeatResp: return "MsgHeartbeatResp";
    case MessageType::kSnap: return "MsgSnap";
    case MessageType::kTimeoutNow: return "MsgTimeoutNow";
    case MessageType::kReadIndex: return "MsgReadIndex";
    case MessageType::kReadIndexResp: return "MsgReadIndexResp";
    case MessageType::kTransferLeader: return "MsgTransferLeader";
    case MessageType::kUnreachable: return "MsgUnreachable";
    case MessageType::kSnapStatus: return "MsgSnapStatus";
  }
  return "MsgUnknown";
}

bool IsLocalMessage(MessageType type) {
  return type == MessageType::kHup || type == MessageType::kBeat ||
         type == MessageType::kUnreachable || type == MessageType::kSnapStatus;
}

bool IsResponseMessage(MessageType type) {
  return type == MessageType::kAppResp || type == MessageType::kVoteResp ||
         type == MessageType::kPreVoteResp || type == MessageType::kHeartbeatResp ||
         type == MessageType::kReadIndexResp;
}

std::string DescribeEntry(const Entry& e) {
  std::ostringstream os;
  os << e.term << "/" << e.index;
  switch (e.type) {
    case EntryType::kNormal: os << " EntryNormal \"" << e.data << "\""; break;
    case EntryType::kNoop: os << " EntryNoop"; break;
    case EntryType::kConfChange: {
      auto cc = DecodeConfChange(e.data);
      if (!cc.ok()) {
        os << " EntryConfChange <bad>";
        break;
      }
      const char* names[] = {"v", "l", "r"};
      os << " EntryConfChange " << names[static_cast<int>(cc->type)] << cc->node;
      break;
    }
  }
  return os.str();
}

std::string DescribeMessage(const Message& m) {
  std::ostringstream os;
  os << m.from << "->" << m.to << " " << MessageTypeName(m.type) << " Term:" << m.term
     << " Log:" << m.log_term << "/" << m.index;
  if (m.commit != 0) os << " Commit:" << m.commit;
  if (m.reject) os << " Rejected (Hint: " << m.reject_hint << ")";
  if (!m.context.empty()) os << " Context:" << m.context;
  if (m.type == MessageType::kSnap) {
    os << " Snapshot: Index:" << m.snapshot.index << " Term:" << m.snapshot.term;
  }
  if (!m.entries.empty()) {
    os << " Entries:[";
    for (size_t i = 0; i < m.entries.size(); ++i) {
      if (i != 0) os << ", ";
      os << DescribeEntry(m.entries[i]);
    }
    os << "]";
  }
  return os.str();
}

namespace {

constexpr uint8_t kMessageVersion = 1;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.size() < 1) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    *v = r;
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n = 0;
    if (!U64(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void WriteIds(Writer* w, const std::vector<NodeId>& ids) {
  w->U64(ids.size());
  for (NodeId id : ids) w->U64(id);
}

bool ReadIds(Reader* r, std::vector<NodeId>* ids) {
  uint64_t n = 0;
  if (!r->U64(&n) || n > (1u << 20)) return false;
  ids->resize(n);
  for (auto& id : *ids) {
    if (!r->U64(&id)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeMessage(const Message& m) {
  Writer w;
  w.U8(kMessageVersion);
  w.U8(static_cast<uint8_t>(m.type));
  w.U64(m.to);
  w.U64(m.from);
  w.U64(m.term);
  w.U64(m.log_term);
  w.U64(m.index);
  w.U64(m.commit);
  w.U8(m.reject ? 1 : 0);
  w.U64(m.reject_hint);
  w.Str(m.context);
  w.U64(m.snapshot.index);
  w.U64(m.snapshot.term);
  WriteIds(&w, m.snapshot.conf.voters);
  WriteIds(&w, m.snapshot.conf.learners);
  w.U64(m.entries.size());
  for (const Entry& e : m.entries) {
    w.U64(e.term);
    w.U64(e.index);
    w.U8(static_cast<uint8_t>(e.type));
    w.Str(e.data);
  }
  return w.Take();
}

base::Result<Message> DecodeMessage(std::string_view bytes) {
  Reader r(bytes);
  Message m;
  uint8_t version = 0, type = 0, reject = 0;
  auto bad = [] { return base::Corruption("raft: malformed message"); };
  if (!r.U8(&version) || version != kMessageVersion) return bad();
  if (!r.U8(&type) || type > static_cast<uint8_t>(MessageType::kSnapStatus)) return bad();
  m.type = static_cast<MessageType>(type);
  if (!r.U64(&m.to) || !r.U64(&m.from) || !r.U64(&m.term) || !r.U64(&m.log_term) ||
      !r.U64(&m.index) || !r.U64(&m.commit) || !r.U8(&reject) || !r.U64(&m.reject_hint) ||
      !r.Str(&m.context) || !r.U64(&m.snapshot.index) || !r.U64(&m.snapshot.term) ||
      !ReadIds(&r, &m.snapshot.conf.voters) || !ReadIds(&r, &m.snapshot.conf.learners)) {
    return bad();
  }
  m.reject = reject != 0;
  uint64_t n = 0;
  if (!r.U64(&n) || n > bytes.size()) return bad();
  m.entries.resize(n);
  for (Entry& e : m.entries) {
    uint8_t et = 0;
    if (!r.U64(&e.term) || !r.U64(&e.index) || !r.U8(&et) || et > 2 || !r.Str(&e.data)) {
      return bad();
    }
    e.type = static_cast<EntryType>(et);
  }
  if (!r.done()) return bad();
  return m;
}

std::string EncodeConfChange(const ConfChange& cc) {
  Writer w;
  w.U8(static_cast<uint8_t>(cc.type));
  w.U64(cc.node);
  w.Str(cc.context);
  return w.Take();
}

base::Result<ConfChange> DecodeConfChange(std::string_view bytes) {
  Reader r(bytes);
  ConfChange cc;
  uint8_t type = 0;
  if (!r.U8(&type) || type > 2 || !r.U64(&cc.node) || !r.Str(&cc.context) || !r.done()) {
    return base::Corruption("raft: malformed conf change");
  }
  cc.type = static_cast<ConfChangeType>(type);
  return cc;
}

ConfState ApplyConfChangeTo(const ConfState& conf, const ConfChange& cc) {
  ConfState out = conf;
  auto erase = [](std::vector<NodeId>* v, NodeId id) {
    v->erase(std::remove(v->begin(), v->end(), id), v->end());
  };
  auto add = [](std::vector<NodeId>* v, NodeId id) {
    if (std::find(v->begin(), v->end(), id) == v->end()) v->push_back(id);
    std::sort(v->begin(), v->end());
  };
  switch (cc.type) {
    case ConfChangeType::kAddVoter:
      erase(&out.learners, cc.node);
      add(&out.voters, cc.node);
      break;
    case ConfChangeType::kAddLearner:
      if (std::find(out.voters.begin(), out.voters.end(), cc.node) != out.voters.end()) break;
      add(&out.learners, cc.node);
      break;
    case ConfChangeType::kRemoveNode:
      erase(&out.voters, cc.node);
      erase(&out.learners, cc.node);
      break;
  }
  return out;
}

}  // namespace raft
