#include "sys/seccomp.h"

#include <linux/filter.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::HasSubstr;

TEST(SeccompTest, UnknownSyscallIsInvalidArgumentNamingIt) {
  auto program = CompileSeccompFilter(false, {"mkdir", "mkdri"});
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(program.status().message(), HasSubstr("unknown syscall 'mkdri'"));
}

TEST(SeccompTest, CheckSyscallName) {
  EXPECT_TRUE(CheckSyscallName("openat").ok());
  EXPECT_TRUE(CheckSyscallName("execve").ok());
  absl::Status bad = CheckSyscallName("no_such_call");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("'no_such_call'"));
  EXPECT_FALSE(CheckSyscallName("").ok());
}

TEST(SeccompTest, DenyListProgramIsWholeInstructions) {
  auto program = CompileSeccompFilter(false, {"mkdir", "mkdirat"});
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_FALSE(program->empty());
  EXPECT_EQ(program->size() % sizeof(struct sock_filter), 0u);
}

TEST(SeccompTest, AllowListProgramIsWholeInstructions) {
  auto program = CompileSeccompFilter(true, {"read", "write", "exit_group"});
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_FALSE(program->empty());
  EXPECT_EQ(program->size() % sizeof(struct sock_filter), 0u);
}

TEST(SeccompTest, MoreRulesMakeALongerProgram) {
  auto small = CompileSeccompFilter(false, {"mkdir"});
  auto large = CompileSeccompFilter(false, {"mkdir", "rmdir", "unlink", "rename"});
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_GT(large->size(), small->size());
}

TEST(SeccompTest, EmptyDenyListCompiles) {
  auto program = CompileSeccompFilter(false, {});
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_FALSE(program->empty());
}

}  // namespace
}  // namespace baton::sys
