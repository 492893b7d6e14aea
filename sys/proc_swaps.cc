#include "sys/proc_swaps.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sys/proc_escape.h"

namespace baton::sys {

std::vector<SwapArea> ParseProcSwaps(absl::string_view text) {
  std::vector<SwapArea> areas;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (header) {  // "Filename Type Size Used Priority"
      header = false;
      continue;
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"),
                                                           absl::SkipEmpty());
    if (fields.empty()) continue;
    SwapArea area;
    area.path = UnescapeProcField(fields[0]);
    if (fields.size() > 1) area.type = std::string(fields[1]);
    if (fields.size() > 2 && !absl::SimpleAtoi(fields[2], &area.size_kib)) area.size_kib = 0;
    if (fields.size() > 4 && !absl::SimpleAtoi(fields[4], &area.priority)) area.priority = 0;
    areas.push_back(std::move(area));
  }
  return areas;
}

}  // namespace baton::sys
