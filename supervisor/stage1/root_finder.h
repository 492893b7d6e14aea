// Recognising the root (and /usr) among the block devices the uevent bridge
// reports, and turning mount options as users write them into mount(2)
// arguments. Pure functions over udev properties: no syscalls here.
//
// A device is the one wanted when its RootSpec matches (root_spec.h) AND it
// carries a filesystem that can be mounted. A RAID member
// (linux_raid_member), a LUKS container (crypto_LUKS), an LVM physical volume
// (LVM2_member), swap, or a device with no ID_FS_TYPE is never mounted even
// when the spec matches (e.g. root=/dev/vda names a disk that turned out to
// be a RAID member): the assembly jobs turn it into the device that is.
#ifndef BATON_SUPERVISOR_STAGE1_ROOT_FINDER_H_
#define BATON_SUPERVISOR_STAGE1_ROOT_FINDER_H_

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/root_spec.h"

namespace baton::stage1 {

// True for ID_FS_TYPE values that are filesystems to mount (not empty, not a
// container or member type listed above).
bool IsMountableFilesystem(absl::string_view fs_type);

// A device chosen for mounting.
struct FoundDevice {
  std::string devname;  // "/dev/vda1"
  std::string fs_type;  // ID_FS_TYPE
  Env env;              // the device's properties
};

// SPEC's device, when ENV is it and holds a mountable filesystem.
std::optional<FoundDevice> MatchDevice(const RootSpec& spec, const Env& env);

// The first device in DEVICES (node -> properties, the bridge's
// BlockDevices()) that MatchDevice accepts.
std::optional<FoundDevice> FindDevice(const RootSpec& spec,
                                      const std::map<std::string, Env>& devices);

// For the "root not found" message, one line per device, sorted by node:
//   "  /dev/vda1  TYPE=ext4 UUID=… LABEL=… PARTUUID=…"  (absent keys left out)
// or "  (no block devices were seen)".
std::string DescribeDevices(const std::map<std::string, Env>& devices);

// mount(2) arguments from a comma-separated option list (fstab's fourth
// field, rootflags=). Flag options become MS_* bits (ro rw nosuid suid nodev
// dev noexec exec sync async dirsync noatime atime nodiratime diratime
// relatime norelatime strictatime lazytime nolazytime silent loud mand
// nomand); "defaults", "auto", "noauto", "nofail", "user", "nouser",
// "_netdev" and "x-*" options are mount(8)'s business and dropped; the rest
// is passed on as data, in order ("errors=remount-ro,commit=5").
struct MountArgs {
  unsigned long flags = 0;
  std::string data;
};
MountArgs ParseMountOptions(absl::string_view options);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_ROOT_FINDER_H_
