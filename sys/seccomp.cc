#include "sys/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "absl/strings/str_cat.h"

// The filter is written here rather than by libseccomp (0.11 MB of /init,
// most of it syscall tables of every architecture). seccomp_test checks it
// against libseccomp's program for every syscall number and both list kinds.
#if !defined(__x86_64__)
#error "sys/seccomp.cc: only the x86_64 filter (and its x32 check) is written"
#endif

namespace baton::sys {
namespace {

struct SyscallName {
  const char* name;
  int nr;  // < 0: libseccomp's pseudo number, not a syscall on this arch
};

// Generated from libseccomp at build time (seccomp_names_gen.cc), sorted.
constexpr SyscallName kSyscalls[] = {
#include "sys/seccomp_names.inc"
};

absl::StatusOr<int> ResolveName(const std::string& name) {
  const SyscallName* end = kSyscalls + sizeof(kSyscalls) / sizeof(kSyscalls[0]);
  const SyscallName* it = std::lower_bound(
      kSyscalls, end, name,
      [](const SyscallName& s, const std::string& n) { return std::strcmp(s.name, n.c_str()) < 0; });
  if (name.empty() || it == end || name != it->name) {
    return absl::InvalidArgumentError(absl::StrCat("unknown syscall '", name, "'"));
  }
  return it->nr;
}

// libseccomp's actions.
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;                // 0x7fff0000
constexpr uint32_t kKillProcess = SECCOMP_RET_KILL_PROCESS;   // 0x80000000
constexpr uint32_t kKillThread = SECCOMP_RET_KILL_THREAD;     // 0 (bad arch)
constexpr uint32_t kX32SyscallBit = 0x40000000;

sock_filter Stmt(uint16_t code, uint32_t k) { return {code, 0, 0, k}; }
sock_filter Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return {code, jt, jf, k};
}

}  // namespace

absl::Status CheckSyscallName(const std::string& name) {
  return ResolveName(name).status();
}

absl::StatusOr<std::vector<uint8_t>> CompileSeccompFilter(
    bool allow_list, const std::vector<std::string>& syscalls) {
  // Resolve every name first so that the error names the first bad one.
  std::vector<uint32_t> numbers;
  numbers.reserve(syscalls.size());
  for (const std::string& name : syscalls) {
    absl::StatusOr<int> nr = ResolveName(name);
    if (!nr.ok()) return nr.status();
    // Like libseccomp: a syscall this architecture lacks adds no rule.
    if (*nr >= 0) numbers.push_back(static_cast<uint32_t>(*nr));
  }
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());

  const uint32_t default_action = allow_list ? kKillProcess : kAllow;
  const uint32_t listed_action = allow_list ? kAllow : kKillProcess;

  // What libseccomp emits for one architecture: another ABI (AUDIT_ARCH)
  // and an x32 syscall number (bit 30; -1 excepted) kill the thread, then
  // one comparison per listed number, then the default action.
  std::vector<sock_filter> p = {
      Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      Stmt(BPF_RET | BPF_K, kKillThread),
      Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      Jump(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, 0, 2),
      Jump(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 1, 0),
      Stmt(BPF_RET | BPF_K, kKillThread),
  };
  // Jump offsets are 8 bits: each run of up to 255 comparisons jumps to its
  // own "listed" return, which the run's last miss skips.
  constexpr size_t kRun = 255;
  for (size_t start = 0; start < numbers.size(); start += kRun) {
    const size_t n = std::min(kRun, numbers.size() - start);
    for (size_t i = 0; i < n; ++i) {
      p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, numbers[start + i],
                       static_cast<uint8_t>(n - i), 0));
    }
    p.push_back(Jump(BPF_JMP | BPF_JA, 1, 0, 0));
    p.push_back(Stmt(BPF_RET | BPF_K, listed_action));
  }
  p.push_back(Stmt(BPF_RET | BPF_K, default_action));

  std::vector<uint8_t> program(p.size() * sizeof(sock_filter));
  std::memcpy(program.data(), p.data(), program.size());
  return program;
}

}  // namespace baton::sys
