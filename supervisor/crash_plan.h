// What PID 1 becomes when baton crashes (sys/crash.h runs it): the plan,
// computed at known points of the boot from what is on disk then.
//
// WHERE PID 1 STANDS decides what "the init" and "the shell" are:
//   kInitramfs  stage 1 before the root switch. init= and /sbin/init name
//               paths on the real root, which is not "/" yet (the
//               initramfs' own /sbin/init, if any, is not the real init):
//               the only fallback is the initramfs' rescue shell.
//   kRealRoot   stage 2, and stage 1 after the switch (chrooted into the
//               real root): the real root's init=, /sbin/init, /bin/sh.
//
// THE PLAN (PlanCrash), in order:
//   1. kRealRoot: init= (with its arguments after "--"), when it exists and
//      is not the crashed binary: same st_dev/st_ino as /proc/self/exe read
//      at install time, symlinks followed. A stateless re-exec of the same
//      binary would crash again on a deterministic bug and loop; a stage-1
//      /init crashing after the switch may hand over to the real root's
//      baton, a different file. When the own binary is unknown (no /proc),
//      no init is planned: it could be ourselves.
//   2. kRealRoot: /sbin/init, likewise, unless it is the same file as 1.
//   3. panic=N, N != 0 (stage 1's fatal-error policy, rescue.h; the
//      initramfs-tools meaning): instead of a shell, reboot after N seconds
//      (N < 0: at once).
//      Otherwise /bin/sh when it exists: on the console device named by
//      /sys/class/tty/console/active as `/bin/sh -c 'exec /bin/sh -i
//      <>/dev/TTY >&0 2>&0'` (a controlling tty: job control and ^C, as
//      rescue.h's shell), else `/bin/sh -i` on /dev/console.
//   4. (sys/crash.h) freeze, reaping children.
// Environment: PATH, HOME=/, TERM=linux, PS1="(baton crashed) # ".
#ifndef BATON_SUPERVISOR_CRASH_PLAN_H_
#define BATON_SUPERVISOR_CRASH_PLAN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sys/crash.h"
#include "sys/kernel.h"

namespace baton::supervisor {

enum class CrashStage { kInitramfs, kRealRoot };

struct FileId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};

struct CrashPlanInput {
  CrashStage stage = CrashStage::kRealRoot;
  std::string init;                    // init= (BootOptions' default /sbin/init)
  std::vector<std::string> init_args;  // after "--"
  std::optional<int> panic;            // panic=
  std::optional<FileId> self;          // the running binary; nullopt: unknown
  // The file PATH names, symlinks followed; nullopt when missing.
  std::function<std::optional<FileId>(const std::string& path)> identify;
  std::string console_tty;             // "/dev/ttyS0", or "" when not known
};

// Pure: the plan above.
sys::CrashPlan PlanCrash(const CrashPlanInput& input);

// Reads what PlanCrash needs through KERNEL: /proc/cmdline (init=, "--"
// arguments, panic=), /proc/self/exe, the candidates' files (opened O_PATH
// and fstat'ed), /sys/class/tty/console/active.
// WITH_CONSOLE false leaves console_tty "" (the shell then runs as
// `/bin/sh -i` on /dev/console): stage 2 reads the console after
// "stage2-ready" and plans again (under emulation that read costs more than
// the rest of the plan).
CrashPlanInput GatherCrashInput(sys::Kernel& kernel, CrashStage stage, bool with_console = true);

// The kRealRoot input while NEW_ROOT is not "/" yet (stage 1 before the
// switch, so that nothing of it is read inside the uevent pause): as
// GatherCrashInput, except that init=, /sbin/init and /bin/sh are looked
// up under NEW_ROOT, symlinks resolved within it (ResolveOnRoot). The
// command line, /proc/self/exe and the console are the same before and
// after the switch; the plan names the paths as they will be after it.
CrashPlanInput GatherCrashInputOnRoot(sys::Kernel& kernel, const std::string& new_root);

// Gathers, plans and installs (sys::InstallCrashHandler); LOG gets one line
// "crash handler: PID 1 crash -> exec /sbin/init, then …".
absl::Status InstallCrashPlan(sys::Kernel& kernel, CrashStage stage,
                              const std::function<void(absl::string_view)>& log);

// Plans INPUT and installs it; LOG as above.
absl::Status InstallCrashPlan(const CrashPlanInput& input,
                              const std::function<void(absl::string_view)>& log);

// That line for PLAN: "crash handler (real root): PID 1 crash -> …".
std::string DescribeCrashPlan(CrashStage stage, const sys::CrashPlan& plan);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_CRASH_PLAN_H_
