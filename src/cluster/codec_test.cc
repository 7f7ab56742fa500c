// Round trips of api:: values through the cluster protobuf messages, and the frame header.
#include "cluster/codec.h"

#include <gtest/gtest.h>

namespace cluster {
namespace {

TEST(CodecTest, FrameHeaderIsLittleEndian) {
  std::string h = EncodeFrameHeader(0x0102030405060708ull);
  ASSERT_EQ(h.size(), 8u);
  EXPECT_EQ(static_cast<uint8_t>(h[0]), 0x08);
  EXPECT_EQ(static_cast<uint8_t>(h[7]), 0x01);
  EXPECT_EQ(DecodeFrameHeader(reinterpret_cast<const uint8_t*>(h.data())), 0x0102030405060708ull);
  rqcluster::Command cmd;
  cmd.set_type(rqcluster::Command::GET_NODE_META);
  std::string f = EncodeFrame(cmd);
  EXPECT_EQ(DecodeFrameHeader(reinterpret_cast<const uint8_t*>(f.data())), f.size() - 8);
}

TEST(CodecTest, QueryRequestRoundTrip) {
  api::QueryRequest q;
  api::Statement s;
  s.sql = std::string("SELECT ?, :n, \xff\xfe", 17);  // invalid UTF-8 survives (bytes fields)
  s.parameters.push_back({"", api::Value{int64_t{-5}}});
  s.parameters.push_back({"n", api::Value{api::Blob{std::string("\0\1", 2)}}});
  s.parameters.push_back({"", api::Value{std::monostate{}}});
  s.parameters.push_back({"", api::Value{2.5}});
  s.parameters.push_back({"", api::Value{std::string("txt")}});
  s.returning = true;
  q.statements.push_back(s);
  q.transaction = true;
  q.level = api::Level::kLinearizable;
  q.freshness_ns = 7;
  q.freshness_strict = true;
  q.linearizable_timeout_ns = 9;
  q.qualify_columns = true;
  q.rewrite.no_parse = true;
  rqcluster::SqlRequest p;
  ToProto(q, &p);
  rqcluster::SqlRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
  api::QueryRequest back = QueryFromProto(parsed);
  ASSERT_EQ(back.statements.size(), 1u);
  EXPECT_EQ(back.statements[0].sql, s.sql);
  EXPECT_TRUE(back.statements[0].returning);
  ASSERT_EQ(back.statements[0].parameters.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(back.statements[0].parameters[i].name, s.parameters[i].name);
    EXPECT_EQ(back.statements[0].parameters[i].value, s.parameters[i].value) << i;
  }
  EXPECT_TRUE(back.transaction);
  EXPECT_EQ(back.level, api::Level::kLinearizable);
  EXPECT_EQ(back.freshness_ns, 7);
  EXPECT_TRUE(back.freshness_strict);
  EXPECT_EQ(back.linearizable_timeout_ns, 9);
  EXPECT_TRUE(back.qualify_columns);
  EXPECT_TRUE(back.rewrite.no_parse);
  EXPECT_FALSE(back.rewrite.no_rewrite_random);
}

TEST(CodecTest, ResponseRoundTrip) {
  api::Response r;
  r.status = base::Status(base::Code::kStale, "stale read");
  r.raft_index = 42;
  api::StatementResult rows;
  rows.kind = api::StatementResult::Kind::kRows;
  rows.columns = {"a", "b"};
  rows.types = {"integer", "boolean"};
  rows.values = {{int64_t{1}, true}, {std::monostate{}, false}};
  rows.time_s = 0.5;
  api::StatementResult err;
  err.kind = api::StatementResult::Kind::kError;
  err.error = "no such table";
  api::StatementResult exec;
  exec.last_insert_id = 3;
  exec.rows_affected = 2;
  r.results = {rows, err, exec};
  rqcluster::SqlResponse p;
  ToProto(r, &p);
  api::Response back = FromProto(p);
  EXPECT_EQ(back.status.code(), base::Code::kStale);
  EXPECT_EQ(back.status.message(), "stale read");
  EXPECT_EQ(back.raft_index, 42u);
  ASSERT_EQ(back.results.size(), 3u);
  EXPECT_EQ(back.results[0].kind, api::StatementResult::Kind::kRows);
  EXPECT_EQ(back.results[0].columns, rows.columns);
  EXPECT_EQ(back.results[0].types, rows.types);
  EXPECT_EQ(back.results[0].values, rows.values);
  EXPECT_EQ(back.results[0].time_s, 0.5);
  EXPECT_EQ(back.results[1].error, "no such table");
  EXPECT_EQ(back.results[2].last_insert_id, 3);
  EXPECT_EQ(back.results[2].rows_affected, 2);
}

TEST(CodecTest, StatusCodesSurviveAndUnknownBecomesInternal) {
  rqcluster::Status p;
  ToProto(base::Status(base::Code::kPermissionDenied, "unauthorized"), &p);
  EXPECT_EQ(FromProto(p).code(), base::Code::kPermissionDenied);
  ToProto(base::Status::Ok(), &p);
  EXPECT_TRUE(FromProto(p).ok());
  p.set_code(999);
  EXPECT_EQ(FromProto(p).code(), base::Code::kInternal);
}

TEST(CodecTest, BackupRequestRoundTrip) {
  api::BackupRequest b;
  b.format = api::BackupFormat::kSql;
  b.tables = {"t1", "t2"};
  b.leader_only = false;
  rqcluster::BackupRequest p;
  ToProto(b, &p);
  api::BackupRequest back = FromProto(p);
  EXPECT_EQ(back.format, api::BackupFormat::kSql);
  EXPECT_EQ(back.tables, b.tables);
  EXPECT_FALSE(back.leader_only);
  EXPECT_FALSE(back.vacuum);
}

}  // namespace
}  // namespace cluster
