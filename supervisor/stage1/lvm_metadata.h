// LVM2's volume-group metadata text (what `vgcfgbackup` writes and what each
// PV's metadata area holds), parsed into the few facts that activating
// linear and striped logical volumes needs.
//
// The text format (lib/config/config.c in LVM2):
//   name = value           value: "string" (\" and \\ escaped), integer,
//                          or [ value, value, … ]
//   name { … }             a section
//   # comment              to the end of the line, outside strings
// Names hold letters, digits and _ + - . (LV names like "str--ipe" too).
// The metadata area holds one top-level section, the VG, next to a few
// top-level values (contents, version, description, creation_*):
//
//   vg0 {
//     id = "VcIyJE-…"  seqno = 8  extent_size = 2048  (sectors)
//     status = ["RESIZEABLE", "READ", "WRITE"]
//     physical_volumes { pv0 { id = "dQu5CT-…" device = "/dev/sda2"
//                              pe_start = 2048 (sectors) pe_count = 63 } }
//     logical_volumes { root { id = "…" status = ["READ", "WRITE", "VISIBLE"]
//       segment1 { start_extent = 0 extent_count = 10 type = "striped"
//                  stripe_count = 2 stripe_size = 128 (sectors)
//                  stripes = ["pv0", 0, "pv1", 0] } } }
//   }
//
// Errors name SOURCE (the device the text came from) and the line:
// "/dev/sda2: LVM metadata line 12: expected '=' or '{' after 'seqno'".
#ifndef BATON_SUPERVISOR_STAGE1_LVM_METADATA_H_
#define BATON_SUPERVISOR_STAGE1_LVM_METADATA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::stage1 {

// --- the generic tree ---------------------------------------------------------

struct LvmValue {
  enum class Kind { kString, kNumber, kArray };
  Kind kind = Kind::kString;
  std::string str;
  int64_t num = 0;
  std::vector<LvmValue> items;  // kArray
  int line = 0;
};

struct LvmSection {
  std::string name;
  int line = 0;
  std::vector<std::pair<std::string, LvmValue>> values;  // in file order
  std::vector<LvmSection> sections;                      // in file order

  const LvmValue* Find(absl::string_view key) const;
  const LvmSection* FindSection(absl::string_view key) const;
};

// Parses TEXT (trailing NULs ignored) into the top-level section (name "").
absl::StatusOr<LvmSection> ParseLvmText(absl::string_view text, absl::string_view source);

// --- the volume group -----------------------------------------------------------

struct LvmPv {
  std::string key;     // "pv0": how segments name it
  std::string id;      // "dQu5CT-2JFH-…" as written (with dashes)
  std::string device;  // the hint lvm recorded ("/dev/sda2"), not trusted
  uint64_t pe_start = 0;  // sectors
  uint64_t pe_count = 0;
  bool missing = false;   // status MISSING
};

struct LvmStripe {
  std::string pv;  // a key of LvmVg::pvs ("pv0")
  uint64_t start_extent = 0;
};

struct LvmSegment {
  uint64_t start_extent = 0;
  uint64_t extent_count = 0;
  std::string type;          // "striped", "thin", "raid1", …
  uint64_t stripe_size = 0;  // sectors; only with more than one stripe
  std::vector<LvmStripe> stripes;
  int line = 0;
};

struct LvmLv {
  std::string name;
  std::string id;
  std::vector<std::string> status;
  bool visible = false;   // VISIBLE
  bool writable = false;  // WRITE
  std::vector<LvmSegment> segments;  // sorted by start_extent
};

struct LvmVg {
  std::string name;
  std::string id;
  uint64_t seqno = 0;
  uint64_t extent_size = 0;  // sectors
  std::vector<std::string> status;
  bool writable = false;  // WRITE
  bool exported = false;  // EXPORTED
  std::string system_id;  // "" unless the VG is bound to a host
  std::string lock_type;  // "" unless shared (lvmlockd)
  std::vector<LvmPv> pvs;
  std::vector<LvmLv> lvs;

  const LvmPv* FindPv(absl::string_view key) const;
};

// The VG described by the metadata TEXT read from SOURCE. Segments other
// than "striped" are kept with their type (activation decides what it can
// do); a striped segment's stripes must name PVs of the VG and its
// extent_count must split evenly across them.
absl::StatusOr<LvmVg> ParseLvmVg(absl::string_view text, absl::string_view source);

// "dQu5CT-2JFH-…" → "dQu5CT2JFH…".
std::string LvmUuidWithoutDashes(absl::string_view uuid);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_LVM_METADATA_H_
