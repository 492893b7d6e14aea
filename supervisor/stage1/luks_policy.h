// What stage 1 does with a LUKS device that appeared (ID_FS_TYPE=crypto_LUKS):
// leave it alone, unlock it with a key file, or ask for a passphrase; and the
// /dev/mapper name to give it.
//
// Skip when:
//   - the device is not LUKS (ID_FS_TYPE set to something else);
//   - rd.luks=0;
//   - an allow list is given (the UUIDs of rd.luks.uuid= and rd.luks.name=,
//     as systemd-cryptsetup-generator treats both) and the device is not on it;
//   - its crypttab line says noauto and it is not on the allow list.
// Otherwise every LUKS device is offered for unlock (dracut's rd.auto).
//
// Mapping name, first that applies: rd.luks.name=UUID=NAME; the crypttab NAME
// of the line whose device spec matches; dracut's "luks-<ID_FS_UUID>".
//
// Key, first that applies: an rd.luks.key= naming this device; an rd.luks.key=
// naming no device; the crypttab key file (with its keyfile-size/-offset).
// With none, ask for a passphrase. The executor falls back to asking when the
// key file does not open the device, as dracut does. tries=, header=, discard
// and readonly come from the crypttab line. Passphrases never pass through
// here; key material is only named by path.
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_POLICY_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/crypttab.h"
#include "supervisor/stage1/device_env.h"

namespace baton::stage1 {

struct LuksDecision {
  enum class Action { kSkip, kUnlockWithKeyFile, kAskPassphrase };

  Action action = Action::kSkip;
  std::string reason;  // for the log: "rd.luks=0", "crypttab:3", "rd.luks.key", …
  std::string device;  // DEVNAME
  std::string uuid;    // ID_FS_UUID
  std::string name;    // /dev/mapper name (empty when skipped)

  std::string key_file;    // kUnlockWithKeyFile: the key's path
  std::string key_device;  // device spec holding key_file; "" = the initramfs
  std::optional<uint64_t> keyfile_size;
  std::optional<uint64_t> keyfile_offset;

  std::optional<int> tries;  // 0 = unlimited; nullopt = cryptsetup's default
  std::string header;
  bool discard = false;
  bool read_only = false;
  int crypttab_line = 0;  // the crypttab line used, 0 = none
};

// DEVICE is the LUKS device's udev properties (DEVNAME, ID_FS_UUID, …).
LuksDecision DecideLuks(const BootOptions& options,
                        const std::vector<CrypttabEntry>& crypttab, const Env& device);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_POLICY_H_
