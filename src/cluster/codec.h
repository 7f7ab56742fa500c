// cluster/codec.h — api:: values <-> cluster.proto messages, and the frame header (pure).
//
// INTERNAL to cluster/ (.cc files only): it includes the generated protobuf header, which the
// public headers of this module keep out. Framing (docs/formats/cluster.md): every message on
// a cluster-service connection is an 8-byte little-endian length followed by that many bytes
// of protobuf. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "api/database.h"
#include "base/status.h"
#include "cluster.pb.h"

namespace cluster {

inline constexpr uint8_t kServiceByte = 0x02;  // the port-mux byte of the cluster service
inline constexpr size_t kFrameHeaderBytes = 8;

// 8-byte little-endian length prefix.
std::string EncodeFrameHeader(uint64_t length);
uint64_t DecodeFrameHeader(const uint8_t* bytes);  // REQUIRES: 8 readable bytes
// Header + serialized message.
std::string EncodeFrame(const google::protobuf::MessageLite& message);

void ToProto(const base::Status& s, rqcluster::Status* out);
base::Status FromProto(const rqcluster::Status& s);

void ToProto(const api::ExecuteRequest& r, rqcluster::SqlRequest* out);
void ToProto(const api::QueryRequest& r, rqcluster::SqlRequest* out);
void ToProto(const api::UnifiedRequest& r, rqcluster::SqlRequest* out);
api::ExecuteRequest ExecuteFromProto(const rqcluster::SqlRequest& r);
api::QueryRequest QueryFromProto(const rqcluster::SqlRequest& r);
api::UnifiedRequest UnifiedFromProto(const rqcluster::SqlRequest& r);

void ToProto(const api::Response& r, rqcluster::SqlResponse* out);
api::Response FromProto(const rqcluster::SqlResponse& r);

void ToProto(const api::BackupRequest& r, rqcluster::BackupRequest* out);
api::BackupRequest FromProto(const rqcluster::BackupRequest& r);

void ToProto(const api::ForwardOptions& f, rqcluster::Credentials* out);

}  // namespace cluster
