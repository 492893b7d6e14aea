#include "supervisor/stage1/luks_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using Action = LuksDecision::Action;
using ::testing::HasSubstr;

const Env kLuks = {{"DEVNAME", "/dev/sda2"},
                   {"ID_FS_TYPE", "crypto_LUKS"},
                   {"ID_FS_UUID", "0a1b2c3d-1111-2222-3333-444455556666"},
                   {"ID_PART_ENTRY_UUID", "abcd-02"}};

std::vector<CrypttabEntry> Crypttab(absl::string_view text) {
  ParseResult<CrypttabEntry> r = ParseCrypttab(text, "crypttab");
  EXPECT_TRUE(r.status().ok()) << r.status();
  return r.entries;
}

TEST(LuksPolicyTest, DefaultAsksWithDracutName) {
  LuksDecision d = DecideLuks(ParseCmdline(""), {}, kLuks);
  EXPECT_EQ(d.action, Action::kAskPassphrase);
  EXPECT_EQ(d.name, "luks-0a1b2c3d-1111-2222-3333-444455556666");
  EXPECT_EQ(d.device, "/dev/sda2");
  EXPECT_EQ(d.crypttab_line, 0);
}

TEST(LuksPolicyTest, RdLuksZeroSkips) {
  LuksDecision d = DecideLuks(ParseCmdline("rd.luks=0"), {}, kLuks);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_EQ(d.reason, "rd.luks=0");
  EXPECT_EQ(d.name, "");
}

TEST(LuksPolicyTest, NotLuksSkips) {
  Env ext4 = {{"DEVNAME", "/dev/sda1"}, {"ID_FS_TYPE", "ext4"}};
  LuksDecision d = DecideLuks(ParseCmdline(""), {}, ext4);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, HasSubstr("ID_FS_TYPE=ext4"));
}

TEST(LuksPolicyTest, UuidFilter) {
  EXPECT_EQ(DecideLuks(ParseCmdline("rd.luks.uuid=ffff"), {}, kLuks).action, Action::kSkip);
  LuksDecision listed = DecideLuks(
      ParseCmdline("rd.luks.uuid=ffff rd.luks.uuid=luks-0A1B2C3D-1111-2222-3333-444455556666"),
      {}, kLuks);
  EXPECT_EQ(listed.action, Action::kAskPassphrase);
  // rd.luks.name= both lists and names the device.
  LuksDecision named = DecideLuks(
      ParseCmdline("rd.luks.name=0a1b2c3d-1111-2222-3333-444455556666=cryptroot"), {}, kLuks);
  EXPECT_EQ(named.action, Action::kAskPassphrase);
  EXPECT_EQ(named.name, "cryptroot");
  EXPECT_EQ(DecideLuks(ParseCmdline("rd.luks.name=ffff=other"), {}, kLuks).action,
            Action::kSkip);
}

TEST(LuksPolicyTest, CrypttabNameKeyAndOptions) {
  auto ct = Crypttab(
      "other UUID=ffff none luks\n"
      "cryptroot UUID=0A1B2C3D-1111-2222-3333-444455556666 /keys/root.key "
      "luks,keyfile-size=64,keyfile-offset=8,tries=5,discard,header=/h\n");
  LuksDecision d = DecideLuks(ParseCmdline(""), ct, kLuks);
  EXPECT_EQ(d.action, Action::kUnlockWithKeyFile);
  EXPECT_EQ(d.name, "cryptroot");
  EXPECT_EQ(d.key_file, "/keys/root.key");
  EXPECT_EQ(d.key_device, "");
  EXPECT_EQ(d.keyfile_size, 64u);
  EXPECT_EQ(d.keyfile_offset, 8u);
  EXPECT_EQ(d.tries, 5);
  EXPECT_TRUE(d.discard);
  EXPECT_EQ(d.header, "/h");
  EXPECT_EQ(d.crypttab_line, 2);
}

TEST(LuksPolicyTest, CrypttabWithoutKeyAsksAndCmdlineNameWins) {
  auto ct = Crypttab("cryptroot PARTUUID=ABCD-02 none luks\n");
  LuksDecision d = DecideLuks(
      ParseCmdline("rd.luks.name=0a1b2c3d-1111-2222-3333-444455556666=fromcmdline"), ct,
      kLuks);
  EXPECT_EQ(d.action, Action::kAskPassphrase);
  EXPECT_EQ(d.name, "fromcmdline");
  EXPECT_EQ(d.crypttab_line, 1);
  EXPECT_THAT(d.reason, HasSubstr("no key file"));
}

TEST(LuksPolicyTest, NoautoSkipsUnlessListed) {
  auto ct = Crypttab("later /dev/sda2 none luks,noauto\n");
  LuksDecision d = DecideLuks(ParseCmdline(""), ct, kLuks);
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, HasSubstr("noauto"));
  EXPECT_EQ(DecideLuks(ParseCmdline("rd.luks.uuid=0a1b2c3d-1111-2222-3333-444455556666"), ct,
                       kLuks)
                .action,
            Action::kAskPassphrase);
}

TEST(LuksPolicyTest, CmdlineKeysSpecificBeforeGenericBeforeCrypttab) {
  auto ct = Crypttab("cryptroot /dev/sda2 /crypttab.key luks\n");
  LuksDecision generic = DecideLuks(ParseCmdline("rd.luks.key=/any.key"), ct, kLuks);
  EXPECT_EQ(generic.action, Action::kUnlockWithKeyFile);
  EXPECT_EQ(generic.key_file, "/any.key");
  EXPECT_EQ(generic.name, "cryptroot");

  LuksDecision specific = DecideLuks(
      ParseCmdline("rd.luks.key=/any.key rd.luks.key=/other.key:LABEL=usb:UUID=ffff "
                   "rd.luks.key=0A1B2C3D-1111-2222-3333-444455556666=/mine.key:LABEL=usb"),
      ct, kLuks);
  EXPECT_EQ(specific.key_file, "/mine.key");
  EXPECT_EQ(specific.key_device, "LABEL=usb");
  EXPECT_EQ(specific.reason, "rd.luks.key");

  // A key for another device only: the crypttab key is used.
  LuksDecision fallback =
      DecideLuks(ParseCmdline("rd.luks.key=/other.key::UUID=ffff"), ct, kLuks);
  EXPECT_EQ(fallback.key_file, "/crypttab.key");
  EXPECT_EQ(fallback.reason, "crypttab line 1");
}

TEST(LuksPolicyTest, NameWithoutUuidFallsBackToDeviceName) {
  Env noid = {{"DEVNAME", "/dev/vdb"}, {"ID_FS_TYPE", "crypto_LUKS"}};
  EXPECT_EQ(DecideLuks(ParseCmdline(""), {}, noid).name, "luks-vdb");
}

}  // namespace
}  // namespace baton::stage1
