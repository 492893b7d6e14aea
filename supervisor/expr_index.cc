#include "supervisor/expr_index.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace baton::supervisor {

size_t ExprIndex::Add(ExprState& state, const Env& vars) {
  const uint32_t id = static_cast<uint32_t>(states_.size());
  states_.push_back({&state, &vars});
  for (size_t i = 0; i < state.leaf_count(); ++i) {
    const jobs::EventExpr& leaf = state.leaf_expr(i);
    Bucket& bucket = buckets_[leaf.event];
    LeafRef ref;
    ref.state = id;
    ref.leaf = static_cast<uint32_t>(i);
    ref.value = state.leaf_value_address(i);
    ref.first_term = static_cast<uint32_t>(bucket.terms.size());
    size_t position = 0;
    for (const jobs::EventMatch& m : leaf.matches) {
      if (GlobTest(m.glob).uses_vars()) ref.uses_vars = true;
      bucket.terms.push_back({TestId(bucket, m, m.key.empty() ? position++ : 0), m.negate});
    }
    if (ref.uses_vars) bucket.terms.resize(ref.first_term);
    ref.terms = static_cast<uint32_t>(bucket.terms.size()) - ref.first_term;
    bucket.leaves.push_back(ref);
    bucket.grouped = false;
  }
  return id;
}

void ExprIndex::Clear() {
  states_.clear();
  buckets_.clear();
}

uint32_t ExprIndex::TestId(Bucket& bucket, const jobs::EventMatch& match, size_t position) {
  std::string id = match.key.empty() ? absl::StrCat("#", position, "=", match.glob)
                                     : absl::StrCat(match.key, "=", match.glob);
  auto [it, inserted] = bucket.test_ids.try_emplace(std::move(id), bucket.tests.size());
  if (!inserted) return it->second;
  Test test{match.key.empty(), position, 0, GlobTest(match.glob)};
  if (!test.positional) {
    auto key = std::find(bucket.keys.begin(), bucket.keys.end(), match.key);
    test.slot = static_cast<size_t>(key - bucket.keys.begin());
    if (key == bucket.keys.end()) bucket.keys.push_back(match.key);
  }
  bucket.tests.push_back(std::move(test));
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

void ExprIndex::Group(Bucket& bucket) {
  std::vector<uint32_t> shared(bucket.tests.size(), 0);  // leaves per test
  for (const Term& term : bucket.terms) {
    if (!term.negate) shared[term.test]++;
  }
  std::vector<int> guard_of(bucket.tests.size(), -1);
  bucket.guards.clear();
  bucket.unguarded.clear();
  for (uint32_t i = 0; i < bucket.leaves.size(); ++i) {
    const LeafRef& leaf = bucket.leaves[i];
    int best = -1;
    for (uint32_t t = leaf.first_term; t < leaf.first_term + leaf.terms; ++t) {
      const Term& term = bucket.terms[t];
      if (term.negate) continue;
      if (best < 0 || shared[term.test] < shared[best]) best = static_cast<int>(term.test);
    }
    if (best < 0) {
      bucket.unguarded.push_back(2 * i);
      continue;
    }
    if (guard_of[best] < 0) {
      guard_of[best] = static_cast<int>(bucket.guards.size());
      bucket.guards.push_back({static_cast<uint32_t>(best), {}});
    }
    bucket.guards[guard_of[best]].leaves.push_back(2 * i + (leaf.terms == 1 ? 1 : 0));
  }
  bucket.grouped = true;
}

void ExprIndex::Offer(const Event& event, absl::FunctionRef<void(size_t id)> matched) {
  auto found = buckets_.find(event.name);
  if (found == buckets_.end()) return;
  if (!found->second.grouped) Group(found->second);
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
  // without a guard; in bucket order (state ids ascending).
  candidates_ = bucket.unguarded;
  int sources = candidates_.empty() ? 0 : 1;
  for (const Guard& guard : bucket.guards) {
    if (Run(bucket, guard.test, event) != kMatch) continue;
    candidates_.insert(candidates_.end(), guard.leaves.begin(), guard.leaves.end());
    ++sources;
  }
  if (sources > 1) std::sort(candidates_.begin(), candidates_.end());
  const std::vector<LeafRef>& leaves = bucket.leaves;
  for (size_t c = 0; c < candidates_.size();) {
    const uint32_t id = leaves[candidates_[c] / 2].state;
    ExprState& state = *states_[id].state;
    matched_.clear();
    for (; c < candidates_.size() && leaves[candidates_[c] / 2].state == id; ++c) {
      const LeafRef& leaf = leaves[candidates_[c] / 2];
      if (*leaf.value) continue;  // matched already
      bool ok = (candidates_[c] & 1) != 0 ? true
                : leaf.uses_vars          ? state.LeafMatches(leaf.leaf, event, *states_[id].vars)
                                          : Check(bucket, leaf, event);
      if (ok) matched_.push_back(leaf.leaf);
    }
    if (matched_.empty()) continue;
    state.Matched(matched_, event, /*borrow=*/true);
    matched(id);
  }
}

}  // namespace baton::supervisor
