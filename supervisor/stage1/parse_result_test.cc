#include "supervisor/stage1/parse_result.h"

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

}  // namespace
}  // namespace baton::stage1
