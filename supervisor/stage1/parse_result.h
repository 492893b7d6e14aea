// What the config-file parsers (fstab, crypttab, mdadm.conf) return: the good
// entries plus one Status per bad line. A bad line never hides the good ones:
// stage 1 acts on what it could read and logs the rest.
#ifndef BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_
#define BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace baton::stage1 {

// An InvalidArgument "FILE:LINE: MESSAGE".
inline absl::Status LineError(absl::string_view file, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", message));
}

template <typename Entry>
struct ParseResult {
  std::vector<Entry> entries;       // the lines that parsed, in file order
  std::vector<absl::Status> errors; // one per bad line, "file:line: message"

  // OK when every line parsed; otherwise the first error, with " (and N more)"
  // appended when there are others.
  absl::Status status() const {
    if (errors.empty()) return absl::OkStatus();
    if (errors.size() == 1) return errors.front();
    return absl::Status(errors.front().code(),
                        absl::StrCat(errors.front().message(), " (and ",
                                     errors.size() - 1, " more)"));
  }
};

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_
