// The console keymap, loaded before anything asks for input.
//
// A passphrase typed on a German or French keyboard is not the passphrase
// when the kernel still maps keys as a US keyboard: initramfs-tools carries
// the console keymap (KEYMAP=y, which cryptsetup-initramfs turns on) and
// dracut's i18n module does the same. baton-mkinitramfs puts the build
// host's keymap at kImageKeymap, compiled by kbd's `loadkeys -b` into the
// binary keymap format (tools/mkinitramfs/keymap.h); stage 1 loads it into
// the kernel with KDSKBENT (sys::Kernel::SetKeyboardEntries) before the
// uevent bridge starts, so before any unlock job can prompt.
//
// The format (kbd's lk_dump_bkeymap, busybox's loadkmap/dumpkmap):
//   "bkeymap"                      7 bytes
//   one byte per table 0..255      1: the table is in the file
//   for each table present, in order: KEYS values, u16 little-endian
// KEYS is 128 from kbd and busybox; the file's size says which (128 or 256).
//
// As `loadkeys` with a "keymaps" line: every key of every table in the file
// is written, and each table 1..255 not in the file is freed (index 0,
// K_NOSUCHMAP), so no key of the kernel's built-in map is left behind.
// Values the kernel refuses (EINVAL) are counted and skipped; the rest is
// loaded. The keyboard mode is left as the kernel set it (Unicode with
// vt.default_utf8=1, the default), as console-setup's kbd_mode -u would.
#ifndef BATON_SUPERVISOR_STAGE1_KEYMAP_H_
#define BATON_SUPERVISOR_STAGE1_KEYMAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sys/kernel.h"

namespace baton::stage1 {

inline constexpr char kImageKeymap[] = "/etc/baton/keymap.bmap";
// The VT the keymap is set through (any VT sets the one shared table).
inline constexpr char kKeymapTty[] = "/dev/tty0";

struct BinaryKeymap {
  int keys = 0;                          // per table: 128 or 256
  std::vector<uint8_t> tables;           // present ones, ascending
  std::vector<std::vector<uint16_t>> values;  // values[i]: table tables[i]
};

// Parses DATA (NAME is used in errors: "NAME: …, at byte N").
absl::StatusOr<BinaryKeymap> ParseBinaryKeymap(absl::string_view data, absl::string_view name);

// What loads KEYMAP: each present table's keys, then a free of each absent
// table 1..255.
std::vector<sys::Kernel::KeyboardEntry> KeymapEntries(const BinaryKeymap& keymap);

// Loads kImageKeymap when the image has one. Returns the line to log:
// empty when there is no keymap file, else what was loaded or why not (no
// VT: a serial-only machine needs none; a damaged file names the byte).
std::string LoadImageKeymap(sys::Kernel& kernel);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_KEYMAP_H_
