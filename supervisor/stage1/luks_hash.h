// The hashes LUKS headers name ("sha1", "sha256", "sha512"), HMAC over them
// and PBKDF2-HMAC (RFC 8018), in software, for stage 1's native LUKS unlock
// (luks_keyslot.h). A pure library: no syscalls, no allocation of key
// material outside the caller's buffers; every internal state holding key
// material is wiped before it goes out of scope.
//
// Tested against FIPS 180-4 examples, RFC 4231 / RFC 2202 (HMAC), RFC 6070
// and RFC 7914 §11 (PBKDF2).
#ifndef BATON_SUPERVISOR_STAGE1_LUKS_HASH_H_
#define BATON_SUPERVISOR_STAGE1_LUKS_HASH_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace baton::stage1::luks {

enum class HashAlg { kSha1, kSha256, kSha512 };

inline constexpr size_t kMaxDigestSize = 64;
inline constexpr size_t kMaxHashBlockSize = 128;

// "sha1", "sha256", "sha512" (case as LUKS writes them); nullopt for others.
std::optional<HashAlg> HashByName(absl::string_view name);
absl::string_view HashName(HashAlg alg);
size_t DigestSize(HashAlg alg);
size_t HashBlockSize(HashAlg alg);

// Incremental hashing. The state is wiped on Final and on destruction.
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = default;  // HMAC/PBKDF2 copy precomputed states
  Hasher& operator=(const Hasher&) = default;

  HashAlg alg() const { return alg_; }
  void Update(const void* data, size_t len);
  // Writes DigestSize(alg()) bytes to OUT; the hasher must be reset (a new
  // one made) before further use.
  void Final(uint8_t* out);

 private:
  friend class Pbkdf2Round;  // PBKDF2's inner loop runs on the raw states
  void Compress(const uint8_t* block);

  HashAlg alg_;
  uint32_t h32_[8];
  uint64_t h64_[8];
  uint8_t buf_[kMaxHashBlockSize];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

// One-shot digest of DATA into OUT (DigestSize(alg) bytes).
void Hash(HashAlg alg, const void* data, size_t len, uint8_t* out);

// HMAC (RFC 2104) with KEY, for many messages under one key: the key's inner
// and outer states are computed once.
class Hmac {
 public:
  Hmac(HashAlg alg, const void* key, size_t key_len);
  // Writes DigestSize bytes: HMAC(key, DATA).
  void Compute(const void* data, size_t len, uint8_t* out) const;
  // Inner and outer states, ready for Update.
  Hasher Inner() const { return inner_; }
  Hasher Outer() const { return outer_; }

 private:
  Hasher inner_;
  Hasher outer_;
};

// PBKDF2-HMAC-ALG(PASSWORD, SALT, ITERATIONS) → OUT_LEN bytes in OUT.
// ITERATIONS 0 is treated as 1.
void Pbkdf2(HashAlg alg, const void* password, size_t password_len, const void* salt,
            size_t salt_len, uint32_t iterations, uint8_t* out, size_t out_len);

}  // namespace baton::stage1::luks

#endif  // BATON_SUPERVISOR_STAGE1_LUKS_HASH_H_
