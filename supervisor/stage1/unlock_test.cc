#include "supervisor/stage1/unlock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/stage1/luks_testdata.h"
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

TEST_F(UnlockTest, EveryActiveConsoleIsAskedAndToldOfAWrongPassphrase) {
  // console=tty0 console=ttyS0: /dev/console is ttyS0, where cryptsetup's
  // stderr goes; the screen (tty0) is asked too and answers.
  ASSERT_TRUE(kernel_.MkdirAll("/sys/class/tty/console").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/class/tty/console/active", "tty0 ttyS0\n").ok());
  kernel_.AddTerminal("/dev/tty0", "wrong pass 1\ncorrect horse\n");
  kernel_.AddTerminal("/dev/ttyS0", "");
  kernel_.HoldTerminal("/dev/ttyS0");
  exit_statuses_ = {kCryptsetupWrongKey, 0};
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(stdin_seen_, (std::vector<std::string>{"wrong pass 1", "correct horse"}));
  const std::string prompt =
      absl::StrCat("Please enter passphrase for disk vda (", kMapping, "): ");
  const std::string unlocked = absl::StrCat("Unlocked vda as ", kMapping, ".\n");
  EXPECT_EQ(kernel_.terminal_output("/dev/tty0"),
            absl::StrCat(prompt, "\nNo key available with this passphrase.\n", prompt, "\n",
                         unlocked));
  EXPECT_EQ(kernel_.terminal_output("/dev/ttyS0"),
            absl::StrCat(prompt, "\n(answered on tty0)\n", prompt, "\n(answered on tty0)\n",
                         unlocked));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/tty0"));
  EXPECT_TRUE(kernel_.terminal_echo("/dev/ttyS0"));
  for (const char* tty : {"/dev/tty0", "/dev/ttyS0"}) {
    EXPECT_THAT(kernel_.terminal_output(tty), Not(HasSubstr("wrong pass")));
    EXPECT_THAT(kernel_.terminal_output(tty), Not(HasSubstr("correct horse")));
  }
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

// --- without cryptsetup: the native unlock (luks_open.h) ---------------------
// /dev/vda is a 4 MiB block device (254:0) holding a golden header from
// testdata/luks/; /sbin/cryptsetup is not there.

class NativeUnlockTest : public UnlockTest {
 protected:
  NativeUnlockTest() { EXPECT_TRUE(kernel_.Unlink("/sbin/cryptsetup").ok()); }

  void Disk(const std::string& golden) {
    std::string img = luks::testing::TestData(golden);
    ASSERT_FALSE(img.empty()) << golden;
    img.resize(4 << 20, '\0');
    ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
    ASSERT_TRUE(kernel_.WriteFile("/dev/vda", img).ok());
    ASSERT_TRUE(kernel_.MkdirAll("/sys/dev/block/254:0").ok());
    ASSERT_TRUE(kernel_.WriteFile("/sys/dev/block/254:0/size", "8192\n").ok());
  }
  std::string Table(const std::string& name) {
    auto it = kernel_.dm_devices().find(name);
    if (it == kernel_.dm_devices().end()) return "<none>";
    return sys::FakeKernel::DmTableText(it->second.table);
  }
  std::string DmUuid(const std::string& name) { return kernel_.dm_devices().at(name).uuid; }
};

TEST_F(NativeUnlockTest, PassphraseAfterAWrongOneMakesTheCryptDevice) {
  Disk("luks2-pbkdf2.img");
  kernel_.AddTerminal("/dev/console", "wrong pass 1\ncorrect horse\n");
  EXPECT_EQ(Run(), 0);
  EXPECT_TRUE(kernel_.spawned().empty());
  EXPECT_EQ(Table(kMapping),
            absl::StrCat("0 6144 crypt aes-xts-plain64 ", luks::testing::kKey512Hex,
                         " 0 254:0 2048 1 sector_size:4096\n"));
  EXPECT_EQ(DmUuid(kMapping), absl::StrCat("CRYPT-LUKS2-11111111222233334444555555555555-",
                                           kMapping));
  EXPECT_FALSE(kernel_.dm_devices().at(kMapping).read_only);
  const std::string prompt =
      absl::StrCat("Please enter passphrase for disk vda (", kMapping, "): ");
  EXPECT_EQ(Console(), absl::StrCat(prompt, "\nNo key available with this passphrase.\n", prompt,
                                    "\nUnlocked vda as ", kMapping, ".\n"));
  EXPECT_THAT(Log(), HasSubstr(absl::StrCat("unlocked /dev/vda as ", kMapping,
                                            " with a passphrase (key slot 0, natively)")));
  EXPECT_THAT(kernel_.calls(), testing::Contains("flock /run/baton/console.lock LOCK_EX"));
  ExpectSecretNowhere("wrong pass");
  ExpectSecretNowhere("correct horse");
  ExpectSecretNowhere(luks::testing::kKey512Hex);
  ExpectSecretNowhere(std::string(luks::testing::kKey512Hex).substr(0, 16));
}

TEST_F(NativeUnlockTest, WrongPassphrasesMakeNoDevice) {
  Disk("luks2-argon2id.img");
  kernel_.AddTerminal("/dev/console", "sesame1\nsesame2\nsesame3\nsesame4\n");
  EXPECT_EQ(Run(), 1);
  EXPECT_TRUE(kernel_.dm_devices().empty());
  EXPECT_THAT(Log(), HasSubstr("no valid passphrase after 3 tries"));
  const std::string console = Console();
  size_t n = 0;
  for (size_t at = 0; (at = console.find("No key available", at)) != std::string::npos; ++at) ++n;
  EXPECT_EQ(n, 3u);
  EXPECT_THAT(console, HasSubstr("Giving up on vda."));
  ExpectSecretNowhere("sesame");
}

TEST_F(NativeUnlockTest, KeyFileWithSizeAndOffsetLuks1ReadOnlyDiscard) {
  Disk("luks1-cbc-essiv.img");
  // The passphrase sits at byte 3 of the key file, 13 bytes long, then junk.
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid,
                                             " /etc/keys/root.key "
                                             "luks,keyfile-size=13,keyfile-offset=3,discard,"
                                             "readonly\n"))
                  .ok());
  ASSERT_TRUE(kernel_.MkdirAll("/etc/keys").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/keys/root.key", "xyzcorrect horse\nmore", 0400).ok());
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(Table("cryptroot"), absl::StrCat("0 4096 crypt aes-cbc-essiv:sha256 ",
                                             luks::testing::kKey256bHex,
                                             " 0 254:0 4096 1 allow_discards\n"));
  EXPECT_EQ(DmUuid("cryptroot"), "CRYPT-LUKS1-11111111222233334444888888888888-cryptroot");
  EXPECT_TRUE(kernel_.dm_devices().at("cryptroot").read_only);
  EXPECT_THAT(Log(), HasSubstr("unlocked /dev/vda as cryptroot with key file /etc/keys/root.key "
                               "(key slot 0, natively)"));
  EXPECT_EQ(Console(), "");
  ExpectSecretNowhere(luks::testing::kKey256bHex);
}

TEST_F(NativeUnlockTest, WrongKeyFileFallsBackToThePassphrase) {
  Disk("luks1-xts-sha1.img");
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid, " /root.key luks\n"))
                  .ok());
  ASSERT_TRUE(kernel_.WriteFile("/root.key", "correct horse\n").ok());  // the newline counts
  kernel_.AddTerminal("/dev/console", "correct horse\n");
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Log(), HasSubstr("key file /root.key did not open it (No key available with this "
                               "passphrase.); asking for the passphrase"));
  EXPECT_THAT(Table("cryptroot"), HasSubstr(" 0 254:0 4096\n"));
}

TEST_F(NativeUnlockTest, CorruptHeaderIsAClearError) {
  std::string img = luks::testing::TestData("luks2-pbkdf2.img");
  img[4096 + 10] ^= 1;
  img[16384 + 4096 + 10] ^= 1;
  img.resize(4 << 20, '\0');
  ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda", img).ok());
  kernel_.AddTerminal("/dev/console", "correct horse\n");
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(Log(), HasSubstr(absl::StrCat(
                         "cannot unlock /dev/vda (", kMapping,
                         ") without cryptsetup: /dev/vda: primary LUKS2 header at byte 0: "
                         "checksum mismatch")));
  EXPECT_EQ(Console(), "");  // nothing asked: no passphrase could help
  EXPECT_TRUE(kernel_.dm_devices().empty());
}

TEST_F(NativeUnlockTest, UnsupportedSaysTheToolIsNeeded) {
  std::string img = luks::testing::TestData("luks2-pbkdf2.img");
  std::string json = luks::testing::Json(img);
  json.replace(json.find(R"("tokens":{})"), 11,
               R"("tokens":{"0":{"type":"systemd-fido2","keyslots":["0"]}})");
  img = luks::testing::WithJson(img, json);
  img.resize(4 << 20, '\0');
  ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda", img).ok());
  kernel_.AddTerminal("/dev/console", "correct horse\n");
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(Log(), HasSubstr("every key slot is bound to a token (systemd-fido2); the "
                               "cryptsetup tool is needed (an image built with --storage-tools "
                               "all)"));
}

TEST_F(NativeUnlockTest, DmFailureNamesTheDeviceNotTheKey) {
  Disk("luks2-pbkdf2.img");
  kernel_.AddTerminal("/dev/console", "correct horse\n");
  kernel_.FailNext("dm_load", EINVAL);
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(Log(), HasSubstr(absl::StrCat("cannot unlock /dev/vda (", kMapping, "): ")));
  EXPECT_TRUE(kernel_.dm_devices().empty());  // the half-made device is removed
  ExpectSecretNowhere(luks::testing::kKey512Hex);
  ExpectSecretNowhere("correct horse");
}

TEST_F(NativeUnlockTest, NotLuks) {
  ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda", std::string(8192, '\0')).ok());
  kernel_.AddTerminal("/dev/console", "pw\n");
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(Log(), HasSubstr("without cryptsetup: /dev/vda is not a LUKS device (no LUKS magic)"));
}

TEST_F(NativeUnlockTest, DetachedHeaderFile) {
  // The data device is all zeros; the header is a file named by header=.
  ASSERT_TRUE(kernel_.Mknod("/dev/vda", S_IFBLK | 0600, makedev(254, 0)).ok());
  ASSERT_TRUE(kernel_.WriteFile("/dev/vda", std::string(4 << 20, '\0')).ok());
  ASSERT_TRUE(kernel_.MkdirAll("/sys/dev/block/254:0").ok());
  ASSERT_TRUE(kernel_.WriteFile("/sys/dev/block/254:0/size", "8192\n").ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/hdr.img", luks::testing::TestData("luks2-pbkdf2.img")).ok());
  ASSERT_TRUE(kernel_.WriteFile("/etc/crypttab",
                                absl::StrCat("cryptroot UUID=", kUuid,
                                             " none luks,header=/etc/hdr.img\n"))
                  .ok());
  kernel_.AddTerminal("/dev/console", "correct horse\n");
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(Table("cryptroot"), HasSubstr(" 0 254:0 2048 1 sector_size:4096\n"));
}

TEST(PassphrasePromptTest, NamesDiskAndMapping) {
  EXPECT_EQ(PassphrasePrompt("/dev/vda", "luks-1234"),
            "Please enter passphrase for disk vda (luks-1234): ");
}

}  // namespace
}  // namespace baton::stage1
