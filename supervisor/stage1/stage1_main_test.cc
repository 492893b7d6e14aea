#include "supervisor/stage1/stage1_main.h"

#include <elf.h>
#include <signal.h>

#include <errno.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handoff/codec.h"
#include "handoff/collect.h"
#include "handoff/memfd.h"
#include "jobs/job.h"
#include "supervisor/make_elf_for_test.h"
#include "sys/fake_block_prober.h"
#include "sys/fake_kernel.h"
#include "sys/fake_module_loader.h"

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

class FixedClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return absl::UnixEpoch() + absl::Seconds(3); }
};

class Runner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec&) override { return 300; }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }
};

// An initramfs (ramfs "/") with the API mounts and the real root at /root.
class SwitchAndExecTest : public ::testing::Test {
 protected:
  SwitchAndExecTest()
      : ring_(kernel_, clock_, clock_.Now(), supervisor::LogRing::Options()),
        bridge_(kernel_, modules_, prober_, [](std::string, supervisor::Env) {}) {
    kernel_.AddMount({"devtmpfs", "/dev", "devtmpfs", "rw,nosuid", true});
    kernel_.AddMount({"proc", "/proc", "proc", "rw,nosuid,nodev,noexec", true});
    kernel_.AddMount({"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec", true});
    kernel_.AddMount({"tmpfs", "/run", "tmpfs", "rw,nosuid,nodev,mode=0755", true});
    kernel_.AddMount({"/dev/vda", "/root", "ext4", "ro", true});
    for (const char* dir : {"/root/dev", "/root/proc", "/root/sys", "/root/run", "/root/sbin",
                            "/root/lib/systemd"}) {
      EXPECT_TRUE(kernel_.MkdirAll(dir).ok());
    }
    // Executable (the ladder checks); not ELF: the check leaves them to execve.
    EXPECT_TRUE(kernel_.WriteFile("/root/sbin/baton", "elf", 0755).ok());
    EXPECT_TRUE(kernel_.WriteFile("/root/lib/systemd/systemd", "elf", 0755).ok());

    auto job = std::make_unique<jobs::JobConfig>();
    job->name = "hold";
    job->exec.kind = jobs::Command::Kind::kExec;
    job->exec.text = "/bin/hold";
    engine_.AddJob(std::move(job));
    EXPECT_TRUE(engine_.Start("hold", {}).ok());
    engine_.RunQueue();

    timeline_.Mark("stage1-start");
    timeline_.Mark("root-device-ready");
    timeline_.Mark("root-mounted");
    absl::StatusOr<int> socket = bridge_.Start();
    EXPECT_TRUE(socket.ok());
    socket_ = socket.ok() ? *socket : -1;
    kernel_.ClearCalls();
    // The real root's baton answers its preflight (exec_ladder.h) unless a
    // test says otherwise.
    Preflight("baton preflight ok build=t handoff-reader=1-5 jobs=0 job-errors=0 handoff=ok\n",
              0, 0);
  }

  // The next preflight child writes OUTPUT, then exits with STATUS or dies
  // of SIGNAL.
  void Preflight(std::string output, int status, int signal) {
    kernel_.set_spawn_hook([this, output, status, signal](pid_t pid, const sys::SpawnRequest& r) {
      if (r.argv.size() < 2 || r.argv[1] != "--preflight") return;
      preflights_.push_back(r);
      paused_at_preflight_.push_back(bridge_.paused());
      // What it was shown: the handoff of its --handoff-fd=, decoded now.
      int fd = -1;
      if (r.argv.size() > 2 && absl::StartsWith(r.argv[2], "--handoff-fd=") &&
          absl::SimpleAtoi(r.argv[2].substr(13), &fd)) {
        absl::StatusOr<std::string> bytes = handoff::ReadHandoffFd(kernel_, fd);
        if (bytes.ok()) shown_.push_back(handoff::Decode(*bytes));
      }
      calls_at_preflight_.push_back(kernel_.calls());
      if (on_preflight_) on_preflight_();
      ASSERT_TRUE(kernel_.FinishChild(pid, r, output, status, signal).ok());
    });
  }

  // /root/lib/systemd/systemd as a dynamic ELF, with its loader.
  void SeedDynamicSystemd() {
    ASSERT_TRUE(kernel_.MkdirAll("/root/lib64").ok());
    supervisor::testing_elf::ElfSpec loader;
    loader.type = ET_DYN;
    ASSERT_TRUE(kernel_.WriteFile("/root/lib64/ld-linux-x86-64.so.2",
                                  supervisor::testing_elf::MakeElf(loader), 0755)
                    .ok());
    supervisor::testing_elf::ElfSpec dynamic;
    dynamic.interp = "/lib64/ld-linux-x86-64.so.2";
    ASSERT_TRUE(kernel_.WriteFile("/root/lib/systemd/systemd",
                                  supervisor::testing_elf::MakeElf(dynamic), 0755)
                    .ok());
  }

  SwitchContext Context(const std::string& init) {
    SwitchContext context;
    context.engine = &engine_;
    context.ring = &ring_;
    context.timeline = &timeline_;
    context.bridge = &bridge_;
    context.cmdline_raw = "root=/dev/vda ro init=" + init;
    context.boot = ParseCmdline(context.cmdline_raw);
    context.now = [] { return absl::UnixEpoch(); };
    return context;
  }

  Stage1Boot::SwitchRequest Request() {
    Stage1Boot::SwitchRequest request;
    request.new_root = "/root";
    return request;
  }

  sys::FakeKernel kernel_;
  FixedClock clock_;
  Runner runner_;
  supervisor::Engine engine_{runner_, clock_};
  supervisor::LogRing ring_;
  int64_t t_ = 0;
  handoff::BootTimeline timeline_{[this] {
    t_ += 1000;
    return handoff::BootTimeline::Reading{t_, 1700000000000000000 + t_};
  }};
  sys::FakeModuleLoader modules_;
  sys::FakeBlockProber prober_;
  supervisor::UeventBridge bridge_;
  int socket_ = -1;
  std::vector<sys::SpawnRequest> preflights_;
  std::vector<bool> paused_at_preflight_;
  std::vector<handoff::DecodeResult> shown_;
  std::vector<std::vector<std::string>> calls_at_preflight_;
  std::function<void()> on_preflight_;  // runs while the preflight child "runs"
  std::vector<std::string> log_;
  std::function<void(absl::string_view)> Log() {
    return [this](absl::string_view line) { log_.emplace_back(line); };
  }
};

TEST_F(SwitchAndExecTest, BatonGetsTheHandoffFd) {
  // Arrives during the move: queued and carried.
  kernel_.InjectUevent(std::string("add@/devices/virtual/block/loop7\0ACTION=add\0", 40));
  SwitchContext context = Context("/sbin/baton");
  ASSERT_TRUE(SwitchAndExec(kernel_, context, Request(), Log()).ok());
  EXPECT_TRUE(bridge_.paused());
  ASSERT_EQ(kernel_.execs().size(), 1u);
  const sys::FakeKernel::ExecCall& exec = kernel_.execs()[0];
  EXPECT_EQ(exec.path, "/sbin/baton");
  ASSERT_EQ(exec.argv.size(), 3u);
  ASSERT_TRUE(absl::StartsWith(exec.argv[1], "--handoff-fd="));
  int fd = -1;
  ASSERT_TRUE(absl::SimpleAtoi(exec.argv[1].substr(13), &fd));
  EXPECT_EQ(exec.argv[2], absl::StrCat("--handoff-fds=", socket_));
  EXPECT_FALSE(kernel_.IsCloexec(fd));
  EXPECT_FALSE(kernel_.IsCloexec(socket_));

  absl::StatusOr<std::string> bytes = handoff::ReadHandoffFd(kernel_, fd);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  handoff::DecodeResult d = handoff::Decode(*bytes);
  ASSERT_TRUE(d.ok()) << d.stateless_reason;
  ASSERT_EQ(d.handoff->instances_size(), 1);
  EXPECT_EQ(d.handoff->instances(0).job(), "hold");
  EXPECT_EQ(d.handoff->instances(0).pid(), 300);
  std::vector<std::string> marks;
  for (const handoff::Timestamp& t : d.handoff->timestamps()) marks.push_back(t.name());
  EXPECT_THAT(marks, ElementsAre("stage1-start", "root-device-ready", "root-mounted",
                                 "switch-planned", "preflight-done", "switch-start",
                                 "switch-checked", "root-switched", "exec"));
  ASSERT_EQ(d.handoff->uevents_size(), 1);
  EXPECT_TRUE(absl::StartsWith(d.handoff->uevents(0).datagram(), "add@/devices/virtual/block/loop7"));
  ASSERT_EQ(d.handoff->fds_size(), 1);
  EXPECT_EQ(d.handoff->fds(0).role(), handoff::kUeventSocketRole);
  EXPECT_EQ(d.handoff->cmdline().raw(), "root=/dev/vda ro init=/sbin/baton");
  EXPECT_FALSE(kernel_.Stat("/run/baton/handoff.pb").ok());
}

// The whole sequence, exactly: the preflight (chrooted into /root, with a
// provisional handoff) before the pause and before anything moves, then the
// plan executed, then the exec with the real handoff and no second preflight.
TEST_F(SwitchAndExecTest, BatonIsPreflightedBeforeThePauseWithAProvisionalHandoff) {
  // Waits in the socket during the preflight: not in the provisional
  // handoff, carried by the real one.
  kernel_.InjectUevent(std::string("add@/devices/virtual/block/loop7\0ACTION=add\0", 40));
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/sbin/baton"), Request(), Log()).ok());
  ASSERT_EQ(preflights_.size(), 1u);
  ASSERT_EQ(kernel_.execs().size(), 1u);
  const std::string real_fd = kernel_.execs()[0].argv[1];
  ASSERT_EQ(preflights_[0].argv.size(), 3u);
  EXPECT_EQ(preflights_[0].argv[0], "/sbin/baton");
  EXPECT_EQ(preflights_[0].argv[1], "--preflight");
  EXPECT_THAT(preflights_[0].argv[2], ::testing::StartsWith("--handoff-fd="));
  EXPECT_EQ(preflights_[0].root, "/root");
  EXPECT_FALSE(paused_at_preflight_[0]);
  EXPECT_TRUE(bridge_.paused());
  // Nothing had moved when it ran.
  EXPECT_THAT(calls_at_preflight_[0],
              ElementsAre("seal_memfd baton-handoff", ::testing::StartsWith("spawn /sbin/baton")));
  std::vector<std::string> after(kernel_.calls().begin() + calls_at_preflight_[0].size(),
                                 kernel_.calls().end());
  EXPECT_THAT(after, ElementsAre("mount - / MS_REC|MS_PRIVATE", "mount /dev /root/dev MS_MOVE",
                                 "mount /proc /root/proc MS_MOVE", "mount /sys /root/sys MS_MOVE",
                                 "mount /run /root/run MS_MOVE", "chdir /root",
                                 "mount . / MS_MOVE", "chroot .", "chdir /",
                                 "unlinkat / dev AT_REMOVEDIR", "unlinkat / proc AT_REMOVEDIR",
                                 "unlinkat / root AT_REMOVEDIR", "unlinkat / run AT_REMOVEDIR",
                                 "unlinkat / sys AT_REMOVEDIR", "seal_memfd baton-handoff",
                                 absl::StrCat("execve /sbin/baton ", real_fd, " --handoff-fds=",
                                              socket_)));
  // The provisional handoff: decodable, the same jobs, no uevents yet.
  ASSERT_EQ(shown_.size(), 1u);
  ASSERT_TRUE(shown_[0].ok()) << shown_[0].stateless_reason;
  ASSERT_EQ(shown_[0].handoff->instances_size(), 1);
  EXPECT_EQ(shown_[0].handoff->instances(0).job(), "hold");
  EXPECT_EQ(shown_[0].handoff->uevents_size(), 0);
  bool said = false;
  for (const std::string& line : log_) {
    said = said || (absl::StartsWith(line, "/sbin/baton preflight: baton preflight ok") &&
                    absl::EndsWith(line, "; before the switch"));
  }
  EXPECT_TRUE(said);
}

// PID 1's crash plan for the real root: read from /root and logged before
// the pause, installed after the chroot, before the handoff; nothing about
// it (nor the handoff's size) is logged inside the window.
TEST_F(SwitchAndExecTest, CrashPlanIsMadeBeforeThePauseAndInstalledAfterTheSwitch) {
  ASSERT_TRUE(kernel_.MkdirAll("/root/bin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/root/bin/sh", "elf", 0755).ok());
  SwitchContext context = Context("/sbin/baton");
  std::vector<sys::CrashPlan> installed;
  size_t calls_at_install = 0;
  size_t log_at_pause = 0;
  on_preflight_ = [this, &log_at_pause] { log_at_pause = log_.size(); };
  context.install_crash_plan = [&](const sys::CrashPlan& plan) {
    installed.push_back(plan);
    calls_at_install = kernel_.calls().size();
    return absl::OkStatus();
  };
  ASSERT_TRUE(SwitchAndExec(kernel_, context, Request(), Log()).ok());
  ASSERT_EQ(installed.size(), 1u);
  ASSERT_EQ(installed[0].execs.size(), 1u);  // /root/bin/sh; no /proc/self/exe: no init
  EXPECT_EQ(installed[0].execs[0].path, "/bin/sh");
  ASSERT_GE(calls_at_install, 1u);
  std::vector<std::string> before(kernel_.calls().begin(),
                                  kernel_.calls().begin() + calls_at_install);
  std::vector<std::string> after(kernel_.calls().begin() + calls_at_install,
                                 kernel_.calls().end());
  EXPECT_THAT(before, ::testing::Contains("chroot ."));
  EXPECT_THAT(after, ElementsAre("seal_memfd baton-handoff", ::testing::StartsWith("execve ")));
  // The log: the preflight's line, then the plan's, and nothing after.
  ASSERT_EQ(log_.size(), log_at_pause + 2);
  EXPECT_EQ(log_.back(),
            "crash handler (real root): PID 1 crash -> exec /bin/sh, then freeze; "
            "installed at the switch");
  EXPECT_TRUE(absl::StartsWith(log_[log_.size() - 2], "/sbin/baton preflight: "));
}

TEST_F(SwitchAndExecTest, CrashPlanNotInstalledIsSaid) {
  SwitchContext context = Context("/sbin/baton");
  context.install_crash_plan = [](const sys::CrashPlan&) {
    return absl::InternalError("sigaltstack: no");
  };
  ASSERT_TRUE(SwitchAndExec(kernel_, context, Request(), Log()).ok());
  EXPECT_THAT(log_, ::testing::Contains("crash handler not installed: sigaltstack: no"));
  EXPECT_EQ(kernel_.execs().size(), 1u);
}

TEST_F(SwitchAndExecTest, BatonDyingBeforeMainIsSkippedForSbinInit) {
  Preflight("", 0, SIGSEGV);
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/sbin/baton"), Request(), Log()).ok());
  ASSERT_EQ(preflights_.size(), 1u);  // before the switch; not again after it
  EXPECT_EQ(preflights_[0].root, "/root");
  ASSERT_EQ(kernel_.execs().size(), 1u);
  EXPECT_EQ(kernel_.execs()[0].path, "/sbin/init");
  bool said = false;
  for (const std::string& line : log_) {
    said = said || absl::StartsWith(line, "not executing /sbin/baton (baton with handoff): "
                                          "/sbin/baton preflight: killed by SIGSEGV before "
                                          "answering");
  }
  EXPECT_TRUE(said);
}

// A stage-1 task mounts on the new root while the preflight runs: the plan
// made before the pause is not the one executed.
TEST_F(SwitchAndExecTest, MountTableChangedDuringThePreflightIsPlannedAgain) {
  on_preflight_ = [this] { kernel_.AddMount({"tmpfs", "/root/run", "tmpfs", "rw", true}); };
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/sbin/baton"), Request(), Log()).ok());
  std::vector<std::string> after(kernel_.calls().begin() + calls_at_preflight_[0].size(),
                                 kernel_.calls().end());
  ASSERT_GE(after.size(), 5u);
  EXPECT_THAT(std::vector<std::string>(after.begin(), after.begin() + 5),
              ElementsAre("mount - / MS_REC|MS_PRIVATE", "mount /dev /root/dev MS_MOVE",
                          "mount /proc /root/proc MS_MOVE", "mount /sys /root/sys MS_MOVE",
                          "umount /run MNT_DETACH"));
  bool said = false;
  for (const std::string& line : log_) {
    said = said || absl::StartsWith(line,
                                    "the mount table changed after the switch was planned: "
                                    "re-planned (make-private /, open-old-root /, ");
  }
  EXPECT_TRUE(said);
}

TEST_F(SwitchAndExecTest, ForeignInitIsNotPreflighted) {
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/lib/systemd/systemd"), Request(), Log()).ok());
  EXPECT_THAT(preflights_, ::testing::IsEmpty());
  EXPECT_EQ(kernel_.execs().size(), 1u);
}

// A dynamic foreign init: its loader check runs before the pause, chrooted
// into the new root, and the ladder after the switch takes that verdict.
TEST_F(SwitchAndExecTest, ForeignDynamicInitIsLoaderCheckedBeforeThePause) {
  SeedDynamicSystemd();
  std::vector<sys::SpawnRequest> listed;
  std::vector<bool> paused;
  kernel_.set_spawn_hook([&](pid_t pid, const sys::SpawnRequest& r) {
    listed.push_back(r);
    paused.push_back(bridge_.paused());
    ASSERT_TRUE(kernel_.FinishChild(pid, r, "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6\n",
                                    0).ok());
  });
  SwitchContext context = Context("/lib/systemd/systemd");
  ASSERT_TRUE(SwitchAndExec(kernel_, context, Request(), Log()).ok());
  ASSERT_EQ(listed.size(), 1u);  // before the switch; not again after it
  EXPECT_THAT(listed[0].argv,
              ElementsAre("/lib64/ld-linux-x86-64.so.2", "--list", "/lib/systemd/systemd"));
  EXPECT_EQ(listed[0].root, "/root");
  EXPECT_FALSE(paused[0]);
  ASSERT_EQ(kernel_.execs().size(), 1u);
  EXPECT_EQ(kernel_.execs()[0].path, "/lib/systemd/systemd");
  bool said = false;
  for (const std::string& line : log_) {
    said = said || (absl::StartsWith(line, "/lib/systemd/systemd loader check: 1 objects found") &&
                    absl::EndsWith(line, "; before the switch"));
  }
  EXPECT_TRUE(said);
  EXPECT_NE(timeline_.Find("loader-checked"), nullptr);
}

// Refused before the pause: the rung is skipped after the switch with the
// loader's words, without a second check.
TEST_F(SwitchAndExecTest, ForeignInitMissingALibraryIsSkippedOnTheEarlyVerdict) {
  SeedDynamicSystemd();
  int spawns = 0;
  kernel_.set_spawn_hook([&](pid_t pid, const sys::SpawnRequest& r) {
    ++spawns;
    ASSERT_TRUE(kernel_.FinishChild(pid, r,
                                    "/lib/systemd/systemd: error while loading shared libraries: "
                                    "libsystemd-shared-252.so: cannot open shared object file\n",
                                    127).ok());
  });
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/lib/systemd/systemd"), Request(), Log()).ok());
  EXPECT_EQ(spawns, 1);
  ASSERT_EQ(kernel_.execs().size(), 1u);
  EXPECT_NE(kernel_.execs()[0].path, "/lib/systemd/systemd");
  bool said = false;
  for (const std::string& line : log_) {
    said = said || absl::StrContains(line, "/lib/systemd/systemd loader check: "
                                           "/lib/systemd/systemd: error while loading shared "
                                           "libraries: libsystemd-shared-252.so");
  }
  EXPECT_TRUE(said);
}

TEST_F(SwitchAndExecTest, UnpreparedHandoffGoesStateless) {
  // Both the provisional handoff's and the real one's.
  kernel_.FailNextOn("memfd_create", "", ENOSYS);
  kernel_.FailNextOn("memfd_create", "", ENOSYS);
  ASSERT_TRUE(SwitchAndExec(kernel_, Context("/sbin/baton"), Request(), Log()).ok());
  ASSERT_EQ(kernel_.execs().size(), 1u);
  ASSERT_EQ(kernel_.execs()[0].argv.size(), 2u);
  EXPECT_THAT(kernel_.execs()[0].argv[1],
              ::testing::StartsWith("--stateless-reason=stage 1 could not prepare the handoff"));
}

TEST_F(SwitchAndExecTest, ForeignSystemdGetsTheFileAndDeserialize) {
  SwitchContext context = Context("/lib/systemd/systemd");
  ASSERT_TRUE(SwitchAndExec(kernel_, context, Request(), Log()).ok());
  ASSERT_EQ(kernel_.execs().size(), 1u);
  const sys::FakeKernel::ExecCall& exec = kernel_.execs()[0];
  EXPECT_EQ(exec.path, "/lib/systemd/systemd");
  ASSERT_GE(exec.argv.size(), 4u);
  EXPECT_EQ(exec.argv[1], "--switched-root");
  EXPECT_EQ(exec.argv[2], "--system");
  EXPECT_TRUE(absl::StartsWith(exec.argv[3], "--deserialize=")) << exec.argv[3];
  absl::StatusOr<std::string> bytes = kernel_.ReadFile("/run/baton/handoff.pb");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  handoff::DecodeResult d = handoff::Decode(*bytes);
  ASSERT_TRUE(d.ok()) << d.stateless_reason;
  EXPECT_EQ(d.handoff->instances_size(), 1);
  EXPECT_EQ(d.handoff->fds_size(), 0);
  std::vector<std::string> marks;
  for (const handoff::Timestamp& t : d.handoff->timestamps()) marks.push_back(t.name());
  EXPECT_THAT(marks, ElementsAre("stage1-start", "root-device-ready", "root-mounted",
                                 "switch-planned", "switch-start", "switch-checked",
                                 "root-switched", "exec"));
}

}  // namespace
}  // namespace baton::stage1
