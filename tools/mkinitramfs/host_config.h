// What the host's own configuration says its root needs: read from
// /etc/fstab, /etc/crypttab and /etc/mdadm/mdadm.conf (under a sysroot when
// given). Host-only images take only these parts of the storage stack.
#ifndef BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_
#define BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

struct HostStack {
  // Filesystem types of the "/" and "/usr" entries of fstab ("auto" dropped).
  std::vector<std::string> root_fs_types;
  bool crypt = false;  // crypttab has at least one entry
  bool raid = false;   // mdadm.conf has an ARRAY line
  bool lvm = false;    // "/" or "/usr" is an LV (see ReadHostStack)
  // The md personalities the arrays need ("raid1", "raid456", "raid10",
  // "raid0", "linear"), from mdadm.conf's ARRAY level= and, on the running
  // host (empty sysroot), SYSFS/block/md*/md/level. Empty when any array's
  // level is unknown: then every personality goes in.
  std::set<std::string> raid_levels;
  // The LVM segment types of the root's volume groups ("striped", "thin",
  // "mirror"…) from SYSROOT/etc/lvm/backup/VG (lvm writes it after every
  // change). Empty when a backup is missing: then every target goes in.
  std::set<std::string> lvm_segment_types;
  // The VGs of an LV root named /dev/VG/LV or /dev/mapper/VG-LV; with
  // LVM_EVERY_VG (a UUID=/LABEL= root on an LV) every VG counts.
  std::set<std::string> lvm_vgs;
  bool lvm_every_vg = false;
  // Key files named in crypttab's third column; "none", "-", empty and
  // devices (/dev/…) are left out.
  std::vector<std::string> key_files;
};

// Reads SYSROOT/etc/{fstab,crypttab,mdadm/mdadm.conf}; missing files mean
// "not used". LVM is recognised from the root device's name
// (/dev/mapper/VG-LV not listed in crypttab, or /dev/VG/LV) or, for a
// UUID=/LABEL= root on the running host (empty sysroot), from a device-mapper
// device in SYSFS whose dm/uuid starts with "LVM-".
absl::StatusOr<HostStack> ReadHostStack(const std::string& sysroot,
                                        const std::string& sysfs = "/sys");

// "raid5", "5", "mirror"… -> the md module for that level ("raid456",
// "raid1"…), or "" when unknown.
std::string RaidModuleForLevel(absl::string_view level);

// The segment types (`type = "…"`) in an LVM text metadata backup.
std::set<std::string> LvmSegmentTypes(absl::string_view backup);

// The volume group of an LV device path: /dev/VG/LV or /dev/mapper/VG-LV
// ("--" is a "-" in a name); "" when DEVICE names neither.
std::string VolumeGroupOf(absl::string_view device);

// Parses fstab text: the (device, type) of the "/" and "/usr" entries.
std::vector<std::pair<std::string, std::string>> RootEntries(absl::string_view fstab);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_
