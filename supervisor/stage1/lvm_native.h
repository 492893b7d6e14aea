// Activating LVM2 linear and striped logical volumes without the lvm tool:
// read the PV label and the VG metadata from the disks, compute the
// device-mapper tables, make the devices (dm.h).
//
// ON DISK (LVM2 lib/format_text/layout.h, lib/label/label.h):
//  * the label: a 512-byte sector among the first four holding
//      "LABELONE" sector_xl(u64) crc_xl(u32) offset_xl(u32) "LVM2 001"
//    then at offset_xl the pv_header: pv uuid (32 chars, no dashes),
//    device size (bytes), the data areas and then the metadata areas, each
//    a list of {offset, size} (bytes, little-endian u64) ended by {0, 0}.
//    crc_xl covers the sector from byte 20 to its end.
//  * a metadata area: a 512-byte header
//      checksum(u32) " LVM2 x[5A%r0N*>" version(u32, 1) start(u64)
//      size(u64) raw_locn[]: {offset(u64), size(u64), checksum(u32),
//      flags(u32)}
//    (checksum over bytes 4..511; start is the area's own offset). The
//    first raw_locn locates the current metadata text, relative to start,
//    in the circular buffer that follows the header: text running past the
//    area's end continues right after the header. flags bit 0 (IGNORED):
//    this copy is not used (pvchange --metadataignore). The header's start
//    and size must match the label's area; a text over 16 MiB is refused.
//  * checksums: LVM's calc_crc, a reflected CRC-32 (polynomial 0xEDB88320)
//    started at 0xf597a6cf, with no final inversion. All three (label,
//    area header, metadata text) are verified; a mismatch is an error
//    naming the device.
//
// TABLES. With extent_size E (sectors) and a PV's pe_start P, segment s of
// an LV becomes the target
//   start = s.start_extent * E, length = s.extent_count * E
//   one stripe:  linear MAJ:MIN (P + stripe.start_extent * E)
//   N stripes:   striped N stripe_size MAJ:MIN off … (one pair a stripe)
// The dm name is VG-LV with each '-' inside VG and LV doubled (vg-a,lv-b →
// "vg--a-lv--b"), the uuid "LVM-" + VG id + LV id, both without dashes, as
// lvm makes them. An LV without WRITE (or in a VG without WRITE) is made
// read-only. Segment types other than striped (thin, raid*, mirror, cache,
// snapshot, vdo, …) are not handled: such an LV is skipped with a log line
// saying the lvm tool is needed (an image built with --storage-tools all).
#ifndef BATON_SUPERVISOR_STAGE1_LVM_NATIVE_H_
#define BATON_SUPERVISOR_STAGE1_LVM_NATIVE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/dm.h"
#include "supervisor/stage1/lvm_metadata.h"
#include "sys/kernel.h"

namespace baton::stage1 {

inline constexpr uint32_t kLvmCrcInitial = 0xf597a6cf;
// LVM's calc_crc.
uint32_t LvmCrc(uint32_t crc, absl::string_view data);

struct LvmDiskArea {
  uint64_t offset = 0;  // bytes from the start of the device
  uint64_t size = 0;    // bytes; 0 for a data area: to the end
};

struct LvmLabel {
  uint64_t sector = 0;      // where LABELONE is (0..3)
  std::string pv_uuid;      // 32 characters, no dashes
  uint64_t device_size = 0; // bytes
  std::vector<LvmDiskArea> data_areas;
  std::vector<LvmDiskArea> metadata_areas;
};

// How many bytes of the device's start ParseLvmLabel needs (four sectors).
inline constexpr size_t kLvmLabelScanBytes = 2048;

// The label in HEAD (the device's first bytes, at least kLvmLabelScanBytes
// unless the device is smaller). NotFound when there is no LABELONE sector;
// InvalidArgument naming DEVICE for a damaged one.
absl::StatusOr<LvmLabel> ParseLvmLabel(absl::string_view head, absl::string_view device);

// Reads LEN bytes at OFFSET (fewer only at the end of the device).
using LvmReadAt = std::function<absl::StatusOr<std::string>(uint64_t offset, size_t len)>;

// The current metadata text of the area AREA, or nullopt when the area
// holds none (a fresh PV of no VG, or an ignored copy). Errors name DEVICE.
absl::StatusOr<std::optional<std::string>> ReadLvmMetadataText(const LvmReadAt& read,
                                                               const LvmDiskArea& area,
                                                               absl::string_view device);

// One PV as read from its device.
struct LvmPvRead {
  std::string device;  // the path read
  dev_t dev = 0;       // its st_rdev
  LvmLabel label;
  std::optional<LvmVg> vg;  // from the newest metadata area copy, if any
};

// Reads DEVICE (a block device node) with KERNEL: label, then each metadata
// area (the copy with the highest seqno wins). NotFound when it has no label.
absl::StatusOr<LvmPvRead> ReadLvmPv(sys::Kernel& kernel, const std::string& device);

// Whether the device read by READ, SIZE bytes long, carries an md superblock
// at its end (metadata 0.90 or 1.0): then it is a RAID member whose data
// starts at 0, and an LVM label seen on it belongs to the array, not to it.
bool HasMdSuperblockAtEnd(const LvmReadAt& read, uint64_t size);

// "vg-a", "lv" → "vg--a-lv".
std::string LvmDmName(absl::string_view vg, absl::string_view lv);
// "LVM-" + ids without dashes.
std::string LvmDmUuid(const LvmVg& vg, const LvmLv& lv);

// What to do with one LV.
struct LvmLvPlan {
  enum class Outcome {
    kActivate,     // DEVICE is ready to be made
    kHidden,       // not VISIBLE (a sub-volume of another LV)
    kUnsupported,  // a segment type this code does not make
    kMissingPv,    // a PV it needs has not been seen (yet)
  };
  Outcome outcome = Outcome::kActivate;
  std::string why;  // for kUnsupported / kMissingPv: the type / the PV
  DmDevice device;
};

// PV_DEVS: PV uuid (no dashes) → the dev_t of the device that carries it.
LvmLvPlan PlanLvmLv(const LvmVg& vg, const LvmLv& lv, const std::map<std::string, dev_t>& pv_devs);

// --- activation ---------------------------------------------------------------
//
// ActivateLvmNative(DEVNAME): reads the PV at DEVNAME. Its VG comes from its
// own metadata, or (a PV made with --metadatacopies 0) from another PV's.
// When the VG has other PVs they are looked for among the block devices the
// kernel lists in SYS_CLASS_BLOCK (/sys/class/block: every disk, partition,
// md array and dm device, whatever made its /dev node), each read at
// DEV_DIR/NAME; skipped: devices of size 0, suspended dm devices (a read
// would block), md arrays that are not running, and RAID members (an md
// holder, or an md superblock at the end). The newest metadata (highest
// seqno) among the VG's PVs wins. This needs no state between runs and no
// udev database: each PV's arrival runs it again, and the run of the last
// PV an LV needs sees all of them.
//
// Then, for each LV passing the filter (below), in metadata order:
//   not VISIBLE                 skipped silently
//   a segment type not handled  "vg0/pool: segment type thin-pool needs the lvm tool …"
//   a PV not seen yet           "vg0/root waits for PV xxxx" (activated by a later run)
//   dm name exists, same uuid   "already active" (idempotent)
//   dm name exists, other uuid  logged, left alone
//   else                        ActivateDm; "activated vg0/root as /dev/mapper/vg0-root (253:0)"
// A VG marked EXPORTED, or bound to a system_id or lock_type, is not touched
// (lvm decides those). Returns false when reading DEVNAME failed or a device
// could not be made; waiting for PVs is no failure.
struct LvmNativeRequest {
  std::string devname;
  // rd.lvm.vg= / rd.lvm.lv= (VG/LV); with FILTERED false every LV passes.
  bool filtered = false;
  std::vector<std::string> vgs;
  std::vector<std::string> lvs;
  std::string sys_class_block = "/sys/class/block";
  std::string dev_dir = "/dev";
};

bool ActivateLvmNative(sys::Kernel& kernel, const std::function<void(const std::string&)>& log,
                       const LvmNativeRequest& request);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_LVM_NATIVE_H_
