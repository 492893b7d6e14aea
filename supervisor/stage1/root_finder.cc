#include "supervisor/stage1/root_finder.h"

#include <sys/mount.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace baton::stage1 {

bool IsMountableFilesystem(absl::string_view fs_type) {
  static constexpr absl::string_view kNotMountable[] = {
      "linux_raid_member", "crypto_LUKS", "LVM2_member", "swap", "ddf_raid_member",
      "isw_raid_member",   "BitLocker",   "zfs_member",
  };
  if (fs_type.empty()) return false;
  for (absl::string_view t : kNotMountable) {
    if (fs_type == t) return false;
  }
  return true;
}

std::optional<FoundDevice> MatchDevice(const RootSpec& spec, const Env& env) {
  if (!spec.Matches(env)) return std::nullopt;
  absl::string_view fs_type = EnvValueOr(env, "ID_FS_TYPE");
  if (!IsMountableFilesystem(fs_type)) return std::nullopt;
  std::string devname(EnvValueOr(env, "DEVNAME"));
  if (devname.empty()) return std::nullopt;
  return FoundDevice{devname, std::string(fs_type), env};
}

std::optional<FoundDevice> FindDevice(const RootSpec& spec,
                                      const std::map<std::string, Env>& devices) {
  for (const auto& [node, env] : devices) {
    std::optional<FoundDevice> found = MatchDevice(spec, env);
    if (found) return found;
  }
  return std::nullopt;
}

std::string DescribeDevices(const std::map<std::string, Env>& devices) {
  if (devices.empty()) return "  (no block devices were seen)\n";
  static constexpr std::pair<absl::string_view, absl::string_view> kShown[] = {
      {"ID_FS_TYPE", "TYPE"},
      {"ID_FS_UUID", "UUID"},
      {"ID_FS_LABEL", "LABEL"},
      {"ID_PART_ENTRY_UUID", "PARTUUID"},
      {"DM_NAME", "DM_NAME"},
      {"MD_LEVEL", "MD_LEVEL"},
      {"ID_PART_TABLE_TYPE", "PTTYPE"},
  };
  std::string out;
  for (const auto& [node, env] : devices) {
    std::vector<std::string> parts;
    for (const auto& [key, label] : kShown) {
      absl::string_view value = EnvValueOr(env, key);
      if (!value.empty()) parts.push_back(absl::StrCat(label, "=", value));
    }
    if (parts.empty()) parts.push_back("(no filesystem found)");
    absl::StrAppend(&out, "  ", node, "  ", absl::StrJoin(parts, " "), "\n");
  }
  return out;
}

MountArgs ParseMountOptions(absl::string_view options) {
  struct Flag {
    absl::string_view name;
    unsigned long bit;
    bool clear;
  };
  static constexpr Flag kFlags[] = {
      {"ro", MS_RDONLY, false},         {"rw", MS_RDONLY, true},
      {"nosuid", MS_NOSUID, false},     {"suid", MS_NOSUID, true},
      {"nodev", MS_NODEV, false},       {"dev", MS_NODEV, true},
      {"noexec", MS_NOEXEC, false},     {"exec", MS_NOEXEC, true},
      {"sync", MS_SYNCHRONOUS, false},  {"async", MS_SYNCHRONOUS, true},
      {"dirsync", MS_DIRSYNC, false},   {"noatime", MS_NOATIME, false},
      {"atime", MS_NOATIME, true},      {"nodiratime", MS_NODIRATIME, false},
      {"diratime", MS_NODIRATIME, true}, {"relatime", MS_RELATIME, false},
      {"norelatime", MS_RELATIME, true}, {"strictatime", MS_STRICTATIME, false},
      {"lazytime", MS_LAZYTIME, false}, {"nolazytime", MS_LAZYTIME, true},
      {"silent", MS_SILENT, false},     {"loud", MS_SILENT, true},
      {"mand", MS_MANDLOCK, false},     {"nomand", MS_MANDLOCK, true},
  };
  static constexpr absl::string_view kDropped[] = {"defaults", "auto",  "noauto", "nofail",
                                                   "user",     "nouser", "_netdev"};
  MountArgs args;
  std::vector<absl::string_view> data;
  for (absl::string_view opt : absl::StrSplit(options, ',', absl::SkipEmpty())) {
    bool handled = false;
    for (const Flag& f : kFlags) {
      if (opt == f.name) {
        if (f.clear) {
          args.flags &= ~f.bit;
        } else {
          args.flags |= f.bit;
        }
        handled = true;
        break;
      }
    }
    for (absl::string_view d : kDropped) {
      if (opt == d) handled = true;
    }
    if (absl::StartsWith(opt, "x-")) handled = true;
    if (!handled) data.push_back(opt);
  }
  args.data = absl::StrJoin(data, ",");
  return args;
}

}  // namespace baton::stage1
