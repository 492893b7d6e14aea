// UeventBridge: block devices — nodes, probing, sysfs extras and the
// /dev/disk/by-* links (see the header for the rules).
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "supervisor/uevent_bridge.h"
#include "sys/str_printf.h"

namespace baton::supervisor {
namespace {

std::string Dirname(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

// For an LVM logical volume's own device (DM_UUID "LVM-" and the VG and LV
// ids, 64 characters, no suffix such as "-real" or "-cow"), the VG and LV of
// its dm name "VG-LV" (each '-' inside a name doubled), for lvm's
// /dev/VG/LV link; nullopt for any other device and for LVs that lvm keeps
// hidden (names holding a reserved part: _tdata, _rimage, …).
std::optional<std::pair<std::string, std::string>> LvmVgLv(absl::string_view name,
                                                           absl::string_view uuid) {
  if (!absl::StartsWith(uuid, "LVM-") || uuid.size() != 4 + 64) return std::nullopt;
  std::string vg, lv;
  std::string* part = &vg;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '-') {
      part->push_back(name[i]);
    } else if (i + 1 < name.size() && name[i + 1] == '-') {
      part->push_back('-');
      ++i;
    } else if (part == &vg) {
      part = &lv;
    } else {
      return std::nullopt;
    }
  }
  if (vg.empty() || lv.empty()) return std::nullopt;
  for (absl::string_view reserved : {"_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_imeta",
                                     "_iorig", "_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta",
                                     "_tdata", "_tmeta", "_vdata", "_vorigin", "_wcorig"}) {
    if (absl::StrContains(lv, reserved)) return std::nullopt;
  }
  return std::make_pair(vg, lv);
}

// Length of the valid UTF-8 multi-byte sequence at S[I], or 0.
size_t Utf8SequenceAt(absl::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (c >= 0xf5) len = 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return len;
}

std::string Encode(absl::string_view s, bool keep_backslash) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (size_t n = Utf8SequenceAt(s, i); n > 1) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    unsigned char c = s[i++];
    if (absl::ascii_isalnum(c) || absl::string_view("#+-.:=@_").find(c) != absl::string_view::npos ||
        (keep_backslash && c == '\\')) {
      out.push_back(static_cast<char>(c));
    } else {
      sys::StrAppendPrintf(&out, "\\x%02x", c);
    }
  }
  return out;
}

// A value that may already be escaped (blkid's *_ENC form) made safe as a
// link name: escapes stay as they are.
std::string LinkName(absl::string_view value) { return Encode(value, /*keep_backslash=*/true); }

std::string Get(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

}  // namespace

std::string EncodeDevnodeName(absl::string_view s) { return Encode(s, /*keep_backslash=*/false); }

void UeventBridge::HandleBlock(const Uevent& event, const std::string& node,
                               std::map<std::string, std::string>& derived) {
  if (event.action == "remove") {
    derived = derived_[node];
    for (const std::string& link : links_[node]) RemoveLink(link, node);
    if (nodes_made_.erase(node)) {
      if (absl::Status s = kernel_.Unlink(node); !s.ok()) Log(s.message());
    }
    links_.erase(node);
    derived_.erase(node);
    return;
  }

  // devtmpfs normally made the node; without it, make it.
  if (event.major && event.minor) {
    absl::StatusOr<sys::FileInfo> st = kernel_.Stat(node);
    if (!st.ok() && absl::IsNotFound(st.status())) {
      absl::Status s = kernel_.MkdirAll(Dirname(node));
      if (s.ok()) s = kernel_.Mknod(node, S_IFBLK | 0600, makedev(*event.major, *event.minor));
      if (s.ok()) {
        nodes_made_.insert(node);
      } else {
        Log(absl::StrCat("uevent: cannot make ", node, ": ", s.message()));
      }
    }
  }

  if (event.action != "add" && event.action != "change") {
    derived = derived_[node];  // move, online, offline: nothing to re-probe
    return;
  }

  bool probe = true;
  SysfsExtras(event, derived, probe);
  if (probe) {
    absl::StatusOr<sys::BlockProperties> props = prober_.Probe(node);
    if (props.ok()) {
      derived.insert(props->begin(), props->end());  // sysfs facts win
    } else {
      Log(absl::StrCat("uevent: probing ", node, " failed: ", props.status().message()));
    }
  }

  std::vector<std::string> links = WantedLinks(event, derived);
  for (const std::string& old : links_[node]) {
    if (std::find(links.begin(), links.end(), old) == links.end()) RemoveLink(old, node);
  }
  for (const std::string& link : links) AddLink(link, node);
  if (!links.empty()) derived["DEVLINKS"] = absl::StrJoin(links, " ");
  links_[node] = links;
  derived_[node] = derived;
}

void UeventBridge::SysfsExtras(const Uevent& event, std::map<std::string, std::string>& derived,
                               bool& probe) {
  const std::string sysdir = options_.sys_root + event.devpath;
  auto read = [&](const std::string& attr) -> std::string {
    absl::StatusOr<std::string> v = kernel_.ReadFile(sysdir + "/" + attr);
    return v.ok() ? std::string(absl::StripAsciiWhitespace(*v)) : "";
  };
  const std::string kname = Basename(event.devpath);
  if (absl::StartsWith(kname, "dm-")) {
    if (std::string name = read("dm/name"); !name.empty()) derived["DM_NAME"] = name;
    if (std::string uuid = read("dm/uuid"); !uuid.empty()) derived["DM_UUID"] = uuid;
    if (read("dm/suspended") == "1") {
      derived["DM_SUSPENDED"] = "1";
      probe = false;  // reading a suspended device blocks
    }
  } else if (absl::StartsWith(kname, "md") && event.devtype != "partition") {
    std::string state = read("md/array_state");
    if (state == "inactive" || state == "clear") probe = false;
    if (std::string level = read("md/level"); !level.empty()) derived["MD_LEVEL"] = level;
    if (std::string disks = read("md/raid_disks"); !disks.empty()) derived["MD_DEVICES"] = disks;
    // The array's UUID is not in sysfs; its members' superblocks carry it.
    absl::StatusOr<std::vector<std::string>> entries = kernel_.ListDir(sysdir + "/md");
    if (entries.ok()) {
      for (const std::string& e : *entries) {
        if (!absl::StartsWith(e, "dev-")) continue;
        auto member = derived_.find(absl::StrCat(options_.dev_root, "/", e.substr(4)));
        if (member == derived_.end()) continue;
        if (std::string uuid = Get(member->second, "MD_UUID"); !uuid.empty()) {
          derived["MD_UUID"] = uuid;
          break;
        }
      }
    }
  }
}

std::vector<std::string> UeventBridge::WantedLinks(
    const Uevent& event, const std::map<std::string, std::string>& props) {
  std::vector<std::string> links;
  const std::string disk = options_.dev_root + "/disk/";
  auto add = [&](std::string link) {
    if (std::find(links.begin(), links.end(), link) == links.end()) links.push_back(std::move(link));
  };

  const std::string usage = Get(props, "ID_FS_USAGE");
  if (usage == "filesystem" || usage == "crypto" || usage == "other") {
    std::string uuid = Get(props, "ID_FS_UUID_ENC");
    if (uuid.empty()) uuid = EncodeDevnodeName(Get(props, "ID_FS_UUID"));
    if (!uuid.empty()) add(disk + "by-uuid/" + LinkName(uuid));
    std::string label = Get(props, "ID_FS_LABEL_ENC");
    if (label.empty()) label = EncodeDevnodeName(Get(props, "ID_FS_LABEL"));
    if (!label.empty()) add(disk + "by-label/" + LinkName(label));
  }
  if (std::string v = Get(props, "ID_PART_ENTRY_UUID"); !v.empty()) {
    add(disk + "by-partuuid/" + LinkName(v));
  }
  if (std::string v = Get(props, "ID_PART_ENTRY_NAME"); !v.empty()) {
    add(disk + "by-partlabel/" + LinkName(v));
  }

  // virtio-blk: the serial the host gave the drive (-drive …,serial=NAME).
  if (absl::StrContains(event.devpath, "/virtio")) {
    const bool part = event.devtype == "partition";
    std::string sysdir = options_.sys_root + event.devpath;
    absl::StatusOr<std::string> serial =
        kernel_.ReadFile((part ? Dirname(sysdir) : sysdir) + "/serial");
    std::string s = serial.ok() ? std::string(absl::StripAsciiWhitespace(*serial)) : "";
    std::replace_if(s.begin(), s.end(), [](char c) { return absl::ascii_isspace(c); }, '_');
    if (!s.empty()) {
      std::string id = "virtio-" + EncodeDevnodeName(s);
      if (part) {
        auto partn = event.Get("PARTN");
        if (partn) add(disk + "by-id/" + id + "-part" + std::string(*partn));
      } else {
        add(disk + "by-id/" + id);
      }
    }
  }
  if (std::string name = Get(props, "DM_NAME"); !name.empty()) {
    add(disk + "by-id/dm-name-" + EncodeDevnodeName(name));
    add(options_.dev_root + "/mapper/" + EncodeDevnodeName(name));
  }
  if (std::string uuid = Get(props, "DM_UUID"); !uuid.empty()) {
    add(disk + "by-id/dm-uuid-" + EncodeDevnodeName(uuid));
    if (auto vg_lv = LvmVgLv(Get(props, "DM_NAME"), uuid)) {
      add(absl::StrCat(options_.dev_root, "/", EncodeDevnodeName(vg_lv->first), "/",
                       EncodeDevnodeName(vg_lv->second)));
    }
  }
  if (std::string uuid = Get(props, "MD_UUID");
      !uuid.empty() && absl::StartsWith(Basename(event.devpath), "md")) {
    add(disk + "by-id/md-uuid-" + EncodeDevnodeName(uuid));
  }
  return links;
}

std::string UeventBridge::LinkTarget(const std::string& link, const std::string& node) const {
  const std::string prefix = options_.dev_root + "/";
  if (!absl::StartsWith(link, prefix) || !absl::StartsWith(node, prefix)) return node;
  absl::string_view rel(link);
  rel.remove_prefix(prefix.size());
  std::string target;
  for (char c : rel) {
    if (c == '/') target += "../";
  }
  return target + node.substr(prefix.size());
}

void UeventBridge::AddLink(const std::string& link, const std::string& node) {
  const std::string target = LinkTarget(link, node);
  absl::StatusOr<sys::FileInfo> st = kernel_.Stat(link);
  if (st.ok()) {
    if (st->type != sys::FileInfo::Type::kSymlink) {
      // libdevmapper (cryptsetup, lvm) makes /dev/mapper/NAME a node of the
      // device itself: that is what the link would point at, nothing to say.
      absl::StatusOr<sys::FileInfo> dev = kernel_.Stat(node);
      const bool same = st->type == sys::FileInfo::Type::kBlockDevice && dev.ok() &&
                        dev->type == sys::FileInfo::Type::kBlockDevice && dev->rdev == st->rdev;
      if (!same) Log(absl::StrCat("uevent: not replacing ", link, ": not a symlink"));
      return;
    }
    absl::StatusOr<std::string> current = kernel_.ReadLink(link);
    if (current.ok() && *current == target) return;
    if (absl::Status s = kernel_.Unlink(link); !s.ok()) {
      Log(absl::StrCat("uevent: cannot replace ", link, ": ", s.message()));
      return;
    }
  } else if (!absl::IsNotFound(st.status())) {
    Log(absl::StrCat("uevent: cannot check ", link, ": ", st.status().message()));
    return;
  }
  absl::Status s = kernel_.MkdirAll(Dirname(link));
  if (s.ok()) s = kernel_.Symlink(target, link);
  if (!s.ok()) Log(absl::StrCat("uevent: cannot link ", link, " -> ", target, ": ", s.message()));
}

void UeventBridge::RemoveLink(const std::string& link, const std::string& node) {
  absl::StatusOr<std::string> current = kernel_.ReadLink(link);
  if (!current.ok() || *current != LinkTarget(link, node)) return;  // another device's now
  if (absl::Status s = kernel_.Unlink(link); !s.ok()) {
    Log(absl::StrCat("uevent: cannot remove ", link, ": ", s.message()));
  }
}

}  // namespace baton::supervisor
