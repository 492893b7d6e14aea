// Opening a LUKS key slot natively: passphrase → key slot key (PBKDF2, or
// Argon2i/Argon2id through libargon2) → the key slot area read and
// decrypted → AF-merged (the LUKS anti-forensic splitter) → checked against
// the volume key digest; then the dm-crypt table for the data segment as
// cryptsetup would load it. Pure functions: the device is read through a
// callback, nothing here makes a syscall, so unlock.cc and the tests feed it.
//
// Key material lives in SecretBytes (wiped); the table's params hold the
// volume key in hex, so the caller wipes CryptTarget's result after loading
// it and never logs it. No error message here carries key bytes.
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_KEYSLOT_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_KEYSLOT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "supervisor/stage1/luks_header.h"
#include "supervisor/stage1/luks_secret.h"
#include "sys/kernel.h"

namespace baton::stage1::luks {

// What cryptsetup says, and what unlock.cc shows, when no key slot opens.
inline constexpr char kNoKeyMessage[] = "No key available with this passphrase.";

// Reads exactly LEN bytes at byte OFFSET of the device holding the header.
using ReadAtFn = std::function<absl::Status(uint64_t offset, uint8_t* buf, size_t len)>;

// The key slot key of SLOT for PASSPHRASE (slot.area_key_size bytes).
absl::StatusOr<SecretBytes> DeriveSlotKey(const LuksKeyslot& slot, const void* passphrase,
                                          size_t passphrase_len);

// AF-merge: KEY_SIZE bytes from STRIPES × KEY_SIZE bytes of SPLIT, diffused
// with HASH (LUKS1 spec §2.4, as LUKS2's af type "luks1").
void AfMerge(const uint8_t* split, size_t key_size, uint32_t stripes, HashAlg hash, uint8_t* out);

// Whether VOLUME_KEY matches DIGEST (PBKDF2 of the key, compared in constant time).
bool VolumeKeyMatches(const LuksDigest& digest, const SecretBytes& volume_key);

struct RecoveredKey {
  SecretBytes volume_key;
  std::string slot_id;
};

// Tries HEADER's key slots in order with PASSPHRASE. PermissionDenied with
// kNoKeyMessage when none opens; another error (a read failure, Argon2 out
// of memory) when one could not be tried and none opened.
absl::StatusOr<RecoveredKey> RecoverVolumeKey(const LuksHeader& header, const ReadAtFn& read,
                                              const void* passphrase, size_t passphrase_len);

// The dm-crypt target mapping HEADER's data segment on the device DATA_DEV
// of DEVICE_BYTES bytes with VOLUME_KEY:
//   0 <sectors> crypt <cipher> <hex key> <iv offset> <MAJ:MIN> <offset sectors>
//     [<n> allow_discards same_cpu_crypt submit_from_crypt_cpus
//      no_read_workqueue no_write_workqueue sector_size:<N>]
// (the optional ones present as ALLOW_DISCARDS, the header's persistent
// flags and its sector size say, in this order, as cryptsetup writes them).
// WHAT names the device in errors (too small, size not whole sectors).
absl::StatusOr<sys::DmTarget> CryptTarget(const LuksHeader& header, const SecretBytes& volume_key,
                                          uint64_t device_bytes, dev_t data_dev,
                                          bool allow_discards, absl::string_view what);

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_KEYSLOT_H_
