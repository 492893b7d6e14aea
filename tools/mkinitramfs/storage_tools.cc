#include "tools/mkinitramfs/storage_tools.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "supervisor/stage1/luks_header.h"
#include "supervisor/stage1/lvm_native.h"
#include "sys/status_macros.h"

namespace baton::mkinitramfs {
namespace {

using stage1::CrypttabEntry;

absl::StatusOr<std::string> ReadAt(sys::Kernel& kernel, int fd, uint64_t offset, size_t len) {
  std::string out(len, '\0');
  size_t got = 0;
  while (got < len) {
    ASSIGN_OR_RETURN(size_t n, kernel.PRead(fd, out.data() + got, len - got, offset + got));
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

std::string What(const CrypttabEntry& e) {
  return absl::StrCat("crypttab line ", e.line, " (", e.name, ")");
}

}  // namespace

std::string LvmNeedsTool(const LvmVgFacts& vg) {
  const std::string what = absl::StrCat("VG ", vg.name, " (", vg.source, ")");
  if (vg.exported) return absl::StrCat(what, " is exported");
  if (!vg.system_id.empty()) return absl::StrCat(what, " is bound to system_id ", vg.system_id);
  if (!vg.lock_type.empty()) return absl::StrCat(what, " is shared (lock_type ", vg.lock_type, ")");
  if (vg.segments.empty()) return absl::StrCat(what, " lists no LVs");
  for (const LvmVgFacts::Segment& s : vg.segments) {
    if (s.type != "striped") {
      return absl::StrCat(what, ": LV ", s.lv, s.visible ? "" : " (hidden)",
                          " has segment type ", s.type.empty() ? "(none)" : s.type);
    }
  }
  return "";
}

std::string CrypttabNeedsCryptsetup(const CrypttabEntry& e) {
  if (e.plain) return absl::StrCat(What(e), ": plain dm-crypt (option plain)");
  static const std::set<std::string> kHarmless = {"initramfs", "noearly", "timeout", "_netdev",
                                                  "keyslot", "key-slot"};
  for (const auto& [key, value] : e.other_options) {
    if (kHarmless.count(key) || absl::StartsWith(key, "x-systemd.")) continue;
    return absl::StrCat(What(e), ": option ", key, value.empty() ? "" : "=", value,
                        " is not handled by baton's native unlock");
  }
  return "";
}

std::string LuksHeaderPath(const CrypttabEntry& e) {
  if (!e.header.empty()) return e.header;
  absl::string_view d = e.device;
  static const std::pair<const char*, const char*> kTags[] = {
      {"UUID=", "/dev/disk/by-uuid/"},
      {"PARTUUID=", "/dev/disk/by-partuuid/"},
      {"LABEL=", "/dev/disk/by-label/"},
      {"PARTLABEL=", "/dev/disk/by-partlabel/"},
  };
  for (const auto& [tag, dir] : kTags) {
    if (absl::ConsumePrefix(&d, tag)) return absl::StrCat(dir, d);
  }
  if (absl::StartsWith(d, "/")) return std::string(d);
  if (absl::StrContains(d, ':')) return absl::StrCat("/dev/block/", d);  // MAJ:MIN
  return absl::StrCat("/dev/", d);
}

std::string LuksHeaderNeedsCryptsetup(sys::Kernel& kernel, const std::string& path) {
  absl::Status st = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.Open(path, O_RDONLY | O_CLOEXEC));
    ASSIGN_OR_RETURN(std::string start,
                     ReadAt(kernel, fd.get(), 0, stage1::luks::kLuks2BinaryHeaderSize));
    ASSIGN_OR_RETURN(uint64_t size, stage1::luks::LuksMetadataSize(start, path));
    ASSIGN_OR_RETURN(std::string bytes, ReadAt(kernel, fd.get(), 0, size));
    return stage1::luks::ParseLuksHeader(bytes, path).status();
  }();
  if (st.ok()) return "";
  return absl::StrCat(path, ": ", st.message());
}

std::vector<LvmVgFacts> LiveLvmVgs(sys::Kernel& kernel, const std::string& sysfs,
                                   std::vector<std::string>* errors) {
  const std::string block = sysfs + "/block";
  auto is_lvm = [&](const std::string& name) {
    absl::StatusOr<std::string> uuid = kernel.ReadFile(absl::StrCat(block, "/", name, "/dm/uuid"));
    return uuid.ok() && absl::StartsWith(*uuid, "LVM-");
  };
  std::set<std::string> pvs, seen;
  std::vector<std::string> todo;
  absl::StatusOr<std::vector<std::string>> names = kernel.ListDir(block);
  if (names.ok()) {
    for (const std::string& n : *names) {
      if (absl::StartsWith(n, "dm-") && is_lvm(n)) todo.push_back(n);
    }
  }
  while (!todo.empty()) {
    std::string dm = todo.back();
    todo.pop_back();
    if (!seen.insert(dm).second) continue;
    absl::StatusOr<std::vector<std::string>> slaves =
        kernel.ListDir(absl::StrCat(block, "/", dm, "/slaves"));
    if (!slaves.ok()) continue;
    for (const std::string& s : *slaves) {
      if (absl::StartsWith(s, "dm-") && is_lvm(s)) {
        todo.push_back(s);
      } else {
        pvs.insert(s);
      }
    }
  }
  std::map<std::string, stage1::LvmPvRead> newest;  // VG name -> the PV with the highest seqno
  for (const std::string& pv : pvs) {
    absl::StatusOr<stage1::LvmPvRead> r = stage1::ReadLvmPv(kernel, "/dev/" + pv);
    if (!r.ok()) {
      errors->push_back(std::string(r.status().message()));
      continue;
    }
    if (!r->vg) continue;  // a PV without metadata: another PV carries it
    auto it = newest.find(r->vg->name);
    if (it == newest.end() || r->vg->seqno > it->second.vg->seqno) {
      newest[r->vg->name] = std::move(*r);
    }
  }
  std::vector<LvmVgFacts> out;
  for (const auto& [name, pv] : newest) {
    out.push_back(LvmVgFactsFromVg(*pv.vg, absl::StrCat("the PV ", pv.device)));
  }
  return out;
}

StorageToolChoice ChooseStorageTools(sys::Kernel& kernel, const std::string& sysroot,
                                     const std::string& sysfs, const HostStack& stack) {
  StorageToolChoice c;
  if (stack.lvm) {
    // VG name -> what is known about it (backup and/or live metadata).
    std::map<std::string, std::vector<LvmVgFacts>> known;
    std::vector<std::string> problems;
    const std::string backup_dir = sysroot + "/etc/lvm/backup";
    std::set<std::string> wanted = stack.lvm_vgs;
    // ReadHostStack read and parsed each backup that counts once (the VGs
    // named by the root; with lvm_every_vg every file there).
    for (const LvmBackup& b : stack.lvm_backups) {
      wanted.insert(b.vg);
      if (b.facts) {
        known[b.vg].push_back(*b.facts);
      } else if (!b.error.empty()) {
        problems.push_back(b.error);
      }
    }
    if (sysroot.empty()) {
      for (LvmVgFacts& f : LiveLvmVgs(kernel, sysfs, &problems)) {
        if (stack.lvm_every_vg) wanted.insert(f.name);
        if (wanted.count(f.name)) known[f.name].push_back(std::move(f));
      }
    }
    std::vector<std::string> why;
    for (const std::string& vg : wanted) {
      if (!known.count(vg)) {
        why.push_back(absl::StrCat("VG ", vg, ": no usable ", backup_dir, "/", vg,
                                   sysroot.empty() ? " and no active PV of it on this host" : "",
                                   ", its segment types are unknown"));
      }
      for (const LvmVgFacts& f : known[vg]) {
        std::string w = LvmNeedsTool(f);
        if (!w.empty()) why.push_back(w);
      }
    }
    if (wanted.empty()) {
      why.push_back(absl::StrCat("the root's VG is not named (UUID=/LABEL= root) and no VG "
                                 "was found in ",
                                 backup_dir, sysroot.empty() ? " or on this host" : ""));
    }
    why.insert(why.end(), problems.begin(), problems.end());
    if (!why.empty()) {
      c.lvm = true;
      c.notes.push_back(absl::StrCat("lvm kept: ", absl::StrJoin(why, "; ")));
    } else {
      c.notes.push_back(absl::StrCat("lvm left out: VG ", absl::StrJoin(wanted, ", VG "),
                                     " has only linear/striped LVs (baton activates them)"));
    }
  }
  if (stack.crypt) {
    const std::string file = sysroot + "/etc/crypttab";
    absl::StatusOr<std::string> text = kernel.ReadFile(file);
    stage1::ParseResult<CrypttabEntry> tab =
        stage1::ParseCrypttab(text.ok() ? *text : "", file);
    std::vector<std::string> why;
    for (const absl::Status& e : tab.errors) why.push_back(std::string(e.message()));
    for (const CrypttabEntry& e : tab.entries) {
      std::string w = CrypttabNeedsCryptsetup(e);
      if (w.empty() && !sysroot.empty()) {
        w = absl::StrCat(What(e), ": the LUKS header of ", e.header.empty() ? e.device : e.header,
                         " cannot be checked for a --sysroot image");
      } else if (w.empty()) {
        std::string h = LuksHeaderNeedsCryptsetup(kernel, LuksHeaderPath(e));
        if (!h.empty()) w = absl::StrCat(What(e), ": ", h);
      }
      if (!w.empty()) why.push_back(w);
    }
    if (!why.empty()) {
      c.cryptsetup = true;
      c.notes.push_back(absl::StrCat("cryptsetup kept: ", absl::StrJoin(why, "; ")));
    } else {
      c.notes.push_back(absl::StrCat("cryptsetup left out: ", tab.entries.size(),
                                     tab.entries.size() == 1 ? " crypttab line" : " crypttab lines",
                                     " with LUKS headers baton unlocks itself"));
    }
  }
  return c;
}

}  // namespace baton::mkinitramfs
