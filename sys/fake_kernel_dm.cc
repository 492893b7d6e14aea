// FakeKernel's device-mapper table (see DEVICE-MAPPER in fake_kernel.h).
#include <sys/sysmacros.h>

#include <cerrno>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sys/fake_kernel.h"
#include "sys/fake_kernel_internal.h"

namespace baton::sys {
namespace {

constexpr unsigned kDmMajor = 253;

bool KnownTarget(const std::string& type) {
  static const std::set<std::string> known = {"linear", "striped", "crypt", "error", "zero"};
  return known.count(type) != 0;
}

bool BadName(const std::string& name) {
  return name.empty() || name.size() > 127 || name.find('/') != std::string::npos;
}

}  // namespace

std::string FakeKernel::DmTableText(const std::vector<DmTarget>& table) {
  std::string out;
  for (const DmTarget& t : table) {
    absl::StrAppend(&out, t.start, " ", t.length, " ", t.type, t.params.empty() ? "" : " ",
                    t.params, "\n");
  }
  return out;
}

dev_t FakeKernel::AddDmDevice(const std::string& name, const std::string& uuid,
                              const std::vector<DmTarget>& table, bool read_only) {
  DmDeviceRecord& rec = dm_devices_[name];
  rec.uuid = uuid;
  rec.dev = makedev(kDmMajor, next_dm_minor_++);
  rec.table = table;
  rec.read_only = read_only;
  rec.suspended = false;
  return rec.dev;
}

void FakeKernel::SetDmOpen(const std::string& name, bool open) {
  auto it = dm_devices_.find(name);
  if (it != dm_devices_.end()) it->second.open = open;
}

absl::StatusOr<dev_t> FakeKernel::DmCreate(const std::string& name, const std::string& uuid) {
  dev_t dev = 0;
  absl::Status st = Logged("dm_create", name, absl::StrCat("dm_create ", name, " ", uuid), [&] {
    if (BadName(name) || uuid.size() > 128) return EINVAL;
    for (const auto& [other, rec] : dm_devices_) {
      if (other == name || (!uuid.empty() && rec.uuid == uuid)) return EBUSY;
    }
    DmDeviceRecord& rec = dm_devices_[name];
    rec.uuid = uuid;
    rec.dev = dev = makedev(kDmMajor, next_dm_minor_++);
    return 0;
  });
  if (!st.ok()) return st;
  return dev;
}

absl::Status FakeKernel::DmLoadTable(const std::string& name, const std::vector<DmTarget>& targets,
                                     bool read_only) {
  std::vector<std::string> types;
  for (const DmTarget& t : targets) types.push_back(t.type);
  std::string line = absl::StrCat("dm_load ", name, " ", absl::StrJoin(types, ","),
                                  read_only ? " ro" : "");
  return Logged("dm_load", name, line, [&] {
    auto it = dm_devices_.find(name);
    if (it == dm_devices_.end()) return ENXIO;
    if (targets.empty()) return EINVAL;
    uint64_t next = 0;
    for (const DmTarget& t : targets) {
      if (t.start != next || t.length == 0 || !KnownTarget(t.type)) return EINVAL;
      next += t.length;
    }
    it->second.inactive = targets;
    it->second.inactive_read_only = read_only;
    it->second.has_inactive = true;
    return 0;
  });
}

absl::Status FakeKernel::DmResume(const std::string& name) {
  return Logged("dm_resume", name, absl::StrCat("dm_resume ", name), [&] {
    auto it = dm_devices_.find(name);
    if (it == dm_devices_.end()) return ENXIO;
    DmDeviceRecord& rec = it->second;
    if (rec.has_inactive) {
      rec.table = std::move(rec.inactive);
      rec.read_only = rec.inactive_read_only;
      rec.inactive.clear();
      rec.has_inactive = false;
    }
    rec.suspended = false;
    return 0;
  });
}

absl::Status FakeKernel::DmRemove(const std::string& name) {
  return Logged("dm_remove", name, absl::StrCat("dm_remove ", name), [&] {
    auto it = dm_devices_.find(name);
    if (it == dm_devices_.end()) return ENXIO;
    if (it->second.open) return EBUSY;
    dm_devices_.erase(it);
    return 0;
  });
}

absl::StatusOr<std::optional<DmInfo>> FakeKernel::DmStatus(const std::string& name) {
  const std::string what = absl::StrCat("device-mapper status ", name);
  if (int err = TakeInjected("dm_status", name)) return ErrnoStatus(err, what);
  if (BadName(name)) return ErrnoStatus(EINVAL, what);
  auto it = dm_devices_.find(name);
  if (it == dm_devices_.end()) return std::optional<DmInfo>();
  DmInfo info;
  info.dev = it->second.dev;
  info.uuid = it->second.uuid;
  info.active = !it->second.table.empty();
  info.suspended = it->second.suspended;
  info.read_only = it->second.read_only;
  return std::optional<DmInfo>(info);
}

}  // namespace baton::sys
