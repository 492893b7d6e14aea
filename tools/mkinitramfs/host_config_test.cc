#include "tools/mkinitramfs/host_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/mkinitramfs/image.h"

namespace baton::mkinitramfs {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
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
  EXPECT_THAT(LvmSegmentTypes(*s), IsEmpty());
  EXPECT_THAT(LvmModules(LvmSegmentTypes(*s)), Contains("dm_snapshot"));
  EXPECT_THAT(s->lvm_vgs, ElementsAre("vg0"));
  EXPECT_FALSE(s->lvm_every_vg);
  // The missing backup is listed: not found, no error.
  ASSERT_EQ(s->lvm_backups.size(), 1u);
  EXPECT_EQ(s->lvm_backups[0].vg, "vg0");
  EXPECT_EQ(s->lvm_backups[0].path, r + "/etc/lvm/backup/vg0");
  EXPECT_FALSE(s->lvm_backups[0].facts.has_value());
  EXPECT_EQ(s->lvm_backups[0].error, "");
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
  EXPECT_THAT(LvmSegmentTypes(*s), ElementsAre("striped", "thin"));
  EXPECT_THAT(LvmModules(LvmSegmentTypes(*s)), ElementsAre("dm_mod", "dm_thin_pool"));
  EXPECT_THAT(s->lvm_vgs, ElementsAre("vg-a"));
  ASSERT_EQ(s->lvm_backups.size(), 1u);
  ASSERT_TRUE(s->lvm_backups[0].facts.has_value()) << s->lvm_backups[0].error;
  EXPECT_EQ(s->lvm_backups[0].facts->name, "vg-a");
  EXPECT_EQ(s->lvm_backups[0].facts->source, r + "/etc/lvm/backup/vg-a");
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
}

// A backup as vgcfgbackup writes it, one LV per (name, type).
std::string Backup(const std::string& vg,
                   const std::vector<std::pair<std::string, std::string>>& lvs) {
  std::string out = "contents = \"Text Format Volume Group\"\nversion = 1\n\n" + vg +
                    " {\n\tid = \"x\"\n\tseqno = 2\n\tlogical_volumes {\n";
  for (const auto& [name, type] : lvs) {
    out += "\t\t" + name + " {\n\t\t\tstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\n";
    if (!type.empty()) {
      out += "\t\t\tsegment1 {\n\t\t\t\tstart_extent = 0\n\t\t\t\ttype = \"" + type +
             "\"\n\t\t\t}\n";
    }
    out += "\t\t}\n";
  }
  return out + "\t}\n}\n";
}

TEST(HostConfigTest, SegmentTypesAndTheirModules) {
  HostStack s;
  s.lvm = true;
  s.lvm_backups.push_back(LvmBackupFromText(
      "vg0", "/etc/lvm/backup/vg0", Backup("vg0", {{"r", "raid5_ls"}, {"m", "mirror"}})));
  ASSERT_TRUE(s.lvm_backups[0].facts.has_value()) << s.lvm_backups[0].error;
  EXPECT_THAT(LvmSegmentTypes(s), ElementsAre("mirror", "raid5_ls"));
  EXPECT_THAT(LvmModules(LvmSegmentTypes(s)), ElementsAre("dm_mirror", "dm_mod", "dm_raid"));
  // Every VG's types count; an LV without segments adds none.
  s.lvm_backups.push_back(LvmBackupFromText(
      "vg1", "/etc/lvm/backup/vg1", Backup("vg1", {{"root", "striped"}, {"empty", ""}})));
  EXPECT_THAT(LvmSegmentTypes(s), ElementsAre("mirror", "raid5_ls", "striped"));
  // A VG listing no segment at all, a backup that is missing or does not
  // parse: unknown, every target.
  HostStack unknown = s;
  unknown.lvm_backups.push_back(
      LvmBackupFromText("vg2", "/etc/lvm/backup/vg2", Backup("vg2", {{"empty", ""}})));
  EXPECT_THAT(LvmSegmentTypes(unknown), IsEmpty());
  unknown = s;
  unknown.lvm_backups.push_back(LvmBackup{"vg2", "/etc/lvm/backup/vg2", std::nullopt, ""});
  EXPECT_THAT(LvmSegmentTypes(unknown), IsEmpty());
  unknown = s;
  unknown.lvm_backups.push_back(
      LvmBackupFromText("vg2", "/etc/lvm/backup/vg2", "vg2 {\n  type = \"striped\"\n"));
  EXPECT_FALSE(unknown.lvm_backups.back().facts.has_value());
  EXPECT_THAT(unknown.lvm_backups.back().error,
              HasSubstr("/etc/lvm/backup/vg2: LVM metadata line"));
  EXPECT_THAT(LvmSegmentTypes(unknown), IsEmpty());
  EXPECT_THAT(LvmModules(LvmSegmentTypes(unknown)), Contains("dm_thin_pool"));
  EXPECT_THAT(LvmSegmentTypes(HostStack{}), IsEmpty());
}

TEST(HostConfigTest, BadBackupIsKeptWithItsError) {
  std::string r = Root("bad-backup");
  std::ofstream(r + "/etc/fstab") << "/dev/vg0/root / ext4 defaults 0 1\n"
                                     "/dev/vg1/usr /usr ext4 defaults 0 2\n";
  fs::create_directories(r + "/etc/lvm/backup/vg1");  // a directory: unreadable
  std::ofstream(r + "/etc/lvm/backup/vg0") << "vg0 {\n\tseqno 3\n}\n";
  absl::StatusOr<HostStack> s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok()) << s.status();  // not fatal: the VG stays, its types unknown
  ASSERT_EQ(s->lvm_backups.size(), 2u);
  EXPECT_EQ(s->lvm_backups[0].vg, "vg0");
  EXPECT_FALSE(s->lvm_backups[0].facts.has_value());
  EXPECT_THAT(s->lvm_backups[0].error, HasSubstr(r + "/etc/lvm/backup/vg0: LVM metadata line 2"));
  EXPECT_EQ(s->lvm_backups[1].vg, "vg1");
  EXPECT_FALSE(s->lvm_backups[1].facts.has_value());
  EXPECT_EQ(s->lvm_backups[1].error, r + "/etc/lvm/backup/vg1: Is a directory");
  EXPECT_THAT(LvmSegmentTypes(*s), IsEmpty());
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
  EXPECT_THAT(s->lvm_backups, IsEmpty());
  EXPECT_THAT(LvmSegmentTypes(*s), IsEmpty());
  // Every backup there is read, once each, sorted by VG.
  fs::create_directories(r + "/etc/lvm/backup");
  std::ofstream(r + "/etc/lvm/backup/vg1") << Backup("vg1", {{"pool", "thin-pool"}});
  std::ofstream(r + "/etc/lvm/backup/vg0") << Backup("vg0", {{"root", "striped"}});
  s = ReadHostStack(r, r + "/sys");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->lvm_backups.size(), 2u);
  EXPECT_EQ(s->lvm_backups[0].vg, "vg0");
  EXPECT_EQ(s->lvm_backups[1].vg, "vg1");
  EXPECT_THAT(LvmSegmentTypes(*s), ElementsAre("striped", "thin-pool"));
  EXPECT_THAT(LvmModules(LvmSegmentTypes(*s)), ElementsAre("dm_mod", "dm_thin_pool"));
}

}  // namespace
}  // namespace baton::mkinitramfs
