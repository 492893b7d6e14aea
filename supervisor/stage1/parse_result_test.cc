#include "supervisor/stage1/parse_result.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

TEST(ParseResultTest, StatusSummarizesErrors) {
  ParseResult<int> r;
  EXPECT_TRUE(r.status().ok());
  r.errors.push_back(LineError("/etc/fstab", 3, "bad"));
  EXPECT_EQ(r.status().message(), "/etc/fstab:3: bad");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r.errors.push_back(LineError("/etc/fstab", 9, "worse"));
  r.errors.push_back(LineError("/etc/fstab", 10, "worst"));
  EXPECT_EQ(r.status().message(), "/etc/fstab:3: bad (and 2 more)");
}

std::vector<absl::string_view> SplitWords(absl::string_view line) {
  if (absl::StartsWith(line, "#")) return {};
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

// A two-or-three-field table whose second field must be a number.
ParseResult<int> ParseNumbers(absl::string_view text) {
  return ParseTable<int>(
      text, "/etc/t", 3, "missing number", SplitWords,
      [](int n, const std::vector<absl::string_view>& f) -> absl::StatusOr<int> {
        int v = 0;
        if (!absl::SimpleAtoi(f[1], &v)) return absl::InvalidArgumentError("not a number");
        return v * 100 + n;
      });
}

TEST(ParseTableTest, KeepsGoodLinesAndNamesEachBadOne) {
  ParseResult<int> r = ParseNumbers("# comment\na 1\n\nb\nc x\nd 2 e f\ne 3 z\n");
  EXPECT_EQ(r.entries, (std::vector<int>{102, 307}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0].message(), "/etc/t:4: missing number");
  EXPECT_EQ(r.errors[1].message(), "/etc/t:5: not a number");
  EXPECT_EQ(r.errors[2].message(), "/etc/t:6: too many fields (4, at most 3)");
}

}  // namespace
}  // namespace baton::stage1
