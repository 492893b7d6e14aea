// Compressing the image, and recognising and undoing compression for
// `--list`, through the host's tools (zstd, gzip, xz, lz4) run as filters
// over pipes. baton-mkinitramfs is a host tool, so plain fork/exec is fine
// here.
//
// The settings are the ones the kernel's decompressors accept and that keep
// the output reproducible:
//   zstd  -10 --long=24 -T1   a 16 MiB window: 9 % smaller than -10 alone
//                    on the plain image (13 MB) at the same speed; the kernel
//                    allocates that window while unpacking. -T0 gives the same
//                    bytes and no speed-up (one job covers the archive). -19
//                    is ~10 % smaller but ~10x slower
//   gzip  -9 -n      no name or timestamp in the header
//   xz    --check=crc32 --lzma2=dict=1MiB   the kernel rejects crc64
//   lz4   -l -9      the legacy frame format is the only one the kernel reads
#ifndef BATON_TOOLS_MKINITRAMFS_COMPRESS_H_
#define BATON_TOOLS_MKINITRAMFS_COMPRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::mkinitramfs {

enum class Compression { kNone, kZstd, kGzip, kXz, kLz4 };

// "zstd" | "gzip" | "xz" | "lz4" | "none".
absl::StatusOr<Compression> ParseCompression(absl::string_view name);
const char* CompressionName(Compression c);

// From the first bytes of DATA; kNone when no known magic is there.
Compression DetectCompression(absl::string_view data);

absl::StatusOr<std::string> Compress(absl::string_view data, Compression c);

// Undoes whatever DetectCompression sees; returns DATA as is for kNone.
absl::StatusOr<std::string> Decompress(absl::string_view data);

// Runs ARGV (argv[0] looked up in PATH) with INPUT on stdin and returns its
// stdout. An error when it cannot be started (naming the tool) or exits
// non-zero (with its stderr).
absl::StatusOr<std::string> RunFilter(const std::vector<std::string>& argv,
                                      absl::string_view input);

}  // namespace baton::mkinitramfs

#endif  // BATON_TOOLS_MKINITRAMFS_COMPRESS_H_
