// Stage 1 as PID 1: from the first device event to the exec of the real
// root's init. The state machine; the wiring (early mounts, the loop, the
// switch itself) is in stage1_main.h.
//
// Inputs, each one entry point, all on the supervisor's single event loop:
//   OnUeventReadable()  the bridge's socket is readable
//   OnChildExit(exit)   a reaped child the engine does not own (the shells
//                       and fsck this class spawned; others are ignored)
//   AfterWakeup()       after every loop wakeup: looks at the engine's new
//                       events (a failed unlock, md-degraded-answer), feeds
//                       the degraded-RAID arbiter, handles the deadlines that
//                       passed (clock.Now()), and advances
// and NextDeadline() tells the loop how long it may sleep: the loop waits
// on epoll with that timeout, so rootdelay, the degraded quiet window and a
// panic= reboot are deadlines, never sleeps or polls.
//
// Every device event the bridge emits goes to the engine AND through
// OnDeviceEvent here (the bridge's emit callback is hooked).
//
// FOLLOWING UDEVD (Options::follow_udevd): the bridge follows udevd's
// events (uevent_bridge.h); udevd is started when coldplug begins, which
// then triggers instead of synthesizing; "the uevent queue is empty" for the
// degraded-RAID arbiter and the resume gate means udevd's too
// (UeventBridge::Settled); and kStopUdevd stops it before the switch. A
// udevd that dies loses the events it had read: when its process is gone
// with events unfinished, they are triggered again, and the respawned
// udevd gets them (its socket is PID 1's, so nothing sent meanwhile is lost).
// A udevd that cannot run (its job could not start, or stopped for good:
// respawning too fast, or no respawn) leaves the devices to baton's own
// bridge: the boot goes on natively (UeventBridge::StopFollowingUdevd, a
// native coldplug), with a console line saying why.
//
// PHASES, in boot order. A phase that waits names what it waits for:
//   kTop        break=top: a shell; the bridge is paused (events queue)
//   kModules    break=modules: a shell before coldplug loads any module
//               (cmdline.h's meaning, as initramfs-tools and dracut's
//               pre-trigger); bridge still paused. Leaving it: resume the
//               bridge, emit `initramfs` (BootOptions::ToEnv()), Coldplug(),
//               then load the root's filesystem module if its type is known
//               already (ExpectedRootFsType): the time the disk takes to
//               appear is spent on it, not the time after fsck.
//   kWaitRoot   until a device matches root= with a mountable filesystem
//               (root_finder.h) AND the resume gate (resume.h) decided:
//               with resume=, the hibernation image is resumed (the kernel
//               never returns) or found absent, or the resume device was not
//               seen by the quiet rule, before anything of the root is
//               checked or mounted. Then emit `root-device-ready` (ROOT_DEVNAME,
//               ROOT_FSTYPE). Meanwhile: the degraded arbiter (md arrays read
//               from SYS/block/md*/md: array_state inactive, or clear with
//               members; dev-* entries counted against raid_disks) may emit
//               `md-start-degraded MD_DEVNAME=/dev/mdX` (a job runs
//               `mdadm --run`) or, with baton.md.degraded=ask,
//               `md-degraded-ask MD_DEVNAMES="/dev/md0 …"` whose job asks on
//               the console and answers with `md-degraded-answer ANSWER=y|n`
//               (initctl emit). The arbiter acts also after the root was
//               found while the resume gate still waits (the swap may be on
//               an incomplete array), and the gate's "not seen" waits for
//               it (resume.h). At the rootdelay deadline (stage-1 start +
//               rootdelay=, then rootdelay after each rescue shell) the fatal
//               policy runs with "waited for DESCRIBE; seen: DEVICES" — but
//               not while a task job runs (a passphrase prompt owns the
//               console): then at the moment the last one ends. A job whose
//               name holds "luks", "crypt" or "unlock" stopping with
//               RESULT=failed is fatal at once (message names the job).
//   kPremount   break=premount: a shell; the root stays unmounted until it exits
//   kFsck       fsck as a child (rescue.h), unless fsck.mode=skip; failure →
//               fatal policy, after the shell the boot goes on to mount.
//               The filesystem module (if not loaded yet) is loaded while
//               fsck runs
//   kMountBreak break=mount: a shell
//   kMount      mount(ROOT_DEVNAME, NEW_ROOT, rootfstype (comma list tried in
//               order) or ID_FS_TYPE, MS_RDONLY per ro/rw + rootflags, data);
//               failure → fatal policy, the mount is retried after the shell
//               (unless NEW_ROOT became a mount point meanwhile)
//   kWaitUsr    only when NEW_ROOT/etc/fstab has its own /usr entry: wait for
//               that device like the root (same deadline rules), mount it at
//               NEW_ROOT/usr with its fstab options (read-only when the root
//               is, unless the entry says rw). Then emit `root-mounted`
//               (ROOT_DEVNAME, ROOT_FSTYPE, ROOT_MOUNTPOINT).
//   kBottom     break=bottom: a shell
//   kWaitJobs   task instances still running (DESIGN "The switch" step 1);
//               after rootdelay the switch goes on anyway, with a warning
//   kInitBreak  break=init: a shell
//   kStopUdevd  following udevd only (DESIGN "The switch" step 2): pause the
//               bridge (kernel events queue for the replay from here on),
//               wait until udevd sent back every event it had before the
//               pause (UeventBridge::AwaitingUdevd), stop the udevd job and
//               wait for its exit, then clean its database as `udevadm info
//               --cleanup-db` (stage2::CleanUpUdevDb) and remove its
//               control socket and queue mark. Each wait ends at the
//               rootdelay deadline at the latest (udevd hung or gone), with
//               a warning; what udevd did not finish is replayed in stage 2.
//   kSwitch     emit `switching-root`, print on the console
//               "baton: switching to root /dev/vda (LABEL=root) after 1.23 s",
//               call the SwitchFn (pause the bridge, move the API mounts,
//               exec init through the ladder). It returns only on failure →
//               fatal policy, and after each shell the policy again.
// A running shell, fsck, or a pending panic= reboot blocks advancing; events
// are handled meanwhile all the same.
#ifndef BATON_SUPERVISOR_STAGE1_BOOT_H_
#define BATON_SUPERVISOR_STAGE1_BOOT_H_

#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/engine.h"
#include "supervisor/uevent_bridge.h"
#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/degraded.h"
#include "supervisor/stage1/resume.h"
#include "supervisor/stage1/root_finder.h"
#include "supervisor/stage1/root_spec.h"
#include "sys/blkid_prober.h"
#include "sys/kernel.h"
#include "sys/modules.h"

namespace baton::stage1 {

class Stage1Boot {
 public:
  enum class Phase {
    kTop,
    kModules,
    kWaitRoot,
    kPremount,
    kFsck,
    kMountBreak,
    kMount,
    kWaitUsr,
    kBottom,
    kWaitJobs,
    kInitBreak,
    kStopUdevd,
    kSwitch,
  };

  struct Options {
    BootOptions boot;
    absl::Time start;  // stage-1 start on the clock's scale
    std::string new_root = "/root";
    std::string dev_root = "/dev";
    std::string sys_root = "/sys";
    // Opened O_RDWR|O_NOCTTY for messages and as the shells' stdio.
    std::string console = "/dev/console";
    // The image's fstab (baton-mkinitramfs copies the host's): its entry for
    // / names the root's filesystem type before the device shows up.
    std::string image_fstab = "/etc/fstab";
    absl::Duration quiet_grace = kDefaultQuietGrace;
    // Stage 1 runs the image's udevd (job stage2::kUdevdJob, defined and
    // given its kernel socket by the caller): the bridge follows it.
    bool follow_udevd = false;
    // udevd's runtime directory, cleaned before the switch.
    std::string run_udev = "/run/udev";
    // The kernel's PAGE_SIZE: resume_offset= counts pages.
    uint64_t page_size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    // Told the name of every event the boot emits itself (`root-device-ready`,
    // `root-mounted`…), after the engine got it: the timeline's marks.
    std::function<void(const std::string& name)> on_emit;
    // Told each point of the boot's own timeline that is not an event:
    // "udevd-stop" (kStopUdevd paused the bridge), "udevd-stopped".
    std::function<void(absl::string_view name)> mark;
  };

  // What the switch gets to know.
  struct SwitchRequest {
    FoundDevice root;
    std::string new_root;
  };
  // Switches and execs init; returns only when that failed.
  using SwitchFn = std::function<absl::Status(const SwitchRequest&)>;
  using LogFn = std::function<void(absl::string_view)>;

  Stage1Boot(sys::Kernel& kernel, supervisor::Engine& engine, supervisor::Clock& clock,
             sys::ModuleLoader& modules, sys::BlockProber& prober, Options options, LogFn log,
             SwitchFn switch_fn);
  ~Stage1Boot();
  Stage1Boot(const Stage1Boot&) = delete;
  Stage1Boot& operator=(const Stage1Boot&) = delete;

  // Opens the console and the uevent socket (paused until coldplug); returns
  // the socket fd for the loop to watch.
  absl::StatusOr<int> Start();
  // Runs the boot as far as it goes without waiting.
  void Begin();

  void OnUeventReadable();
  bool OnChildExit(const sys::ChildExit& exit);
  void AfterWakeup();
  std::optional<absl::Time> NextDeadline() const;
  // The bridge's emit callback goes through here.
  void OnDeviceEvent(const std::string& name, const supervisor::Env& env);

  Phase phase() const { return phase_; }
  static absl::string_view PhaseName(Phase phase);
  supervisor::UeventBridge& bridge() { return *bridge_; }
  pid_t shell_pid() const { return shell_pid_; }
  pid_t fsck_pid() const { return fsck_pid_; }
  const std::optional<FoundDevice>& root() const { return root_; }
  const ResumeGate& resume() const { return resume_; }

 private:
  enum class ShellKind { kNone, kBreak, kRescue };

  void Advance();
  // One step of Advance; false when the boot must wait.
  bool Step();
  void BreakShell(BreakPoint point);
  // The fatal-error policy (rescue.h) with MESSAGE.
  void Fatal(const std::string& message);
  void RebootNow();
  void SpawnShell(ShellKind kind, const std::string& reason);
  void Console(absl::string_view text);
  // Starts the udevd job (following udevd, at coldplug).
  void StartUdevd();
  // kStopUdevd's step: false while it waits.
  bool StopUdevd(absl::Time now);
  // A udevd process runs, or is about to (respawning).
  bool UdevdRunning() const;
  // Following udevd: when its process went away with events unfinished,
  // has them triggered again for the next one (UeventBridge::Retrigger);
  // when none will come, goes native (FollowNoMore). True when it did
  // either.
  bool WatchUdevd();
  void FollowNoMore(const std::string& why);
  // The devices coldplug found: the root, the resume device.
  void ScanColdplugged();
  void Emit(const std::string& name, supervisor::Env env);
  int RunningTasks() const;
  void ScanEngineEvents();
  void FeedArbiter(absl::Time now);
  void ScanArrays(absl::Time now);
  bool StartFsck();
  void LoadFilesystem(const std::string& type);
  // rootfstype='s first type, else the image fstab's type for /; "" if
  // neither names one ("auto" names none).
  std::string ExpectedRootFsType() const;
  bool MountRoot();
  bool PrepareUsr();
  bool MountUsr();
  std::string WaitedFor() const;
  std::string SwitchMarker(absl::Time now) const;

  sys::Kernel& kernel_;
  supervisor::Engine& engine_;
  supervisor::Clock& clock_;
  sys::ModuleLoader& modules_;
  Options options_;
  LogFn log_;
  SwitchFn switch_fn_;
  std::unique_ptr<supervisor::UeventBridge> bridge_;
  sys::UniqueFd console_;

  Phase phase_ = Phase::kTop;
  bool advancing_ = false;
  bool break_done_ = false;  // the break shell of the current phase ran
  ShellKind shell_kind_ = ShellKind::kNone;
  pid_t shell_pid_ = 0;
  pid_t fsck_pid_ = 0;
  std::optional<absl::Time> reboot_at_;
  bool idle_forever_ = false;  // rd.shell=0 after a failure waiting cannot cure

  std::optional<RootSpec> root_spec_;
  std::string root_spec_error_;
  std::optional<FoundDevice> root_;
  // Filesystem types whose module LoadFilesystem asked for already.
  std::set<std::string> filesystems_loaded_;
  std::optional<RootSpec> usr_spec_;
  std::string usr_options_;
  std::string usr_fstype_;
  std::optional<FoundDevice> usr_;
  absl::Time wait_deadline_;     // rootdelay point of the current wait
  bool deadline_reported_ = false;
  bool udevd_stop_sent_ = false;  // kStopUdevd: the udevd job was told to stop
  pid_t udevd_pid_ = 0;           // the udevd process last seen
  bool udevd_started_ = false;    // StartUdevd ran
  std::string pending_fatal_;    // a failure seen inside a handler
  bool fsck_failed_ = false;

  DegradedArbiter arbiter_;
  ResumeGate resume_;
  std::vector<std::string> asked_arrays_;
  uint64_t last_seq_ = 0;
};

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_BOOT_H_
