// The command line of baton-mkinitramfs:
//
//   baton-mkinitramfs -o IMAGE [--kver VER] [--modules-dir DIR] [--generic]
//       [--with-udevd] [--compress zstd|gzip|xz|lz4|none] [--jobs DIR]…
//       [--include HOSTPATH[:IMAGEPATH]]… [--init PATH] [--initctl PATH]
//       [--sysroot DIR] [--extra-module NAME]… [--storage-tools auto|all|native]
//       [--keymap FILE|NAME|none]
//   baton-mkinitramfs --list IMAGE
//
// Options take their value as the next word or after '='.
#ifndef BATON_TOOLS_MKINITRAMFS_CLI_H_
#define BATON_TOOLS_MKINITRAMFS_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/mkinitramfs/image.h"

namespace baton::mkinitramfs {

struct CommandLine {
  ImageOptions image;
  std::string list;  // --list IMAGE
  bool help = false;
};

extern const char kUsage[];

// ARGS excludes argv[0]. SELF_DIR (the directory of this program) gives the
// default --init (SELF_DIR/baton) when it exists; without --initctl,
// /sbin/initctl is a link to /init. SOURCE_DATE_EPOCH is taken from SOURCE_DATE_EPOCH (may be null).
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                             const std::string& self_dir,
                                             const char* source_date_epoch);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_CLI_H_
