// replica/replica.cc — see replica.h.
#include "replica/replica.h"

namespace replica {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kLeader: return "Leader";
    case Role::kFollower: return "Follower";
    case Role::kCandidate: return "Candidate";
    case Role::kShutdown: return "Shutdown";
  }
  return "Unknown";
}

}  // namespace replica
