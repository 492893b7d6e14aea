#include "supervisor/expr_state.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

using jobs::EventExpr;
using jobs::EventMatch;
using ::testing::ElementsAre;
using ::testing::Pair;

std::unique_ptr<EventExpr> Leaf(std::string name, std::vector<EventMatch> matches = {}) {
  auto e = std::make_unique<EventExpr>();
  e->kind = EventExpr::Kind::kEvent;
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
std::unique_ptr<EventExpr> And(std::unique_ptr<EventExpr> l, std::unique_ptr<EventExpr> r) {
  return Op(EventExpr::Kind::kAnd, std::move(l), std::move(r));
}
std::unique_ptr<EventExpr> Or(std::unique_ptr<EventExpr> l, std::unique_ptr<EventExpr> r) {
  return Op(EventExpr::Kind::kOr, std::move(l), std::move(r));
}

EventMatch Eq(std::string k, std::string g) { return {std::move(k), std::move(g), false}; }
EventMatch Ne(std::string k, std::string g) { return {std::move(k), std::move(g), true}; }
EventMatch Pos(std::string g) { return {"", std::move(g), false}; }

Event Ev(std::string name, Env env = {}, uint64_t seq = 0) {
  Event e;
  e.name = std::move(name);
  e.env = std::move(env);
  e.seq = seq;
  return e;
}

TEST(ExpandVarsTest, Table) {
  Env env = {{"A", "1"}, {"DEVNAME", "/dev/sda"}, {"A", "2"}};
  struct Case {
    std::string in, want;
  } cases[] = {
      {"plain", "plain"},
      {"$DEVNAME", "/dev/sda"},
      {"${DEVNAME}1", "/dev/sda1"},
      {"x$A-y", "x2-y"},  // the last binding wins
      {"$MISSING", ""},
      {"$", "$"},
      {"a$1", "a$1"},
      {"${", "${"},
      {"cost $$", "cost $$"},
  };
  for (const Case& c : cases) EXPECT_EQ(ExpandVars(c.in, env), c.want) << c.in;
}

TEST(LeafMatchesTest, Table) {
  Event added = Ev("block-device-added", {{"DEVNAME", "/dev/sdb1"}, {"ID_FS_TYPE", "crypto_LUKS"}});
  Env vars = {{"DEVNAME", "/dev/sdb1"}, {"OTHER", "/dev/sdc"}};
  struct Case {
    std::string name;
    std::unique_ptr<EventExpr> leaf;
    bool want;
  };
  std::vector<Case> cases;
  cases.push_back({"name only", Leaf("block-device-added"), true});
  cases.push_back({"other name", Leaf("block-device-removed"), false});
  cases.push_back({"key equal", Leaf("block-device-added", {Eq("ID_FS_TYPE", "crypto_LUKS")}), true});
  cases.push_back({"key glob", Leaf("block-device-added", {Eq("DEVNAME", "/dev/sd*")}), true});
  cases.push_back({"key glob class", Leaf("block-device-added", {Eq("DEVNAME", "/dev/sd[ab]1")}), true});
  cases.push_back({"key differs", Leaf("block-device-added", {Eq("ID_FS_TYPE", "ext4")}), false});
  cases.push_back({"key missing", Leaf("block-device-added", {Eq("MD_UUID", "*")}), false});
  cases.push_back({"negated true", Leaf("block-device-added", {Ne("ID_FS_TYPE", "ext*")}), true});
  cases.push_back({"negated false", Leaf("block-device-added", {Ne("ID_FS_TYPE", "crypto_*")}), false});
  cases.push_back({"negated missing", Leaf("block-device-added", {Ne("MD_UUID", "x")}), false});
  cases.push_back({"all must hold", Leaf("block-device-added", {Eq("DEVNAME", "/dev/sd*"), Eq("ID_FS_TYPE", "ext4")}), false});
  cases.push_back({"positional", Leaf("block-device-added", {Pos("/dev/sdb*"), Pos("crypto_LUKS")}), true});
  cases.push_back({"positional order", Leaf("block-device-added", {Pos("crypto_LUKS")}), false});
  cases.push_back({"positional too many", Leaf("block-device-added", {Pos("*"), Pos("*"), Pos("*")}), false});
  cases.push_back({"var expanded", Leaf("block-device-added", {Eq("DEVNAME", "$DEVNAME")}), true});
  cases.push_back({"var other value", Leaf("block-device-added", {Eq("DEVNAME", "$OTHER")}), false});
  cases.push_back({"var in glob", Leaf("block-device-added", {Eq("DEVNAME", "${DEVNAME}*")}), true});
  for (const Case& c : cases) {
    EXPECT_EQ(LeafMatches(*c.leaf, added, vars), c.want) << c.name;
  }
}

TEST(ExprStateTest, NullNeverTrue) {
  ExprState s(nullptr);
  EXPECT_FALSE(s.Handle(Ev("a")));
  EXPECT_FALSE(s.value());
  EXPECT_TRUE(s.Environment().empty());
}

TEST(ExprStateTest, AndNeedsBothInAnyOrder) {
  auto expr = And(Leaf("a"), Leaf("b"));
  for (bool a_first : {true, false}) {
    ExprState s(expr.get());
    EXPECT_TRUE(s.Handle(Ev(a_first ? "a" : "b", {}, 1)));
    EXPECT_FALSE(s.value());
    EXPECT_FALSE(s.Handle(Ev("c", {}, 2)));
    EXPECT_FALSE(s.value());
    EXPECT_TRUE(s.Handle(Ev(a_first ? "b" : "a", {}, 3)));
    EXPECT_TRUE(s.value());
  }
}

TEST(ExprStateTest, OrEitherSide) {
  auto expr = Or(Leaf("a"), Leaf("b"));
  for (const char* name : {"a", "b"}) {
    ExprState s(expr.get());
    s.Handle(Ev(name, {}, 1));
    EXPECT_TRUE(s.value()) << name;
    EXPECT_THAT(s.Environment(), ElementsAre(Pair("BATON_EVENTS", name)));
  }
}

TEST(ExprStateTest, ResetForgetsMatches) {
  auto expr = And(Leaf("a"), Leaf("b"));
  ExprState s(expr.get());
  s.Handle(Ev("a", {}, 1));
  s.Reset();
  s.Handle(Ev("b", {}, 2));
  EXPECT_FALSE(s.value());
  s.Handle(Ev("a", {}, 3));
  EXPECT_TRUE(s.value());
}

TEST(ExprStateTest, MatchedLeafKeepsFirstEvent) {
  auto expr = And(Leaf("a"), Leaf("b"));
  ExprState s(expr.get());
  s.Handle(Ev("a", {{"N", "1"}}, 1));
  EXPECT_FALSE(s.Handle(Ev("a", {{"N", "2"}}, 2)));
  s.Handle(Ev("b", {}, 3));
  EXPECT_THAT(s.Environment(), ElementsAre(Pair("N", "1"), Pair("BATON_EVENTS", "a b")));
}

TEST(ExprStateTest, EnvironmentLaterEventOverridesInEventOrder) {
  // b arrives first although it is the right-hand side.
  auto expr = And(Leaf("a"), Leaf("b"));
  ExprState s(expr.get());
  s.Handle(Ev("b", {{"K", "from-b"}, {"B", "1"}}, 5));
  s.Handle(Ev("a", {{"K", "from-a"}, {"A", "1"}}, 9));
  EXPECT_THAT(s.Environment(), ElementsAre(Pair("K", "from-a"), Pair("B", "1"), Pair("A", "1"),
                                           Pair("BATON_EVENTS", "b a")));
}

TEST(ExprStateTest, FalseBranchDoesNotContribute) {
  // (a and b) or c: a alone matched, then c makes it true; a's env is left out.
  auto expr = Or(And(Leaf("a"), Leaf("b")), Leaf("c"));
  ExprState s(expr.get());
  s.Handle(Ev("a", {{"FROM_A", "1"}}, 1));
  EXPECT_FALSE(s.value());
  s.Handle(Ev("c", {{"FROM_C", "1"}}, 2));
  EXPECT_TRUE(s.value());
  EXPECT_THAT(s.Environment(), ElementsAre(Pair("FROM_C", "1"), Pair("BATON_EVENTS", "c")));
}

TEST(ExprStateTest, NestedAndOr) {
  // a and (b or c)
  auto expr = And(Leaf("a"), Or(Leaf("b"), Leaf("c", {Eq("X", "y*")})));
  ExprState s(expr.get());
  s.Handle(Ev("c", {{"X", "no"}}, 1));
  s.Handle(Ev("a", {}, 2));
  EXPECT_FALSE(s.value());
  s.Handle(Ev("c", {{"X", "yes"}}, 3));
  EXPECT_TRUE(s.value());
}

TEST(ExprStateTest, VarsExpandedPerCall) {
  auto expr = Leaf("stopped-device", {Eq("DEVNAME", "$DEVNAME")});
  ExprState s(expr.get());
  Event e = Ev("stopped-device", {{"DEVNAME", "/dev/sda"}}, 1);
  EXPECT_FALSE(s.Handle(e, {{"DEVNAME", "/dev/sdb"}}));
  EXPECT_TRUE(s.Handle(e, {{"DEVNAME", "/dev/sda"}}));
  EXPECT_TRUE(s.value());
}

TEST(EnvTest, SetAndMerge) {
  Env env = {{"A", "1"}, {"B", "2"}};
  MergeEnv(env, {{"B", "3"}, {"C", "4"}});
  EXPECT_THAT(env, ElementsAre(Pair("A", "1"), Pair("B", "3"), Pair("C", "4")));
}

}  // namespace
}  // namespace baton::supervisor
