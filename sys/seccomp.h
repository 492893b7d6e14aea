// Compiles a job's `seccomp allow|deny SYSCALL...` line into a classic-BPF
// program that SpawnRequest::seccomp_bpf carries to the child: the program
// libseccomp would export for the same rules (seccomp_test compares them on
// every syscall number), written without linking libseccomp.
//
// The program is built for x86_64 only; a syscall made through another ABI
// (32-bit, x32) hits libseccomp's bad-architecture action, which kills the
// thread.
#ifndef BATON_SYS_SECCOMP_H_
#define BATON_SYS_SECCOMP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace baton::sys {

// Returns the filter as raw `struct sock_filter` bytes (8 per instruction).
//
// ALLOW_LIST true: every syscall not in SYSCALLS kills the whole process
// (SCMP_ACT_KILL_PROCESS); the listed ones are allowed. The filter is
// installed just before execve, so an allow list must itself name what the
// job needs to start: execve, brk, mmap, mprotect, openat, read, close,
// arch_prctl, exit_group… That is the job file's business; nothing is
// added here.
// ALLOW_LIST false: everything is allowed except SYSCALLS, which kill the
// process (a deny list).
//
// An unknown name is InvalidArgument "unknown syscall 'NAME'". An empty deny
// list yields a valid (allow-everything) program.
absl::StatusOr<std::vector<uint8_t>> CompileSeccompFilter(
    bool allow_list, const std::vector<std::string>& syscalls);

// OK when NAME is a syscall libseccomp knows on this architecture (names
// of other architectures' syscalls, e.g. socketcall, are accepted and add no
// rule, as with libseccomp), else
// InvalidArgument "unknown syscall 'NAME'". The job parser uses this to lint.
absl::Status CheckSyscallName(const std::string& name);

}  // namespace baton::sys

#endif  // BATON_SYS_SECCOMP_H_
