// transport/frame.cc — see frame.h and docs/formats/transport.md.
#include "transport/frame.h"

#include <cstring>

#include "base/check.h"
#include "base/crc32c.h"

namespace transport {

namespace {

constexpr char kMagic[4] = {'R', 'Q', 'R', 'T'};

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string EncodePreamble(const Preamble& p) {
  std::string out;
  out.reserve(kPreambleBytes);
  out.push_back(static_cast<char>(kServiceRaft));
  out.append(kMagic, sizeof(kMagic));
  out.push_back(static_cast<char>(kWireVersion));
  PutU64(&out, p.from);
  PutU64(&out, p.to);
  CHECK_EQ(out.size(), kPreambleBytes);
  return out;
}

base::Result<Preamble> DecodePreamble(std::string_view b) {
  CHECK_EQ(b.size(), kPreambleBytes);
  if (static_cast<uint8_t>(b[0]) != kServiceRaft) {
    return base::Corruption("transport: not a raft connection (service byte " +
                            std::to_string(static_cast<uint8_t>(b[0])) + ")");
  }
  if (std::memcmp(b.data() + 1, kMagic, sizeof(kMagic)) != 0) {
    return base::Corruption("transport: bad magic");
  }
  if (static_cast<uint8_t>(b[5]) != kWireVersion) {
    return base::Corruption("transport: unsupported version " +
                            std::to_string(static_cast<uint8_t>(b[5])));
  }
  return Preamble{GetU64(b.data() + 6), GetU64(b.data() + 14)};
}

std::string EncodeFrame(const raft::Message& m) {
  std::string payload = raft::EncodeMessage(m);
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  CHECK_LE(payload.size(), 0xFFFFFFFFull);
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  PutU32(&out, base::Crc32c(payload));
  out += payload;
  return out;
}

base::Result<FrameHeader> DecodeFrameHeader(std::string_view b, uint32_t max_bytes) {
  CHECK_EQ(b.size(), kFrameHeaderBytes);
  FrameHeader h{GetU32(b.data()), GetU32(b.data() + 4)};
  if (h.length == 0 || h.length > max_bytes) {
    return base::Corruption("transport: frame length " + std::to_string(h.length) +
                            " out of range (max " + std::to_string(max_bytes) + ")");
  }
  return h;
}

base::Result<raft::Message> DecodeFramePayload(const FrameHeader& h, std::string_view payload) {
  CHECK_EQ(payload.size(), h.length);
  if (base::Crc32c(payload) != h.crc) return base::Corruption("transport: frame CRC mismatch");
  return raft::DecodeMessage(payload);
}

}  // namespace transport
