// AES (FIPS-197, 128/192/256-bit keys) and the sector modes LUKS key slots
// use (aes-xts-plain64, aes-xts-plain, aes-cbc-essiv:sha256, aes-cbc-plain64,
// aes-cbc-plain), decryption only, in software, for stage 1's native LUKS
// unlock. A pure library; expanded keys are wiped on destruction.
//
// Tested against FIPS-197 appendix C, IEEE 1619-2007 XTS vectors and a
// cbc-essiv sector decrypted both ways (luks_aes_test.cc).
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_AES_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_AES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/luks_hash.h"

namespace baton::stage1::luks {

class Aes {
 public:
  Aes() = default;
  ~Aes();
  Aes(const Aes&) = delete;
  Aes& operator=(const Aes&) = delete;

  // KEY_LEN 16, 24 or 32; false for any other length.
  bool SetKey(const uint8_t* key, size_t key_len);
  void EncryptBlock(const uint8_t in[16], uint8_t out[16]) const;
  void DecryptBlock(const uint8_t in[16], uint8_t out[16]) const;

 private:
  uint8_t rk_[240] = {};  // the expanded key, FIPS-197 §5.2, as bytes
  int rounds_ = 0;
};

// A "cipher-mode" LUKS names: cipher "aes" and one of the modes above.
struct CipherSpec {
  enum class Mode { kXts, kCbc };
  enum class Iv { kPlain, kPlain64, kEssiv };
  Mode mode = Mode::kXts;
  Iv iv = Iv::kPlain64;
  HashAlg essiv_hash = HashAlg::kSha256;  // kEssiv only

  // "aes-xts-plain64", as dm-crypt's table wants it.
  std::string DmName() const;
  // Whether KEY_LEN bytes is a valid key (XTS: 32 or 64; CBC: 16, 24, 32).
  bool ValidKeySize(size_t key_len) const;
};

// CIPHER "aes" with MODE "xts-plain64" (LUKS1 names them apart); the error
// names what is not supported.
absl::StatusOr<CipherSpec> ParseCipher(absl::string_view cipher, absl::string_view mode);
// LUKS2's one string, "aes-xts-plain64".
absl::StatusOr<CipherSpec> ParseCipher(absl::string_view cipher_mode);

// Decrypts LEN bytes (a multiple of 512) in place as 512-byte sectors,
// numbered from FIRST_SECTOR for the IVs, with KEY (KEY_LEN bytes).
absl::Status DecryptSectors(const CipherSpec& spec, const uint8_t* key, size_t key_len,
                            uint8_t* data, size_t len, uint64_t first_sector = 0);

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_AES_H_
