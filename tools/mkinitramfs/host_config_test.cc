#include "tools/mkinitramfs/host_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Root(const std::string& name) {
  std::string r = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  fs::remove_all(r);
  fs::create_directories(r + "/etc/mdadm");
  return r;
}

TEST(HostConfigTest, StackedRoot) {
  std::string r = Root("stacked");
  std::ofstream(r + "/etc/fstab") << "# comment\n/dev/mapper/vg0-root / ext4 defaults 0 1\n"
                                     "UUID=abc /boot ext2 defaults 0 2\n";
  std::ofstream(r + "/etc/crypttab") << "cryptraid UUID=1234 none luks\n"
                                        "data UUID=55 /etc/keys/data.key luks\n"
                                        "swap /dev/sdb2 /dev/urandom swap\n";
  std::ofstream(r + "/etc/mdadm/mdadm.conf") << "ARRAY /dev/md0 metadata=1.2 UUID=x\n";
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->root_fs_types, ElementsAre("ext4"));
  EXPECT_TRUE(s->crypt);
  EXPECT_TRUE(s->raid);
  EXPECT_TRUE(s->lvm);
  EXPECT_THAT(s->key_files, ElementsAre("/etc/keys/data.key"));
  // No level= and no /etc/lvm/backup: unknown, so everything goes in.
  EXPECT_THAT(s->raid_levels, IsEmpty());
  EXPECT_THAT(s->lvm_segment_types, IsEmpty());
  EXPECT_THAT(s->lvm_vgs, ElementsAre("vg0"));
  EXPECT_FALSE(s->lvm_every_vg);
}

TEST(HostConfigTest, RaidLevelsAndLvmSegmentTypes) {
  std::string r = Root("levels");
  std::ofstream(r + "/etc/fstab") << "/dev/mapper/vg--a-root / ext4 defaults 0 1\n";
  std::ofstream(r + "/etc/mdadm/mdadm.conf")
      << "ARRAY /dev/md0 level=raid1 metadata=1.2 UUID=x\nARRAY /dev/md1 level=5 UUID=y\n";
  fs::create_directories(r + "/etc/lvm/backup");
  std::ofstream(r + "/etc/lvm/backup/vg-a")
      << "vg-a {\n\tlogical_volumes {\n\t\troot {\n\t\t\tsegment1 {\n"
         "\t\t\t\ttype = \"striped\"\n\t\t\t}\n\t\t\tsegment2 {\n"
         "\t\t\t\ttype = \"thin\"\n\t\t\t}\n\t\t}\n\t}\n}\n";
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->raid_levels, ElementsAre("raid1", "raid456"));
  EXPECT_TRUE(s->lvm);
  EXPECT_THAT(s->lvm_segment_types, ElementsAre("striped", "thin"));
  EXPECT_THAT(s->lvm_vgs, ElementsAre("vg-a"));
  // One array without level=: unknown again (a sysroot: the running host's
  // arrays are not asked).
  std::ofstream(r + "/etc/mdadm/mdadm.conf", std::ios::app) << "ARRAY /dev/md2 UUID=z\n";
  s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->raid_levels, IsEmpty());
}

TEST(HostConfigTest, Helpers) {
  EXPECT_EQ(RaidModuleForLevel("raid6"), "raid456");
  EXPECT_EQ(RaidModuleForLevel("mirror"), "raid1");
  EXPECT_EQ(RaidModuleForLevel("10"), "raid10");
  EXPECT_EQ(RaidModuleForLevel("linear"), "linear");
  EXPECT_EQ(RaidModuleForLevel("multipath"), "");
  EXPECT_EQ(VolumeGroupOf("/dev/mapper/vg0-root"), "vg0");
  EXPECT_EQ(VolumeGroupOf("/dev/mapper/my--vg-my--lv"), "my-vg");
  EXPECT_EQ(VolumeGroupOf("/dev/vg0/usr"), "vg0");
  EXPECT_EQ(VolumeGroupOf("/dev/md/root"), "");
  EXPECT_EQ(VolumeGroupOf("UUID=1"), "");
  EXPECT_THAT(LvmSegmentTypes("id = \"x\"\ntype = \"raid5_ls\"\n  type=\"mirror\"\ntypes = 1\n"),
              ElementsAre("mirror", "raid5_ls"));
}

TEST(HostConfigTest, PlainRoot) {
  std::string r = Root("plain");
  std::ofstream(r + "/etc/fstab") << "LABEL=root / xfs defaults 0 1\n";
  std::ofstream(r + "/etc/mdadm/mdadm.conf") << "# no arrays\nMAILADDR root\n";
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->root_fs_types, ElementsAre("xfs"));
  EXPECT_FALSE(s->crypt);
  EXPECT_FALSE(s->raid);
  EXPECT_FALSE(s->lvm);
  EXPECT_THAT(s->key_files, IsEmpty());
}

TEST(HostConfigTest, CryptMapperNameIsNotLvm) {
  std::string r = Root("crypt");
  std::ofstream(r + "/etc/fstab") << "/dev/mapper/luks-root / btrfs defaults 0 1\n"
                                     "/dev/vg/usr /usr ext4 defaults 0 2\n";
  std::ofstream(r + "/etc/crypttab") << "luks-root UUID=1 none\n";
  auto entries = RootEntries("/dev/mapper/luks-root / btrfs defaults 0 1\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].second, "btrfs");
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->root_fs_types, ElementsAre("btrfs", "ext4"));
  EXPECT_TRUE(s->lvm);  // from /dev/vg/usr
  EXPECT_THAT(s->lvm_vgs, ElementsAre("vg"));
  EXPECT_FALSE(s->lvm_every_vg);
}

TEST(HostConfigTest, LvmRootWithoutAVgNameCountsEveryVg) {
  // A dm name with dashes but no single one: an LV, its VG not recoverable.
  std::string r = Root("lvm-unnamed");
  std::ofstream(r + "/etc/fstab") << "/dev/mapper/a--b / ext4 defaults 0 1\n";
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->lvm);
  EXPECT_TRUE(s->lvm_every_vg);
  EXPECT_THAT(s->lvm_vgs, IsEmpty());
}

}  // namespace
}  // namespace baton::mkinitramfs
