#include "supervisor/stage1/unlock.h"

#include <fcntl.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::stage1 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUuid[] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
constexpr char kMapping[] = "luks-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

class UnlockTest : public ::testing::Test {
 protected:
  UnlockTest() : ctx_(kernel_) {
    EXPECT_TRUE(kernel_.MkdirAll("/proc").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/sbin").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/etc").ok());
    EXPECT_TRUE(kernel_.MkdirAll("/dev/mapper").ok());
    EXPECT_TRUE(kernel_.WriteFile("/sbin/cryptsetup", "").ok());
    SetCmdline("root=/dev/mapper/vg-root");
    auto log = kernel_.Open("/log", O_WRONLY | O_CREAT, 0600);
    log_ = std::move(*log);
    ctx_.log_fd = log_.get();
    ctx_.command = "baton: luks-unlock";
    kernel_.set_spawn_hook([this](pid_t pid, const sys::SpawnRequest& req) {
      stdin_seen_.push_back(req.stdin_fd < 0 ? "<none>" : Drain(req.stdin_fd));
      int status = 0;
      if (!exit_statuses_.empty()) {
        status = exit_statuses_.front();
        exit_statuses_.pop_front();
      }
      kernel_.Exit(pid, status);
    });
  }

  void SetCmdline(const std::string& text) {
    ASSERT_TRUE(kernel_.WriteFile("/proc/cmdline", text + "\n").ok());
  }
  std::string Drain(int fd) {
    std::string out;
    char buf[64];
    for (;;) {
      auto n = kernel_.Read(fd, buf, sizeof(buf));
      if (!n.ok() || *n == 0) break;
      out.append(buf, *n);
    }
    return out;
  }
  Env Device() const {
    return {{"DEVNAME", "/dev/vda"}, {"ID_FS_UUID", kUuid}, {"ID_FS_TYPE", "crypto_LUKS"}};
  }
  int Run() { return LuksUnlock(ctx_, files_, Device()); }
  std::string Log() { return *kernel_.ReadFile("/log"); }
  std::string Console() { return kernel_.terminal_output("/dev/console"); }

  // No secret in any argv, env, log line or console output.
  void ExpectSecretNowhere(const std::string& secret) {
    for (const sys::SpawnRequest& req : kernel_.spawned()) {
      for (const std::string& arg : req.argv) EXPECT_THAT(arg, Not(HasSubstr(secret)));
      for (const std::string& kv : req.env) EXPECT_THAT(kv, Not(HasSubstr(secret)));
    }
    for (const std::string& call : kernel_.calls()) EXPECT_THAT(call, Not(HasSubstr(secret)));
    EXPECT_THAT(Log(), Not(HasSubstr(secret)));
    EXPECT_THAT(Console(), Not(HasSubstr(secret)));
  }

  sys::FakeKernel kernel_;
  sys::UniqueFd log_;
  ToolContext ctx_;
  Stage1Files files_;
  std::deque<int> exit_statuses_;   // cryptsetup's, in order (then 0)
  std::vector<std::string> stdin_seen_;  // what each cryptsetup read on stdin
};

TEST_F(UnlockTest, KeyFileGivesExactArgv) {
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid,
                                             " /etc/keys/root.key "
                                             "luks,keyfile-size=4096,keyfile-offset=512\n"))
                  .ok());
  ASSERT_TRUE(kernel_.MkdirAll("/etc/keys").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/keys/root.key", "k", 0400).ok());
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(kernel_.spawned().size(), 1u);
  EXPECT_THAT(kernel_.spawned()[0].argv,
              ElementsAre("/sbin/cryptsetup", "open", "--type", "luks", "/dev/vda", "cryptroot",
                          "--key-file", "/etc/keys/root.key", "--keyfile-size", "4096",
                          "--keyfile-offset", "512"));
  EXPECT_EQ(stdin_seen_, std::vector<std::string>{"<none>"});
  EXPECT_THAT(Log(), HasSubstr("unlocked /dev/vda as cryptroot with key file /etc/keys/root.key"));
  EXPECT_EQ(Console(), "");
}

TEST_F(UnlockTest, PassphraseGoesThroughThePipeAndAWrongOneAsksAgain) {
  kernel_.AddTerminal("/dev/console", "wrong pass 1\ncorrect horse\n");
  exit_statuses_ = {kCryptsetupWrongKey, 0};
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(kernel_.spawned().size(), 2u);
  for (const sys::SpawnRequest& req : kernel_.spawned()) {
    EXPECT_THAT(req.argv, ElementsAre("/sbin/cryptsetup", "open", "--type", "luks", "/dev/vda",
                                      kMapping, "--key-file=-"));
  }
  EXPECT_EQ(stdin_seen_, (std::vector<std::string>{"wrong pass 1", "correct horse"}));
  const std::string prompt =
      absl::StrCat("Please enter passphrase for disk vda (", kMapping, "): ");
  // cryptsetup's own "No key available" goes to its stderr, not baton's console
  // lines: baton does not repeat it.
  EXPECT_EQ(Console(), absl::StrCat(prompt, "\n", prompt, "\nUnlocked vda as ", kMapping, ".\n"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/console"));
  EXPECT_THAT(kernel_.calls(), testing::Contains("flock /run/baton/console.lock LOCK_EX"));
  ExpectSecretNowhere("wrong pass");
  ExpectSecretNowhere("correct horse");
}

TEST_F(UnlockTest, ThreeWrongPassphrasesFail) {
  kernel_.AddTerminal("/dev/console", "sesame1\nsesame2\nsesame3\nsesame4\n");
  exit_statuses_ = {2, 2, 2, 2};
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(kernel_.spawned().size(), 3u);
  EXPECT_THAT(Log(), HasSubstr(absl::StrCat("cannot unlock /dev/vda (", kMapping,
                                            "): no valid passphrase after 3 tries")));
  EXPECT_THAT(Console(), HasSubstr("Giving up on vda."));
  ExpectSecretNowhere("sesame");
}

TEST_F(UnlockTest, CrypttabTriesOverrides) {
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("secure UUID=", kUuid, " none luks,tries=1\n"))
                  .ok());
  kernel_.AddTerminal("/dev/console", "a\nb\n");
  exit_statuses_ = {2, 2};
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(kernel_.spawned().size(), 1u);
  EXPECT_EQ(kernel_.spawned()[0].argv[5], "secure");
  EXPECT_THAT(Log(), HasSubstr("no valid passphrase after 1 try"));
}

TEST_F(UnlockTest, OtherCryptsetupFailureIsReportedWithItsStatus) {
  kernel_.AddTerminal("/dev/console", "pw\npw\n");
  exit_statuses_ = {5};
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(kernel_.spawned().size(), 1u);
  EXPECT_THAT(Log(), HasSubstr("cryptsetup open failed (exit status 5)"));
}

TEST_F(UnlockTest, RdLuks0SpawnsNothing) {
  SetCmdline("root=/dev/vda rd.luks=0");
  kernel_.AddTerminal("/dev/console", "pw\n");
  EXPECT_EQ(Run(), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_EQ(Console(), "");
  EXPECT_THAT(Log(), HasSubstr("leaving /dev/vda locked: rd.luks=0"));
}

TEST_F(UnlockTest, ExistingMappingSpawnsNothing) {
  ASSERT_TRUE(kernel_.Symlink("../dm-0", absl::StrCat("/dev/mapper/", kMapping)).ok());
  kernel_.AddTerminal("/dev/console", "pw\n");
  EXPECT_EQ(Run(), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_EQ(Console(), "");
  EXPECT_THAT(Log(), HasSubstr("already open"));
}

TEST_F(UnlockTest, KeyFileThatFailsFallsBackToThePassphrase) {
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid, " /root.key luks\n"))
                  .ok());
  ASSERT_TRUE(kernel_.WriteFile("/root.key", "k").ok());
  kernel_.AddTerminal("/dev/console", "typed\n");
  exit_statuses_ = {2, 0};
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(kernel_.spawned().size(), 2u);
  EXPECT_EQ(kernel_.spawned()[1].argv.back(), "--key-file=-");
  EXPECT_THAT(Log(), HasSubstr("did not open it (cryptsetup exit status 2)"));
  ExpectSecretNowhere("typed");
}

TEST_F(UnlockTest, MissingKeyFileAsks) {
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid, " /nokey luks\n"))
                  .ok());
  kernel_.AddTerminal("/dev/console", "typed\n");
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(kernel_.spawned().size(), 1u);
  EXPECT_THAT(Log(), HasSubstr("key file /nokey is missing"));
}

TEST_F(UnlockTest, EndOfInputFails) {
  kernel_.AddTerminal("/dev/console", "");
  EXPECT_EQ(Run(), 1);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_THAT(Log(), HasSubstr("end of input on /dev/console"));
}

TEST_F(UnlockTest, DiscardAndReadOnlyOptions) {
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("data UUID=", kUuid, " none luks,discard,readonly\n"))
                  .ok());
  kernel_.AddTerminal("/dev/console", "pw\n");
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(kernel_.spawned().size(), 1u);
  EXPECT_THAT(kernel_.spawned()[0].argv,
              ElementsAre("/sbin/cryptsetup", "open", "--type", "luks", "/dev/vda", "data",
                          "--allow-discards", "--readonly", "--key-file=-"));
}

TEST(PassphrasePromptTest, NamesDiskAndMapping) {
  EXPECT_EQ(PassphrasePrompt("/dev/vda", "luks-1234"),
            "Please enter passphrase for disk vda (luks-1234): ");
}

}  // namespace
}  // namespace baton::stage1
