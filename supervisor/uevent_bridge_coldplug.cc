// UeventBridge: coldplug by walking sysfs (see the header for why and in
// which order).
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "supervisor/uevent_bridge.h"

namespace baton::supervisor {
namespace {

// Directories inside a device directory that hold attributes, never
// devices: not worth a listing each. (Files and symlinks such as
// `uevent`, `subsystem`, `driver` or `device` are skipped by their type.)
const std::set<std::string>& SkippedNames() {
  static const auto* names = new std::set<std::string>{"power", "holders", "slaves"};
  return *names;
}

bool HasUevent(const std::vector<sys::DirEntry>& entries) {
  auto it = std::lower_bound(
      entries.begin(), entries.end(), "uevent",
      [](const sys::DirEntry& e, const char* name) { return e.name < name; });
  return it != entries.end() && it->name == "uevent";
}

// Block devices: physical disks, their partitions, then virtual devices
// (dm, md, loop), which stack on the others.
int BlockRank(const Uevent& ev) {
  const bool virt = absl::StartsWith(ev.devpath, "/devices/virtual/");
  const bool part = ev.devtype == "partition";
  return (virt ? 2 : 0) + (part ? 1 : 0);
}

}  // namespace

void UeventBridge::Walk(const std::string& dir, std::vector<Uevent>& out) {
  // Typed listing: one directory read, no stat per entry (under TCG each
  // syscall is expensive, and a device directory holds ~20 entries).
  absl::StatusOr<std::vector<sys::DirEntry>> entries = kernel_.ListDirEntries(dir);
  if (!entries.ok()) {
    Log(absl::StrCat("coldplug: cannot list ", dir, ": ", entries.status().message()));
    return;
  }
  if (HasUevent(*entries)) {
    absl::StatusOr<std::string> subsystem = kernel_.ReadLink(dir + "/subsystem");
    absl::StatusOr<std::string> contents = kernel_.ReadFile(dir + "/uevent");
    if (subsystem.ok() && contents.ok()) {
      std::string sub = *subsystem;
      if (size_t slash = sub.rfind('/'); slash != std::string::npos) sub.erase(0, slash + 1);
      Env props = {{"ACTION", "add"},
                   {"DEVPATH", dir.substr(options_.sys_root.size())},
                   {"SUBSYSTEM", sub}};
      for (auto& kv : ParseUeventFile(*contents)) {
        if (kv.first != "ACTION" && kv.first != "DEVPATH" && kv.first != "SUBSYSTEM") {
          props.push_back(std::move(kv));
        }
      }
      absl::StatusOr<Uevent> ev = UeventFromProps(std::move(props));
      if (ev.ok()) {
        out.push_back(std::move(*ev));
      } else {
        Log(absl::StrCat("coldplug: skipped ", dir, ": ", ev.status().message()));
      }
    }
    // No `subsystem` link: a kobject that is not a device of any class.
  }
  // Only real directories: in sysfs a device's children are directories,
  // while symlinks (`subsystem`, `driver`, `device`, `port`, holders…) are
  // cross-references to devices found elsewhere in the tree.
  for (const sys::DirEntry& entry : *entries) {
    if (entry.type != sys::DirEntry::Type::kDirectory) continue;
    if (SkippedNames().count(entry.name)) continue;
    Walk(dir + "/" + entry.name, out);
  }
}

absl::Status UeventBridge::Coldplug() {
  const std::string root = options_.sys_root + "/devices";
  absl::StatusOr<std::vector<std::string>> top = kernel_.ListDir(root);
  if (!top.ok()) return top.status();

  std::vector<Uevent> devices;
  Walk(root, devices);

  const bool follow_udevd = options_.group == 2;
  if (!follow_udevd) {
    for (const Uevent& ev : devices) {
      if (!ev.modalias.empty()) LoadModule(ev.modalias);
    }
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
