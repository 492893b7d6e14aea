#include "supervisor/stage1/root_finder.h"

#include <sys/mount.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using ::testing::HasSubstr;

TEST(RootFinderTest, ContainersAreNotMountable) {
  EXPECT_TRUE(IsMountableFilesystem("ext4"));
  EXPECT_TRUE(IsMountableFilesystem("xfs"));
  EXPECT_FALSE(IsMountableFilesystem(""));
  EXPECT_FALSE(IsMountableFilesystem("linux_raid_member"));
  EXPECT_FALSE(IsMountableFilesystem("crypto_LUKS"));
  EXPECT_FALSE(IsMountableFilesystem("LVM2_member"));
  EXPECT_FALSE(IsMountableFilesystem("swap"));
}

TEST(RootFinderTest, MatchesOnlyMountableDevices) {
  RootSpec spec = *RootSpec::Parse("/dev/vda");
  Env raid = {{"DEVNAME", "/dev/vda"}, {"ID_FS_TYPE", "linux_raid_member"}};
  EXPECT_FALSE(MatchDevice(spec, raid).has_value());
  Env ext4 = {{"DEVNAME", "/dev/vda"}, {"ID_FS_TYPE", "ext4"}};
  auto found = MatchDevice(spec, ext4);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->devname, "/dev/vda");
  EXPECT_EQ(found->fs_type, "ext4");
  std::map<std::string, Env> devices = {{"/dev/vda", raid}, {"/dev/vdb", ext4}};
  EXPECT_FALSE(FindDevice(*RootSpec::Parse("/dev/vdc"), devices).has_value());
}

TEST(RootFinderTest, DescribesDevices) {
  std::map<std::string, Env> devices = {
      {"/dev/vda", {{"ID_FS_TYPE", "ext4"}, {"ID_FS_UUID", "u1"}, {"ID_FS_LABEL", "root"}}},
      {"/dev/vdb", {}}};
  EXPECT_EQ(DescribeDevices(devices),
            "  /dev/vda  TYPE=ext4 UUID=u1 LABEL=root\n"
            "  /dev/vdb  (no filesystem found)\n");
  EXPECT_THAT(DescribeDevices({}), HasSubstr("no block devices"));
}

TEST(RootFinderTest, MountOptionsSplitIntoFlagsAndData) {
  MountArgs a = ParseMountOptions("defaults,noatime,nodev,errors=remount-ro,x-systemd.foo,commit=5");
  EXPECT_EQ(a.flags, static_cast<unsigned long>(MS_NOATIME | MS_NODEV));
  EXPECT_EQ(a.data, "errors=remount-ro,commit=5");
  MountArgs b = ParseMountOptions("ro,rw");
  EXPECT_EQ(b.flags, 0u);
  EXPECT_EQ(b.data, "");
}

}  // namespace
}  // namespace baton::stage1
