// GET /db/backup (http-api.md §7.6): the store writes the backup to a file; this handler
// optionally gzips it (BestSpeed, streaming file to file, bounded memory) and hands the file to
// the server, which streams it and deletes it afterwards.
#include <zlib.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "http/handlers.h"

namespace http {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { if (f != nullptr) fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Writes gzip(in) to out_path. Errors: kIoError.
base::Status GzipFile(const std::string& in_path, const std::string& out_path) {
  File in(fopen(in_path.c_str(), "rb"));
  if (!in) return base::IoError("open " + in_path);
  File out(fopen(out_path.c_str(), "wb"));
  if (!out) return base::IoError("create " + out_path);
  z_stream z{};
  // 15 window bits + 16 = gzip wrapper; level 1 = Go's gzip.BestSpeed.
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return base::Internal("deflateInit2 failed");
  }
  std::vector<unsigned char> ibuf(1 << 16), obuf(1 << 16);
  base::Status status;
  int flush = Z_NO_FLUSH;
  while (status.ok() && flush != Z_FINISH) {
    size_t n = fread(ibuf.data(), 1, ibuf.size(), in.get());
    if (ferror(in.get())) status = base::IoError("read " + in_path);
    flush = feof(in.get()) ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = ibuf.data();
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = obuf.data();
      z.avail_out = static_cast<uInt>(obuf.size());
      deflate(&z, flush);
      size_t have = obuf.size() - z.avail_out;
      if (have > 0 && fwrite(obuf.data(), 1, have, out.get()) != have) {
        status = base::IoError("write " + out_path);
      }
    } while (status.ok() && z.avail_out == 0);
  }
  deflateEnd(&z);
  if (status.ok() && fflush(out.get()) != 0) status = base::IoError("flush " + out_path);
  return status;
}

}  // namespace

void HandleBackup(ServiceEnv& env, CallPtr call) {
  const QueryParams& p = call->params;
  call->response.SetHeader("Content-Type", p.fmt == api::BackupFormat::kSql
                                               ? "application/sql"
                                               : "application/octet-stream");
  if (!Permitted(env, call->request, Permission::kBackup)) return FinishEmpty(std::move(call), 401);
  if (call->request.method != "GET") return FinishEmpty(std::move(call), 405);
  if (p.vacuum && p.fmt != api::BackupFormat::kBinary) {
    return FinishError(std::move(call), 500, "invalid backup format");  // quirk §11.5
  }
  ++env.counters.backups;
  api::BackupRequest req;
  req.format = p.fmt;
  req.tables = p.tables;
  req.vacuum = p.vacuum;
  req.leader_only = !p.noleader;
  req.forward = ForwardOptionsFor(*call);
  auto file = env.db->Backup(req);
  if (!file.ok()) {
    switch (file.status().code()) {
      case base::Code::kNoLeader:
        ++env.counters.leader_not_found;
        return FinishError(std::move(call), 503, "leader not found");
      case base::Code::kNotLeader:
        if (p.redirect) return FinishRedirectToLeader(env, std::move(call));
        [[fallthrough]];
      default:
        if (file.status().code() == base::Code::kPermissionDenied) {
          std::string text = RemoteUnauthorizedText(*call);
          return FinishError(std::move(call), 401, text);
        }
        return FinishError(std::move(call), 500, file.status().message());
    }
  }
  std::string path = file->path;
  if (p.compress) {
    std::string gz = path + ".gz";
    base::Status st = GzipFile(path, gz);
    std::remove(path.c_str());
    if (!st.ok()) {
      std::remove(gz.c_str());
      return FinishError(std::move(call), 500, st.message());
    }
    path = gz;
  }
  env.last_backup_unix_ns = env.clock->UnixNanos();
  call->response.SetHeader("X-Rqlite-Served-By",
                           file->served_by.empty() ? env.config.adv_addr : file->served_by);
  call->response.file_path = path;
  Finish(std::move(call));
}

}  // namespace http
