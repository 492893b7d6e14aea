#include "supervisor/switch_root.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <cerrno>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A clock that advances one millisecond each time it is read.
class StepClock {
 public:
  std::function<absl::Time()> fn() {
    return [this] {
      now_ += absl::Milliseconds(1);
      return now_;
    };
  }

 private:
  absl::Time now_ = absl::UnixEpoch();
};

std::vector<std::string> Targets(sys::Kernel& kernel) {
  std::vector<std::string> out;
  std::vector<sys::MountEntry> mounts = *kernel.Mounts();
  for (const sys::MountEntry& m : mounts) out.push_back(m.fstype + " " + m.target);
  return out;
}

// The API mounts and the real root under /root. ROOT_FSTYPE "rootfs" keeps
// the fake's initial ramfs root; anything else replaces it (a pivotable root).
void Seed(sys::FakeKernel& k, const std::string& root_fstype, bool with_run_on_new_root = true) {
  k.AddMount({root_fstype == "rootfs" ? "rootfs" : "/dev/vda", "/", root_fstype, "rw", true});
  k.AddMount({"devtmpfs", "/dev", "devtmpfs", "rw,nosuid", true});
  k.AddMount({"devpts", "/dev/pts", "devpts", "rw", true});
  k.AddMount({"proc", "/proc", "proc", "rw,nosuid,nodev,noexec", true});
  k.AddMount({"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec", true});
  k.AddMount({"tmpfs", "/run", "tmpfs", "rw,nosuid,nodev,mode=0755", true});
  ASSERT_TRUE(k.WriteFile("/init", "#!baton").ok());
  ASSERT_TRUE(k.MkdirAll("/lib/modules/6.1.0/kernel").ok());
  ASSERT_TRUE(k.WriteFile("/lib/modules/6.1.0/modules.dep", "").ok());
  ASSERT_TRUE(k.WriteFile("/lib/modules/6.1.0/kernel/md.ko", "elf").ok());
  k.AddMount({"/dev/mapper/vg-root", "/root", "ext4", "ro", true});
  for (const char* dir : {"/root/dev", "/root/proc", "/root/sys", "/root/sbin"}) {
    ASSERT_TRUE(k.MkdirAll(dir).ok());
  }
  if (with_run_on_new_root) {
    ASSERT_TRUE(k.MkdirAll("/root/run").ok());
  }
  ASSERT_TRUE(k.WriteFile("/root/sbin/init", "real init").ok());
  k.ClearCalls();
}

TEST(PlanSwitchTest, InitramfsRootMovesAndChrootsAndCleans) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->pivot);
  EXPECT_THAT(FormatSteps(plan->steps),
              ElementsAre("make-private /", "open-old-root /", "move-mount /dev /root/dev",
                          "move-mount /proc /root/proc", "move-mount /sys /root/sys",
                          "move-mount /run /root/run", "chdir /root", "move-mount-root . /",
                          "chroot .", "chdir /", "clean-old-root in-background"));
  EXPECT_THAT(plan->fallback, IsEmpty());
  EXPECT_THAT(plan->warnings, IsEmpty());
  EXPECT_THAT(k.calls(), IsEmpty()) << "planning changes nothing";
}

TEST(PlanSwitchTest, TmpfsRootIsTreatedAsInitramfs) {
  sys::FakeKernel k;
  Seed(k, "tmpfs");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->pivot);
}

TEST(PlanSwitchTest, PivotableRootPivotsWithFallback) {
  sys::FakeKernel k;
  Seed(k, "ext4");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->pivot);
  EXPECT_THAT(FormatSteps(plan->steps),
              ElementsAre("make-private /", "open-old-root /", "move-mount /dev /root/dev",
                          "move-mount /proc /root/proc", "move-mount /sys /root/sys",
                          "move-mount /run /root/run", "chdir /root", "pivot-root . .",
                          "umount . MNT_DETACH", "chdir /"));
  EXPECT_THAT(FormatSteps(plan->fallback),
              ElementsAre("move-mount-root . /", "chroot .", "chdir /", "clean-old-root in-background"));
}

TEST(PlanSwitchTest, MissingTargetOnNewRootIsDetachedWithWarning) {
  sys::FakeKernel k;
  Seed(k, "rootfs", /*with_run_on_new_root=*/false);
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(FormatSteps(plan->steps),
              ElementsAre("make-private /", "open-old-root /", "move-mount /dev /root/dev",
                          "move-mount /proc /root/proc", "move-mount /sys /root/sys",
                          "detach-mount /run (/root/run missing on the new root)", "chdir /root",
                          "move-mount-root . /", "chroot .", "chdir /", "clean-old-root in-background"));
  EXPECT_THAT(plan->warnings, ElementsAre("/run: /root/run missing on the new root; detaching it"));

  SwitchReport report;
  StepClock clock;
  ASSERT_TRUE(ExecuteSwitch(k, *plan, clock.fn(), &report).ok());
  EXPECT_THAT(k.calls(), ::testing::Contains("umount /run MNT_DETACH"));
  EXPECT_THAT(report.warnings,
              ::testing::Contains("/run: /root/run missing on the new root; detaching it"));
}

TEST(PlanSwitchTest, UnmountedApiMountIsSkippedAndAlreadyMountedTargetDetached) {
  sys::FakeKernel k;
  k.AddMount({"rootfs", "/", "rootfs", "rw", false});
  k.AddMount({"proc", "/proc", "proc", "rw", false});
  k.AddMount({"sysfs", "/sys", "sysfs", "rw", false});
  k.AddMount({"/dev/sda1", "/root", "ext4", "rw", false});
  ASSERT_TRUE(k.MkdirAll("/root/proc").ok());
  k.AddMount({"sysfs", "/root/sys", "sysfs", "rw", false});
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      FormatSteps(plan->steps),
      ElementsAre("make-private /", "open-old-root /", "move-mount /proc /root/proc",
                  "detach-mount /sys (/root/sys already mounted on the new root)", "chdir /root",
                  "move-mount-root . /", "chroot .", "chdir /", "clean-old-root in-background"));
  EXPECT_THAT(plan->notes, ElementsAre("/dev not mounted; skipped",
                                       "/sys: /root/sys already mounted on the new root; "
                                       "detaching ours",
                                       "/run not mounted; skipped"));
  EXPECT_THAT(plan->warnings, IsEmpty());
}

TEST(PlanSwitchTest, NotPid1PlansNoCleaning) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  SwitchOptions options;
  options.pid1 = false;
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      FormatSteps(plan->steps),
      ElementsAre("make-private /", "move-mount /dev /root/dev", "move-mount /proc /root/proc",
                  "move-mount /sys /root/sys", "move-mount /run /root/run", "chdir /root",
                  "move-mount-root . /", "chroot .", "chdir /"));
  EXPECT_THAT(plan->notes, ElementsAre("not PID 1: the old root will not be emptied"));
}

TEST(PlanSwitchTest, NewRootMustBeAMountPoint) {
  sys::FakeKernel k;
  ASSERT_TRUE(k.MkdirAll("/root").ok());
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(plan.status().message()), HasSubstr("/root is not a mount point"));

  SwitchOptions slash;
  slash.new_root = "/";
  EXPECT_EQ(PlanSwitch(k, slash).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PlanSwitchTest, UnreadableMountTableFails) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  k.FailNext("mounts", EACCES);
  EXPECT_FALSE(PlanSwitch(k, SwitchOptions{}).ok());
}

TEST(ExecuteSwitchTest, InitramfsPlanMovesChrootsAndEmptiesOldRoot) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  // A handle on the old rootfs kept by the test, to look at it afterwards.
  absl::StatusOr<sys::UniqueFd> old_root = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(old_root.ok());
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();

  SwitchReport report;
  StepClock clock;
  absl::Status status = ExecuteSwitch(k, *plan, clock.fn(), &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(k.calls(),
              ElementsAre("mount - / MS_REC|MS_PRIVATE", "mount /dev /root/dev MS_MOVE",
                          "mount /proc /root/proc MS_MOVE", "mount /sys /root/sys MS_MOVE",
                          "mount /run /root/run MS_MOVE", "chdir /root", "mount . / MS_MOVE",
                          "chroot .", "chdir /",
                          // clean-old-root, depth first, names sorted
                          "unlinkat / dev AT_REMOVEDIR", "unlinkat / init",
                          "unlinkat /lib/modules/6.1.0/kernel md.ko",
                          "unlinkat /lib/modules/6.1.0 kernel AT_REMOVEDIR",
                          "unlinkat /lib/modules/6.1.0 modules.dep",
                          "unlinkat /lib/modules 6.1.0 AT_REMOVEDIR",
                          "unlinkat /lib modules AT_REMOVEDIR", "unlinkat / lib AT_REMOVEDIR",
                          "unlinkat / proc AT_REMOVEDIR", "unlinkat / root AT_REMOVEDIR",
                          "unlinkat / run AT_REMOVEDIR", "unlinkat / sys AT_REMOVEDIR"));
  EXPECT_EQ(report.removed, 12);
  EXPECT_EQ(report.skipped_other_device, 0);
  EXPECT_FALSE(report.fell_back);
  EXPECT_THAT(report.warnings, IsEmpty());
  ASSERT_EQ(report.steps.size(), plan->steps.size());
  for (const SwitchReport::Done& done : report.steps) {
    EXPECT_TRUE(done.status.ok()) << done.step;
    EXPECT_EQ(done.took, absl::Milliseconds(1)) << done.step;
  }
  EXPECT_EQ(report.steps[2].step, "move-mount /dev /root/dev");

  // The real root is "/" now, with the API mounts below it (the emptied
  // rootfs stays underneath, as the kernel keeps it).
  EXPECT_EQ(k.root(), "/");
  EXPECT_EQ(k.cwd(), "/");
  EXPECT_THAT(Targets(k), ElementsAre("rootfs /", "ext4 /", "devtmpfs /dev", "devpts /dev/pts",
                                      "proc /proc", "sysfs /sys", "tmpfs /run"));
  std::vector<sys::MountEntry> mounts = *k.Mounts();
  for (const sys::MountEntry& m : mounts) EXPECT_FALSE(m.shared) << m.target;
  absl::StatusOr<std::string> init = k.ReadFile("/sbin/init");
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(*init, "real init");
  EXPECT_THAT(*k.ListDirFd(old_root->get()), IsEmpty());
}

TEST(ExecuteSwitchTest, PivotPlanPivotsAndDetachesOldRoot) {
  sys::FakeKernel k;
  Seed(k, "ext4");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  SwitchReport report;
  StepClock clock;
  absl::Status status = ExecuteSwitch(k, *plan, clock.fn(), &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(k.calls(),
              ElementsAre("mount - / MS_REC|MS_PRIVATE", "mount /dev /root/dev MS_MOVE",
                          "mount /proc /root/proc MS_MOVE", "mount /sys /root/sys MS_MOVE",
                          "mount /run /root/run MS_MOVE", "chdir /root", "pivot_root . .",
                          "umount . MNT_DETACH", "chdir /"));
  EXPECT_FALSE(report.fell_back);
  EXPECT_THAT(report.warnings, IsEmpty());
  EXPECT_THAT(Targets(k), ElementsAre("ext4 /", "devtmpfs /dev", "devpts /dev/pts", "proc /proc",
                                      "sysfs /sys", "tmpfs /run"));
  EXPECT_EQ(*k.ReadFile("/sbin/init"), "real init");
}

TEST(ExecuteSwitchTest, PivotRootEinvalFallsBackToMoveAndChroot) {
  sys::FakeKernel k;
  Seed(k, "ext4");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok()) << plan.status();
  k.FailNext("pivot_root", EINVAL);
  SwitchReport report;
  StepClock clock;
  absl::Status status = ExecuteSwitch(k, *plan, clock.fn(), &report);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(k.calls(),
              ElementsAre("mount - / MS_REC|MS_PRIVATE", "mount /dev /root/dev MS_MOVE",
                          "mount /proc /root/proc MS_MOVE", "mount /sys /root/sys MS_MOVE",
                          "mount /run /root/run MS_MOVE", "chdir /root", "pivot_root . . -> EINVAL",
                          "mount . / MS_MOVE", "chroot .", "chdir /"));
  EXPECT_TRUE(report.fell_back);
  ASSERT_EQ(report.warnings.size(), 2u);
  EXPECT_THAT(report.warnings[0], HasSubstr("falling back to MS_MOVE"));
  // This old root is ext4, not an initramfs: it is left alone.
  EXPECT_THAT(report.warnings[1], HasSubstr("not tmpfs/ramfs"));
  std::vector<std::string> steps;
  for (const auto& done : report.steps) steps.push_back(done.step);
  EXPECT_THAT(steps, ElementsAre("make-private /", "open-old-root /", "move-mount /dev /root/dev",
                                 "move-mount /proc /root/proc", "move-mount /sys /root/sys",
                                 "move-mount /run /root/run", "chdir /root", "pivot-root . .",
                                 "move-mount-root . /", "chroot .", "chdir /", "clean-old-root in-background"));
  EXPECT_FALSE(report.steps[7].status.ok());
  EXPECT_EQ(*k.ReadFile("/sbin/init"), "real init");
}

TEST(ExecuteSwitchTest, OtherPivotRootErrorsStopTheSwitch) {
  sys::FakeKernel k;
  Seed(k, "ext4");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok());
  k.FailNext("pivot_root", EPERM);
  SwitchReport report;
  StepClock clock;
  EXPECT_EQ(ExecuteSwitch(k, *plan, clock.fn(), &report).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(report.fell_back);
  EXPECT_EQ(report.steps.back().step, "pivot-root . .");
}

TEST(ExecuteSwitchTest, FailedMoveStopsTheSwitch) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok());
  k.FailNextOn("mount", "/root/proc", EBUSY);
  SwitchReport report;
  StepClock clock;
  absl::Status status = ExecuteSwitch(k, *plan, clock.fn(), &report);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("/root/proc"));
  EXPECT_EQ(k.calls().back(), "mount /proc /root/proc MS_MOVE -> EBUSY");
  EXPECT_EQ(report.steps.back().step, "move-mount /proc /root/proc");
  EXPECT_EQ(k.root(), "/");
}

TEST(ExecuteSwitchTest, FailedDetachIsAWarning) {
  sys::FakeKernel k;
  Seed(k, "rootfs", /*with_run_on_new_root=*/false);
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok());
  k.FailNextOn("umount", "/run", EBUSY);
  SwitchReport report;
  StepClock clock;
  ASSERT_TRUE(ExecuteSwitch(k, *plan, clock.fn(), &report).ok());
  EXPECT_THAT(report.warnings, ::testing::Contains(HasSubstr("detach-mount /run")));
}

// --- clean-old-root
// ------------------------------------------------------------

TEST(CleanOldRootTest, NeverCrossesIntoAnotherDevice) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  // Something still mounted on the old rootfs: its files must survive.
  ASSERT_TRUE(k.MkdirAll("/keys").ok());
  ASSERT_TRUE(k.WriteFile("/keys/disk.key", "secret").ok());
  k.SetFilesystem("/keys", 99, kTmpfsMagic);
  k.ClearCalls();
  absl::StatusOr<sys::UniqueFd> old_root = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(old_root.ok());
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok());
  SwitchReport report;
  StepClock clock;
  ASSERT_TRUE(ExecuteSwitch(k, *plan, clock.fn(), &report).ok());
  EXPECT_EQ(report.skipped_other_device, 1);
  EXPECT_THAT(report.warnings, ElementsAre("clean-old-root: left /keys alone: another filesystem"));
  EXPECT_THAT(*k.ListDirFd(old_root->get()), ElementsAre("keys"));
  EXPECT_TRUE(k.StatAt(old_root->get(), "keys/disk.key").ok());
  for (const std::string& call : k.calls()) EXPECT_THAT(call, ::testing::Not(HasSubstr("keys")));
}

TEST(CleanOldRootTest, RefusesWhenNotPid1) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<sys::UniqueFd> fd = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd.ok());
  SwitchReport report;
  CleanOldRootFd(k, fd->get(), /*pid1=*/false, /*new_root_dev=*/1234, &report);
  EXPECT_THAT(report.warnings, ElementsAre("clean-old-root: not PID 1; old root left alone"));
  EXPECT_THAT(k.calls(), IsEmpty());
  EXPECT_TRUE(k.Stat("/init").ok());
}

TEST(CleanOldRootTest, RefusesWhenNotTmpfsOrRamfs) {
  sys::FakeKernel k;
  Seed(k, "ext4");
  absl::StatusOr<sys::UniqueFd> fd = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd.ok());
  SwitchReport report;
  CleanOldRootFd(k, fd->get(), /*pid1=*/true, /*new_root_dev=*/1234, &report);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("old root is not tmpfs/ramfs"));
  EXPECT_THAT(k.calls(), IsEmpty());
  EXPECT_TRUE(k.Stat("/init").ok());
}

TEST(CleanOldRootTest, RefusesWhenOnTheNewRootsDevice) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<sys::UniqueFd> fd = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd.ok());
  const uint64_t dev = k.StatFd(fd->get())->dev;
  SwitchReport report;
  CleanOldRootFd(k, fd->get(), /*pid1=*/true, dev, &report);
  EXPECT_THAT(report.warnings,
              ElementsAre("clean-old-root: old root is on the device of the new root; left "
                          "alone"));
  EXPECT_THAT(k.calls(), IsEmpty());
}

TEST(CleanOldRootTest, DeletionErrorsAreWarnings) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<sys::UniqueFd> fd = k.Open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(fd.ok());
  k.FailNextOn("unlinkat", "init", EPERM);
  SwitchReport report;
  CleanOldRootFd(k, fd->get(), /*pid1=*/true, /*new_root_dev=*/1234, &report);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("unlinkat / init"));
  EXPECT_THAT(*k.ListDirFd(fd->get()), ::testing::Contains("init"));
  EXPECT_GT(report.removed, 0);
}

TEST(FormatStepTest, EveryKind) {
  EXPECT_EQ(FormatStep(MakePrivate{"/"}), "make-private /");
  EXPECT_EQ(FormatStep(OpenOldRoot{"/"}), "open-old-root /");
  EXPECT_EQ(FormatStep(MoveMount{"/dev", "/root/dev"}), "move-mount /dev /root/dev");
  EXPECT_EQ(FormatStep(DetachMount{"/run", ""}), "detach-mount /run");
  EXPECT_EQ(FormatStep(Chdir{"/root"}), "chdir /root");
  EXPECT_EQ(FormatStep(PivotRoot{".", "."}), "pivot-root . .");
  EXPECT_EQ(FormatStep(Umount{".", MNT_DETACH}), "umount . MNT_DETACH");
  EXPECT_EQ(FormatStep(Umount{"/x", MNT_FORCE}), "umount /x 0x1");
  EXPECT_EQ(FormatStep(MoveMountRoot{".", "/"}), "move-mount-root . /");
  EXPECT_EQ(FormatStep(Chroot{"."}), "chroot .");
  EXPECT_EQ(FormatStep(CleanOldRoot{}), "clean-old-root");
  EXPECT_EQ(FormatStep(CleanOldRoot{true}), "clean-old-root in-background");
}

// A kernel whose idle child never runs: what PID 1 itself does before the
// exec when the old root is emptied in the background.
class NoChildKernel : public sys::FakeKernel {
 public:
  absl::StatusOr<pid_t> RunInIdleChild(const std::function<int()>& body) override {
    ++children;
    return 4242;
  }
  int children = 0;
};

TEST(CleanOldRootTest, InBackgroundLeavesTheDeletingToTheChild) {
  NoChildKernel k;
  Seed(k, "rootfs");
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, SwitchOptions{});
  ASSERT_TRUE(plan.ok());
  SwitchReport report;
  StepClock clock;
  ASSERT_TRUE(ExecuteSwitch(k, *plan, clock.fn(), &report).ok());
  EXPECT_EQ(k.children, 1);
  EXPECT_EQ(report.cleaner_pid, 4242);
  EXPECT_EQ(report.removed, 0);
  EXPECT_THAT(k.calls(), ::testing::Each(::testing::Not(HasSubstr("unlinkat"))));
}

TEST(CleanOldRootTest, InBackgroundRefusalsAreThePid1s) {
  NoChildKernel k;
  Seed(k, "ext4");  // the old root is no tmpfs: no child at all
  SwitchOptions options;
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, options);
  ASSERT_TRUE(plan.ok());
  SwitchPlan forced = *plan;
  forced.steps = {OpenOldRoot{"/"}, CleanOldRoot{true}};
  SwitchReport report;
  StepClock clock;
  ASSERT_TRUE(ExecuteSwitch(k, forced, clock.fn(), &report).ok());
  EXPECT_EQ(k.children, 0);
  EXPECT_EQ(report.cleaner_pid, 0);
  EXPECT_THAT(report.warnings, ::testing::Contains(HasSubstr("not tmpfs/ramfs")));
}

TEST(PlanSwitchTest, CleaningBeforeTheExecOnRequest) {
  sys::FakeKernel k;
  Seed(k, "rootfs");
  SwitchOptions options;
  options.clean_in_background = false;
  absl::StatusOr<SwitchPlan> plan = PlanSwitch(k, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(FormatStep(plan->steps.back()), "clean-old-root");
}

}  // namespace
}  // namespace baton::supervisor
