#include "sys/str_printf.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

// The formats /init used absl::StrFormat for give the same text.
TEST(StrPrintfTest, SameAsAbslStrFormat) {
  const std::string s = "sda1";
  EXPECT_EQ(StrPrintf("[%12.6f] %s", 1.5, s.c_str()), absl::StrFormat("[%12.6f] %s", 1.5, s));
  EXPECT_EQ(StrPrintf("%04o", 0644u), absl::StrFormat("%04o", 0644u));
  EXPECT_EQ(StrPrintf("%08x", 0xabcu), absl::StrFormat("%08x", 0xabcu));
  EXPECT_EQ(StrPrintf("%lld %lld", -5LL, 1234567890123LL),
            absl::StrFormat("%d %d", int64_t{-5}, int64_t{1234567890123}));
  EXPECT_EQ(StrPrintf("  %-20s %8d|", "JOB", 42), absl::StrFormat("  %-20s %8d|", "JOB", 42));
  EXPECT_EQ(StrPrintf("%.3f ms", 1234567 / 1e6), absl::StrFormat("%.3f ms", 1234567 / 1e6));
  EXPECT_EQ(StrPrintf("%.2f s", 0.005), absl::StrFormat("%.2f s", 0.005));
}

TEST(StrPrintfTest, LongerThanTheStackBuffer) {
  const std::string big(1000, 'x');
  std::string out = "head:";
  StrAppendPrintf(&out, "%s|%d", big.c_str(), 7);
  EXPECT_EQ(out, "head:" + big + "|7");
  EXPECT_EQ(StrPrintf("%s", big.c_str()).size(), 1000u);
}

TEST(StrPrintfTest, Empty) { EXPECT_EQ(StrPrintf("%s", ""), ""); }

}  // namespace
}  // namespace baton::sys
