// Runs only as root with /dev/mapper/control present (skipped otherwise):
// makes a small "zero" device, checks its status, and removes it.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/linux_kernel.h"

namespace baton::sys {
namespace {

using ::testing::HasSubstr;

// Root, and a kernel with device-mapper behind the control node (in some
// containers the node exists but opening it says ENODEV).
bool HaveDm() {
  int fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TEST(LinuxKernelDmTest, RejectsBadNamesWithoutIoctl) {
  LinuxKernel kernel;
  EXPECT_THAT(kernel.DmCreate("a/b", "").status().message(), HasSubstr("bad device name"));
  EXPECT_THAT(kernel.DmCreate(std::string(200, 'x'), "").status().message(),
              HasSubstr("bad device name"));
  EXPECT_FALSE(kernel.DmLoadTable("a", {}, false).ok());
}

TEST(LinuxKernelDmTest, CreateLoadResumeStatusRemove) {
  if (!HaveDm()) GTEST_SKIP() << "needs root and /dev/mapper/control";
  LinuxKernel kernel;
  const std::string name = absl::StrCat("baton-test-", ::getpid());
  const std::string uuid = absl::StrCat("BATON-TEST-", ::getpid());
  absl::StatusOr<std::optional<DmInfo>> before = kernel.DmStatus(name);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(before->has_value());

  absl::StatusOr<dev_t> dev = kernel.DmCreate(name, uuid);
  ASSERT_TRUE(dev.ok()) << dev.status();
  absl::Status load =
      kernel.DmLoadTable(name, {{0, 8, "zero", ""}, {8, 16, "error", ""}}, /*read_only=*/true);
  absl::Status resume = load.ok() ? kernel.DmResume(name) : load;
  absl::StatusOr<std::optional<DmInfo>> info = kernel.DmStatus(name);
  absl::Status removed = kernel.DmRemove(name);
  ASSERT_TRUE(load.ok()) << load;
  ASSERT_TRUE(resume.ok()) << resume;
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->dev, *dev);
  EXPECT_EQ((*info)->uuid, uuid);
  EXPECT_TRUE((*info)->active);
  EXPECT_FALSE((*info)->suspended);
  EXPECT_TRUE((*info)->read_only);
  EXPECT_TRUE(removed.ok()) << removed;
  absl::StatusOr<std::optional<DmInfo>> after = kernel.DmStatus(name);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST(LinuxKernelDmTest, BadTableIsAnErrorNamingTheDevice) {
  if (!HaveDm()) GTEST_SKIP() << "needs root and /dev/mapper/control";
  LinuxKernel kernel;
  const std::string name = absl::StrCat("baton-test-bad-", ::getpid());
  ASSERT_TRUE(kernel.DmCreate(name, "").ok());
  absl::Status load = kernel.DmLoadTable(name, {{0, 8, "linear", "no-such-device 0"}}, false);
  EXPECT_TRUE(kernel.DmRemove(name).ok());
  EXPECT_FALSE(load.ok());
  EXPECT_THAT(load.message(), HasSubstr(name));
}

}  // namespace
}  // namespace baton::sys
