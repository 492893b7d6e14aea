#include "supervisor/stage1/cpu_modules.h"

#include <fnmatch.h>

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"

namespace baton::stage1 {

std::vector<std::string> ModulesForMissingCpuFeatures(absl::string_view modules_alias,
                                                      absl::string_view cpu_modalias) {
  const std::string cpu(absl::StripAsciiWhitespace(cpu_modalias));
  if (cpu.empty()) return {};
  // module -> whether one of its cpu aliases matches
  std::map<std::string, bool> matched;
  constexpr absl::string_view kPrefix = "alias cpu:";
  // Only the few "alias cpu:" lines are split: a generic image's
  // modules.alias has thousands of others.
  for (size_t at = modules_alias.find(kPrefix); at != absl::string_view::npos;
       at = modules_alias.find(kPrefix, at + 1)) {
    if (at != 0 && modules_alias[at - 1] != '\n') continue;
    const size_t end = modules_alias.find('\n', at);
    const absl::string_view line =
        modules_alias.substr(at, end == absl::string_view::npos ? end : end - at);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() != 3) continue;
    const std::string pattern(words[1]);
    bool& any = matched[std::string(words[2])];
    any = any || ::fnmatch(pattern.c_str(), cpu.c_str(), 0) == 0;
  }
  std::vector<std::string> out;
  for (const auto& [module, any] : matched) {
    if (!any) out.push_back(module);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> WriteCpuFeatureConfig(sys::Kernel& kernel,
                                                               const std::string& modules_dir,
                                                               const std::string& sys_root,
                                                               const std::string& config_dir) {
  absl::StatusOr<std::string> aliases =
      kernel.ReadFile(absl::StrCat(modules_dir, "/modules.alias"));
  absl::StatusOr<std::string> cpu =
      kernel.ReadFile(absl::StrCat(sys_root, "/devices/system/cpu/modalias"));
  if (!aliases.ok() || !cpu.ok()) return std::vector<std::string>();
  std::vector<std::string> modules = ModulesForMissingCpuFeatures(*aliases, *cpu);
  if (modules.empty()) return modules;
  std::string text =
      "# Written by baton's stage 1: none of these modules' cpu: aliases matches\n"
      "# /sys/devices/system/cpu/modalias, so their init could only fail.\n";
  for (const std::string& m : modules) absl::StrAppend(&text, "install ", m, " /bin/true\n");
  RETURN_IF_ERROR(kernel.MkdirAll(config_dir, 0755));
  RETURN_IF_ERROR(kernel.WriteFile(absl::StrCat(config_dir, "/", kCpuFeaturesConf), text, 0644));
  return modules;
}

}  // namespace baton::stage1
