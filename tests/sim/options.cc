// tests/sim/options.cc — SimOptions presets (swarm, bug-tilted) and the text forms of
// SimOptions and SimResult.
#include <sstream>
#include <string>

#include "base/check.h"
#include "base/random.h"
#include "bugs.h"
#include "simulation.h"

namespace sim {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

}  // namespace

SimOptions SimOptions::Swarm(uint64_t seed, int64_t duration_us) {
  base::Random r(Mix(seed, 0x5a5a5a5a));
  SimOptions o;
  o.seed = seed;
  o.duration_us = duration_us;
  o.voters = static_cast<int>(r.Range(1, 7));
  o.clients = static_cast<int>(r.Range(1, 5));
  o.keys = static_cast<int>(r.Range(1, 4));
  o.drop = r.Bernoulli(0.5) ? r.NextDouble() * 0.2 : 0.0;
  o.duplicate = r.Bernoulli(0.5) ? r.NextDouble() * 0.1 : 0.0;
  o.max_delay_us = r.Bernoulli(0.3) ? r.Range(5'000, 60'000) : r.Range(500, 5'000);
  o.partitions = r.Bernoulli(0.6);
  o.crashes = r.Bernoulli(0.6);
  o.torn_writes = o.crashes && r.Bernoulli(0.5);
  o.membership = r.Bernoulli(0.4);
  o.transfers = r.Bernoulli(0.4);
  o.nemesis_every_us = r.Range(200'000, 3'000'000);
  o.disk_sync_max_us = r.Bernoulli(0.3) ? r.Range(5'000, 30'000) : 2'000;
  o.max_msg_bytes = r.Bernoulli(0.1) ? 1 : (1 << 20);
  o.flaky_leaders = r.Bernoulli(0.2) ? 0.05 : 0.0;
  o.compact_every = r.Bernoulli(0.3) ? r.Range(10, 300) : 0;
  return o;
}

SimOptions SimOptions::ForBug(std::string_view bug, uint64_t seed, int64_t duration_us) {
  SimOptions o = Swarm(seed, duration_us);
  CHECK(EnableBug(bug, &o.knobs)) << bug;
  o.voters = 3 + 2 * static_cast<int>(seed % 2);
  o.clients = 4;
  o.keys = 2;
  o.membership = false;
  o.nemesis_every_us = 300'000;
  if (bug == "readindex_no_heartbeat") {
    // A deposed leader must keep serving reads while the majority moves on.
    o.partitions = true;
    o.crashes = false;
    o.transfers = true;
  } else if (bug == "commit_prev_term") {
    // Figure 8: one entry per MsgApp, so a new leader can count replicas of an old-term entry
    // before its own no-op arrives; leaders crash and come back often.
    o.voters = 5;
    o.partitions = o.crashes = true;
    o.torn_writes = false;
    o.max_msg_bytes = 1;
    o.max_delay_us = 20'000;
    o.nemesis_every_us = 200'000;
    o.flaky_leaders = 0.2;
  } else if (bug == "vote_not_persisted") {
    o.crashes = o.partitions = true;
    o.nemesis_every_us = 150'000;
  } else if (bug == "ack_before_sync") {
    o.crashes = true;
    o.torn_writes = false;
    o.disk_sync_min_us = 5'000;
    o.disk_sync_max_us = 40'000;
  }
  return o;
}

std::string SimOptions::Describe() const {
  std::ostringstream out;
  out << "seed=" << seed << " voters=" << voters << " clients=" << clients << " keys=" << keys
      << " drop=" << drop << " dup=" << duplicate << " delay=" << min_delay_us << ".."
      << max_delay_us << "us partitions=" << partitions << " crashes=" << crashes
      << " torn=" << torn_writes << " membership=" << membership << " transfers=" << transfers
      << " nemesis_every=" << nemesis_every_us << "us sync_max=" << disk_sync_max_us
      << "us" << (max_msg_bytes < 64 ? " tiny_msgs=1" : "")
      << (flaky_leaders > 0 ? " flaky_leaders=" + std::to_string(flaky_leaders) : "")
      << (compact_every > 0 ? " compact_every=" + std::to_string(compact_every) : "")
      << " sim=" << duration_us / 1'000'000 << "s+" << heal_us / 1'000'000 << "s";
  if (membership && !remove_leader) out << " remove_leader=0";
  if (knobs.commit_prev_term) out << " BUG=commit_prev_term";
  if (knobs.readindex_no_heartbeat) out << " BUG=readindex_no_heartbeat";
  if (knobs.vote_not_persisted) out << " BUG=vote_not_persisted";
  if (knobs.ack_before_sync) out << " BUG=ack_before_sync";
  return out.str();
}

std::string SimResult::Summary() const {
  std::ostringstream out;
  out << (ok ? "OK" : "FAIL") << " trace=" << std::hex << trace_hash << std::dec
      << " events=" << events << " leaders=" << leaders << " committed=" << committed
      << " writes_ok=" << writes_ok << " writes_unknown=" << writes_unknown
      << " reads_ok=" << reads_ok << " failed=" << ops_failed << " crashes=" << crashes
      << " conf_changes=" << conf_changes;
  if (!ok) out << "\n  violation: " << failure;
  return out.str();
}

}  // namespace sim
