#include "supervisor/stage1/boot.h"

#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/parser.h"
#include "supervisor/stage2/udev.h"
#include "supervisor/uevent_testing.h"
#include "sys/fake_block_prober.h"
#include "sys/fake_kernel.h"
#include "sys/fake_module_loader.h"

namespace baton::stage1 {
namespace {

using ::testing::_;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

class FakeClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::UnixEpoch() + absl::Seconds(100);
};

class FakeRunner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    started.push_back(spec.job->name);
    return next_pid++;
  }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }
  std::vector<std::string> started;
  pid_t next_pid = 5000;
};

std::string Datagram(const std::string& name, int minor, int seq) {
  std::string devpath = "/devices/virtual/block/" + name;
  std::string d;
  for (const std::string& part :
       {"add@" + devpath, std::string("ACTION=add"), "DEVPATH=" + devpath,
        std::string("SUBSYSTEM=block"), "DEVNAME=" + name, std::string("DEVTYPE=disk"),
        std::string("MAJOR=254"), "MINOR=" + std::to_string(minor),
        "SEQNUM=" + std::to_string(seq)}) {
    d += part;
    d.push_back('\0');
  }
  return d;
}

const char kUuid[] = "0b1e7c4a-5d2f-4b8e-9a61-3c7d2e8f9a10";
const char kPartUuid[] = "aaaaaaaa-0000-0000-0000-000000000001";

class Stage1BootTest : public ::testing::Test {
 protected:
  Stage1BootTest() : engine_(runner_, clock_) {
    EXPECT_TRUE(kernel_.MkdirAll("/dev").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/devices").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/block").ok());
    kernel_.AddTerminal("/dev/console", "");
  }

  void Boot(const std::string& cmdline, bool follow_udevd = false) {
    Stage1Boot::Options options;
    options.boot = ParseCmdline(cmdline);
    options.start = clock_.now;
    options.follow_udevd = follow_udevd;
    options.mark = [this](absl::string_view name) { marks_.emplace_back(name); };
    boot_ = std::make_unique<Stage1Boot>(
        kernel_, engine_, clock_, modules_, prober_, options,
        [this](absl::string_view line) { log_.emplace_back(line); },
        [this](const Stage1Boot::SwitchRequest& request) {
          switched_to_.push_back(request.root.devname);
          return switch_result_;
        });
    ASSERT_TRUE(boot_->Start().ok());
    boot_->Begin();
  }

  // Following udevd: boots, and returns the udevd process the boot started.
  pid_t BootFollowingUdevd(const std::string& cmdline) {
    Boot(cmdline, /*follow_udevd=*/true);
    boot_->AfterWakeup();
    std::optional<supervisor::InstanceInfo> udevd = engine_.Find(stage2::kUdevdJob);
    EXPECT_TRUE(udevd.has_value());
    return udevd ? udevd->pid : 0;
  }

  void AddDevice(const std::string& name, int minor, sys::BlockProperties props) {
    prober_.Set("/dev/" + name, std::move(props));
    boot_->bridge().OnDatagram(Datagram(name, minor, ++seq_));
    boot_->AfterWakeup();
  }

  // LABEL "root" carries kUuid and kPartUuid; other labels get other ids.
  void AddExt4(const std::string& name, int minor, const std::string& label = "root") {
    bool root = label == "root";
    AddDevice(name, minor,
              {{"ID_FS_TYPE", "ext4"},
               {"ID_FS_USAGE", "filesystem"},
               {"ID_FS_UUID", root ? kUuid : "11111111-2222-3333-4444-" + std::to_string(minor)},
               {"ID_FS_LABEL", label},
               {"ID_PART_ENTRY_UUID", root ? kPartUuid : "bbbbbbbb-" + std::to_string(minor)}});
  }

  void Advance(absl::Duration d) {
    clock_.now += d;
    boot_->AfterWakeup();
  }

  std::vector<std::string> Mounts() const {
    std::vector<std::string> out;
    for (const std::string& call : kernel_.calls()) {
      if (call.rfind("mount ", 0) == 0) out.push_back(call);
    }
    return out;
  }

  std::vector<std::string> EventNames() const {
    std::vector<std::string> out;
    for (const supervisor::Event& e : engine_.History()) out.push_back(e.name);
    return out;
  }

  std::vector<std::string> ShellArgv0() const {
    std::vector<std::string> out;
    for (const sys::SpawnRequest& r : kernel_.spawned()) out.push_back(r.argv[0]);
    return out;
  }

  void AddJob(const std::string& name, const std::string& text) {
    jobs::LoadResult loaded = jobs::LoadJobFiles({{"/etc/baton/jobs/" + name + ".conf", text}});
    ASSERT_THAT(loaded.diagnostics, IsEmpty());
    for (auto& job : loaded.jobs) engine_.AddJob(std::move(job));
  }

  sys::FakeKernel kernel_;
  sys::FakeModuleLoader modules_;
  sys::FakeBlockProber prober_;
  FakeClock clock_;
  FakeRunner runner_;
  supervisor::Engine engine_;
  std::unique_ptr<Stage1Boot> boot_;
  std::vector<std::string> log_;
  std::vector<std::string> switched_to_;
  std::vector<std::string> marks_;
  absl::Status switch_result_ = absl::OkStatus();
  int seq_ = 0;
};

struct RootCase {
  std::string root;
  std::string extra;
  std::string mount;
};

class RootFormTest : public Stage1BootTest, public ::testing::WithParamInterface<RootCase> {};

TEST_P(RootFormTest, RootFoundAndMountedWithFlags) {
  Boot("root=" + GetParam().root + " " + GetParam().extra);
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  AddExt4("vdb", 16, "other");  // LABEL=other, other UUIDs
  if (GetParam().root.find("vdb") == std::string::npos &&
      GetParam().root.find("LABEL") != std::string::npos) {
    EXPECT_THAT(Mounts(), IsEmpty());
  }
  kernel_.ClearCalls();
  AddExt4("vda", 0);
  EXPECT_THAT(Mounts(), ElementsAre(GetParam().mount));
  EXPECT_THAT(EventNames(), Contains("root-device-ready"));
  EXPECT_THAT(EventNames(), Contains("root-mounted"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("baton: switching to root /dev/vda ("));
}

INSTANTIATE_TEST_SUITE_P(
    Forms, RootFormTest,
    ::testing::Values(
        RootCase{"LABEL=root", "", "mount /dev/vda /root -t ext4 MS_RDONLY"},
        RootCase{std::string("UUID=") + kUuid, "rw rootflags=noatime,commit=5",
                 "mount /dev/vda /root -t ext4 MS_NOATIME -o commit=5"},
        RootCase{std::string("PARTUUID=") + kPartUuid, "rootfstype=ext2,ext4",
                 "mount /dev/vda /root -t ext2 MS_RDONLY"},
        RootCase{"/dev/vda", "ro rootflags=nosuid,errors=remount-ro",
                 "mount /dev/vda /root -t ext4 MS_RDONLY|MS_NOSUID -o errors=remount-ro"}));

const char kSwapUuid[] = "5c1d0e2a-7b7e-4f55-9d0c-2f7f1b1e9a01";

sys::BlockProperties SwapProps(const std::string& type) {
  return {{"ID_FS_TYPE", type}, {"ID_FS_USAGE", "other"}, {"ID_FS_UUID", kSwapUuid}};
}

// Calls that write /sys/power/* or mount, in order.
std::vector<std::string> ResumeAndMounts(const sys::FakeKernel& kernel) {
  std::vector<std::string> out;
  for (const std::string& call : kernel.calls()) {
    if (call.rfind("mount ", 0) == 0 || call.rfind("write_file /sys/power/", 0) == 0) {
      out.push_back(call);
    }
  }
  return out;
}

TEST_F(Stage1BootTest, ResumeImageIsTriedBeforeTheRootIsMounted) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys/power").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/power/resume", "0:0\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/power/resume_offset", "0\n").ok());
  Boot(std::string("root=LABEL=root resume=UUID=") + kSwapUuid);
  kernel_.ClearCalls();
  AddExt4("vda", 0);
  // The root is there, the resume device not yet: nothing of the root is touched.
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  EXPECT_THAT(ResumeAndMounts(kernel_), IsEmpty());
  EXPECT_THAT(EventNames(), Not(Contains("root-device-ready")));
  AddDevice("vdb", 16, SwapProps("swsuspend"));
  // The fake kernel returns from the write (a real one with a good image
  // does not): the boot goes on after saying why.
  EXPECT_THAT(ResumeAndMounts(kernel_),
              ElementsAre("write_file /sys/power/resume", "mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "254:16\n");
  std::string out = kernel_.terminal_output("/dev/console");
  EXPECT_THAT(out, HasSubstr("baton: resume: hibernation image found on /dev/vdb"));
  EXPECT_THAT(out, HasSubstr("not resumed from /dev/vdb"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, ResumeWithOffsetWritesTheOffsetFirstEvenBeforeTheRootAppears) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys/power").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/power/resume", "0:0\n").ok());
  std::string disk(3 * 4096, '\0');
  disk.replace(2 * 4096 + 4086, 10, std::string("S1SUSPEND\0", 10));
  ASSERT_TRUE(kernel_.WriteFile("/dev/vdb", disk).ok());
  Boot("root=LABEL=root resume=/dev/vdb resume_offset=2");
  kernel_.ClearCalls();
  AddDevice("vdb", 16, {{"ID_FS_TYPE", "ext4"}, {"ID_FS_LABEL", "data"}});
  EXPECT_THAT(ResumeAndMounts(kernel_), ElementsAre("write_file /sys/power/resume_offset",
                                                    "write_file /sys/power/resume"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume_offset"), "2\n");
  AddExt4("vda", 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, ResumeDevicePlainSwapMeansNoWrite) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys/power").ok());
  Boot("root=LABEL=root resume=/dev/vdb");
  kernel_.ClearCalls();
  AddDevice("vdb", 16, SwapProps("swap"));
  AddExt4("vda", 0);
  EXPECT_THAT(ResumeAndMounts(kernel_), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("baton: resume: no hibernation image on /dev/vdb (TYPE=swap); booting on"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, ResumeDeviceNeverSeenBootsOnAtQuiet) {
  Boot("root=LABEL=root resume=LABEL=swap");
  kernel_.ClearCalls();
  AddExt4("vda", 0);
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  // The quiet window: 2 s after the last block device arrived.
  EXPECT_THAT(boot_->NextDeadline(), Optional(clock_.now + kDefaultQuietGrace));
  Advance(absl::Seconds(1));
  EXPECT_THAT(Mounts(), IsEmpty());
  AddExt4("vdc", 32, "data");  // another device restarts the window
  Advance(absl::Seconds(1.5));
  EXPECT_THAT(Mounts(), IsEmpty());
  Advance(absl::Seconds(0.5));
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("baton: resume: the resume device resume=LABEL=swap was not seen"));
  EXPECT_EQ(boot_->resume().outcome(), "not-seen");
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, NoresumeAndBadResumeValuesBootAtOnce) {
  Boot("root=LABEL=root resume=LABEL=swap noresume");
  AddExt4("vda", 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, BadResumeValueSaysSoAndBootsWithoutResume) {
  Boot("root=LABEL=root resume=UUID=");
  AddExt4("vda", 0);
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("baton: resume=UUID=: empty value"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, LuksContainerMatchingNothingIsNotMounted) {
  Boot("root=/dev/vda");
  AddDevice("vda", 0, {{"ID_FS_TYPE", "crypto_LUKS"}, {"ID_FS_USAGE", "crypto"},
                       {"ID_FS_UUID", kUuid}});
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  EXPECT_THAT(EventNames(), Not(Contains("root-device-ready")));
}

TEST_F(Stage1BootTest, RootdelayOffersRescueShellListingSeenDevices) {
  Boot("root=LABEL=missing rootdelay=5");
  AddExt4("vdb", 16, "data");
  Advance(absl::Seconds(4));  // past the degraded arbiter's quiet window
  EXPECT_THAT(boot_->NextDeadline(), Optional(clock_.now + absl::Seconds(1)));
  EXPECT_EQ(boot_->shell_pid(), 0);
  Advance(absl::Seconds(1));
  ASSERT_NE(boot_->shell_pid(), 0);
  EXPECT_THAT(ShellArgv0(), ElementsAre("/bin/sh"));
  EXPECT_EQ(kernel_.spawned()[0].new_session, true);
  std::string out = kernel_.terminal_output("/dev/console");
  EXPECT_THAT(out, HasSubstr("LABEL=missing"));
  EXPECT_THAT(out, HasSubstr("/dev/vdb  TYPE=ext4 UUID="));
  EXPECT_THAT(out, HasSubstr("LABEL=data"));
  // The shell exits: waiting goes on, with another rootdelay.
  pid_t shell = boot_->shell_pid();
  EXPECT_TRUE(boot_->OnChildExit({shell, 0, 0, false}));
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  ASSERT_TRUE(boot_->NextDeadline().has_value());
  EXPECT_GT(*boot_->NextDeadline(), clock_.now);
  EXPECT_LE(*boot_->NextDeadline(), clock_.now + absl::Seconds(5));
  // The root shows up late: the boot goes on.
  AddExt4("vdc", 32, "missing");
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vdc"));
}

TEST_F(Stage1BootTest, BreakPremountShellHoldsTheMount) {
  Boot("root=LABEL=root break=premount");
  AddExt4("vda", 0);
  ASSERT_NE(boot_->shell_pid(), 0);
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kPremount);
  EXPECT_THAT(Mounts(), IsEmpty());
  Advance(absl::Seconds(1000));  // no deadline fires while the shell runs
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_TRUE(boot_->OnChildExit({boot_->shell_pid(), 0, 0, false}));
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_THAT(modules_.calls(), Contains("fs-ext4"));  // no modprobe for the kernel
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, BreakTopRunsBeforeColdplugAndBridgeWaits) {
  Boot("root=LABEL=root break=top");
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kTop);
  ASSERT_NE(boot_->shell_pid(), 0);
  EXPECT_THAT(EventNames(), Not(Contains("initramfs")));
  EXPECT_TRUE(boot_->OnChildExit({boot_->shell_pid(), 0, 0, false}));
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  EXPECT_THAT(EventNames(), Contains("initramfs"));
}

TEST_F(Stage1BootTest, PanicRebootsAfterNSecondsInsteadOfShell) {
  Boot("root=LABEL=missing rootdelay=3 panic=10");
  Advance(absl::Seconds(3));
  EXPECT_EQ(boot_->shell_pid(), 0);
  EXPECT_THAT(kernel_.reboots(), IsEmpty());
  EXPECT_THAT(boot_->NextDeadline(), Optional(clock_.now + absl::Seconds(10)));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"), HasSubstr("rebooting in 10s"));
  Advance(absl::Seconds(9));
  EXPECT_THAT(kernel_.reboots(), IsEmpty());
  Advance(absl::Seconds(1));
  EXPECT_THAT(kernel_.reboots(), ElementsAre(RB_AUTOBOOT));
  EXPECT_THAT(ShellArgv0(), IsEmpty());
}

TEST_F(Stage1BootTest, NoShellWithRdShell0KeepsWaiting) {
  Boot("root=LABEL=late rootdelay=3 rd.shell=0");
  Advance(absl::Seconds(3));
  EXPECT_THAT(ShellArgv0(), IsEmpty());
  EXPECT_THAT(kernel_.terminal_output("/dev/console"), HasSubstr("rd.shell=0"));
  AddExt4("vda", 0, "late");
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, QuietSystemWithIncompleteArrayStartsItDegraded) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys/block/md0/md/dev-vdb").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md0/md/array_state", "inactive\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md0/md/raid_disks", "2\n").ok());
  Boot("root=LABEL=root");
  Advance(absl::Seconds(1));
  EXPECT_THAT(EventNames(), Not(Contains("md-start-degraded")));
  ASSERT_TRUE(boot_->NextDeadline().has_value());
  clock_.now = *boot_->NextDeadline();
  boot_->AfterWakeup();
  ASSERT_THAT(EventNames(), Contains("md-start-degraded"));
  for (const supervisor::Event& e : engine_.History()) {
    if (e.name == "md-start-degraded") {
      EXPECT_THAT(e.Get("MD_DEVNAME"), Optional(std::string("/dev/md0")));
    }
  }
}

// The swap holding the hibernation image is on md0, whose second member is
// missing; the root is on a plain disk. The quiet that lets the degraded
// arbiter start md0 must not also be the gate's "not seen": the array's
// swap would appear after the root was mounted and its image be ignored.
class ResumeOnDegradedArrayTest : public Stage1BootTest {
 protected:
  ResumeOnDegradedArrayTest() {
    EXPECT_TRUE(kernel_.MkdirAll("/sys/power").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/power/resume", "0:0\n").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/block/md0/md/dev-vdb").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md0/md/array_state", "inactive\n").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md0/md/raid_disks", "2\n").ok());
  }

  void AddMdJobs() {
    AddJob("md-degraded", "stage initramfs\ntask\nstart on md-start-degraded\n"
                          "instance $MD_DEVNAME\nexec baton md-run-degraded $MD_DEVNAME\n");
  }

  // The first quiet after the root arrived.
  void ToTheNextDeadline() {
    ASSERT_TRUE(boot_->NextDeadline().has_value());
    clock_.now = *boot_->NextDeadline();
    boot_->AfterWakeup();
  }

  // `mdadm --run` made md0 active: its content is probed.
  void ArrayStarted(sys::BlockProperties props) {
    ASSERT_TRUE(kernel_.WriteFile("/sys/block/md0/md/array_state", "clean\n").ok());
    AddDevice("md0", 9, std::move(props));
  }

  void FinishJob(pid_t pid) {
    ASSERT_TRUE(engine_.OnProcessExit({pid, 0, 0, false}));
    engine_.RunQueue();
    boot_->AfterWakeup();
  }

  int Count(const std::string& name) const {
    int n = 0;
    for (const std::string& e : EventNames()) n += e == name ? 1 : 0;
    return n;
  }
};

TEST_F(ResumeOnDegradedArrayTest, ArrayStartedAtQuietThenImageResumedBeforeTheRoot) {
  AddMdJobs();
  Boot(std::string("root=LABEL=root resume=UUID=") + kSwapUuid);
  kernel_.ClearCalls();
  AddExt4("vda", 0);
  ToTheNextDeadline();
  // The arbiter started md0; the gate did not call the swap absent.
  EXPECT_EQ(Count("md-start-degraded"), 1);
  EXPECT_FALSE(boot_->resume().Decided());
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_THAT(runner_.started, ElementsAre("md-degraded"));
  // No quiet while mdadm --run runs, however long.
  Advance(absl::Seconds(30));
  EXPECT_FALSE(boot_->resume().Decided());
  FinishJob(5000);
  // The window restarted when the job ended.
  Advance(absl::Seconds(1));
  EXPECT_FALSE(boot_->resume().Decided());
  ArrayStarted(SwapProps("swsuspend"));
  EXPECT_THAT(ResumeAndMounts(kernel_), ElementsAre("write_file /sys/power/resume",
                                                    "mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "254:9\n");
  EXPECT_EQ(Count("md-start-degraded"), 1);
}

TEST_F(ResumeOnDegradedArrayTest, StartIsActivityEvenBeforeItsJobRuns) {
  // No job answers md-start-degraded: the start alone restarts the window.
  Boot(std::string("root=LABEL=root resume=UUID=") + kSwapUuid);
  AddExt4("vda", 0);
  ToTheNextDeadline();
  absl::Time started = clock_.now;
  EXPECT_EQ(Count("md-start-degraded"), 1);
  EXPECT_FALSE(boot_->resume().Decided());
  EXPECT_THAT(boot_->NextDeadline(), Optional(started + kDefaultQuietGrace));
  Advance(absl::Seconds(1.9));
  EXPECT_FALSE(boot_->resume().Decided());
  EXPECT_THAT(Mounts(), IsEmpty());
  // Nothing came of it: the next quiet decides.
  clock_.now = started + kDefaultQuietGrace;
  boot_->AfterWakeup();
  EXPECT_EQ(boot_->resume().outcome(), "not-seen");
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_EQ(Count("md-start-degraded"), 1);
}

TEST_F(ResumeOnDegradedArrayTest, LuksOnTheArrayIsUnlockedBeforeTheGateDecides) {
  AddMdJobs();
  AddJob("luks-unlock",
         "stage initramfs\ntask\nstart on block-device-added ID_FS_TYPE=crypto_LUKS\n"
         "exec /bin/baton luks-unlock $DEVNAME\n");
  Boot(std::string("root=LABEL=root resume=UUID=") + kSwapUuid);
  kernel_.ClearCalls();
  AddExt4("vda", 0);
  ToTheNextDeadline();
  FinishJob(5000);  // mdadm --run
  ArrayStarted(
      {{"ID_FS_TYPE", "crypto_LUKS"}, {"ID_FS_UUID", "c0ffee00-0000-0000-0000-000000000001"}});
  EXPECT_THAT(runner_.started, ElementsAre("md-degraded", "luks-unlock"));
  Advance(absl::Seconds(60));  // the passphrase prompt
  EXPECT_FALSE(boot_->resume().Decided());
  EXPECT_THAT(Mounts(), IsEmpty());
  AddDevice("dm-0", 32, SwapProps("swsuspend"));
  EXPECT_THAT(ResumeAndMounts(kernel_), ElementsAre("write_file /sys/power/resume", _));
}

TEST_F(ResumeOnDegradedArrayTest, PolicyNeverStillDecidesAtTheFirstQuiet) {
  Boot(std::string("root=LABEL=root baton.md.degraded=never resume=UUID=") + kSwapUuid);
  AddExt4("vda", 0);
  EXPECT_THAT(boot_->NextDeadline(), Optional(clock_.now + kDefaultQuietGrace));
  ToTheNextDeadline();
  EXPECT_EQ(Count("md-start-degraded"), 0);
  EXPECT_EQ(boot_->resume().outcome(), "not-seen");
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(ResumeOnDegradedArrayTest, AskDeclinedDecidesAtTheNextQuiet) {
  AddJob("md-degraded-ask", "stage initramfs\ntask\nstart on md-degraded-ask\n"
                            "exec baton md-degraded-ask\n");
  Boot(std::string("root=LABEL=root baton.md.degraded=ask resume=UUID=") + kSwapUuid);
  AddExt4("vda", 0);
  ToTheNextDeadline();
  EXPECT_EQ(Count("md-degraded-ask"), 1);
  EXPECT_FALSE(boot_->resume().Decided());
  Advance(absl::Seconds(20));  // the question is on the console
  EXPECT_FALSE(boot_->resume().Decided());
  engine_.Emit("md-degraded-answer", {{"ANSWER", "n"}});
  FinishJob(5000);
  EXPECT_FALSE(boot_->resume().Decided());
  ToTheNextDeadline();
  EXPECT_EQ(boot_->resume().outcome(), "not-seen");
  EXPECT_EQ(Count("md-start-degraded"), 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(ResumeOnDegradedArrayTest, RootAndSwapOnTheSameArray) {
  // Both LVs on md0: the root is missing, so this worked before too.
  AddMdJobs();
  Boot("root=LABEL=root resume=/dev/vg/swap");
  kernel_.ClearCalls();
  Advance(absl::Seconds(1));
  ToTheNextDeadline();
  EXPECT_EQ(Count("md-start-degraded"), 1);
  FinishJob(5000);
  ArrayStarted({{"ID_FS_TYPE", "LVM2_member"}});
  AddExt4("dm-0", 0);  // the root LV first
  EXPECT_THAT(Mounts(), IsEmpty());
  AddDevice("dm-1", 1, {{"DM_VG_NAME", "vg"}, {"DM_LV_NAME", "swap"}, {"DM_NAME", "vg-swap"},
                        {"ID_FS_TYPE", "swsuspend"}, {"ID_FS_UUID", kSwapUuid}});
  EXPECT_THAT(ResumeAndMounts(kernel_), ElementsAre("write_file /sys/power/resume", _));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "254:1\n");
}

TEST_F(Stage1BootTest, UsrFromTheRootsFstabIsMountedWhenItsDeviceAppears) {
  kernel_.AddMount({"/dev/vda", "/root", "ext4", "ro", false});
  ASSERT_TRUE(kernel_.MkdirAll("/root/usr").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/root/etc").ok());
  ASSERT_TRUE(kernel_.WriteFile("/root/etc/fstab",
                                "LABEL=root / ext4 defaults 0 1\n"
                                "LABEL=usr /usr ext4 defaults,nodev 0 2\n")
                  .ok());
  Boot("root=LABEL=root fsck.mode=skip");
  AddExt4("vda", 0);
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitUsr);
  EXPECT_THAT(switched_to_, IsEmpty());
  kernel_.ClearCalls();
  AddExt4("vdb", 16, "usr");
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vdb /root/usr -t ext4 MS_RDONLY|MS_NODEV"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, RootsFstabThatIsNotAFileIsNamedAndSkipped) {
  kernel_.AddMount({"/dev/vda", "/root", "ext4", "ro", false});
  ASSERT_TRUE(kernel_.MkdirAll("/root/etc").ok());
  ASSERT_TRUE(kernel_.Mknod("/root/etc/fstab", S_IFCHR | 0644, makedev(1, 5)).ok());
  Boot("root=LABEL=root fsck.mode=skip");
  AddExt4("vda", 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_THAT(log_, Contains(HasSubstr("the real root's /etc/fstab: /root/etc/fstab: not a "
                                       "regular file (a character device) (no /usr mounted")));
}

TEST_F(Stage1BootTest, FsckFailureFallsToRescueThenMounts) {
  ASSERT_TRUE(kernel_.MkdirAll("/sbin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sbin/e2fsck", "").ok());
  Boot("root=LABEL=root");
  AddExt4("vda", 0);
  ASSERT_NE(boot_->fsck_pid(), 0);
  EXPECT_THAT(kernel_.spawned().back().argv, ElementsAre("/sbin/e2fsck", "-a", "/dev/vda"));
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_TRUE(boot_->OnChildExit({boot_->fsck_pid(), 4, 0, false}));
  ASSERT_NE(boot_->shell_pid(), 0);
  EXPECT_THAT(kernel_.terminal_output("/dev/console"), HasSubstr("fsck failed (exit status 4"));
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_TRUE(boot_->OnChildExit({boot_->shell_pid(), 0, 0, false}));
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
}

// The root's filesystem module is loaded while the disk is still missing
// when its type is known: from rootfstype=, else the image's fstab entry for /.
TEST_F(Stage1BootTest, RootFilesystemModuleLoadedBeforeTheDiskAppears) {
  Boot("root=LABEL=root rootfstype=xfs,ext4");
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);
  EXPECT_THAT(modules_.calls(), Contains("fs-xfs"));
  EXPECT_THAT(modules_.calls(), Not(Contains("fs-ext4")));
}

TEST_F(Stage1BootTest, ImageFstabNamesTheRootFilesystemBeforeTheDisk) {
  ASSERT_TRUE(kernel_.MkdirAll("/etc").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/fstab", "# host\nLABEL=root / ext4 defaults 0 1\n"
                                              "/dev/vdb /home btrfs defaults 0 2\n").ok());
  Boot("root=LABEL=root");
  EXPECT_THAT(modules_.calls(), ElementsAre("fs-ext4"));
  AddExt4("vda", 0);
  // Asked once: the mount finds it loaded.
  EXPECT_THAT(modules_.calls(), ElementsAre("fs-ext4"));
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
}

TEST_F(Stage1BootTest, NoHintMeansNoModuleBeforeTheDisk) {
  ASSERT_TRUE(kernel_.MkdirAll("/etc").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/fstab", "LABEL=root / auto defaults 0 1\n").ok());
  Boot("root=LABEL=root");
  EXPECT_THAT(modules_.calls(), IsEmpty());
}

// Without a hint, the module is loaded while fsck runs, not after it.
TEST_F(Stage1BootTest, FilesystemModuleLoadedWhileFsckRuns) {
  ASSERT_TRUE(kernel_.MkdirAll("/sbin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sbin/e2fsck", "").ok());
  Boot("root=LABEL=root");
  EXPECT_THAT(modules_.calls(), IsEmpty());
  AddExt4("vda", 0);
  ASSERT_NE(boot_->fsck_pid(), 0);
  EXPECT_THAT(modules_.calls(), ElementsAre("fs-ext4"));
  EXPECT_THAT(Mounts(), IsEmpty());
  EXPECT_TRUE(boot_->OnChildExit({boot_->fsck_pid(), 0, 0, false}));
  EXPECT_THAT(modules_.calls(), ElementsAre("fs-ext4"));
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
}

TEST_F(Stage1BootTest, FsckCorrectedErrorsIsFine) {
  ASSERT_TRUE(kernel_.MkdirAll("/sbin").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sbin/e2fsck", "").ok());
  Boot("root=LABEL=root fsck.repair=yes");
  AddExt4("vda", 0);
  EXPECT_THAT(kernel_.spawned().back().argv, ElementsAre("/sbin/e2fsck", "-y", "/dev/vda"));
  EXPECT_TRUE(boot_->OnChildExit({boot_->fsck_pid(), 1, 0, false}));
  EXPECT_EQ(boot_->shell_pid(), 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
}

TEST_F(Stage1BootTest, FailedUnlockFallsToRescue) {
  AddJob("luks-unlock", "stage initramfs\ntask\nstart on block-device-added ID_FS_TYPE=crypto_LUKS\n"
                        "instance $DEVNAME\nexec /bin/baton luks-unlock $DEVNAME\n");
  Boot("root=/dev/mapper/root");
  AddDevice("vda", 0, {{"ID_FS_TYPE", "crypto_LUKS"}, {"ID_FS_UUID", kUuid}});
  ASSERT_THAT(runner_.started, ElementsAre("luks-unlock"));
  ASSERT_TRUE(engine_.OnProcessExit({5000, 1, 0, false}));
  engine_.RunQueue();
  boot_->AfterWakeup();
  ASSERT_NE(boot_->shell_pid(), 0);
  std::string out = kernel_.terminal_output("/dev/console");
  EXPECT_THAT(out, HasSubstr("unlocking failed (job luks-unlock /dev/vda)"));
  EXPECT_THAT(out, HasSubstr("/dev/mapper/root"));
}

TEST_F(Stage1BootTest, RootdelayWaitsForARunningPrompt) {
  AddJob("luks-unlock", "stage initramfs\ntask\nstart on block-device-added ID_FS_TYPE=crypto_LUKS\n"
                        "exec /bin/baton luks-unlock $DEVNAME\n");
  Boot("root=/dev/mapper/root rootdelay=2");
  AddDevice("vda", 0, {{"ID_FS_TYPE", "crypto_LUKS"}, {"ID_FS_UUID", kUuid}});
  Advance(absl::Seconds(10));
  EXPECT_EQ(boot_->shell_pid(), 0);
  ASSERT_TRUE(engine_.OnProcessExit({5000, 0, 0, false}));
  engine_.RunQueue();
  boot_->AfterWakeup();
  EXPECT_NE(boot_->shell_pid(), 0);
}

// baton.md.degraded=ask, the root on md0: the question waits past
// rootdelay= (its job is a task), and a "yes" typed then starts the array at
// the next quiet instead of the rescue shell.
TEST_F(ResumeOnDegradedArrayTest, AskAnsweredYesAfterRootdelayStartsTheArray) {
  AddMdJobs();
  AddJob("md-degraded-ask", "stage initramfs\ntask\nstart on md-degraded-ask\n"
                            "exec baton md-ask-degraded $MD_DEVNAMES\n");
  Boot("root=LABEL=root baton.md.degraded=ask rootdelay=5");
  ToTheNextDeadline();
  ASSERT_EQ(Count("md-degraded-ask"), 1);
  EXPECT_THAT(runner_.started, ElementsAre("md-degraded-ask"));
  Advance(absl::Seconds(30));  // the human thinks
  EXPECT_EQ(boot_->shell_pid(), 0);
  // Nothing to wake for but the job's end (the passed rootdelay= point would
  // make the loop spin).
  EXPECT_EQ(boot_->NextDeadline(), std::nullopt);
  engine_.Emit("md-degraded-answer", {{"ANSWER", "yes"}});
  FinishJob(5000);
  EXPECT_EQ(boot_->shell_pid(), 0);
  EXPECT_EQ(Count("md-start-degraded"), 0);  // not before the quiet
  EXPECT_THAT(boot_->NextDeadline(), Optional(clock_.now + kDefaultQuietGrace));
  ToTheNextDeadline();
  EXPECT_EQ(Count("md-start-degraded"), 1);
  EXPECT_EQ(boot_->shell_pid(), 0);
  // mdadm --run failed: nothing left to start, the rescue shell comes.
  FinishJob(5001);
  EXPECT_NE(boot_->shell_pid(), 0);
  EXPECT_EQ(Count("md-start-degraded"), 1);
}

TEST_F(ResumeOnDegradedArrayTest, AskAnsweredNoAfterRootdelayIsTheRescueShell) {
  AddJob("md-degraded-ask", "stage initramfs\ntask\nstart on md-degraded-ask\n"
                            "exec baton md-ask-degraded $MD_DEVNAMES\n");
  Boot("root=LABEL=root baton.md.degraded=ask rootdelay=5");
  ToTheNextDeadline();
  Advance(absl::Seconds(30));
  EXPECT_EQ(boot_->shell_pid(), 0);
  engine_.Emit("md-degraded-answer", {{"ANSWER", "no"}});
  FinishJob(5000);
  EXPECT_NE(boot_->shell_pid(), 0);
  EXPECT_EQ(Count("md-start-degraded"), 0);
}

TEST_F(Stage1BootTest, FailedSwitchFallsToRescue) {
  switch_result_ = absl::InternalError("exec /sbin/init: ENOENT");
  Boot("root=LABEL=root fsck.mode=skip");
  AddExt4("vda", 0);
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_NE(boot_->shell_pid(), 0);
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("switching to the real root failed: exec /sbin/init: ENOENT"));
}

// Following udevd: the kernel sends NAME's `add` (SEQNUM SEQ) to udevd and
// to the bridge.
void KernelAdd(sys::FakeKernel& kernel, const std::string& name, int seq) {
  kernel.InjectUevent(supervisor::KernelDatagram(
                          "add", "/devices/virtual/block/" + name,
                          {"ACTION=add", "DEVPATH=/devices/virtual/block/" + name,
                           "SUBSYSTEM=block", "DEVNAME=" + name, "SEQNUM=" + std::to_string(seq)}),
                      1);
}

// udevd sends back its copy of that event, with its rules' properties.
void UdevdSends(sys::FakeKernel& kernel, const std::string& name, int seq,
                const std::string& label) {
  kernel.InjectUevent(supervisor::LibudevDatagram(
                          {"ACTION=add", "DEVPATH=/devices/virtual/block/" + name,
                           "SUBSYSTEM=block", "DEVNAME=/dev/" + name, "DEVTYPE=disk",
                           "SEQNUM=" + std::to_string(seq), "ID_FS_TYPE=ext4",
                           "ID_FS_USAGE=filesystem", "ID_FS_LABEL=" + label}),
                      2);
}

TEST_F(Stage1BootTest, FollowingUdevdStartsItAndStopsItOnceItFinishedBeforeTheSwitch) {
  engine_.AddJob(stage2::UdevdJob("/lib/systemd/systemd-udevd", jobs::Stage::kInitramfs));
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/data").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/b254:0", "E:ID_FS_TYPE=ext4\n", 0644).ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/b253:0", "E:DM_NAME=root\n", 01644).ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/control", "").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/queue", "").ok());
  Boot("root=LABEL=root", /*follow_udevd=*/true);
  EXPECT_THAT(runner_.started, ElementsAre("udevd"));
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kWaitRoot);

  // Another disk udevd has not finished when the root comes.
  KernelAdd(kernel_, "vdb", 1);
  KernelAdd(kernel_, "vda", 2);
  UdevdSends(kernel_, "vda", 2, "root");
  boot_->OnUeventReadable();
  boot_->AfterWakeup();
  // No probing of its own: the root was found from udevd's properties.
  EXPECT_THAT(prober_.probed(), IsEmpty());
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_EQ(boot_->phase(), Stage1Boot::Phase::kStopUdevd);
  EXPECT_THAT(switched_to_, IsEmpty());
  EXPECT_EQ(boot_->bridge().AwaitingUdevd(), 1u);
  EXPECT_THAT(log_, Contains(HasSubstr("udevd has 1 to finish before it stops")));

  // udevd finishes it (not emitted: paused), then is stopped.
  UdevdSends(kernel_, "vdb", 1, "data");
  boot_->OnUeventReadable();
  boot_->AfterWakeup();
  std::vector<std::string> names = EventNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "block-device-added"), 1);
  std::optional<supervisor::InstanceInfo> udevd = engine_.Find(stage2::kUdevdJob);
  ASSERT_TRUE(udevd.has_value());
  EXPECT_EQ(udevd->goal, supervisor::Goal::kStop);
  EXPECT_THAT(switched_to_, IsEmpty());
  ASSERT_TRUE(engine_.OnProcessExit({udevd->pid, 0, 0, false}));
  boot_->AfterWakeup();
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_THAT(marks_, ElementsAre("udevd-stop", "udevd-stopped"));
  // Its database cleaned as `udevadm info --cleanup-db`: db_persist kept.
  EXPECT_FALSE(kernel_.Stat("/run/udev/data/b254:0").ok());
  EXPECT_TRUE(kernel_.Stat("/run/udev/data/b253:0").ok());
  EXPECT_FALSE(kernel_.Stat("/run/udev/control").ok());
  EXPECT_FALSE(kernel_.Stat("/run/udev/queue").ok());
  // vdb's event was taken by udevd before the pause: replayed in stage 2.
  std::vector<std::string> queued = boot_->bridge().TakeQueued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_THAT(queued[0], HasSubstr("DEVNAME=vdb"));
}

TEST_F(Stage1BootTest, FollowingUdevdTheSwitchDoesNotWaitForAUdevdThatDied) {
  engine_.AddJob(stage2::UdevdJob("/lib/systemd/systemd-udevd", jobs::Stage::kInitramfs));
  Boot("root=LABEL=root", /*follow_udevd=*/true);
  KernelAdd(kernel_, "vdb", 1);
  KernelAdd(kernel_, "vda", 2);
  UdevdSends(kernel_, "vda", 2, "root");
  boot_->OnUeventReadable();
  boot_->AfterWakeup();
  ASSERT_EQ(boot_->phase(), Stage1Boot::Phase::kStopUdevd);
  // udevd dies for good while the switch waits for vdb.
  std::optional<supervisor::InstanceInfo> udevd = engine_.Find(stage2::kUdevdJob);
  ASSERT_TRUE(udevd.has_value());
  ASSERT_TRUE(engine_.Stop(stage2::kUdevdJob).ok());
  ASSERT_TRUE(engine_.OnProcessExit({udevd->pid, 0, 9, false}));
  boot_->AfterWakeup();
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_THAT(log_, Contains(HasSubstr("udevd did not finish 1 events (it is not running)")));
  // vdb, unfinished, is among what stage 2 replays.
  std::vector<std::string> queued = boot_->bridge().TakeQueued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_THAT(queued[0], HasSubstr("DEVNAME=vdb"));
}

TEST_F(Stage1BootTest, FollowingUdevdWhatADeadUdevdHadIsTriggeredAgain) {
  engine_.AddJob(stage2::UdevdJob("/lib/systemd/systemd-udevd", jobs::Stage::kInitramfs));
  ASSERT_TRUE(kernel_.MkdirAll("/sys/devices/virtual/block/vdb").ok());
  const pid_t udevd = BootFollowingUdevd("root=LABEL=root");
  KernelAdd(kernel_, "vdb", 1);
  boot_->OnUeventReadable();
  boot_->AfterWakeup();
  EXPECT_THAT(kernel_.calls(), Not(Contains("write_file /sys/devices/virtual/block/vdb/uevent")));
  // udevd crashes with vdb read and unfinished; the job respawns it.
  ASSERT_TRUE(engine_.OnProcessExit({udevd, 0, 11, false}));
  boot_->AfterWakeup();
  EXPECT_THAT(kernel_.calls(), Contains("write_file /sys/devices/virtual/block/vdb/uevent"));
  EXPECT_THAT(log_, Contains(HasSubstr("went away with 1 events unfinished: 1 devices triggered "
                                       "again")));
  EXPECT_THAT(runner_.started, ElementsAre("udevd", "udevd"));
}

TEST_F(Stage1BootTest, FollowingUdevdAUdevdThatCannotRunLeavesTheDevicesToTheBridge) {
  AddJob("udevd", "stage initramfs\nexec /lib/systemd/systemd-udevd\n");  // no respawn
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/data").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/b254:0", "E:ID_FS_TYPE=ext4\n", 0644).ok());
  const pid_t udevd = BootFollowingUdevd("root=LABEL=root quiet");
  KernelAdd(kernel_, "vda", 1);
  boot_->OnUeventReadable();
  boot_->AfterWakeup();
  EXPECT_THAT(Mounts(), IsEmpty());
  ASSERT_TRUE(engine_.OnProcessExit({udevd, 1, 0, false}));
  prober_.Set("/dev/vda", {{"ID_FS_TYPE", "ext4"},
                           {"ID_FS_USAGE", "filesystem"},
                           {"ID_FS_LABEL", "root"}});
  boot_->AfterWakeup();
  EXPECT_FALSE(boot_->bridge().following_udevd());
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("baton: udevd stopped in stage 1 (main exit 1); baton's own uevent "
                        "bridge handles the devices"));
  // vda's event, which udevd never finished, found the root natively.
  EXPECT_THAT(Mounts(), ElementsAre("mount /dev/vda /root -t ext4 MS_RDONLY"));
  EXPECT_THAT(switched_to_, ElementsAre("/dev/vda"));
  EXPECT_THAT(log_, Not(Contains(HasSubstr("udevd stopped; its database cleaned"))));
  EXPECT_FALSE(kernel_.Stat("/run/udev/data/b254:0").ok());
}

}  // namespace
}  // namespace baton::stage1
