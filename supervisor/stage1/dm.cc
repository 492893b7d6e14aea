#include "supervisor/stage1/dm.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace baton::stage1 {

absl::StatusOr<dev_t> ActivateDm(sys::Kernel& kernel, const DmDevice& spec) {
  absl::StatusOr<dev_t> dev = kernel.DmCreate(spec.name, spec.uuid);
  if (!dev.ok()) return dev.status();
  absl::Status st = kernel.DmLoadTable(spec.name, spec.targets, spec.read_only);
  if (st.ok()) st = kernel.DmResume(spec.name);
  if (st.ok()) return *dev;
  std::string message(st.message());
  if (absl::Status removed = kernel.DmRemove(spec.name); !removed.ok()) {
    absl::StrAppend(&message, " (and removing the half-made ", spec.name,
                    " failed: ", removed.message(), ")");
  }
  return absl::Status(st.code(), message);
}

}  // namespace baton::stage1
