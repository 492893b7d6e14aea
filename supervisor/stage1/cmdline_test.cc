#include "supervisor/stage1/cmdline.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string EnvOf(const BootOptions& o, absl::string_view key) {
  for (const auto& [k, v] : o.ToEnv()) {
    if (k == key) return v;
  }
  return "<absent>";
}

TEST(CmdlineParamsTest, KeyValueWordsInOrder) {
  using P = std::pair<std::string, std::string>;
  EXPECT_THAT(CmdlineParams("ro root=\"LABEL=my root\" a==b -- x"),
              ElementsAre(P{"ro", ""}, P{"root", "LABEL=my root"}, P{"a", "=b"}, P{"--", ""},
                          P{"x", ""}));
}

TEST(SplitCmdlineTest, QuotesFollowTheKernel) {
  EXPECT_THAT(SplitCmdline("  a  b=c\n"), ElementsAre("a", "b=c"));
  EXPECT_THAT(SplitCmdline("root=\"LABEL=my root\" ro"),
              ElementsAre("root=LABEL=my root", "ro"));
  EXPECT_THAT(SplitCmdline("\"rootflags=a b\" x"), ElementsAre("rootflags=a b", "x"));
  // A quote inside a value is kept: only a leading one is stripped.
  EXPECT_THAT(SplitCmdline("k=a\"b c\"d"), ElementsAre("k=a\"b c\"d"));
  // An unterminated quote runs to the end.
  EXPECT_THAT(SplitCmdline("k=\"a b"), ElementsAre("k=a b"));
  EXPECT_THAT(SplitCmdline(""), IsEmpty());
}

TEST(CmdlineTest, Defaults) {
  BootOptions o = ParseCmdline("");
  EXPECT_EQ(o.root, "");
  EXPECT_TRUE(o.read_only);
  EXPECT_EQ(o.init, "/sbin/init");
  EXPECT_EQ(o.rootdelay, absl::Seconds(180));
  EXPECT_THAT(o.breaks, IsEmpty());
  EXPECT_FALSE(o.panic.has_value());
  EXPECT_TRUE(o.luks && o.md && o.lvm && o.shell);
  EXPECT_FALSE(o.rd_auto);
  EXPECT_EQ(o.md_degraded, DegradedPolicy::kAuto);
  EXPECT_EQ(o.fsck_mode, FsckMode::kAuto);
  EXPECT_EQ(o.fsck_repair, FsckRepair::kPreen);
  EXPECT_THAT(o.warnings, IsEmpty());
}

TEST(CmdlineTest, TypicalDebianLine) {
  BootOptions o = ParseCmdline(
      "BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=0b9e3a6c-2f4d ro quiet "
      "console=ttyS0,115200\n");
  EXPECT_EQ(o.root, "UUID=0b9e3a6c-2f4d");
  EXPECT_TRUE(o.read_only);
  EXPECT_TRUE(o.quiet);
  EXPECT_THAT(o.unknown, ElementsAre("BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64",
                                     "console=ttyS0,115200"));
  EXPECT_THAT(o.warnings, IsEmpty());
}

TEST(CmdlineTest, LastScalarWins) {
  BootOptions o = ParseCmdline("root=/dev/sda1 ro rw root=/dev/sdb2 init=/bin/sh "
                               "rootfstype=ext4 rootflags=noatime,discard");
  EXPECT_EQ(o.root, "/dev/sdb2");
  EXPECT_FALSE(o.read_only);
  EXPECT_EQ(o.init, "/bin/sh");
  EXPECT_EQ(o.rootfstype, "ext4");
  EXPECT_EQ(o.rootflags, "noatime,discard");
  EXPECT_TRUE(ParseCmdline("rw ro").read_only);
  EXPECT_FALSE(ParseCmdline("ro rw").read_only);
}

TEST(CmdlineTest, DoubleDashEndsKernelOptions) {
  BootOptions o = ParseCmdline("root=/dev/sda1 -- single rw \"a b\"");
  EXPECT_EQ(o.root, "/dev/sda1");
  EXPECT_TRUE(o.read_only);  // the rw after -- belongs to init
  EXPECT_THAT(o.init_args, ElementsAre("single", "rw", "a b"));
  EXPECT_THAT(o.unknown, IsEmpty());
}

TEST(CmdlineTest, QuotedRootWithSpaces) {
  BootOptions o = ParseCmdline("root=\"LABEL=my root\" rootflags=\"subvol=@ root\"");
  EXPECT_EQ(o.root, "LABEL=my root");
  EXPECT_EQ(o.rootflags, "subvol=@ root");
}

TEST(CmdlineTest, RootDelay) {
  EXPECT_EQ(ParseCmdline("rootdelay=10").rootdelay, absl::Seconds(10));
  EXPECT_EQ(ParseCmdline("rootdelay=2.5").rootdelay, absl::Milliseconds(2500));
  EXPECT_EQ(EnvOf(ParseCmdline("rootdelay=2.5"), "ROOTDELAY"), "3");
  BootOptions bad = ParseCmdline("rootdelay=abc");
  EXPECT_EQ(bad.rootdelay, absl::Seconds(180));
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_THAT(bad.warnings[0], HasSubstr("rootdelay=abc"));
  EXPECT_THAT(bad.warnings[0], HasSubstr("180 s"));
  // A bad value after a good one keeps the good one and says so.
  BootOptions kept = ParseCmdline("rootdelay=30 rootdelay=-1");
  EXPECT_EQ(kept.rootdelay, absl::Seconds(30));
  ASSERT_EQ(kept.warnings.size(), 1u);
  EXPECT_THAT(kept.warnings[0], HasSubstr("30 s"));
  EXPECT_EQ(ParseCmdline("rootdelay").warnings.size(), 1u);
}

TEST(CmdlineTest, BreakPoints) {
  EXPECT_THAT(ParseCmdline("break").breaks, ElementsAre(BreakPoint::kPremount));
  EXPECT_THAT(ParseCmdline("break=init,top break=mount,top").breaks,
              ElementsAre(BreakPoint::kTop, BreakPoint::kMount, BreakPoint::kInit));
  BootOptions bad = ParseCmdline("break=top,later");
  EXPECT_THAT(bad.breaks, ElementsAre(BreakPoint::kTop));
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_THAT(bad.warnings[0], HasSubstr("\"later\""));
  EXPECT_EQ(EnvOf(ParseCmdline("break=bottom,modules"), "BREAK"), "modules,bottom");
}

TEST(CmdlineTest, DracutBreakHooksMapToBatonPoints) {
  EXPECT_THAT(ParseCmdline("rd.break").breaks, ElementsAre(BreakPoint::kInit));
  EXPECT_THAT(ParseCmdline("rd.break=cmdline").breaks, ElementsAre(BreakPoint::kTop));
  EXPECT_THAT(ParseCmdline("rd.break=pre-udev").breaks, ElementsAre(BreakPoint::kTop));
  EXPECT_THAT(ParseCmdline("rd.break=pre-trigger").breaks, ElementsAre(BreakPoint::kModules));
  EXPECT_THAT(ParseCmdline("rd.break=initqueue").breaks, ElementsAre(BreakPoint::kPremount));
  EXPECT_THAT(ParseCmdline("rd.break=pre-mount").breaks, ElementsAre(BreakPoint::kMount));
  EXPECT_THAT(ParseCmdline("rd.break=mount").breaks, ElementsAre(BreakPoint::kMount));
  EXPECT_THAT(ParseCmdline("rd.break=pre-pivot").breaks, ElementsAre(BreakPoint::kBottom));
  EXPECT_THAT(ParseCmdline("rd.break=cleanup").breaks, ElementsAre(BreakPoint::kBottom));
  EXPECT_EQ(ParseCmdline("rd.break=nowhere").warnings.size(), 1u);
}

TEST(CmdlineTest, PanicDebugQuietFsck) {
  BootOptions o = ParseCmdline("panic=10 debug quiet fsck.mode=force fsck.repair=yes");
  EXPECT_EQ(o.panic, 10);
  EXPECT_TRUE(o.debug);
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.fsck_mode, FsckMode::kForce);
  EXPECT_EQ(o.fsck_repair, FsckRepair::kYes);
  EXPECT_EQ(ParseCmdline("panic=-1").panic, -1);

  BootOptions bad = ParseCmdline("panic=x fsck.mode=sometimes fsck.repair=maybe");
  EXPECT_FALSE(bad.panic.has_value());
  EXPECT_EQ(bad.fsck_mode, FsckMode::kAuto);
  EXPECT_EQ(bad.fsck_repair, FsckRepair::kPreen);
  ASSERT_EQ(bad.warnings.size(), 3u);
  EXPECT_THAT(bad.warnings[0], HasSubstr("panic=x"));
  EXPECT_THAT(bad.warnings[1], HasSubstr("using auto"));
  EXPECT_THAT(bad.warnings[2], HasSubstr("using preen"));
}

TEST(CmdlineTest, DracutSwitches) {
  BootOptions o = ParseCmdline("rd.luks=0 rd.md=no rd.lvm=0 rd.auto rd.shell=0");
  EXPECT_FALSE(o.luks);
  EXPECT_FALSE(o.md);
  EXPECT_FALSE(o.lvm);
  EXPECT_TRUE(o.rd_auto);
  EXPECT_FALSE(o.shell);
  EXPECT_EQ(EnvOf(o, "RD_LUKS"), "0");
  EXPECT_EQ(EnvOf(o, "RD_AUTO"), "1");
  EXPECT_EQ(EnvOf(o, "RD_SHELL"), "0");

  BootOptions bad = ParseCmdline("rd.luks=perhaps");
  EXPECT_TRUE(bad.luks);
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_THAT(bad.warnings[0], HasSubstr("rd.luks=perhaps"));
  EXPECT_THAT(bad.warnings[0], HasSubstr("keeping 1"));
}

TEST(CmdlineTest, RdEmergencyIsIgnored) {
  BootOptions o = ParseCmdline("rd.emergency=reboot");
  EXPECT_THAT(o.unknown, ElementsAre("rd.emergency=reboot"));
  EXPECT_THAT(o.warnings, IsEmpty());
}

TEST(CmdlineTest, LuksUuidsRepeatAndLosePrefix) {
  BootOptions o = ParseCmdline("rd.luks.uuid=luks-AAAA-1 rd.luks.uuid=bbbb-2,cccc");
  EXPECT_THAT(o.luks_uuids, ElementsAre("aaaa-1", "bbbb-2", "cccc"));
  EXPECT_EQ(EnvOf(o, "RD_LUKS_UUID"), "aaaa-1 bbbb-2 cccc");
  EXPECT_EQ(ParseCmdline("rd.luks.uuid=").warnings.size(), 1u);
}

TEST(CmdlineTest, LuksNames) {
  BootOptions o = ParseCmdline("rd.luks.name=luks-ABCD=cryptroot rd.luks.name=ef=swap");
  EXPECT_THAT(o.luks_names,
              ElementsAre(LuksName{"abcd", "cryptroot"}, LuksName{"ef", "swap"}));
  EXPECT_EQ(EnvOf(o, "RD_LUKS_NAME"), "abcd=cryptroot ef=swap");
  BootOptions bad = ParseCmdline("rd.luks.name=abcd rd.luks.name==x rd.luks.name=a=");
  EXPECT_THAT(bad.luks_names, IsEmpty());
  EXPECT_EQ(bad.warnings.size(), 3u);
}

TEST(CmdlineTest, LuksKeysInBothForms) {
  BootOptions o = ParseCmdline(
      "rd.luks.key=/keys/root.key "
      "rd.luks.key=/k2:UUID=1234-abcd "
      "rd.luks.key=/k3:LABEL=usb:luks-FFFF "
      "rd.luks.key=ABCD=/etc/k4.key:/dev/sdc1 "
      "rd.luks.key=luks-EEEE=/k5");
  EXPECT_THAT(o.luks_keys,
              ElementsAre(LuksKey{"/keys/root.key", "", ""},
                          LuksKey{"/k2", "UUID=1234-abcd", ""},
                          LuksKey{"/k3", "LABEL=usb", "UUID=ffff"},
                          LuksKey{"/etc/k4.key", "/dev/sdc1", "UUID=abcd"},
                          LuksKey{"/k5", "", "UUID=eeee"}));
  EXPECT_THAT(o.warnings, IsEmpty());
  EXPECT_EQ(ParseCmdline("rd.luks.key=").warnings.size(), 1u);
  EXPECT_EQ(ParseCmdline("rd.luks.key=abcd=").warnings.size(), 1u);
}

TEST(CmdlineTest, MdAndLvmFilters) {
  BootOptions o = ParseCmdline(
      "rd.md.uuid=1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d rd.lvm.vg=vg0,vg1 "
      "rd.lvm.vg=vg2 rd.lvm.lv=vg0/root rd.lvm.lv=/dev/vg1/home");
  EXPECT_THAT(o.md_uuids, ElementsAre("1a2b3c4d:5e6f7a8b:9c0d1e2f:3a4b5c6d"));
  EXPECT_THAT(o.lvm_vgs, ElementsAre("vg0", "vg1", "vg2"));
  EXPECT_THAT(o.lvm_lvs, ElementsAre("vg0/root", "vg1/home"));
  EXPECT_EQ(EnvOf(o, "RD_LVM_LV"), "vg0/root vg1/home");
  BootOptions bad = ParseCmdline("rd.lvm.lv=root rd.lvm.lv=vg/ rd.lvm.lv=a/b/c");
  EXPECT_THAT(bad.lvm_lvs, IsEmpty());
  EXPECT_EQ(bad.warnings.size(), 3u);
}

TEST(CmdlineTest, DegradedPolicy) {
  EXPECT_EQ(ParseCmdline("baton.md.degraded=never").md_degraded, DegradedPolicy::kNever);
  EXPECT_EQ(ParseCmdline("baton.md.degraded=ask").md_degraded, DegradedPolicy::kAsk);
  EXPECT_EQ(ParseCmdline("bootdegraded=true").md_degraded, DegradedPolicy::kAuto);
  EXPECT_EQ(ParseCmdline("bootdegraded").md_degraded, DegradedPolicy::kAuto);
  EXPECT_EQ(ParseCmdline("bootdegraded=false").md_degraded, DegradedPolicy::kAsk);
  // baton.md.degraded wins over bootdegraded, whatever the order.
  EXPECT_EQ(ParseCmdline("baton.md.degraded=never bootdegraded=true").md_degraded,
            DegradedPolicy::kNever);
  EXPECT_EQ(ParseCmdline("bootdegraded=true baton.md.degraded=ask").md_degraded,
            DegradedPolicy::kAsk);

  BootOptions bad = ParseCmdline("baton.md.degraded=maybe");
  EXPECT_EQ(bad.md_degraded, DegradedPolicy::kAuto);
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_THAT(bad.warnings[0], HasSubstr("baton.md.degraded=maybe"));
  EXPECT_THAT(bad.warnings[0], HasSubstr("using auto"));
  EXPECT_THAT(ParseCmdline("bootdegraded=false baton.md.degraded=maybe").warnings[0],
              HasSubstr("using ask"));
  EXPECT_EQ(EnvOf(ParseCmdline("baton.md.degraded=never"), "BATON_MD_DEGRADED"), "never");
}

TEST(CmdlineTest, BatonOptions) {
  BootOptions o = ParseCmdline("baton.debug baton.log-level=3 baton.x.y baton.md-degraded=z");
  EXPECT_TRUE(o.baton_debug);
  EXPECT_THAT(o.baton, ElementsAre(Pair("log-level", "3"), Pair("md-degraded", "z"),
                                   Pair("x.y", "")));
  EXPECT_EQ(EnvOf(o, "BATON_LOG_LEVEL"), "3");
  EXPECT_EQ(EnvOf(o, "BATON_X_Y"), "");
  // Never shadows baton's own key.
  EXPECT_EQ(EnvOf(o, "BATON_MD_DEGRADED"), "auto");
  EXPECT_FALSE(ParseCmdline("baton.debug=0").baton_debug);
  EXPECT_THAT(ParseCmdline("baton.").unknown, ElementsAre("baton."));
}

TEST(CmdlineTest, ResumeOptions) {
  BootOptions o = ParseCmdline("resume=UUID=ab-cd resume_offset=34816 noresume");
  EXPECT_EQ(o.resume, "UUID=ab-cd");
  EXPECT_EQ(o.resume_offset, std::optional<uint64_t>(34816));
  EXPECT_TRUE(o.bad_resume_offset.empty());
  EXPECT_TRUE(o.noresume);
  EXPECT_THAT(o.unknown, IsEmpty());
  o = ParseCmdline("resume=/dev/vdb resume=PARTLABEL=swap resume_offset=0x10");
  EXPECT_EQ(o.resume, "PARTLABEL=swap");  // the last one wins
  EXPECT_FALSE(o.noresume);
  EXPECT_EQ(o.resume_offset, std::nullopt);
  EXPECT_EQ(o.bad_resume_offset, "resume_offset=0x10");
  EXPECT_THAT(o.warnings, ElementsAre("resume_offset=0x10: not a whole number of pages; "
                                      "booting without resume"));
  EXPECT_EQ(ParseCmdline("resume_offset=+5").bad_resume_offset, "resume_offset=+5");
  EXPECT_THAT(ParseCmdline("resume=").warnings, ElementsAre(HasSubstr("resume=: needs a value")));
  EXPECT_THAT(ParseCmdline("noresume=1").unknown, ElementsAre("noresume=1"));
}

TEST(CmdlineTest, ToEnvHasEveryKey) {
  BootOptions o = ParseCmdline("root=/dev/vda2 rw panic=5");
  supervisor::Env env = o.ToEnv();
  std::vector<std::string> keys;
  for (const auto& kv : env) keys.push_back(kv.first);
  EXPECT_THAT(keys, ElementsAre("ROOT", "ROOTFSTYPE", "ROOTFLAGS", "READONLY", "INIT",
                                "ROOTDELAY", "BREAK", "PANIC", "DEBUG", "QUIET",
                                "FSCK_MODE", "FSCK_REPAIR", "RD_LUKS", "RD_MD", "RD_LVM",
                                "RD_AUTO", "RD_SHELL", "RD_LUKS_UUID", "RD_LUKS_NAME",
                                "RD_LUKS_KEY", "RD_MD_UUID", "RD_LVM_VG", "RD_LVM_LV",
                                "BATON_MD_DEGRADED", "BATON_DEBUG"));
  EXPECT_EQ(EnvOf(o, "ROOT"), "/dev/vda2");
  EXPECT_EQ(EnvOf(o, "READONLY"), "n");
  EXPECT_EQ(EnvOf(o, "INIT"), "/sbin/init");
  EXPECT_EQ(EnvOf(o, "ROOTDELAY"), "180");
  EXPECT_EQ(EnvOf(o, "PANIC"), "5");
  EXPECT_EQ(EnvOf(ParseCmdline(""), "PANIC"), "");
  EXPECT_EQ(EnvOf(o, "RD_LUKS_KEY"), "");
  EXPECT_EQ(EnvOf(ParseCmdline("rd.luks.key=/k:/dev/sdb"), "RD_LUKS_KEY"), "/k:/dev/sdb:");
}

TEST(CmdlineTest, ValueNeededForStrings) {
  BootOptions o = ParseCmdline("root= init=");
  EXPECT_EQ(o.root, "");
  EXPECT_EQ(o.init, "/sbin/init");
  ASSERT_EQ(o.warnings.size(), 2u);
  EXPECT_THAT(o.warnings[1], HasSubstr("init="));
  EXPECT_THAT(o.warnings[1], HasSubstr("/sbin/init"));
}

}  // namespace
}  // namespace baton::stage1
