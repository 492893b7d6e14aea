#include "supervisor/stage1/md_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using Action = MdDecision::Action;
using ::testing::HasSubstr;

const Env kMember = {{"DEVNAME", "/dev/sdb1"},
                     {"DEVLINKS", "/dev/disk/by-id/usb-Disk_1-part1"},
                     {"ID_FS_TYPE", "linux_raid_member"},
                     {"ID_FS_UUID", "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"}};

MdadmConf Conf(absl::string_view text) {
  MdadmConf c = ParseMdadmConf(text, "mdadm.conf");
  EXPECT_TRUE(c.status().ok()) << c.status();
  return c;
}

TEST(MdPolicyTest, DefaultAssemblesAnything) {
  MdDecision d = DecideMd(ParseCmdline(""), Conf(""), kMember);
  EXPECT_EQ(d.action, Action::kAssemble);
  EXPECT_EQ(d.member, "/dev/sdb1");
  EXPECT_EQ(d.array_uuid, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
  EXPECT_EQ(d.array_device, "");
}

TEST(MdPolicyTest, NotAMemberOrRdMdZeroSkips) {
  EXPECT_EQ(DecideMd(ParseCmdline(""), Conf(""), {{"ID_FS_TYPE", "ext4"}}).action,
            Action::kSkip);
  MdDecision d = DecideMd(ParseCmdline("rd.md=0"), Conf(""), kMember);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_EQ(d.reason, "rd.md=0");
}

TEST(MdPolicyTest, RdMdUuidFilterAcceptsMdadmFormat) {
  EXPECT_EQ(DecideMd(ParseCmdline("rd.md.uuid=1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d"), Conf(""),
                     kMember)
                .action,
            Action::kAssemble);
  MdDecision d = DecideMd(ParseCmdline("rd.md.uuid=ffffffff:5e6f7a8b:9c0d1e2f:3a4b5c6d"),
                          Conf(""), kMember);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, HasSubstr("rd.md.uuid"));
}

TEST(MdPolicyTest, MdUuidPropertyPreferred) {
  Env m = kMember;
  m.emplace_back("MD_UUID", "ffffffff:00000000:00000000:00000001");
  MdDecision d = DecideMd(ParseCmdline("rd.md.uuid=ffffffff-0000-0000-0000-000000000001"),
                          Conf(""), m);
  EXPECT_EQ(d.action, Action::kAssemble);
  EXPECT_EQ(d.array_uuid, "ffffffff:00000000:00000000:00000001");
}

TEST(MdPolicyTest, MdadmConfListFiltersUnlessRdAutoOrCmdline) {
  MdadmConf conf = Conf(
      "ARRAY /dev/md/other UUID=99999999:5e6f7a8b:9c0d1e2f:3a4b5c6d\n"
      "ARRAY /dev/md/root UUID=1A2B3C4D:5E6F7A8B:9C0D1E2F:3A4B5C6D\n");
  MdDecision d = DecideMd(ParseCmdline(""), conf, kMember);
  EXPECT_EQ(d.action, Action::kAssemble);
  EXPECT_EQ(d.array_device, "/dev/md/root");
  EXPECT_EQ(d.conf_line, 2);

  MdadmConf only_other = Conf("ARRAY /dev/md/other UUID=99999999:5e6f7a8b:9c0d1e2f:3a4b5c6d\n");
  MdDecision skipped = DecideMd(ParseCmdline(""), only_other, kMember);
  EXPECT_EQ(skipped.action, Action::kSkip);
  EXPECT_THAT(skipped.reason, HasSubstr("mdadm.conf"));
  EXPECT_EQ(DecideMd(ParseCmdline("rd.auto"), only_other, kMember).action, Action::kAssemble);
  EXPECT_EQ(DecideMd(ParseCmdline("rd.md.uuid=1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"),
                     only_other, kMember)
                .action,
            Action::kAssemble);
}

TEST(MdPolicyTest, IgnoreLineWinsOverEverything) {
  MdadmConf conf = Conf("ARRAY <ignore> UUID=1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d\n");
  MdDecision d = DecideMd(ParseCmdline("rd.auto rd.md.uuid=1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d"),
                          conf, kMember);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, HasSubstr("<ignore>"));
}

TEST(MdPolicyTest, DevicePatterns) {
  EXPECT_EQ(DecideMd(ParseCmdline(""), Conf("DEVICE /dev/sd*1\n"), kMember).action,
            Action::kAssemble);
  EXPECT_EQ(DecideMd(ParseCmdline(""), Conf("DEVICE /dev/disk/by-id/usb-*\n"), kMember).action,
            Action::kAssemble);
  EXPECT_EQ(DecideMd(ParseCmdline(""), Conf("DEVICE partitions\n"), kMember).action,
            Action::kAssemble);
  MdDecision d = DecideMd(ParseCmdline(""), Conf("DEVICE /dev/vd*\n"), kMember);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, HasSubstr("DEVICE"));
}

}  // namespace
}  // namespace baton::stage1
