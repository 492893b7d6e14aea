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
// THE SWITCH (SwitchAndExec), in this order:
//   1. pause the uevent bridge (later datagrams queue; the socket stays open)
//      and Mark("switch-start");
//   2. ResolveInits on the new root, PlanSwitch/ExecuteSwitch (switch_root.h);
//   3. drain the socket into the queue and TakeQueued() — uevents that came
//      during the move are carried too;
//   4. baton as init (the resolved init= is called "baton"; it is also the
//      ladder's own binary): PrepareHandoff (handoff/collect.h) with the
//      engine, the log ring, the timeline, the command line, the queued
//      uevents, the spawner's open log pipes (LogPipeRole) and the bridge's
//      socket (kUeventSocketRole); the ladder gets --handoff-fd/--handoff-fds.
//      If that fails, the reason is logged and becomes --stateless-reason.
//      A foreign init: the handoff goes to /run/baton/handoff.pb (the real
//      root's /run, after the move) and, for systemd, a --deserialize fd
//      carries the initrd timestamp (the "stage1-start" mark);
//   5. the exec ladder (exec_ladder.h) with init= and the init arguments;
//      a baton rung is first preflighted there (`baton --preflight` in a
//      child, shown the handoff of step 4) and skipped if that child dies
//      or does not answer: PID 1 is never handed to a binary that cannot
//      reach main.
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
  handoff::BootTimeline* timeline = nullptr;     // gets "switch-start"
  supervisor::UeventBridge* bridge = nullptr;    // paused; queue and socket
  std::string cmdline_raw;                       // /proc/cmdline, no newline
  BootOptions boot;
  std::vector<std::string> warnings;             // into the handoff's warnings
  std::function<absl::Time()> now = [] { return absl::Now(); };  // ExecuteSwitch's clock
  // Called once the root is switched (PID 1 stands on the real root), before
  // the handoff and the ladder: the crash plan is made again there.
  std::function<void()> root_switched;
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
  // (SwitchAndExec). Never returns.
  [[noreturn]] void Run(supervisor::Engine& engine, const supervisor::LogRing& ring,
                        const supervisor::Spawner& spawner, supervisor::Clock& clock, LogFn log,
                        WatchFn watch, RunOnceFn run_once, OrphanHookFn orphan_hook);

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
