#include "supervisor/stage1/stage1_main.h"

#include <errno.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(EarlyMountsTest, ExactCalls) {
  sys::FakeKernel kernel;
  EXPECT_THAT(EarlyMounts(kernel), IsEmpty());
  EXPECT_THAT(kernel.calls(),
              ElementsAre("mkdir_all /proc", "mount proc /proc -t proc MS_NOSUID|MS_NODEV|MS_NOEXEC",
                          "mkdir_all /sys", "mount sysfs /sys -t sysfs MS_NOSUID|MS_NODEV|MS_NOEXEC",
                          "mkdir_all /dev", "mount devtmpfs /dev -t devtmpfs MS_NOSUID -o mode=0755",
                          "mkdir_all /dev/pts",
                          "mount devpts /dev/pts -t devpts MS_NOSUID|MS_NOEXEC -o "
                          "gid=5,mode=0620,ptmxmode=0666",
                          "mkdir_all /run", "mount tmpfs /run -t tmpfs MS_NOSUID|MS_NODEV -o mode=0755",
                          "mkdir_all /run/baton", "mkdir_all /root"));
}

TEST(EarlyMountsTest, DevFallsBackToTmpfsWithNodes) {
  sys::FakeKernel kernel;
  kernel.FailNextOn("mount", "/dev", ENODEV);
  std::vector<std::string> warnings = EarlyMounts(kernel);
  ASSERT_THAT(warnings, SizeIs(1));
  const auto& calls = kernel.calls();
  auto at = std::find(calls.begin(), calls.end(), "mount tmpfs /dev -t tmpfs MS_NOSUID -o mode=0755");
  ASSERT_NE(at, calls.end());
  EXPECT_EQ(*(at + 1), "mknod /dev/console 20600 5:1");
  EXPECT_EQ(*(at + 2), "mknod /dev/null 20666 1:3");
}

TEST(EarlyMountsTest, AlreadyMountedTargetsAreSkipped) {
  sys::FakeKernel kernel;
  kernel.AddMount({"devtmpfs", "/dev", "devtmpfs", "rw", false});
  kernel.ClearCalls();
  EarlyMounts(kernel);
  for (const std::string& call : kernel.calls()) {
    EXPECT_EQ(call.find("mount devtmpfs"), std::string::npos) << call;
  }
}

TEST(IsInitramfsTest, Pid1OnRootfs) {
  sys::FakeKernel kernel;  // "/" is rootfs (ramfs magic)
  EXPECT_TRUE(IsInitramfs(kernel));
  kernel.set_pid(42);
  EXPECT_FALSE(IsInitramfs(kernel));
}

TEST(IsInitramfsTest, RealRootIsNot) {
  sys::FakeKernel kernel;
  kernel.AddMount({"/dev/vda", "/", "ext4", "rw", false});
  EXPECT_FALSE(IsInitramfs(kernel));
  ASSERT_TRUE(kernel.MkdirAll("/etc").ok());
  ASSERT_TRUE(kernel.WriteFile("/etc/initrd-release", "").ok());
  EXPECT_TRUE(IsInitramfs(kernel));
}

TEST(Stage1HostTest, JobEnvHasBootOptions) {
  sys::FakeKernel kernel;
  ASSERT_TRUE(kernel.MkdirAll("/proc").ok());
  Stage1Host host(kernel);
  // /proc/cmdline is written into the fake before the fake mounts proc over
  // it: the early mounts hide it, so read nothing and get the defaults.
  host.Early(absl::UnixEpoch());
  bool has_root = false;
  for (const auto& [k, v] : host.JobEnv()) has_root |= k == "ROOT";
  EXPECT_TRUE(has_root);
}

}  // namespace
}  // namespace baton::stage1
