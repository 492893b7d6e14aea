// Making a device-mapper device in one step, for the native LVM activation
// (lvm_native.h) and the native LUKS unlock: create, load the table, resume.
#ifndef BATON_SUPERVISOR_STAGE1_DM_H_
#define BATON_SUPERVISOR_STAGE1_DM_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sys/kernel.h"

namespace baton::stage1 {

// One device-mapper device to make.
struct DmDevice {
  std::string name;  // the dm name (/dev/mapper/NAME), e.g. "vg0-root"
  std::string uuid;  // e.g. "LVM-<vg uuid><lv uuid>" or "CRYPT-LUKS2-<uuid>-NAME"
  std::vector<sys::DmTarget> targets;
  bool read_only = false;
};

// Creates SPEC.name with SPEC.uuid, loads SPEC.targets and resumes it, so
// that it is live when this returns; returns its dev_t. When the load or the
// resume fails the half-made device is removed again (a failure of that
// removal is added to the error). Errors name the device, never the table's
// params (a crypt table holds a key).
absl::StatusOr<dev_t> ActivateDm(sys::Kernel& kernel, const DmDevice& spec);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_DM_H_
