// Reading a whole file of the build host (or of --sysroot), for the image
// builder's modules, configs and keymaps.
#ifndef BATON_TOOLS_MKINITRAMFS_HOST_FILE_H_
#define BATON_TOOLS_MKINITRAMFS_HOST_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace baton::mkinitramfs {

// PATH's bytes; an error naming PATH (with open's errno) when it cannot be
// opened.
absl::StatusOr<std::string> ReadHostFile(const std::string& path);

// ReadHostFile's bytes, or "" when the file cannot be opened.
std::string ReadHostFileOrEmpty(const std::string& path);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_HOST_FILE_H_
