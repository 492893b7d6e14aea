// Device events as the kernel (and udevd) send them over netlink.
//
// Two wire formats arrive on a NETLINK_KOBJECT_UEVENT socket:
//
//  * the kernel's (multicast group 1): "ACTION@DEVPATH\0KEY=VALUE\0KEY=VALUE\0…"
//    e.g. "add@/devices/…/block/vda\0ACTION=add\0DEVPATH=/devices/…/vda\0
//    SUBSYSTEM=block\0MAJOR=254\0MINOR=0\0DEVNAME=vda\0DEVTYPE=disk\0SEQNUM=812\0";
//  * libudev's (group 2, sent by udevd after its rules ran): a 40-byte header
//    ("libudev\0", magic 0xfeedcafe in network byte order, header size,
//    properties offset and length, filter hashes) followed by the same
//    NUL-separated KEY=VALUE list, with udev's properties (ID_FS_*, DEVLINKS…)
//    and DEVNAME as a full /dev path.
//
// ParseUevent accepts both and rejects anything malformed with an
// InvalidArgument status; it never reads out of bounds, whatever the bytes.
#ifndef BATON_SUPERVISOR_UEVENT_H_
#define BATON_SUPERVISOR_UEVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/event.h"

namespace baton::supervisor {

struct Uevent {
  std::string action;     // add, remove, change, move, online, offline, bind, unbind
  std::string devpath;    // "/devices/…", relative to /sys
  std::string subsystem;  // "block", "pci", "virtio"…
  std::string devtype;    // "disk", "partition"… or empty
  std::string devname;    // as sent: "vda" from the kernel, "/dev/vda" from udevd
  std::optional<uint32_t> major;
  std::optional<uint32_t> minor;
  std::optional<uint64_t> seqnum;
  std::string modalias;
  bool from_udevd = false;  // libudev format
  // Every KEY=VALUE of the datagram, in order (the fields above included).
  Env props;

  std::optional<absl::string_view> Get(absl::string_view key) const;
};

// Parses one datagram in either format. Requires ACTION, DEVPATH (starting
// with '/') and SUBSYSTEM; in the kernel format the "ACTION@DEVPATH" head
// must agree with the ACTION and DEVPATH properties. MAJOR, MINOR and SEQNUM
// must be decimal when present. Every property must be KEY=VALUE with KEY a
// name ([A-Za-z_][A-Za-z0-9_]*); empty entries (the trailing NUL) are
// skipped.
absl::StatusOr<Uevent> ParseUevent(absl::string_view datagram);

// Builds a Uevent from a property list (ACTION, DEVPATH, SUBSYSTEM… among
// PROPS), with the same checks as ParseUevent.
absl::StatusOr<Uevent> UeventFromProps(Env props, bool from_udevd = false);

// The kernel's wire format of EVENT: "ACTION@DEVPATH\0" then every property.
std::string EncodeKernelUevent(const Uevent& event);

// The KEY=VALUE lines of a sysfs `uevent` file ("MAJOR=254\nMINOR=0\n…");
// lines that are not assignments are skipped.
Env ParseUeventFile(absl::string_view contents);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_UEVENT_H_
