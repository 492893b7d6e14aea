#include "supervisor/stage1/fstab.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;

TEST(FstabTest, ParsesEntriesAndDefaults) {
  ParseResult<FstabEntry> r = ParseFstab(
      "# /etc/fstab: static file system information.\n"
      "\n"
      "UUID=0b9e3a6c /  ext4  errors=remount-ro,noatime 0 1\n"
      "  /dev/sdb1\t/srv\txfs\n"
      "LABEL=data /data\n",
      "/etc/fstab");
  ASSERT_TRUE(r.status().ok()) << r.status();
  ASSERT_EQ(r.entries.size(), 3u);
  const FstabEntry& root = r.entries[0];
  EXPECT_EQ(root.spec, "UUID=0b9e3a6c");
  EXPECT_EQ(root.mount_point, "/");
  EXPECT_EQ(root.fstype, "ext4");
  EXPECT_EQ(root.passno, 1);
  EXPECT_EQ(root.line, 3);
  EXPECT_THAT(root.OptionList(), ElementsAre("errors=remount-ro", "noatime"));
  EXPECT_TRUE(root.HasOption("noatime"));
  EXPECT_TRUE(root.HasOption("errors"));
  EXPECT_FALSE(root.HasOption("noatim"));
  EXPECT_EQ(root.OptionValue("errors"), "remount-ro");
  EXPECT_EQ(root.OptionValue("noatime"), std::nullopt);

  EXPECT_EQ(r.entries[1].fstype, "xfs");
  EXPECT_EQ(r.entries[1].options, "defaults");
  EXPECT_EQ(r.entries[1].line, 4);
  EXPECT_EQ(r.entries[2].fstype, "auto");
  EXPECT_EQ(r.entries[2].freq, 0);
  EXPECT_EQ(r.entries[2].passno, 0);
}

TEST(FstabTest, OctalEscapes) {
  ParseResult<FstabEntry> r =
      ParseFstab("LABEL=my\\040disk /mnt/my\\040disk\\134x vfat uid=1000\n", "f");
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].spec, "LABEL=my disk");
  EXPECT_EQ(r.entries[0].mount_point, "/mnt/my disk\\x");
  EXPECT_EQ(DecodeOctalEscapes("a\\011b"), "a\tb");
  EXPECT_EQ(DecodeOctalEscapes("a\\9b\\04"), "a\\9b\\04");  // kept as written
}

TEST(FstabTest, BadLinesAreReportedAndSkipped) {
  ParseResult<FstabEntry> r = ParseFstab(
      "/dev/sda1 / ext4 defaults 0 1\n"
      "/dev/sda2\n"
      "/dev/sda3 /a ext4 defaults 0 1 extra\n"
      "/dev/sda4 /b ext4 defaults x 1\n"
      "/dev/sda5 /c ext4 defaults 0 y\n"
      "/dev/sda6 /d\n",
      "/etc/fstab");
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].spec, "/dev/sda1");
  EXPECT_EQ(r.entries[1].spec, "/dev/sda6");
  EXPECT_EQ(r.entries[1].line, 6);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].message(), "/etc/fstab:2: missing mount point");
  EXPECT_EQ(r.errors[1].message(), "/etc/fstab:3: too many fields (7, at most 6)");
  EXPECT_EQ(r.errors[2].message(), "/etc/fstab:4: dump frequency \"x\" is not a number");
  EXPECT_EQ(r.errors[3].message(), "/etc/fstab:5: fsck pass \"y\" is not a number");
  EXPECT_EQ(r.status().message(), "/etc/fstab:2: missing mount point (and 3 more)");
}

TEST(FstabTest, CrLfAndCommentsWithLeadingBlanks) {
  ParseResult<FstabEntry> r = ParseFstab("   # note\r\n/dev/vda1 / ext4 ro 0 1\r\n", "f");
  ASSERT_TRUE(r.status().ok());
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].passno, 1);
  EXPECT_EQ(r.entries[0].line, 2);
}

}  // namespace
}  // namespace baton::stage1
