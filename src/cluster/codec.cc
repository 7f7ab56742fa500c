#include "cluster/codec.h"

#include <type_traits>

namespace cluster {
namespace {

void ValueToProto(const api::Value& v, rqcluster::Value* out) {
  std::visit(
      [out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out->set_null(true);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out->set_integer(x);
        } else if constexpr (std::is_same_v<T, double>) {
          out->set_real(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          out->set_text(x);
        } else if constexpr (std::is_same_v<T, api::Blob>) {
          out->set_blob(x.bytes);
        } else {
          static_assert(std::is_same_v<T, bool>);
          out->set_boolean(x);
        }
      },
      v);
}

api::Value ValueFromProto(const rqcluster::Value& v) {
  switch (v.v_case()) {
    case rqcluster::Value::kInteger: return v.integer();
    case rqcluster::Value::kReal: return v.real();
    case rqcluster::Value::kText: return v.text();
    case rqcluster::Value::kBlob: return api::Blob{v.blob()};
    case rqcluster::Value::kBoolean: return v.boolean();
    default: return std::monostate{};
  }
}

void StatementsToProto(const std::vector<api::Statement>& in, rqcluster::SqlRequest* out) {
  for (const api::Statement& s : in) {
    rqcluster::Statement* p = out->add_statements();
    p->set_sql(s.sql);
    p->set_returning(s.returning);
    p->set_explain(s.explain);
    for (const api::Parameter& param : s.parameters) {
      rqcluster::Parameter* pp = p->add_parameters();
      pp->set_name(param.name);
      ValueToProto(param.value, pp->mutable_value());
    }
  }
}

std::vector<api::Statement> StatementsFromProto(const rqcluster::SqlRequest& r) {
  std::vector<api::Statement> out;
  out.reserve(r.statements_size());
  for (const rqcluster::Statement& p : r.statements()) {
    api::Statement s;
    s.sql = p.sql();
    s.returning = p.returning();
    s.explain = p.explain();
    for (const rqcluster::Parameter& pp : p.parameters()) {
      s.parameters.push_back(api::Parameter{pp.name(), ValueFromProto(pp.value())});
    }
    out.push_back(std::move(s));
  }
  return out;
}

void RewriteToProto(const api::RewriteOptions& r, rqcluster::Rewrite* out) {
  out->set_no_rewrite_random(r.no_rewrite_random);
  out->set_no_rewrite_time(r.no_rewrite_time);
  out->set_no_parse(r.no_parse);
}

api::RewriteOptions RewriteFromProto(const rqcluster::Rewrite& r) {
  return api::RewriteOptions{r.no_rewrite_random(), r.no_rewrite_time(), r.no_parse()};
}

api::Level LevelFromProto(int32_t level) {
  if (level < 0 || level > static_cast<int32_t>(api::Level::kAuto)) return api::Level::kWeak;
  return static_cast<api::Level>(level);
}

// The fields of every SQL request (Execute, Query, Unified) ...
template <typename Req>
void SqlToProto(const Req& r, rqcluster::SqlRequest* out) {
  StatementsToProto(r.statements, out);
  out->set_transaction(r.transaction);
  out->set_db_timeout_ns(r.db_timeout_ns);
  RewriteToProto(r.rewrite, out->mutable_rewrite());
}

template <typename Req>
Req SqlFromProto(const rqcluster::SqlRequest& r) {
  Req out;
  out.statements = StatementsFromProto(r);
  out.transaction = r.transaction();
  out.db_timeout_ns = r.db_timeout_ns();
  out.rewrite = RewriteFromProto(r.rewrite());
  return out;
}

// ... and those of the requests that may read (Query, Unified).
template <typename Req>
void ReadToProto(const Req& r, rqcluster::SqlRequest* out) {
  out->set_level(static_cast<int32_t>(r.level));
  out->set_freshness_ns(r.freshness_ns);
  out->set_freshness_strict(r.freshness_strict);
  out->set_qualify_columns(r.qualify_columns);
}

template <typename Req>
void ReadFromProto(const rqcluster::SqlRequest& r, Req* out) {
  out->level = LevelFromProto(r.level());
  out->freshness_ns = r.freshness_ns();
  out->freshness_strict = r.freshness_strict();
  out->qualify_columns = r.qualify_columns();
}

}  // namespace

std::string EncodeFrameHeader(uint64_t length) {
  std::string out(kFrameHeaderBytes, '\0');
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) out[i] = static_cast<char>(length >> (8 * i));
  return out;
}

uint64_t DecodeFrameHeader(const uint8_t* bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) v |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return v;
}

std::string EncodeFrame(const google::protobuf::MessageLite& message) {
  std::string body = message.SerializeAsString();
  std::string out = EncodeFrameHeader(body.size());
  out += body;
  return out;
}

void ToProto(const base::Status& s, rqcluster::Status* out) {
  out->set_code(static_cast<int32_t>(s.code()));
  out->set_message(s.message());
}

base::Status FromProto(const rqcluster::Status& s) {
  if (s.code() == 0) return base::Status::Ok();
  int32_t max = static_cast<int32_t>(base::Code::kPermissionDenied);
  base::Code code = (s.code() < 0 || s.code() > max) ? base::Code::kInternal
                                                      : static_cast<base::Code>(s.code());
  return base::Status(code, s.message());
}

void ToProto(const api::ExecuteRequest& r, rqcluster::SqlRequest* out) { SqlToProto(r, out); }

void ToProto(const api::QueryRequest& r, rqcluster::SqlRequest* out) {
  SqlToProto(r, out);
  ReadToProto(r, out);
  out->set_linearizable_timeout_ns(r.linearizable_timeout_ns);
}

void ToProto(const api::UnifiedRequest& r, rqcluster::SqlRequest* out) {
  SqlToProto(r, out);
  ReadToProto(r, out);
}

api::ExecuteRequest ExecuteFromProto(const rqcluster::SqlRequest& r) {
  return SqlFromProto<api::ExecuteRequest>(r);
}

api::QueryRequest QueryFromProto(const rqcluster::SqlRequest& r) {
  auto out = SqlFromProto<api::QueryRequest>(r);
  ReadFromProto(r, &out);
  out.linearizable_timeout_ns = r.linearizable_timeout_ns();
  return out;
}

api::UnifiedRequest UnifiedFromProto(const rqcluster::SqlRequest& r) {
  auto out = SqlFromProto<api::UnifiedRequest>(r);
  ReadFromProto(r, &out);
  return out;
}

void ToProto(const api::Response& r, rqcluster::SqlResponse* out) {
  ToProto(r.status, out->mutable_status());
  out->set_raft_index(r.raft_index);
  for (const api::StatementResult& s : r.results) {
    rqcluster::StatementResult* p = out->add_results();
    p->set_kind(static_cast<int32_t>(s.kind));
    p->set_last_insert_id(s.last_insert_id);
    p->set_rows_affected(s.rows_affected);
    for (const std::string& c : s.columns) p->add_columns(c);
    for (const std::string& t : s.types) p->add_types(t);
    for (const std::vector<api::Value>& row : s.values) {
      rqcluster::Row* pr = p->add_rows();
      for (const api::Value& v : row) ValueToProto(v, pr->add_values());
    }
    p->set_error(s.error);
    p->set_time_s(s.time_s);
  }
}

api::Response FromProto(const rqcluster::SqlResponse& r) {
  api::Response out;
  out.status = FromProto(r.status());
  out.raft_index = r.raft_index();
  out.results.reserve(r.results_size());
  for (const rqcluster::StatementResult& p : r.results()) {
    api::StatementResult s;
    int32_t kind = p.kind();
    s.kind = (kind >= 0 && kind <= 2) ? static_cast<api::StatementResult::Kind>(kind)
                                      : api::StatementResult::Kind::kError;
    s.last_insert_id = p.last_insert_id();
    s.rows_affected = p.rows_affected();
    s.columns.assign(p.columns().begin(), p.columns().end());
    s.types.assign(p.types().begin(), p.types().end());
    s.values.reserve(p.rows_size());
    for (const rqcluster::Row& pr : p.rows()) {
      std::vector<api::Value> row;
      row.reserve(pr.values_size());
      for (const rqcluster::Value& v : pr.values()) row.push_back(ValueFromProto(v));
      s.values.push_back(std::move(row));
    }
    s.error = p.error();
    s.time_s = p.time_s();
    out.results.push_back(std::move(s));
  }
  return out;
}

void ToProto(const api::BackupRequest& r, rqcluster::BackupRequest* out) {
  out->set_format(static_cast<int32_t>(r.format));
  for (const std::string& t : r.tables) out->add_tables(t);
  out->set_vacuum(r.vacuum);
  out->set_leader_only(r.leader_only);
}

api::BackupRequest FromProto(const rqcluster::BackupRequest& r) {
  api::BackupRequest out;
  int32_t f = r.format();
  out.format = (f >= 0 && f <= 2) ? static_cast<api::BackupFormat>(f) : api::BackupFormat::kBinary;
  out.tables.assign(r.tables().begin(), r.tables().end());
  out.vacuum = r.vacuum();
  out.leader_only = r.leader_only();
  return out;
}

void ToProto(const api::ForwardOptions& f, rqcluster::Credentials* out) {
  out->set_username(f.username);
  out->set_password(f.password);
}

}  // namespace cluster
