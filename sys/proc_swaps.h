// /proc/swaps, the kernel's table of active swap areas:
//
//   Filename                Type       Size     Used  Priority
//   /dev/vda3               partition  1048572  0     -2
//   /swap\040file           file       65532    0     -3
//
// Names carry seq_file's octal escapes (proc_escape.h); sizes are KiB. Read
// by the shutdown (swapoff each) and by baton-mkinitramfs (RESUME=auto picks
// the largest partition).
#ifndef BATON_SYS_PROC_SWAPS_H_
#define BATON_SYS_PROC_SWAPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace baton::sys {

struct SwapArea {
  std::string path;      // decoded
  std::string type;      // "partition" or "file"
  uint64_t size_kib = 0;
  int priority = 0;
  bool operator==(const SwapArea& o) const {
    return path == o.path && type == o.type && size_kib == o.size_kib && priority == o.priority;
  }
};

// Every row after the header. A row whose size or priority is not a number
// keeps 0 there (the path still counts: swapoff needs only that).
std::vector<SwapArea> ParseProcSwaps(absl::string_view text);

}  // namespace baton::sys

#endif  // BATON_SYS_PROC_SWAPS_H_
