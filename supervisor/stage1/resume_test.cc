#include "supervisor/stage1/resume.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

const char kSwapUuid[] = "5c1d0e2a-7b7e-4f55-9d0c-2f7f1b1e9a01";

TEST(PlanResumeTest, EveryFormOfResume) {
  struct Case {
    std::string cmdline;
    RootSpec::Kind kind;
    std::string value;
  };
  for (const Case& c : std::vector<Case>{
           {"resume=/dev/vdb", RootSpec::Kind::kPath, "/dev/vdb"},
           {std::string("resume=UUID=") + kSwapUuid, RootSpec::Kind::kUuid, kSwapUuid},
           {"resume=LABEL=swap", RootSpec::Kind::kLabel, "swap"},
           {"resume=PARTUUID=aaaa-01", RootSpec::Kind::kPartUuid, "aaaa-01"},
           {"resume=PARTLABEL=swap", RootSpec::Kind::kPartLabel, "swap"},
           {"resume=254:16", RootSpec::Kind::kMajorMinor, "254:16"},
           {"resume=/dev/disk/by-uuid/abc", RootSpec::Kind::kUuid, "abc"},
           {"resume=/dev/mapper/vg-swap", RootSpec::Kind::kMapper, "/dev/mapper/vg-swap"},
           {"resume=801", RootSpec::Kind::kMajorMinor, "8:1"},
           {"resume=0xfe10", RootSpec::Kind::kMajorMinor, "254:16"},
       }) {
    ResumePlan plan = PlanResume(ParseCmdline(c.cmdline));
    ASSERT_EQ(plan.kind, ResumePlan::Kind::kWait) << c.cmdline << ": " << plan.message;
    EXPECT_EQ(plan.spec.kind(), c.kind) << c.cmdline;
    EXPECT_EQ(plan.spec.value(), c.value) << c.cmdline;
    EXPECT_FALSE(plan.offset.has_value());
  }
}

TEST(PlanResumeTest, OffsetNoresumeNoneAndBadValues) {
  ResumePlan plan = PlanResume(ParseCmdline("resume=/dev/vda2 resume_offset=34816"));
  ASSERT_EQ(plan.kind, ResumePlan::Kind::kWait);
  EXPECT_THAT(plan.offset, Optional(34816u));

  EXPECT_EQ(PlanResume(ParseCmdline("root=/dev/vda")).kind, ResumePlan::Kind::kOff);
  EXPECT_EQ(PlanResume(ParseCmdline("resume=none")).kind, ResumePlan::Kind::kOff);
  plan = PlanResume(ParseCmdline("resume=/dev/vdb noresume"));
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kOff);
  EXPECT_THAT(plan.message, HasSubstr("noresume"));

  BootOptions bad = ParseCmdline("resume=/dev/vdb resume_offset=12k");
  EXPECT_THAT(bad.warnings, ElementsAre(HasSubstr("resume_offset=12k")));
  plan = PlanResume(bad);
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kBad);
  EXPECT_THAT(plan.message, HasSubstr("resume_offset=12k: not a whole number of pages"));
  EXPECT_EQ(PlanResume(ParseCmdline("resume=/dev/vdb resume_offset=-1")).kind,
            ResumePlan::Kind::kBad);
  // A later good value wins, as every repeated option.
  EXPECT_EQ(PlanResume(ParseCmdline("resume=/dev/vdb resume_offset=x resume_offset=8")).kind,
            ResumePlan::Kind::kWait);

  plan = PlanResume(ParseCmdline("resume=UUID="));
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kBad);
  EXPECT_THAT(plan.message, HasSubstr("resume=UUID=: empty value"));
  plan = PlanResume(ParseCmdline("resume=PARTUUID=ab/PARTNROFF=1"));
  EXPECT_EQ(plan.kind, ResumePlan::Kind::kBad);
  EXPECT_THAT(plan.message, HasSubstr("resume=PARTUUID=ab/PARTNROFF=1"));
}

TEST(PlanResumeTest, HexAndSignatures) {
  EXPECT_THAT(HexDevToMajorMinor("801"), Optional(std::string("8:1")));
  EXPECT_THAT(HexDevToMajorMinor("0803"), Optional(std::string("8:3")));
  EXPECT_THAT(HexDevToMajorMinor("fd00"), Optional(std::string("253:0")));
  // new_decode_dev: minor bits 0-7 and 20-31, major bits 8-19.
  EXPECT_THAT(HexDevToMajorMinor("1031c"), Optional(std::string("259:28")));
  EXPECT_THAT(HexDevToMajorMinor("1210302c"), Optional(std::string("48:74028")));
  EXPECT_EQ(HexDevToMajorMinor("sda1"), std::nullopt);
  EXPECT_EQ(HexDevToMajorMinor("8:1"), std::nullopt);
  EXPECT_EQ(HexDevToMajorMinor(""), std::nullopt);

  std::string page(4096, '\0');
  EXPECT_FALSE(HasHibernationSignature(page));
  page.replace(4086, 10, "SWAPSPACE2");
  EXPECT_FALSE(HasHibernationSignature(page));
  page.replace(4086, 10, std::string("S1SUSPEND\0", 10));
  EXPECT_TRUE(HasHibernationSignature(page));
  EXPECT_FALSE(HasHibernationSignature("S1SUSP"));
}

TEST(ResumeConfTest, InitramfsToolsConfAndCommandLineWins) {
  ResumeConf conf = ParseResumeConf(
      "# written by the installer\nRESUME=\"UUID=ab-cd\"  resume_offset=34816 # swap file\n"
      "OTHER=1\n#RESUME=/dev/sda9\n");
  EXPECT_EQ(conf.resume, "UUID=ab-cd");
  EXPECT_EQ(conf.offset, "34816");
  EXPECT_EQ(ParseResumeConf("RESUME_OFFSET='8'\n").offset, "8");

  BootOptions b = WithResumeDefault(ParseCmdline("root=/dev/vda"), conf, "/conf/conf.d/resume");
  EXPECT_EQ(b.resume, "UUID=ab-cd");
  EXPECT_EQ(b.resume_offset, std::optional<uint64_t>(34816));
  b = WithResumeDefault(ParseCmdline("resume=/dev/vdb"), conf, "c");
  EXPECT_EQ(b.resume, "/dev/vdb");
  EXPECT_EQ(b.resume_offset, std::nullopt);
  EXPECT_EQ(PlanResume(WithResumeDefault(ParseCmdline("resume=none"), conf, "c")).kind,
            ResumePlan::Kind::kOff);
  EXPECT_EQ(PlanResume(WithResumeDefault(ParseCmdline("noresume"), conf, "c")).kind,
            ResumePlan::Kind::kOff);
  ResumePlan bad = PlanResume(WithResumeDefault(ParseCmdline(""), {"/dev/vdb", "1x"}, "c"));
  EXPECT_EQ(bad.kind, ResumePlan::Kind::kBad);
  EXPECT_THAT(bad.message, HasSubstr("resume_offset=1x in c"));
}

class ResumeGateTest : public ::testing::Test {
 protected:
  ResumeGateTest() {
    EXPECT_TRUE(kernel_.MkdirAll("/sys/power").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/power/resume", "0:0\n").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/power/resume_offset", "0\n").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/dev").ok());
    kernel_.ClearCalls();
  }

  void Make(const std::string& cmdline) {
    boot_ = ParseCmdline(cmdline);
    gate_ = std::make_unique<ResumeGate>(
        kernel_, boot_, t0_, ResumeGate::Options{},
        [this](absl::string_view line) { console_ += std::string(line); },
        [this](absl::string_view line) { log_.emplace_back(line); });
    gate_->Begin();
  }

  std::vector<std::string> Writes() const {
    std::vector<std::string> out;
    for (const std::string& c : kernel_.calls()) {
      if (c.rfind("write_file /sys/power", 0) == 0) out.push_back(c);
    }
    return out;
  }

  static Env Swap(const std::string& type, const std::string& version = "1") {
    return {{"DEVNAME", "/dev/vdb"}, {"MAJOR", "254"}, {"MINOR", "16"},
            {"ID_FS_TYPE", type},    {"ID_FS_VERSION", version}, {"ID_FS_UUID", kSwapUuid}};
  }

  sys::FakeKernel kernel_;
  absl::Time t0_ = absl::UnixEpoch() + absl::Seconds(50);
  BootOptions boot_;
  std::unique_ptr<ResumeGate> gate_;
  std::string console_;
  std::vector<std::string> log_;
};

TEST_F(ResumeGateTest, ImageWritesMajorMinorAndBootsOnWhenTheKernelReturns) {
  Make(std::string("resume=UUID=") + kSwapUuid);
  EXPECT_EQ(gate_->state(), ResumeGate::State::kWaiting);
  gate_->OnBlockDevice(Swap("swsuspend", "s1suspend"));
  EXPECT_EQ(gate_->state(), ResumeGate::State::kSeen);
  EXPECT_THAT(Writes(), IsEmpty());  // decided in Act, not in the event handler
  gate_->Act(t0_, /*root_found=*/false);
  EXPECT_THAT(Writes(), ElementsAre("write_file /sys/power/resume"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "254:16\n");
  EXPECT_TRUE(gate_->Decided());
  EXPECT_EQ(gate_->outcome(), "refused");
  EXPECT_THAT(console_, HasSubstr("baton: resume: hibernation image found on /dev/vdb "
                                  "(swsuspend UUID="));
  EXPECT_THAT(console_, HasSubstr("not resumed from /dev/vdb: the kernel refused the image"));
}

TEST_F(ResumeGateTest, SwapLvOnTheStackIsMatchedLikeTheRoot) {
  // resume=/dev/VG/LV: the LV dm makes once md, LUKS and LVM are up.
  Make("resume=/dev/vgstack/swap");
  gate_->OnBlockDevice({{"DEVNAME", "/dev/dm-1"}, {"MAJOR", "253"}, {"MINOR", "1"},
                        {"DM_NAME", "vgstack-root"}, {"DM_VG_NAME", "vgstack"},
                        {"DM_LV_NAME", "root"}, {"ID_FS_TYPE", "ext4"}});
  EXPECT_EQ(gate_->state(), ResumeGate::State::kWaiting);
  gate_->OnBlockDevice({{"DEVNAME", "/dev/dm-2"}, {"MAJOR", "253"}, {"MINOR", "2"},
                        {"DM_NAME", "vgstack-swap"}, {"DM_VG_NAME", "vgstack"},
                        {"DM_LV_NAME", "swap"}, {"ID_FS_TYPE", "swsuspend"},
                        {"ID_FS_VERSION", "s1suspend"}});
  gate_->Act(t0_, false);
  EXPECT_THAT(Writes(), ElementsAre("write_file /sys/power/resume"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "253:2\n");
}

TEST_F(ResumeGateTest, PlainSwapIsNoImageAndNoWrite) {
  Make("resume=/dev/vdb");
  gate_->OnBlockDevice(Swap("swap"));
  gate_->Act(t0_, false);
  EXPECT_THAT(Writes(), IsEmpty());
  EXPECT_EQ(gate_->outcome(), "no-image");
  EXPECT_EQ(console_, "baton: resume: no hibernation image on /dev/vdb (TYPE=swap); booting on\n");
}

TEST_F(ResumeGateTest, OtherDevicesAndContainersAreNotTheResumeDevice) {
  Make("resume=/dev/vdb");
  Env other = Swap("swsuspend");
  other[0].second = "/dev/vdc";
  gate_->OnBlockDevice(other);
  Env luks = Swap("crypto_LUKS");
  gate_->OnBlockDevice(luks);
  gate_->OnBlockDevice({{"DEVNAME", "/dev/vdb"}, {"MAJOR", "254"}, {"MINOR", "16"}});
  EXPECT_EQ(gate_->state(), ResumeGate::State::kWaiting);
  gate_->OnBlockDevice(Swap("swap"));
  EXPECT_EQ(gate_->state(), ResumeGate::State::kSeen);
}

TEST_F(ResumeGateTest, SwapFileOffsetReadsThePageAndWritesOffsetFirst) {
  std::string disk(5 * 4096, '\0');
  disk.replace(3 * 4096 + 4086, 10, std::string("S1SUSPEND\0", 10));
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda2", disk).ok());
  kernel_.ClearCalls();
  Make("resume=/dev/vda2 resume_offset=3");
  gate_->OnBlockDevice({{"DEVNAME", "/dev/vda2"}, {"MAJOR", "254"}, {"MINOR", "2"},
                        {"ID_FS_TYPE", "ext4"}});
  gate_->Act(t0_, false);
  EXPECT_THAT(Writes(), ElementsAre("write_file /sys/power/resume_offset",
                                    "write_file /sys/power/resume"));
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume_offset"), "3\n");
  EXPECT_EQ(*kernel_.ReadFile("/sys/power/resume"), "254:2\n");
}

TEST_F(ResumeGateTest, SwapFileWithoutImageOrWithWrongOffset) {
  std::string disk(5 * 4096, '\0');
  disk.replace(3 * 4096 + 4086, 10, "SWAPSPACE2");
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda2", disk).ok());
  Make("resume=/dev/vda2 resume_offset=3");
  Env fs = {{"DEVNAME", "/dev/vda2"}, {"MAJOR", "254"}, {"MINOR", "2"}, {"ID_FS_TYPE", "ext4"}};
  gate_->OnBlockDevice(fs);
  gate_->Act(t0_, false);
  EXPECT_THAT(console_, HasSubstr("no hibernation image on /dev/vda2 (swap header at page 3)"));
  console_.clear();
  Make("resume=/dev/vda2 resume_offset=2");
  gate_->OnBlockDevice(fs);
  gate_->Act(t0_, false);
  EXPECT_THAT(console_, HasSubstr("no swap header at page 2: is resume_offset= right?"));
  EXPECT_THAT(Writes(), IsEmpty());
}

TEST_F(ResumeGateTest, NotSeenDecidedOnlyWithRootFoundAndQuiet) {
  Make("resume=LABEL=gone");
  absl::Time t = t0_;
  gate_->OnBlockDevice(Swap("swap"));  // not LABEL=gone
  EXPECT_EQ(gate_->NextCheck(true), std::nullopt);  // coldplug running
  gate_->ColdplugDone(t + absl::Seconds(1));
  gate_->Act(t + absl::Seconds(10), /*root_found=*/false);
  EXPECT_FALSE(gate_->Decided());  // the root missing: never give up
  gate_->BlockDeviceAdded(t + absl::Seconds(10));
  EXPECT_THAT(gate_->NextCheck(true), Optional(t + absl::Seconds(12)));
  gate_->SetBusyJobs(1, t + absl::Seconds(11));  // a passphrase prompt
  EXPECT_EQ(gate_->NextCheck(true), std::nullopt);
  gate_->Act(t + absl::Seconds(20), true);
  EXPECT_FALSE(gate_->Decided());
  gate_->SetBusyJobs(0, t + absl::Seconds(30));  // settled again: the window restarts
  gate_->Act(t + absl::Seconds(31), true);
  EXPECT_FALSE(gate_->Decided());
  gate_->Act(t + absl::Seconds(32), true);
  EXPECT_TRUE(gate_->Decided());
  EXPECT_EQ(gate_->outcome(), "not-seen");
  EXPECT_THAT(console_, HasSubstr("baton: resume: the resume device resume=LABEL=gone was "
                                  "not seen (no new block device for 2s after coldplug"));
  EXPECT_THAT(console_, HasSubstr("booting without resume"));
  EXPECT_THAT(Writes(), IsEmpty());
}

// The arbiter of degraded.h, asked before "not seen": the swap may be on an
// incomplete array it is about to start.
TEST_F(ResumeGateTest, NotSeenWaitsForTheArbitersStartsAndTheQuietAfter) {
  DegradedArbiter arbiter(DegradedPolicy::kAuto, t0_, absl::InfiniteDuration());
  ResumeGate::Options options;
  options.arbiter = &arbiter;
  ResumeGate gate(kernel_, ParseCmdline("resume=LABEL=gone"), t0_, options,
                  [this](absl::string_view line) { console_ += std::string(line); },
                  [](absl::string_view) {});
  gate.Begin();
  absl::Time t = t0_;
  gate.ColdplugDone(t);
  arbiter.ColdplugDone(t);
  arbiter.ArrayIncomplete("md0", 1, 2, t);
  arbiter.RootFound(t);
  arbiter.SetResumeWaiting(true, t);
  // Quiet, but md0 is still to be started: the arbiter's NextCheck wakes the loop.
  EXPECT_EQ(gate.NextCheck(true), std::nullopt);
  gate.Act(t + absl::Seconds(5), true);
  EXPECT_FALSE(gate.Decided());
  ASSERT_EQ(arbiter.Decide(t + absl::Seconds(5)).kind, DegradedDecision::Kind::kStartDegraded);
  // The start is activity: a full window after it.
  EXPECT_THAT(gate.NextCheck(true), Optional(t + absl::Seconds(7)));
  gate.Act(t + absl::Seconds(6.9), true);
  EXPECT_FALSE(gate.Decided());
  gate.Act(t + absl::Seconds(7), true);
  EXPECT_EQ(gate.outcome(), "not-seen");
  EXPECT_THAT(console_, HasSubstr("was not seen (no new block device for 2s after starting "
                                  "or asking about incomplete md arrays)"));
}

TEST_F(ResumeGateTest, PolicyNeverLeavesTheArbiterNothingAndTheGateDecides) {
  DegradedArbiter arbiter(DegradedPolicy::kNever, t0_, absl::InfiniteDuration());
  ResumeGate::Options options;
  options.arbiter = &arbiter;
  ResumeGate gate(kernel_, ParseCmdline("resume=LABEL=gone"), t0_, options,
                  [this](absl::string_view line) { console_ += std::string(line); },
                  [](absl::string_view) {});
  gate.ColdplugDone(t0_);
  arbiter.ArrayIncomplete("md0", 1, 2, t0_);
  EXPECT_THAT(gate.NextCheck(true), Optional(t0_ + absl::Seconds(2)));
  gate.Act(t0_ + absl::Seconds(2), true);
  EXPECT_EQ(gate.outcome(), "not-seen");
  EXPECT_THAT(console_, HasSubstr("after coldplug"));
}

TEST_F(ResumeGateTest, NoKernelSupportIsReported) {
  ASSERT_TRUE(kernel_.Unlink("/sys/power/resume").ok());
  Make("resume=/dev/vdb");
  gate_->OnBlockDevice(Swap("swsuspend"));
  gate_->Act(t0_, false);
  EXPECT_THAT(console_, HasSubstr("no hibernation support (no /sys/power/resume)"));
  EXPECT_TRUE(gate_->Decided());
}

TEST_F(ResumeGateTest, ImageConfIsTheDefault) {
  ASSERT_TRUE(kernel_.MkdirAll("/conf/conf.d").ok());
  ASSERT_TRUE(kernel_.WriteFile("/conf/conf.d/resume", "RESUME=/dev/vdb\n").ok());
  Make("root=/dev/vda");
  EXPECT_EQ(gate_->state(), ResumeGate::State::kWaiting);
  EXPECT_THAT(log_, ::testing::Contains("resume=/dev/vdb from /conf/conf.d/resume"));
  gate_->OnBlockDevice(Swap("swsuspend"));
  gate_->Act(t0_, false);
  EXPECT_THAT(Writes(), ElementsAre("write_file /sys/power/resume"));
  Make("root=/dev/vda noresume");
  EXPECT_TRUE(gate_->Decided());
}

TEST_F(ResumeGateTest, BadValueIsOneConsoleLineAndOff) {
  Make("resume=/dev/vdb resume_offset=abc");
  EXPECT_TRUE(gate_->Decided());
  EXPECT_EQ(console_,
            "baton: resume_offset=abc: not a whole number of pages; booting without resume\n");
  gate_->OnBlockDevice(Swap("swsuspend"));
  gate_->Act(t0_, true);
  EXPECT_THAT(Writes(), IsEmpty());
}

}  // namespace
}  // namespace baton::stage1
