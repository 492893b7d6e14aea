// Stage 1 plugged into the supervisor (supervisor/baton_main.cc): detection,
// the early mounts, and the production wiring of Stage1Boot (boot.h) onto the
// event loop — libkmod, libblkid, the switch and the exec ladder.
//
// DETECTION. Stage 1 runs when we are PID 1 and /etc/initrd-release exists
// or "/" is the initial rootfs (ramfs or tmpfs by statfs).
//
// EARLY (EarlyMounts, in this order; a target already mounted is skipped):
//   mkdir_all /proc; mount proc /proc -t proc MS_NOSUID|MS_NODEV|MS_NOEXEC
//   mkdir_all /sys;  mount sysfs /sys -t sysfs MS_NOSUID|MS_NODEV|MS_NOEXEC
//   mkdir_all /dev;  mount devtmpfs /dev -t devtmpfs MS_NOSUID -o mode=0755
//       failing that: mount tmpfs /dev -t tmpfs MS_NOSUID -o mode=0755,
//       mknod /dev/console 0600 5:1, mknod /dev/null 0666 1:3 (a warning)
//   mkdir_all /dev/pts; mount devpts /dev/pts -t devpts MS_NOSUID|MS_NOEXEC
//       -o gid=5,mode=0620,ptmxmode=0666 (optional: a warning)
//   mkdir_all /run;  mount tmpfs /run -t tmpfs MS_NOSUID|MS_NODEV -o mode=0755
//   mkdir_all /run/baton, mkdir_all /root
// A failed proc/sys/run mount is a warning too: stage 1 goes on with what it
// has (the fatal policy applies later if the root cannot be found).
// Then fds 0, 1, 2 are made to be /dev/console where they are not open, with
// CLOEXEC cleared (they are the real init's stdio after the exec).
//
// THE SWITCH (SwitchAndExec), in this order. Before the pause (stage 1 is
// inside its loop's callback: datagrams stay unread in the socket, not lost):
//   1. ResolveInits on the new root, ReadaheadForExec, PlanSwitch
//      (switch_root.h): Mark("switch-planned");
//   2. baton as init: a PROVISIONAL handoff (PrepareHandoff of the same
//      Collect as step 5 — engine, ring, timeline, command line, the fds —
//      but no uevents: the socket and queue are left alone) and the preflight
//      of the stage-2 binary chrooted into the new root (PreflightOnNewRoot,
//      exec_ladder.h) shown it; Mark("preflight-done"). The provisional
//      memfd is closed before step 5;
// The window (what issue 4 measures, switch-start -> stage2-ready):
//   3. pause the uevent bridge (later datagrams queue; the socket stays
//      open) and Mark("switch-start");
//   4. PlanSwitch again — stage-1 tasks still running share the mount
//      namespace, so the table may have changed since step 1; this plan is
//      the one executed (a difference is logged) — Mark("switch-checked"),
//      ExecuteSwitch, Mark("root-switched");
//   5. drain the socket into the queue and TakeQueued() — uevents that came
//      during steps 1-4 are carried too;
//   6. baton as init: PrepareHandoff (handoff/collect.h) with the engine,
//      the log ring, the timeline, the command line, the queued uevents, the
//      spawner's open log pipes (LogPipeRole) and the bridge's socket
//      (kUeventSocketRole); the ladder gets --handoff-fd/--handoff-fds. If
//      that fails, the reason is logged and becomes --stateless-reason.
//      A foreign init: the handoff goes to /run/baton/handoff.pb (the real
//      root's /run, after the move) and, for systemd, a --deserialize fd
//      carries the initrd timestamp (the "stage1-start" mark);
//   7. the exec ladder (exec_ladder.h) with init= and the init arguments,
//      given step 2's verdict: a baton rung whose preflight failed there is
//      skipped exactly as if it had failed after the switch; one that passed
//      is not preflighted again, as long as the path is still the file
//      preflighted (device, inode, size; else it is preflighted again).
//      PID 1 is never handed to a binary that could not reach main.
//
// WHAT THE PROVISIONAL HANDOFF CANNOT PROVE. The preflight shows the binary
// can start, parse the real root's job files and decode a handoff of this
// format from this build's encoder with this boot's jobs, log and timeline.
// It does not see what only the real handoff holds: the uevents queued
// during the switch, log lines, marks and job changes after step 2, the
// switch's warnings, the real byte count; a decoder fault triggered only by
// those is not caught (stage 2 then either starts stateless, saying why, or
// dies like any fault after main — the case the preflight never covered).
// The binary ran without the API mounts (/proc, /dev, /sys, /run move in at
// step 4), as a chrooted child, not as PID 1. A file rewritten in place
// between steps 2 and 7 with the same size is not noticed (a copy or rename
// over it is: new inode), nor is its header read again after the switch:
// a rung preflighted before the pause on the same file costs one resolve
// and stat; the header check (CheckExecutable) runs after the switch on
// every other rung. init= is resolved before the pause, so a symlink
// changed by a stage-1 task after step 1 is not followed (the ladder checks
// each rung's path, not the resolution).
// Returns only when the switch or every rung failed: the boot never blocks
// on the handoff.
#ifndef BATON_SUPERVISOR_STAGE1_STAGE1_MAIN_H_
#define BATON_SUPERVISOR_STAGE1_STAGE1_MAIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "handoff/timeline.h"
#include "jobs/job.h"
#include "supervisor/engine.h"
#include "supervisor/event.h"
#include "supervisor/log_ring.h"
#include "supervisor/spawner.h"
#include "supervisor/uevent_bridge.h"
#include "supervisor/stage1/boot.h"
#include "supervisor/stage1/cmdline.h"
#include "sys/crash.h"
#include "sys/kernel.h"

namespace baton::stage1 {

bool IsInitramfs(sys::Kernel& kernel);

// The early mounts above; returns the warnings.
std::vector<std::string> EarlyMounts(sys::Kernel& kernel);
// fds 0-2 on /dev/console where not open, CLOEXEC cleared.
void ConsoleStdio(sys::Kernel& kernel);

// What the switch carries; each pointer may be null (nothing of it carried).
struct SwitchContext {
  const supervisor::Engine* engine = nullptr;
  const supervisor::LogRing* ring = nullptr;
  const supervisor::Spawner* spawner = nullptr;  // its open log pipes
  handoff::BootTimeline* timeline = nullptr;     // gets the marks above
  supervisor::UeventBridge* bridge = nullptr;    // paused; queue and socket
  std::string cmdline_raw;                       // /proc/cmdline, no newline
  BootOptions boot;
  std::vector<std::string> warnings;             // into the handoff's warnings
  std::function<absl::Time()> now = [] { return absl::Now(); };  // ExecuteSwitch's clock
  // PID 1's crash plan on the real root (supervisor/crash_plan.h): made and
  // logged before the pause, from the new root's files
  // (GatherCrashInputOnRoot), so the window reads nothing and writes no
  // console line for it; this installs it once the root is switched (PID 1
  // stands on the real root), before the handoff and the ladder. Empty: no
  // plan is made.
  std::function<absl::Status(const sys::CrashPlan&)> install_crash_plan;
};

absl::Status SwitchAndExec(sys::Kernel& kernel, const SwitchContext& context,
                           const Stage1Boot::SwitchRequest& request,
                           const std::function<void(absl::string_view)>& log);

// Everything the supervisor needs from stage 1, in the order it calls it.
class Stage1Host {
 public:
  using LogFn = std::function<void(absl::string_view)>;
  using WatchFn = std::function<absl::Status(int fd, std::function<void(uint32_t)>)>;
  using RunOnceFn = std::function<void(absl::Duration timeout)>;
  using OrphanHookFn = std::function<void(std::function<void(const sys::ChildExit&)>)>;

  explicit Stage1Host(sys::Kernel& kernel);
  ~Stage1Host();

  // Early mounts, console stdio, /proc/cmdline; records the stage-1 start
  // (and marks "stage1-start" on the timeline).
  // START is the supervisor clock's now.
  void Early(absl::Time start);
  // BootOptions::ToEnv() plus PATH and TERM: the base environment of jobs.
  supervisor::Env JobEnv() const;
  // Jobs marked `stage initramfs` or `both`.
  static bool WantsJob(const jobs::JobConfig& job);
  const BootOptions& boot_options() const { return boot_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Builds the bridge (libkmod over /lib/modules/RELEASE, libblkid) and the
  // boot machine, emits `initramfs`, coldplugs, and then drives the loop
  // forever: RUN_ONCE with the boot's next deadline as the timeout, then
  // AfterWakeup. The switch carries ENGINE, RING and SPAWNER's log pipes
  // (SwitchAndExec). When the image has a udevd (stage2::FindUdevd) and
  // the command line does not say baton.udevd=0, stage 1 follows it
  // (boot.h): the udevd job is defined unless a job file names one, and
  // its kernel socket made first and kept for it in SPAWNER, as stage 2
  // does. Never returns.
  [[noreturn]] void Run(supervisor::Engine& engine, const supervisor::LogRing& ring,
                        supervisor::Spawner& spawner, supervisor::Clock& clock, LogFn log,
                        WatchFn watch, RunOnceFn run_once, OrphanHookFn orphan_hook);
  // The udevd part of Run; true when stage 1 follows udevd.
  bool SetUpUdevd(supervisor::Engine& engine, supervisor::Spawner& spawner, const LogFn& log);

  const handoff::BootTimeline& timeline() const { return timeline_; }

 private:
  sys::Kernel& kernel_;
  BootOptions boot_;
  std::vector<std::string> warnings_;
  absl::Time start_;
  absl::Time start_realtime_;
  std::string cmdline_raw_;
  handoff::BootTimeline timeline_;
};

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_STAGE1_MAIN_H_
