#include "supervisor/stage1/commands.h"

#include <fcntl.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Argv = std::vector<std::string>;

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() : ctx_(kernel_) {
    EXPECT_TRUE(kernel_.MkdirAll("/proc").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sbin").ok());
    EXPECT_TRUE(kernel_.WriteFile("/proc/cmdline", "root=/dev/vg0/root\n").ok());
    for (const char* tool : {"/sbin/mdadm", "/sbin/lvm", "/sbin/cryptsetup"}) {
      EXPECT_TRUE(kernel_.WriteFile(tool, "").ok());
    }
    auto log = kernel_.Open("/log", O_WRONLY | O_CREAT, 0600);
    log_ = std::move(*log);
    ctx_.log_fd = log_.get();
    kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest&) { kernel_.Exit(pid, 0); });
  }
  std::string Log() { return *kernel_.ReadFile("/log"); }

  sys::FakeKernel kernel_;
  sys::UniqueFd log_;
  ToolContext ctx_;
};

TEST_F(CommandsTest, KnowsItsNames) {
  EXPECT_TRUE(IsStage1Command("luks-unlock"));
  EXPECT_TRUE(IsStage1Command("md-add"));
  EXPECT_TRUE(IsStage1Command("md-run-degraded"));
  EXPECT_TRUE(IsStage1Command("lvm-activate"));
  EXPECT_FALSE(IsStage1Command("check"));
}

TEST_F(CommandsTest, UsageErrorsExitTwo) {
  EXPECT_EQ(LuksUnlockMain({}, {}, ctx_), 2);
  EXPECT_EQ(MdAddMain({"a", "b"}, {}, ctx_), 2);
  EXPECT_EQ(MdRunDegradedMain({}, ctx_), 2);
  EXPECT_EQ(LvmActivateMain({}, {}, ctx_), 2);
  EXPECT_THAT(Log(), HasSubstr("baton: luks-unlock: usage: baton luks-unlock DEVNAME [UUID]"));
  EXPECT_TRUE(kernel_.spawned().empty());
}

TEST_F(CommandsTest, ArgumentsOverrideTheEventEnvironment) {
  // The job's environment carries the event's udev properties.
  Env environment = {{"DEVNAME", "/dev/old"}, {"ID_FS_TYPE", "linux_raid_member"},
                     {"ID_FS_UUID", "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"}};
  EXPECT_EQ(MdAddMain({"/dev/vdc"}, environment, ctx_), 0);
  EXPECT_THAT(kernel_.spawned().at(0).argv,
              ElementsAre("/sbin/mdadm", "--incremental", "/dev/vdc"));
  EXPECT_THAT(Log(), HasSubstr("baton: md-add: added /dev/vdc"));
}

TEST_F(CommandsTest, LuksUnlockUsesTheUuidArgument) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev/mapper").ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/mapper/luks-1234", "").ok());
  EXPECT_EQ(LuksUnlockMain({"/dev/vda", "1234"}, {}, ctx_), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_THAT(Log(), HasSubstr("/dev/vda is already open as /dev/mapper/luks-1234"));
}

TEST_F(CommandsTest, LvmActivateWithoutEventEnvironment) {
  EXPECT_EQ(LvmActivateMain({"/dev/vdd"}, {}, ctx_), 0);
  ASSERT_EQ(kernel_.spawned().size(), 2u);
  EXPECT_EQ(kernel_.spawned()[1].argv, (Argv{"/sbin/lvm", "vgmknodes"}));
}

TEST_F(CommandsTest, MdRunDegradedRuns) {
  EXPECT_EQ(MdRunDegradedMain({"/dev/md0"}, ctx_), 0);
  EXPECT_EQ(kernel_.spawned().at(0).argv, (Argv{"/sbin/mdadm", "--run", "/dev/md0"}));
}

}  // namespace
}  // namespace baton::stage1
