#include "jobs/lexer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace baton::jobs {
namespace {

std::vector<std::string> Words(absl::string_view line, bool parens = false) {
  std::vector<Token> toks;
  LexError err;
  EXPECT_TRUE(TokenizeLine(line, 1, parens, &toks, &err)) << err.message;
  std::vector<std::string> out;
  for (const Token& t : toks) out.emplace_back(t.text);
  return out;
}

TEST(TokenizeLineTest, SplitsOnBlanksAndTabs) {
  EXPECT_EQ(Words("  start\ton  foo "),
            (std::vector<std::string>{"start", "on", "foo"}));
}

TEST(TokenizeLineTest, PositionsAreOneBasedByteColumns) {
  std::vector<Token> toks;
  LexError err;
  ASSERT_TRUE(TokenizeLine("\tenv  A=1", 7, false, &toks, &err));
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].pos.line, 7);
  EXPECT_EQ(toks[0].pos.col, 2);
  EXPECT_EQ(toks[1].pos.col, 7);
}

TEST(TokenizeLineTest, QuotesJoinIntoOneWord) {
  EXPECT_EQ(Words(R"(env A="x y" B='p q'z)"),
            (std::vector<std::string>{"env", R"(A="x y")", "B='p q'z"}));
}

TEST(TokenizeLineTest, CommentOnlyAtWordStart) {
  EXPECT_EQ(Words("a#b # c d"), (std::vector<std::string>{"a#b"}));
  EXPECT_EQ(Words("\"#x\" y"), (std::vector<std::string>{"\"#x\"", "y"}));
  EXPECT_TRUE(Words("   # only a comment").empty());
}

TEST(TokenizeLineTest, ParensAreTokensOnlyWhenAsked) {
  EXPECT_EQ(Words("(a or b)", true),
            (std::vector<std::string>{"(", "a", "or", "b", ")"}));
  EXPECT_EQ(Words("(a or b)", false),
            (std::vector<std::string>{"(a", "or", "b)"}));
  EXPECT_EQ(Words("\"(\"x", true), (std::vector<std::string>{"\"(\"x"}));
}

TEST(TokenizeLineTest, UnterminatedQuoteReportsTheOpeningQuote) {
  std::vector<Token> toks;
  LexError err;
  EXPECT_FALSE(TokenizeLine("env A=\"abc", 3, false, &toks, &err));
  EXPECT_EQ(err.pos.line, 3);
  EXPECT_EQ(err.pos.col, 7);
  EXPECT_NE(err.message.find("unterminated"), std::string::npos);
}

TEST(UnquoteTest, RemovesQuotesAndEscapes) {
  EXPECT_EQ(Unquote(R"(A="x \"y\" \\ z")"), R"(A=x "y" \ z)");
  EXPECT_EQ(Unquote(R"('a\b')"), R"(a\b)");
  EXPECT_EQ(Unquote(R"(a\*)"), R"(a\*)");
}

TEST(AppendQuotedTest, RoundTrips) {
  for (const char* v : {"plain", "", "a b", "and", "#x", "q\"u\\o", "(x)"}) {
    std::string out;
    AppendQuoted(v, &out);
    EXPECT_EQ(Words(out, true).size(), 1u) << out;
    EXPECT_EQ(Unquote(out), v) << out;
  }
  std::string out;
  AppendQuoted("plain", &out);
  EXPECT_EQ(out, "plain");
}

TEST(StripShellCommentTest, FollowsShellQuoting) {
  EXPECT_EQ(StripShellComment("echo hi  # say hi"), "echo hi");
  EXPECT_EQ(StripShellComment("echo '# not' \"#\" \\# a#b"),
            "echo '# not' \"#\" \\# a#b");
  int open = 0;
  StripShellComment("echo 'abc", &open);
  EXPECT_EQ(open, 5);
  StripShellComment("echo 'abc'", &open);
  EXPECT_EQ(open, -1);
}

TEST(LineReaderTest, CountsLinesAndDropsCarriageReturns) {
  LineReader r("a\r\n\nb");
  absl::string_view l;
  ASSERT_TRUE(r.Next(&l));
  EXPECT_EQ(l, "a");
  ASSERT_TRUE(r.Next(&l));
  EXPECT_EQ(l, "");
  ASSERT_TRUE(r.Next(&l));
  EXPECT_EQ(l, "b");
  EXPECT_EQ(r.line_no(), 3);
  EXPECT_FALSE(r.Next(&l));
}

TEST(LineReaderTest, TrailingNewlineMakesNoExtraLine) {
  LineReader r("a\n");
  absl::string_view l;
  EXPECT_TRUE(r.Next(&l));
  EXPECT_FALSE(r.Next(&l));
}

TEST(IsIdentifierTest, Basic) {
  EXPECT_TRUE(IsIdentifier("ID_FS_UUID"));
  EXPECT_TRUE(IsIdentifier("_x1"));
  EXPECT_FALSE(IsIdentifier("1x"));
  EXPECT_FALSE(IsIdentifier(""));
  EXPECT_FALSE(IsIdentifier("a-b"));
}

}  // namespace
}  // namespace baton::jobs
