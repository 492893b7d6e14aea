// Switching from the initramfs to the real root (DESIGN.md "The switch",
// step 4), planned first and then executed.
//
// PlanSwitch looks at the mount table and at the filesystem of "/" and
// returns the exact list of steps; tests compare it line by line through
// FormatStep. ExecuteSwitch applies the steps through sys::Kernel, timing
// each one. Neither ever exits the process: a failed switch is a Status for
// the caller, who then walks the exec ladder or falls to the rescue shell.
//
// The plan, in order:
//
//   make-private /             mount("", "/", MS_REC|MS_PRIVATE): MS_MOVE
//                              fails on mounts under a shared parent.
//   open-old-root /            a directory fd on the old root, opened before
//                              anything moves, for clean-old-root (PID 1 only;
//                              a pivot plan opens it too, for its fallback).
//   move-mount /dev /root/dev  one per API mount (/dev, /proc, /sys, /run by
//                              default) that is mounted; submounts (/dev/pts,
//                              /sys/kernel/security…) travel with it. A mount
//                              that is not mounted is skipped (noted).
//   detach-mount /run          instead of move-mount when /root/run is missing
//                              or not a directory on the new root (as systemd's
//                              switch-root does: umount2(MNT_DETACH)); a
//                              warning. Also when the new root already has a
//                              mount there: the old one is dropped (noted).
//   chdir /root
// then, when "/" can be pivoted (a real mount):
//   pivot-root . .             pivot_root(".", "."): the old root ends up
//   umount . MNT_DETACH        stacked on the new one and is detached at once.
//   chdir /
// or, when "/" is the initial rootfs (ramfs or tmpfs, or fstype "rootfs" in
// the mount table), which pivot_root refuses with EINVAL:
//   move-mount-root . /        mount(".", "/", MS_MOVE)
//   chroot .
//   chdir /
//   clean-old-root             delete the old rootfs through the fd from
//                              open-old-root (see below).
//
// Try pivot_root first, fall back: a pivot plan also carries `fallback`, the
// MS_MOVE steps above. If executing pivot-root fails with EINVAL (a root the
// planner took for a mount turns out to be rootfs), ExecuteSwitch drops the
// rest of `steps` and runs `fallback` instead, with a warning. Any other
// failure of a step that is not marked optional stops the switch.
//
// Emptying the old rootfs (clean-old-root), like systemd's rm_rf_children:
// only when we are PID 1, only when the fd's filesystem is tmpfs or ramfs
// (fstatfs f_type), refused when the fd's device is the device of the root we
// switched to (that would delete the real system). It removes everything
// below the fd through OpenAt/ListDirFd/StatAt/UnlinkAt, never crossing a
// device: an entry whose st_dev differs from the old root's (a mount point,
// such as anything left mounted on the old rootfs) is skipped, never entered.
// Errors while deleting are warnings, never fatal: the memory is lost, the
// boot goes on.
//
// In the background (clean-old-root in-background, the default for PID 1):
// the refusals are checked in PID 1, then a forked child at SCHED_IDLE
// priority (Kernel::RunInIdleChild) does the deleting through its copy of
// the same fd, and PID 1 goes on to the handoff and the exec at once.
// Unlinking every file of a large initramfs took 100-250 ms under QEMU TCG,
// all of it on the switch's critical path; the memory only has to be freed
// eventually, not before stage 2 runs. The child outlives the execve as
// stage 2's child (stage 2 reaps it as an unknown pid) and, being idle
// priority, runs when PID 1 waits (reading the stage-2 binary from disk) or
// idles. It writes one line to stderr (the console) when done: how many
// entries it removed and the first of its warnings. The safety rules are
// the same: the same fd, the same checks, never crossing a device.
#ifndef BATON_SUPERVISOR_SWITCH_ROOT_H_
#define BATON_SUPERVISOR_SWITCH_ROOT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sys/kernel.h"

namespace baton::supervisor {

// --- steps -------------------------------------------------------------------

// mount("", PATH, "", MS_REC|MS_PRIVATE, "")
struct MakePrivate {
  std::string path;
};
// open(PATH, O_RDONLY|O_DIRECTORY), kept by the executor for CleanOldRoot.
struct OpenOldRoot {
  std::string path;
};
// mount(FROM, TO, "", MS_MOVE, "")
struct MoveMount {
  std::string from;
  std::string to;
};
// umount2(PATH, MNT_DETACH); WHY says what made the planner drop it.
struct DetachMount {
  std::string path;
  std::string why;
};
struct Chdir {
  std::string path;
};
// pivot_root(NEW_ROOT, PUT_OLD)
struct PivotRoot {
  std::string new_root;
  std::string put_old;
};
// umount2(PATH, FLAGS)
struct Umount {
  std::string path;
  int flags = 0;
};
// mount(FROM, TO, "", MS_MOVE, ""): the new root over "/".
struct MoveMountRoot {
  std::string from;
  std::string to;
};
struct Chroot {
  std::string path;
};
// Deletes the old rootfs through the OpenOldRoot fd (see the file comment);
// IN_BACKGROUND: in a child at idle priority (see the file comment).
struct CleanOldRoot {
  bool in_background = false;
};

using SwitchStep = std::variant<MakePrivate, OpenOldRoot, MoveMount, DetachMount, Chdir, PivotRoot,
                                Umount, MoveMountRoot, Chroot, CleanOldRoot>;

// One line, deterministic, for tests and logs:
//   "make-private /"  "open-old-root /"  "move-mount /dev /root/dev"
//   "detach-mount /run (/root/run missing on the new root)"  "chdir /root"
//   "pivot-root . ."  "umount . MNT_DETACH"  "move-mount-root . /"
//   "chroot ."  "clean-old-root"  "clean-old-root in-background"
std::string FormatStep(const SwitchStep& step);
std::vector<std::string> FormatSteps(const std::vector<SwitchStep>& steps);

// --- planning
// ------------------------------------------------------------------

struct SwitchOptions {
  std::string new_root = "/root";
  // Whether we are PID 1; the old rootfs is only emptied by PID 1.
  bool pid1 = true;
  // Empty the old rootfs in a child at idle priority rather than before the
  // exec (clean-old-root in-background; see the file comment).
  bool clean_in_background = true;
  // Moved into the new root in this order (systemd's order).
  std::vector<std::string> api_mounts = {"/dev", "/proc", "/sys", "/run"};
};

struct SwitchPlan {
  std::vector<SwitchStep> steps;
  // Run instead of the steps after PivotRoot when pivot_root fails with
  // EINVAL. Empty for a plan that does not pivot.
  std::vector<SwitchStep> fallback;
  bool pivot = false;  // the plan pivots (false: MS_MOVE + chroot)
  bool pid1 = true;    // SwitchOptions::pid1, checked again by clean-old-root
  // Things worth a warning at planning time ("/run: /root/run missing on the
  // new root; detaching it") and notes ("/run not mounted; skipped").
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
};

// statfs magic numbers of the initial rootfs.
inline constexpr uint64_t kRamfsMagic = 0x858458f6;
inline constexpr uint64_t kTmpfsMagic = 0x01021994;

// Computes the steps. Fails (FailedPrecondition) when NEW_ROOT is not a mount
// point or is "/", and when the mount table or "/" cannot be read.
absl::StatusOr<SwitchPlan> PlanSwitch(sys::Kernel& kernel, const SwitchOptions& options);

// --- execution
// -----------------------------------------------------------------

struct SwitchReport {
  struct Done {
    std::string step;  // FormatStep
    absl::Duration took;
    absl::Status status;  // a failed optional step is here too
  };
  std::vector<Done> steps;
  std::vector<std::string> warnings;  // planning warnings are copied here first
  bool fell_back = false;             // pivot_root EINVAL → MS_MOVE + chroot
  // clean-old-root: what was removed and what was left alone.
  int removed = 0;
  int skipped_other_device = 0;
  // clean-old-root in-background: the child doing it (0: none, or a fake
  // kernel that ran it at once, with removed/skipped counted here).
  pid_t cleaner_pid = 0;
};

// Applies PLAN in order. NOW is read before and after each step. REPORT
// (required) receives every step tried, with its duration. Returns the first
// error of a step that must succeed (make-private, move-mount, chdir,
// pivot-root except EINVAL, move-mount-root, chroot); detach-mount,
// umount of the old root, open-old-root and clean-old-root only warn.
absl::Status ExecuteSwitch(sys::Kernel& kernel, const SwitchPlan& plan,
                           const std::function<absl::Time()>& now, SwitchReport* report);

// The refusals of clean-old-root: true when OLD_ROOT_FD may be emptied (we
// are PID 1, it is tmpfs/ramfs, not on NEW_ROOT_DEV), with its device in
// *OLD_ROOT_DEV (may be null); otherwise a warning in REPORT and false.
bool CheckOldRoot(sys::Kernel& kernel, int old_root_fd, bool pid1, uint64_t new_root_dev,
                  SwitchReport* report, uint64_t* old_root_dev = nullptr);

// Empties the directory behind OLD_ROOT_FD as clean-old-root does (see the
// file comment); NEW_ROOT_DEV is the device of the root switched to. Never
// fails: refusals and errors are appended to REPORT->warnings.
void CleanOldRootFd(sys::Kernel& kernel, int old_root_fd, bool pid1, uint64_t new_root_dev,
                    SwitchReport* report);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_SWITCH_ROOT_H_
