// Small helpers for reading a block device's udev properties (the Env of a
// `block-device-added` event) and for comparing identifiers written by hand
// (kernel command line, fstab, crypttab, mdadm.conf) with what udev reports.
#ifndef BATON_SUPERVISOR_STAGE1_DEVICE_ENV_H_
#define BATON_SUPERVISOR_STAGE1_DEVICE_ENV_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "supervisor/event.h"

namespace baton::stage1 {

using Env = ::baton::supervisor::Env;

// The value of KEY in ENV (the first one), or nullopt.
std::optional<absl::string_view> EnvValue(const Env& env, absl::string_view key);

// The value of KEY, or "" when absent.
absl::string_view EnvValueOr(const Env& env, absl::string_view key);

// A UUID in the one form baton compares: lowercase, with the separators that
// the tools disagree about ('-' and ':') removed. blkid reports an md member's
// array UUID as 8-4-4-4-12, mdadm writes 8:8:8:8, vfat volumes are "ABCD-1234";
// all of them compare equal to their NormalizeUuid form. A leading "luks-"
// (dracut's rd.luks.uuid=luks-UUID) is dropped.
std::string NormalizeUuid(absl::string_view uuid);

// True when A and B name the same UUID (NormalizeUuid-equal, both non-empty).
bool SameUuid(absl::string_view a, absl::string_view b);

// Decodes udev's "\xNN" escapes (ID_FS_LABEL_ENC, ID_PART_ENTRY_NAME and the
// /dev/disk/by-label/ link names). Malformed escapes are kept as written.
std::string DecodeUdevEscapes(absl::string_view s);

// True when PATH is DEVNAME or one of the space-separated DEVLINKS.
bool HasDevicePath(const Env& env, absl::string_view path);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_DEVICE_ENV_H_
