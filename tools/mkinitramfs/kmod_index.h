// Writer for the binary module indexes libkmod reads (modules.dep.bin,
// modules.alias.bin, …): depmod's "BOOTFAST" trie format, version 2.1.
//
//   u32 magic 0xB007F457, u32 version 0x00020001, u32 root offset   (big-endian)
//   node: [prefix\0] [first last child_offset[last-first+1]]
//         [value_count {priority value\0}[value_count]]
//
// A node's offset carries flags in its top nibble saying which parts are
// present (0x80 prefix, 0x40 values, 0x20 children). Children are written
// before their parent. Keys and values must be 7-bit ASCII; values of one key
// are kept sorted by priority (stable for equal priorities).
//
// An unpacked Debian kernel package ships no indexes (its postinst runs
// depmod), and stage 1's libkmod cannot resolve a MODALIAS without them, so
// baton-mkinitramfs writes its own (module_db.h).
#ifndef BATON_TOOLS_MKINITRAMFS_KMOD_INDEX_H_
#define BATON_TOOLS_MKINITRAMFS_KMOD_INDEX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

class KmodIndexWriter {
 public:
  KmodIndexWriter();
  ~KmodIndexWriter();

  // Adds VALUE under KEY. InvalidArgument for non-ASCII bytes.
  absl::Status Insert(absl::string_view key, absl::string_view value,
                      uint32_t priority = 0);

  // The whole index file.
  std::string Serialize() const;

  struct Node;  // the in-memory trie (kmod_index.cc)

 private:
  std::unique_ptr<Node> root_;
};

// depmod's underscores(): '-' becomes '_' except inside [...] ranges.
// InvalidArgument on an unmatched bracket.
absl::StatusOr<std::string> NormalizeAlias(absl::string_view alias);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_KMOD_INDEX_H_
