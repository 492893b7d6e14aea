#include "jobs/expr.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace baton::jobs {
namespace {

std::unique_ptr<EventExpr> Parse(absl::string_view text) {
  auto e = ParseEventExprText(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  return e.ok() ? *std::move(e) : nullptr;
}

std::string Canon(absl::string_view text) {
  auto e = Parse(text);
  return e ? FormatEventExpr(*e) : "<error>";
}

// The error for TEXT as "LINE:COL: message".
std::string Err(absl::string_view text) {
  ExprError err;
  auto e = ParseEventExprText(text, &err);
  EXPECT_FALSE(e.ok()) << text;
  if (e.ok()) return "<ok>";
  EXPECT_EQ(std::string(e.status().message()),
            absl::StrCat(err.pos.line, ":", err.pos.col, ": ", err.message));
  return std::string(e.status().message());
}

TEST(ParseEventExprTest, SingleEventWithMatches) {
  auto e = Parse(
      "block-device-added ID_FS_TYPE=crypto_LUKS DEVNAME!=/dev/sr* "
      "pos1 \"a b\"");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EventExpr::Kind::kEvent);
  EXPECT_EQ(e->event, "block-device-added");
  EXPECT_EQ(e->pos.col, 1);
  ASSERT_EQ(e->matches.size(), 4u);
  EXPECT_EQ(e->matches[0].key, "ID_FS_TYPE");
  EXPECT_EQ(e->matches[0].glob, "crypto_LUKS");
  EXPECT_FALSE(e->matches[0].negate);
  EXPECT_EQ(e->matches[1].key, "DEVNAME");
  EXPECT_EQ(e->matches[1].glob, "/dev/sr*");
  EXPECT_TRUE(e->matches[1].negate);
  EXPECT_EQ(e->matches[2].key, "");
  EXPECT_EQ(e->matches[2].glob, "pos1");
  EXPECT_EQ(e->matches[3].key, "");
  EXPECT_EQ(e->matches[3].glob, "a b");
}

TEST(ParseEventExprTest, QuotedValues) {
  auto e = Parse(R"(ev LABEL="my disk" X='a"b' Y="q\"z" "K=V" "and")");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->matches.size(), 5u);
  EXPECT_EQ(e->matches[0].glob, "my disk");
  EXPECT_EQ(e->matches[1].glob, "a\"b");
  EXPECT_EQ(e->matches[2].glob, "q\"z");
  EXPECT_EQ(e->matches[3].key, "");  // quoted whole: positional
  EXPECT_EQ(e->matches[3].glob, "K=V");
  EXPECT_EQ(e->matches[4].glob, "and");  // quoted keyword is a value
}

TEST(ParseEventExprTest, EmptyValueAndBracketGlob) {
  auto e = Parse("runlevel [!016] K=");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->matches.size(), 2u);
  EXPECT_EQ(e->matches[0].glob, "[!016]");
  EXPECT_EQ(e->matches[1].key, "K");
  EXPECT_EQ(e->matches[1].glob, "");
}

TEST(ParseEventExprTest, AndBindsTighterThanOr) {
  auto e = Parse("a or b and c");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->kind, EventExpr::Kind::kOr);
  EXPECT_EQ(e->left->event, "a");
  ASSERT_EQ(e->right->kind, EventExpr::Kind::kAnd);
  EXPECT_EQ(e->right->left->event, "b");
  EXPECT_EQ(e->right->right->event, "c");
  EXPECT_EQ(e->pos.col, 3);  // the operator

  e = Parse("a and b or c");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->kind, EventExpr::Kind::kOr);
  EXPECT_EQ(e->left->kind, EventExpr::Kind::kAnd);
  EXPECT_EQ(e->right->event, "c");
}

TEST(ParseEventExprTest, LeftAssociative) {
  auto e = Parse("a or b or c");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->kind, EventExpr::Kind::kOr);
  EXPECT_EQ(e->left->kind, EventExpr::Kind::kOr);
  EXPECT_EQ(e->right->event, "c");
}

TEST(ParseEventExprTest, ParenthesesGroup) {
  auto e = Parse("(a or b) and c");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->kind, EventExpr::Kind::kAnd);
  EXPECT_EQ(e->left->kind, EventExpr::Kind::kOr);
  EXPECT_EQ(e->right->event, "c");
}

TEST(ParseEventExprTest, ParenthesesEndMatches) {
  auto e = Parse("x and (y K=v)");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->right->matches.size(), 1u);
  EXPECT_EQ(e->right->matches[0].glob, "v");
}

TEST(ParseEventExprTest, SpansLinesInsideParentheses) {
  auto e = Parse("stopping udev or (\n  runlevel [016]\n  and foo\n)");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->kind, EventExpr::Kind::kOr);
  const EventExpr& r = *e->right;
  ASSERT_EQ(r.kind, EventExpr::Kind::kAnd);
  EXPECT_EQ(r.pos.line, 3);
  EXPECT_EQ(r.pos.col, 3);
  EXPECT_EQ(r.left->pos.line, 2);
  EXPECT_EQ(r.right->event, "foo");
}

TEST(FormatEventExprTest, Canonical) {
  EXPECT_EQ(Canon("  a   K=v  or b"), "a K=v or b");
  EXPECT_EQ(Canon("a and (b or c)"), "a and (b or c)");
  EXPECT_EQ(Canon("(a and b) or c"), "a and b or c");
  EXPECT_EQ(Canon("((a))"), "a");
  EXPECT_EQ(Canon("(a or b) and (c or d)"), "(a or b) and (c or d)");
  EXPECT_EQ(Canon(R"(e L="x y" "K=V" N!=z "")"), R"(e L="x y" "K=V" N!=z "")");
}

TEST(FormatEventExprTest, RoundTrips) {
  for (const char* text :
       {"a", "a or b and c", "a and (b or c) and d K!=\"1 2\"",
        "e \"and\" \"(\" X=\"q\\\"\"", "runlevel [!016] or stopping udev"}) {
    const std::string once = Canon(text);
    EXPECT_EQ(Canon(once), once) << text;
  }
}

TEST(ParseEventExprErrorTest, MissingEventAfterOperator) {
  EXPECT_EQ(Err("a and"), "1:6: expected event name after 'and'");
  EXPECT_EQ(Err("a or  "), "1:5: expected event name after 'or'");
  EXPECT_EQ(Err("a and or b"),
            "1:7: expected event name after 'and', got 'or'");
  EXPECT_EQ(Err("a and )"), "1:7: expected event name after 'and', got ')'");
}

TEST(ParseEventExprErrorTest, Empty) {
  EXPECT_EQ(Err(""), "1:1: expected event name");
  EXPECT_EQ(Err("  # comment only"), "1:1: expected event name");
}

TEST(ParseEventExprErrorTest, UnbalancedParentheses) {
  EXPECT_EQ(Err("a or b)"), "1:7: unbalanced ')'");
  EXPECT_EQ(Err(")"), "1:1: unbalanced ')'");
  EXPECT_EQ(Err("a or (b and c"), "1:6: unbalanced '(': expected ')'");
  EXPECT_EQ(Err("(a or\n (b and c)"), "1:1: unbalanced '(': expected ')'");
  EXPECT_EQ(Err("()"), "1:2: expected event name after '(', got ')'");
}

TEST(ParseEventExprErrorTest, BadEventNames) {
  EXPECT_EQ(Err("K=v"), "1:1: expected event name, got 'K=v'");
  EXPECT_EQ(Err("\"quoted\""), "1:1: expected event name, got '\"quoted\"'");
  EXPECT_EQ(Err("and"), "1:1: expected event name, got 'and'");
}

TEST(ParseEventExprErrorTest, MissingOperator) {
  EXPECT_EQ(Err("a (b)"), "1:3: expected 'and' or 'or' before '('");
  EXPECT_EQ(Err("(a) b"), "1:5: expected 'and' or 'or', got 'b'");
  EXPECT_EQ(Err("(a b) (c)"), "1:7: expected 'and' or 'or', got '('");
}

TEST(ParseEventExprErrorTest, UnterminatedQuote) {
  EXPECT_EQ(Err("a K=\"x"), "1:5: unterminated '\"' quote");
}

TEST(ParseEventExprErrorTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(200, '(');
  deep += "a";
  deep += std::string(200, ')');
  EXPECT_NE(Err(deep).find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace baton::jobs
