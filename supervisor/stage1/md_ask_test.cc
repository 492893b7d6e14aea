#include "supervisor/stage1/md_ask.h"

#include <fcntl.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Argv = std::vector<std::string>;

constexpr char kQuestion[] = "Start them degraded? [y/N] ";

class MdAskTest : public ::testing::Test {
 protected:
  MdAskTest() : ctx_(kernel_) {
    EXPECT_TRUE(kernel_.MkdirAll("/sbin").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sbin/mdadm", "").ok());
    // As the arbiter finds an array in stage 1: inactive, one member of two,
    // md/raid_disks empty until it runs.
    EXPECT_TRUE(kernel_.MkdirAll("/sys/block/md127/md/dev-vda").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md127/md/raid_disks", "\n").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sys/block/md127/md/array_state", "inactive\n").ok());
    auto log = kernel_.Open("/log", O_WRONLY | O_CREAT, 0600);
    log_ = std::move(*log);
    ctx_.log_fd = log_.get();
    kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest& req) {
      if (req.argv.size() > 1 && req.argv[1] == "--examine") {
        std::string text = "MD_LEVEL=raid1\nMD_DEVICES=" + superblock_devices_ + "\n";
        EXPECT_TRUE(kernel_.Write(req.stdout_fd, text.data(), text.size()).ok());
      }
      kernel_.Exit(pid, examine_status_);
    });
  }
  std::string Log() { return *kernel_.ReadFile("/log"); }
  std::string Console() { return kernel_.terminal_output("/dev/console"); }
  std::vector<Argv> Spawned() const {
    std::vector<Argv> out;
    for (const sys::SpawnRequest& req : kernel_.spawned()) out.push_back(req.argv);
    return out;
  }
  int Ask(const std::string& typed, const std::vector<std::string>& devices = {"/dev/md127"}) {
    kernel_.AddTerminal("/dev/console", typed);
    return MdAskDegradedMain(devices, ctx_, files_);
  }

  sys::FakeKernel kernel_;
  sys::UniqueFd log_;
  ToolContext ctx_;
  Stage1Files files_;
  std::string superblock_devices_ = "2";
  int examine_status_ = 0;
};

TEST_F(MdAskTest, YesStartsThemAndTheConsoleSaysWhatIsMissing) {
  EXPECT_EQ(Ask("y\n"), 0);
  EXPECT_EQ(Console(),
            std::string("WARNING: these RAID arrays are missing members:\n"
                        "  /dev/md127: 1 of 2 members present, 1 missing\n"
                        "Started degraded, an array runs without its redundancy; not started,\n"
                        "whatever lives on it stays missing.\n") +
                kQuestion + "answered yes: starting them degraded\n");
  EXPECT_THAT(Spawned(), ElementsAre(Argv{"/sbin/mdadm", "--examine", "--export", "/dev/vda"}));
  EXPECT_THAT(Log(), HasSubstr("baton: md-ask-degraded: answered yes"));
  // The prompt is a visible one, under the console lock.
  EXPECT_TRUE(kernel_.terminal_echo("/dev/console"));
  EXPECT_THAT(kernel_.calls(), testing::Contains("flock /run/baton/console.lock LOCK_EX"));
}

TEST_F(MdAskTest, AnswersAreReadLooselyAndNoIsTheDefault) {
  struct Case {
    const char* typed;
    int want;
  } cases[] = {{"YES\r\n", 0}, {"  Y \n", 0}, {"yes\n", 0}, {"n\n", 1},
               {"No\n", 1},    {"\n", 1},     {"nope\ny\n", 0}, {"sure\nn\n", 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.typed);
    EXPECT_EQ(Ask(c.typed), c.want);
  }
}

TEST_F(MdAskTest, SomethingElseIsAskedAgain) {
  EXPECT_EQ(Ask("maybe\nyes\n"), 0);
  EXPECT_THAT(Console(), HasSubstr(std::string(kQuestion) + "Please answer y or n.\n" + kQuestion +
                                   "answered yes"));
}

TEST_F(MdAskTest, EndOfInputIsNoAndSaysSo) {
  EXPECT_EQ(Ask("y"), 1);  // no newline: the line never ended
  EXPECT_THAT(Console(),
              HasSubstr("no answer (end of input on /dev/console): not starting them degraded"));
  EXPECT_THAT(Log(), HasSubstr("no answer (end of input on /dev/console)"));
}

TEST_F(MdAskTest, NoConsoleIsNoAndLogged) {
  EXPECT_EQ(MdAskDegradedMain({"/dev/md127"}, ctx_, files_), 1);
  EXPECT_THAT(Log(), HasSubstr("cannot ask whether to start /dev/md127 degraded: no console to "
                               "ask on"));
  EXPECT_THAT(Log(), HasSubstr("not starting them"));
}

TEST_F(MdAskTest, EchoOffIsTurnedOnForTheAnswerThenBack) {
  kernel_.AddTerminal("/dev/console", "n\n");
  ASSERT_TRUE(kernel_.MkdirAll("/dev").ok());
  auto fd = kernel_.Open("/dev/console", O_RDWR);
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(kernel_.SetEcho(fd->get(), false).ok());
  kernel_.ClearCalls();
  EXPECT_EQ(MdAskDegradedMain({"/dev/md127"}, ctx_, files_), 1);
  EXPECT_THAT(kernel_.calls(), testing::IsSupersetOf({"set_echo /dev/console on",
                                                      "set_echo /dev/console off"}));
  EXPECT_FALSE(kernel_.terminal_echo("/dev/console"));
}

TEST_F(MdAskTest, SeveralArraysAndTheirCounts) {
  // md126 runs short (raid_disks known, nothing to examine); md125 is gone.
  ASSERT_TRUE(kernel_.MkdirAll("/sys/block/md126/md/dev-vdc").ok());
  ASSERT_TRUE(kernel_.MkdirAll("/sys/block/md126/md/dev-vdd").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/block/md126/md/raid_disks", "4\n").ok());
  EXPECT_EQ(Ask("n\n", {"/dev/md127", "/dev/md126", "/dev/md125"}), 1);
  EXPECT_THAT(Console(), HasSubstr("  /dev/md127: 1 of 2 members present, 1 missing\n"
                                   "  /dev/md126: 2 of 4 members present, 2 missing\n"
                                   "  /dev/md125: no /sys/block/md125/md (gone?)\n"));
  EXPECT_THAT(Console(), HasSubstr("answered no: leaving them as they are"));
  EXPECT_EQ(Spawned().size(), 1u);  // only md127's superblock was read
}

TEST_F(MdAskTest, UnknownCountStillAsks) {
  examine_status_ = 1;
  EXPECT_EQ(Ask("y\n"), 0);
  EXPECT_THAT(Console(), HasSubstr("  /dev/md127: 1 member present, at least one missing\n"));
  EXPECT_THAT(Log(), HasSubstr("member count of /dev/md127 unknown: mdadm --examine --export "
                               "/dev/vda failed (exit status 1)"));
}

TEST_F(MdAskTest, FollowsTheMdLink) {
  ASSERT_TRUE(kernel_.MkdirAll("/dev/md").ok());
  ASSERT_TRUE(kernel_.Symlink("../md127", "/dev/md/root").ok());
  EXPECT_EQ(Ask("y\n", {"/dev/md/root"}), 0);
  EXPECT_THAT(Console(), HasSubstr("  /dev/md/root: 1 of 2 members present, 1 missing\n"));
}

TEST_F(MdAskTest, Usage) {
  EXPECT_EQ(MdAskDegradedMain({}, ctx_, files_), 2);
  EXPECT_THAT(Log(), HasSubstr("usage: baton md-ask-degraded MDDEV..."));
  EXPECT_THAT(Log(), Not(HasSubstr("answered")));
}

}  // namespace
}  // namespace baton::stage1
