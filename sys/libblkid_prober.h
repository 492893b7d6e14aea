// LibblkidProber: the BlockProber (sys/blkid_prober.h) over libblkid.
//
// Probes as udev's blkid builtin does: superblocks with label, UUID, type,
// secondary type, usage and version; partitions with entry details, so a
// partition node also reports its entry in the parent's table (libblkid
// finds the whole disk through sysfs). A small (≤ 1.44 MB) whole disk that
// carries a partition table is not probed for filesystems. Probing is "safe"
// (blkid_do_safeprobe): ambiguous signatures give no ID_FS_TYPE rather than a
// guess.
//
// Opens the node read-only with O_CLOEXEC for the duration of one Probe().
#ifndef BATON_SYS_LIBBLKID_PROBER_H_
#define BATON_SYS_LIBBLKID_PROBER_H_

#include <string>

#include "sys/blkid_prober.h"

namespace baton::sys {

class LibblkidProber : public BlockProber {
 public:
  absl::StatusOr<BlockProperties> Probe(const std::string& devnode) override;
};

// mdadm's form of a UUID: the 32 hex digits of UUID (dashes dropped) in
// four colon-separated groups of eight. nullopt-like empty string when UUID
// does not hold exactly 32 hex digits. Exposed for tests.
std::string MdadmUuid(const std::string& uuid);

}  // namespace baton::sys

#endif  // BATON_SYS_LIBBLKID_PROBER_H_
