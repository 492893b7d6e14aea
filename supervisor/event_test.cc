#include "supervisor/event.h"

#include <string>

#include "gtest/gtest.h"

namespace baton::supervisor {
namespace {

TEST(EventTest, GetFirstBinding) {
  Event e;
  e.env = {{"A", "1"}, {"B", ""}, {"A", "2"}};
  EXPECT_EQ(e.Get("A"), "1");
  ASSERT_TRUE(e.Get("B").has_value());
  EXPECT_EQ(*e.Get("B"), "");
  EXPECT_FALSE(e.Get("C").has_value());
  EXPECT_FALSE(e.Get("").has_value());
}

TEST(ParseAssignmentTest, Table) {
  struct Case {
    std::string in;
    bool ok;
    std::string key, value;
  } cases[] = {
      {"K=V", true, "K", "V"},
      {"DEVNAME=/dev/sda=x", true, "DEVNAME", "/dev/sda=x"},
      {"_a1=", true, "_a1", ""},
      {"K", false, "", ""},
      {"=V", false, "", ""},
      {"1K=V", false, "", ""},
      {"K-X=V", false, "", ""},
      {"", false, "", ""},
  };
  for (const Case& c : cases) {
    auto got = ParseAssignment(c.in);
    ASSERT_EQ(got.has_value(), c.ok) << c.in;
    if (!got) continue;
    EXPECT_EQ(got->first, c.key) << c.in;
    EXPECT_EQ(got->second, c.value) << c.in;
  }
}

}  // namespace
}  // namespace baton::supervisor
