#include "supervisor/crash_plan.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::supervisor {
namespace {

using Argv = std::vector<std::string>;

constexpr FileId kBaton{1, 100};    // /usr/sbin/baton (the running binary)
constexpr FileId kSysv{1, 200};     // a foreign init
constexpr FileId kShell{1, 300};    // /bin/sh

CrashPlanInput Input(CrashStage stage, std::map<std::string, FileId> files) {
  CrashPlanInput input;
  input.stage = stage;
  input.init = "/sbin/init";  // BootOptions' default
  input.self = kBaton;
  input.identify = [files](const std::string& path) -> std::optional<FileId> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  return input;
}

std::vector<std::string> Paths(const sys::CrashPlan& plan) {
  std::vector<std::string> paths;
  for (const sys::CrashExec& e : plan.execs) paths.push_back(e.path);
  return paths;
}

TEST(PlanCrashTest, RealRootWithBatonAsSbinInitFallsToTheShell) {
  // /sbin/init -> baton: the same file as the crashed binary, never re-exec'd.
  sys::CrashPlan plan = PlanCrash(Input(CrashStage::kRealRoot,
                                        {{"/sbin/init", kBaton}, {"/bin/sh", kShell}}));
  EXPECT_EQ(Paths(plan), (Argv{"/bin/sh"}));
  EXPECT_EQ(plan.execs[0].argv, (Argv{"/bin/sh", "-i"}));
  EXPECT_FALSE(plan.reboot_after_s);
  EXPECT_EQ(plan.console, "/dev/console");
  EXPECT_EQ(plan.Describe(), "exec /bin/sh, then freeze");
}

TEST(PlanCrashTest, ForeignSbinInitComesBeforeTheShell) {
  CrashPlanInput input =
      Input(CrashStage::kRealRoot,
            {{"/usr/sbin/baton", kBaton}, {"/sbin/init", kSysv}, {"/bin/sh", kShell}});
  input.init = "/usr/sbin/baton";  // init= names baton itself: skipped
  input.init_args = {"single"};
  sys::CrashPlan plan = PlanCrash(input);
  EXPECT_EQ(Paths(plan), (Argv{"/sbin/init", "/bin/sh"}));
  EXPECT_EQ(plan.execs[0].argv, (Argv{"/sbin/init", "single"}));
}

TEST(PlanCrashTest, ForeignInitEqualsComesFirstAndSbinInitIsNotRepeated) {
  CrashPlanInput input = Input(
      CrashStage::kRealRoot,
      {{"/lib/sysvinit/init", kSysv}, {"/sbin/init", kSysv}, {"/bin/sh", kShell}});
  input.init = "/lib/sysvinit/init";
  sys::CrashPlan plan = PlanCrash(input);
  EXPECT_EQ(Paths(plan), (Argv{"/lib/sysvinit/init", "/bin/sh"}));
}

TEST(PlanCrashTest, TwoDifferentInitsAreBothTried) {
  CrashPlanInput input = Input(CrashStage::kRealRoot, {{"/usr/lib/other-init", {1, 400}},
                                                       {"/sbin/init", kSysv},
                                                       {"/bin/sh", kShell}});
  input.init = "/usr/lib/other-init";
  EXPECT_EQ(Paths(PlanCrash(input)), (Argv{"/usr/lib/other-init", "/sbin/init", "/bin/sh"}));
}

TEST(PlanCrashTest, MissingFilesArePlannedOut) {
  CrashPlanInput input = Input(CrashStage::kRealRoot, {});
  input.init = "/nonexistent";
  sys::CrashPlan plan = PlanCrash(input);
  EXPECT_TRUE(plan.execs.empty());
  EXPECT_EQ(plan.Describe(), "freeze");
}

TEST(PlanCrashTest, UnknownOwnBinaryPlansNoInit) {
  CrashPlanInput input =
      Input(CrashStage::kRealRoot, {{"/sbin/init", kSysv}, {"/bin/sh", kShell}});
  input.self = std::nullopt;  // it could be ourselves
  EXPECT_EQ(Paths(PlanCrash(input)), (Argv{"/bin/sh"}));
}

TEST(PlanCrashTest, InitramfsHasOnlyItsShell) {
  // Stage 1 before the switch: the initramfs' /sbin/init is not the real init,
  // whatever it is, and init= names a path on the real root.
  CrashPlanInput input = Input(CrashStage::kInitramfs, {{"/sbin/init", kSysv},
                                                        {"/usr/lib/other-init", {1, 400}},
                                                        {"/bin/sh", kShell}});
  input.init = "/usr/lib/other-init";
  EXPECT_EQ(Paths(PlanCrash(input)), (Argv{"/bin/sh"}));
}

TEST(PlanCrashTest, ShellOnTheConsoleTtyGetsJobControl) {
  CrashPlanInput input = Input(CrashStage::kInitramfs, {{"/bin/sh", kShell}});
  input.console_tty = "/dev/ttyS0";
  sys::CrashPlan plan = PlanCrash(input);
  ASSERT_EQ(plan.execs.size(), 1u);
  EXPECT_EQ(plan.execs[0].argv,
            (Argv{"/bin/sh", "-c", "exec /bin/sh -i <>/dev/ttyS0 >&0 2>&0"}));
}

TEST(PlanCrashTest, PanicRebootsInsteadOfTheShell) {
  CrashPlanInput input = Input(CrashStage::kRealRoot,
                               {{"/sbin/init", kSysv}, {"/bin/sh", kShell}});
  input.panic = 5;
  sys::CrashPlan plan = PlanCrash(input);
  EXPECT_EQ(Paths(plan), (Argv{"/sbin/init"}));  // a real init still beats a reboot
  EXPECT_EQ(plan.reboot_after_s, 5);
  input.panic = -1;  // at once
  EXPECT_EQ(PlanCrash(input).reboot_after_s, 0);
  input.panic = 0;  // the kernel's "never": the shell
  plan = PlanCrash(input);
  EXPECT_FALSE(plan.reboot_after_s);
  EXPECT_EQ(Paths(plan), (Argv{"/sbin/init", "/bin/sh"}));
}

TEST(PlanCrashTest, RelativeInitIsIgnored) {
  CrashPlanInput input = Input(CrashStage::kRealRoot, {{"init", kSysv}, {"/bin/sh", kShell}});
  input.init = "init";
  EXPECT_EQ(Paths(PlanCrash(input)), (Argv{"/bin/sh"}));
}

// GatherCrashInput through FakeKernel: the command line, /proc/self/exe,
// the candidates' files, the console tty. (FakeKernel's Open does not follow
// symlinks, so "/sbin/init -> baton is the running binary" is PlanCrash's
// test above and QEMU crash-kill's, with the real kernel.)
class GatherCrashInputTest : public ::testing::Test {
 protected:
  GatherCrashInputTest() {
    kernel_.set_pid(1);
    EXPECT_TRUE(kernel_.MkdirAll("/sbin").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/bin").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/proc/self").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/class/tty/console").ok());
    EXPECT_TRUE(kernel_.WriteFile("/bin/sh", "ELF sh", 0755).ok());
    EXPECT_TRUE(kernel_.WriteFile("/proc/self/exe", "ELF baton", 0755).ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/class/tty/console/active", "tty0 ttyS0\n").ok());
    kernel_.AddTerminal("/dev/ttyS0", "");
  }
  sys::FakeKernel kernel_;
};

TEST_F(GatherCrashInputTest, CommandLineFilesAndConsoleTty) {
  ASSERT_TRUE(kernel_.WriteFile("/sbin/init", "#!/bin/sh\n", 0755).ok());
  ASSERT_TRUE(
      kernel_.WriteFile("/proc/cmdline", "root=LABEL=r init=/nonexistent panic=0 -- single\n")
          .ok());
  CrashPlanInput input = GatherCrashInput(kernel_, CrashStage::kRealRoot);
  EXPECT_EQ(input.init, "/nonexistent");
  EXPECT_EQ(input.init_args, (Argv{"single"}));
  EXPECT_EQ(input.panic, 0);
  ASSERT_TRUE(input.self.has_value());
  EXPECT_EQ(input.console_tty, "/dev/ttyS0");
  sys::CrashPlan plan = PlanCrash(input);
  ASSERT_EQ(Paths(plan), (Argv{"/sbin/init", "/bin/sh"}));  // init= is missing
  EXPECT_EQ(plan.execs[0].argv, (Argv{"/sbin/init", "single"}));
  EXPECT_EQ(plan.execs[1].argv, (Argv{"/bin/sh", "-c", "exec /bin/sh -i <>/dev/ttyS0 >&0 2>&0"}));
}

TEST_F(GatherCrashInputTest, PanicFromTheCommandLineReplacesTheShell) {
  ASSERT_TRUE(kernel_.WriteFile("/proc/cmdline", "panic=7\n").ok());
  sys::CrashPlan plan = PlanCrash(GatherCrashInput(kernel_, CrashStage::kInitramfs));
  EXPECT_TRUE(plan.execs.empty());
  EXPECT_EQ(plan.reboot_after_s, 7);
}

TEST_F(GatherCrashInputTest, NoProcMeansNoInitPlanned) {
  ASSERT_TRUE(kernel_.WriteFile("/sbin/init", "#!/bin/sh\n", 0755).ok());
  ASSERT_TRUE(kernel_.Unlink("/proc/self/exe").ok());
  CrashPlanInput input = GatherCrashInput(kernel_, CrashStage::kRealRoot);
  EXPECT_FALSE(input.self.has_value());
  EXPECT_FALSE(input.panic.has_value());  // no /proc/cmdline either
  EXPECT_EQ(Paths(PlanCrash(input)), (Argv{"/bin/sh"}));
}

// Stage 2's first plan: the console left for later, the shell plain.
TEST_F(GatherCrashInputTest, WithoutConsoleTheShellIsPlainUntilTheTtyIsAdded) {
  CrashPlanInput input = GatherCrashInput(kernel_, CrashStage::kRealRoot, false);
  EXPECT_EQ(input.console_tty, "");
  sys::CrashPlan plan = PlanCrash(input);
  ASSERT_EQ(plan.execs.size(), 1u);
  EXPECT_EQ(plan.execs[0].argv, (Argv{"/bin/sh", "-i"}));
  input.console_tty = "/dev/ttyS0";
  EXPECT_EQ(PlanCrash(input).execs[0].argv,
            (Argv{"/bin/sh", "-c", "exec /bin/sh -i <>/dev/ttyS0 >&0 2>&0"}));
}

// Before the switch: the real root's files under /root, symlinks resolved
// within it; the initramfs' own files are not looked at.
TEST_F(GatherCrashInputTest, OnRootLooksUnderTheNewRoot) {
  ASSERT_TRUE(kernel_.WriteFile("/proc/cmdline", "root=LABEL=r\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sbin/init", "initramfs's init", 0755).ok());
  ASSERT_TRUE(kernel_.MkdirAll("/root/sbin").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/root/usr/lib/sysvinit").ok());
  ASSERT_TRUE(kernel_.WriteFile("/root/usr/lib/sysvinit/init", "ELF init", 0755).ok());
  // Absolute: on the initramfs it would name nothing.
  ASSERT_TRUE(kernel_.Symlink("/usr/lib/sysvinit/init", "/root/sbin/init").ok());
  CrashPlanInput input = GatherCrashInputOnRoot(kernel_, "/root/");
  EXPECT_EQ(input.stage, CrashStage::kRealRoot);
  EXPECT_EQ(input.console_tty, "/dev/ttyS0");
  ASSERT_TRUE(input.self.has_value());
  EXPECT_TRUE(input.identify("/sbin/init").has_value());
  // No /root/bin/sh: the initramfs' /bin/sh does not count.
  EXPECT_FALSE(input.identify("/bin/sh").has_value());
  sys::CrashPlan plan = PlanCrash(input);
  EXPECT_EQ(Paths(plan), (Argv{"/sbin/init"}));  // the path as it is after the switch
  EXPECT_EQ(DescribeCrashPlan(CrashStage::kRealRoot, plan),
            "crash handler (real root): PID 1 crash -> exec /sbin/init, then freeze");

  ASSERT_TRUE(kernel_.MkdirAll("/root/bin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/root/bin/sh", "ELF dash", 0755).ok());
  ASSERT_TRUE(kernel_.Unlink("/root/usr/lib/sysvinit/init").ok());  // a dangling link
  EXPECT_EQ(Paths(PlanCrash(GatherCrashInputOnRoot(kernel_, "/root"))), (Argv{"/bin/sh"}));
}

}  // namespace
}  // namespace baton::supervisor
