#include "tools/mkinitramfs/keymap.h"

#include <glob.h>


#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "supervisor/stage1/keymap.h"
#include "tools/mkinitramfs/compress.h"
#include "tools/mkinitramfs/host_file.h"

namespace baton::mkinitramfs {
namespace {

constexpr char kConsoleSetupGlob[] = "/etc/console-setup/cached_*.kmap.gz";
constexpr char kVconsoleConf[] = "/etc/vconsole.conf";

// KEYMAP= of a vconsole.conf (shell-style: quotes stripped, last one wins).
std::string VconsoleKeymap(const std::string& text) {
  std::string keymap;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "KEYMAP=")) continue;
    if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') &&
        line.back() == line.front()) {
      line = line.substr(1, line.size() - 2);
    }
    keymap = std::string(line);
  }
  return keymap;
}

}  // namespace

KeymapChoice ChooseKeymap(const std::string& option, const std::string& sysroot) {
  KeymapChoice choice;
  if (!option.empty()) {
    choice.explicit_option = true;
    choice.from = "--keymap";
    if (option != "none") choice.source = option;
    return choice;
  }
  glob_t g = {};
  if (::glob((sysroot + kConsoleSetupGlob).c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0) {
    choice.source = g.gl_pathv[0];  // sorted: the first
    choice.from = choice.source.substr(sysroot.size());
  }
  ::globfree(&g);
  if (!choice.source.empty()) return choice;
  choice.source = VconsoleKeymap(ReadHostFileOrEmpty(sysroot + kVconsoleConf));
  if (!choice.source.empty()) choice.from = kVconsoleConf;
  return choice;
}

absl::StatusOr<std::string> CompileKeymap(const std::string& source,
                                          const std::string& loadkeys) {
  absl::StatusOr<std::string> file = ReadHostFile(source);
  if (!file.ok() && source.find('/') != std::string::npos) {
    return absl::NotFoundError(absl::StrCat("keymap ", source, ": not found"));
  }
  std::string data = file.ok() ? *std::move(file) : std::string();
  if (!file.ok() || !absl::StartsWith(data, "bkeymap")) {
    absl::StatusOr<std::string> compiled = RunFilter({loadkeys, "-b", "-q", source}, "");
    if (!compiled.ok()) {
      return absl::Status(compiled.status().code(),
                          absl::StrCat("keymap ", source, ": ", loadkeys, " -b: ",
                                       absl::StripTrailingAsciiWhitespace(
                                           compiled.status().message())));
    }
    data = *std::move(compiled);
  }
  absl::StatusOr<stage1::BinaryKeymap> parsed = stage1::ParseBinaryKeymap(data, source);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("keymap ", parsed.status().message()));
  }
  return data;
}

}  // namespace baton::mkinitramfs
