#include "supervisor/exec_ladder.h"

#include <fcntl.h>

#include <cerrno>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sys/fake_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::vector<ExecCandidate>& ladder) {
  std::vector<std::string> out;
  for (const ExecCandidate& c : ladder) {
    std::string line = c.path + " [" + c.description + "]:";
    for (const std::string& arg : c.argv) line += " " + arg;
    out.push_back(line);
  }
  return out;
}

// A merged-/usr real root mounted at /root: /sbin -> usr/sbin, baton in
// /usr/sbin, /usr/sbin/init -> INIT_TARGET (when not empty).
void SeedRoot(sys::FakeKernel& k, const std::string& init_target) {
  k.AddMount({"/dev/vda1", "/root", "ext4", "rw", false});
  ASSERT_TRUE(k.MkdirAll("/root/usr/sbin").ok());
  ASSERT_TRUE(k.MkdirAll("/root/usr/lib/systemd").ok());
  ASSERT_TRUE(k.MkdirAll("/root/bin").ok());
  ASSERT_TRUE(k.Symlink("usr/sbin", "/root/sbin").ok());
  ASSERT_TRUE(k.Symlink("usr/lib", "/root/lib").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", "elf").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/lib/systemd/systemd", "elf").ok());
  ASSERT_TRUE(k.WriteFile("/root/bin/sh", "elf").ok());
  if (!init_target.empty()) {
    ASSERT_TRUE(k.Symlink(init_target, "/root/usr/sbin/init").ok());
  }
  k.ClearCalls();
}

TEST(ResolveOnRootTest, FollowsRelativeAndAbsoluteLinksUnderTheRoot) {
  sys::FakeKernel k;
  SeedRoot(k, "../lib/systemd/systemd");
  EXPECT_EQ(*ResolveOnRoot(k, "/root", "/sbin/init"), "/usr/lib/systemd/systemd");
  ASSERT_TRUE(k.Symlink("/lib/systemd/systemd", "/root/usr/sbin/sd").ok());
  EXPECT_EQ(*ResolveOnRoot(k, "/root", "/sbin/sd"), "/usr/lib/systemd/systemd");
  EXPECT_EQ(*ResolveOnRoot(k, "/root", "/usr/sbin/baton"), "/usr/sbin/baton");
  // Missing parts are kept as written.
  EXPECT_EQ(*ResolveOnRoot(k, "/root", "/sbin/nothing/here"), "/usr/sbin/nothing/here");
  EXPECT_EQ(*ResolveOnRoot(k, "/root", "/"), "/");
}

TEST(ReadaheadForExecTest, BatonAndTheLibrariesWeHaveMappedWhereTheRootHasThem) {
  sys::FakeKernel k;
  SeedRoot(k, "baton");
  ASSERT_TRUE(k.MkdirAll("/root/usr/lib/x86_64-linux-gnu").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/lib/x86_64-linux-gnu/libc.so.6", "elf").ok());
  ASSERT_TRUE(k.MkdirAll("/proc/self").ok());
  ASSERT_TRUE(k.WriteFile("/proc/self/maps",
                          "55d0-55d1 r--p 00000000 00:02 5 /init\n"
                          "7f00-7f01 r--p 00000000 00:02 9 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
                          "7f01-7f02 r-xp 00001000 00:02 9 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
                          "7f10-7f11 r--p 00000000 00:02 7 /lib64/ld-linux-x86-64.so.2\n"
                          "7ffd-7ffe r-xp 00000000 00:00 0 [vdso]\n")
                  .ok());
  EXPECT_THAT(ReadaheadForExec(k, "/root/", "/usr/sbin/baton"),
              ElementsAre("/root/usr/sbin/baton", "/root/usr/lib/x86_64-linux-gnu/libc.so.6"));
  // Stage 2's job files too, through a symlinked /etc/baton on the root;
  // only *.conf.
  ASSERT_TRUE(k.MkdirAll("/root/usr/lib/etc-baton/jobs").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/lib/etc-baton/jobs/a.conf", "exec true").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/lib/etc-baton/jobs/b.conf", "exec true").ok());
  ASSERT_TRUE(k.WriteFile("/root/usr/lib/etc-baton/jobs/notes.txt", "x").ok());
  ASSERT_TRUE(k.MkdirAll("/root/etc").ok());
  ASSERT_TRUE(k.Symlink("../usr/lib/etc-baton", "/root/etc/baton").ok());
  EXPECT_THAT(ReadaheadForExec(k, "/root", "/usr/sbin/baton"),
              ElementsAre("/root/usr/sbin/baton", "/root/usr/lib/x86_64-linux-gnu/libc.so.6",
                          "/root/usr/lib/etc-baton/jobs/a.conf",
                          "/root/usr/lib/etc-baton/jobs/b.conf"));
  // A foreign init: only its binary.
  EXPECT_THAT(ReadaheadForExec(k, "/root", "/usr/lib/systemd/systemd"),
              ElementsAre("/root/usr/lib/systemd/systemd"));
  EXPECT_THAT(ReadaheadForExec(k, "/root", "/sbin/missing"), ::testing::IsEmpty());
}

TEST(ResolveOnRootTest, LinkLoopIsEloop) {
  sys::FakeKernel k;
  SeedRoot(k, "");
  ASSERT_TRUE(k.Symlink("b", "/root/bin/a").ok());
  ASSERT_TRUE(k.Symlink("a", "/root/bin/b").ok());
  absl::StatusOr<std::string> r = ResolveOnRoot(k, "/root", "/bin/a");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("errno 40"));
}

TEST(BuildLadderTest, BatonLadderHasEveryRungInOrder) {
  LadderOptions options;
  options.handoff_fd = 3;
  options.handoff_fds = {4, 5};
  options.stateless_reason = "exec with handoff failed";
  options.init = "/usr/local/sbin/myinit";
  options.init_resolved = "/usr/local/sbin/baton";  // a link to a baton of its own
  options.init_args = {"single"};
  options.env = {"TERM=linux"};
  std::vector<ExecCandidate> ladder = BuildLadder(options);
  EXPECT_THAT(Lines(ladder), ElementsAre("/usr/sbin/baton [baton with handoff]: /usr/sbin/baton "
                                         "--handoff-fd=3 "
                                         "--handoff-fds=4,5",
                                         "/usr/sbin/baton [baton without state]: /usr/sbin/baton "
                                         "--stateless-reason=exec with handoff failed",
                                         "/usr/local/sbin/myinit [init=/usr/local/sbin/myinit]: "
                                         "/usr/local/sbin/myinit single",
                                         "/sbin/init [/sbin/init]: /sbin/init single",
                                         "/bin/sh [shell]: /bin/sh"));
  for (const ExecCandidate& c : ladder) EXPECT_THAT(c.env, ElementsAre("TERM=linux"));
}

TEST(BuildLadderTest, SameBinaryIsNotTriedTwice) {
  sys::FakeKernel k;
  SeedRoot(k, "baton");  // /sbin/init -> baton
  LadderOptions options;
  options.handoff_fd = 3;
  ResolveInits(k, "/root", &options);
  EXPECT_EQ(options.init_resolved, "/usr/sbin/baton");
  EXPECT_THAT(Lines(BuildLadder(options)),
              ElementsAre("/usr/sbin/baton [baton with handoff]: /usr/sbin/baton "
                          "--handoff-fd=3",
                          "/usr/sbin/baton [baton without state]: /usr/sbin/baton "
                          "--stateless-reason=exec with handoff failed",
                          "/bin/sh [shell]: /bin/sh"));
}

TEST(BuildLadderTest, NoHandoffFdLeavesOutTheStatefulRung) {
  LadderOptions options;
  options.init_resolved = "/usr/sbin/baton";
  options.sbin_init_resolved = "/usr/sbin/baton";
  options.stateless_reason = "handoff could not be written";
  EXPECT_THAT(Lines(BuildLadder(options)),
              ElementsAre("/usr/sbin/baton [baton without state]: /usr/sbin/baton "
                          "--stateless-reason=handoff could not be written",
                          "/bin/sh [shell]: /bin/sh"));
}

TEST(BuildLadderTest, ForeignSystemdComesFirstWithSwitchedRootArguments) {
  sys::FakeKernel k;
  SeedRoot(k, "../lib/systemd/systemd");
  LadderOptions options;
  options.handoff_fd = 3;
  options.systemd_deserialize_fd = 7;
  ResolveInits(k, "/root", &options);
  EXPECT_EQ(options.init_resolved, "/usr/lib/systemd/systemd");
  EXPECT_THAT(Lines(BuildLadder(options)),
              ElementsAre("/sbin/init [init=/sbin/init (/usr/lib/systemd/systemd, not baton)]: "
                          "/sbin/init --switched-root --system --deserialize=7",
                          "/bin/sh [shell]: /bin/sh"));
}

TEST(BuildLadderTest, ForeignInitGivenByInitEquals) {
  sys::FakeKernel k;
  SeedRoot(k, "../lib/systemd/systemd");
  ASSERT_TRUE(k.WriteFile("/root/bin/rescue.sh", "#!/bin/sh").ok());
  LadderOptions options;
  options.init = "/bin/rescue.sh";
  options.init_args = {"-v"};
  ResolveInits(k, "/root", &options);
  EXPECT_THAT(Lines(BuildLadder(options)),
              ElementsAre("/bin/rescue.sh [init=/bin/rescue.sh (/bin/rescue.sh, not baton)]: "
                          "/bin/rescue.sh -v",
                          "/sbin/init [/sbin/init]: /sbin/init --switched-root --system -v",
                          "/bin/sh [shell]: /bin/sh"));
}

TEST(RunLadderTest, ReachesSbinInitWhenStage2BinaryIsMissing) {
  sys::FakeKernel k;
  SeedRoot(k, "../lib/systemd/systemd");
  LadderOptions options;
  options.init = "/usr/sbin/baton";
  options.handoff_fd = 3;
  ResolveInits(k, "/root", &options);
  k.FailExec("/usr/sbin/baton", ENOENT);
  std::vector<std::string> log;
  absl::Status status =
      RunLadder(k, BuildLadder(options), [&](absl::string_view l) { log.emplace_back(l); });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(k.calls(),
              ElementsAre("execve /usr/sbin/baton --handoff-fd=3 -> ENOENT",
                          "execve /usr/sbin/baton --stateless-reason=exec with handoff failed "
                          "-> ENOENT",
                          "execve /sbin/init --switched-root --system"));
  EXPECT_THAT(log, ElementsAre("exec /usr/sbin/baton failed: No such file or directory (errno "
                               "2); trying /usr/sbin/baton (baton without state)",
                               "exec /usr/sbin/baton failed: No such file or directory (errno "
                               "2); trying /sbin/init (/sbin/init)"));
}

TEST(RunLadderTest, EveryRungFailingListsEveryAttempt) {
  sys::FakeKernel k;
  LadderOptions options;
  options.handoff_fd = 3;
  options.init_resolved = "/usr/sbin/baton";
  options.sbin_init_resolved = "/lib/sysvinit/init";
  k.FailExec("/usr/sbin/baton", ENOENT);
  k.FailExec("/sbin/init", EACCES);
  k.FailExec("/bin/sh", ENOEXEC);
  std::vector<std::string> log;
  absl::Status status =
      RunLadder(k, BuildLadder(options), [&](absl::string_view l) { log.emplace_back(l); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "every exec failed: exec /usr/sbin/baton: No "
            "such file or directory (errno 2); "
            "exec /usr/sbin/baton: No such file or directory "
            "(errno 2); exec /sbin/init: "
            "Permission denied (errno 13); exec /bin/sh: "
            "Exec format error (errno 8)");
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[2],
            "exec /sbin/init failed: Permission denied (errno 13); "
            "trying /bin/sh (shell)");
  EXPECT_EQ(log[3], "exec /bin/sh failed: Exec format error (errno 8); nothing left to try");
  EXPECT_EQ(k.execs().size(), 4u);
}

TEST(RunLadderTest, EmptyLadderIsAnError) {
  sys::FakeKernel k;
  EXPECT_EQ(RunLadder(k, {}, [](absl::string_view) {}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SystemdDeserializationTest, InitrdTimestampInMicroseconds) {
  EXPECT_EQ(
      SystemdDeserialization(absl::FromUnixMicros(1700000000123456), absl::Microseconds(2345678)),
      "initrd-timestamp=1700000000123456 2345678\n\n");
}

TEST(SystemdDeserializationTest, FdHoldsTheTextWithoutCloexec) {
  sys::FakeKernel k;
  const std::string text = SystemdDeserialization(absl::FromUnixSeconds(10), absl::Seconds(1));
  absl::StatusOr<sys::UniqueFd> fd = MakeSystemdDeserializeFd(k, text);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_FALSE(k.IsCloexec(fd->get()));
  char buf[128];
  absl::StatusOr<size_t> n = k.Read(fd->get(), buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "initrd-timestamp=10000000 1000000\n\n");
}

TEST(IsBatonTest, ByBasename) {
  EXPECT_TRUE(IsBaton("/usr/sbin/baton"));
  EXPECT_FALSE(IsBaton("/usr/sbin/baton-old"));
  EXPECT_FALSE(IsBaton("/lib/systemd/systemd"));
  EXPECT_TRUE(IsSystemd("/lib/systemd/systemd"));
  EXPECT_FALSE(IsSystemd("/sbin/init"));
}

}  // namespace
}  // namespace baton::supervisor
