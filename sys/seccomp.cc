#include "sys/seccomp.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"
#include "sys/unique_fd.h"

namespace baton::sys {
namespace {

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

// libseccomp returns -errno.
absl::Status SeccompStatus(int rc, absl::string_view what) {
  return ErrnoStatus(-rc, what);
}

absl::StatusOr<int> ResolveName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("unknown syscall ''");
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("unknown syscall '", name, "'"));
  }
  return nr;
}

}  // namespace

absl::Status CheckSyscallName(const std::string& name) {
  return ResolveName(name).status();
}

absl::StatusOr<std::vector<uint8_t>> CompileSeccompFilter(
    bool allow_list, const std::vector<std::string>& syscalls) {
  // Resolve every name first so that the error names the first bad one.
  std::vector<int> numbers;
  numbers.reserve(syscalls.size());
  for (const std::string& name : syscalls) {
    ASSIGN_OR_RETURN(int nr, ResolveName(name));
    numbers.push_back(nr);
  }

  const uint32_t default_action = allow_list ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW;
  const uint32_t listed_action = allow_list ? SCMP_ACT_ALLOW : SCMP_ACT_KILL_PROCESS;
  Context ctx(seccomp_init(default_action));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");

  for (size_t i = 0; i < numbers.size(); ++i) {
    int rc = seccomp_rule_add(ctx.get(), listed_action, numbers[i], 0);
    // EEXIST-style duplicates are harmless; libseccomp accepts them anyway.
    if (rc < 0) {
      return SeccompStatus(rc, absl::StrCat("seccomp_rule_add ", syscalls[i]));
    }
  }

  UniqueFd mem(::memfd_create("baton-seccomp", MFD_CLOEXEC));
  if (!mem) return ErrnoStatus(errno, "memfd_create baton-seccomp");
  int rc = seccomp_export_bpf(ctx.get(), mem.get());
  if (rc < 0) return SeccompStatus(rc, "seccomp_export_bpf");

  std::vector<uint8_t> program;
  uint8_t buf[4096];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(mem.get(), buf, sizeof(buf), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "pread seccomp program");
    }
    if (n == 0) break;
    program.insert(program.end(), buf, buf + n);
    offset += n;
  }
  if (program.empty() || program.size() % 8 != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp_export_bpf produced ", program.size(), " bytes"));
  }
  return program;
}

}  // namespace baton::sys
