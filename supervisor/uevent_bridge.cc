// UeventBridge: socket, queue, and the per-event steps (see the header).
// Block devices: uevent_bridge_block.cc; coldplug: uevent_bridge_coldplug.cc.
#include "supervisor/uevent_bridge.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace baton::supervisor {
namespace {

// The kernel's keys, in the order they lead an emitted environment.
constexpr const char* kLeadingKeys[] = {"ACTION", "DEVPATH", "SUBSYSTEM", "DEVTYPE",
                                        "DEVNAME", "MAJOR",   "MINOR",     "SEQNUM"};

bool IsLeadingKey(absl::string_view key) {
  for (const char* k : kLeadingKeys) {
    if (key == k) return true;
  }
  return false;
}

// Properties that udev (or the bridge) adds, as opposed to the kernel's.
bool IsDerivedKey(absl::string_view key) {
  return absl::StartsWith(key, "ID_") || absl::StartsWith(key, "DM_") ||
         absl::StartsWith(key, "MD_") || key == "DEVLINKS" || key == "TAGS" ||
         key == "CURRENT_TAGS";
}

std::string PastTense(absl::string_view action) {
  if (action == "add") return "added";
  if (action == "remove") return "removed";
  if (action == "change") return "changed";
  if (action == "move") return "moved";
  if (action == "bind") return "bound";
  if (action == "unbind") return "unbound";
  return std::string(action);  // online, offline, and anything newer
}

}  // namespace

UeventBridge::UeventBridge(sys::Kernel& kernel, sys::ModuleLoader& modules,
                           sys::BlockProber& prober, EmitFn emit, Options options)
    : kernel_(kernel),
      modules_(modules),
      prober_(prober),
      emit_(std::move(emit)),
      options_(std::move(options)) {}

absl::StatusOr<int> UeventBridge::Start() {
  absl::StatusOr<sys::UniqueFd> fd = kernel_.UeventSocket(options_.group);
  if (!fd.ok()) return fd.status();
  return Adopt(std::move(*fd));
}

int UeventBridge::Adopt(sys::UniqueFd socket) {
  socket_ = std::move(socket);
  return socket_.get();
}

void UeventBridge::Log(absl::string_view line) const {
  if (options_.log) options_.log(line);
}

void UeventBridge::OnReadable() {
  if (!socket_) return;
  for (;;) {
    absl::StatusOr<std::optional<std::string>> d = kernel_.RecvDatagram(socket_.get());
    if (!d.ok()) {
      // ENOBUFS: the receive buffer overflowed and events were lost.
      Log(absl::StrCat("uevent: receive failed, events may be lost: ", d.status().message()));
      return;
    }
    if (!d->has_value()) return;
    OnDatagram(std::move(**d));
  }
}

void UeventBridge::OnDatagram(std::string datagram) {
  if (paused_) {
    queue_.push_back(std::move(datagram));
    return;
  }
  absl::StatusOr<Uevent> ev = ParseUevent(datagram);
  if (!ev.ok()) {
    ++malformed_;
    Log(absl::StrCat("uevent: ignored a malformed datagram (", datagram.size(),
                     " bytes): ", ev.status().message()));
    return;
  }
  Handle(*ev);
}

void UeventBridge::Pause() { paused_ = true; }

void UeventBridge::Resume() {
  paused_ = false;
  while (!queue_.empty() && !paused_) {
    std::string d = std::move(queue_.front());
    queue_.pop_front();
    OnDatagram(std::move(d));
  }
}

std::vector<std::string> UeventBridge::TakeQueued() {
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void UeventBridge::LoadModule(const std::string& alias) {
  if (!aliases_seen_.insert(alias).second) return;
  absl::Status s = modules_.LoadAlias(alias);
  if (!s.ok()) Log(absl::StrCat("uevent: loading modules for ", alias, " failed: ", s.message()));
}

void UeventBridge::Handle(const Uevent& event) {
  ++handled_;
  const bool follow_udevd = event.from_udevd || options_.group == 2;
  if (!follow_udevd && event.action == "add" && !event.modalias.empty()) {
    LoadModule(event.modalias);
  }

  std::string devname;
  if (!event.devname.empty()) {
    devname = absl::StartsWith(event.devname, "/")
                  ? event.devname
                  : absl::StrCat(options_.dev_root, "/", event.devname);
  }
  std::map<std::string, std::string> derived;
  const bool block = event.subsystem == "block" && !devname.empty();
  if (block && !follow_udevd) HandleBlock(event, devname, derived);

  Env env;
  for (const char* key : kLeadingKeys) {
    if (auto v = event.Get(key)) env.emplace_back(key, key == std::string("DEVNAME") ? devname : *v);
  }
  for (const auto& [k, v] : event.props) {
    if (IsLeadingKey(k)) continue;
    if (IsDerivedKey(k)) {
      derived.emplace(k, v);
    } else {
      env.emplace_back(k, v);
    }
  }
  for (auto& [k, v] : derived) env.emplace_back(k, v);

  if (block) {
    if (event.action == "remove") {
      block_devices_.erase(devname);
    } else {
      block_devices_[devname] = env;
    }
  }
  emit_(absl::StrCat(event.subsystem, "-device-", PastTense(event.action)), std::move(env));
}

}  // namespace baton::supervisor
