#include "supervisor/stage1/lvm_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using Action = LvmDecision::Action;
using Argv = std::vector<std::string>;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Env kPv = {{"DEVNAME", "/dev/md0"}, {"ID_FS_TYPE", "LVM2_member"}};

Env PvIn(absl::string_view vg) {
  Env env = kPv;
  env.emplace_back("LVM_VG_NAME", std::string(vg));
  return env;
}

TEST(LvmPolicyTest, DefaultActivatesEverything) {
  LvmDecision d = DecideLvm(ParseCmdline(""), kPv);
  EXPECT_EQ(d.action, Action::kActivate);
  EXPECT_THAT(d.commands, ElementsAre(Argv{"lvm", "vgchange", "-ay", "--sysinit"}));
  // A known VG narrows the command to it.
  EXPECT_THAT(DecideLvm(ParseCmdline(""), PvIn("vg0")).commands,
              ElementsAre(Argv{"lvm", "vgchange", "-ay", "--sysinit", "vg0"}));
}

TEST(LvmPolicyTest, SkipsWhenOffOrNotAPv) {
  LvmDecision off = DecideLvm(ParseCmdline("rd.lvm=0"), kPv);
  EXPECT_EQ(off.action, Action::kSkip);
  EXPECT_EQ(off.reason, "rd.lvm=0");
  EXPECT_THAT(off.commands, IsEmpty());
  EXPECT_EQ(DecideLvm(ParseCmdline(""), {{"ID_FS_TYPE", "crypto_LUKS"}}).action,
            Action::kSkip);
}

TEST(LvmPolicyTest, LvFilterOnly) {
  LvmDecision d = DecideLvm(ParseCmdline("rd.lvm.lv=vg0/root rd.lvm.lv=vg1/swap"), kPv);
  EXPECT_EQ(d.action, Action::kActivate);
  EXPECT_THAT(d.commands,
              ElementsAre(Argv{"lvm", "lvchange", "-ay", "--sysinit", "vg0/root", "vg1/swap"}));
  EXPECT_THAT(DecideLvm(ParseCmdline("rd.lvm.lv=vg0/root rd.lvm.lv=vg1/swap"), PvIn("vg1"))
                  .commands,
              ElementsAre(Argv{"lvm", "lvchange", "-ay", "--sysinit", "vg1/swap"}));
}

TEST(LvmPolicyTest, VgAndLvFilters) {
  LvmDecision d = DecideLvm(ParseCmdline("rd.lvm.vg=data rd.lvm.lv=vg0/root"), kPv);
  EXPECT_THAT(d.commands, ElementsAre(Argv{"lvm", "lvchange", "-ay", "--sysinit", "vg0/root"},
                                      Argv{"lvm", "vgchange", "-ay", "--sysinit", "data"}));
  LvmDecision data = DecideLvm(ParseCmdline("rd.lvm.vg=data rd.lvm.lv=vg0/root"), PvIn("data"));
  EXPECT_THAT(data.commands, ElementsAre(Argv{"lvm", "vgchange", "-ay", "--sysinit", "data"}));
}

TEST(LvmPolicyTest, UnlistedVgIsSkipped) {
  LvmDecision d = DecideLvm(ParseCmdline("rd.lvm.vg=data rd.lvm.lv=vg0/root"), PvIn("vg00"));
  EXPECT_EQ(d.action, Action::kSkip);
  EXPECT_THAT(d.reason, ::testing::HasSubstr("vg00"));
  // "vg0/root" must not match VG "vg" by prefix.
  EXPECT_EQ(DecideLvm(ParseCmdline("rd.lvm.lv=vg0/root"), PvIn("vg")).action, Action::kSkip);
}

TEST(LvmPolicyTest, NativeFiltersFollowTheCommands) {
  LvmDecision none = DecideLvm(ParseCmdline(""), kPv);
  EXPECT_FALSE(none.filtered);
  LvmDecision d = DecideLvm(ParseCmdline("rd.lvm.vg=data rd.lvm.lv=vg0/root"), kPv);
  EXPECT_TRUE(d.filtered);
  EXPECT_THAT(d.vgs, ElementsAre("data"));
  EXPECT_THAT(d.lvs, ElementsAre("vg0/root"));
  LvmDecision known = DecideLvm(ParseCmdline("rd.lvm.vg=data rd.lvm.lv=vg0/root"), PvIn("vg0"));
  EXPECT_TRUE(known.filtered);
  EXPECT_THAT(known.vgs, IsEmpty());
  EXPECT_THAT(known.lvs, ElementsAre("vg0/root"));
}

}  // namespace
}  // namespace baton::stage1
