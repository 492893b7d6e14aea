// /etc/crypttab (crypttab(5), the systemd and Debian dialects' common part).
//
//   NAME DEVICE [KEYFILE [OPTIONS]]
//
// NAME is the /dev/mapper name. DEVICE is a device spec (UUID=, PARTUUID=,
// LABEL=, /dev/…; see root_spec.h). KEYFILE "none", "-" or absent means ask
// for a passphrase; "PATH:KEYDEV" means PATH on the device KEYDEV (systemd).
// OPTIONS is a comma list; the ones stage 1 acts on are parsed (luks, plain,
// discard, readonly/read-only, noauto, nofail, keyfile-size=, keyfile-offset=,
// tries=, header=), every other one (keyscript=, cipher=, initramfs, …) is
// kept in `other_options` as written. Octal escapes are decoded as in fstab.
//
// A bad line (fewer than two or more than four fields, a device spec
// RootSpec refuses, a non-numeric keyfile-size/keyfile-offset/tries, a NAME
// containing '/') is reported as "FILE:LINE: …" and skipped.
#ifndef BATON_SUPERVISOR_STAGE1_CRYPTTAB_H_
#define BATON_SUPERVISOR_STAGE1_CRYPTTAB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "supervisor/stage1/parse_result.h"
#include "supervisor/stage1/root_spec.h"

namespace baton::stage1 {

struct CrypttabEntry {
  std::string name;
  std::string device;  // as written
  RootSpec device_spec;
  std::string key_file;    // "" = no key file: ask for a passphrase
  std::string key_device;  // device spec holding key_file; "" = the running root

  bool luks = false;
  bool plain = false;
  bool discard = false;
  bool read_only = false;
  bool noauto = false;
  bool nofail = false;
  std::optional<uint64_t> keyfile_size;    // bytes
  std::optional<uint64_t> keyfile_offset;  // bytes
  std::optional<int> tries;                // 0 = unlimited; nullopt = the tool's default
  std::string header;                      // detached LUKS header; "" = on DEVICE
  std::vector<std::pair<std::string, std::string>> other_options;  // KEY, VALUE ("" if bare)

  int line = 0;
};

// Parses TEXT; FILE names it in error messages.
ParseResult<CrypttabEntry> ParseCrypttab(absl::string_view text, absl::string_view file);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_CRYPTTAB_H_
