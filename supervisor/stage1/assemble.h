// The md and LVM subcommands that stage-1 job files call (the same files run
// on the booted system):
//
// `baton md-add DEVNAME` (MdAdd): the policy of md_policy.h (/proc/cmdline
// rd.md*, mdadm.conf: /etc/mdadm/mdadm.conf, else /etc/mdadm.conf), then
//     mdadm --incremental DEVNAME
// which adds the member to its array and starts the array once all its
// members are there, and re-adds a member that returns to an array running
// degraded. An incomplete array is never started here: that is the degraded
// arbiter's decision (degraded.h), carried out by md-run-degraded. Exit 0 when
// added or skipped, 1 when mdadm failed (its exit status is logged).
//
// `baton md-run-degraded MDDEV` (MdRunDegraded): MDDEV is /dev/md127,
// /dev/md/NAME (a link to it) or md127. Writes a warning to the console and
// the log, e.g.
//     baton: WARNING: starting /dev/md127 degraded: 1 of 2 members
// (raid_disks from /sys/block/md127/md/raid_disks, members = its dev-*
// entries), then runs `mdadm --run MDDEV` and logs how many members the
// running array misses (/sys/block/md127/md/degraded). Exit 0 when it runs.
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
#ifndef BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_
#define BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_

#include <string>

#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/run_tool.h"

namespace baton::stage1 {

// MEMBER: the device's udev properties (DEVNAME, MD_UUID / ID_FS_UUID, …).
int MdAdd(const ToolContext& ctx, const Stage1Files& files, const Env& member);

int MdRunDegraded(const ToolContext& ctx, const Stage1Files& files, const std::string& md_device);

// PV: the device's udev properties (DEVNAME, LVM_VG_NAME when known, …).
int LvmActivate(const ToolContext& ctx, const Stage1Files& files, const Env& pv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_ASSEMBLE_H_
