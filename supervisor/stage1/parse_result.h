// What the config-file parsers (fstab, crypttab, mdadm.conf) return: the good
// entries plus one Status per bad line. A bad line never hides the good ones:
// stage 1 acts on what it could read and logs the rest.
#ifndef BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_
#define BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// Parses a table of whitespace-separated fields (fstab, crypttab): `split`
// turns one line into fields (empty for blank and comment lines), a line with
// one field gets "<missing_second>", more than `max_fields` gets "too many
// fields", and every other line goes to `parse_line(line_number, fields)`,
// whose error message is reported as "file:line: message".
template <typename Entry, typename Split, typename ParseLine>
ParseResult<Entry> ParseTable(absl::string_view text, absl::string_view file, size_t max_fields,
                              absl::string_view missing_second, Split split,
                              ParseLine parse_line) {
  ParseResult<Entry> result;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    std::vector<absl::string_view> f = split(line);
    if (f.empty()) continue;
    if (f.size() < 2) {
      result.errors.push_back(LineError(file, n, missing_second));
      continue;
    }
    if (f.size() > max_fields) {
      result.errors.push_back(LineError(
          file, n, absl::StrCat("too many fields (", f.size(), ", at most ", max_fields, ")")));
      continue;
    }
    absl::StatusOr<Entry> entry = parse_line(n, f);
    if (entry.ok()) {
      result.entries.push_back(*std::move(entry));
    } else {
      result.errors.push_back(LineError(file, n, entry.status().message()));
    }
  }
  return result;
}

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_PARSE_RESULT_H_
