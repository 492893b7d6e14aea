#include "tools/mkinitramfs/host_config.h"

#include <glob.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
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

// Levels of the arrays running on the host.
std::vector<std::string> HostRaidLevels(const std::string& sysfs) {
  glob_t g;
  std::vector<std::string> out;
  std::string pattern = sysfs + "/block/md*/md/level";
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string l(absl::StripAsciiWhitespace(ReadOrEmpty(g.gl_pathv[i])));
      if (!l.empty()) out.push_back(l);
    }
  }
  ::globfree(&g);
  return out;
}

}  // namespace

std::string RaidModuleForLevel(absl::string_view level) {
  std::string l = absl::AsciiStrToLower(level);
  if (l == "raid1" || l == "1" || l == "mirror") return "raid1";
  if (l == "raid0" || l == "0" || l == "stripe") return "raid0";
  if (l == "raid10" || l == "10") return "raid10";
  if (l == "linear") return "linear";
  for (const char* x : {"4", "5", "6"}) {
    if (l == x || l == std::string("raid") + x) return "raid456";
  }
  return "";
}

std::set<std::string> LvmSegmentTypes(absl::string_view backup) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(backup, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "type")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "=")) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "\"")) continue;
    size_t end = line.find('"');
    if (end != absl::string_view::npos && end > 0) out.emplace(line.substr(0, end));
  }
  return out;
}

std::string VolumeGroupOf(absl::string_view d) {
  if (absl::ConsumePrefix(&d, "/dev/mapper/")) {
    // VG-LV with "-" inside a name doubled.
    std::string vg;
    for (size_t i = 0; i < d.size(); ++i) {
      if (d[i] != '-') {
        vg += d[i];
      } else if (i + 1 < d.size() && d[i + 1] == '-') {
        vg += '-';
        ++i;
      } else {
        return vg;
      }
    }
    return "";
  }
  if (absl::ConsumePrefix(&d, "/dev/")) {
    std::vector<absl::string_view> parts = absl::StrSplit(d, '/');
    if (parts.size() == 2 && parts[0] != "disk" && parts[0] != "md") return std::string(parts[0]);
  }
  return "";
}

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
  bool level_unknown = false;
  for (const auto& w : Lines(ReadOrEmpty(sysroot + "/etc/mdadm/mdadm.conf"))) {
    if (w[0] != "ARRAY") continue;
    s.raid = true;
    std::string mod;
    for (const std::string& word : w) {
      absl::string_view v = word;
      if (absl::ConsumePrefix(&v, "level=")) mod = RaidModuleForLevel(v);
    }
    if (mod.empty()) {
      level_unknown = true;
    } else {
      s.raid_levels.insert(mod);
    }
  }
  if (sysroot.empty()) {
    // The running arrays stand in for ARRAY lines without level= (what
    // dracut's host-only mode does: it takes what the host has loaded).
    std::vector<std::string> running = HostRaidLevels(sysfs);
    if (!running.empty()) level_unknown = false;
    for (const std::string& l : running) {
      std::string mod = RaidModuleForLevel(l);
      if (mod.empty()) level_unknown = true;  // a level not known here: take all
      s.raid_levels.insert(mod);
    }
  }
  if (level_unknown) s.raid_levels.clear();
  bool by_id = false;
  std::set<std::string> vgs;
  for (const auto& [dev, type] : RootEntries(ReadOrEmpty(sysroot + "/etc/fstab"))) {
    if (type != "auto") s.root_fs_types.push_back(type);
    absl::string_view d = dev;
    if (absl::ConsumePrefix(&d, "/dev/mapper/")) {
      if (!crypt_names.count(std::string(d)) && absl::StrContains(d, '-')) {
        s.lvm = true;
        vgs.insert(VolumeGroupOf(dev));
      }
    } else if (absl::ConsumePrefix(&d, "/dev/")) {
      std::string vg = VolumeGroupOf(dev);
      if (!vg.empty()) {
        s.lvm = true;
        vgs.insert(vg);
      }
    } else {
      by_id = true;
    }
  }
  if (by_id && sysroot.empty() && HostHasLvmDevice(sysfs)) s.lvm = true;
  if (s.lvm) {
    s.lvm_every_vg = by_id || vgs.count("");
    for (const std::string& vg : vgs) {
      if (!vg.empty()) s.lvm_vgs.insert(vg);
    }
    // A UUID=/LABEL= root's VG is not named: every backup counts.
    std::vector<std::string> backups;
    if (by_id || vgs.count("")) {
      glob_t g;
      std::string pattern = sysroot + "/etc/lvm/backup/*";
      if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) backups.push_back(g.gl_pathv[i]);
      }
      ::globfree(&g);
    }
    for (const std::string& vg : vgs) {
      if (!vg.empty()) backups.push_back(sysroot + "/etc/lvm/backup/" + vg);
    }
    for (const std::string& b : backups) {
      std::string text = ReadOrEmpty(b);
      std::set<std::string> types = LvmSegmentTypes(text);
      if (types.empty()) {  // missing or unreadable: unknown
        s.lvm_segment_types.clear();
        break;
      }
      s.lvm_segment_types.insert(types.begin(), types.end());
    }
  }
  return s;
}

}  // namespace baton::mkinitramfs
