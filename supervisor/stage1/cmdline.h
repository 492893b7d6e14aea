// The kernel command line (/proc/cmdline) as stage 1 understands it: the
// options users already type for initramfs-tools and dracut, plus baton.*.
//
// Splitting follows the kernel's next_arg(): words are separated by spaces
// outside double quotes; a word or a value that starts with '"' loses that
// quote and a closing one at its end (root="LABEL=my root" gives the value
// LABEL=my root). A bare "--" ends the kernel's options: every word after it
// is an argument for init (BootOptions::init_args) and is not interpreted.
//
// Repeated scalar options: the last one wins (as a shell loop over the words
// does in initramfs-tools). List options (rd.luks.uuid=, rd.md.uuid=,
// rd.lvm.vg=, rd.lvm.lv=, rd.luks.name=, rd.luks.key=, break=) accumulate;
// rd.*.uuid, rd.lvm.* and break= values may also be comma-separated.
//
// Parsing never fails. A bad value is ignored with a warning that names the
// option and the value used instead ("rootdelay=abc: not a number of seconds;
// using 180 s"). Unknown options (and the known-but-ignored rd.emergency=) are
// listed in `unknown` for the debug log.
//
// Option                     Meaning in baton
// root=SPEC                  the root device, kept raw (see root_spec.h)
// rootfstype=, rootflags=    filesystem type and mount options for the root
// ro / rw                    mount the root read-only (default) / read-write;
//                            initramfs-tools' default readonly=y
// init=PATH                  what stage 1 execs on the real root (/sbin/init)
// rootdelay=SECONDS          how long after stage 1 starts, with the root
//                            still missing and the system quiet, before the
//                            rescue shell is offered. It is not a sleep.
//                            Default 180 s: initramfs-tools' "Gave up
//                            waiting for root device" point. Fractions allowed.
// break[=LIST]               stop at these points with a shell; bare = premount
// rd.break[=HOOK]            dracut's break points, mapped to baton's (below)
// panic=N                    on a fatal stage-1 error reboot after N seconds
//                            (0: never, <0: at once) instead of the rescue shell
// debug, quiet               verbose / quiet console
// fsck.mode=auto|force|skip  systemd-fsck's meaning
// fsck.repair=preen|yes|no   systemd-fsck's meaning
// rd.luks=0|1                0: never unlock LUKS devices
// rd.luks.uuid=U             unlock only the listed LUKS devices ("luks-" prefix
//                            optional)
// rd.luks.name=UUID=NAME     mapping name for that device (systemd form)
// rd.luks.key=PATH[:KEYDEV[:LUKSDEV]]   dracut form; key for LUKSDEV or any
// rd.luks.key=UUID=PATH[:KEYDEV]        systemd form; key for that UUID
// rd.md=0|1, rd.md.uuid=U    never assemble md / only the listed arrays
// rd.lvm=0|1, rd.lvm.vg=VG, rd.lvm.lv=VG/LV   never activate / only these
// rd.auto[=0|1]              recorded; baton assembles everything by default
//                            and rd.auto also lifts the mdadm.conf ARRAY filter
// rd.shell[=0|1]             allow (default) / refuse the rescue shell
// bootdegraded[=true|false]  Ubuntu's: true = baton.md.degraded=auto,
//                            false = ask; baton.md.degraded wins when both given
// baton.md.degraded=auto|ask|never   degraded RAID policy (default auto, as
//                            dracut: see degraded.h for when it applies)
// resume=SPEC                resume from the hibernation image on SPEC
//                            (resume.h): every root= form (/dev/…, UUID=,
//                            LABEL=, PARTUUID=, PARTLABEL=, MAJ:MIN) and the
//                            kernel's hex device number ("801" = 8:1); kept
//                            raw. resume=none: no resume (initramfs-tools)
// resume_offset=N            the swap file's header is at page N of that
//                            device (PAGE_SIZE units, as the kernel's). A bad
//                            N: warning, and no resume at all
// noresume                   never resume: the image is left alone
// baton.debug[=0|1]          baton's own debug logging
// baton.udevd=0              an image built --with-udevd boots without
//                            starting its udevd (baton's own bridge instead)
// baton.KEY=VALUE            any other baton.* option, kept in `baton`
//
// Break points (BreakPoint), in boot order, and the dracut hooks mapped to them:
//   kTop      before anything else runs          cmdline, pre-udev
//   kModules  before coldplug loads modules       pre-trigger
//   kPremount before device assembly jobs start   initqueue
//   kMount    root device found, before mounting  pre-mount, mount
//   kBottom   root mounted, before the switch     pre-pivot, cleanup
//   kInit     just before exec of init            bare rd.break (dracut's
//                                                 "before switch_root")
#ifndef BATON_SUPERVISOR_STAGE1_CMDLINE_H_
#define BATON_SUPERVISOR_STAGE1_CMDLINE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/event.h"

namespace baton::stage1 {

enum class BreakPoint { kTop, kModules, kPremount, kMount, kBottom, kInit };
enum class DegradedPolicy { kAuto, kAsk, kNever };
enum class FsckMode { kAuto, kForce, kSkip };
enum class FsckRepair { kPreen, kYes, kNo };

absl::string_view BreakPointName(BreakPoint p);  // "premount"
absl::string_view DegradedPolicyName(DegradedPolicy p);  // "auto"
absl::string_view FsckModeName(FsckMode m);
absl::string_view FsckRepairName(FsckRepair r);

inline constexpr absl::Duration kDefaultRootDelay = absl::Seconds(180);

// rd.luks.name=UUID=NAME
struct LuksName {
  std::string uuid;  // lowercase, no "luks-" prefix
  std::string name;
  bool operator==(const LuksName& o) const { return uuid == o.uuid && name == o.name; }
};

// rd.luks.key=…
struct LuksKey {
  std::string path;         // the key file
  std::string key_device;   // device spec holding PATH; "" = the initramfs
  std::string luks_device;  // device spec the key is for ("UUID=…"); "" = any
  bool operator==(const LuksKey& o) const {
    return path == o.path && key_device == o.key_device && luks_device == o.luks_device;
  }
};

struct BootOptions {
  std::string root;        // raw root= spec; "" when not given
  std::string rootfstype;  // "" = probe
  std::string rootflags;
  bool read_only = true;
  std::string init = "/sbin/init";
  std::vector<std::string> init_args;  // words after "--"
  absl::Duration rootdelay = kDefaultRootDelay;

  std::vector<BreakPoint> breaks;  // sorted, no duplicates
  std::optional<int> panic;        // seconds; nullopt = no panic= given
  bool debug = false;
  bool quiet = false;
  FsckMode fsck_mode = FsckMode::kAuto;
  FsckRepair fsck_repair = FsckRepair::kPreen;

  bool luks = true;  // rd.luks
  bool md = true;    // rd.md
  bool lvm = true;   // rd.lvm
  bool rd_auto = false;
  bool shell = true;  // rd.shell
  std::vector<std::string> luks_uuids;  // lowercase, no "luks-" prefix
  std::vector<LuksName> luks_names;
  std::vector<LuksKey> luks_keys;
  std::vector<std::string> md_uuids;    // as written
  std::vector<std::string> lvm_vgs;
  std::vector<std::string> lvm_lvs;     // "VG/LV"

  std::string resume;                     // raw resume=; "" when not given
  std::optional<uint64_t> resume_offset;  // resume_offset= in pages
  std::string bad_resume_offset;          // the word, when its value was bad
  bool noresume = false;

  DegradedPolicy md_degraded = DegradedPolicy::kAuto;
  bool baton_debug = false;
  std::map<std::string, std::string> baton;  // other baton.KEY=VALUE, KEY without "baton."

  std::vector<std::string> unknown;   // words not understood, as written
  std::vector<std::string> warnings;  // bad values and what was used instead

  bool HasBreak(BreakPoint p) const;

  // The options for job environments, always all of these keys:
  //   ROOT ROOTFSTYPE ROOTFLAGS    as given ("" when absent)
  //   READONLY=y|n  INIT  ROOTDELAY=seconds (integer, rounded up)
  //   BREAK=top,premount (baton names, "" for none)  PANIC=N or ""
  //   DEBUG=y|n  QUIET=y|n  FSCK_MODE=auto|force|skip  FSCK_REPAIR=preen|yes|no
  //   RD_LUKS RD_MD RD_LVM RD_AUTO RD_SHELL = 0|1
  //   RD_LUKS_UUID RD_MD_UUID RD_LVM_VG RD_LVM_LV   space-separated lists
  //   RD_LUKS_NAME="UUID=NAME …"  RD_LUKS_KEY="PATH:KEYDEV:LUKSDEV …"
  //   BATON_MD_DEGRADED=auto|ask|never  BATON_DEBUG=y|n
  // and for each other baton.KEY=VALUE: BATON_KEY=VALUE with KEY uppercased and
  // every character outside [A-Za-z0-9_] made '_' (baton.foo-bar.x -> BATON_FOO_BAR_X).
  supervisor::Env ToEnv() const;
};

// Parses the text of /proc/cmdline (a trailing newline is fine).
BootOptions ParseCmdline(absl::string_view cmdline);

// The kernel's word splitting alone (see the top of this file); each word
// with its outer quotes removed. Exposed for tests and `initctl`.
std::vector<std::string> SplitCmdline(absl::string_view cmdline);

// KEY=VALUE words of the command line, in order ("ro" -> {"ro", ""}): what
// the handoff carries as the parsed command line.
std::vector<std::pair<std::string, std::string>> CmdlineParams(absl::string_view cmdline);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_CMDLINE_H_
