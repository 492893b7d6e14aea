#include "supervisor/stage1/luks_json.h"

#include "gtest/gtest.h"

namespace baton::stage1::luks {
namespace {

TEST(JsonTest, ParsesLuks2Metadata) {
  const std::string text =
      R"({"keyslots":{"0":{"type":"luks2","key_size":64,"af":{"stripes":4000}}},)"
      R"( "tokens":{}, "list":["0", "1"], "t":true, "f":false, "n":null, "x":-1.5e3})";
  absl::StatusOr<JsonValue> v = ParseJson(text, "test");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_object());
  const JsonValue* slot = v->Find("keyslots")->Find("0");
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(slot->Find("type")->text(), "luks2");
  EXPECT_EQ(slot->Find("key_size")->AsUint64(), 64u);
  EXPECT_EQ(slot->Find("af")->Find("stripes")->AsUint64(), 4000u);
  EXPECT_EQ(slot->offset(), text.find("{\"type\""));
  EXPECT_TRUE(v->Find("tokens")->members().empty());
  ASSERT_EQ(v->Find("list")->items().size(), 2u);
  EXPECT_EQ(v->Find("list")->items()[1].text(), "1");
  EXPECT_TRUE(v->Find("t")->bool_value());
  EXPECT_FALSE(v->Find("f")->bool_value());
  EXPECT_EQ(v->Find("n")->type(), JsonValue::Type::kNull);
  EXPECT_EQ(v->Find("x")->text(), "-1.5e3");
  EXPECT_FALSE(v->Find("x")->AsUint64().has_value());
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonTest, Escapes) {
  absl::StatusOr<JsonValue> v =
      ParseJson(R"(["a\"b\\c\/d\n\t", "\u00e9\u20ac", "\ud83d\ude00"])", "test");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->items()[0].text(), "a\"b\\c/d\n\t");
  EXPECT_EQ(v->items()[1].text(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(v->items()[2].text(), "\xf0\x9f\x98\x80");
}

TEST(JsonTest, NumbersAsUint64) {
  absl::StatusOr<JsonValue> v = ParseJson("[0, 18446744073709551615, 18446744073709551616]", "t");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->items()[0].AsUint64(), 0u);
  EXPECT_EQ(v->items()[1].AsUint64(), UINT64_MAX);
  EXPECT_FALSE(v->items()[2].AsUint64().has_value());
}

// Each bad text and the byte the error names.
TEST(JsonTest, RejectsWithPosition) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "disk: JSON byte 0: expected a value, found the end of the text"},
      {"{\"a\":1,}", "disk: JSON byte 7: expected a member name"},
      {"[1,]", "disk: JSON byte 3: expected a value"},
      {"{\"a\":1,\"a\":2}", "disk: JSON byte 7: duplicate member \"a\""},
      {"{\"a\" 1}", "disk: JSON byte 5: expected ':'"},
      {"{\"a\":1 \"b\":2}", "disk: JSON byte 7: expected ',' or '}'"},
      {"\"abc", "disk: JSON byte 4: unterminated string"},
      {"\"a\tb\"", "disk: JSON byte 2: control character in a string"},
      {"\"\\x\"", "disk: JSON byte 2: unknown escape"},
      {"\"\\udc00\"", "disk: JSON byte 7: lone low surrogate"},
      {"01", "disk: JSON byte 1: expected the end of the text after the value"},
      {"1.", "disk: JSON byte 2: expected a digit after '.'"},
      {"-", "disk: JSON byte 1: expected a digit"},
      {"tru", "disk: JSON byte 0: expected a value"},
      {"{} {}", "disk: JSON byte 3: expected the end of the text after the value"},
      {"// c\n{}", "disk: JSON byte 0: expected a value"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<JsonValue> v = ParseJson(c.text, "disk");
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.status().message(), c.message) << c.text;
  }
}

TEST(JsonTest, DepthLimit) {
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_TRUE(ParseJson(deep, "t").ok());
  std::string deeper(66, '[');
  deeper += std::string(66, ']');
  absl::StatusOr<JsonValue> v = ParseJson(deeper, "t");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting deeper than 64"), std::string::npos);
}

}  // namespace
}  // namespace baton::stage1::luks
