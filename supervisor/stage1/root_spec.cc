#include "supervisor/stage1/root_spec.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace baton::stage1 {
namespace {

struct Tag {
  absl::string_view prefix;     // "UUID="
  absl::string_view link_dir;   // "/dev/disk/by-uuid/"
  RootSpec::Kind kind;
};

constexpr Tag kTags[] = {
    {"UUID=", "/dev/disk/by-uuid/", RootSpec::Kind::kUuid},
    {"LABEL=", "/dev/disk/by-label/", RootSpec::Kind::kLabel},
    {"PARTUUID=", "/dev/disk/by-partuuid/", RootSpec::Kind::kPartUuid},
    {"PARTLABEL=", "/dev/disk/by-partlabel/", RootSpec::Kind::kPartLabel},
};

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsMajorMinor(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  return parts.size() == 2 && AllDigits(parts[0]) && AllDigits(parts[1]);
}

// The components of a /dev path after "/dev/" (empty ones dropped).
std::vector<absl::string_view> DevComponents(absl::string_view path) {
  path.remove_prefix(5);  // "/dev/"
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

}  // namespace

std::string DmNameForLv(absl::string_view vg, absl::string_view lv) {
  return absl::StrCat(absl::StrReplaceAll(vg, {{"-", "--"}}), "-",
                      absl::StrReplaceAll(lv, {{"-", "--"}}));
}

absl::StatusOr<RootSpec> RootSpec::Parse(absl::string_view spec) {
  if (spec.empty()) return absl::InvalidArgumentError("empty device spec");
  RootSpec r;
  r.raw_ = std::string(spec);

  for (const Tag& tag : kTags) {
    if (absl::StartsWith(spec, tag.prefix)) {
      absl::string_view value = spec.substr(tag.prefix.size());
      if (value.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("empty value in device spec \"", spec, "\""));
      }
      if (tag.kind == Kind::kPartUuid && absl::StrContains(value, "/")) {
        return absl::UnimplementedError(absl::StrCat(
            "\"", spec, "\": PARTUUID=…/PARTNROFF= is not supported; name the "
            "partition itself (PARTUUID=, UUID= or LABEL=)"));
      }
      r.kind_ = tag.kind;
      r.value_ = std::string(value);
      return r;
    }
    if (absl::StartsWith(spec, tag.link_dir)) {
      absl::string_view value = spec.substr(tag.link_dir.size());
      if (value.empty() || absl::StrContains(value, "/")) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad device link \"", spec, "\""));
      }
      r.kind_ = tag.kind;
      r.value_ = DecodeUdevEscapes(value);
      r.path_ = std::string(spec);
      return r;
    }
  }

  if (IsMajorMinor(spec)) {
    r.kind_ = Kind::kMajorMinor;
    r.value_ = std::string(spec);
    return r;
  }

  std::string path;
  if (absl::StartsWith(spec, "/")) {
    path = std::string(spec);
  } else if (absl::StrContains(spec, "=")) {
    return absl::UnimplementedError(absl::StrCat(
        "\"", spec, "\": unsupported device tag (use /dev/…, UUID=, LABEL=, "
        "PARTUUID= or PARTLABEL=)"));
  } else {
    path = absl::StrCat("/dev/", spec);  // the kernel accepts root=sda1
  }
  if (path == "/dev/nfs") {
    return absl::UnimplementedError("root=/dev/nfs: network roots are not supported");
  }
  r.path_ = path;
  r.value_ = path;
  r.kind_ = Kind::kPath;
  if (!absl::StartsWith(path, "/dev/")) return r;

  std::vector<absl::string_view> parts = DevComponents(path);
  if (parts.size() == 2 && parts[0] == "mapper") {
    r.kind_ = Kind::kMapper;
  } else if ((parts.size() == 2 && parts[0] == "md") ||
             (parts.size() == 1 && absl::StartsWith(parts[0], "md") &&
              AllDigits(parts[0].substr(2)))) {
    r.kind_ = Kind::kMd;
  } else if (parts.size() == 2 && parts[0] != "disk" && parts[0] != "block" &&
             parts[0] != "char") {
    r.kind_ = Kind::kLvm;
    r.value_ = absl::StrCat(parts[0], "/", parts[1]);
  }
  return r;
}

bool RootSpec::Matches(const Env& env) const {
  if (kind_ == Kind::kNone) return false;
  if (HasDevicePath(env, path_)) return true;
  switch (kind_) {
    case Kind::kNone:
    case Kind::kPath:
      return false;
    case Kind::kUuid:
      return SameUuid(value_, EnvValueOr(env, "ID_FS_UUID"));
    case Kind::kPartUuid:
      return SameUuid(value_, EnvValueOr(env, "ID_PART_ENTRY_UUID"));
    case Kind::kLabel: {
      if (auto enc = EnvValue(env, "ID_FS_LABEL_ENC")) {
        if (DecodeUdevEscapes(*enc) == value_) return true;
      }
      auto label = EnvValue(env, "ID_FS_LABEL");
      return label && *label == value_;
    }
    case Kind::kPartLabel: {
      auto name = EnvValue(env, "ID_PART_ENTRY_NAME");
      return name && DecodeUdevEscapes(*name) == value_;
    }
    case Kind::kMapper: {
      auto dm = EnvValue(env, "DM_NAME");
      return dm && *dm == DevComponents(path_)[1];
    }
    case Kind::kLvm: {
      std::vector<absl::string_view> parts = DevComponents(path_);
      if (EnvValue(env, "DM_VG_NAME") == parts[0] &&
          EnvValue(env, "DM_LV_NAME") == parts[1]) {
        return true;
      }
      auto dm = EnvValue(env, "DM_NAME");
      return dm && *dm == DmNameForLv(parts[0], parts[1]);
    }
    case Kind::kMd: {
      std::vector<absl::string_view> parts = DevComponents(path_);
      if (parts.size() != 2) return false;  // /dev/mdN: DEVNAME only
      absl::string_view name = parts[1];
      if (EnvValue(env, "MD_DEVNAME") == name) return true;
      auto md_name = EnvValue(env, "MD_NAME");
      if (!md_name) return false;
      return *md_name == name || absl::EndsWith(*md_name, absl::StrCat(":", name));
    }
    case Kind::kMajorMinor: {
      std::vector<absl::string_view> mm = absl::StrSplit(value_, ':');
      return EnvValue(env, "MAJOR") == mm[0] && EnvValue(env, "MINOR") == mm[1];
    }
  }
  return false;
}

std::string RootSpec::Describe() const {
  switch (kind_) {
    case Kind::kNone:
      return "no device";
    case Kind::kPath:
      return absl::StrCat("the device ", path_);
    case Kind::kUuid:
      return absl::StrCat("the filesystem with UUID=", value_);
    case Kind::kLabel:
      return absl::StrCat("the filesystem with LABEL=", value_);
    case Kind::kPartUuid:
      return absl::StrCat("the partition with PARTUUID=", value_);
    case Kind::kPartLabel:
      return absl::StrCat("the partition with PARTLABEL=", value_);
    case Kind::kMapper:
      return absl::StrCat("the device-mapper device ", path_);
    case Kind::kLvm:
      return absl::StrCat("the logical volume ", value_, " (", path_, ")");
    case Kind::kMd:
      return absl::StrCat("the RAID array ", path_);
    case Kind::kMajorMinor:
      return absl::StrCat("the block device ", value_);
  }
  return raw_;
}

}  // namespace baton::stage1
