// command/command.h — the payload of one log entry: an execute, strong query, unified request or
// load, encoded as compact bytes (docs/formats/command.md).
//
// What: value type `Command` and pure Encode/Decode. Bodies larger than `compress_min_bytes` are
// zstd-compressed. Decode validates every length and fails with kCorruption on malformed input.
// Thread-safety: pure functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/database.h"
#include "base/result.h"

namespace command {

enum class Type : uint8_t {
  kNoop = 0,     // no effect (boot marker, leadership barrier)
  kExecute = 1,  // /db/execute
  kQuery = 2,    // /db/query at level=strong
  kRequest = 3,  // /db/request with a write or at level=strong
  kLoad = 4,     // /db/load of a SQLite file image (data = the image)
  kLoadSql = 5,  // /db/load of SQL text (statements[0].sql = the text)
};

struct Command {
  Type type = Type::kNoop;
  std::vector<api::Statement> statements;
  bool transaction = false;
  bool qualify_columns = false;
  // Some statement begins with transaction control (command::HasTransactionControl), so the
  // applier must not wrap the entry in its own transaction. Computed by the proposer.
  bool txn_control = false;
  int64_t db_timeout_ns = 0;
  std::string data;  // kLoad only
};

// Encodes `cmd`; the body is zstd-compressed when it is larger than compress_min_bytes
// (0 = never compress).
std::string Encode(const Command& cmd, uint64_t compress_min_bytes = 4096);
base::Result<Command> Decode(std::string_view bytes);

}  // namespace command
