#include "tools/mkinitramfs/host_file.h"
#include "tools/mkinitramfs/host_config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sys/status_macros.h"

namespace baton::mkinitramfs {
namespace {

using stage1::LvmSection;
using stage1::LvmValue;

// PATH's bytes; nullopt when it does not exist; ERROR set when it exists
// but cannot be read (a directory, EACCES, EIO…).
std::optional<std::string> ReadFileIfExists(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) *error = absl::StrCat(path, ": ", strerror(errno));
    return std::nullopt;
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = absl::StrCat(path, ": ", strerror(errno));
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool HasString(const LvmValue* v, absl::string_view s) {
  if (v == nullptr || v->kind != LvmValue::Kind::kArray) return false;
  for (const LvmValue& item : v->items) {
    if (item.kind == LvmValue::Kind::kString && item.str == s) return true;
  }
  return false;
}

std::string StringOf(const LvmSection& s, absl::string_view key) {
  const LvmValue* v = s.Find(key);
  return v != nullptr && v->kind == LvmValue::Kind::kString ? v->str : "";
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
      found = absl::StartsWith(ReadHostFileOrEmpty(g.gl_pathv[i]), "LVM-");
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
      std::string l(absl::StripAsciiWhitespace(ReadHostFileOrEmpty(g.gl_pathv[i])));
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

absl::StatusOr<LvmVgFacts> LvmVgFactsFromText(absl::string_view text, absl::string_view source) {
  ASSIGN_OR_RETURN(LvmSection top, stage1::ParseLvmText(text, source));
  if (top.sections.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected one volume group section, found ", top.sections.size()));
  }
  const LvmSection& vg = top.sections[0];
  LvmVgFacts f;
  f.name = vg.name;
  f.source = std::string(source);
  f.exported = HasString(vg.Find("status"), "EXPORTED");
  f.system_id = StringOf(vg, "system_id");
  f.lock_type = StringOf(vg, "lock_type");
  if (const LvmSection* lvs = vg.FindSection("logical_volumes")) {
    for (const LvmSection& lv : lvs->sections) {
      bool visible = HasString(lv.Find("status"), "VISIBLE");
      bool any = false;
      for (const LvmSection& seg : lv.sections) {
        if (!absl::StartsWith(seg.name, "segment")) continue;
        any = true;
        f.segments.push_back({lv.name, visible, StringOf(seg, "type")});
      }
      if (!any) f.segments.push_back({lv.name, visible, kNoSegments});
    }
  }
  return f;
}

LvmVgFacts LvmVgFactsFromVg(const stage1::LvmVg& vg, absl::string_view source) {
  LvmVgFacts f;
  f.name = vg.name;
  f.source = std::string(source);
  f.exported = vg.exported;
  f.system_id = vg.system_id;
  f.lock_type = vg.lock_type;
  for (const stage1::LvmLv& lv : vg.lvs) {
    for (const stage1::LvmSegment& seg : lv.segments) {
      f.segments.push_back({lv.name, lv.visible, seg.type});
    }
    if (lv.segments.empty()) f.segments.push_back({lv.name, lv.visible, kNoSegments});
  }
  return f;
}

LvmBackup LvmBackupFromText(const std::string& vg, const std::string& path,
                            absl::string_view text) {
  LvmBackup b;
  b.vg = vg;
  b.path = path;
  absl::StatusOr<LvmVgFacts> f = LvmVgFactsFromText(text, path);
  if (f.ok()) {
    b.facts = std::move(*f);
  } else {
    b.error = std::string(f.status().message());
  }
  return b;
}

std::set<std::string> LvmSegmentTypes(const HostStack& stack) {
  std::set<std::string> out;
  for (const LvmBackup& b : stack.lvm_backups) {
    if (!b.facts) return {};  // missing or unusable: unknown
    bool any = false;
    for (const LvmVgFacts::Segment& seg : b.facts->segments) {
      if (seg.type == kNoSegments) continue;
      any = true;
      out.insert(seg.type);
    }
    if (!any) return {};
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
  for (const auto& w : Lines(ReadHostFileOrEmpty(sysroot + "/etc/crypttab"))) {
    s.crypt = true;
    crypt_names.insert(w[0]);
    if (w.size() >= 3 && w[2] != "none" && w[2] != "-" &&
        absl::StartsWith(w[2], "/") && !absl::StartsWith(w[2], "/dev/")) {
      s.key_files.push_back(w[2]);
    }
  }
  bool level_unknown = false;
  for (const auto& w : Lines(ReadHostFileOrEmpty(sysroot + "/etc/mdadm/mdadm.conf"))) {
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
  for (const auto& [dev, type] : RootEntries(ReadHostFileOrEmpty(sysroot + "/etc/fstab"))) {
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
    const std::string dir = sysroot + "/etc/lvm/backup";
    std::set<std::string> names = s.lvm_vgs;
    if (s.lvm_every_vg) {
      glob_t g;
      std::string pattern = dir + "/*";
      if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) {
          absl::string_view p = g.gl_pathv[i];
          names.emplace(p.substr(p.rfind('/') + 1));
        }
      }
      ::globfree(&g);
    }
    for (const std::string& vg : names) {  // sorted, one each
      const std::string path = absl::StrCat(dir, "/", vg);
      std::string error;
      std::optional<std::string> text = ReadFileIfExists(path, &error);
      if (text) {
        s.lvm_backups.push_back(LvmBackupFromText(vg, path, *text));
      } else {
        s.lvm_backups.push_back(LvmBackup{vg, path, std::nullopt, error});
      }
    }
  }
  return s;
}

}  // namespace baton::mkinitramfs
