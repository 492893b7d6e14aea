#include "supervisor/shutdown.h"

#include <errno.h>
#include <signal.h>
#include <sys/reboot.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::supervisor {
namespace {

using Kind = FilesystemStep::Kind;

TEST(ShutdownSignalsTest, BusyboxMeaningsInSystemModeOnly) {
  EXPECT_EQ(ShutdownActionForSignal(SIGTERM, true), ShutdownAction::kReboot);
  EXPECT_EQ(ShutdownActionForSignal(SIGINT, true), ShutdownAction::kReboot);
  EXPECT_EQ(ShutdownActionForSignal(SIGUSR2, true), ShutdownAction::kPoweroff);
  EXPECT_EQ(ShutdownActionForSignal(SIGUSR1, true), ShutdownAction::kHalt);
  EXPECT_EQ(ShutdownActionForSignal(SIGHUP, true), std::nullopt);
  // User mode: stop the jobs and exit, no reboot; USR1/USR2 mean nothing.
  EXPECT_EQ(ShutdownActionForSignal(SIGTERM, false), ShutdownAction::kNone);
  EXPECT_EQ(ShutdownActionForSignal(SIGINT, false), ShutdownAction::kNone);
  EXPECT_EQ(ShutdownActionForSignal(SIGUSR1, false), std::nullopt);
  EXPECT_EQ(ShutdownActionForSignal(SIGUSR2, false), std::nullopt);
}

TEST(ShutdownSignalsTest, RebootCommands) {
  EXPECT_EQ(RebootCommand(ShutdownAction::kReboot), RB_AUTOBOOT);
  EXPECT_EQ(RebootCommand(ShutdownAction::kPoweroff), RB_POWER_OFF);
  EXPECT_EQ(RebootCommand(ShutdownAction::kHalt), RB_HALT_SYSTEM);
  EXPECT_STREQ(ShutdownActionName(ShutdownAction::kPoweroff), "poweroff");
}

TEST(IsApiFilesystemTest, TheFourTreesAndNothingElse) {
  for (const char* api : {"/proc", "/sys", "/dev", "/run", "/dev/pts", "/sys/fs/cgroup",
                          "/proc/sys/fs/binfmt_misc", "/run/user/1000"}) {
    EXPECT_TRUE(IsApiFilesystem(api)) << api;
  }
  for (const char* not_api : {"/", "/home", "/devices", "/running", "/var/run", "/srv/proc"}) {
    EXPECT_FALSE(IsApiFilesystem(not_api)) << not_api;
  }
}

std::vector<sys::MountEntry> TypicalMounts() {
  return {
      {"/dev/vda2", "/", "ext4", "rw,relatime"},
      {"proc", "/proc", "proc", "rw"},
      {"sysfs", "/sys", "sysfs", "rw"},
      {"devtmpfs", "/dev", "devtmpfs", "rw"},
      {"devpts", "/dev/pts", "devpts", "rw"},
      {"tmpfs", "/run", "tmpfs", "rw"},
      {"/dev/vda1", "/boot", "ext4", "rw"},
      {"/dev/vdb1", "/home", "ext4", "rw"},
      {"/dev/vdb2", "/home/data", "xfs", "rw"},
      {"tmpfs", "/run/user/0", "tmpfs", "rw"},
      {"/dev/vdc", "/var", "ext4", "rw"},
  };
}

TEST(PlanFilesystemsTest, ReverseMountOrderWithoutRootAndApiFilesystems) {
  std::vector<FilesystemStep> plan = PlanFilesystems({"/dev/vda3"}, TypicalMounts());
  std::vector<FilesystemStep> want = {
      {Kind::kSync, ""},          {Kind::kSwapoff, "/dev/vda3"},
      {Kind::kUnmount, "/var"},   {Kind::kUnmount, "/home/data"},
      {Kind::kUnmount, "/home"},  {Kind::kUnmount, "/boot"},
      {Kind::kRemountRootReadOnly, "/"},
      {Kind::kSync, ""},
  };
  EXPECT_EQ(plan, want);
  // Nothing but / and the API filesystems: sync, remount, sync.
  plan = PlanFilesystems({}, {{"/dev/vda2", "/", "ext4", "rw"}, {"proc", "/proc", "proc", "rw"}});
  EXPECT_EQ(plan, (std::vector<FilesystemStep>{
                      {Kind::kSync, ""}, {Kind::kRemountRootReadOnly, "/"}, {Kind::kSync, ""}}));
}

class FilesystemsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const sys::MountEntry& m : TypicalMounts()) kernel_.AddMount(m);
    ASSERT_TRUE(kernel_.WriteFile("/proc/swaps",
                                  "Filename Type Size Used Priority\n"
                                  "/dev/vda3 partition 1048572 0 -2\n")
                    .ok());
    kernel_.ClearCalls();
  }
  std::function<void(absl::string_view)> Log() {
    return [this](absl::string_view line) { log_.emplace_back(line); };
  }
  std::vector<std::string> Targets() {
    std::vector<std::string> targets;
    auto mounts = kernel_.Mounts();
    EXPECT_TRUE(mounts.ok());
    for (const sys::MountEntry& m : *mounts) targets.push_back(m.target);
    return targets;
  }
  std::string RootOptions() {
    auto mounts = kernel_.Mounts();
    if (!mounts.ok()) return "";
    for (const sys::MountEntry& m : *mounts) {
      if (m.target == "/") return m.options;
    }
    return "";
  }
  sys::FakeKernel kernel_;
  std::vector<std::string> log_;
};

TEST_F(FilesystemsTest, UnmountsInReverseOrderAndRemountsRootReadOnly) {
  FilesystemResult result = TakeDownFilesystems(kernel_, Log());
  EXPECT_EQ(kernel_.calls(), (std::vector<std::string>{
                                 "sync",
                                 "swapoff /dev/vda3",
                                 "umount /var",
                                 "umount /home/data",
                                 "umount /home",
                                 "umount /boot",
                                 "mount - / MS_RDONLY|MS_REMOUNT",
                                 "sync",
                             }));
  EXPECT_EQ(result.failures, 0u);
  EXPECT_TRUE(result.detached.empty());
  EXPECT_TRUE(result.root_read_only);
  EXPECT_EQ(Targets(), (std::vector<std::string>{"/", "/proc", "/sys", "/dev", "/dev/pts", "/run",
                                                 "/run/user/0"}));
  EXPECT_EQ(RootOptions().substr(0, 2), "ro");
  EXPECT_EQ(log_.back(), "syncing filesystems");
  EXPECT_NE(std::find(log_.begin(), log_.end(), "remounted / read-only"), log_.end());
}

TEST_F(FilesystemsTest, AFailedStepDoesNotStopTheRest) {
  kernel_.FailNext("sync", EIO);
  kernel_.FailNextOn("swapoff", "/dev/vda3", ENOMEM);
  // /home is busy twice: remounted read-only, then detached.
  kernel_.FailNextOn("umount", "/home", EBUSY);
  kernel_.FailNextOn("umount", "/home", EBUSY);
  // /boot is busy once: the second try takes it.
  kernel_.FailNextOn("umount", "/boot", EBUSY);
  FilesystemResult result = TakeDownFilesystems(kernel_, Log());
  EXPECT_EQ(kernel_.calls(), (std::vector<std::string>{
                                 "sync -> EIO",
                                 "swapoff /dev/vda3 -> ENOMEM",
                                 "umount /var",
                                 "umount /home/data",
                                 "umount /home -> EBUSY",
                                 "umount /boot -> EBUSY",
                                 "umount /home -> EBUSY",
                                 "mount - /home MS_RDONLY|MS_REMOUNT",
                                 "umount /home MNT_DETACH",
                                 "umount /boot",
                                 "mount - / MS_RDONLY|MS_REMOUNT",
                                 "sync",
                             }));
  EXPECT_EQ(result.failures, 2u);  // sync and swapoff; /home went, lazily
  EXPECT_EQ(result.detached, std::vector<std::string>{"/home"});
  EXPECT_TRUE(result.root_read_only);
  bool said_detach = false;
  for (const std::string& line : log_) {
    if (line.find("/home") != std::string::npos && line.find("MNT_DETACH") != std::string::npos) {
      said_detach = true;
    }
  }
  EXPECT_TRUE(said_detach);
}

TEST_F(FilesystemsTest, RootThatWillNotGoReadOnlyIsReportedAndSyncStillRuns) {
  kernel_.FailNextOn("mount", "/", EBUSY);
  FilesystemResult result = TakeDownFilesystems(kernel_, Log());
  EXPECT_FALSE(result.root_read_only);
  EXPECT_EQ(result.failures, 1u);
  EXPECT_EQ(kernel_.calls().back(), "sync");
  EXPECT_EQ(RootOptions().substr(0, 2), "rw");
}

TEST_F(FilesystemsTest, UnreadableSwapsAndMountsStillRemountAndSync) {
  ASSERT_TRUE(kernel_.Unlink("/proc/swaps").ok());
  kernel_.FailNext("mounts", EACCES);
  kernel_.ClearCalls();
  FilesystemResult result = TakeDownFilesystems(kernel_, Log());
  EXPECT_EQ(kernel_.calls(),
            (std::vector<std::string>{"sync", "mount - / MS_RDONLY|MS_REMOUNT", "sync"}));
  EXPECT_TRUE(result.root_read_only);
}

// --- killing what is left ---------------------------------------------------------

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_.set_pid(1);
    // A kernel thread (empty cmdline) and PID 1 itself are never waited for.
    for (const char* dir : {"/proc/1", "/proc/2", "/proc/self"}) {
      ASSERT_TRUE(kernel_.MkdirAll(dir).ok());
    }
    ASSERT_TRUE(kernel_.WriteFile("/proc/1/cmdline", "/sbin/init").ok());
    ASSERT_TRUE(kernel_.WriteFile("/proc/2/cmdline", "").ok());
    ASSERT_TRUE(kernel_.WriteFile("/proc/self/cmdline", "/sbin/init").ok());
    kernel_.ClearCalls();
  }
  // A user-space process: a live child of the fake, shown in /proc.
  pid_t Start() {
    sys::SpawnRequest request;
    request.argv = {"/bin/sleep", "100"};
    auto pid = kernel_.Spawn(request);
    EXPECT_TRUE(pid.ok());
    EXPECT_TRUE(kernel_.MkdirAll(absl::StrCat("/proc/", *pid)).ok());
    EXPECT_TRUE(kernel_.WriteFile(absl::StrCat("/proc/", *pid, "/cmdline"),
                                  std::string("/bin/sleep\0" "100", 14))
                    .ok());
    alive_.insert(*pid);
    return *pid;
  }
  void Die(pid_t pid, int sig) {
    (void)kernel_.Unlink(absl::StrCat("/proc/", pid, "/cmdline"));
    (void)kernel_.Rmdir(absl::StrCat("/proc/", pid));
    kernel_.KillBySignal(pid, sig);
    alive_.erase(pid);
  }
  ShutdownHooks Hooks() {
    ShutdownHooks hooks;
    hooks.now = [this] { return now_; };
    // One wait: time passes, and processes die the way the test says.
    hooks.wait = [this](absl::Duration d) {
      EXPECT_GT(d, absl::ZeroDuration());
      now_ += d;
      ++waits_;
      if (kernel_.kills().empty()) return;
      int last = kernel_.kills().back().second;
      for (pid_t pid : std::set<pid_t>(alive_)) {
        if (stuck_.count(pid)) continue;
        if (last == SIGKILL || !ignores_term_.count(pid)) Die(pid, last);
      }
    };
    hooks.log = [this](absl::string_view line) { log_.emplace_back(line); };
    return hooks;
  }

  sys::FakeKernel kernel_;
  absl::Time now_ = absl::UnixEpoch();
  std::set<pid_t> alive_, ignores_term_, stuck_;
  int waits_ = 0;
  std::vector<std::string> log_;
};

TEST_F(KillTest, RemainingProcessesSkipsPid1KernelThreadsAndNonPids) {
  pid_t a = Start();
  pid_t b = Start();
  EXPECT_EQ(RemainingProcesses(kernel_, 1), (std::vector<pid_t>{a, b}));
  EXPECT_EQ(RemainingProcesses(kernel_, a), (std::vector<pid_t>{b}));  // SELF is skipped too
}

TEST_F(KillTest, TermIsEnoughWhenEveryoneLeaves) {
  Start();
  Start();
  KillResult result = KillRemainingProcesses(kernel_, KillOptions(), Hooks());
  EXPECT_EQ(kernel_.kills(), (std::vector<std::pair<pid_t, int>>{{-1, SIGTERM}}));
  EXPECT_EQ(result.after_term, 0u);
  EXPECT_EQ(waits_, 1);
  EXPECT_LE(now_ - absl::UnixEpoch(), KillOptions().poll);
  EXPECT_EQ(log_.back(), "all processes exited");
}

TEST_F(KillTest, KillAfterTheTermBoundForThoseThatStay) {
  Start();
  pid_t stubborn = Start();
  ignores_term_.insert(stubborn);
  KillOptions options;
  KillResult result = KillRemainingProcesses(kernel_, options, Hooks());
  EXPECT_EQ(kernel_.kills(),
            (std::vector<std::pair<pid_t, int>>{{-1, SIGTERM}, {-1, SIGKILL}}));
  EXPECT_EQ(result.after_term, 1u);
  EXPECT_EQ(result.after_kill, 0u);
  // The whole term bound was waited, then one poll after SIGKILL.
  EXPECT_EQ(now_ - absl::UnixEpoch(), options.term_wait + options.poll);
  EXPECT_TRUE(alive_.empty());
}

TEST_F(KillTest, AProcessThatNeverDiesCostsBothBoundsAndNoMore) {
  pid_t stuck = Start();
  stuck_.insert(stuck);
  KillOptions options;
  KillResult result = KillRemainingProcesses(kernel_, options, Hooks());
  EXPECT_EQ(result.after_term, 1u);
  EXPECT_EQ(result.after_kill, 1u);
  EXPECT_EQ(now_ - absl::UnixEpoch(), options.term_wait + options.kill_wait);
  EXPECT_NE(log_.back().find(absl::StrCat(stuck)), std::string::npos) << log_.back();
}

TEST_F(KillTest, NothingLeftSendsTermOnlyAndDoesNotWait) {
  KillResult result = KillRemainingProcesses(kernel_, KillOptions(), Hooks());
  EXPECT_EQ(result.after_term, 0u);
  EXPECT_EQ(waits_, 0);
  EXPECT_EQ(kernel_.calls(), (std::vector<std::string>{"kill -1 15 -> ESRCH"}));
}

// --- the whole of c, d and e ------------------------------------------------------

TEST_F(KillTest, FinishShutdownPowersOffAfterKillingAndUnmounting) {
  for (const sys::MountEntry& m : TypicalMounts()) kernel_.AddMount(m);
  Start();
  kernel_.ClearCalls();
  absl::Status done =
      FinishShutdown(kernel_, ShutdownAction::kPoweroff, KillOptions(), Hooks());
  EXPECT_TRUE(done.ok()) << done;  // a fake reboot(2) returns
  EXPECT_EQ(kernel_.reboots(), std::vector<int>{RB_POWER_OFF});
  std::vector<std::string> calls = kernel_.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front(), "kill -1 15");
  EXPECT_EQ(calls.back(), absl::StrFormat("reboot 0x%x", static_cast<unsigned>(RB_POWER_OFF)));
  EXPECT_EQ(calls[calls.size() - 2], "sync");
  EXPECT_EQ(calls[calls.size() - 3], "mount - / MS_RDONLY|MS_REMOUNT");
  EXPECT_EQ(log_.back(), "powering off");
}

TEST_F(KillTest, RebootFailureIsReturnedNotFatal) {
  kernel_.FailNext("reboot", EPERM);
  absl::Status done = FinishShutdown(kernel_, ShutdownAction::kReboot, KillOptions(), Hooks());
  EXPECT_FALSE(done.ok());
  EXPECT_TRUE(kernel_.reboots().empty());
  EXPECT_NE(log_.back().find("rebooting failed"), std::string::npos) << log_.back();
  EXPECT_NE(log_.back().find("PID 1 goes on"), std::string::npos) << log_.back();
  // Every step before it still ran.
  EXPECT_NE(std::find(kernel_.calls().begin(), kernel_.calls().end(),
                      "mount - / MS_RDONLY|MS_REMOUNT"),
            kernel_.calls().end());
  EXPECT_FALSE(FinishShutdown(kernel_, ShutdownAction::kNone, KillOptions(), Hooks()).ok());
}

TEST_F(KillTest, PoweroffFailureInTheChildIsReturnedNotFatal) {
  kernel_.FailNext("reboot", EINVAL);  // the fake runs the child's body here
  absl::Status done = FinishShutdown(kernel_, ShutdownAction::kPoweroff, KillOptions(), Hooks());
  EXPECT_FALSE(done.ok());
  EXPECT_NE(log_.back().find("powering off failed"), std::string::npos) << log_.back();
}

// A kernel whose idle child is a real, separate process: PID 1 only sees it in /proc.
class ForkingFakeKernel : public sys::FakeKernel {
 public:
  absl::StatusOr<pid_t> RunInIdleChild(const std::function<int()>& body) override {
    ++forks;
    EXPECT_TRUE(MkdirAll("/proc/4242").ok());
    EXPECT_TRUE(WriteFile("/proc/4242/cmdline", "/sbin/init").ok());
    return 4242;
  }
  int forks = 0;
};

TEST(RebootNowTest, HaltRunsInAChildAndPid1WaitsForItBounded) {
  ForkingFakeKernel kernel;
  absl::Time now = absl::UnixEpoch();
  std::vector<std::string> log;
  ShutdownHooks hooks;
  hooks.now = [&now] { return now; };
  hooks.wait = [&now](absl::Duration d) { now += d; };  // the child never exits
  hooks.log = [&log](absl::string_view line) { log.emplace_back(line); };
  absl::Status done = RebootNow(kernel, ShutdownAction::kHalt, hooks);
  EXPECT_FALSE(done.ok());
  EXPECT_EQ(kernel.forks, 1);
  EXPECT_TRUE(kernel.reboots().empty());  // PID 1 itself never called it
  EXPECT_EQ(now - absl::UnixEpoch(), kRebootChildWait);
  EXPECT_NE(log.back().find("halting failed"), std::string::npos) << log.back();

  // The child exits at once (its /proc entry goes): no wait at all.
  now = absl::UnixEpoch();
  hooks.wait = [&](absl::Duration d) {
    now += d;
    (void)kernel.Unlink("/proc/4242/cmdline");
  };
  EXPECT_FALSE(RebootNow(kernel, ShutdownAction::kPoweroff, hooks).ok());
  EXPECT_LE(now - absl::UnixEpoch(), absl::Milliseconds(50));
  // A reboot is called from PID 1 itself: it returns when it fails.
  EXPECT_TRUE(RebootNow(kernel, ShutdownAction::kReboot, hooks).ok());
  EXPECT_EQ(kernel.reboots(), std::vector<int>{RB_AUTOBOOT});
  EXPECT_EQ(kernel.forks, 2);
}

}  // namespace
}  // namespace baton::supervisor
