// What stage 1 does with an md RAID member that appeared
// (ID_FS_TYPE=linux_raid_member, or an isw/ddf container member): add it to
// its array (mdadm --incremental) or leave it alone.
//
// The array is identified by MD_UUID (udev's mdadm --examine) or, without it,
// ID_FS_UUID (blkid reports the array's UUID on members); separators and case
// don't matter (see NormalizeUuid).
//
// Skip when:
//   - the device is not an md member;
//   - rd.md=0;
//   - rd.md.uuid= is given and the array is not listed;
//   - mdadm.conf has an ARRAY <ignore> line for the array;
//   - no rd.md.uuid= is given, rd.auto is not, mdadm.conf lists arrays by UUID
//     and this one is not among them (Debian's initramfs assembles only the
//     arrays of mdadm.conf when it lists any; rd.auto lifts the filter as in
//     dracut);
//   - mdadm.conf has DEVICE lines of patterns (other than "partitions" and
//     "containers", which mean any device) and neither DEVNAME nor a DEVLINKS
//     entry matches one (fnmatch, as mdadm).
// rd.md.uuid= wins over mdadm.conf's list but not over ARRAY <ignore>.
#ifndef BATON_SUPERVISOR_STAGE1_MD_POLICY_H_
#define BATON_SUPERVISOR_STAGE1_MD_POLICY_H_

#include <string>

#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/mdadm_conf.h"

namespace baton::stage1 {

struct MdDecision {
  enum class Action { kSkip, kAssemble };

  Action action = Action::kSkip;
  std::string reason;        // for the log
  std::string member;        // DEVNAME of the member
  std::string array_uuid;    // as udev reported it
  std::string array_device;  // from the mdadm.conf ARRAY line, "" = mdadm's choice
  int conf_line = 0;         // that ARRAY line, 0 = none
};

MdDecision DecideMd(const BootOptions& options, const MdadmConf& conf, const Env& member);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_MD_POLICY_H_
