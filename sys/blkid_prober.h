// BlockProber: what is on a block device, in udev's property names.
//
// The uevent bridge probes each block device that appears, as udev's blkid
// builtin does, and puts the result into the device event's environment so
// that job files match on the same names in both stages:
//
//   ID_FS_TYPE, ID_FS_USAGE (filesystem|raid|crypto|other), ID_FS_VERSION,
//   ID_FS_UUID, ID_FS_UUID_ENC, ID_FS_UUID_SUB, ID_FS_UUID_SUB_ENC,
//   ID_FS_LABEL, ID_FS_LABEL_ENC,
//   ID_PART_TABLE_TYPE, ID_PART_TABLE_UUID (a partitioned whole disk),
//   ID_PART_ENTRY_UUID, ID_PART_ENTRY_NAME, ID_PART_ENTRY_TYPE,
//   ID_PART_ENTRY_NUMBER, ID_PART_ENTRY_SCHEME, ID_PART_ENTRY_OFFSET,
//   ID_PART_ENTRY_SIZE, ID_PART_ENTRY_DISK (a partition).
//
// *_ENC values are escaped as blkid_encode_string does (a byte that is not
// safe in a file name becomes \xNN: '/' is \x2f, ' ' is \x20); these are the
// names of the /dev/disk/by-* links. ID_FS_LABEL is blkid's "safe" form
// (white space becomes '_').
//
// For a RAID member (ID_FS_TYPE=linux_raid_member) ID_FS_UUID is the array's
// UUID; MD_UUID carries the same UUID in mdadm's form
// ("xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx", as `mdadm --examine --export`
// reports it for v1 superblocks), so the stage-1 bridge gives members the
// same MD_UUID udev's mdadm rules do.
//
// LibblkidProber (sys/libblkid_prober.h) is the real one; FakeBlockProber
// (sys/fake_block_prober.h, testonly) answers from a map.
#ifndef BATON_SYS_BLKID_PROBER_H_
#define BATON_SYS_BLKID_PROBER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace baton::sys {

// Property name → value, sorted by name.
using BlockProperties = std::map<std::string, std::string>;

class BlockProber {
 public:
  virtual ~BlockProber() = default;

  // Probes DEVNODE (a block device node, or a regular file holding an
  // image). Nothing recognised is an empty map, not an error; an error means
  // the device could not be opened or read (the message names it).
  virtual absl::StatusOr<BlockProperties> Probe(const std::string& devnode) = 0;
};

}  // namespace baton::sys

#endif  // BATON_SYS_BLKID_PROBER_H_
