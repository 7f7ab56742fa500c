#include "linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

namespace sim {
namespace {

constexpr int64_t kInfinity = std::numeric_limits<int64_t>::max();

// One key's operations translated for the search: values interned as small integers
// (0 = absent) so that a search state is (bitset, int).
struct KeyOp {
  OpKind kind;
  int value;     // write/cas: new value id; read: observed value id
  int expected;  // cas only
  int64_t invoke;
  int64_t ret;   // kInfinity for unknown outcomes
  const Operation* source;
};

struct Entry {
  bool is_call;
  int op;
  int64_t time;
  Entry* prev = nullptr;
  Entry* next = nullptr;
  Entry* match = nullptr;  // call -> its return (nullptr if none), return -> its call
};

struct Bits {
  std::vector<uint64_t> words;
  explicit Bits(size_t n) : words((n + 63) / 64, 0) {}
  void Set(int i) { words[i / 64] |= (uint64_t{1} << (i % 64)); }
  void Clear(int i) { words[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  size_t Count() const {
    size_t c = 0;
    for (uint64_t w : words) c += __builtin_popcountll(w);
    return c;
  }
};

struct CacheKey {
  std::vector<uint64_t> bits;
  int state;
  bool operator==(const CacheKey&) const = default;
};

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(k.state);
    for (uint64_t w : k.bits) h = (h ^ w) * 1099511628211ull + (h >> 29);
    return static_cast<size_t>(h);
  }
};

// The register model: returns the new state, or nullopt if `op` cannot happen in `state`.
std::optional<int> Step(int state, const KeyOp& op) {
  switch (op.kind) {
    case OpKind::kRead:
      if (state == op.value) return state;
      return std::nullopt;
    case OpKind::kWrite:
      return op.value;
    case OpKind::kCas:
      if (state == op.expected) return op.value;
      return std::nullopt;
  }
  return std::nullopt;
}

void Lift(Entry* call) {
  call->prev->next = call->next;
  if (call->next) call->next->prev = call->prev;
  if (Entry* r = call->match) {
    r->prev->next = r->next;
    if (r->next) r->next->prev = r->prev;
  }
}

void Unlift(Entry* call) {
  if (Entry* r = call->match) {
    r->prev->next = r;
    if (r->next) r->next->prev = r;
  }
  call->prev->next = call;
  if (call->next) call->next->prev = call;
}

struct KeySearch {
  bool linearizable = false;
  bool gave_up = false;
  uint64_t steps = 0;
  size_t best = 0;  // most operations linearized on any path
};

// Lowe's iterative formulation of Wing & Gong's search with memoisation.
KeySearch SearchKey(const std::vector<KeyOp>& ops, uint64_t max_steps) {
  KeySearch result;
  std::vector<Entry> storage;
  storage.reserve(ops.size() * 2 + 1);
  storage.push_back(Entry{true, -1, std::numeric_limits<int64_t>::min()});  // head sentinel
  std::vector<size_t> call_at(ops.size()), ret_at(ops.size(), SIZE_MAX);
  for (size_t i = 0; i < ops.size(); ++i) {
    call_at[i] = storage.size();
    storage.push_back(Entry{true, static_cast<int>(i), ops[i].invoke});
    if (ops[i].ret != kInfinity) {
      ret_at[i] = storage.size();
      storage.push_back(Entry{false, static_cast<int>(i), ops[i].ret});
    }
  }
  // Time order; at equal times calls precede returns (touching intervals count as concurrent).
  std::vector<Entry*> order;
  for (size_t i = 1; i < storage.size(); ++i) order.push_back(&storage[i]);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->time != b->time) return a->time < b->time;
    return a->is_call && !b->is_call;
  });
  Entry* head = &storage[0];
  Entry* prev = head;
  for (Entry* e : order) {
    prev->next = e;
    e->prev = prev;
    prev = e;
  }
  size_t returns_left = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ret_at[i] != SIZE_MAX) {
      storage[call_at[i]].match = &storage[ret_at[i]];
      storage[ret_at[i]].match = &storage[call_at[i]];
      ++returns_left;
    }
  }

  std::unordered_set<CacheKey, CacheKeyHash> cache;
  struct Frame {
    Entry* call;
    int state;
  };
  std::vector<Frame> stack;
  Bits linearized(ops.size());
  int state = 0;
  Entry* entry = head->next;
  while (returns_left > 0) {
    if (++result.steps > max_steps) {
      result.gave_up = true;
      return result;
    }
    if (entry != nullptr && entry->is_call) {
      const KeyOp& op = ops[entry->op];
      std::optional<int> next_state = Step(state, op);
      if (next_state) {
        Bits candidate = linearized;
        candidate.Set(entry->op);
        if (cache.insert(CacheKey{candidate.words, *next_state}).second) {
          stack.push_back(Frame{entry, state});
          state = *next_state;
          linearized = std::move(candidate);
          if (entry->match) --returns_left;
          result.best = std::max(result.best, stack.size());
          Lift(entry);
          entry = head->next;
          continue;
        }
      }
      entry = entry->next;
      continue;
    }
    // A return entry (or the end): the pending call cannot be placed; backtrack.
    if (stack.empty()) return result;
    Frame top = stack.back();
    stack.pop_back();
    state = top.state;
    linearized.Clear(top.call->op);
    if (top.call->match) ++returns_left;
    Unlift(top.call);
    entry = top.call->next;
  }
  result.linearizable = true;
  return result;
}

std::string ValueText(const std::optional<std::string>& v) { return v ? *v : "<absent>"; }

}  // namespace

std::string FormatOp(const Operation& op) {
  std::ostringstream out;
  out << "c" << op.client << " ";
  switch (op.kind) {
    case OpKind::kRead:
      out << "read " << op.key << "->" << ValueText(op.value);
      break;
    case OpKind::kWrite:
      out << "write " << op.key << "=" << ValueText(op.value);
      break;
    case OpKind::kCas:
      out << "cas " << op.key << " " << ValueText(op.expected) << "->" << ValueText(op.value);
      break;
  }
  out << " [" << op.invoke << ",";
  if (op.outcome == Outcome::kUnknown) {
    out << "?] unknown";
  } else {
    out << op.ret << "] " << (op.outcome == Outcome::kOk ? "ok" : "fail");
  }
  return out.str();
}

CheckResult CheckLinearizable(const std::vector<Operation>& history, const CheckOptions& options) {
  CheckResult result;
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) {
    if (op.outcome == Outcome::kFail) continue;  // never took effect
    if (op.kind == OpKind::kRead && op.outcome == Outcome::kUnknown) continue;  // no effect
    by_key[op.key].push_back(&op);
  }
  for (auto& [key, ops] : by_key) {
    // An unknown write/cas whose value no read ever observed is equivalent to one that never
    // happened (it could be linearized just before the next write); dropping it keeps the
    // search from branching on every timed-out write.
    std::set<std::string> observed;
    for (const Operation* op : ops) {
      if (op->kind == OpKind::kRead && op->value) observed.insert(*op->value);
      if (op->kind == OpKind::kCas && op->expected) observed.insert(*op->expected);
    }
    std::erase_if(ops, [&observed](const Operation* op) {
      return op->outcome == Outcome::kUnknown && op->kind != OpKind::kRead &&
             (!op->value || !observed.contains(*op->value));
    });
    std::map<std::string, int> ids;
    auto intern = [&ids](const std::optional<std::string>& v) {
      if (!v) return 0;
      auto [it, inserted] = ids.emplace(*v, static_cast<int>(ids.size()) + 1);
      return it->second;
    };
    std::vector<KeyOp> key_ops;
    for (const Operation* op : ops) {
      KeyOp k{op->kind, intern(op->value), op->kind == OpKind::kCas ? intern(op->expected) : 0,
              op->invoke, op->outcome == Outcome::kUnknown ? kInfinity : op->ret, op};
      key_ops.push_back(k);
    }
    KeySearch search = SearchKey(key_ops, options.max_steps_per_key);
    result.steps += search.steps;
    if (search.linearizable) continue;
    result.verdict = search.gave_up ? Verdict::kGaveUp : Verdict::kNotLinearizable;
    result.key = key;
    std::ostringstream out;
    out << (search.gave_up ? "search gave up" : "not linearizable") << " on key " << key << " ("
        << key_ops.size() << " ops, at most " << search.best << " linearized)";
    std::vector<const Operation*> sorted = ops;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Operation* a, const Operation* b) { return a->invoke < b->invoke; });
    size_t shown = 0;
    for (const Operation* op : sorted) {
      if (++shown > 80) {
        out << "\n  ...";
        break;
      }
      out << "\n  " << FormatOp(*op);
    }
    result.explanation = out.str();
    return result;
  }
  return result;
}

}  // namespace sim
