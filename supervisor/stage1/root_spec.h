// A block device named the way users write it: the kernel's `root=`, the first
// field of fstab and the device field of crypttab.
//
//   /dev/sda1, sda1                  kPath: DEVNAME or one of DEVLINKS
//   /dev/disk/by-id/…, by-path/…     kPath (the link is in DEVLINKS)
//   UUID=…, /dev/disk/by-uuid/…      kUuid: ID_FS_UUID, case-insensitive
//   LABEL=…, /dev/disk/by-label/…    kLabel: ID_FS_LABEL_ENC (decoded) or ID_FS_LABEL
//   PARTUUID=…, /dev/disk/by-partuuid/…  kPartUuid: ID_PART_ENTRY_UUID
//   PARTLABEL=…, /dev/disk/by-partlabel/…  kPartLabel: ID_PART_ENTRY_NAME (decoded)
//   /dev/mapper/NAME                 kMapper: DM_NAME
//   /dev/VG/LV                       kLvm: DM_VG_NAME + DM_LV_NAME, or DM_NAME
//                                    "VG-LV" with '-' inside names doubled
//   /dev/md0, /dev/md/NAME           kMd: DEVNAME, or MD_DEVNAME / MD_NAME
//                                    ("host:NAME" counts as NAME)
//   MAJ:MIN (e.g. 8:1)               kMajorMinor: MAJOR and MINOR
//
// Any form also matches when its /dev path is in DEVLINKS. Not supported, and
// refused by Parse with a message saying so: PARTUUID=…/PARTNROFF=n (it needs
// the sibling partitions, which one device's properties don't show) and
// /dev/nfs (network roots).
#ifndef BATON_SUPERVISOR_STAGE1_ROOT_SPEC_H_
#define BATON_SUPERVISOR_STAGE1_ROOT_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/device_env.h"

namespace baton::stage1 {

class RootSpec {
 public:
  enum class Kind {
    kNone,  // default-constructed: matches nothing
    kPath,
    kUuid,
    kLabel,
    kPartUuid,
    kPartLabel,
    kMapper,
    kLvm,
    kMd,
    kMajorMinor,
  };

  RootSpec() = default;

  // Parses SPEC (surrounding whitespace is not trimmed: callers split fields).
  // InvalidArgument for an empty spec or an empty value ("UUID="),
  // Unimplemented for the forms listed above as not supported.
  static absl::StatusOr<RootSpec> Parse(absl::string_view spec);

  // True when the block device whose udev properties are ENV is the one named.
  bool Matches(const Env& block_device_env) const;

  // For messages: "the filesystem with LABEL=batonroot", "the device /dev/sda1".
  std::string Describe() const;

  Kind kind() const { return kind_; }
  // The spec as written.
  const std::string& raw() const { return raw_; }
  // The identifying value: the UUID/label for tag forms, the /dev path for
  // kPath, kMapper and kMd, "VG/LV" for kLvm, "MAJ:MIN" for kMajorMinor.
  const std::string& value() const { return value_; }

 private:
  Kind kind_ = Kind::kNone;
  std::string raw_;
  std::string value_;
  std::string path_;  // the /dev path form, when there is one
};

// dm's name for LV in VG: "VG-LV" with every '-' inside either name doubled.
std::string DmNameForLv(absl::string_view vg, absl::string_view lv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_ROOT_SPEC_H_
