#include "supervisor/stage2/udev.h"

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/engine.h"
#include "sys/fake_kernel.h"

namespace baton::stage2 {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FakeClock : public supervisor::Clock {
 public:
  absl::Time Now() override { return now_; }
  absl::Time now_ = absl::UnixEpoch() + absl::Seconds(3);
};

class Runner : public supervisor::ProcessRunner {
 public:
  absl::StatusOr<pid_t> Start(const Spec& spec) override {
    commands.push_back(spec.command->text);
    return next_++;
  }
  absl::Status Signal(pid_t, int) override { return absl::OkStatus(); }
  std::vector<std::string> commands;
  pid_t next_ = 700;
};

std::string Datagram(const std::string& action, const std::string& devpath) {
  std::string d = action + "@" + devpath;
  d.push_back('\0');
  for (std::string kv :
       {"ACTION=" + action, "DEVPATH=" + devpath, std::string("SUBSYSTEM=block")}) {
    d += kv;
    d.push_back('\0');
  }
  return d;
}

class UdevTest : public ::testing::Test {
 protected:
  void Device(const std::string& event, supervisor::Env env) {
    engine_.Emit(event, std::move(env));
    engine_.RunQueue();
  }
  void StageOneDevices() {
    Device("block-device-added", {{"ACTION", "add"},
                                  {"DEVPATH", "/devices/virtual/block/dm-0"},
                                  {"SUBSYSTEM", "block"},
                                  {"DEVNAME", "/dev/dm-0"},
                                  {"MAJOR", "253"},
                                  {"MINOR", "0"},
                                  {"DEVLINKS", "/dev/disk/by-uuid/abcd /dev/mapper/root"},
                                  {"DM_NAME", "root"},
                                  {"DM_UUID", "CRYPT-LUKS2-1234-root"},
                                  {"ID_FS_TYPE", "ext4"},
                                  {"ID_FS_UUID", "abcd"}});
    Device("block-device-added", {{"DEVNAME", "/dev/vda"}, {"MAJOR", "254"}, {"MINOR", "0"}});
    Device("block-device-added", {{"DEVNAME", "/dev/md0"},
                                  {"MAJOR", "9"},
                                  {"MINOR", "0"},
                                  {"MD_LEVEL", "raid1"},
                                  {"MD_UUID", "11:22:33:44"},
                                  {"DEVLINKS", "/dev/disk/by-id/md-uuid-11:22:33:44"}});
    Device("block-device-added", {{"DEVNAME", "/dev/dm-1"}, {"MAJOR", "253"}, {"MINOR", "1"}});
    Device("block-device-removed", {{"DEVNAME", "/dev/dm-1"}, {"MAJOR", "253"}, {"MINOR", "1"}});
  }

  // The real root has a udevd.
  void RootHasUdevd() {
    ASSERT_TRUE(kernel_.MkdirAll("/lib/systemd").ok());
    ASSERT_TRUE(kernel_.WriteFile("/lib/systemd/systemd-udevd", "ELF").ok());
  }
  // udevd has bound its control socket.
  void UdevdListens() {
    ASSERT_TRUE(kernel_.MkdirAll("/run/udev").ok());
    ASSERT_TRUE(kernel_.WriteFile("/run/udev/control", "").ok());
  }
  // Hooks on the fake clock where udevd listens at the WAKEUPS-th loop
  // wakeup, counted in *WAITS.
  DevicesHooks UdevdListensAfter(int wakeups, int* waits) {
    DevicesHooks hooks;
    hooks.now = [this] { return clock_.Now(); };
    hooks.run_once = [this, wakeups, waits](absl::Duration) {
      if (++*waits == wakeups) UdevdListens();
    };
    return hooks;
  }

  sys::FakeKernel kernel_;
  FakeClock clock_;
  Runner runner_;
  supervisor::Engine engine_{runner_, clock_};
};

TEST_F(UdevTest, DbEntriesForDmAndMdOnly) {
  StageOneDevices();
  std::vector<UdevDbEntry> entries = DbEntriesFromEvents(engine_.History());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].FileName(), "b253:0");
  EXPECT_EQ(entries[1].FileName(), "b9:0");
  EXPECT_EQ(FormatUdevDb(entries[0]),
            "S:disk/by-uuid/abcd\n"
            "S:mapper/root\n"
            "I:3000000\n"
            "E:DM_NAME=root\n"
            "E:DM_UUID=CRYPT-LUKS2-1234-root\n"
            "E:ID_FS_TYPE=ext4\n"
            "E:ID_FS_UUID=abcd\n"
            "E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\n"
            "E:DM_UDEV_RULES_VSN=2\n"
            "G:systemd\n"
            "Q:systemd\n"
            "V:1\n");
  EXPECT_EQ(FormatUdevDb(entries[1]),
            "S:disk/by-id/md-uuid-11:22:33:44\n"
            "I:3000000\n"
            "E:MD_LEVEL=raid1\n"
            "E:MD_UUID=11:22:33:44\n"
            "G:systemd\n"
            "Q:systemd\n"
            "V:1\n");
}

TEST_F(UdevTest, WriteUdevDbNamesTheFileByDevnum) {
  StageOneDevices();
  std::vector<UdevDbEntry> entries = DbEntriesFromEvents(engine_.History());
  ASSERT_FALSE(entries.empty());
  ASSERT_TRUE(WriteUdevDb(kernel_, "/run/udev/data", entries[0]).ok());
  absl::StatusOr<std::string> text = kernel_.ReadFile("/run/udev/data/b253:0");
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("E:DM_UDEV_PRIMARY_SOURCE_FLAG=1\n"));
  EXPECT_FALSE(kernel_.Stat("/run/udev/data/b253:0.baton-tmp").ok());
  absl::StatusOr<sys::FileInfo> info = kernel_.Stat("/run/udev/data/b253:0");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mode & 07777, 01644u);  // sticky: db_persist
}

TEST_F(UdevTest, CleanUpUdevDbKeepsOnlyWhatDbPersistMarked) {
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/data").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/b253:0", "E:DM_NAME=root\n", 01644).ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/b254:0", "E:ID_FS_TYPE=\n", 0644).ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/data/n2", "I:1\n", 0644).ok());
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/links/disk\\x2fby-uuid\\x2fabcd").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/links/disk\\x2fby-uuid\\x2fabcd/b254:0", "").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/tags/systemd").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/tags/systemd/b253:0", "").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/tags/systemd/b254:0", "").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev/watch").ok());
  ASSERT_TRUE(kernel_.Symlink("b254:0", "/run/udev/watch/4").ok());

  EXPECT_EQ(CleanUpUdevDb(kernel_, "/run/udev"), 5u);
  EXPECT_TRUE(kernel_.Stat("/run/udev/data/b253:0").ok());
  EXPECT_FALSE(kernel_.Stat("/run/udev/data/b254:0").ok());
  EXPECT_FALSE(kernel_.Stat("/run/udev/data/n2").ok());
  EXPECT_THAT(*kernel_.ListDir("/run/udev/links"), IsEmpty());
  EXPECT_THAT(*kernel_.ListDir("/run/udev/tags/systemd"), ElementsAre("b253:0"));
  EXPECT_THAT(*kernel_.ListDir("/run/udev/watch"), IsEmpty());
}

TEST_F(UdevTest, ReplayWritesTheLastActionOncePerExistingDevice) {
  ASSERT_TRUE(kernel_.MkdirAll("/sys/devices/virtual/block/sdz").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/devices/virtual/block/sdz/uevent", "MAJOR=8\n").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/sys/devices/virtual/block/sdy").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/devices/virtual/block/sdy/uevent", "MAJOR=8\n").ok());
  kernel_.ClearCalls();
  ReplayResult r = ReplayUevents(kernel_,
                                 {Datagram("add", "/devices/virtual/block/sdz"),
                                  Datagram("add", "/devices/virtual/block/gone"),
                                  Datagram("add", "/devices/virtual/block/sdz"), "garbage",
                                  Datagram("add", "/devices/virtual/block/sdy"),
                                  Datagram("change", "/devices/virtual/block/sdy")},
                                 "/sys");
  EXPECT_EQ(r.written, 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.malformed, 1u);
  EXPECT_THAT(kernel_.calls(), ElementsAre("write_file /sys/devices/virtual/block/sdz/uevent",
                                           "write_file /sys/devices/virtual/block/sdy/uevent"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/devices/virtual/block/sdz/uevent"), "add");
  EXPECT_EQ(*kernel_.ReadFile("/sys/devices/virtual/block/sdy/uevent"), "change");
}

TEST_F(UdevTest, SetUpDevicesStartsUdevdThenReplays) {
  StageOneDevices();
  RootHasUdevd();
  ASSERT_TRUE(kernel_.MkdirAll("/sys/devices/virtual/block/sdz").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/devices/virtual/block/sdz/uevent", "").ok());
  int waits = 0;
  DevicesHooks hooks = UdevdListensAfter(2, &waits);
  DevicesResult r = SetUpDevices(kernel_, engine_, {Datagram("add", "/devices/virtual/block/sdz")},
                                 DevicesOptions(), hooks);
  EXPECT_EQ(r.udevd, "/lib/systemd/systemd-udevd");
  EXPECT_THAT(runner_.commands, ElementsAre("/lib/systemd/systemd-udevd"));
  EXPECT_EQ(engine_.Find(kUdevdJob)->state, supervisor::State::kRunning);
  EXPECT_EQ(waits, 2);
  EXPECT_EQ(r.db_entries, 2u);
  EXPECT_TRUE(kernel_.Stat("/run/udev/data/b9:0").ok());
  EXPECT_EQ(r.replay.written, 1u);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST_F(UdevTest, AControlSocketLeftByAUdevdThatIsGoneIsNotTakenForReadiness) {
  RootHasUdevd();
  // Stage 1's udevd, stopped before the switch, left its control socket.
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev").ok());
  ASSERT_TRUE(kernel_.WriteFile("/run/udev/control", "").ok());
  int waits = 0;
  DevicesHooks hooks = UdevdListensAfter(2, &waits);
  std::vector<std::string> lines;
  hooks.log = [&lines](absl::string_view line) { lines.emplace_back(line); };
  DevicesResult r = SetUpDevices(kernel_, engine_, {}, DevicesOptions(), hooks);
  EXPECT_EQ(r.udevd, "/lib/systemd/systemd-udevd");
  EXPECT_EQ(waits, 2);  // the new udevd's socket, not the old one
  EXPECT_THAT(lines, Contains("removed /run/udev/control, left by a udevd that is gone"));
}

TEST_F(UdevTest, UeventsArrivingWhileUdevdStartsAreReplayedAfterTheCarriedOnes) {
  RootHasUdevd();
  for (const char* dev : {"sdz", "vdc"}) {
    ASSERT_TRUE(kernel_.MkdirAll(absl::StrCat("/sys/devices/virtual/block/", dev)).ok());
    ASSERT_TRUE(
        kernel_.WriteFile(absl::StrCat("/sys/devices/virtual/block/", dev, "/uevent"), "").ok());
  }
  bool udevd_up = false;
  DevicesHooks hooks;
  hooks.now = [this] { return clock_.Now(); };
  hooks.run_once = [&](absl::Duration) {
    ASSERT_TRUE(kernel_.MkdirAll("/run/udev").ok());
    ASSERT_TRUE(kernel_.WriteFile("/run/udev/control", "").ok());
    udevd_up = true;
  };
  int asked = 0;
  hooks.more_uevents = [&] {
    ++asked;
    // Asked only once udevd listens: nothing after this can be lost.
    EXPECT_TRUE(udevd_up);
    return std::vector<std::string>{Datagram("add", "/devices/virtual/block/vdc")};
  };
  std::vector<std::string> logged;
  hooks.log = [&](absl::string_view line) { logged.emplace_back(line); };
  DevicesResult r = SetUpDevices(kernel_, engine_, {Datagram("add", "/devices/virtual/block/sdz")},
                                 DevicesOptions(), hooks);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(r.late_uevents, 1u);
  EXPECT_EQ(r.replay.written, 2u);
  EXPECT_THAT(r.replay.replayed,
              ElementsAre("add /devices/virtual/block/sdz", "add /devices/virtual/block/vdc"));
  EXPECT_THAT(logged, Contains("replay: add /devices/virtual/block/vdc"));
}

TEST_F(UdevTest, UdevdGetsAKernelSocketMadeBeforeItStarts) {
  RootHasUdevd();
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev").ok());
  sys::UniqueFd kept;
  DevicesHooks hooks;
  hooks.now = [this] { return clock_.Now(); };
  hooks.run_once = [this](absl::Duration) { UdevdListens(); };
  hooks.keep_udevd_socket = [&](sys::UniqueFd fd) {
    EXPECT_TRUE(runner_.commands.empty()) << "the socket comes before udevd";
    kept = std::move(fd);
  };
  DevicesResult r = SetUpDevices(kernel_, engine_, {}, DevicesOptions(), hooks);
  EXPECT_THAT(runner_.commands, ElementsAre("/lib/systemd/systemd-udevd"));
  ASSERT_TRUE(kept.valid());
  // The kernel's events (group 1) wait in it.
  kernel_.InjectUevent("add@/devices/virtual/block/vdc");
  auto got = kernel_.RecvDatagram(kept.get());
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "add@/devices/virtual/block/vdc");
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST_F(UdevTest, UdevdStartsWithoutTheSocketWhenItCannotBeMade) {
  RootHasUdevd();
  ASSERT_TRUE(kernel_.MkdirAll("/run/udev").ok());
  kernel_.FailNext("udevd_kernel_socket", EMFILE);
  bool kept = false;
  DevicesHooks hooks;
  hooks.now = [this] { return clock_.Now(); };
  hooks.run_once = [this](absl::Duration) { UdevdListens(); };
  hooks.keep_udevd_socket = [&](sys::UniqueFd) { kept = true; };
  DevicesResult r = SetUpDevices(kernel_, engine_, {}, DevicesOptions(), hooks);
  EXPECT_FALSE(kept);
  EXPECT_THAT(runner_.commands, ElementsAre("/lib/systemd/systemd-udevd"));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("udevd binds its own uevent socket"));
  EXPECT_THAT(r.warnings[0], HasSubstr("Too many open files"));
}

TEST_F(UdevTest, WithoutUdevdReplaysAtOnce) {
  DevicesHooks hooks;
  hooks.now = [this] { return clock_.Now(); };
  hooks.run_once = [](absl::Duration) { FAIL() << "no wait without udevd"; };
  hooks.keep_udevd_socket = [](sys::UniqueFd) { FAIL() << "no socket without udevd"; };
  DevicesResult r = SetUpDevices(kernel_, engine_, {}, DevicesOptions(), hooks);
  EXPECT_EQ(r.udevd, "");
  EXPECT_TRUE(runner_.commands.empty());
}

TEST_F(UdevTest, UdevdThatNeverComesUpIsWarnedAbout) {
  ASSERT_TRUE(kernel_.MkdirAll("/usr/lib/systemd").ok());
  ASSERT_TRUE(kernel_.WriteFile("/usr/lib/systemd/systemd-udevd", "ELF").ok());
  DevicesHooks hooks;
  hooks.now = [this] { return clock_.Now(); };
  hooks.run_once = [this](absl::Duration d) { clock_.now_ += d; };
  DevicesResult r = SetUpDevices(kernel_, engine_, {}, DevicesOptions(), hooks);
  EXPECT_EQ(r.udevd, "/usr/lib/systemd/systemd-udevd");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("udevd did not create /run/udev/control within 5s"));
}

}  // namespace
}  // namespace baton::stage2
