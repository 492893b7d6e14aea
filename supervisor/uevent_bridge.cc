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
  if (following_udevd()) {
    absl::StatusOr<sys::UniqueFd> kernel_fd = kernel_.UeventSocket(1);
    if (!kernel_fd.ok()) return kernel_fd.status();
    kernel_socket_ = *std::move(kernel_fd);
  }
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

void UeventBridge::Drain(int fd, absl::string_view what,
                         const std::function<void(std::string)>& on_datagram) {
  if (fd < 0) return;
  for (;;) {
    absl::StatusOr<std::optional<std::string>> d = kernel_.RecvDatagram(fd);
    if (!d.ok()) {
      // ENOBUFS: the receive buffer overflowed and events were lost.
      Log(absl::StrCat("uevent: receive failed on ", what, ", events may be lost: ",
                       d.status().message()));
      return;
    }
    if (!d->has_value()) return;
    on_datagram(std::move(**d));
  }
}

void UeventBridge::OnReadable() {
  // The kernel's copy of an event is awaited before udevd's is read.
  OnKernelReadable();
  if (!following_udevd()) {
    Drain(udevd_socket_.get(), "udevd's socket", [](std::string) {});
    return;
  }
  Drain(socket_.get(), "udevd's socket", [this](std::string d) { OnDatagram(std::move(d)); });
}

void UeventBridge::OnKernelReadable() {
  if (!following_udevd()) {
    Drain(socket_.get(), "the uevent socket", [this](std::string d) { OnDatagram(std::move(d)); });
    return;
  }
  Drain(kernel_socket_.get(), "the kernel's uevent socket",
        [this](std::string d) { OnKernelDatagram(std::move(d)); });
}

void UeventBridge::OnKernelDatagram(std::string datagram) {
  absl::StatusOr<Uevent> ev = ParseUevent(datagram);
  if (!ev.ok() || !ev->seqnum) {
    ++malformed_;
    Log(absl::StrCat("uevent: ignored a kernel datagram udevd's copy cannot be matched to (",
                     datagram.size(), " bytes): ",
                     ev.ok() ? "no SEQNUM" : ev.status().message()));
    return;
  }
  if (paused_) queue_.push_back(datagram);
  awaiting_.emplace(*ev->seqnum, std::move(datagram));
}

size_t UeventBridge::Retrigger() {
  // One write per device, of its last action, as the replay does.
  std::map<std::string, std::string> last;
  for (const auto& [seqnum, datagram] : awaiting_) {
    absl::StatusOr<Uevent> ev = ParseUevent(datagram);
    if (ev.ok()) last[ev->devpath] = ev->action;
  }
  awaiting_.clear();
  size_t written = 0;
  for (const auto& [devpath, action] : last) {
    absl::Status s = kernel_.WriteFile(absl::StrCat(options_.sys_root, devpath, "/uevent"), action);
    if (s.ok()) {
      ++written;
    } else {
      Log(absl::StrCat("uevent: cannot trigger ", action, " ", devpath, " again: ", s.message()));
    }
  }
  OnKernelReadable();
  return written;
}

void UeventBridge::StopFollowingUdevd() {
  if (!following_udevd()) return;
  OnKernelReadable();
  udevd_socket_ = std::move(socket_);
  socket_ = std::move(kernel_socket_);
  options_.group = 1;
  coldplug_done_ = false;
  std::map<uint64_t, std::string> awaited;
  awaited.swap(awaiting_);
  if (paused_) return;  // they are queued already
  for (auto& [seqnum, datagram] : awaited) OnDatagram(std::move(datagram));
}

void UeventBridge::OnDatagram(std::string datagram) {
  // Natively, paused: queued as it came. Following udevd, udevd's event is
  // only counted off: the kernel's copy is queued, or udevd finished it
  // before the pause.
  if (paused_ && !following_udevd()) {
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
  if (following_udevd() && ev->seqnum) {
    // Its kernel copy may have come while udevd's socket was being read.
    if (awaiting_.count(*ev->seqnum) == 0) OnKernelReadable();
    awaiting_.erase(*ev->seqnum);
  }
  if (paused_) return;
  Handle(*ev);
}

void UeventBridge::Pause() {
  if (paused_) return;
  if (following_udevd()) {
    OnKernelReadable();
    for (const auto& [seqnum, datagram] : awaiting_) queue_.push_back(datagram);
  }
  paused_ = true;
}

void UeventBridge::Resume() {
  paused_ = false;
  if (following_udevd()) {
    queue_.clear();
    return;
  }
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
