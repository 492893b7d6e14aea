#include "supervisor/crash_plan.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace baton::supervisor
