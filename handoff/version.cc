#include "handoff/version.h"

#include "absl/strings/str_cat.h"

namespace baton::handoff {

VersionCheck CheckVersions(uint32_t format_version, uint32_t min_reader_version,
                           uint32_t reader_version) {
  VersionCheck check;
  if (format_version == 0 || min_reader_version == 0) {
    check.reason = "handoff has no format version";
    return check;
  }
  if (min_reader_version > reader_version) {
    check.reason = absl::StrCat("handoff needs reader version ", min_reader_version, " (format ",
                                format_version, "), this reader is version ", reader_version);
    return check;
  }
  check.accepted = true;
  if (format_version > reader_version) {
    check.warning =
        absl::StrCat("version skew: handoff format ", format_version, ", reader version ",
                     reader_version, "; fields this reader does not know are kept unread");
  }
  return check;
}

}  // namespace baton::handoff
