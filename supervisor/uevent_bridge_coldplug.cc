// UeventBridge: coldplug by enumerating sysfs's buses and classes (see the
// header for why and in which order).
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "supervisor/uevent_bridge.h"

namespace baton::supervisor {
namespace {

// Block devices: physical disks, their partitions, then virtual devices
// (dm, md, loop), which stack on the others.
int BlockRank(const Uevent& ev) {
  const bool virt = absl::StartsWith(ev.devpath, "/devices/virtual/");
  const bool part = ev.devtype == "partition";
  return (virt ? 2 : 0) + (part ? 1 : 0);
}

// Depth-first order of the device tree: "/devices/a", "/devices/a/b",
// "/devices/a-x" ('/' sorts before every other byte), so a parent comes
// before its children, as a walk of /sys/devices would visit them.
bool TreeOrder(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) {
                                        if (x == y) return false;
                                        if (x == '/') return true;
                                        if (y == '/') return false;
                                        return static_cast<unsigned char>(x) <
                                               static_cast<unsigned char>(y);
                                      });
}

}  // namespace

std::optional<std::string> ResolveSysfsLink(absl::string_view dir, absl::string_view target) {
  if (absl::StartsWith(target, "/")) return std::nullopt;
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) parts.push_back(part);
  for (absl::string_view part : absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return std::nullopt;  // above the sysfs root
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  if (parts.size() < 2 || parts.front() != "devices") return std::nullopt;
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

void UeventBridge::ListSubsystem(const std::string& dir, const std::string& subsystem,
                                 std::vector<std::pair<std::string, std::string>>& out) {
  const std::string path = options_.sys_root + dir;
  absl::StatusOr<std::vector<sys::DirEntry>> entries = kernel_.ListDirEntries(path);
  if (!entries.ok()) {
    Log(absl::StrCat("coldplug: cannot list ", path, ": ", entries.status().message()));
    return;
  }
  for (const sys::DirEntry& entry : *entries) {
    // Devices are symlinks into /sys/devices; a class may also hold
    // control files (gpio's `export`, net's `bonding_masters`).
    if (entry.type != sys::DirEntry::Type::kSymlink) continue;
    absl::StatusOr<std::string> target = kernel_.ReadLink(absl::StrCat(path, "/", entry.name));
    if (!target.ok()) continue;  // gone since the listing
    std::optional<std::string> devpath = ResolveSysfsLink(dir, *target);
    if (!devpath) {
      Log(absl::StrCat("coldplug: skipped ", path, "/", entry.name, " -> ", *target,
                       ": not a device under ", options_.sys_root, "/devices"));
      continue;
    }
    out.emplace_back(std::move(*devpath), subsystem);
  }
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> UeventBridge::ListDevices() {
  // Every device of every bus and class, as `udevadm trigger` enumerates
  // them: (devpath, subsystem).
  std::vector<std::pair<std::string, std::string>> found;
  absl::StatusOr<std::vector<sys::DirEntry>> buses =
      kernel_.ListDirEntries(options_.sys_root + "/bus");
  if (!buses.ok()) return buses.status();
  for (const sys::DirEntry& bus : *buses) {
    if (bus.type != sys::DirEntry::Type::kDirectory) continue;
    ListSubsystem(absl::StrCat("/bus/", bus.name, "/devices"), bus.name, found);
  }
  absl::StatusOr<std::vector<sys::DirEntry>> classes =
      kernel_.ListDirEntries(options_.sys_root + "/class");
  if (!classes.ok()) {
    Log(absl::StrCat("coldplug: cannot list ", options_.sys_root, "/class: ",
                     classes.status().message()));
  } else {
    for (const sys::DirEntry& cls : *classes) {
      if (cls.type != sys::DirEntry::Type::kDirectory) continue;
      ListSubsystem(absl::StrCat("/class/", cls.name), cls.name, found);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return TreeOrder(a.first, b.first); });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              found.end());
  return found;
}

void UeventBridge::Trigger(const std::vector<std::pair<std::string, std::string>>& devices) {
  size_t written = 0;
  for (const auto& [devpath, subsystem] : devices) {
    absl::Status s = kernel_.WriteFile(absl::StrCat(options_.sys_root, devpath, "/uevent"), "add");
    if (s.ok()) {
      ++written;
    } else if (!absl::IsNotFound(s)) {  // removed since the listing: its event comes anyway
      Log(absl::StrCat("coldplug: cannot trigger ", devpath, ": ", s.message()));
    }
  }
  // Each write returned after the kernel sent its event: all are here.
  OnKernelReadable();
  coldplug_done_ = true;
  Log(absl::StrCat("coldplug: ", written, " devices triggered for udevd, ", awaiting_.size(),
                   " events awaited"));
}

absl::Status UeventBridge::Coldplug() {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> found = ListDevices();
  if (!found.ok()) return found.status();
  if (following_udevd()) {
    Trigger(*found);
    return absl::OkStatus();
  }
  std::vector<Uevent> devices;
  devices.reserve(found->size());
  for (auto& [devpath, subsystem] : *found) {
    absl::StatusOr<std::string> contents =
        kernel_.ReadFile(absl::StrCat(options_.sys_root, devpath, "/uevent"));
    if (!contents.ok()) continue;  // removed since the listing: its event comes by the socket
    Env props = {{"ACTION", "add"}, {"DEVPATH", devpath}, {"SUBSYSTEM", std::move(subsystem)}};
    for (auto& kv : ParseUeventFile(*contents)) {
      if (kv.first != "ACTION" && kv.first != "DEVPATH" && kv.first != "SUBSYSTEM") {
        props.push_back(std::move(kv));
      }
    }
    absl::StatusOr<Uevent> ev = UeventFromProps(std::move(props));
    if (ev.ok()) {
      devices.push_back(std::move(*ev));
    } else {
      Log(absl::StrCat("coldplug: skipped ", devpath, ": ", ev.status().message()));
    }
  }

  for (const Uevent& ev : devices) {
    if (!ev.modalias.empty()) LoadModule(ev.modalias);
  }
  std::vector<const Uevent*> block;
  for (const Uevent& ev : devices) {
    if (ev.subsystem == "block") {
      block.push_back(&ev);
    } else {
      Handle(ev);
    }
  }
  std::stable_sort(block.begin(), block.end(), [](const Uevent* a, const Uevent* b) {
    return BlockRank(*a) < BlockRank(*b);
  });
  for (const Uevent* ev : block) Handle(*ev);

  coldplug_done_ = true;
  Log(absl::StrCat("coldplug: ", devices.size(), " devices, ", block.size(), " block"));
  return absl::OkStatus();
}

}  // namespace baton::supervisor
