#include "sys/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::sys {
namespace {

using ::testing::HasSubstr;

TEST(SeccompTest, UnknownSyscallIsInvalidArgumentNamingIt) {
  auto program = CompileSeccompFilter(false, {"mkdir", "mkdri"});
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(program.status().message(), HasSubstr("unknown syscall 'mkdri'"));
}

TEST(SeccompTest, CheckSyscallName) {
  EXPECT_TRUE(CheckSyscallName("openat").ok());
  EXPECT_TRUE(CheckSyscallName("execve").ok());
  absl::Status bad = CheckSyscallName("no_such_call");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("'no_such_call'"));
  EXPECT_FALSE(CheckSyscallName("").ok());
}

TEST(SeccompTest, DenyListProgramIsWholeInstructions) {
  auto program = CompileSeccompFilter(false, {"mkdir", "mkdirat"});
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_FALSE(program->empty());
  EXPECT_EQ(program->size() % sizeof(struct sock_filter), 0u);
}

TEST(SeccompTest, AllowListProgramIsWholeInstructions) {
  auto program = CompileSeccompFilter(true, {"read", "write", "exit_group"});
  ASSERT_TRUE(program.ok()) << program.status();
  ASSERT_FALSE(program->empty());
  EXPECT_EQ(program->size() % sizeof(struct sock_filter), 0u);
}

TEST(SeccompTest, MoreRulesMakeALongerProgram) {
  auto small = CompileSeccompFilter(false, {"mkdir"});
  auto large = CompileSeccompFilter(false, {"mkdir", "rmdir", "unlink", "rename"});
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_GT(large->size(), small->size());
}

TEST(SeccompTest, EmptyDenyListCompiles) {
  auto program = CompileSeccompFilter(false, {});
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_FALSE(program->empty());
}

}  // namespace
}  // namespace baton::sys

// --- the program against libseccomp's ----------------------------------------

namespace baton::sys {
namespace {

// What CompileSeccompFilter produced with libseccomp before (its exported
// program for the same rules).
std::vector<sock_filter> LibseccompProgram(bool allow_list,
                                           const std::vector<std::string>& syscalls) {
  scmp_filter_ctx ctx = seccomp_init(allow_list ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW);
  EXPECT_NE(ctx, nullptr);
  for (const std::string& name : syscalls) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    EXPECT_NE(nr, __NR_SCMP_ERROR) << name;
    EXPECT_EQ(seccomp_rule_add(ctx, allow_list ? SCMP_ACT_ALLOW : SCMP_ACT_KILL_PROCESS, nr, 0),
              0)
        << name;
  }
  int fd = memfd_create("seccomp-test", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(seccomp_export_bpf(ctx, fd), 0);
  seccomp_release(ctx);
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> program(size / sizeof(sock_filter));
  EXPECT_EQ(pread(fd, program.data(), size, 0), size);
  close(fd);
  return program;
}

std::vector<sock_filter> Instructions(const std::vector<uint8_t>& bytes) {
  std::vector<sock_filter> program(bytes.size() / sizeof(sock_filter));
  memcpy(program.data(), bytes.data(), program.size() * sizeof(sock_filter));
  return program;
}

// Runs a classic-BPF seccomp program (the instructions either generator
// emits; anything else fails the test) on one syscall.
absl::StatusOr<uint32_t> Run(const std::vector<sock_filter>& p, uint32_t arch, uint32_t nr) {
  seccomp_data data = {};
  data.arch = arch;
  data.nr = static_cast<int>(nr);
  uint32_t a = 0;
  size_t pc = 0;
  while (pc < p.size()) {
    const sock_filter& in = p[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k + 4 > sizeof(data)) return absl::InternalError("load out of range");
        memcpy(&a, reinterpret_cast<const uint8_t*>(&data) + in.k, 4);
        ++pc;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += 1 + (a == in.k ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += 1 + (a >= in.k ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += 1 + (a > in.k ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += 1 + ((a & in.k) != 0 ? in.jt : in.jf);
        break;
      case BPF_JMP | BPF_JA:
        pc += 1 + in.k;
        break;
      case BPF_RET | BPF_K:
        return in.k;
      default:
        return absl::InternalError(absl::StrCat("opcode ", in.code, " at ", pc));
    }
  }
  return absl::InternalError("fell off the end");
}

// Every x86_64 syscall libseccomp knows, by name.
std::vector<std::string> NativeNames() {
  std::vector<std::string> names;
  for (int nr = 0; nr < 4096; ++nr) {
    char* n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (n == nullptr) continue;
    names.emplace_back(n);
    free(n);
  }
  return names;
}

void ExpectSameDecisions(bool allow_list, const std::vector<std::string>& syscalls) {
  auto ours = CompileSeccompFilter(allow_list, syscalls);
  ASSERT_TRUE(ours.ok()) << ours.status();
  std::vector<sock_filter> mine = Instructions(*ours);
  std::vector<sock_filter> theirs = LibseccompProgram(allow_list, syscalls);
  ASSERT_LE(mine.size(), static_cast<size_t>(BPF_MAXINSNS));
  std::vector<uint32_t> nrs;
  for (uint32_t nr = 0; nr < 1100; ++nr) nrs.push_back(nr);
  for (uint32_t nr = 0x40000000; nr < 0x40000000 + 600; ++nr) nrs.push_back(nr);
  for (uint32_t nr : {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu,
                      0xbfffffffu, 0xc0000000u}) {
    nrs.push_back(nr);
  }
  int checked = 0;
  for (uint32_t arch : {static_cast<uint32_t>(AUDIT_ARCH_X86_64),
                        static_cast<uint32_t>(AUDIT_ARCH_I386),
                        static_cast<uint32_t>(AUDIT_ARCH_AARCH64), 0u}) {
    for (uint32_t nr : nrs) {
      absl::StatusOr<uint32_t> a = Run(mine, arch, nr);
      absl::StatusOr<uint32_t> b = Run(theirs, arch, nr);
      ASSERT_TRUE(a.ok()) << a.status();
      ASSERT_TRUE(b.ok()) << b.status();
      ASSERT_EQ(*a, *b) << "arch " << arch << " nr " << nr << " allow_list " << allow_list;
      ++checked;
    }
  }
  EXPECT_GT(checked, 4 * 1700);
}

TEST(SeccompLibseccompTest, EmptyDenyList) { ExpectSameDecisions(false, {}); }

TEST(SeccompLibseccompTest, SmallListsWithDuplicatesAndPseudoSyscalls) {
  // socketcall and ipc exist on i386, not x86_64: libseccomp takes the rule
  // and emits nothing for it.
  const std::vector<std::string> names = {"mkdir", "read", "socketcall", "kill",
                                          "read",  "ipc",  "exit_group", "execve"};
  ExpectSameDecisions(false, names);
  ExpectSameDecisions(true, names);
}

TEST(SeccompLibseccompTest, EverySyscallAloneAndAllTogether) {
  std::vector<std::string> names = NativeNames();
  ASSERT_GT(names.size(), 300u);
  for (const std::string& n : names) {
    ExpectSameDecisions(false, {n});
    if (HasFailure()) return;
  }
  // More than 255 comparisons: the program's 8-bit jumps come in runs.
  ExpectSameDecisions(true, names);
  ExpectSameDecisions(false, names);
}

TEST(SeccompLibseccompTest, NamesResolveAsLibseccompResolvesThem) {
  std::vector<std::string> names = NativeNames();
  for (const char* n : {"socketcall", "ipc", "send", "recv", "sigreturn", "waitpid",
                        "no_such_call", "READ", "read ", "", "_llseek", "mmap2"}) {
    names.emplace_back(n);
  }
  for (const std::string& n : names) {
    const bool known = seccomp_syscall_resolve_name(n.c_str()) != __NR_SCMP_ERROR;
    EXPECT_EQ(CheckSyscallName(n).ok(), known && !n.empty()) << "'" << n << "'";
  }
}

}  // namespace
}  // namespace baton::sys
