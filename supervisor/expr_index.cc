#include "supervisor/expr_index.h"

#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace baton::supervisor {

namespace {
// Dead leaves tolerated beyond the live ones before the buckets are rebuilt.
constexpr size_t kDeadSlack = 64;
}  // namespace

size_t ExprIndex::Add(ExprState& state, const Env& vars) {
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<uint32_t>(states_.size());
    states_.emplace_back();
  }
  Entry& entry = states_[id];
  entry.state = &state;
  entry.vars = &vars;
  entry.leaves = static_cast<uint32_t>(state.leaf_count());
  live_leaves_ += entry.leaves;
  AddLeaves(id);
  return id;
}

void ExprIndex::AddLeaves(uint32_t id) {
  const Entry& entry = states_[id];
  ExprState& state = *entry.state;
  absl::InlinedVector<std::string, 4> globs;
  for (size_t i = 0; i < state.leaf_count(); ++i) {
    const jobs::EventExpr& leaf = state.leaf_expr(i);
    Bucket& bucket = buckets_[leaf.event];
    LeafRef ref;
    ref.state = id;
    ref.gen = entry.gen;
    ref.leaf = static_cast<uint32_t>(i);
    ref.value = state.leaf_value_address(i);
    ref.first_term = static_cast<uint32_t>(bucket.terms.size());
    // `$VAR`s expanded now; a `$` left after that (no name follows it) is
    // for the state to test, with its vars, as ExprState does.
    globs.clear();
    for (const jobs::EventMatch& m : leaf.matches) {
      if (m.glob.find('$') == std::string::npos) {
        globs.push_back(m.glob);
        continue;
      }
      globs.push_back(ExpandVars(m.glob, *entry.vars));
      if (globs.back().find('$') != std::string::npos) ref.uses_vars = true;
    }
    if (!ref.uses_vars) {
      size_t position = 0;
      for (size_t m = 0; m < leaf.matches.size(); ++m) {
        const jobs::EventMatch& match = leaf.matches[m];
        uint32_t test = TestId(bucket, match, globs[m], match.key.empty() ? position++ : 0);
        bucket.terms.push_back({test, match.negate});
        if (!match.negate) bucket.shared[test]++;
      }
    }
    ref.terms = static_cast<uint32_t>(bucket.terms.size()) - ref.first_term;
    bucket.leaves.push_back(ref);
    if (bucket.grouped) Place(bucket, static_cast<uint32_t>(bucket.leaves.size() - 1));
  }
}

void ExprIndex::Remove(size_t id) {
  Entry& entry = states_[id];
  if (entry.state == nullptr) return;
  entry.state = nullptr;
  entry.vars = nullptr;
  entry.gen++;  // its leaves are dead from now on
  free_.push_back(static_cast<uint32_t>(id));
  live_leaves_ -= entry.leaves;
  dead_leaves_ += entry.leaves;
  if (dead_leaves_ <= live_leaves_ + kDeadSlack) return;
  // Rebuilt from the live states: each state's leaves stay together.
  buckets_.clear();
  dead_leaves_ = 0;
  for (uint32_t i = 0; i < states_.size(); ++i) {
    if (states_[i].state != nullptr) AddLeaves(i);
  }
}

void ExprIndex::Clear() {
  states_.clear();
  free_.clear();
  buckets_.clear();
  live_leaves_ = 0;
  dead_leaves_ = 0;
}

uint32_t ExprIndex::TestId(Bucket& bucket, const jobs::EventMatch& match, const std::string& glob,
                           size_t position) {
  std::string id = match.key.empty() ? absl::StrCat("#", position, "=", glob)
                                     : absl::StrCat(match.key, "=", glob);
  auto [it, inserted] = bucket.test_ids.try_emplace(std::move(id), bucket.tests.size());
  if (!inserted) return it->second;
  Test test{match.key.empty(), position, 0, false, GlobTest(glob)};
  if (!test.positional) {
    auto key = std::find(bucket.keys.begin(), bucket.keys.end(), match.key);
    test.slot = static_cast<size_t>(key - bucket.keys.begin());
    if (key == bucket.keys.end()) bucket.keys.push_back(match.key);
    test.literal = glob.find_first_of("*?[\\$") == std::string::npos;
  }
  bucket.tests.push_back(std::move(test));
  bucket.shared.push_back(0);
  return it->second;
}

ExprIndex::Result ExprIndex::Run(const Bucket& bucket, uint32_t t, const Event& event) {
  Result& result = results_[t];
  if (result != kUnknown) return result;
  static const Env kNoVars;
  const Test& test = bucket.tests[t];
  const std::string* value = nullptr;
  if (test.positional) {
    if (test.position < event.env.size()) value = &event.env[test.position].second;
  } else {
    value = values_[test.slot];
  }
  result = value == nullptr ? kMissing : test.glob.Matches(*value, kNoVars) ? kMatch : kNoMatch;
  return result;
}

bool ExprIndex::Check(const Bucket& bucket, const LeafRef& leaf, const Event& event) {
  for (uint32_t t = leaf.first_term; t < leaf.first_term + leaf.terms; ++t) {
    const Term& term = bucket.terms[t];
    Result result = Run(bucket, term.test, event);
    if (result == kMissing || (result == kMatch) == term.negate) return false;
  }
  return true;
}

void ExprIndex::Place(Bucket& bucket, uint32_t i) {
  const LeafRef& leaf = bucket.leaves[i];
  int best = -1;
  for (uint32_t t = leaf.first_term; t < leaf.first_term + leaf.terms; ++t) {
    const Term& term = bucket.terms[t];
    if (term.negate) continue;
    if (best < 0 || bucket.shared[term.test] < bucket.shared[best]) {
      best = static_cast<int>(term.test);
    }
  }
  if (best < 0) {
    bucket.unguarded.push_back(2 * i);
    return;
  }
  bucket.guard_of.resize(bucket.tests.size(), -1);
  if (bucket.guard_of[best] < 0) {
    const uint32_t g = static_cast<uint32_t>(bucket.guards.size());
    bucket.guard_of[best] = static_cast<int32_t>(g);
    bucket.guards.push_back({static_cast<uint32_t>(best), {}});
    const Test& test = bucket.tests[best];
    if (test.literal) {
      if (bucket.literal.size() <= test.slot) bucket.literal.resize(test.slot + 1);
      bucket.literal[test.slot].emplace(test.glob.glob(), g);
    } else {
      bucket.scanned.push_back(g);
    }
  }
  bucket.guards[bucket.guard_of[best]].leaves.push_back(2 * i + (leaf.terms == 1 ? 1 : 0));
}

void ExprIndex::Group(Bucket& bucket, const std::vector<Entry>& states) {
  auto live = [&](const LeafRef& leaf) { return states[leaf.state].gen == leaf.gen; };
  bucket.shared.assign(bucket.tests.size(), 0);
  for (const LeafRef& leaf : bucket.leaves) {
    if (!live(leaf)) continue;
    for (uint32_t t = leaf.first_term; t < leaf.first_term + leaf.terms; ++t) {
      if (!bucket.terms[t].negate) bucket.shared[bucket.terms[t].test]++;
    }
  }
  bucket.guards.clear();
  bucket.guard_of.assign(bucket.tests.size(), -1);
  bucket.scanned.clear();
  bucket.literal.clear();
  bucket.unguarded.clear();
  for (uint32_t i = 0; i < bucket.leaves.size(); ++i) {
    if (live(bucket.leaves[i])) Place(bucket, i);
  }
  bucket.grouped = true;
}

void ExprIndex::Offer(const Event& event, absl::FunctionRef<void(size_t id)> matched) {
  Offer(event, [](size_t) { return true; }, matched);
}

void ExprIndex::Offer(const Event& event, absl::FunctionRef<bool(size_t id)> accept,
                      absl::FunctionRef<void(size_t id)> matched) {
  auto found = buckets_.find(event.name);
  if (found == buckets_.end()) return;
  if (!found->second.grouped) Group(found->second, states_);
  const Bucket& bucket = found->second;
  // Each key read once: the first entry of the key, as Event::Get.
  values_.assign(bucket.keys.size(), nullptr);
  for (size_t k = 0; k < bucket.keys.size(); ++k) {
    for (const auto& [key, value] : event.env) {
      if (key == bucket.keys[k]) {
        values_[k] = &value;
        break;
      }
    }
  }
  results_.assign(bucket.tests.size(), kUnknown);
  // The leaves that may match: those whose guard test holds, and those
  // without a guard; in bucket order.
  candidates_ = bucket.unguarded;
  int sources = candidates_.empty() ? 0 : 1;
  for (uint32_t g : bucket.scanned) {
    const Guard& guard = bucket.guards[g];
    if (Run(bucket, guard.test, event) != kMatch) continue;
    candidates_.insert(candidates_.end(), guard.leaves.begin(), guard.leaves.end());
    ++sources;
  }
  for (size_t slot = 0; slot < bucket.literal.size(); ++slot) {
    if (bucket.literal[slot].empty() || values_[slot] == nullptr) continue;
    auto it = bucket.literal[slot].find(*values_[slot]);
    if (it == bucket.literal[slot].end()) continue;
    const Guard& guard = bucket.guards[it->second];
    results_[guard.test] = kMatch;  // the value is the literal
    candidates_.insert(candidates_.end(), guard.leaves.begin(), guard.leaves.end());
    ++sources;
  }
  if (sources > 1) std::sort(candidates_.begin(), candidates_.end());
  // A state's live leaves are next to each other in the bucket, so in
  // candidates_; a removed state's leaves (another generation, maybe the
  // same id) are skipped.
  const std::vector<LeafRef>& leaves = bucket.leaves;
  for (size_t c = 0; c < candidates_.size();) {
    const uint32_t id = leaves[candidates_[c] / 2].state;
    ExprState* state = states_[id].state;
    const uint32_t gen = states_[id].gen;
    matched_.clear();
    for (; c < candidates_.size() && leaves[candidates_[c] / 2].state == id; ++c) {
      const LeafRef& leaf = leaves[candidates_[c] / 2];
      if (leaf.gen != gen) continue;  // removed
      if (*leaf.value) continue;      // matched already
      bool ok = (candidates_[c] & 1) != 0 ? true
                : leaf.uses_vars          ? state->LeafMatches(leaf.leaf, event, *states_[id].vars)
                                          : Check(bucket, leaf, event);
      if (ok) matched_.push_back(leaf.leaf);
    }
    if (matched_.empty() || !accept(id)) continue;
    state->Matched(matched_, event, /*borrow=*/true);
    matched(id);
  }
}

}  // namespace baton::supervisor
