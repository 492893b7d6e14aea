// The md and LVM subcommands that stage-1 job files call (the same files run
// on the booted system):
//
// `baton md-add DEVNAME` (MdAdd): the policy of md_policy.h (/proc/cmdline
// rd.md*, mdadm.conf: /etc/mdadm/mdadm.conf, else /etc/mdadm.conf), then it
// looks for the member's array: the /dev/disk/by-id/md-uuid-UUID link (made
// by the uevent bridge, or by udev's md rules, for an md device whose
// members carry UUID) names it, /sys/block/mdN/md says its state. Then:
//
//   - the member is in the array already (md/dev-KNAME exists; e.g. a change
//     event of a member): nothing to do.
//   - the array is running degraded (md/degraded > 0) and md-run-degraded
//     started it (kMdStartedDegradedDir/mdN exists): the member is one that
//     came late, and it is put back explicitly:
//         mdadm --readwrite /dev/mdN      only when array_state is read-auto
//         mdadm --re-add /dev/mdN DEVNAME
//         mdadm --add /dev/mdN DEVNAME    only when --re-add was refused
//     `mdadm --incremental` does not do this: it adds a member that is not a
//     spare to a running array only with --run or a POLICY action=re-add
//     line (which hosts' mdadm.conf rarely has), and even then only as a
//     re-add. A re-add is refused once the array has written its superblock
//     without this member (the event counts differ) unless the array has a
//     write-intent bitmap; and an auto-read-only array writes it on its first
//     change, which the add itself is. So without a bitmap the member goes
//     back in through --add as a spare and md rebuilds it (recovery).
//     An array running degraded that baton did not start degraded (a member
//     failed, or it was started by hand) is left to mdadm's policy below:
//     putting a stale half back automatically could overwrite the newer one.
//   - otherwise: mdadm --incremental DEVNAME, which adds the member to its
//     array and starts the array once all its members are there. An
//     incomplete array is never started here: that is the degraded arbiter's
//     decision (degraded.h), carried out by md-run-degraded. When
//     --incremental fails and the array is by then running degraded, started
//     by md-run-degraded (it did so while this member was being added), the
//     explicit re-add above is done.
//
// Exit 0 when added or nothing was to be done, 1 when mdadm failed (its exit
// status is logged).
//
// `baton md-run-degraded MDDEV` (MdRunDegraded): MDDEV is /dev/md127,
// /dev/md/NAME (a link to it) or md127. Writes a warning to the console and
// the log, e.g.
//     baton: WARNING: starting /dev/md127 degraded: 1 of 2 members
// (members = the dev-* entries of /sys/block/md127/md; the count from its
// md/raid_disks, which reads empty while the array is inactive, and that is
// how md-run-degraded finds it, so then from a member's superblock: MD_DEVICES
// of `mdadm --examine --export /dev/MEMBER`), records the decision in kMdStartedDegradedDir/md127 (so that
// md-add puts a late member back), then runs `mdadm --run MDDEV` and logs
// how many members the running array misses (/sys/block/md127/md/degraded).
// Exit 0 when it runs.
//
// `baton lvm-activate DEVNAME` (LvmActivate): the policy of lvm_policy.h,
// then every command it returns (lvm vgchange -ay --sysinit [VG], or
// lvchange for rd.lvm.lv=), then `lvm vgmknodes` (no udev makes the
// /dev/VG/LV links in stage 1). lvm must not wait for udev: the stage-1
// lvm.conf that baton-mkinitramfs writes sets
//     devices { obtain_device_list_from_udev = 0 }
//     activation { udev_sync = 0 udev_rules = 0 }
// An activation may fail while a volume group still misses physical volumes
// (they appear one by one, and each PV runs this again): a non-zero lvm exit
// is logged, not an error of the job. Exit 1 only when lvm could not be run.
// Without an lvm tool on the path (an image built with --storage-tools
// native) baton activates the VG's linear and striped LVs itself
// (ActivateLvmNative, lvm_native.h: the same rd.lvm.vg=/rd.lvm.lv= filter,
// other PVs found through /sys/class/block, dm devices named as lvm names
// them; the uevent bridge then makes /dev/mapper/VG-LV and /dev/VG/LV).
// Exit 1 there when DEVNAME could not be read or a device not made; LVs
// that wait for PVs, or need lvm (thin, raid, …), are logged.
#ifndef BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_
#define BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_

#include <string>

#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/run_tool.h"

namespace baton::stage1 {

// Where md-run-degraded records the arrays it started degraded: one file per
// array, named by its kernel name ("md127"). /run survives the switch to the
// real root, so stage 2's md-add reads the same records.
inline constexpr char kMdStartedDegradedDir[] = "/run/baton/md-started-degraded";
// The links that name md arrays by UUID:
// md-uuid-xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx.
inline constexpr char kDiskByIdDir[] = "/dev/disk/by-id";

// MEMBER: the device's udev properties (DEVNAME, MD_UUID / ID_FS_UUID, …).
int MdAdd(const ToolContext& ctx, const Stage1Files& files, const Env& member);

int MdRunDegraded(const ToolContext& ctx, const Stage1Files& files, const std::string& md_device);

// The member count of an array as the superblock of its member KNAME (an
// md/dev-KNAME entry: "vdb") says: MD_DEVICES of `mdadm --examine --export`.
// For an inactive array, whose md/raid_disks reads empty (md_ask.h).
absl::StatusOr<int> MdMembersFromSuperblock(const ToolContext& ctx, const std::string& kname);

// PV: the device's udev properties (DEVNAME, LVM_VG_NAME when known, …).
int LvmActivate(const ToolContext& ctx, const Stage1Files& files, const Env& pv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_
