// The newc ("070701") cpio format the kernel unpacks into the initramfs.
//
// WriteCpio is reproducible: entries are sorted by path, missing parent
// directories are created (0755), owners are 0:0, every mtime is the one
// given (SOURCE_DATE_EPOCH), inode numbers count up from 1 in path order,
// and there are no hardlinks. The same entries give the same bytes.
//
// ReadCpio reads what WriteCpio (or any newc/crc writer) produced,
// including several archives back to back (an early-microcode archive in
// front of the main one), for `baton-mkinitramfs --list`.
#ifndef BATON_TOOLS_MKINITRAMFS_CPIO_H_
#define BATON_TOOLS_MKINITRAMFS_CPIO_H_

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

struct CpioEntry {
  std::string path;  // absolute image path, e.g. "/dev/console"
  uint32_t mode = 0;  // st_mode: file type and permission bits
  std::string data;  // regular file: contents; symlink: target
  uint32_t rdev_major = 0;  // character/block devices
  uint32_t rdev_minor = 0;
  // Filled by ReadCpio only.
  uint32_t ino = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mtime = 0;
};

// Serializes ENTRIES as one newc archive ending in TRAILER!!!.
// InvalidArgument on a duplicate path, a relative path, a regular file or
// symlink at a path that other entries use as a directory, or a mode
// without a file type.
absl::StatusOr<std::string> WriteCpio(std::vector<CpioEntry> entries,
                                      uint32_t mtime);

// Parses DATA (uncompressed). DataLoss on a bad magic or a truncated entry.
absl::StatusOr<std::vector<CpioEntry>> ReadCpio(absl::string_view data);

// One line per entry: "MODE SIZE PATH" with MODE in octal (6 digits), plus
// " -> TARGET" for symlinks and " c MAJ,MIN" for devices.
std::string FormatListing(const std::vector<CpioEntry>& entries);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_CPIO_H_
