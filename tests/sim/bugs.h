// tests/sim/bugs.h — names of the raft::TestingKnobs deliberate bugs, for the command line and
// the bug-detection tests. Header-only; no state.
#pragma once

#include <optional>
#include <string_view>

#include "raft/node.h"

namespace sim {

inline constexpr std::string_view kBugNames[] = {"commit_prev_term", "readindex_no_heartbeat",
                                                 "vote_not_persisted", "ack_before_sync"};

// Switches on the named bug; false if the name is unknown.
inline bool EnableBug(std::string_view name, raft::TestingKnobs* knobs) {
  if (name == "commit_prev_term") knobs->commit_prev_term = true;
  else if (name == "readindex_no_heartbeat") knobs->readindex_no_heartbeat = true;
  else if (name == "vote_not_persisted") knobs->vote_not_persisted = true;
  else if (name == "ack_before_sync") knobs->ack_before_sync = true;
  else return false;
  return true;
}

}  // namespace sim
