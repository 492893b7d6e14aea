#include "supervisor/stage1/fstab.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace baton::stage1 {

std::string DecodeOctalEscapes(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
        octal(s[i + 2]) && octal(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
                                      (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<absl::string_view> SplitTableLine(absl::string_view line) {
  absl::string_view stripped = absl::StripAsciiWhitespace(line);
  if (stripped.empty() || stripped[0] == '#') return {};
  return absl::StrSplit(stripped, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

std::vector<std::string> FstabEntry::OptionList() const {
  return absl::StrSplit(options, ',', absl::SkipEmpty());
}

bool FstabEntry::HasOption(absl::string_view name) const {
  for (const std::string& opt : OptionList()) {
    absl::string_view key = absl::string_view(opt).substr(0, opt.find('='));
    if (key == name) return true;
  }
  return false;
}

std::optional<std::string> FstabEntry::OptionValue(absl::string_view name) const {
  std::optional<std::string> value;
  for (const std::string& opt : OptionList()) {
    size_t eq = opt.find('=');
    if (eq != std::string::npos && absl::string_view(opt).substr(0, eq) == name) {
      value = opt.substr(eq + 1);
    }
  }
  return value;
}

ParseResult<FstabEntry> ParseFstab(absl::string_view text, absl::string_view file) {
  return ParseTable<FstabEntry>(
      text, file, 6, "missing mount point", SplitTableLine,
      [](int n, const std::vector<absl::string_view>& f) -> absl::StatusOr<FstabEntry> {
        FstabEntry e;
        e.line = n;
        e.spec = DecodeOctalEscapes(f[0]);
        e.mount_point = DecodeOctalEscapes(f[1]);
        if (f.size() > 2) e.fstype = DecodeOctalEscapes(f[2]);
        if (f.size() > 3) e.options = DecodeOctalEscapes(f[3]);
        if (f.size() > 4 && !absl::SimpleAtoi(f[4], &e.freq)) {
          return absl::InvalidArgumentError(
              absl::StrCat("dump frequency \"", f[4], "\" is not a number"));
        }
        if (f.size() > 5 && !absl::SimpleAtoi(f[5], &e.passno)) {
          return absl::InvalidArgumentError(
              absl::StrCat("fsck pass \"", f[5], "\" is not a number"));
        }
        return e;
      });
}

}  // namespace baton::stage1
