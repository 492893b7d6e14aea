#include "supervisor/uevent.h"

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace baton::supervisor {
namespace {

constexpr char kLibudevPrefix[] = "libudev";  // 8 bytes with its NUL
constexpr uint32_t kLibudevMagic = 0xfeedcafe;
constexpr size_t kLibudevHeaderMin = 40;

uint32_t LoadU32(absl::string_view data, size_t offset) {
  uint32_t v;
  std::memcpy(&v, data.data() + offset, sizeof v);
  return v;
}

uint32_t LoadBigEndianU32(absl::string_view data, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + offset);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

absl::Status ParseProps(absl::string_view list, Env& props) {
  for (absl::string_view entry : absl::StrSplit(list, '\0')) {
    if (entry.empty()) continue;
    auto kv = ParseAssignment(entry);
    if (!kv) {
      return absl::InvalidArgumentError(
          absl::StrCat("uevent: not a KEY=VALUE entry: \"", absl::CEscape(entry.substr(0, 64)), "\""));
    }
    props.push_back(std::move(*kv));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseNumber(absl::string_view key, absl::string_view value, std::optional<T>& out) {
  T n;
  bool digits = !value.empty();
  for (char c : value) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits || !absl::SimpleAtoi(value, &n)) {
    return absl::InvalidArgumentError(absl::StrCat("uevent: ", key, " is not a number: \"",
                                                   absl::CEscape(value.substr(0, 32)), "\""));
  }
  out = n;
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::string_view> Uevent::Get(absl::string_view key) const {
  for (const auto& [k, v] : props) {
    if (k == key) return absl::string_view(v);
  }
  return std::nullopt;
}

absl::StatusOr<Uevent> UeventFromProps(Env props, bool from_udevd) {
  Uevent ev;
  ev.from_udevd = from_udevd;
  for (const auto& [k, v] : props) {
    absl::Status s;
    if (k == "ACTION") ev.action = v;
    else if (k == "DEVPATH") ev.devpath = v;
    else if (k == "SUBSYSTEM") ev.subsystem = v;
    else if (k == "DEVTYPE") ev.devtype = v;
    else if (k == "DEVNAME") ev.devname = v;
    else if (k == "MODALIAS") ev.modalias = v;
    else if (k == "MAJOR") s = ParseNumber(k, v, ev.major);
    else if (k == "MINOR") s = ParseNumber(k, v, ev.minor);
    else if (k == "SEQNUM") s = ParseNumber(k, v, ev.seqnum);
    if (!s.ok()) return s;
  }
  if (ev.action.empty()) return absl::InvalidArgumentError("uevent: no ACTION");
  if (ev.devpath.empty() || ev.devpath[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("uevent: DEVPATH missing or not absolute: \"", absl::CEscape(ev.devpath), "\""));
  }
  if (ev.subsystem.empty()) return absl::InvalidArgumentError("uevent: no SUBSYSTEM");
  ev.props = std::move(props);
  return ev;
}

absl::StatusOr<Uevent> ParseUevent(absl::string_view datagram) {
  Env props;
  if (datagram.size() >= sizeof kLibudevPrefix &&
      std::memcmp(datagram.data(), kLibudevPrefix, sizeof kLibudevPrefix) == 0) {
    if (datagram.size() < kLibudevHeaderMin) {
      return absl::InvalidArgumentError("uevent: libudev header truncated");
    }
    if (LoadBigEndianU32(datagram, 8) != kLibudevMagic) {
      return absl::InvalidArgumentError("uevent: libudev header has a bad magic");
    }
    uint32_t header_size = LoadU32(datagram, 12);
    uint32_t off = LoadU32(datagram, 16);
    uint32_t len = LoadU32(datagram, 20);
    if (header_size < kLibudevHeaderMin || off < header_size || off > datagram.size() ||
        len > datagram.size() - off) {
      return absl::InvalidArgumentError("uevent: libudev properties out of bounds");
    }
    absl::Status s = ParseProps(datagram.substr(off, len), props);
    if (!s.ok()) return s;
    return UeventFromProps(std::move(props), /*from_udevd=*/true);
  }

  size_t head_end = datagram.find('\0');
  absl::string_view head = datagram.substr(0, head_end);
  size_t at = head.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 >= head.size() || head[at + 1] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("uevent: bad head \"", absl::CEscape(head.substr(0, 64)), "\""));
  }
  if (head_end == absl::string_view::npos) {
    return absl::InvalidArgumentError("uevent: no properties after the head");
  }
  absl::Status s = ParseProps(datagram.substr(head_end + 1), props);
  if (!s.ok()) return s;
  absl::StatusOr<Uevent> ev = UeventFromProps(std::move(props));
  if (!ev.ok()) return ev;
  if (ev->action != head.substr(0, at) || ev->devpath != head.substr(at + 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("uevent: head \"", absl::CEscape(head), "\" disagrees with ACTION/DEVPATH"));
  }
  return ev;
}

std::string EncodeKernelUevent(const Uevent& event) {
  std::string out = absl::StrCat(event.action, "@", event.devpath);
  out.push_back('\0');
  for (const auto& [k, v] : event.props) {
    absl::StrAppend(&out, k, "=", v);
    out.push_back('\0');
  }
  return out;
}

Env ParseUeventFile(absl::string_view contents) {
  Env env;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    if (auto kv = ParseAssignment(line)) env.push_back(std::move(*kv));
  }
  return env;
}

}  // namespace baton::supervisor
