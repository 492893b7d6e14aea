// Stage 2's devices: the real root's udevd, the udev database entries of
// the devices stage 1 assembled, and the replay of the uevents queued
// during the switch (DESIGN.md "The switch", step 6).
//
// UDEVD. FindUdevd looks for systemd-udevd on the real root
// (/lib/systemd/systemd-udevd, /usr/lib/systemd/systemd-udevd, then
// /sbin/udevd). It runs as a supervised job, in the foreground (no
// --daemon: it stays our child, its output goes to the "udevd" log stream,
// and it is respawned): UdevdJob() builds that job unless a job file named
// "udevd" exists, which then wins. Before it starts, PID 1 makes the
// uevent socket udevd reads (Kernel::UdevdKernelSocket) and keeps it for
// the udevd job (HOOKS.keep_udevd_socket: Spawner::AddListenFd), as
// systemd's systemd-udevd-kernel.socket does: every udevd gets it as a
// socket-activated fd. udevd binds its control socket before its own
// netlink socket, so without this an event written between the two was
// lost; with it, what the kernel sends from the bind on waits in the socket
// until udevd reads it, also across a respawn or an `initctl stop`. udevd
// is ready when its control socket (/run/udev/control) exists; `startup`
// waits for that, at most Options::udevd_wait, so that `udevadm settle` in
// a startup job talks to a running udevd.
//
// DATABASE. Stage 1 ran no udevd, so the real root's udevd knows nothing of
// the dm and md devices stage 1 set up; with udevd in the initramfs they
// would be kept across the switch by `OPTIONS+="db_persist"` (dracut's and
// lvm2's dm rules set it), which marks the database file with the sticky bit
// so that `udevadm info --cleanup-db` keeps it. baton writes the same file
// itself, for every dm-* and md* device whose last block-device event in
// the history is not a removal: /run/udev/data/b<MAJOR>:<MINOR>, mode
// 01644, written to a temporary name and renamed, holding (systemd's
// device_update_db order):
//   S:<link>       per DEVLINKS entry, without the "/dev/" prefix
//   I:<usec>       USEC_INITIALIZED: the event's CLOCK_MONOTONIC time, in µs
//   E:<KEY>=<VAL>  the device's properties from the event, those beginning
//                  ID_, DM_, MD_, LVM_ or SYSTEMD_ (kernel keys such as
//                  DEVNAME or MAJOR come from sysfs, not the database); for
//                  dm devices DM_UDEV_PRIMARY_SOURCE_FLAG=1 and
//                  DM_UDEV_RULES_VSN=2 are added when absent, as the dm
//                  rules record a device they have fully processed
//   G:systemd      the tag systemd's 99-systemd.rules gives block devices
//   Q:systemd      (current tags), then
//   V:1            the database format version
//
// LATE EVENTS. Stage 1's uevent socket stays open until the replay: what
// reaches it after the restore drained it (a disk hot-added while stage 2
// loads, before udevd's socket exists) would otherwise reach nobody.
// HOOKS.more_uevents is called once udevd is ready (or at once without
// udevd), just before the replay, and what it returns is replayed after
// UEVENTS; udevd's own socket has everything since it was made. An event
// that reached both is seen twice by udevd, which runs its rules for the
// device again, as for `udevadm trigger --action=add`.
//
// REPLAY. Each queued datagram is parsed (kernel or libudev format); one
// write per DEVPATH, of that device's last action, in the order each
// DEVPATH first appeared: "ACTION" into SYS_ROOT/DEVPATH/uevent, so the
// kernel sends the event again, now to the real root's udevd and to us. A
// device whose sysfs directory no longer exists is skipped (its removal is
// in the queue, or it went away since); a device whose last action is
// `remove` but which exists again gets `add`. Unparsable datagrams are
// skipped and counted.
#ifndef BATON_SUPERVISOR_STAGE2_UDEV_H_
#define BATON_SUPERVISOR_STAGE2_UDEV_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jobs/job.h"
#include "supervisor/engine.h"
#include "supervisor/event.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::stage2 {

inline constexpr char kUdevdJob[] = "udevd";

// The first udevd found below ROOT ("" for "/"), as a path on the root; ""
// when there is none.
std::string FindUdevd(sys::Kernel& kernel, const std::string& root = "");

// A service job running PATH in the foreground, respawned, its output
// logged; STAGE: kInitramfs for the image's udevd (stage 1 following udevd,
// supervisor/stage1/boot.h).
std::unique_ptr<jobs::JobConfig> UdevdJob(const std::string& path,
                                          jobs::Stage stage = jobs::Stage::kRoot);

// What `udevadm info --cleanup-db` does before the switch (systemd's
// initrd-udevadm-cleanup-db.service, dracut's cleanup), for stage 1's
// udevd, stopped, to leave the real root's udevd only what was meant to
// last: below RUN_UDEV ("/run/udev"), every data/ file without the sticky
// bit (db_persist sets it), everything in links/, static_node-tags/ and
// watch/, and each tags/TAG/ID whose data/ID is gone. Returns the count of
// files removed.
size_t CleanUpUdevDb(sys::Kernel& kernel, const std::string& run_udev = "/run/udev");

struct UdevDbEntry {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string devname;             // "/dev/dm-0", for messages
  std::vector<std::string> links;  // "disk/by-uuid/…", relative to /dev
  supervisor::Env properties;      // in the order written
  uint64_t usec_initialized = 0;
  std::string FileName() const;  // "b253:0"
};

// The dm/md devices of HISTORY's block-device events (see DATABASE).
std::vector<UdevDbEntry> DbEntriesFromEvents(const std::deque<supervisor::Event>& history);
std::string FormatUdevDb(const UdevDbEntry& entry);
// Writes DB_DIR/b<MAJ>:<MIN> (DB_DIR made if missing).
absl::Status WriteUdevDb(sys::Kernel& kernel, const std::string& db_dir, const UdevDbEntry& entry);

struct ReplayResult {
  size_t written = 0;    // uevent files written (one per device)
  std::vector<std::string> replayed;  // "ACTION DEVPATH", one per file written
  size_t skipped = 0;    // devices gone from sysfs
  size_t malformed = 0;  // datagrams that did not parse
  std::vector<std::string> warnings;
};

ReplayResult ReplayUevents(sys::Kernel& kernel, const std::vector<std::string>& datagrams,
                           const std::string& sys_root = "/sys");

// The whole step, as stage 2 runs it after RestoreStage2.
struct DevicesOptions {
  std::string root;  // prefix of the real root; "" is "/"
  std::string sys_root = "/sys";
  std::string udev_db_dir = "/run/udev/data";
  std::string udevd_control = "/run/udev/control";
  absl::Duration udevd_wait = absl::Seconds(5);
};
struct DevicesHooks {
  std::function<absl::Time()> now;                       // the supervisor clock
  std::function<void(absl::Duration timeout)> run_once;  // one loop wakeup
  std::function<void(absl::string_view)> log;
  // The datagrams that arrived after UEVENTS were collected (see LATE
  // EVENTS); may be empty.
  std::function<std::vector<std::string>()> more_uevents;
  // Keeps FD, udevd's uevent socket, for the udevd job (see UDEVD); null:
  // none is made and udevd binds its own.
  std::function<void(sys::UniqueFd fd)> keep_udevd_socket;
};
struct DevicesResult {
  std::string udevd;  // the path started, "" when none
  size_t db_entries = 0;
  size_t late_uevents = 0;  // from HOOKS.more_uevents
  ReplayResult replay;
  std::vector<std::string> warnings;  // everything worth a handoff-status line
};

// Writes the database entries from ENGINE's history, makes udevd's uevent
// socket and starts udevd (adding the job when no job file defines it;
// RunQueue spawns it), waits for its
// control socket through HOOKS.run_once, and replays UEVENTS and
// HOOKS.more_uevents(). Each device replayed is logged ("replay: add
// /devices/…"). The caller then emits `startup`.
DevicesResult SetUpDevices(sys::Kernel& kernel, supervisor::Engine& engine,
                           const std::vector<std::string>& uevents, const DevicesOptions& options,
                           const DevicesHooks& hooks);

}  // namespace baton::stage2

#endif  // BATON_SUPERVISOR_STAGE2_UDEV_H_
