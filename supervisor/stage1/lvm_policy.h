// What stage 1 does when an LVM physical volume appears
// (ID_FS_TYPE=LVM2_member): which activation commands to run, or none.
//
// Skip when the device is not a PV, when rd.lvm=0, or when the PV's volume
// group is known (LVM_VG_NAME, from lvm's udev rules or baton's probe) and the
// filters (rd.lvm.vg=, rd.lvm.lv=) don't name it.
//
// Commands, as dracut's lvm_scan builds them ("lvm" first: the initramfs
// carries only the lvm multi-call binary; --sysinit as in initramfs-tools):
//   rd.lvm.lv= given:   lvm lvchange -ay --sysinit VG/LV…
//   rd.lvm.vg= given:   lvm vgchange -ay --sysinit VG…
//   neither:            lvm vgchange -ay --sysinit [VG]
// When the PV's VG is known, the lists are narrowed to it (and "neither" names
// it), so each PV activates only its own group. Running the commands again for
// every PV is intended: an LV is activated once all its PVs are present.
#ifndef BATON_SUPERVISOR_STAGE1_LVM_POLICY_H_
#define BATON_SUPERVISOR_STAGE1_LVM_POLICY_H_

#include <string>
#include <vector>

#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/device_env.h"

namespace baton::stage1 {

struct LvmDecision {
  enum class Action { kSkip, kActivate };

  Action action = Action::kSkip;
  std::string reason;  // for the log
  std::string vg;      // LVM_VG_NAME when known
  std::vector<std::vector<std::string>> commands;  // argv lists, in order
  // The same choice for baton's native activation (no lvm tool, lvm_native.h):
  // with FILTERED, only LVs of a VG in VGS or named VG/LV in LVS (both
  // narrowed to the PV's VG when known, as the commands are).
  bool filtered = false;
  std::vector<std::string> vgs;
  std::vector<std::string> lvs;
};

LvmDecision DecideLvm(const BootOptions& options, const Env& pv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_LVM_POLICY_H_
