#include "tools/mkinitramfs/host_config.h"

#include <glob.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace baton::mkinitramfs {
namespace {

std::string ReadOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The whitespace-separated words of each non-comment line.
std::vector<std::vector<std::string>> Lines(absl::string_view text) {
  std::vector<std::vector<std::string>> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    out.push_back(absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty()));
  }
  return out;
}

bool HostHasLvmDevice(const std::string& sysfs) {
  glob_t g;
  bool found = false;
  std::string pattern = sysfs + "/block/dm-*/dm/uuid";
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc && !found; ++i) {
      found = absl::StartsWith(ReadOrEmpty(g.gl_pathv[i]), "LVM-");
    }
  }
  ::globfree(&g);
  return found;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RootEntries(absl::string_view fstab) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& w : Lines(fstab)) {
    if (w.size() >= 3 && (w[1] == "/" || w[1] == "/usr")) out.emplace_back(w[0], w[2]);
  }
  return out;
}

absl::StatusOr<HostStack> ReadHostStack(const std::string& sysroot,
                                        const std::string& sysfs) {
  HostStack s;
  std::set<std::string> crypt_names;
  for (const auto& w : Lines(ReadOrEmpty(sysroot + "/etc/crypttab"))) {
    s.crypt = true;
    crypt_names.insert(w[0]);
    if (w.size() >= 3 && w[2] != "none" && w[2] != "-" &&
        absl::StartsWith(w[2], "/") && !absl::StartsWith(w[2], "/dev/")) {
      s.key_files.push_back(w[2]);
    }
  }
  for (const auto& w : Lines(ReadOrEmpty(sysroot + "/etc/mdadm/mdadm.conf"))) {
    if (w[0] == "ARRAY") s.raid = true;
  }
  bool by_id = false;
  for (const auto& [dev, type] : RootEntries(ReadOrEmpty(sysroot + "/etc/fstab"))) {
    if (type != "auto") s.root_fs_types.push_back(type);
    absl::string_view d = dev;
    if (absl::ConsumePrefix(&d, "/dev/mapper/")) {
      if (!crypt_names.count(std::string(d)) && absl::StrContains(d, '-')) s.lvm = true;
    } else if (absl::ConsumePrefix(&d, "/dev/")) {
      std::vector<absl::string_view> parts = absl::StrSplit(d, '/');
      if (parts.size() == 2 && parts[0] != "disk" && parts[0] != "md") s.lvm = true;
    } else {
      by_id = true;
    }
  }
  if (by_id && sysroot.empty() && HostHasLvmDevice(sysfs)) s.lvm = true;
  return s;
}

}  // namespace baton::mkinitramfs
