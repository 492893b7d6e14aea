// What the host's own configuration says its root needs: read from
// /etc/fstab, /etc/crypttab, /etc/mdadm/mdadm.conf and /etc/lvm/backup
// (under a sysroot when given). Host-only images take only these parts of
// the storage stack.
//
// Each /etc/lvm/backup file the root's VGs need is read once, here, with
// stage 1's metadata parser (supervisor/stage1/lvm_metadata.h); both choices
// that depend on it come from HostStack::lvm_backups: the device-mapper
// targets (LvmSegmentTypes → image.h's LvmModules) and whether the lvm tool
// goes in (storage_tools.h's ChooseStorageTools).
#ifndef BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_
#define BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/lvm_metadata.h"

namespace baton::mkinitramfs {

// What is known about one VG from its metadata: enough to pick its
// device-mapper targets and to tell whether stage 1's native activation
// (supervisor/stage1/lvm_native.h) handles it.
struct LvmVgFacts {
  std::string name;
  std::string source;  // "/etc/lvm/backup/vg0", "the PV /dev/sda2"
  bool exported = false;
  std::string system_id;
  std::string lock_type;
  struct Segment {
    std::string lv;
    bool visible = false;
    std::string type;  // "striped", "thin"…; kNoSegments for an LV without any
  };
  std::vector<Segment> segments;  // every LV's, hidden LVs too
};
inline constexpr char kNoSegments[] = "(no segments)";

// From a backup's text (lvm_metadata.h's generic parser: a backup need not
// carry what activation needs, only the types and flags). Errors name SOURCE
// and the line.
absl::StatusOr<LvmVgFacts> LvmVgFactsFromText(absl::string_view text, absl::string_view source);
// From a VG read off a PV (lvm_native.h's ReadLvmPv).
LvmVgFacts LvmVgFactsFromVg(const stage1::LvmVg& vg, absl::string_view source);

// One file of /etc/lvm/backup (lvm rewrites it after every metadata change),
// read and parsed once.
struct LvmBackup {
  std::string vg;    // the file's name: the VG lvm wrote it for
  std::string path;  // SYSROOT/etc/lvm/backup/VG
  // Set when the file was read and parsed.
  std::optional<LvmVgFacts> facts;
  // Without FACTS: "" when the file does not exist, else why it is not
  // usable: a read error naming PATH, or the parser's "PATH: LVM metadata
  // line N: …".
  std::string error;
};

// VG and PATH with FACTS (or ERROR) parsed from TEXT.
LvmBackup LvmBackupFromText(const std::string& vg, const std::string& path,
                            absl::string_view text);

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
  // The VGs of an LV root named /dev/VG/LV or /dev/mapper/VG-LV; with
  // LVM_EVERY_VG (a UUID=/LABEL= root on an LV) every VG counts.
  std::set<std::string> lvm_vgs;
  bool lvm_every_vg = false;
  // SYSROOT/etc/lvm/backup/VG of each VG of LVM_VGS (found or not) and,
  // with LVM_EVERY_VG, of every file there; sorted by VG, one each. Empty
  // unless LVM.
  std::vector<LvmBackup> lvm_backups;
  // Key files named in crypttab's third column; "none", "-", empty and
  // devices (/dev/…) are left out.
  std::vector<std::string> key_files;
};

// Reads SYSROOT/etc/{fstab,crypttab,mdadm/mdadm.conf} and, for an LVM root,
// SYSROOT/etc/lvm/backup (see HostStack::lvm_backups); missing files mean
// "not used". A backup that cannot be read or parsed is not an error here:
// it is kept in lvm_backups with its error, which makes every target go in
// and keeps the lvm tool with that error as the reason.
//
// LVM is recognised from the root device's name (/dev/mapper/VG-LV not
// listed in crypttab, or /dev/VG/LV) or, for a UUID=/LABEL= root on the
// running host (empty sysroot), from a device-mapper device in SYSFS whose
// dm/uuid starts with "LVM-".
absl::StatusOr<HostStack> ReadHostStack(const std::string& sysroot,
                                        const std::string& sysfs = "/sys");

// "raid5", "5", "mirror"… -> the md module for that level ("raid456",
// "raid1"…), or "" when unknown.
std::string RaidModuleForLevel(absl::string_view level);

// The segment types of every LV in STACK's backups ("striped", "thin",
// "raid1"…): what the image's device-mapper targets are chosen from. Empty,
// meaning unknown (every target goes in), when there is no backup, one is
// missing or unusable, or one lists no segment at all. LVs without segments
// add nothing (they cannot be activated anyway).
std::set<std::string> LvmSegmentTypes(const HostStack& stack);

// The volume group of an LV device path: /dev/VG/LV or /dev/mapper/VG-LV
// ("--" is a "-" in a name); "" when DEVICE names neither.
std::string VolumeGroupOf(absl::string_view device);

// Parses fstab text: the (device, type) of the "/" and "/usr" entries.
std::vector<std::pair<std::string, std::string>> RootEntries(absl::string_view fstab);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_HOST_CONFIG_H_
