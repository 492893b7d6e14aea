#include "supervisor/stage1/root_spec.h"

#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

RootSpec Spec(absl::string_view s) {
  absl::StatusOr<RootSpec> r = RootSpec::Parse(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status();
  return r.ok() ? *r : RootSpec();
}

const Env kSda1 = {
    {"DEVNAME", "/dev/sda1"},
    {"MAJOR", "8"},
    {"MINOR", "1"},
    {"DEVLINKS", "/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part1 "
                 "/dev/disk/by-uuid/0b9e3a6c-2f4d-4e1a-9c7b-5d2e8f1a3b4c"},
    {"ID_FS_TYPE", "ext4"},
    {"ID_FS_UUID", "0b9e3a6c-2f4d-4e1a-9c7b-5d2e8f1a3b4c"},
    {"ID_FS_LABEL", "my_root"},
    {"ID_FS_LABEL_ENC", "my\\x20root"},
    {"ID_PART_ENTRY_UUID", "5A1F0C2E-01"},
    {"ID_PART_ENTRY_NAME", "Linux\\x20root"},
};

TEST(RootSpecTest, PathMatchesDevnameAndLinks) {
  RootSpec s = Spec("/dev/sda1");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kPath);
  EXPECT_TRUE(s.Matches(kSda1));
  EXPECT_FALSE(Spec("/dev/sda2").Matches(kSda1));
  EXPECT_TRUE(Spec("/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part1").Matches(kSda1));
  EXPECT_EQ(s.Describe(), "the device /dev/sda1");
}

TEST(RootSpecTest, BareNameMeansDev) {
  RootSpec s = Spec("sda1");
  EXPECT_EQ(s.value(), "/dev/sda1");
  EXPECT_TRUE(s.Matches(kSda1));
}

TEST(RootSpecTest, UuidIsCaseInsensitive) {
  RootSpec s = Spec("UUID=0B9E3A6C-2F4D-4E1A-9C7B-5D2E8F1A3B4C");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kUuid);
  EXPECT_TRUE(s.Matches(kSda1));
  EXPECT_FALSE(Spec("UUID=0b9e3a6c-2f4d-4e1a-9c7b-5d2e8f1a3b4d").Matches(kSda1));
  EXPECT_EQ(Spec("UUID=abc").Describe(), "the filesystem with UUID=abc");
}

TEST(RootSpecTest, UuidDoesNotMatchDeviceWithoutOne) {
  EXPECT_FALSE(Spec("UUID=abc").Matches({{"DEVNAME", "/dev/sdb"}}));
}

TEST(RootSpecTest, LabelUsesEncodedFormThenPlain) {
  EXPECT_TRUE(Spec("LABEL=my root").Matches(kSda1));
  EXPECT_TRUE(Spec("LABEL=my_root").Matches(kSda1));
  EXPECT_FALSE(Spec("LABEL=My root").Matches(kSda1));  // labels are case-sensitive
  EXPECT_TRUE(Spec("LABEL=batonroot").Matches({{"ID_FS_LABEL", "batonroot"}}));
  EXPECT_EQ(Spec("LABEL=batonroot").Describe(), "the filesystem with LABEL=batonroot");
}

TEST(RootSpecTest, ByLabelLinkIsDecoded) {
  RootSpec s = Spec("/dev/disk/by-label/my\\x20root");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kLabel);
  EXPECT_EQ(s.value(), "my root");
  // No such link in DEVLINKS: matched through the label.
  EXPECT_TRUE(s.Matches(kSda1));
}

TEST(RootSpecTest, ByUuidLinkMatchesProperty) {
  RootSpec s = Spec("/dev/disk/by-uuid/0B9E3A6C-2F4D-4E1A-9C7B-5D2E8F1A3B4C");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kUuid);
  EXPECT_TRUE(s.Matches(kSda1));
}

TEST(RootSpecTest, PartUuidAndPartLabel) {
  EXPECT_TRUE(Spec("PARTUUID=5a1f0c2e-01").Matches(kSda1));
  EXPECT_FALSE(Spec("PARTUUID=5a1f0c2e-02").Matches(kSda1));
  EXPECT_TRUE(Spec("/dev/disk/by-partuuid/5a1f0c2e-01").Matches(kSda1));
  EXPECT_TRUE(Spec("PARTLABEL=Linux root").Matches(kSda1));
  EXPECT_FALSE(Spec("PARTLABEL=Linux").Matches(kSda1));
  EXPECT_EQ(Spec("PARTLABEL=x").Describe(), "the partition with PARTLABEL=x");
  EXPECT_EQ(Spec("PARTUUID=x").Describe(), "the partition with PARTUUID=x");
}

TEST(RootSpecTest, PartNrOffIsRefusedClearly) {
  absl::StatusOr<RootSpec> r = RootSpec::Parse("PARTUUID=5a1f0c2e-01/PARTNROFF=1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(r.status().message().find("PARTNROFF"), std::string::npos);
  EXPECT_NE(r.status().message().find("not supported"), std::string::npos);
}

TEST(RootSpecTest, BadSpecs) {
  EXPECT_EQ(RootSpec::Parse("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RootSpec::Parse("UUID=").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RootSpec::Parse("/dev/disk/by-uuid/").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RootSpec::Parse("ZFS=rpool/root").status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(RootSpec::Parse("/dev/nfs").status().code(), absl::StatusCode::kUnimplemented);
}

TEST(RootSpecTest, MapperMatchesDmName) {
  RootSpec s = Spec("/dev/mapper/luks-abc");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kMapper);
  EXPECT_TRUE(s.Matches({{"DEVNAME", "/dev/dm-0"}, {"DM_NAME", "luks-abc"}}));
  EXPECT_FALSE(s.Matches({{"DEVNAME", "/dev/dm-0"}, {"DM_NAME", "luks-abd"}}));
  EXPECT_EQ(s.Describe(), "the device-mapper device /dev/mapper/luks-abc");
}

TEST(RootSpecTest, LvmByVgLvOrEscapedDmName) {
  RootSpec s = Spec("/dev/my-vg/root-lv");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kLvm);
  EXPECT_EQ(s.value(), "my-vg/root-lv");
  EXPECT_TRUE(s.Matches({{"DM_VG_NAME", "my-vg"}, {"DM_LV_NAME", "root-lv"}}));
  EXPECT_TRUE(s.Matches({{"DM_NAME", "my--vg-root--lv"}}));
  EXPECT_FALSE(s.Matches({{"DM_NAME", "my-vg-root-lv"}}));
  EXPECT_FALSE(s.Matches({{"DM_VG_NAME", "my-vg"}, {"DM_LV_NAME", "swap"}}));
  EXPECT_EQ(s.Describe(), "the logical volume my-vg/root-lv (/dev/my-vg/root-lv)");
  // The /dev/mapper form of the same LV.
  EXPECT_TRUE(Spec("/dev/mapper/my--vg-root--lv").Matches({{"DM_NAME", "my--vg-root--lv"}}));
}

TEST(RootSpecTest, DmNameForLv) {
  EXPECT_EQ(DmNameForLv("vg0", "root"), "vg0-root");
  EXPECT_EQ(DmNameForLv("a-b", "c-d-e"), "a--b-c--d--e");
}

TEST(RootSpecTest, MdByNumberAndName) {
  RootSpec md0 = Spec("/dev/md0");
  EXPECT_EQ(md0.kind(), RootSpec::Kind::kMd);
  EXPECT_TRUE(md0.Matches({{"DEVNAME", "/dev/md0"}}));
  EXPECT_FALSE(md0.Matches({{"DEVNAME", "/dev/md127"}}));
  EXPECT_EQ(md0.Describe(), "the RAID array /dev/md0");

  RootSpec named = Spec("/dev/md/root");
  EXPECT_EQ(named.kind(), RootSpec::Kind::kMd);
  EXPECT_TRUE(named.Matches({{"DEVNAME", "/dev/md127"}, {"MD_DEVNAME", "root"}}));
  EXPECT_TRUE(named.Matches({{"DEVNAME", "/dev/md127"}, {"MD_NAME", "host:root"}}));
  EXPECT_TRUE(named.Matches({{"DEVNAME", "/dev/md127"}, {"DEVLINKS", "/dev/md/root"}}));
  EXPECT_FALSE(named.Matches({{"DEVNAME", "/dev/md127"}, {"MD_NAME", "host:rootx"}}));
  EXPECT_FALSE(named.Matches({{"DEVNAME", "/dev/md127"}, {"MD_DEVNAME", "boot"}}));
}

TEST(RootSpecTest, MajorMinor) {
  RootSpec s = Spec("8:1");
  EXPECT_EQ(s.kind(), RootSpec::Kind::kMajorMinor);
  EXPECT_TRUE(s.Matches(kSda1));
  EXPECT_FALSE(Spec("8:2").Matches(kSda1));
  EXPECT_EQ(s.Describe(), "the block device 8:1");
}

TEST(RootSpecTest, DefaultMatchesNothing) {
  EXPECT_FALSE(RootSpec().Matches(kSda1));
  EXPECT_EQ(RootSpec().Describe(), "no device");
}

}  // namespace
}  // namespace baton::stage1
