#include "sys/libblkid_prober.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;
using ::testing::Pair;

std::string TmpDir() { return std::getenv("TEST_TMPDIR"); }

int Shell(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

TEST(LibblkidProberTest, Ext4ImageReportsTypeLabelAndUuid) {
  std::string img = TmpDir() + "/ext4.img";
  ASSERT_EQ(Shell("PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F -L 'my root/x' -U "
                "0b1e7c4a-5d2f-4b8e-9a61-3c7d2e8f9a10 " + img + " 4M"),
            0);
  LibblkidProber prober;
  auto props = prober.Probe(img);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_THAT(*props, Contains(Pair("ID_FS_TYPE", "ext4")));
  EXPECT_THAT(*props, Contains(Pair("ID_FS_USAGE", "filesystem")));
  EXPECT_THAT(*props, Contains(Pair("ID_FS_UUID", "0b1e7c4a-5d2f-4b8e-9a61-3c7d2e8f9a10")));
  EXPECT_THAT(*props, Contains(Pair("ID_FS_UUID_ENC", "0b1e7c4a-5d2f-4b8e-9a61-3c7d2e8f9a10")));
  EXPECT_THAT(*props, Contains(Pair("ID_FS_LABEL", "my_root/x")));
  EXPECT_THAT(*props, Contains(Pair("ID_FS_LABEL_ENC", "my\\x20root\\x2fx")));
  EXPECT_THAT(*props, Contains(Key("ID_FS_VERSION")));
  EXPECT_THAT(*props, Not(Contains(Key("MD_UUID"))));
}

TEST(LibblkidProberTest, GptDiskReportsPartitionTable) {
  std::string img = TmpDir() + "/gpt.img";
  ASSERT_EQ(Shell("truncate -s 8M " + img), 0);
  ASSERT_EQ(Shell("PATH=$PATH:/sbin:/usr/sbin sgdisk -U 11111111-2222-3333-4444-555555555555 "
                "-n 1:2048:4095 -c 1:boot " + img),
            0);
  LibblkidProber prober;
  auto props = prober.Probe(img);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_THAT(*props, Contains(Pair("ID_PART_TABLE_TYPE", "gpt")));
  EXPECT_THAT(*props, Contains(Pair("ID_PART_TABLE_UUID", "11111111-2222-3333-4444-555555555555")));
  EXPECT_THAT(*props, Not(Contains(Key("ID_FS_TYPE"))));
}

TEST(LibblkidProberTest, BlankImageIsEmptyNotAnError) {
  std::string img = TmpDir() + "/blank.img";
  ASSERT_EQ(Shell("truncate -s 2M " + img), 0);
  LibblkidProber prober;
  auto props = prober.Probe(img);
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_TRUE(props->empty());
}

TEST(LibblkidProberTest, MissingNodeIsAnErrorNamingIt) {
  LibblkidProber prober;
  auto props = prober.Probe(TmpDir() + "/nosuch");
  ASSERT_FALSE(props.ok());
  EXPECT_THAT(std::string(props.status().message()), ::testing::HasSubstr("nosuch"));
}

TEST(MdadmUuidTest, FormatsAsFourColonGroups) {
  EXPECT_EQ(MdadmUuid("3b3ff9d1-7a4c-2e55-0c1d-9f8e7a6b5c4d"),
            "3b3ff9d1:7a4c2e55:0c1d9f8e:7a6b5c4d");
  EXPECT_EQ(MdadmUuid("3B3FF9D17A4C2E550C1D9F8E7A6B5C4D"),
            "3b3ff9d1:7a4c2e55:0c1d9f8e:7a6b5c4d");
  EXPECT_EQ(MdadmUuid("too-short"), "");
  EXPECT_EQ(MdadmUuid("zz3ff9d1-7a4c-2e55-0c1d-9f8e7a6b5c4d"), "");
}

}  // namespace
}  // namespace baton::sys
