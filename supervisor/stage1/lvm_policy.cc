#include "supervisor/stage1/lvm_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace baton::stage1 {

LvmDecision DecideLvm(const BootOptions& options, const Env& pv) {
  LvmDecision d;
  absl::string_view fs_type = EnvValueOr(pv, "ID_FS_TYPE");
  if (fs_type != "LVM2_member") {
    d.reason = absl::StrCat("not an LVM physical volume (ID_FS_TYPE=", fs_type, ")");
    return d;
  }
  if (!options.lvm) {
    d.reason = "rd.lvm=0";
    return d;
  }
  d.vg = std::string(EnvValueOr(pv, "LVM_VG_NAME"));
  bool known = !d.vg.empty();

  std::vector<std::string> lvs;
  for (const std::string& lv : options.lvm_lvs) {
    if (!known || absl::StartsWith(lv, absl::StrCat(d.vg, "/"))) lvs.push_back(lv);
  }
  std::vector<std::string> vgs;
  for (const std::string& vg : options.lvm_vgs) {
    if (!known || vg == d.vg) vgs.push_back(vg);
  }
  bool filtered = !options.lvm_lvs.empty() || !options.lvm_vgs.empty();
  if (filtered && lvs.empty() && vgs.empty()) {
    d.reason = absl::StrCat("volume group ", d.vg, " not named by rd.lvm.vg= or rd.lvm.lv=");
    return d;
  }

  d.action = LvmDecision::Action::kActivate;
  d.filtered = filtered;
  d.vgs = vgs;
  d.lvs = lvs;
  if (!lvs.empty()) {
    std::vector<std::string> argv = {"lvm", "lvchange", "-ay", "--sysinit"};
    argv.insert(argv.end(), lvs.begin(), lvs.end());
    d.commands.push_back(std::move(argv));
  }
  if (!vgs.empty() || !filtered) {
    std::vector<std::string> argv = {"lvm", "vgchange", "-ay", "--sysinit"};
    argv.insert(argv.end(), vgs.begin(), vgs.end());
    if (!filtered && known) argv.push_back(d.vg);
    d.commands.push_back(std::move(argv));
  }
  d.reason = filtered ? "named by rd.lvm.vg=/rd.lvm.lv=" : "any volume group (no filter)";
  return d;
}

}  // namespace baton::stage1
