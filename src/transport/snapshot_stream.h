// transport/snapshot_stream.h — INTERNAL to transport/: streaming one snapshot image over its own
// TCP connection (service byte 0x03; byte layout: docs/formats/transport.md §5).
//
// SnapshotSender (leader side): dials the peer, writes the preamble, the MsgSnap frame and the
// image size, then the image in CRC-32C chunks of at most kSnapshotChunkBytes read from the open
// file (one chunk in memory at a time), then an end marker with the whole image's CRC, and waits
// for the receiver's one-byte verdict. done(ok) runs exactly once, on an io thread.
// SnapshotReceiver (follower side): reads all of that into a temporary file in
// Options::snapshot_dir, checking every chunk's CRC, the total size and the whole-image CRC,
// fsyncs the file, hands (MsgSnap, path, size, crc) to Hub::DeliverSnapshot, then writes the
// verdict. On any failure the file is deleted and the connection closed.
// Memory: one chunk buffer per stream on each side, whatever the image size.
// Threads: everything runs on the socket's strand (file reads/writes included: pread/write of
// one chunk at a time on an io thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "raft/message.h"
#include "transport/peer.h"
#include "transport/tcp_transport.h"

namespace transport {

inline constexpr uint8_t kServiceSnapshot = 0x03;
inline constexpr uint32_t kSnapshotChunkBytes = 1u << 20;

// Starts streaming `image_path` to `addr`. Never blocks beyond opening the file.
void StartSnapshotSend(boost::asio::io_context& io, std::shared_ptr<Hub> hub,
                       const Options& options, std::string addr, raft::Message m,
                       const std::string& image_path, std::function<void(bool)> done);

// Serves one accepted snapshot connection (its first byte, 0x03, still unread).
void StartSnapshotReceive(boost::asio::ip::tcp::socket socket, std::shared_ptr<Hub> hub,
                          const Options& options);

}  // namespace transport
