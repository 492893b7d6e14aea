#include "supervisor/stage1/assemble.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>


#include <deque>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"
#include "tests/runfiles.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Argv = std::vector<std::string>;

class AssembleTest : public ::testing::Test {
 protected:
  AssembleTest() : ctx_(kernel_) {
    EXPECT_TRUE(kernel_.MkdirAll("/proc").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sbin").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sbin/mdadm", "").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sbin/lvm", "").ok());
    SetCmdline("root=/dev/vg0/root");
    auto log = kernel_.Open("/log", O_WRONLY | O_CREAT, 0600);
    log_ = std::move(*log);
    ctx_.log_fd = log_.get();
    kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest&) {
      int status = 0;
      if (!exit_statuses_.empty()) {
        status = exit_statuses_.front();
        exit_statuses_.pop_front();
      }
      kernel_.Exit(pid, status);
    });
  }
  void SetCmdline(const std::string& text) {
    ASSERT_TRUE(kernel_.WriteFile("/proc/cmdline", text + "\n").ok());
  }
  std::vector<Argv> Spawned() const {
    std::vector<Argv> out;
    for (const sys::SpawnRequest& req : kernel_.spawned()) out.push_back(req.argv);
    return out;
  }
  std::string Log() { return *kernel_.ReadFile("/log"); }

  sys::FakeKernel kernel_;
  sys::UniqueFd log_;
  ToolContext ctx_;
  Stage1Files files_;
  std::deque<int> exit_statuses_;
};

const Env kMember = {{"DEVNAME", "/dev/vdb"},
                     {"ID_FS_TYPE", "linux_raid_member"},
                     {"ID_FS_UUID", "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"}};

TEST_F(AssembleTest, MdAddRunsIncremental) {
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--incremental", "/dev/vdb"}));
  EXPECT_THAT(Log(), HasSubstr("added /dev/vdb to its array"));
}

TEST_F(AssembleTest, MdAddHonoursRdMd0) {
  SetCmdline("root=/dev/md0 rd.md=0");
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_THAT(Log(), HasSubstr("not assembling /dev/vdb: rd.md=0"));
}

TEST_F(AssembleTest, MdAddReadsMdadmConf) {
  ASSERT_TRUE(kernel_.MkdirAll("/etc/mdadm").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/mdadm/mdadm.conf",
                                "ARRAY /dev/md/other UUID=ffffffff:ffffffff:ffffffff:ffffffff\n")
                  .ok());
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
}

TEST_F(AssembleTest, MdAddFailureReportsTheStatus) {
  exit_statuses_ = {1};
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 1);
  EXPECT_THAT(Log(), HasSubstr("mdadm --incremental /dev/vdb failed (exit status 1)"));
}

// The member's array, md127, as the uevent bridge and the kernel show it.
class MdAddArrayTest : public AssembleTest {
 protected:
  MdAddArrayTest() {
    EXPECT_TRUE(kernel_.MkdirAll("/dev/disk/by-id").ok());
    EXPECT_TRUE(
        kernel_.Symlink("../../md127", std::string("/dev/disk/by-id/md-uuid-") + kMdUuid).ok());
    EXPECT_TRUE(kernel_.Symlink("../../vdb", "/dev/disk/by-id/virtio-disk1").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sys/block/md127/md/dev-vda").ok());
  }
  // The array running with STATE, MISSING members missing.
  void Running(const std::string& state, int missing) {
    ASSERT_TRUE(kernel_.WriteFile("/sys/block/md127/md/array_state", state + "\n").ok());
    ASSERT_TRUE(
        kernel_.WriteFile("/sys/block/md127/md/degraded", std::to_string(missing) + "\n").ok());
  }
  void StartedDegradedByBaton() {
    ASSERT_TRUE(kernel_.MkdirAll(kMdStartedDegradedDir).ok());
    ASSERT_TRUE(kernel_.WriteFile(std::string(kMdStartedDegradedDir) + "/md127", "").ok());
  }

  // kMember's array UUID, as mdadm writes it.
  static constexpr char kMdUuid[] = "1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d";
};

TEST_F(MdAddArrayTest, NewMemberOfAnInactiveArrayRunsIncremental) {
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md127/md/array_state", "inactive\n").ok());
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--incremental", "/dev/vdb"}));
  EXPECT_THAT(Log(), HasSubstr("added /dev/vdb to its array"));
}

TEST_F(MdAddArrayTest, LateMemberOfAnArrayStartedDegradedIsPutBack) {
  Running("read-auto", 1);
  StartedDegradedByBaton();
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--readwrite", "/dev/md127"},
                                     Argv{"/sbin/mdadm", "--re-add", "/dev/md127", "/dev/vdb"}));
  EXPECT_THAT(Log(), HasSubstr("re-added /dev/vdb to /dev/md127"));
}

TEST_F(MdAddArrayTest, RefusedReAddFallsBackToAdd) {
  Running("read-auto", 1);
  StartedDegradedByBaton();
  exit_statuses_ = {0, 1, 0};  // --readwrite, --re-add refused, --add
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--readwrite", "/dev/md127"},
                                     Argv{"/sbin/mdadm", "--re-add", "/dev/md127", "/dev/vdb"},
                                     Argv{"/sbin/mdadm", "--add", "/dev/md127", "/dev/vdb"}));
  EXPECT_THAT(Log(), HasSubstr("mdadm --re-add /dev/md127 /dev/vdb failed (exit status 1)"));
  EXPECT_THAT(Log(), HasSubstr("added /dev/vdb to /dev/md127 (it was running degraded; a re-add "
                               "was refused, so md rebuilds it)"));
}

TEST_F(MdAddArrayTest, ReadWriteArrayIsNotSwitched) {
  Running("clean", 1);
  StartedDegradedByBaton();
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--re-add", "/dev/md127", "/dev/vdb"}));
}

TEST_F(MdAddArrayTest, NeitherReAddNorAddIsAFailure) {
  Running("clean", 1);
  StartedDegradedByBaton();
  exit_statuses_ = {1, 1};
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 1);
  EXPECT_EQ(kernel_.spawned().size(), 2u);
  EXPECT_THAT(Log(), HasSubstr("cannot put /dev/vdb back into /dev/md127"));
}

TEST_F(MdAddArrayTest, MemberGivenAsALinkIsFound) {
  Running("clean", 1);
  StartedDegradedByBaton();
  Env member = kMember;
  member[0].second = "/dev/disk/by-id/virtio-disk1";
  ASSERT_TRUE(kernel_.MkdirAll("/sys/block/md127/md/dev-vdb").ok());
  EXPECT_EQ(MdAdd(ctx_, files_, member), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
}

TEST_F(MdAddArrayTest, MemberAlreadyInTheArrayIsLeftAlone) {
  Running("clean", 0);
  ASSERT_TRUE(kernel_.MkdirAll("/sys/block/md127/md/dev-vdb").ok());
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_THAT(Log(), HasSubstr("/dev/vdb is in /dev/md127 already"));
}

TEST_F(MdAddArrayTest, DegradedArrayBatonDidNotStartIsLeftToMdadm) {
  // A member failed, or someone ran the array by hand: mdadm's policy decides.
  Running("clean", 1);
  exit_statuses_ = {2};
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 1);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--incremental", "/dev/vdb"}));
}

TEST_F(MdAddArrayTest, CompleteArrayIsLeftToMdadm) {
  // A spare, or a stale member of an array that has all its members.
  Running("clean", 0);
  StartedDegradedByBaton();
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--incremental", "/dev/vdb"}));
}

TEST_F(MdAddArrayTest, ArrayStartedDegradedWhileIncrementalRan) {
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md127/md/array_state", "inactive\n").ok());
  kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest& req) {
    int status = 0;
    if (req.argv[1] == "--incremental") {
      // md-run-degraded ran the array meanwhile; mdadm refuses the member.
      Running("read-auto", 1);
      StartedDegradedByBaton();
      status = 2;
    }
    kernel_.Exit(pid, status);
  });
  EXPECT_EQ(MdAdd(ctx_, files_, kMember), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--incremental", "/dev/vdb"},
                                     Argv{"/sbin/mdadm", "--readwrite", "/dev/md127"},
                                     Argv{"/sbin/mdadm", "--re-add", "/dev/md127", "/dev/vdb"}));
  EXPECT_THAT(Log(), HasSubstr("mdadm --incremental /dev/vdb failed (exit status 2)"));
  EXPECT_THAT(Log(), HasSubstr("re-added /dev/vdb to /dev/md127"));
}

class MdRunDegradedTest : public AssembleTest {
 protected:
  MdRunDegradedTest() {
    EXPECT_TRUE(kernel_.MkdirAll("/sys/block/md127/md/dev-vdb").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md127/md/raid_disks", "2\n").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md127/md/degraded", "1\n").ok());
    kernel_.AddTerminal("/dev/console", "");
    ctx_.command = "baton: md-run-degraded";
  }
};

TEST_F(MdRunDegradedTest, WarnsOnTheConsoleAndRuns) {
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "/dev/md127"), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--run", "/dev/md127"}));
  const std::string warning =
      "baton: md-run-degraded: WARNING: starting /dev/md127 degraded: 1 of 2 members\n";
  EXPECT_EQ(kernel_.terminal_output("/dev/console"), warning);
  EXPECT_THAT(Log(), HasSubstr(warning));
  EXPECT_THAT(Log(), HasSubstr("/dev/md127 is running with 1 member missing"));
  // md-add puts a member that comes late back into this array.
  EXPECT_TRUE(kernel_.ReadFile(std::string(kMdStartedDegradedDir) + "/md127").ok());
}

// As md-run-degraded finds an array in stage 1: inactive, md/raid_disks
// empty (the old warning said "no /sys/block/md127/md", which was there).
TEST_F(MdRunDegradedTest, InactiveArrayCountsFromTheMembersSuperblock) {
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md127/md/raid_disks", "\n").ok());
  kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest& req) {
    if (req.argv.size() > 1 && req.argv[1] == "--examine") {
      std::string text = "MD_LEVEL=raid1\nMD_DEVICES=2\nMD_UUID=28f7a0d3:a0d65797:93716bd4:14f87f72\n";
      EXPECT_TRUE(kernel_.Write(req.stdout_fd, text.data(), text.size()).ok());
    }
    kernel_.Exit(pid, 0);
  });
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "/dev/md127"), 0);
  EXPECT_THAT(Spawned(),
              ElementsAre(Argv{"/sbin/mdadm", "--examine", "--export", "/dev/vdb"},
                          Argv{"/sbin/mdadm", "--run", "/dev/md127"}));
  EXPECT_EQ(kernel_.terminal_output("/dev/console"),
            "baton: md-run-degraded: WARNING: starting /dev/md127 degraded: 1 of 2 members\n");
}

TEST_F(MdRunDegradedTest, InactiveArrayWithoutACountSaysWhy) {
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md127/md/raid_disks", "\n").ok());
  exit_statuses_ = {1, 0};  // --examine fails, --run works
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "/dev/md127"), 0);
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("WARNING: starting /dev/md127 degraded (its member count is unknown: "
                        "/sys/block/md127/md/raid_disks is empty while the array is inactive, "
                        "and mdadm --examine --export /dev/vdb failed (exit status 1))"));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"), Not(HasSubstr("no /sys/block")));
  EXPECT_THAT(Spawned().back(), ElementsAre("/sbin/mdadm", "--run", "/dev/md127"));
}

TEST_F(MdRunDegradedTest, FollowsTheMdLink) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev/md").ok());
  ASSERT_TRUE(kernel_.Symlink("../md127", "/dev/md/root").ok());
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "/dev/md/root"), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--run", "/dev/md/root"}));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("starting /dev/md/root degraded: 1 of 2 members"));
  EXPECT_TRUE(kernel_.ReadFile(std::string(kMdStartedDegradedDir) + "/md127").ok());
}

TEST_F(MdRunDegradedTest, UnknownArrayStillRunsWithAWarning) {
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "md5"), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--run", "/dev/md5"}));
  EXPECT_THAT(kernel_.terminal_output("/dev/console"),
              HasSubstr("WARNING: starting /dev/md5 degraded (its member count is unknown: "
                        "no /sys/block/md5/md)"));
}

TEST_F(MdRunDegradedTest, FailureIsReported) {
  exit_statuses_ = {1};
  EXPECT_EQ(MdRunDegraded(ctx_, files_, "/dev/md127"), 1);
  EXPECT_THAT(Log(), HasSubstr("mdadm --run /dev/md127 failed (exit status 1)"));
}

TEST_F(AssembleTest, LvmActivateRunsThePolicyThenVgmknodes) {
  Env pv = {{"DEVNAME", "/dev/dm-0"}, {"ID_FS_TYPE", "LVM2_member"}, {"LVM_VG_NAME", "vg0"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/lvm", "vgchange", "-ay", "--sysinit", "vg0"},
                                     Argv{"/sbin/lvm", "vgmknodes"}));
  EXPECT_THAT(Log(), HasSubstr("activated volumes for /dev/dm-0 (volume group vg0)"));
}

TEST_F(AssembleTest, LvmActivateWithoutVgAndWithLvFilter) {
  SetCmdline("rd.lvm.lv=vg0/root");
  Env pv = {{"DEVNAME", "/dev/dm-0"}, {"ID_FS_TYPE", "LVM2_member"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 0);
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/lvm", "lvchange", "-ay", "--sysinit", "vg0/root"},
                                     Argv{"/sbin/lvm", "vgmknodes"}));
}

TEST_F(AssembleTest, LvmActivateHonoursRdLvm0) {
  SetCmdline("rd.lvm=0");
  Env pv = {{"DEVNAME", "/dev/dm-0"}, {"ID_FS_TYPE", "LVM2_member"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
}

TEST_F(AssembleTest, LvmPartialVolumeGroupIsLoggedNotFatal) {
  exit_statuses_ = {5, 0};
  Env pv = {{"DEVNAME", "/dev/dm-0"}, {"ID_FS_TYPE", "LVM2_member"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 0);
  EXPECT_EQ(kernel_.spawned().size(), 2u);
  EXPECT_THAT(Log(), HasSubstr("ended with exit status 5"));
  EXPECT_THAT(Log(), HasSubstr("activation incomplete for /dev/dm-0"));
}

TEST_F(AssembleTest, WithoutLvmAnUnreadablePvIsAFailure) {
  ASSERT_TRUE(kernel_.Unlink("/sbin/lvm").ok());
  Env pv = {{"DEVNAME", "/dev/dm-0"}, {"ID_FS_TYPE", "LVM2_member"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 1);
  EXPECT_THAT(Log(), HasSubstr("cannot read the LVM physical volume"));
  EXPECT_THAT(Log(), HasSubstr("/dev/dm-0"));
  EXPECT_TRUE(kernel_.spawned().empty());
}

std::string LvmTestData(const std::string& name) {
  return baton::runfiles::ReadRunfile("supervisor/stage1/testdata/lvm/" + name);
}

// The golden two-PV VG of lvm_native_test.cc; lvm_native_test checks every
// table, this only that LvmActivate takes the native path with the policy.
TEST_F(AssembleTest, WithoutLvmActivatesNativelyWithThePolicy) {
  ASSERT_TRUE(kernel_.Unlink("/sbin/lvm").ok());
  SetCmdline("root=/dev/vg0/root rd.lvm.lv=vg0/root rd.lvm.lv=vg0/ro");
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  const std::vector<std::pair<std::string, std::string>> disks = {{"vdb", "vg0_pv0.bin"},
                                                                  {"vdc", "vg0_pv1.bin"}};
  unsigned minor = 16;
  for (const auto& [kname, file] : disks) {
    std::string bytes = LvmTestData(file);
    ASSERT_FALSE(bytes.empty()) << file;
    ASSERT_TRUE(kernel_.Mknod("/dev/" + kname, S_IFBLK | 0600, makedev(252, minor)).ok());
    ASSERT_TRUE(kernel_.WriteFile("/dev/" + kname, bytes).ok());
    ASSERT_TRUE(kernel_.MkdirAll("/sys/class/block/" + kname).ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys/class/block/" + kname + "/size", "131072\n").ok());
    minor += 16;
  }
  Env pv = {{"DEVNAME", "/dev/vdc"}, {"ID_FS_TYPE", "LVM2_member"}};
  EXPECT_EQ(LvmActivate(ctx_, files_, pv), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  ASSERT_EQ(kernel_.dm_devices().size(), 2u);
  EXPECT_EQ(sys::FakeKernel::DmTableText(kernel_.dm_devices().at("vg0-root").table),
            "0 20480 linear 252:16 2048\n20480 6144 linear 252:32 10240\n");
  EXPECT_TRUE(kernel_.dm_devices().at("vg0-ro").read_only);
  EXPECT_THAT(Log(), HasSubstr("activated vg0/root as /dev/mapper/vg0-root"));
}

}  // namespace
}  // namespace baton::stage1
