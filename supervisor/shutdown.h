// Taking the machine down: what PID 1 does after its jobs have stopped.
//
// The whole sequence (system mode, stage 2; supervisor/loop.h does a and b):
//   a. the `shutdown` event, ACTION=reboot|poweroff|halt, is emitted and
//      the work it starts is let run (bounded, Loop::Options);
//   b. every job is stopped (Loop's shutdown: kill timeouts + grace);
//   c. KillRemainingProcesses: SIGTERM to every other process (kill(-1):
//      PID 1 is exempt), a bounded wait for them to go, then SIGKILL(-1)
//      and a second bounded wait;
//   d. PlanFilesystems + RunFilesystemPlan: sync; swapoff of every entry of
//      /proc/swaps; umount of every filesystem except / and the API
//      filesystems (/proc, /sys, /dev, /run and what is under them), in
//      reverse mount order, busy ones remounted read-only and then detached
//      (MNT_DETACH, only as a fallback, and said so); / remounted read-only
//      (MS_REMOUNT|MS_RDONLY); sync;
//   e. RebootNow: reboot(2) with RB_AUTOBOOT / RB_POWER_OFF /
//      RB_HALT_SYSTEM.
// FinishShutdown runs c, d and e. Each step is logged ("baton: …" on the
// console), a failed step is logged and the next one still runs, and
// nothing here waits without a bound or exits: if reboot(2) fails,
// FinishShutdown returns its error and PID 1 goes on serving.
//
// The plans are pure (tests compare them, and the calls their executors
// make, against FakeKernel); the executors make every syscall through
// sys::Kernel.
#ifndef BATON_SUPERVISOR_SHUTDOWN_H_
#define BATON_SUPERVISOR_SHUTDOWN_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sys/kernel.h"

namespace baton::supervisor {

// kNone: stop the jobs only (user mode's SIGTERM; PID 1 then keeps running).
enum class ShutdownAction { kNone, kReboot, kPoweroff, kHalt };

// "reboot", "poweroff", "halt"; "stop" for kNone.
const char* ShutdownActionName(ShutdownAction action);
// "rebooting", "powering off", "halting" (initctl's answer, the log line).
const char* ShutdownActionDoing(ShutdownAction action);
// reboot(2)'s command: RB_AUTOBOOT, RB_POWER_OFF, RB_HALT_SYSTEM (0 for kNone).
int RebootCommand(ShutdownAction action);
// What a signal to the supervisor asks for, as busybox init reads them:
// SIGTERM and SIGINT (ctrl-alt-del) -> reboot, SIGUSR2 -> poweroff,
// SIGUSR1 -> halt. Without SYSTEM (user mode), SIGTERM and SIGINT -> kNone
// (stop the jobs and exit) and the others nullopt. nullopt: not a request.
std::optional<ShutdownAction> ShutdownActionForSignal(int sig, bool system);

struct ShutdownHooks {
  std::function<absl::Time()> now;
  // Waits up to the duration (PID 1: one event-loop wakeup, which also
  // reaps exited children).
  std::function<void(absl::Duration)> wait;
  std::function<void(absl::string_view)> log;
};

// --- c. the processes no job owns -------------------------------------------
struct KillOptions {
  // After SIGTERM(-1). The jobs already had their kill timeouts (step b), so
  // what is left are processes outside any job (sessions, daemons a job
  // left behind); sysvinit's `shutdown` gives them 5 s too before SIGKILL.
  // The wait ends as soon as none is left, so the usual cost is milliseconds.
  absl::Duration term_wait = absl::Seconds(5);
  // After SIGKILL(-1): a process stuck in uninterruptible sleep (a dead NFS
  // server, a failing disk) never dies; we go on without it.
  absl::Duration kill_wait = absl::Seconds(2);
  absl::Duration poll = absl::Milliseconds(50);
};

// Pids of the user-space processes other than SELF: the numeric entries of
// /proc whose cmdline is not empty (kernel threads and zombies have none).
std::vector<pid_t> RemainingProcesses(sys::Kernel& kernel, pid_t self);

struct KillResult {
  size_t after_term = 0;  // processes left when SIGKILL was sent (0: not sent)
  size_t after_kill = 0;  // processes left at the end
};
KillResult KillRemainingProcesses(sys::Kernel& kernel, const KillOptions& options,
                                  const ShutdownHooks& hooks);

// --- d. swap and filesystems --------------------------------------------------
// /proc, /sys, /dev, /run, or under one of them.
bool IsApiFilesystem(absl::string_view target);

struct FilesystemStep {
  enum class Kind { kSync, kSwapoff, kUnmount, kRemountRootReadOnly };
  Kind kind;
  std::string path;  // the swap, or the mount target
  bool operator==(const FilesystemStep& o) const { return kind == o.kind && path == o.path; }
};
std::string ToString(const FilesystemStep& step);

// sync, swapoff of each of SWAPS, umount of each of MOUNTS (in
// /proc/self/mountinfo order) in reverse, except / and the API
// filesystems, remount of / read-only, sync.
std::vector<FilesystemStep> PlanFilesystems(const std::vector<std::string>& swaps,
                                            const std::vector<sys::MountEntry>& mounts);

struct FilesystemResult {
  size_t failures = 0;                // steps that failed (each logged)
  std::vector<std::string> detached;  // unmounted only with MNT_DETACH
  bool root_read_only = false;
};
// Runs PLAN: every step is tried, whatever failed before it. A umount that
// fails is tried again once the others are done (something mounted later
// may have held it); if it still fails, the filesystem is remounted
// read-only and detached with MNT_DETACH.
FilesystemResult RunFilesystemPlan(sys::Kernel& kernel, const std::vector<FilesystemStep>& plan,
                                   const std::function<void(absl::string_view)>& log);

// Reads /proc/swaps and /proc/self/mountinfo (an unreadable one is logged
// and taken as empty), plans and runs.
FilesystemResult TakeDownFilesystems(sys::Kernel& kernel,
                                     const std::function<void(absl::string_view)>& log);

// --- e. ------------------------------------------------------------------------
// reboot(2). Returns only when it failed (or on a fake kernel). For
// poweroff and halt the call is made in a forked child (Kernel::
// RunInIdleChild), as busybox init does: when the kernel cannot power off it
// ends the calling process (sys_reboot's do_exit), which for PID 1 would be a
// panic. PID 1 waits for that child at most kRebootChildWait.
inline constexpr absl::Duration kRebootChildWait = absl::Seconds(10);
absl::Status RebootNow(sys::Kernel& kernel, ShutdownAction action, const ShutdownHooks& hooks);

// c, d and e. ACTION is not kNone.
absl::Status FinishShutdown(sys::Kernel& kernel, ShutdownAction action,
                            const KillOptions& options, const ShutdownHooks& hooks);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_SHUTDOWN_H_
