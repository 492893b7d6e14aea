// The rescue shell, fsck, and the fatal-error policy of stage 1.
//
// FATAL-ERROR POLICY. PID 1 never exits and never panics the kernel on bad
// input. When stage 1 cannot go on (the root is still missing at the
// rootdelay point, an unlock failed, fsck found errors it could not fix, the
// mount or the switch failed) it prints what it waited for and what it saw
// on the console, then, by the command line:
//   panic=N, N > 0   reboot after N seconds (a deadline on the loop)
//   panic=N, N < 0   reboot at once
//   panic=0 / none   the kernel's panic=0 means "never reboot": the rescue
//                    shell is offered, as without panic=
//   rd.shell=0       no shell: the boot keeps waiting (events are still
//                    handled, so a root that appears later still boots); a
//                    failure that waiting cannot cure leaves PID 1 idle
// When the rescue shell exits, the boot resumes where it stopped (and the
// "root missing" wait starts another rootdelay period).
//
// THE SHELL. /bin/sh on the console as its own session. /dev/console can
// never become a controlling tty, so when /sys/class/tty/console/active
// names the real console device (its last word, "ttyS0"), the shell is
// started as `/bin/sh -c 'exec /bin/sh -i <>/dev/ttyS0 >&0 2>&0'`: the
// session leader opens the tty itself and so gets job control and ^C.
// Otherwise plain `/bin/sh -i` with the console as stdio.
//
// FSCK. `fsck.TYPE` (e2fsck for ext2/3/4) from /sbin, /usr/sbin, /bin or
// /usr/bin; none found → the check is skipped with a log line, as
// initramfs-tools does. Arguments: fsck.repair=preen → -a, yes → -y,
// no → -n; fsck.mode=force adds -f. Exit status (fsck(8)):
//   0, 1          ok (1: errors corrected)
//   2, 3          ok with a warning: "reboot needed" matters only for a
//                 mounted filesystem, and the root is not mounted yet
//   32            cancelled: warning, go on
//   4, 8, 16, 128 bits: failure → the fatal-error policy
//   killed by a signal: failure
#ifndef BATON_SUPERVISOR_STAGE1_RESCUE_H_
#define BATON_SUPERVISOR_STAGE1_RESCUE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "supervisor/stage1/cmdline.h"
#include "sys/kernel.h"

namespace baton::stage1 {

// What the fatal-error policy says to do (see above).
struct FatalAction {
  enum class Kind { kShell, kReboot, kWait };
  Kind kind = Kind::kShell;
  absl::Duration reboot_after;  // kReboot
};
FatalAction DecideFatal(const BootOptions& options);

// The names in /sys/class/tty/console/active ("tty0 ttyS0\n" → {"tty0",
// "ttyS0"}), in its order: the last one is the device behind /dev/console;
// tty0 is whichever virtual terminal is in the foreground. Empty when the
// file cannot be read (no sysfs). The names are the kernel's, not checked:
// callers make /dev paths of those without a '/'.
std::vector<std::string> ActiveConsoleNames(sys::Kernel& kernel);

// The console's own tty ("/dev/ttyS0"): the last device of
// /sys/class/tty/console/active, when it is a character device; "" when not
// known. A shell there gets a controlling tty (job control, ^C), which
// /dev/console cannot give.
std::string ActiveConsoleTty(sys::Kernel& kernel);

// The request for a rescue (or break=) shell. CONSOLE_FD is an open fd on the
// console (stdio of the shell); REASON goes into BATON_RESCUE_REASON.
sys::SpawnRequest RescueShellRequest(sys::Kernel& kernel, int console_fd,
                                     const std::string& reason);

// The fsck command for DEVNAME holding FS_TYPE, or nullopt when no checker
// is in the image.
std::optional<std::vector<std::string>> FsckCommand(sys::Kernel& kernel,
                                                    const std::string& fs_type,
                                                    const std::string& devname,
                                                    const BootOptions& options);

struct FsckVerdict {
  bool ok = true;
  std::string message;  // "" when nothing worth saying
};
FsckVerdict JudgeFsck(const sys::ChildExit& exit);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_RESCUE_H_
