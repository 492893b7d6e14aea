// /etc/fstab, as stage 1 reads it from the real root (to find /usr, fsck
// passes and mount options for the root) and from the initramfs.
//
// Format (fstab(5)): one entry per line, fields separated by spaces or tabs:
//   SPEC FILE [VFSTYPE [MNTOPTS [FREQ [PASSNO]]]]
// '#' starts a comment line; blank lines are skipped. Missing trailing fields
// default: VFSTYPE "auto", MNTOPTS "defaults", FREQ 0, PASSNO 0. Octal escapes
// in the text fields (\040 space, \011 tab, \012 newline, \134 backslash, any
// \NNN) are decoded; a '\' not followed by three octal digits stays as
// written (as util-linux does). Bad lines (one field, more than six, a
// non-numeric FREQ/PASSNO) are reported as "FILE:LINE: …" and skipped.
#ifndef BATON_SUPERVISOR_STAGE1_FSTAB_H_
#define BATON_SUPERVISOR_STAGE1_FSTAB_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "supervisor/stage1/parse_result.h"

namespace baton::stage1 {

struct FstabEntry {
  std::string spec;         // the device (see root_spec.h), decoded
  std::string mount_point;  // decoded
  std::string fstype = "auto";
  std::string options = "defaults";
  int freq = 0;
  int passno = 0;
  int line = 0;  // 1-based line number in the file

  // The comma-separated options, in order.
  std::vector<std::string> OptionList() const;
  // True when NAME (or NAME=…) is among the options.
  bool HasOption(absl::string_view name) const;
  // The value of the last NAME=VALUE option; nullopt when absent.
  std::optional<std::string> OptionValue(absl::string_view name) const;
};

// Parses TEXT; FILE names it in error messages.
ParseResult<FstabEntry> ParseFstab(absl::string_view text, absl::string_view file);

// Decodes fstab's octal escapes ("\040" -> ' '). Shared with crypttab.
std::string DecodeOctalEscapes(absl::string_view s);

// Splits LINE into fields at runs of spaces and tabs; none when LINE is blank or
// a comment ('#' as the first non-blank character). Shared with crypttab.
std::vector<absl::string_view> SplitTableLine(absl::string_view line);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_FSTAB_H_
