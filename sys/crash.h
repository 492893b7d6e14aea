// PID 1's crash handler: what happens when baton itself faults.
//
// A SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT or SIGSYS that kills PID 1
// panics the kernel ("Attempted to kill init!"). InstallCrashHandler catches
// them (on an alternate stack, so a stack overflow is caught too; a signal
// sent by a user, `kill -SEGV 1`, reaches it as well) and, instead of dying,
// PID 1 becomes something else, in the spirit of systemd's crash handler
// (src/core/crash-handler.c: crash_shell / crash_reboot / freeze):
//
//   1. the held console text, if any (below), then one line on the console
//      (CrashPlan::console, else fd 2):
//        baton: PID 1 crashed: SIGSEGV at address 0x0 (code 1); next: exec
//        /sbin/init, then exec /bin/sh, then freeze
//        baton: PID 1 got SIGSEGV from pid 123 (uid 0); next: ...
//   2. all signals unblocked, every disposition back to SIG_DFL (an exec
//      keeps blocked and ignored signals), setsid(), the console opened as
//      fds 0, 1 and 2;
//   3. execve of each CrashPlan::execs in order (a failed one: one line
//      with its errno, then the next);
//   4. when reboot_after_s is set (the panic= of the command line): sync,
//      sleep that long, reboot(RB_AUTOBOOT);
//   5. when all that failed: freeze — reap children forever (waitpid(-1)),
//      never return.
// A second crash while the handler runs (a fault in it) goes straight to 5.
// In any other process than the one that installed the plan (a child forked
// by PID 1 that has not exec'd yet) the handler steps aside: the signal's
// default action, as if there were no handler.
//
// Its console lines never wait long: the console is opened O_NONBLOCK for
// them, and after 2 s in which a stopped console took nothing the rest is
// left out and the plan goes on.
//
// The handler does only async-signal-safe work (open, write, poll, dup2,
// execve, sigaction, sigprocmask, nanosleep, sync, reboot, wait4): no malloc, no
// locks. Everything it needs (paths, argv and envp arrays, the "next: …"
// text) is copied into static storage by InstallCrashHandler, which may be
// called again to replace the plan (e.g. after the root switch); the crash
// signals are blocked while it rewrites it.
//
// Held console text: stage 2 keeps its routine console lines back until
// "stage2-ready" (supervisor/logger.h, Logger::Hold). A copy of them waits
// here (AppendCrashHeldText on every held line, ClearCrashHeldText once
// they are written), so that a crash before then still shows on the
// console what led to it ("starting stateless: ...", "handoff from ..."),
// then the crash line. The handler empties it once written. At most
// kCrashHeldBytes are kept; what does not fit is left out (the log ring has
// every line). Only the process that installed the plan writes it (another
// steps aside before); it stays apart from the plan, which a later
// InstallCrashHandler rewrites without touching it.
//
// What to exec is planned by supervisor/crash_plan.h. Never plan the
// crashed binary itself: a stateless re-exec loops on a deterministic crash.
#ifndef BATON_SYS_CRASH_H_
#define BATON_SYS_CRASH_H_

#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton::sys {

struct CrashExec {
  std::string path;
  std::vector<std::string> argv;  // argv[0] included
};

struct CrashPlan {
  std::vector<CrashExec> execs;   // tried in order
  std::vector<std::string> env;   // KEY=VALUE, for every exec
  // Seconds to wait before reboot(RB_AUTOBOOT) once every exec failed;
  // nullopt: no reboot, freeze.
  std::optional<int> reboot_after_s;
  // Where the crash lines go and what the execs get as stdio.
  std::string console = "/dev/console";

  // "exec /sbin/init, then exec /bin/sh, then freeze": the "next:" text.
  std::string Describe() const;
};

// Limits of the static storage (InvalidArgument beyond them).
inline constexpr int kCrashMaxExecs = 6;
inline constexpr int kCrashMaxArgs = 15;
inline constexpr int kCrashMaxEnv = 15;
inline constexpr size_t kCrashArena = 8192;

// The signals handled.
inline constexpr int kCrashSignals[] = {SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGSEGV, SIGSYS};

// Copies PLAN into static storage, sets up the alternate signal stack and
// the handlers. Errors name what did not fit or which call failed.
absl::Status InstallCrashHandler(const CrashPlan& plan);

// The held console text (see above): as much as the Logger holds.
inline constexpr size_t kCrashHeldBytes = 16 * 1024;
// Adds TEXT (whole lines, newline-terminated) after what is held; TEXT
// that would go beyond kCrashHeldBytes is left out whole. No syscall, no
// allocation.
void AppendCrashHeldText(absl::string_view text);
// Empties the held text: it has reached the console.
void ClearCrashHeldText();

}  // namespace baton::sys

#endif  // BATON_SYS_CRASH_H_
