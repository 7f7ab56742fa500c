#include "command/command.h"

#include <zstd.h>

#include <cstring>

namespace command {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagCompressed = 1;
constexpr uint8_t kFlagTransaction = 2;
constexpr uint8_t kFlagQualify = 4;
constexpr uint8_t kFlagTxnControl = 8;
constexpr uint8_t kStmtReturning = 1;
constexpr uint8_t kStmtExplain = 2;

enum class Tag : uint8_t { kNull = 0, kInt = 1, kReal = 2, kText = 3, kBlob = 4, kBool = 5 };

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void PutBytes(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}
uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutValue(std::string& out, const api::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) {
    out.push_back(static_cast<char>(Tag::kNull));
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    out.push_back(static_cast<char>(Tag::kInt));
    PutVarint(out, ZigZag(*i));
  } else if (auto* d = std::get_if<double>(&v)) {
    out.push_back(static_cast<char>(Tag::kReal));
    char buf[8];
    std::memcpy(buf, d, 8);
    out.append(buf, 8);
  } else if (auto* s = std::get_if<std::string>(&v)) {
    out.push_back(static_cast<char>(Tag::kText));
    PutBytes(out, *s);
  } else if (auto* b = std::get_if<api::Blob>(&v)) {
    out.push_back(static_cast<char>(Tag::kBlob));
    PutBytes(out, b->bytes);
  } else {
    out.push_back(static_cast<char>(Tag::kBool));
    out.push_back(std::get<bool>(v) ? 1 : 0);
  }
}

std::string EncodeBody(const Command& cmd) {
  std::string out;
  PutVarint(out, ZigZag(cmd.db_timeout_ns));
  PutVarint(out, cmd.statements.size());
  for (const auto& st : cmd.statements) {
    PutBytes(out, st.sql);
    out.push_back(static_cast<char>((st.returning ? kStmtReturning : 0) |
                                    (st.explain ? kStmtExplain : 0)));
    PutVarint(out, st.parameters.size());
    for (const auto& p : st.parameters) {
      PutBytes(out, p.name);
      PutValue(out, p.value);
    }
  }
  PutBytes(out, cmd.data);
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) return false;
      uint8_t b = static_cast<uint8_t>(s_[pos_++]);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string* out) {
    uint64_t n;
    if (!Varint(&n) || n > s_.size() - pos_) return false;
    out->assign(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (pos_ >= s_.size()) return false;
    *b = static_cast<uint8_t>(s_[pos_++]);
    return true;
  }
  bool Fixed8(char* out) {
    if (s_.size() - pos_ < 8) return false;
    std::memcpy(out, s_.data() + pos_, 8);
    pos_ += 8;
    return true;
  }
  bool done() const { return pos_ == s_.size(); }
  size_t remaining() const { return s_.size() - pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool ReadValue(Reader& r, api::Value* v) {
  uint8_t tag;
  if (!r.Byte(&tag)) return false;
  switch (static_cast<Tag>(tag)) {
    case Tag::kNull: *v = std::monostate{}; return true;
    case Tag::kInt: {
      uint64_t u;
      if (!r.Varint(&u)) return false;
      *v = UnZigZag(u);
      return true;
    }
    case Tag::kReal: {
      char buf[8];
      double d;
      if (!r.Fixed8(buf)) return false;
      std::memcpy(&d, buf, 8);
      *v = d;
      return true;
    }
    case Tag::kText: {
      std::string s;
      if (!r.Bytes(&s)) return false;
      *v = std::move(s);
      return true;
    }
    case Tag::kBlob: {
      api::Blob b;
      if (!r.Bytes(&b.bytes)) return false;
      *v = std::move(b);
      return true;
    }
    case Tag::kBool: {
      uint8_t b;
      if (!r.Byte(&b)) return false;
      *v = b != 0;
      return true;
    }
  }
  return false;
}

bool DecodeBody(std::string_view body, Command* cmd) {
  Reader r(body);
  uint64_t u, n;
  if (!r.Varint(&u)) return false;
  cmd->db_timeout_ns = UnZigZag(u);
  if (!r.Varint(&n) || n > r.remaining()) return false;
  cmd->statements.resize(n);
  for (auto& st : cmd->statements) {
    uint8_t flags;
    uint64_t np;
    if (!r.Bytes(&st.sql) || !r.Byte(&flags) || !r.Varint(&np) || np > r.remaining()) return false;
    st.returning = flags & kStmtReturning;
    st.explain = flags & kStmtExplain;
    st.parameters.resize(np);
    for (auto& p : st.parameters) {
      if (!r.Bytes(&p.name) || !ReadValue(r, &p.value)) return false;
    }
  }
  return r.Bytes(&cmd->data) && r.done();
}

}  // namespace

std::string Encode(const Command& cmd, uint64_t compress_min_bytes) {
  std::string body = EncodeBody(cmd);
  uint8_t flags = (cmd.transaction ? kFlagTransaction : 0) |
                  (cmd.qualify_columns ? kFlagQualify : 0) |
                  (cmd.txn_control ? kFlagTxnControl : 0);
  std::string out;
  if (compress_min_bytes > 0 && body.size() > compress_min_bytes) {
    std::string z(ZSTD_compressBound(body.size()), '\0');
    size_t n = ZSTD_compress(z.data(), z.size(), body.data(), body.size(), 1);
    if (!ZSTD_isError(n) && n < body.size()) {
      z.resize(n);
      out.reserve(3 + n);
      out.push_back(static_cast<char>(kVersion));
      out.push_back(static_cast<char>(cmd.type));
      out.push_back(static_cast<char>(flags | kFlagCompressed));
      out += z;
      return out;
    }
  }
  out.reserve(3 + body.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(cmd.type));
  out.push_back(static_cast<char>(flags));
  out += body;
  return out;
}

base::Result<Command> Decode(std::string_view bytes) {
  if (bytes.size() < 3) return base::Corruption("command: too short");
  if (static_cast<uint8_t>(bytes[0]) != kVersion) return base::Corruption("command: bad version");
  Command cmd;
  uint8_t type = static_cast<uint8_t>(bytes[1]);
  if (type > static_cast<uint8_t>(Type::kLoadSql)) return base::Corruption("command: bad type");
  cmd.type = static_cast<Type>(type);
  uint8_t flags = static_cast<uint8_t>(bytes[2]);
  cmd.transaction = flags & kFlagTransaction;
  cmd.qualify_columns = flags & kFlagQualify;
  cmd.txn_control = flags & kFlagTxnControl;
  std::string_view body = bytes.substr(3);
  std::string plain;
  if (flags & kFlagCompressed) {
    unsigned long long size = ZSTD_getFrameContentSize(body.data(), body.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 34)) {
      return base::Corruption("command: bad zstd frame");
    }
    plain.resize(size);
    size_t n = ZSTD_decompress(plain.data(), plain.size(), body.data(), body.size());
    if (ZSTD_isError(n) || n != size) return base::Corruption("command: zstd decompress failed");
    body = plain;
  }
  if (!DecodeBody(body, &cmd)) return base::Corruption("command: malformed body");
  return cmd;
}

}  // namespace command
