// The kernel's octal escapes in /proc tables (mountinfo, /proc/swaps):
// seq_file's mangle_path writes \040 for a space, \011 tab, \012 newline,
// \134 backslash. A pure function, for LinuxKernel::Mounts and the shutdown's
// /proc/swaps reader alike.
#ifndef BATON_SYS_PROC_ESCAPE_H_
#define BATON_SYS_PROC_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace baton::sys {

// FIELD with each \ooo (first digit 0-3) replaced by its byte; anything else
// is kept as it is.
inline std::string UnescapeProcField(absl::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

}  // namespace baton::sys

#endif  // BATON_SYS_PROC_ESCAPE_H_
