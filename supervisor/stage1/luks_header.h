// LUKS1 and LUKS2 on-disk headers, parsed into what the native unlock
// (luks_keyslot.h) needs: the key slots to try, in order, the digest that
// checks a volume key, and the data segment dm-crypt maps. A pure library:
// bytes in, a LuksHeader or an error naming WHAT (the device) out.
//
// LUKS1: the 592-byte header (magic "LUKS\xba\xbe", version 1, cipher name
// and mode, hash spec, payload offset, key bytes, master key digest/salt/
// iterations, UUID, 8 key slots). Every key slot and the digest use PBKDF2
// with the hash spec; the data starts at payload offset sectors.
//
// LUKS2: the binary header at 0 (hdr_size, seqid, checksum over the binary
// header and the JSON area), a secondary copy at hdr_size, the JSON metadata
// after the first 4096 bytes (luks_json.h). The copy with a valid checksum
// and the higher seqid is used; a damaged primary with a good secondary is
// noted (LuksHeader::note). Supported, as `cryptsetup luksFormat` makes it:
// key slots of type luks2 with kdf pbkdf2/argon2i/argon2id, af luks1, area
// raw with an aes cipher (luks_aes.h); one segment of type crypt (offset,
// size "dynamic" or bytes, iv_tweak, encryption, sector_size); a pbkdf2
// digest naming that segment. Refused with an Unimplemented error saying
// what (and that the cryptsetup tool is needed): integrity, more than one
// segment or a reencryption key slot (reencryption in progress), mandatory
// requirements, other ciphers, no key slot usable without a token.
// Key slots bound to a token, or of priority "ignore", are not tried.
//
// Other errors: InvalidArgument "WHAT: …" saying which field is bad, and for
// the JSON where (luks_json.h).
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_HEADER_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/luks_aes.h"
#include "supervisor/stage1/luks_hash.h"

namespace baton::stage1::luks {

inline constexpr size_t kLuks1HeaderSize = 592;
inline constexpr size_t kLuks2BinaryHeaderSize = 4096;
// The largest LUKS2 hdr_size (4 MiB); metadata reads never exceed twice it.
inline constexpr uint64_t kLuks2MaxHdrSize = 4 * 1024 * 1024;

struct LuksKeyslot {
  std::string id;  // "0".."7" for LUKS1; the JSON key for LUKS2
  enum class Kdf { kPbkdf2, kArgon2i, kArgon2id };
  Kdf kdf = Kdf::kPbkdf2;
  std::string salt;  // bytes
  HashAlg pbkdf2_hash = HashAlg::kSha256;
  uint32_t iterations = 0;  // pbkdf2
  uint32_t time = 0;        // argon2: passes
  uint32_t memory_kib = 0;  // argon2
  uint32_t parallel = 0;    // argon2: lanes
  size_t volume_key_size = 0;
  uint32_t stripes = 0;  // anti-forensic split
  HashAlg af_hash = HashAlg::kSha256;
  uint64_t area_offset = 0;  // bytes from the start of the header device
  uint64_t area_size = 0;    // bytes to read: volume_key_size × stripes, whole sectors
  CipherSpec area_cipher;
  size_t area_key_size = 0;  // bytes the KDF makes
};

struct LuksDigest {
  HashAlg hash = HashAlg::kSha256;
  uint32_t iterations = 0;
  std::string salt;    // bytes
  std::string digest;  // bytes; PBKDF2 of the volume key is compared with it
};

struct LuksSegment {
  uint64_t offset = 0;             // bytes from the start of the data device
  std::optional<uint64_t> size;    // bytes; nullopt: to the end of the device
  uint64_t iv_tweak = 0;           // 512-byte sectors
  CipherSpec cipher;
  uint32_t sector_size = 512;
};

struct LuksHeader {
  int version = 0;  // 1 or 2
  std::string uuid;
  std::vector<LuksKeyslot> keyslots;  // to try, in order
  LuksDigest digest;
  LuksSegment segment;
  // LUKS2 persistent activation flags (config.flags), e.g. "allow-discards".
  std::vector<std::string> flags;
  std::string note;  // e.g. the primary LUKS2 header is damaged
};

// How many bytes from the start of the device ParseLuksHeader needs, given
// the first kLuks2BinaryHeaderSize bytes (fewer if the device is that
// small): 592 for LUKS1, twice hdr_size for LUKS2 (both copies).
// InvalidArgument "WHAT is not a LUKS device" when the magic is missing.
absl::StatusOr<uint64_t> LuksMetadataSize(absl::string_view start, absl::string_view what);

// Parses the header in BYTES (the first LuksMetadataSize bytes, or fewer
// when the device ends first).
absl::StatusOr<LuksHeader> ParseLuksHeader(absl::string_view bytes, absl::string_view what);

// "11111111-2222-…" → "CRYPT-LUKS2-111111112222…-NAME", as cryptsetup names
// the dm device (udev rules and lsblk read it).
std::string CryptDmUuid(const LuksHeader& header, absl::string_view name);

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_HEADER_H_
