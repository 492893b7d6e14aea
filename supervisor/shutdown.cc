#include "supervisor/shutdown.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "sys/proc_swaps.h"

namespace baton::supervisor {

const char* ShutdownActionName(ShutdownAction action) {
  switch (action) {
    case ShutdownAction::kReboot: return "reboot";
    case ShutdownAction::kPoweroff: return "poweroff";
    case ShutdownAction::kHalt: return "halt";
    case ShutdownAction::kNone: break;
  }
  return "stop";
}

const char* ShutdownActionDoing(ShutdownAction action) {
  switch (action) {
    case ShutdownAction::kReboot: return "rebooting";
    case ShutdownAction::kPoweroff: return "powering off";
    case ShutdownAction::kHalt:
    case ShutdownAction::kNone: break;
  }
  return "halting";
}

int RebootCommand(ShutdownAction action) {
  switch (action) {
    case ShutdownAction::kReboot: return RB_AUTOBOOT;
    case ShutdownAction::kPoweroff: return RB_POWER_OFF;
    case ShutdownAction::kHalt: return RB_HALT_SYSTEM;
    case ShutdownAction::kNone: break;
  }
  return 0;
}

std::optional<ShutdownAction> ShutdownActionForSignal(int sig, bool system) {
  switch (sig) {
    case SIGTERM:
    case SIGINT:
      return system ? ShutdownAction::kReboot : ShutdownAction::kNone;
    case SIGUSR1:
      if (system) return ShutdownAction::kHalt;
      break;
    case SIGUSR2:
      if (system) return ShutdownAction::kPoweroff;
      break;
    default:
      break;
  }
  return std::nullopt;
}

// --- c ------------------------------------------------------------------------

namespace {

// A process with a command line: not gone, not a kernel thread, not a zombie
// (an exited child PID 1 has not reaped yet has an empty cmdline).
bool RunsUserCode(sys::Kernel& kernel, absl::string_view pid) {
  absl::StatusOr<std::string> cmdline = kernel.ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  return cmdline.ok() && !cmdline->empty();
}

}  // namespace

std::vector<pid_t> RemainingProcesses(sys::Kernel& kernel, pid_t self) {
  std::vector<pid_t> pids;
  absl::StatusOr<std::vector<std::string>> names = kernel.ListDir("/proc");
  if (!names.ok()) return pids;
  for (const std::string& name : *names) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(name, &pid) || pid <= 1 || pid == self) continue;
    if (RunsUserCode(kernel, name)) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

namespace {

// Waits until no process is left or BOUND passes; returns how many are left.
size_t WaitForProcesses(sys::Kernel& kernel, pid_t self, absl::Duration bound,
                        const KillOptions& options, const ShutdownHooks& hooks,
                        std::vector<pid_t>* left) {
  absl::Time deadline = hooks.now() + bound;
  for (;;) {
    *left = RemainingProcesses(kernel, self);
    if (left->empty()) return 0;
    absl::Time now = hooks.now();
    if (now >= deadline) return left->size();
    hooks.wait(std::min(options.poll, deadline - now));
  }
}

std::string PidList(const std::vector<pid_t>& pids) {
  constexpr size_t kShown = 10;
  std::vector<pid_t> shown(pids.begin(), pids.begin() + std::min(pids.size(), kShown));
  std::string text = absl::StrJoin(shown, " ");
  if (pids.size() > kShown) absl::StrAppend(&text, " …");
  return text;
}

}  // namespace

KillResult KillRemainingProcesses(sys::Kernel& kernel, const KillOptions& options,
                                  const ShutdownHooks& hooks) {
  KillResult result;
  const pid_t self = kernel.GetPid();
  std::vector<pid_t> left = RemainingProcesses(kernel, self);
  hooks.log(absl::StrCat("sending SIGTERM to all processes (", left.size(), " left)"));
  absl::Status term = kernel.Kill(-1, SIGTERM);
  if (!term.ok()) hooks.log(absl::StrCat("SIGTERM to all: ", term.message()));
  result.after_term = WaitForProcesses(kernel, self, options.term_wait, options, hooks, &left);
  if (result.after_term == 0) {
    hooks.log("all processes exited");
    return result;
  }
  hooks.log(absl::StrCat("sending SIGKILL to all processes (", left.size(), " left after ",
                         absl::FormatDuration(options.term_wait), ": ", PidList(left), ")"));
  absl::Status kill = kernel.Kill(-1, SIGKILL);
  if (!kill.ok()) hooks.log(absl::StrCat("SIGKILL to all: ", kill.message()));
  result.after_kill = WaitForProcesses(kernel, self, options.kill_wait, options, hooks, &left);
  if (result.after_kill == 0) {
    hooks.log("all processes exited");
  } else {
    hooks.log(absl::StrCat(left.size(), " processes did not die within ",
                           absl::FormatDuration(options.kill_wait), " of SIGKILL (", PidList(left),
                           "), going on without them"));
  }
  return result;
}

// --- d ------------------------------------------------------------------------

bool IsApiFilesystem(absl::string_view target) {
  for (absl::string_view api : {"/proc", "/sys", "/dev", "/run"}) {
    if (target == api) return true;
    if (absl::StartsWith(target, api) && target.size() > api.size() && target[api.size()] == '/') {
      return true;
    }
  }
  return false;
}

std::string ToString(const FilesystemStep& step) {
  switch (step.kind) {
    case FilesystemStep::Kind::kSync: return "sync";
    case FilesystemStep::Kind::kSwapoff: return absl::StrCat("swapoff ", step.path);
    case FilesystemStep::Kind::kUnmount: return absl::StrCat("umount ", step.path);
    case FilesystemStep::Kind::kRemountRootReadOnly: return "remount / read-only";
  }
  return "?";
}

std::vector<FilesystemStep> PlanFilesystems(const std::vector<std::string>& swaps,
                                            const std::vector<sys::MountEntry>& mounts) {
  using Kind = FilesystemStep::Kind;
  std::vector<FilesystemStep> plan;
  plan.push_back({Kind::kSync, ""});
  for (const std::string& swap : swaps) plan.push_back({Kind::kSwapoff, swap});
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    if (it->target == "/" || IsApiFilesystem(it->target)) continue;
    plan.push_back({Kind::kUnmount, it->target});
  }
  plan.push_back({Kind::kRemountRootReadOnly, "/"});
  plan.push_back({Kind::kSync, ""});
  return plan;
}

FilesystemResult RunFilesystemPlan(sys::Kernel& kernel, const std::vector<FilesystemStep>& plan,
                                   const std::function<void(absl::string_view)>& log) {
  using Kind = FilesystemStep::Kind;
  FilesystemResult result;
  auto fail = [&](const std::string& what, const absl::Status& status) {
    ++result.failures;
    log(absl::StrCat(what, " failed: ", status.message()));
  };
  // The umounts run as one block, at the place of the first one.
  std::vector<std::string> unmounts;
  for (const FilesystemStep& step : plan) {
    if (step.kind == Kind::kUnmount) unmounts.push_back(step.path);
  }
  bool unmounts_done = false;
  auto run_unmounts = [&] {
    unmounts_done = true;
    if (unmounts.empty()) {
      log("no filesystems to unmount");
      return;
    }
    log(absl::StrCat("unmounting ", unmounts.size(), " filesystems"));
    std::vector<std::string> busy;
    for (const std::string& target : unmounts) {
      if (!kernel.Umount(target, 0).ok()) busy.push_back(target);
    }
    for (const std::string& target : busy) {  // the second try, in the same order
      absl::Status again = kernel.Umount(target, 0);
      if (again.ok()) continue;
      if (absl::IsInvalidArgument(again)) {
        // EINVAL: no longer a mountpoint (it went with its parent).
        continue;
      }
      log(absl::StrCat("umount ", target, ": ", again.message(),
                       "; remounting it read-only and detaching it (MNT_DETACH)"));
      absl::Status ro = kernel.Mount("", target, "", MS_REMOUNT | MS_RDONLY, "");
      if (!ro.ok()) log(absl::StrCat("remount ", target, " read-only: ", ro.message()));
      absl::Status detached = kernel.Umount(target, MNT_DETACH);
      if (detached.ok()) {
        result.detached.push_back(target);
      } else {
        fail(absl::StrCat("umount ", target), detached);
      }
    }
  };
  for (const FilesystemStep& step : plan) {
    switch (step.kind) {
      case Kind::kSync: {
        log("syncing filesystems");
        absl::Status synced = kernel.Sync();
        if (!synced.ok()) fail("sync", synced);
        break;
      }
      case Kind::kSwapoff: {
        log(absl::StrCat("swapoff ", step.path));
        absl::Status off = kernel.Swapoff(step.path);
        if (!off.ok()) fail(absl::StrCat("swapoff ", step.path), off);
        break;
      }
      case Kind::kUnmount:
        if (!unmounts_done) run_unmounts();
        break;
      case Kind::kRemountRootReadOnly: {
        if (!unmounts_done) run_unmounts();
        absl::Status ro = kernel.Mount("", "/", "", MS_REMOUNT | MS_RDONLY, "");
        if (ro.ok()) {
          result.root_read_only = true;
          log("remounted / read-only");
        } else {
          fail("remounting / read-only", ro);
        }
        break;
      }
    }
  }
  return result;
}

FilesystemResult TakeDownFilesystems(sys::Kernel& kernel,
                                     const std::function<void(absl::string_view)>& log) {
  std::vector<std::string> swaps;
  absl::StatusOr<std::string> swaps_text = kernel.ReadFile("/proc/swaps");
  if (swaps_text.ok()) {
    for (sys::SwapArea& area : sys::ParseProcSwaps(*swaps_text)) swaps.push_back(std::move(area.path));
  } else {
    log(absl::StrCat("reading /proc/swaps: ", swaps_text.status().message()));
  }
  std::vector<sys::MountEntry> mounts;
  absl::StatusOr<std::vector<sys::MountEntry>> listed = kernel.Mounts();
  if (listed.ok()) {
    mounts = std::move(*listed);
  } else {
    log(absl::StrCat("reading /proc/self/mountinfo: ", listed.status().message()));
  }
  return RunFilesystemPlan(kernel, PlanFilesystems(swaps, mounts), log);
}

// --- e ------------------------------------------------------------------------

absl::Status RebootNow(sys::Kernel& kernel, ShutdownAction action, const ShutdownHooks& hooks) {
  const char* doing = ShutdownActionDoing(action);
  hooks.log(doing);
  const int cmd = RebootCommand(action);
  absl::Status done;
  if (action == ShutdownAction::kReboot) {
    done = kernel.Reboot(cmd);
  } else {
    // For power-off and halt the kernel ends the calling process if it comes
    // back (do_exit in sys_reboot): PID 1 would panic the machine. As busybox
    // init does, a child makes the call; we wait for it, bounded.
    absl::Status in_child = absl::OkStatus();  // seen here only when the body ran here (fakes)
    absl::StatusOr<pid_t> child = kernel.RunInIdleChild([&kernel, cmd, &in_child] {
      in_child = kernel.Reboot(cmd);
      return in_child.ok() ? 0 : 1;
    });
    if (!child.ok()) {
      hooks.log(absl::StrCat("cannot fork for reboot(2) (", child.status().message(),
                             "); calling it from PID 1"));
      done = kernel.Reboot(cmd);
    } else if (*child == 0) {
      done = in_child;
    } else {
      const std::string pid = absl::StrCat(*child);
      absl::Time deadline = hooks.now() + kRebootChildWait;
      for (;;) {
        if (!RunsUserCode(kernel, pid)) break;  // exited
        if (hooks.now() >= deadline) break;
        hooks.wait(absl::Milliseconds(50));
      }
      done = absl::InternalError(absl::StrCat("reboot(2) came back in child ", *child,
                                              ": the machine did not go down"));
    }
  }
  if (!done.ok()) {
    hooks.log(absl::StrCat(doing, " failed: ", done.message(), "; PID 1 goes on"));
  }
  return done;
}

absl::Status FinishShutdown(sys::Kernel& kernel, ShutdownAction action,
                            const KillOptions& options, const ShutdownHooks& hooks) {
  if (action == ShutdownAction::kNone) {
    return absl::InvalidArgumentError("no shutdown action");
  }
  (void)KillRemainingProcesses(kernel, options, hooks);
  (void)TakeDownFilesystems(kernel, hooks.log);
  return RebootNow(kernel, action, hooks);
}

}  // namespace baton::supervisor
