#include "supervisor/exec_ladder.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "supervisor/make_elf_for_test.h"
#include "sys/fake_kernel.h"
#include "sys/linux_kernel.h"

namespace baton::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

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
              ElementsAre("spawn /usr/sbin/baton --preflight --handoff-fd=3 -> ENOENT",
                          "execve /usr/sbin/baton --handoff-fd=3 -> ENOENT",
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

// --- CheckExecutable and the ladder skipping broken binaries -----------------

using testing_elf::Ehdr;
using testing_elf::ElfSpec;
using testing_elf::MakeElf;
using testing_elf::Phdr;

// Index of the second PT_LOAD in MakeElf's program headers.
int LastLoad(const ElfSpec& spec) { return spec.interp.empty() ? 2 : 3; }

const char kLoader[] = "/lib64/ld-linux-x86-64.so.2";

// A merged-/usr root at "/" (as after the switch): /lib64 -> usr/lib64
// holding a loader, /sbin -> usr/sbin, /bin -> usr/bin.
void SeedSwitchedRoot(sys::FakeKernel& k) {
  ASSERT_TRUE(k.MkdirAll("/usr/sbin").ok());
  ASSERT_TRUE(k.MkdirAll("/usr/bin").ok());
  ASSERT_TRUE(k.MkdirAll("/usr/lib64").ok());
  ASSERT_TRUE(k.Symlink("usr/lib64", "/lib64").ok());
  ASSERT_TRUE(k.Symlink("usr/sbin", "/sbin").ok());
  ASSERT_TRUE(k.Symlink("usr/bin", "/bin").ok());
  ElfSpec loader;
  loader.type = ET_DYN;
  ASSERT_TRUE(k.WriteFile("/usr/lib64/ld-linux-x86-64.so.2", MakeElf(loader), 0755).ok());
  k.ClearCalls();
}

std::string CheckMessage(sys::Kernel& k, const std::string& path) {
  absl::Status status = CheckExecutable(k, "/", path);
  return status.ok() ? "OK" : std::string(status.message());
}

TEST(CheckExecutableTest, StaticAndDynamicElfAccepted) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf({}), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"), "OK");
  ElfSpec pie;  // static-pie: ET_DYN without PT_INTERP
  pie.type = ET_DYN;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(pie), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"), "OK");
  ElfSpec dynamic;
  dynamic.type = ET_DYN;
  dynamic.interp = kLoader;  // through the /lib64 link
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(dynamic), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"), "OK");
  // Through a link to it, as /sbin/init often is.
  ASSERT_TRUE(k.Symlink("baton", "/usr/sbin/init").ok());
  EXPECT_EQ(CheckMessage(k, "/sbin/init"), "OK");
}

TEST(CheckExecutableTest, TruncatedElf) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec spec;
  spec.interp = kLoader;
  spec.size = 2 * 1024 * 1024;
  const std::string whole = MakeElf(spec);
  // The first half: the second PT_LOAD runs past the end.
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", whole.substr(0, whole.size() / 2), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            absl::StrCat("/usr/sbin/baton: PT_LOAD segment ", LastLoad(spec),
                         " ends at 2097152, file is 1048576 bytes (truncated?)"));
  // Cut inside the program headers.
  const size_t cut = sizeof(Ehdr) + sizeof(Phdr);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", whole.substr(0, cut), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            absl::StrCat("/usr/sbin/baton: program header table ends at ", sizeof(Ehdr) + 4 * sizeof(Phdr),
                         ", file is ", cut, " bytes (truncated?)"));
  // Cut inside the ELF header.
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", whole.substr(0, 20), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            "/usr/sbin/baton: ELF header cut short: file is 20 bytes (truncated?)");
}

TEST(CheckExecutableTest, ProgramHeadersBeyondTheFirstReadAreReadToo) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec spec;
  spec.size = 3 * 4096;
  std::string image = MakeElf(spec);
  // Move the program headers to offset 8192 (past the first 4 KiB read).
  Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof(eh));
  const size_t table = eh.e_phnum * sizeof(Phdr);
  image.replace(8192, table, image.substr(eh.e_phoff, table));
  eh.e_phoff = 8192;
  std::memcpy(&image[0], &eh, sizeof(eh));
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", image, 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"), "OK");
  // ... and judged: the second PT_LOAD made too long.
  Phdr load;
  const size_t at = 8192 + LastLoad(spec) * sizeof(Phdr);
  std::memcpy(&load, image.data() + at, sizeof(load));
  load.p_filesz += 1;
  std::memcpy(&image[at], &load, sizeof(load));
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", image, 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            "/usr/sbin/baton: PT_LOAD segment 2 ends at 12289, file is 12288 bytes (truncated?)");
}

TEST(CheckExecutableTest, WrongMachineOrClass) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec arm;
  arm.machine = kOwnElfMachine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(arm), 0755).ok());
  const std::string message = CheckMessage(k, "/usr/sbin/baton");
  EXPECT_THAT(message, StartsWith(arm.machine == EM_AARCH64 ? "/usr/sbin/baton: AArch64 ELF; "
                                                            : "/usr/sbin/baton: x86-64 ELF; "));
  EXPECT_THAT(message, HasSubstr("this system runs "));
  if (kOwnElfMachine == EM_X86_64) {
    EXPECT_EQ(message, "/usr/sbin/baton: AArch64 ELF; this system runs x86-64 binaries");
  }
  ElfSpec other_class;
  other_class.elf_class = kOwnElfClass == ELFCLASS64 ? ELFCLASS32 : ELFCLASS64;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(other_class), 0755).ok());
  EXPECT_THAT(CheckMessage(k, "/usr/sbin/baton"),
              StartsWith(kOwnElfClass == ELFCLASS64
                             ? "/usr/sbin/baton: 32-bit ELF; this system runs 64-bit binaries"
                             : "/usr/sbin/baton: 64-bit ELF; this system runs 32-bit binaries"));
  ElfSpec object;
  object.type = ET_REL;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(object), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            "/usr/sbin/baton: ELF type 1 is not an executable (ET_EXEC or ET_DYN)");
}

TEST(CheckExecutableTest, MissingOrBrokenInterpreter) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec spec;
  spec.type = ET_DYN;
  spec.interp = "/lib/ld-musl-x86_64.so.1";
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(spec), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            "/usr/sbin/baton: its interpreter /lib/ld-musl-x86_64.so.1 is missing on the new root");
  // The loader is there but truncated itself.
  spec.interp = kLoader;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(spec), 0755).ok());
  ASSERT_TRUE(
      k.WriteFile("/usr/lib64/ld-linux-x86-64.so.2", MakeElf({}).substr(0, 5000), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"),
            "/usr/sbin/baton: its interpreter /lib64/ld-linux-x86-64.so.2 "
            "(-> /usr/lib64/ld-linux-x86-64.so.2): PT_LOAD segment 2 ends at 8192, file is "
            "5000 bytes (truncated?)");
}

TEST(CheckExecutableTest, ScriptInterpreter) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/init", "#! /bin/bash -e\necho hi\n", 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/sbin/init"),
            "/sbin/init (-> /usr/sbin/init): #! interpreter /bin/bash is missing on the new root");
  ASSERT_TRUE(k.WriteFile("/usr/bin/bash", MakeElf({}), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/sbin/init"), "OK");
  // The interpreter is checked as a binary too.
  ASSERT_TRUE(k.WriteFile("/usr/bin/bash", MakeElf({}).substr(0, 4200), 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/sbin/init"),
            "/sbin/init (-> /usr/sbin/init): #! interpreter /bin/bash (-> /usr/bin/bash): "
            "PT_LOAD segment 2 ends at 8192, file is 4200 bytes (truncated?)");
  // A script whose interpreter is a script, and so on: 4 levels, like the kernel.
  ASSERT_TRUE(k.WriteFile("/usr/bin/loop", "#!/usr/bin/loop\n", 0755).ok());
  EXPECT_THAT(CheckMessage(k, "/usr/bin/loop"), HasSubstr("interpreters nested more than 4 deep"));
  ASSERT_TRUE(k.WriteFile("/usr/bin/empty", "#!\n", 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/bin/empty"), "/usr/bin/empty: #! names no interpreter");
}

TEST(CheckExecutableTest, FileKindAndModeAndWhatIsLeftToExecve) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf({}), 0644).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/baton"), "/usr/sbin/baton: not executable (mode 0644)");
  EXPECT_EQ(CheckMessage(k, "/usr/lib64"), "/usr/lib64: not a regular file (a directory)");
  // Missing: execve's ENOENT says it. Another format: binfmt_misc may know it.
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/nothing"), "OK");
  ASSERT_TRUE(k.WriteFile("/usr/sbin/other", "MZ\x90", 0755).ok());
  EXPECT_EQ(CheckMessage(k, "/usr/sbin/other"), "OK");
}

// This test's own binary, read from disk: accepted, once its loader (when it
// has one) is on the root.
TEST(CheckExecutableTest, TheTestBinaryItself) {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  ASSERT_TRUE(in.good());
  const std::string self((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(self.size(), 4096u);
  sys::FakeKernel k;
  ASSERT_TRUE(k.MkdirAll("/usr/sbin").ok());
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", self, 0755).ok());
  std::string message = CheckMessage(k, "/usr/sbin/baton");
  const std::string prefix = "/usr/sbin/baton: its interpreter ";
  const std::string suffix = " is missing on the new root";
  if (message != "OK") {  // dynamic: nothing but its loader is missing
    ASSERT_THAT(message, StartsWith(prefix));
    ASSERT_THAT(message, ::testing::EndsWith(suffix));
    const std::string loader =
        message.substr(prefix.size(), message.size() - prefix.size() - suffix.size());
    ASSERT_TRUE(k.MkdirAll(loader.substr(0, loader.rfind('/'))).ok());
    ElfSpec so;
    so.type = ET_DYN;
    ASSERT_TRUE(k.WriteFile(loader, MakeElf(so), 0755).ok());
    message = CheckMessage(k, "/usr/sbin/baton");
  }
  EXPECT_EQ(message, "OK");
}

TEST(RunLadderTest, TruncatedStage2BinaryIsSkippedForSbinInit) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec spec;
  spec.interp = kLoader;
  spec.size = 2 * 1024 * 1024;
  const std::string whole = MakeElf(spec);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", whole.substr(0, whole.size() / 2), 0755).ok());
  ASSERT_TRUE(k.WriteFile("/usr/sbin/init", "#!/bin/sh\necho init\n", 0755).ok());
  ASSERT_TRUE(k.WriteFile("/usr/bin/sh", MakeElf({}), 0755).ok());
  LadderOptions options;
  options.init = "/usr/sbin/baton";
  options.handoff_fd = 3;
  ResolveInits(k, "/", &options);
  k.ClearCalls();
  std::vector<std::string> log;
  absl::Status status =
      RunLadder(k, BuildLadder(options), [&](absl::string_view l) { log.emplace_back(l); });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(k.calls(), ElementsAre("execve /sbin/init"));
  const std::string what =
      "/usr/sbin/baton: PT_LOAD segment 3 ends at 2097152, file is 1048576 bytes (truncated?)";
  EXPECT_THAT(log, ElementsAre("not executing /usr/sbin/baton (baton with handoff): " + what +
                                   "; trying /usr/sbin/baton (baton without state)",
                               "not executing /usr/sbin/baton (baton without state): " + what +
                                   "; trying /sbin/init (/sbin/init)"));
}

TEST(RunLadderTest, SkippedHandoffRungTellsTheNextBatonRungWhy) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ElfSpec arm;
  arm.machine = kOwnElfMachine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf(arm), 0755).ok());
  ASSERT_TRUE(k.MkdirAll("/usr/local/sbin").ok());
  ASSERT_TRUE(k.WriteFile("/usr/local/sbin/baton", MakeElf({}), 0755).ok());
  const std::vector<ExecCandidate> ladder = {
      {"/usr/sbin/baton", {"/usr/sbin/baton", "--handoff-fd=3"}, {}, "baton with handoff"},
      {"/usr/local/sbin/baton",
       {"/usr/local/sbin/baton", "--stateless-reason=exec with handoff failed"},
       {},
       "baton without state"},
  };
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }).ok());
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/usr/local/sbin/baton");
  ASSERT_EQ(k.execs()[0].argv.size(), 2u);
  EXPECT_EQ(k.execs()[0].argv[1],
            "--stateless-reason=the stage-2 binary was not executed with the handoff: " +
                CheckMessage(k, "/usr/sbin/baton"));
  EXPECT_THAT(k.execs()[0].argv[1], HasSubstr(" ELF; this system runs "));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], StartsWith("not executing /usr/sbin/baton (baton with handoff): "
                                 "/usr/sbin/baton: "));
}

TEST(RunLadderTest, SkippedAndFailedRungsAreAllListed) {
  sys::FakeKernel k;
  SeedSwitchedRoot(k);
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", MakeElf({}).substr(0, 10), 0755).ok());
  ASSERT_TRUE(k.WriteFile("/usr/sbin/init", "#!/bin/bash\n", 0755).ok());
  LadderOptions options;
  options.handoff_fd = 3;
  options.init_resolved = "/usr/sbin/baton";
  k.FailExec("/bin/sh", ENOENT);
  k.ClearCalls();
  std::vector<std::string> log;
  absl::Status status =
      RunLadder(k, BuildLadder(options), [&](absl::string_view l) { log.emplace_back(l); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "every exec failed: skipped /usr/sbin/baton: /usr/sbin/baton: ELF header cut short: "
            "file is 10 bytes (truncated?); skipped /usr/sbin/baton: /usr/sbin/baton: ELF header "
            "cut short: file is 10 bytes (truncated?); skipped /sbin/init: /sbin/init (-> "
            "/usr/sbin/init): #! interpreter /bin/bash is missing on the new root; exec /bin/sh: "
            "No such file or directory (errno 2)");
  EXPECT_THAT(k.calls(), ElementsAre("execve /bin/sh -> ENOENT"));
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[2],
            "not executing /sbin/init (/sbin/init): /sbin/init (-> /usr/sbin/init): #! "
            "interpreter /bin/bash is missing on the new root; trying /bin/sh (shell)");
}

// --- preflight ---------------------------------------------------------------

constexpr char kOkLine[] =
    "baton preflight ok build=baton 0.1.0 handoff-reader=3-4 jobs=2 job-errors=0 "
    "handoff=ok (format 4, 120 bytes, 3 instances)";

// A real root at /root with a good-looking static baton, /sbin/init and
// /bin/sh; the ladder for baton with a handoff on fd 3.
std::vector<ExecCandidate> SeedPreflightRoot(sys::FakeKernel& k) {
  k.AddMount({"/dev/vda1", "/root", "ext4", "rw", false});
  EXPECT_TRUE(k.MkdirAll("/root/usr/sbin").ok());
  EXPECT_TRUE(k.MkdirAll("/root/bin").ok());
  EXPECT_TRUE(k.Symlink("usr/sbin", "/root/sbin").ok());
  EXPECT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf({}), 0755).ok());
  EXPECT_TRUE(k.WriteFile("/root/usr/sbin/init", MakeElf({}), 0755).ok());
  EXPECT_TRUE(k.WriteFile("/root/bin/sh", MakeElf({}), 0755).ok());
  LadderOptions options;
  options.init = "/sbin/baton";
  options.handoff_fd = 3;
  ResolveInits(k, "/root", &options);
  options.self_path = options.init_resolved;
  k.ClearCalls();
  return BuildLadder(options);
}

// The fake child of the next spawn writes OUTPUT to its stdout and exits
// with STATUS (or is killed by SIGNAL when it is not 0).
void ScriptChild(sys::FakeKernel& k, const std::string& output, int status, int signal = 0) {
  k.set_spawn_hook([&k, output, status, signal](pid_t pid, const sys::SpawnRequest& r) {
    ASSERT_TRUE(k.FinishChild(pid, r, output, status, signal).ok());
  });
}

TEST(PreflightTest, BuildLadderPreflightsOnlyTheBatonRungs) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  ASSERT_EQ(ladder.size(), 4u);  // baton ×2, /sbin/init, /bin/sh
  EXPECT_TRUE(ladder[0].preflight);
  EXPECT_TRUE(ladder[1].preflight);
  EXPECT_FALSE(ladder[2].preflight);
  EXPECT_FALSE(ladder[3].preflight);
  // A foreign init (systemd, a script) is never preflighted.
  LadderOptions foreign;
  foreign.init_resolved = "/usr/lib/systemd/systemd";
  for (const ExecCandidate& rung : BuildLadder(foreign)) EXPECT_FALSE(rung.preflight) << rung.path;
}

TEST(PreflightTest, AnsweringBatonIsExecutedWithItsLineLogged) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  ScriptChild(k, std::string(kOkLine) + "\n", 0);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.spawned().size(), 1u);
  const sys::SpawnRequest& child = k.spawned()[0];
  EXPECT_THAT(child.argv, ElementsAre("/usr/sbin/baton", "--preflight", "--handoff-fd=3"));
  EXPECT_EQ(child.root, "/root");  // before the switch: chrooted into the new root
  EXPECT_EQ(child.stdout_fd, child.stderr_fd);
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_THAT(k.execs()[0].argv, ElementsAre("/usr/sbin/baton", "--handoff-fd=3"));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], StartsWith(std::string("/usr/sbin/baton preflight: ") + kOkLine + " ("));
  EXPECT_THAT(log[0], HasSubstr("bound 10s)"));
}

TEST(PreflightTest, CrashBeforeMainSkipsBothBatonRungs) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  ScriptChild(k, "", 0, SIGSEGV);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  EXPECT_EQ(k.spawned().size(), 1u);  // the same binary is not preflighted twice
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], StartsWith("not executing /usr/sbin/baton (baton with handoff): "
                                 "/usr/sbin/baton preflight: killed by SIGSEGV before answering ("));
  EXPECT_THAT(log[0], HasSubstr("; trying /usr/sbin/baton (baton without state)"));
  EXPECT_THAT(log[1], HasSubstr("; trying /sbin/init (/sbin/init)"));
}

TEST(PreflightTest, OtherExitStatusIsRefusedAndTheNextRungHearsWhy) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  // busybox copied over /sbin/baton: it does not know the applet.
  ScriptChild(k, "baton: applet not found\n", 127);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_FALSE(log.empty());
  EXPECT_THAT(log[0], HasSubstr("/usr/sbin/baton preflight: exited with status 127: "
                                "\"baton: applet not found\""));
}

TEST(PreflightTest, OlderBatonWithoutPreflightIsAcceptedWithoutADryRun) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  ScriptChild(k,
              "baton: unknown argument '--preflight'\nusage: baton --user --jobs DIR\n", 2);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/usr/sbin/baton");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("preflight: accepted without a dry run: an older baton"));
}

// --- the preflight before the switch (EarlyPreflight) ------------------------

const std::vector<std::string> kEnv = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};

// A new root seeded with the ladder's files (SeedPreflightRoot), and the
// log lines of the preflight and the ladder run on it.
class EarlyPreflightTest : public ::testing::Test {
 protected:
  EarlyPreflightTest() : ladder(SeedPreflightRoot(k)) {}

  // /usr/sbin/baton preflighted before the switch, the provisional handoff
  // on fd 7 (the ladder's real one is fd 3); its child writes OUTPUT and
  // ends with STATUS or SIGNAL.
  std::optional<EarlyPreflight> Preflight(const std::string& output, int status,
                                          int signal = 0) {
    ScriptChild(k, output, status, signal);
    return PreflightOnNewRoot(k, "/root", "/usr/sbin/baton", 7, kEnv, logged);
  }

  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder;
  std::vector<std::string> log;
  std::function<void(absl::string_view)> logged = [this](absl::string_view l) {
    log.emplace_back(l);
  };
};

TEST_F(EarlyPreflightTest, RunsChrootedAndItsVerdictIsNotRunAgain) {
  std::optional<EarlyPreflight> early = Preflight(std::string(kOkLine) + "\n", 0);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->verdict.kind, PreflightVerdict::Kind::kOk);
  ASSERT_EQ(k.spawned().size(), 1u);
  EXPECT_THAT(k.spawned()[0].argv, ElementsAre("/usr/sbin/baton", "--preflight", "--handoff-fd=7"));
  EXPECT_EQ(k.spawned()[0].root, "/root");
  EXPECT_THAT(k.spawned()[0].env, ElementsAreArray(kEnv));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], StartsWith(std::string("/usr/sbin/baton preflight: ") + kOkLine + " ("));
  EXPECT_THAT(log[0], EndsWith("; before the switch"));

  // The ladder on the same root takes it: no second child, exec as usual.
  k.set_spawn_hook(nullptr);
  ASSERT_TRUE(RunLadder(k, ladder, logged, "/root", {*early}).ok());
  EXPECT_EQ(k.spawned().size(), 1u);
  EXPECT_THAT(k.calls(), ElementsAre(StartsWith("spawn /usr/sbin/baton --preflight"),
                                     "execve /usr/sbin/baton --handoff-fd=3"));
  EXPECT_EQ(log.size(), 1u);
}

TEST_F(EarlyPreflightTest, FailureSkipsBothBatonRungsWithoutAnotherChild) {
  std::optional<EarlyPreflight> early = Preflight("", 0, SIGSEGV);
  ASSERT_TRUE(early.has_value());
  EXPECT_FALSE(early->verdict.accepted());
  EXPECT_TRUE(log.empty());  // a failure is said by the ladder's skip lines
  ASSERT_TRUE(RunLadder(k, ladder, logged, "/root", {*early}).ok());
  EXPECT_EQ(k.spawned().size(), 1u);
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], StartsWith("not executing /usr/sbin/baton (baton with handoff): "
                                 "/usr/sbin/baton preflight: killed by SIGSEGV before answering ("));
  EXPECT_THAT(log[0], HasSubstr("; trying /usr/sbin/baton (baton without state)"));
  EXPECT_THAT(log[1], StartsWith("not executing /usr/sbin/baton (baton without state): "
                                 "/usr/sbin/baton preflight: killed by SIGSEGV"));
  EXPECT_THAT(log[1], HasSubstr("; trying /sbin/init (/sbin/init)"));
}

TEST_F(EarlyPreflightTest, ReplacedBinaryIsPreflightedAgain) {
  std::optional<EarlyPreflight> early = Preflight(std::string(kOkLine) + "\n", 0);
  ASSERT_TRUE(early.has_value());
  // Something else is put there after the preflight: it crashes before main.
  ElfSpec bigger;
  bigger.size = 12288;
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf(bigger), 0755).ok());
  ScriptChild(k, "", 0, SIGSEGV);
  ASSERT_TRUE(RunLadder(k, ladder, logged, "/root", {*early}).ok());
  ASSERT_EQ(k.spawned().size(), 2u);
  EXPECT_THAT(k.spawned()[1].argv, ElementsAre("/usr/sbin/baton", "--preflight", "--handoff-fd=3"));
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[1],
            "/usr/sbin/baton changed since its preflight before the switch (size 8192 -> 12288); "
            "preflighting it again");
}

TEST_F(EarlyPreflightTest, UnchangedFileIsNotCheckedAgainAfterTheSwitch) {
  std::optional<EarlyPreflight> early = Preflight(std::string(kOkLine) + "\n", 0);
  ASSERT_TRUE(early.has_value());
  // Rewritten in place, same inode and size, with a header CheckExecutable
  // refuses: the ladder only compares the file (device, inode, size), it
  // does not read the header again, so it execs (and execve would say).
  ElfSpec foreign;
  foreign.machine = kOwnElfMachine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf(foreign), 0755).ok());
  ASSERT_FALSE(CheckExecutable(k, "/root", "/usr/sbin/baton").ok());
  k.set_spawn_hook(nullptr);
  ASSERT_TRUE(RunLadder(k, ladder, logged, "/root", {*early}).ok());
  EXPECT_EQ(k.spawned().size(), 1u);
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/usr/sbin/baton");
  EXPECT_EQ(log.size(), 1u);  // the preflight's line only
}

TEST_F(EarlyPreflightTest, ChangedFileIsCheckedAgainAndSaidOnce) {
  std::optional<EarlyPreflight> early = Preflight(std::string(kOkLine) + "\n", 0);
  ASSERT_TRUE(early.has_value());
  // Replaced by a bigger file the header check refuses: not preflighted,
  // skipped on both baton rungs, the change said once.
  ElfSpec foreign;
  foreign.machine = kOwnElfMachine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  foreign.size = 12288;
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf(foreign), 0755).ok());
  ASSERT_TRUE(RunLadder(k, ladder, logged, "/root", {*early}).ok());
  EXPECT_EQ(k.spawned().size(), 1u);
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  int changed = 0, skipped = 0;
  for (const std::string& line : log) {
    if (line.find("changed since its preflight") != std::string::npos) ++changed;
    if (line.rfind("not executing /usr/sbin/baton", 0) == 0) ++skipped;
  }
  EXPECT_EQ(changed, 1);
  EXPECT_EQ(skipped, 2);
}

TEST_F(EarlyPreflightTest, AbsoluteLinksAreFollowedOnTheNewRoot) {
  ASSERT_TRUE(k.Symlink("/usr/sbin", "/root/xbin").ok());
  // The initramfs has a file of its own at the link's target.
  ASSERT_TRUE(k.MkdirAll("/usr/sbin").ok());
  ASSERT_TRUE(k.WriteFile("/usr/sbin/baton", "initramfs's", 0755).ok());
  ScriptChild(k, std::string(kOkLine) + "\n", 0);
  std::optional<EarlyPreflight> early =
      PreflightOnNewRoot(k, "/root", "/xbin/baton", -1, kEnv, [](absl::string_view) {});
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->file.size, 8192u);  // /root/usr/sbin/baton, not /usr/sbin/baton
}

TEST_F(EarlyPreflightTest, NoVerdictWhenTheCheckObjectsOrNothingRan) {
  // Truncated: the header check objects, no child is started before the switch.
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf({}).substr(0, 4096), 0755).ok());
  EXPECT_FALSE(PreflightOnNewRoot(k, "/root", "/usr/sbin/baton", 7, kEnv, logged).has_value());
  EXPECT_TRUE(k.spawned().empty());
  // A pipe that cannot be made: kNotRun, left to the ladder after the switch.
  ASSERT_TRUE(k.WriteFile("/root/usr/sbin/baton", MakeElf({}), 0755).ok());
  k.FailNext("pipe", EMFILE);
  EXPECT_FALSE(PreflightOnNewRoot(k, "/root", "/usr/sbin/baton", 7, kEnv, logged).has_value());
  EXPECT_TRUE(k.spawned().empty());
  EXPECT_TRUE(log.empty());
}

TEST(PreflightTest, HungChildIsKilledAtTheBound) {
  sys::FakeKernel k;
  k.set_kill_terminates(true);
  std::vector<ExecCandidate> ladder = SeedPreflightRoot(k);
  std::vector<sys::UniqueFd> kept;  // the "child" keeps its stdout open and never answers
  k.set_spawn_hook([&](pid_t, const sys::SpawnRequest& r) {
    absl::StatusOr<sys::UniqueFd> copy = k.Dup(r.stdout_fd);
    ASSERT_TRUE(copy.ok());
    kept.push_back(*std::move(copy));
  });
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.kills().size(), 1u);
  EXPECT_EQ(k.kills()[0].first, -1000);  // its process group
  EXPECT_EQ(k.kills()[0].second, SIGKILL);
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_FALSE(log.empty());
  EXPECT_THAT(log[0], HasSubstr("preflight: no answer within 10s (killed)"));
}

// The same with real processes (LinuxKernel): poll, pidfd, SIGKILL at the bound.
class LinuxPreflightTest : public ::testing::Test {
 protected:
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
    EXPECT_TRUE(kernel_.WriteFile(path, "#!/bin/sh\n" + body, 0755).ok());
    return path;
  }
  PreflightVerdict Run(const std::string& path, absl::Duration timeout = absl::Seconds(10)) {
    PreflightRequest request;
    request.path = path;
    request.env = {"PATH=/usr/bin:/bin"};
    request.timeout = timeout;
    return Preflight(kernel_, request);
  }
  sys::LinuxKernel kernel_;
};

TEST_F(LinuxPreflightTest, AnswerCrashExitAndHang) {
  PreflightVerdict ok = Run(Script("ok", "echo \"baton preflight ok build=t handoff=none $1\"\n"));
  EXPECT_EQ(ok.kind, PreflightVerdict::Kind::kOk) << ok.reason;
  EXPECT_EQ(ok.handoff, "none --preflight");
  PreflightVerdict segv = Run(Script("segv", "kill -SEGV $$\n"));
  EXPECT_EQ(segv.kind, PreflightVerdict::Kind::kFailed);
  EXPECT_EQ(segv.reason, "killed by SIGSEGV before answering");
  PreflightVerdict one = Run(Script("one", "echo nope >&2; exit 1\n"));
  EXPECT_EQ(one.reason, "exited with status 1: \"nope\"");
  // Hangs with its output open (and a grandchild holding it too): killed
  // at the bound, its whole process group with it.
  const absl::Time start = absl::Now();
  PreflightVerdict hang = Run(Script("hang", "sleep 30 & exec sleep 31\n"), absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(hang.reason, "no answer within 300ms (killed)");
  // Closes its output, then hangs: the pidfd bounds the wait for its exit.
  PreflightVerdict closed =
      Run(Script("closed", "exec >/dev/null 2>&1; exec sleep 30\n"), absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(closed.reason, "no answer within 300ms (killed)");
  // An older baton.
  PreflightVerdict old = Run(Script("old", "echo \"baton: unknown argument '$1'\" >&2; exit 2\n"));
  EXPECT_EQ(old.kind, PreflightVerdict::Kind::kNoDryRun);
}

TEST(JudgePreflightTest, Verdicts) {
  auto exited = [](int status) {
    sys::ChildExit e;
    e.pid = 1000;
    e.exit_status = status;
    return std::optional<sys::ChildExit>(e);
  };
  auto killed = [](int sig) {
    sys::ChildExit e;
    e.pid = 1000;
    e.signal = sig;
    return std::optional<sys::ChildExit>(e);
  };
  const absl::Duration bound = absl::Seconds(10);
  PreflightVerdict ok = JudgePreflight(exited(0), false, std::string(kOkLine) + "\n", bound);
  EXPECT_EQ(ok.kind, PreflightVerdict::Kind::kOk);
  EXPECT_EQ(ok.handoff, "ok (format 4, 120 bytes, 3 instances)");
  EXPECT_FALSE(ok.handoff_unreadable());
  PreflightVerdict skew = JudgePreflight(
      exited(0), false,
      "baton preflight ok build=x handoff-reader=3-4 jobs=0 job-errors=0 handoff=unreadable: "
      "handoff needs reader version 9, this reader is 4\n",
      bound);
  EXPECT_EQ(skew.kind, PreflightVerdict::Kind::kOk);
  EXPECT_TRUE(skew.handoff_unreadable());
  // Exit 0 without the line: not a baton that answered.
  PreflightVerdict silent = JudgePreflight(exited(0), false, "hello\n", bound);
  EXPECT_EQ(silent.kind, PreflightVerdict::Kind::kFailed);
  EXPECT_THAT(silent.reason, HasSubstr("exited 0 without the answer"));
  // The line and then a crash (a static destructor): refused.
  PreflightVerdict late = JudgePreflight(killed(SIGABRT), false, kOkLine, bound);
  EXPECT_EQ(late.kind, PreflightVerdict::Kind::kFailed);
  EXPECT_EQ(late.reason.rfind("killed by SIGABRT after answering", 0), 0u) << late.reason;
  // Exit 2 for another reason than --preflight is a failure.
  PreflightVerdict usage = JudgePreflight(exited(2), false, "baton: --jobs needs a value\n", bound);
  EXPECT_EQ(usage.kind, PreflightVerdict::Kind::kFailed);
  EXPECT_EQ(usage.reason, "exited with status 2: \"baton: --jobs needs a value\"");
  PreflightVerdict hung = JudgePreflight(killed(SIGKILL), true, "", bound);
  EXPECT_EQ(hung.kind, PreflightVerdict::Kind::kFailed);
  EXPECT_EQ(hung.reason, "no answer within 10s (killed)");
  PreflightVerdict lost = JudgePreflight(std::nullopt, false, "", bound);
  EXPECT_EQ(lost.kind, PreflightVerdict::Kind::kNotRun);
  EXPECT_TRUE(lost.accepted());
  EXPECT_EQ(JudgePreflight(killed(SIGSEGV), false, "", bound).Describe("/sbin/baton").rfind(
                "/sbin/baton preflight: killed by SIGSEGV before answering (", 0),
            0u);
}

// --- the loader check of a dynamic foreign init ------------------------------

BoundedRun Ran(std::string output, int status, int signal = 0) {
  BoundedRun run;
  sys::ChildExit exit;
  exit.exit_status = status;
  exit.signal = signal;
  run.exit = exit;
  run.output = std::move(output);
  return run;
}

TEST(JudgeLoaderListTest, OnlyWhatCertainlyKillsIsRefused) {
  const absl::Duration bound = absl::Seconds(10);
  // glibc's ld.so --list of a program whose own library is missing (exit 127).
  LoaderVerdict v = JudgeLoaderList(
      Ran("/sbin/init: error while loading shared libraries: libQ.so.6: cannot open shared "
          "object file: No such file or directory\n", 127), bound);
  EXPECT_TRUE(v.refused);
  EXPECT_THAT(v.what, StartsWith("/sbin/init: error while loading shared libraries: libQ.so.6"));
  // A library's library, listed as not found.
  v = JudgeLoaderList(Ran("\tlinux-vdso.so.1 (0x7ff)\n\tlibsystemd-shared-252.so => not found\n"
                          "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f)\n", 0), bound);
  EXPECT_TRUE(v.refused);
  EXPECT_EQ(v.what, "libsystemd-shared-252.so => not found");
  // A symbol version no library has.
  v = JudgeLoaderList(Ran("/sbin/init: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99' not "
                          "found (required by /sbin/init)\n", 1), bound);
  EXPECT_TRUE(v.refused);
  EXPECT_THAT(v.what, HasSubstr("GLIBC_2.99"));

  v = JudgeLoaderList(Ran("\tlinux-vdso.so.1 (0x7ff)\n"
                          "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f)\n"
                          "\t/lib64/ld-linux-x86-64.so.2 (0x7f)\n", 0), bound);
  EXPECT_FALSE(v.refused);
  EXPECT_EQ(v.what, "2 objects found");
  // Another loader that does not know --list: no objection.
  v = JudgeLoaderList(Ran("ld.so: unrecognized option '--list'\n", 1), bound);
  EXPECT_FALSE(v.refused);
  EXPECT_EQ(v.what, "the loader exited 1: \"ld.so: unrecognized option '--list'\"; it named no "
                    "missing library: no objection");
  v = JudgeLoaderList(Ran("", 0, SIGSEGV), bound);
  EXPECT_FALSE(v.refused);
  EXPECT_THAT(v.what, StartsWith("the loader was killed by SIGSEGV"));
  BoundedRun hung;
  hung.timed_out = true;
  v = JudgeLoaderList(hung, bound);
  EXPECT_FALSE(v.refused);
  EXPECT_EQ(v.what, "no answer within 10s (killed); no objection");
  BoundedRun never;
  never.started = absl::InternalError("fork: out of memory");
  EXPECT_FALSE(JudgeLoaderList(never, bound).refused);
}

// The new root at /root: a dynamic foreign /sbin/init and a static /bin/sh.
std::vector<ExecCandidate> SeedForeignDynamicRoot(sys::FakeKernel& k) {
  k.AddMount({"/dev/vda1", "/root", "ext4", "rw", false});
  EXPECT_TRUE(k.MkdirAll("/root/usr/sbin").ok());
  EXPECT_TRUE(k.MkdirAll("/root/usr/lib64").ok());
  EXPECT_TRUE(k.MkdirAll("/root/bin").ok());
  EXPECT_TRUE(k.Symlink("usr/sbin", "/root/sbin").ok());
  EXPECT_TRUE(k.Symlink("usr/lib64", "/root/lib64").ok());
  ElfSpec loader;
  loader.type = ET_DYN;
  EXPECT_TRUE(k.WriteFile("/root/usr/lib64/ld-linux-x86-64.so.2", MakeElf(loader), 0755).ok());
  ElfSpec dynamic;
  dynamic.interp = kLoader;
  EXPECT_TRUE(k.WriteFile("/root/usr/sbin/init", MakeElf(dynamic), 0755).ok());
  EXPECT_TRUE(k.WriteFile("/root/bin/sh", MakeElf({}), 0755).ok());
  LadderOptions options;
  ResolveInits(k, "/root", &options);
  k.ClearCalls();
  return BuildLadder(options);
}

TEST(LoaderCheckTest, MissingLibrarySkipsTheForeignInit) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedForeignDynamicRoot(k);
  ASSERT_EQ(ladder.front().path, "/sbin/init");
  ScriptChild(k,
              "/sbin/init: error while loading shared libraries: libQ.so.6: cannot open shared "
              "object file: No such file or directory\n",
              127);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.spawned().size(), 1u);  // /bin/sh is static: nothing to list
  EXPECT_THAT(k.spawned()[0].argv, ElementsAre(kLoader, "--list", "/sbin/init"));
  EXPECT_EQ(k.spawned()[0].root, "/root");
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/bin/sh");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], StartsWith("not executing /sbin/init (init=/sbin/init (/usr/sbin/init, not "
                                 "baton)): /sbin/init loader "
                                 "check: /sbin/init: error while loading shared libraries: "
                                 "libQ.so.6: cannot open shared object file"));
  EXPECT_THAT(log[0], HasSubstr("; trying /bin/sh (shell)"));
}

TEST(LoaderCheckTest, ListedLibrariesLetTheForeignInitRun) {
  sys::FakeKernel k;
  std::vector<ExecCandidate> ladder = SeedForeignDynamicRoot(k);
  ScriptChild(k, "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f)\n", 0);
  std::vector<std::string> log;
  ASSERT_TRUE(RunLadder(k, ladder, [&](absl::string_view l) { log.emplace_back(l); }, "/root").ok());
  ASSERT_EQ(k.execs().size(), 1u);
  EXPECT_EQ(k.execs()[0].path, "/sbin/init");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], StartsWith("/sbin/init loader check: 1 objects found ("));
}

TEST(LoaderCheckTest, TheRealLoaderListsEnvAndRefusesACopyMissingLibc) {
  sys::LinuxKernel k;
  std::string interpreter;
  ASSERT_TRUE(CheckExecutable(k, "/", "/usr/bin/env", &interpreter).ok());
  if (interpreter.empty()) GTEST_SKIP() << "/usr/bin/env is static here: no loader to ask";
  LoaderCheckRequest request;
  request.path = "/usr/bin/env";
  request.interpreter = interpreter;
  LoaderVerdict ok = LoaderCheck(k, request);
  EXPECT_FALSE(ok.refused) << ok.what;
  EXPECT_THAT(ok.what, HasSubstr("objects found"));
  // A copy whose DT_NEEDED libc.so.6 names a library no system has.
  absl::StatusOr<std::string> env = k.ReadFile("/usr/bin/env");
  ASSERT_TRUE(env.ok());
  std::string copy = *env;
  const std::string needed("libc.so.6\0", 10);
  size_t at = copy.find(needed);
  ASSERT_NE(at, std::string::npos);
  copy.replace(at, needed.size(), std::string("libQ.so.6\0", 10));
  const std::string path = absl::StrCat(::testing::TempDir(), "/env-without-libc");
  ASSERT_TRUE(k.WriteFile(path, copy, 0755).ok());
  request.path = path;
  LoaderVerdict refused = LoaderCheck(k, request);
  EXPECT_TRUE(refused.refused) << refused.what;
  EXPECT_THAT(refused.what, HasSubstr("libQ.so.6: cannot open shared object file"));
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
