#include "supervisor/stage2/udev.h"

#include <sys/stat.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "supervisor/uevent.h"

namespace baton::stage2 {
namespace {

using supervisor::Env;

std::string Get(const Env& env, absl::string_view key) {
  for (const auto& [k, v] : env) {
    if (k == key) return v;
  }
  return "";
}

bool Has(const Env& env, absl::string_view key) {
  for (const auto& [k, v] : env) {
    if (k == key) return true;
  }
  return false;
}

std::string Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
}

bool KeptProperty(absl::string_view key) {
  for (absl::string_view prefix : {"ID_", "DM_", "MD_", "LVM_", "SYSTEMD_"}) {
    if (absl::StartsWith(key, prefix)) return true;
  }
  return false;
}

}  // namespace

std::string FindUdevd(sys::Kernel& kernel, const std::string& root) {
  for (const char* path :
       {"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd", "/sbin/udevd"}) {
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(root + path);
    // Debian's /lib is a symlink to /usr/lib: Stat (lstat) of a path through
    // it still resolves the directory; a final symlink counts too.
    if (info.ok() && (info->type == sys::FileInfo::Type::kRegular ||
                      info->type == sys::FileInfo::Type::kSymlink)) {
      return path;
    }
  }
  return "";
}

std::unique_ptr<jobs::JobConfig> UdevdJob(const std::string& path, jobs::Stage stage) {
  auto job = std::make_unique<jobs::JobConfig>();
  job->name = kUdevdJob;
  job->description = stage == jobs::Stage::kInitramfs
                         ? "device manager (the image's udevd, started by baton in stage 1)"
                         : "device manager (the real root's udevd, started by baton)";
  job->stage = stage;
  job->exec.kind = jobs::Command::Kind::kExec;
  job->exec.text = path;
  job->respawn.enabled = true;
  job->console = jobs::ConsoleMode::kLog;
  return job;
}

namespace {

// Removes the files in DIR (and in its directories, DEPTH levels down) for
// which KEEP is false, and the directories left empty; counts the files
// removed.
size_t RemoveEntries(sys::Kernel& kernel, const std::string& dir, int depth,
                     const std::function<bool(const std::string& name,
                                              const sys::FileInfo& info)>& keep) {
  absl::StatusOr<std::vector<std::string>> names = kernel.ListDir(dir);
  if (!names.ok()) return 0;
  size_t removed = 0;
  for (const std::string& name : *names) {
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(path);
    if (!info.ok()) continue;
    if (info->type == sys::FileInfo::Type::kDirectory) {
      if (depth <= 1) continue;
      removed += RemoveEntries(kernel, path, depth - 1, keep);
      (void)kernel.Rmdir(path);  // kept entries keep it
    } else if (!keep(name, *info) && kernel.Unlink(path).ok()) {
      ++removed;
    }
  }
  return removed;
}

}  // namespace

size_t CleanUpUdevDb(sys::Kernel& kernel, const std::string& run_udev) {
  const std::string data = run_udev + "/data";
  size_t removed = RemoveEntries(kernel, data, 1, [](const std::string&, const sys::FileInfo& info) {
    return (info.mode & S_ISVTX) != 0;
  });
  auto none = [](const std::string&, const sys::FileInfo&) { return false; };
  removed += RemoveEntries(kernel, run_udev + "/links", 2, none);
  removed += RemoveEntries(kernel, run_udev + "/static_node-tags", 2, none);
  removed += RemoveEntries(kernel, run_udev + "/watch", 1, none);
  // A tag's entry goes with its device's database file.
  removed += RemoveEntries(kernel, run_udev + "/tags", 2,
                           [&kernel, &data](const std::string& name, const sys::FileInfo&) {
                             return kernel.Stat(absl::StrCat(data, "/", name)).ok();
                           });
  return removed;
}

std::string UdevDbEntry::FileName() const { return absl::StrCat("b", major, ":", minor); }

std::vector<UdevDbEntry> DbEntriesFromEvents(const std::deque<supervisor::Event>& history) {
  std::map<std::string, UdevDbEntry> by_devnum;  // "MAJ:MIN"
  std::vector<std::string> order;
  for (const supervisor::Event& event : history) {
    if (!absl::StartsWith(event.name, "block-device-")) continue;
    std::string name = Basename(Get(event.env, "DEVNAME"));
    bool dm = absl::StartsWith(name, "dm-");
    bool md = absl::StartsWith(name, "md") && name.size() > 2;
    if (!dm && !md) continue;
    uint32_t major = 0, minor = 0;
    if (!absl::SimpleAtoi(Get(event.env, "MAJOR"), &major) ||
        !absl::SimpleAtoi(Get(event.env, "MINOR"), &minor) || major == 0) {
      continue;
    }
    std::string devnum = absl::StrCat(major, ":", minor);
    if (event.name == "block-device-removed") {
      by_devnum.erase(devnum);
      continue;
    }
    UdevDbEntry entry;
    entry.major = major;
    entry.minor = minor;
    entry.devname = absl::StrCat("/dev/", name);
    for (absl::string_view link :
         absl::StrSplit(Get(event.env, "DEVLINKS"), ' ', absl::SkipEmpty())) {
      if (absl::ConsumePrefix(&link, "/dev/")) entry.links.emplace_back(link);
    }
    for (const auto& [key, value] : event.env) {
      if (KeptProperty(key)) entry.properties.emplace_back(key, value);
    }
    if (dm) {
      if (!Has(entry.properties, "DM_UDEV_PRIMARY_SOURCE_FLAG")) {
        entry.properties.emplace_back("DM_UDEV_PRIMARY_SOURCE_FLAG", "1");
      }
      if (!Has(entry.properties, "DM_UDEV_RULES_VSN")) {
        entry.properties.emplace_back("DM_UDEV_RULES_VSN", "2");
      }
    }
    entry.usec_initialized = static_cast<uint64_t>(absl::ToUnixMicros(event.when));
    if (by_devnum.count(devnum) == 0) order.push_back(devnum);
    by_devnum[devnum] = std::move(entry);
  }
  std::vector<UdevDbEntry> out;
  std::set<std::string> done;
  for (const std::string& devnum : order) {
    auto it = by_devnum.find(devnum);
    if (it == by_devnum.end() || !done.insert(devnum).second) continue;
    out.push_back(it->second);
  }
  return out;
}

std::string FormatUdevDb(const UdevDbEntry& entry) {
  std::string out;
  for (const std::string& link : entry.links) absl::StrAppend(&out, "S:", link, "\n");
  if (entry.usec_initialized > 0) absl::StrAppend(&out, "I:", entry.usec_initialized, "\n");
  for (const auto& [key, value] : entry.properties) {
    absl::StrAppend(&out, "E:", key, "=", value, "\n");
  }
  absl::StrAppend(&out, "G:systemd\nQ:systemd\nV:1\n");
  return out;
}

absl::Status WriteUdevDb(sys::Kernel& kernel, const std::string& db_dir, const UdevDbEntry& entry) {
  absl::Status made = kernel.MkdirAll(db_dir, 0755);
  if (!made.ok()) return made;
  std::string path = absl::StrCat(db_dir, "/", entry.FileName());
  std::string tmp = absl::StrCat(path, ".baton-tmp");
  absl::Status written = kernel.WriteFile(tmp, FormatUdevDb(entry), 01644);
  if (!written.ok()) return written;
  absl::Status renamed = kernel.Rename(tmp, path);
  if (!renamed.ok()) (void)kernel.Unlink(tmp);
  return renamed;
}

ReplayResult ReplayUevents(sys::Kernel& kernel, const std::vector<std::string>& datagrams,
                           const std::string& sys_root) {
  ReplayResult result;
  std::vector<std::string> order;
  std::map<std::string, std::string> last_action;
  for (const std::string& datagram : datagrams) {
    absl::StatusOr<supervisor::Uevent> event = supervisor::ParseUevent(datagram);
    if (!event.ok()) {
      ++result.malformed;
      continue;
    }
    if (last_action.count(event->devpath) == 0) order.push_back(event->devpath);
    last_action[event->devpath] = event->action;
  }
  if (result.malformed > 0) {
    result.warnings.push_back(
        absl::StrCat(result.malformed, " queued uevents did not parse: not replayed"));
  }
  for (const std::string& devpath : order) {
    if (absl::StrContains(devpath, "/../") || absl::EndsWith(devpath, "/..")) {
      result.warnings.push_back(absl::StrCat("uevent with a bad DEVPATH ", devpath, ": skipped"));
      continue;
    }
    std::string file = absl::StrCat(sys_root, devpath, "/uevent");
    if (!kernel.Stat(file).ok()) {
      ++result.skipped;
      continue;
    }
    std::string action = last_action[devpath];
    if (action == "remove") action = "add";  // it exists again
    absl::Status written = kernel.WriteFile(file, action);
    if (!written.ok()) {
      result.warnings.push_back(absl::StrCat("replay of ", devpath, ": ", written.message()));
      continue;
    }
    ++result.written;
    result.replayed.push_back(absl::StrCat(action, " ", devpath));
  }
  return result;
}

DevicesResult SetUpDevices(sys::Kernel& kernel, supervisor::Engine& engine,
                           const std::vector<std::string>& uevents, const DevicesOptions& options,
                           const DevicesHooks& hooks) {
  DevicesResult result;
  auto log = [&hooks](absl::string_view line) {
    if (hooks.log) hooks.log(line);
  };
  auto warn = [&](std::string warning) {
    log(warning);
    result.warnings.push_back(std::move(warning));
  };

  for (const UdevDbEntry& entry : DbEntriesFromEvents(engine.History())) {
    absl::Status written = WriteUdevDb(kernel, options.root + options.udev_db_dir, entry);
    if (!written.ok()) {
      warn(absl::StrCat("udev database entry of ", entry.devname, ": ", written.message()));
      continue;
    }
    ++result.db_entries;
  }
  if (result.db_entries > 0) {
    log(absl::StrCat(result.db_entries, " udev database entries written for stage 1's devices"));
  }

  result.udevd = FindUdevd(kernel, options.root);
  if (!result.udevd.empty()) {
    // A control socket left by a udevd that is gone (stage 1's, stopped
    // before the switch) would pass for the readiness of this one below.
    const std::string control = options.root + options.udevd_control;
    std::optional<supervisor::InstanceInfo> running = engine.Find(kUdevdJob);
    if ((!running || running->pid == 0) && kernel.Stat(control).ok()) {
      absl::Status removed = kernel.Unlink(control);
      log(removed.ok() ? absl::StrCat("removed ", control, ", left by a udevd that is gone")
                       : absl::StrCat("cannot remove ", control, ", left by a udevd that is gone: ",
                                      removed.message()));
    }
    if (hooks.keep_udevd_socket) {
      absl::StatusOr<sys::UniqueFd> socket = kernel.UdevdKernelSocket();
      if (socket.ok()) {
        hooks.keep_udevd_socket(std::move(*socket));
      } else {
        warn(absl::StrCat("udevd binds its own uevent socket (", socket.status().message(),
                          "): an event sent before it does reaches no one"));
      }
    }
    if (engine.FindJob(kUdevdJob) == nullptr) engine.AddJob(UdevdJob(result.udevd));
    absl::Status started = engine.Start(kUdevdJob);
    if (!started.ok() && !absl::IsAlreadyExists(started)) {
      warn(absl::StrCat("cannot start udevd: ", started.message()));
      result.udevd.clear();
    }
    engine.RunQueue();
  } else {
    log("no udevd on this root: queued uevents are replayed for baton alone");
  }

  if (!result.udevd.empty() && hooks.now && hooks.run_once) {
    absl::Time deadline = hooks.now() + options.udevd_wait;
    while (!kernel.Stat(options.root + options.udevd_control).ok()) {
      if (hooks.now() >= deadline) {
        warn(absl::StrCat("udevd did not create ", options.udevd_control, " within ",
                          absl::FormatDuration(options.udevd_wait),
                          "; replaying the queued uevents anyway"));
        break;
      }
      hooks.run_once(absl::Milliseconds(20));
    }
  }

  std::vector<std::string> all = uevents;
  if (hooks.more_uevents) {
    std::vector<std::string> late = hooks.more_uevents();
    result.late_uevents = late.size();
    if (!late.empty()) {
      log(absl::StrCat(late.size(), " uevents arrived after the handoff was read: replayed too"));
    }
    for (std::string& d : late) all.push_back(std::move(d));
  }
  result.replay = ReplayUevents(kernel, all, options.root + options.sys_root);
  for (const std::string& w : result.replay.warnings) warn(w);
  for (const std::string& r : result.replay.replayed) log(absl::StrCat("replay: ", r));
  if (!all.empty()) {
    log(absl::StrCat("replayed ", result.replay.written, " devices from ", all.size(),
                     " queued uevents (", result.replay.skipped, " gone)"));
  }
  return result;
}

}  // namespace baton::stage2
