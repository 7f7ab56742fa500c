// transport/frame.h — the byte layout of a Raft transport connection (pure; no sockets).
//
// What: the connection preamble (the dialer's first 22 bytes) and the frame that carries one
// raft::Message (8-byte header: length + CRC-32C, then raft::EncodeMessage bytes). The spec is
// docs/formats/transport.md. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "raft/message.h"

namespace transport {

inline constexpr uint8_t kServiceRaft = 0x01;  // first byte: service selector (port mux)
inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kPreambleBytes = 22;
inline constexpr size_t kFrameHeaderBytes = 8;

struct Preamble {
  raft::NodeId from = 0;  // the dialing node
  raft::NodeId to = 0;    // the node the dialer expects to reach
  bool operator==(const Preamble&) const = default;
};

std::string EncodePreamble(const Preamble& p);
// kCorruption on a wrong service byte, magic or version. REQUIRES: bytes.size() == 22.
base::Result<Preamble> DecodePreamble(std::string_view bytes);

// Header + payload for one message.
std::string EncodeFrame(const raft::Message& m);

struct FrameHeader {
  uint32_t length = 0;  // payload bytes
  uint32_t crc = 0;     // CRC-32C of the payload
};
// kCorruption when length is 0 or above max_bytes. REQUIRES: bytes.size() == 8.
base::Result<FrameHeader> DecodeFrameHeader(std::string_view bytes, uint32_t max_bytes);
// Checks the CRC, then decodes the message (kCorruption on either failure).
base::Result<raft::Message> DecodeFramePayload(const FrameHeader& h, std::string_view payload);

}  // namespace transport
