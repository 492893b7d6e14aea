// Opening a LUKS device without cryptsetup, through sys::Kernel: the header
// is read (from the device, or from a detached header file) and parsed once
// (luks_header.h); each key tried (a key file's bytes or a typed passphrase)
// goes through the key slots (luks_keyslot.h); the right one makes the
// dm-crypt device NAME (dm.h ActivateDm) with cryptsetup's dm uuid
// ("CRYPT-LUKS2-<uuid without dashes>-NAME"), read-only if asked.
//
// The data device's size is /sys/dev/block/MAJ:MIN/size (512-byte sectors;
// SysDevBlock below, for tests). The table string holding the volume key in
// hex is wiped after the load, and no log line or error carries it: a dm
// error names the device and the kernel's errno only.
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_OPEN_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_OPEN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "supervisor/stage1/luks_header.h"
#include "supervisor/stage1/luks_secret.h"
#include "sys/kernel.h"

namespace baton::stage1 {

struct LuksOpenRequest {
  std::string device;  // "/dev/vda2": holds the data (and the header, unless HEADER)
  std::string name;    // dm name: /dev/mapper/NAME
  std::string header;  // crypttab header=: a detached header file or device; "" = DEVICE
  bool allow_discards = false;
  bool read_only = false;
  std::string sys_dev_block = "/sys/dev/block";
};

class NativeLuks {
 public:
  // Reads and parses the header. Errors name the device: not LUKS, a
  // damaged header, what is not supported natively (Unimplemented, saying
  // the cryptsetup tool is needed).
  static absl::StatusOr<NativeLuks> Load(sys::Kernel& kernel, const LuksOpenRequest& request);

  const luks::LuksHeader& header() const { return header_; }

  // Tries KEY (KEY_LEN bytes) on the key slots; the right one activates
  // the dm-crypt device. PermissionDenied with luks::kNoKeyMessage when no
  // key slot opens. On success *SLOT_ID (if given) names the key slot.
  absl::Status Open(const void* key, size_t key_len, std::string* slot_id = nullptr) const;

 private:
  NativeLuks(sys::Kernel& kernel, LuksOpenRequest request, luks::LuksHeader header)
      : kernel_(&kernel), request_(std::move(request)), header_(std::move(header)) {}

  sys::Kernel* kernel_;
  LuksOpenRequest request_;
  luks::LuksHeader header_;
};

// Reads the key file PATH as cryptsetup --key-file does: from byte OFFSET,
// SIZE bytes if SIZE is set (fewer is an error), else to the end (at most
// 8 MiB, cryptsetup's limit). The bytes are the key as they are (no
// newline is stripped). Errors name the file.
absl::StatusOr<luks::SecretBytes> ReadKeyFile(sys::Kernel& kernel, const std::string& path,
                                              std::optional<uint64_t> size, uint64_t offset);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_OPEN_H_
