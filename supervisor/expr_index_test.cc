#include "supervisor/expr_index.h"

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

using jobs::EventExpr;
using jobs::EventMatch;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::unique_ptr<EventExpr> Leaf(std::string name, std::vector<EventMatch> matches = {}) {
  auto e = std::make_unique<EventExpr>();
  e->event = std::move(name);
  e->matches = std::move(matches);
  return e;
}

std::unique_ptr<EventExpr> Op(EventExpr::Kind kind, std::unique_ptr<EventExpr> l,
                              std::unique_ptr<EventExpr> r) {
  auto e = std::make_unique<EventExpr>();
  e->kind = kind;
  e->left = std::move(l);
  e->right = std::move(r);
  return e;
}

Event Ev(std::string name, Env env, uint64_t seq) {
  Event e;
  e.name = std::move(name);
  e.env = std::move(env);
  e.seq = seq;
  return e;
}

std::vector<size_t> Offer(ExprIndex& index, const Event& e) {
  std::vector<size_t> ids;
  index.Offer(e, [&](size_t id) { ids.push_back(id); });
  return ids;
}

TEST(ExprIndexTest, SharedTestsAndOrder) {
  // Three jobs on the same event with one test in common.
  std::vector<std::unique_ptr<EventExpr>> exprs;
  exprs.push_back(Leaf("added", {{"TYPE", "ext4", false}, {"DEV", "/dev/a*", false}}));
  exprs.push_back(Leaf("added", {{"TYPE", "ext4", false}, {"DEV", "/dev/b*", false}}));
  exprs.push_back(Op(EventExpr::Kind::kAnd, Leaf("added", {{"TYPE", "ext4", true}}),
                     Leaf("other", {{"", "x?", false}})));
  Env no_vars;
  std::vector<std::unique_ptr<ExprState>> states;
  ExprIndex index;
  for (const auto& e : exprs) {
    states.push_back(std::make_unique<ExprState>(e.get()));
    EXPECT_EQ(index.Add(*states.back(), no_vars), states.size() - 1);
  }
  Event a = Ev("added", {{"DEV", "/dev/a1"}, {"TYPE", "ext4"}}, 1);
  EXPECT_THAT(Offer(index, a), ElementsAre(0));
  EXPECT_TRUE(states[0]->value());
  states[0]->Reset();
  Event b = Ev("added", {{"DEV", "/dev/b1"}, {"TYPE", "xfs"}}, 2);
  EXPECT_THAT(Offer(index, b), ElementsAre(2));
  EXPECT_FALSE(states[2]->value());
  // Kept past the event: a copy.
  b = Event();
  Event o = Ev("other", {{"A", "xy"}}, 3);
  EXPECT_THAT(Offer(index, o), ElementsAre(2));
  ASSERT_TRUE(states[2]->value());
  EXPECT_EQ(
      states[2]->Environment(),
      (Env{{"DEV", "/dev/b1"}, {"TYPE", "xfs"}, {"A", "xy"}, {"BATON_EVENTS", "added other"}}));
  EXPECT_THAT(Offer(index, Ev("unknown", {}, 4)), IsEmpty());
  index.Clear();
  EXPECT_THAT(Offer(index, a), IsEmpty());
}

// Random expressions and events: the index gives what HandleBorrowed on each
// state gives.
TEST(ExprIndexTest, SameAsHandleBorrowedOnEachState) {
  const char* const names[] = {"a", "b", "c"};
  const char* const keys[] = {"K", "L", "M"};
  const char* const globs[] = {"x", "y", "x*", "*", "?", "[xy]", "$K", "${L}y", "", "\\x"};
  const char* const values[] = {"x", "y", "xy", "", "yy", "x*"};
  std::mt19937 rng(7);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::function<std::unique_ptr<EventExpr>(int)> gen = [&](int depth) {
    if (depth > 0 && pick(2) == 0) {
      return Op(pick(2) ? EventExpr::Kind::kAnd : EventExpr::Kind::kOr, gen(depth - 1),
                gen(depth - 1));
    }
    std::vector<EventMatch> matches;
    for (int i = pick(3); i > 0; --i) {
      EventMatch m;
      if (pick(4) != 0) m.key = keys[pick(3)];
      m.glob = globs[pick(10)];
      m.negate = !m.key.empty() && pick(5) == 0;
      matches.push_back(std::move(m));
    }
    return Leaf(names[pick(3)], std::move(matches));
  };
  for (int round = 0; round < 50; ++round) {
    std::vector<std::unique_ptr<EventExpr>> exprs;
    std::vector<Env> vars;
    const int n = 1 + pick(30);
    for (int i = 0; i < n; ++i) {
      exprs.push_back(gen(3));
      Env v;
      for (int k = pick(3); k > 0; --k) v.emplace_back(keys[pick(3)], values[pick(6)]);
      vars.push_back(std::move(v));
    }
    std::vector<std::unique_ptr<ExprState>> indexed, direct;
    ExprIndex index;
    for (int i = 0; i < n; ++i) {
      indexed.push_back(std::make_unique<ExprState>(exprs[i].get()));
      direct.push_back(std::make_unique<ExprState>(exprs[i].get()));
      index.Add(*indexed.back(), vars[i]);
    }
    for (uint64_t seq = 1; seq <= 200; ++seq) {
      Env env;
      for (int k = pick(4); k > 0; --k) env.emplace_back(keys[pick(3)], values[pick(6)]);
      Event e = Ev(names[pick(3)], env, seq);
      std::vector<size_t> want;
      for (int i = 0; i < n; ++i) {
        if (direct[i]->HandleBorrowed(e, vars[i])) want.push_back(i);
      }
      ASSERT_EQ(Offer(index, e), want) << "round " << round << " seq " << seq;
      for (int i = 0; i < n; ++i) {
        ASSERT_EQ(indexed[i]->value(), direct[i]->value()) << round << " " << i;
        ASSERT_EQ(indexed[i]->Environment(), direct[i]->Environment()) << round << " " << i;
        for (size_t l = 0; l < direct[i]->leaf_count(); ++l) {
          ASSERT_EQ(indexed[i]->leaf_value(l), direct[i]->leaf_value(l));
        }
        // As the engine does: a true state is reset before the event goes.
        if (direct[i]->value()) {
          direct[i]->Reset();
          indexed[i]->Reset();
        }
      }
    }
  }
}

// States removed (their expressions freed: Remove must not read them) and
// added again under reused ids, enough to rebuild the buckets; an ACCEPT
// that refuses some states; vars whose values hold `$`. The index gives what
// HandleBorrowed gives on each live state it accepts.
TEST(ExprIndexTest, RemoveAndAcceptSameAsHandleBorrowedOnEachState) {
  const char* const names[] = {"a", "b"};
  const char* const keys[] = {"K", "L", "M"};
  const char* const globs[] = {"x", "y*", "$K", "${L}y", "[xy]", "", "$K$L", "z$"};
  const char* const values[] = {"x", "y", "xy", "", "yy", "$L", "a$", "y*"};
  std::mt19937 rng(11);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::function<std::unique_ptr<EventExpr>(int)> gen = [&](int depth) {
    if (depth > 0 && pick(2) == 0) {
      return Op(pick(2) ? EventExpr::Kind::kAnd : EventExpr::Kind::kOr, gen(depth - 1),
                gen(depth - 1));
    }
    std::vector<EventMatch> matches;
    for (int i = pick(3); i > 0; --i) {
      EventMatch m;
      if (pick(4) != 0) m.key = keys[pick(3)];
      m.glob = globs[pick(8)];
      m.negate = !m.key.empty() && pick(5) == 0;
      matches.push_back(std::move(m));
    }
    return Leaf(names[pick(2)], std::move(matches));
  };
  struct Slot {
    std::unique_ptr<EventExpr> expr;
    std::unique_ptr<Env> vars;
    std::unique_ptr<ExprState> indexed, direct;
  };
  size_t removed = 0, refused = 0, reused = 0;
  for (int round = 0; round < 20; ++round) {
    ExprIndex index;
    std::map<size_t, Slot> live;  // by id
    std::set<size_t> ever;
    auto add = [&] {
      Slot slot;
      slot.expr = gen(2);
      slot.vars = std::make_unique<Env>();
      for (int k = pick(3); k > 0; --k) slot.vars->emplace_back(keys[pick(3)], values[pick(8)]);
      slot.indexed = std::make_unique<ExprState>(slot.expr.get());
      slot.direct = std::make_unique<ExprState>(slot.expr.get());
      size_t id = index.Add(*slot.indexed, *slot.vars);
      ASSERT_EQ(live.count(id), 0u);
      if (!ever.insert(id).second) ++reused;
      live.emplace(id, std::move(slot));
    };
    for (int i = 0; i < 40; ++i) add();
    for (uint64_t seq = 1; seq <= 400; ++seq) {
      if (pick(4) == 0 && !live.empty()) {
        auto it = std::next(live.begin(), pick(static_cast<int>(live.size())));
        index.Remove(it->first);
        live.erase(it);  // the expression and the states are freed
        ++removed;
      }
      if (pick(4) == 0) add();
      ASSERT_EQ(index.size(), live.size());
      Env env;
      for (int k = pick(4); k > 0; --k) env.emplace_back(keys[pick(3)], values[pick(8)]);
      Event e = Ev(names[pick(2)], env, seq);
      std::set<size_t> refuse;
      for (const auto& [id, slot] : live) {
        if (pick(5) == 0) refuse.insert(id);
      }
      std::set<size_t> want;
      for (auto& [id, slot] : live) {
        if (refuse.count(id) > 0) continue;
        if (slot.direct->HandleBorrowed(e, *slot.vars)) want.insert(id);
      }
      std::set<size_t> got;
      index.Offer(
          e,
          [&](size_t id) {
            EXPECT_EQ(live.count(id), 1u) << "offered a removed state " << id;
            if (refuse.count(id) == 0) return true;
            ++refused;
            return false;
          },
          [&](size_t id) { EXPECT_TRUE(got.insert(id).second) << id; });
      ASSERT_EQ(got, want) << "round " << round << " seq " << seq;
      for (auto& [id, slot] : live) {
        ASSERT_EQ(slot.indexed->value(), slot.direct->value()) << round << " " << id;
        ASSERT_EQ(slot.indexed->Environment(), slot.direct->Environment()) << round << " " << id;
        if (slot.direct->value()) {
          slot.direct->Reset();
          slot.indexed->Reset();
        }
      }
    }
  }
  // The paths were taken: removals past the rebuild threshold, refusals,
  // ids given again.
  EXPECT_GT(removed, 1000u);
  EXPECT_GT(refused, 100u);
  EXPECT_GT(reused, 1000u);
}

// `$VAR`s are expanded when a state is added, so literal tests of many
// states are one hash lookup: only the state whose value matches is taken.
TEST(ExprIndexTest, ExpandedVarsAreLiteralTests) {
  auto expr = Leaf("removed", {{"DEVNAME", "/dev/$DEV", false}});
  std::vector<Env> vars;
  for (int i = 0; i < 100; ++i) vars.push_back({{"DEV", absl::StrCat("sd", i)}});
  std::vector<std::unique_ptr<ExprState>> states;
  ExprIndex index;
  for (int i = 0; i < 100; ++i) {
    states.push_back(std::make_unique<ExprState>(expr.get()));
    index.Add(*states.back(), vars[i]);
  }
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/sd42"}}, 1)), ElementsAre(42));
  EXPECT_TRUE(states[42]->value());
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/sd420"}}, 2)), IsEmpty());
  EXPECT_THAT(Offer(index, Ev("removed", {{"OTHER", "/dev/sd1"}}, 3)), IsEmpty());
  // A removed state is not offered the event any more; the others are.
  index.Remove(7);
  states[7].reset();
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/sd7"}}, 4)), IsEmpty());
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/sd8"}}, 5)), ElementsAre(8));
  // The id is given again, to a state with other vars.
  Env other = {{"DEV", "vda"}};
  ExprState again(expr.get());
  EXPECT_EQ(index.Add(again, other), 7u);
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/sd7"}}, 6)), IsEmpty());
  EXPECT_THAT(Offer(index, Ev("removed", {{"DEVNAME", "/dev/vda"}}, 7)), ElementsAre(7));
  EXPECT_TRUE(again.value());
}

}  // namespace
}  // namespace baton::supervisor
