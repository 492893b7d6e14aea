#include "supervisor/stage1/mdadm_conf.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(MdadmConfTest, ArraysDevicesAndContinuations) {
  MdadmConf c = ParseMdadmConf(
      "# mdadm.conf written by mkconf\n"
      "DEVICE partitions containers\n"
      "HOMEHOST <system>\n"
      "MAILADDR root\n"
      "ARRAY /dev/md/root metadata=1.2 UUID=1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d\n"
      "      name=debian:root   # the root array\n"
      "arr /dev/md0 level=raid1 num-devices=2 devices=/dev/sda1,/dev/sdb1\n"
      "ARRAY <ignore> UUID=ffffffff:00000000:11111111:22222222\n"
      "dev /dev/vd*\n",
      "/etc/mdadm/mdadm.conf");
  ASSERT_TRUE(c.status().ok()) << c.status();
  EXPECT_THAT(c.device_patterns, ElementsAre("partitions", "containers", "/dev/vd*"));
  ASSERT_EQ(c.arrays.size(), 3u);

  const MdArrayLine& root = c.arrays[0];
  EXPECT_EQ(root.device, "/dev/md/root");
  EXPECT_EQ(root.metadata, "1.2");
  EXPECT_EQ(root.uuid, "1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d");
  EXPECT_EQ(root.name, "debian:root");
  EXPECT_EQ(root.line, 5);

  const MdArrayLine& md0 = c.arrays[1];
  EXPECT_EQ(md0.device, "/dev/md0");
  EXPECT_EQ(md0.num_devices, 2);
  EXPECT_THAT(md0.devices, ElementsAre("/dev/sda1", "/dev/sdb1"));
  EXPECT_THAT(md0.other, ElementsAre(Pair("level", "raid1")));

  EXPECT_TRUE(c.arrays[2].ignore);
  EXPECT_EQ(c.arrays[2].device, "");

  EXPECT_EQ(c.FindByUuid("1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D"), &c.arrays[0]);
  EXPECT_EQ(c.FindByUuid("00000000-5e6f-7a8b-9c0d-1e2f3a4b5c6d"), nullptr);
  EXPECT_TRUE(c.ListsArrays());
}

TEST(MdadmConfTest, BadLinesAreReportedGoodOnesKept) {
  MdadmConf c = ParseMdadmConf(
      "ARRAY /dev/md0 metadata=1.2\n"
      "ARRAY /dev/md1 bogus UUID=1:2:3:4\n"
      "FROBNICATE yes\n"
      "AR /dev/md3 UUID=5:6:7:8\n"
      "ARRAY /dev/md4 num-devices=zero UUID=9:9:9:9\n"
      "ARRAY /dev/md2 UUID=a:b:c:d\n",
      "mdadm.conf");
  ASSERT_EQ(c.arrays.size(), 1u);
  EXPECT_EQ(c.arrays[0].device, "/dev/md2");
  EXPECT_EQ(c.arrays[0].line, 6);
  ASSERT_EQ(c.errors.size(), 5u);
  EXPECT_THAT(std::string(c.errors[0].message()),
              ::testing::StartsWith("mdadm.conf:1: ARRAY has no UUID="));
  EXPECT_EQ(c.errors[1].message(),
            "mdadm.conf:2: \"bogus\" is neither the array device nor KEY=VALUE");
  EXPECT_EQ(c.errors[2].message(), "mdadm.conf:3: unknown keyword \"FROBNICATE\"");
  // Two letters are not enough for a keyword.
  EXPECT_EQ(c.errors[3].message(), "mdadm.conf:4: unknown keyword \"AR\"");
  EXPECT_EQ(c.errors[4].message(),
            "mdadm.conf:5: num-devices=\"zero\" is not a positive number");
  EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("(and 4 more)"));
}

TEST(MdadmConfTest, EmptyConfListsNothing) {
  MdadmConf c = ParseMdadmConf("", "x");
  EXPECT_TRUE(c.status().ok());
  EXPECT_FALSE(c.ListsArrays());
  EXPECT_TRUE(c.device_patterns.empty());
}

}  // namespace
}  // namespace baton::stage1
