#include "supervisor/stage1/luks_keyslot.h"

#include <argon2.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "supervisor/stage1/luks_aes.h"
#include "supervisor/stage1/luks_hash.h"

namespace baton::stage1::luks {
namespace {

// H(be32(IV) || SRC[0..LEN)), its first LEN bytes into DST (LEN ≤ digest).
void HashBlock(HashAlg hash, uint32_t iv, const uint8_t* src, uint8_t* dst, size_t len) {
  uint8_t counter[4] = {static_cast<uint8_t>(iv >> 24), static_cast<uint8_t>(iv >> 16),
                        static_cast<uint8_t>(iv >> 8), static_cast<uint8_t>(iv)};
  uint8_t digest[kMaxDigestSize];
  Hasher h(hash);
  h.Update(counter, 4);
  h.Update(src, len);
  h.Final(digest);
  memcpy(dst, digest, len);
  WipeBytes(digest, sizeof(digest));
}

void Diffuse(uint8_t* buf, size_t size, HashAlg hash) {
  const size_t ds = DigestSize(hash);
  const size_t blocks = size / ds;
  const size_t rest = size % ds;
  for (size_t i = 0; i < blocks; ++i) {
    HashBlock(hash, static_cast<uint32_t>(i), buf + ds * i, buf + ds * i, ds);
  }
  if (rest) HashBlock(hash, static_cast<uint32_t>(blocks), buf + ds * blocks, buf + ds * blocks, rest);
}

std::string HexKey(const SecretBytes& key) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(key.size() * 2, '0');
  for (size_t i = 0; i < key.size(); ++i) {
    hex[2 * i] = kDigits[key[i] >> 4];
    hex[2 * i + 1] = kDigits[key[i] & 15];
  }
  return hex;
}

}  // namespace

absl::StatusOr<SecretBytes> DeriveSlotKey(const LuksKeyslot& slot, const void* passphrase,
                                          size_t passphrase_len) {
  SecretBytes key(slot.area_key_size);
  if (slot.kdf == LuksKeyslot::Kdf::kPbkdf2) {
    Pbkdf2(slot.pbkdf2_hash, passphrase, passphrase_len, slot.salt.data(), slot.salt.size(),
           slot.iterations, key.data(), key.size());
    return key;
  }
  const argon2_type type = slot.kdf == LuksKeyslot::Kdf::kArgon2i ? Argon2_i : Argon2_id;
  const int rc = argon2_hash(slot.time, slot.memory_kib, slot.parallel, passphrase,
                             passphrase_len, slot.salt.data(), slot.salt.size(), key.data(),
                             key.size(), nullptr, 0, type, ARGON2_VERSION_13);
  if (rc != ARGON2_OK) {
    return absl::ResourceExhaustedError(absl::StrCat("key slot ", slot.id, ": argon2 (",
                                                     slot.memory_kib, " KiB, ", slot.parallel,
                                                     " lanes): ", argon2_error_message(rc)));
  }
  return key;
}

void AfMerge(const uint8_t* split, size_t key_size, uint32_t stripes, HashAlg hash,
             uint8_t* out) {
  SecretBytes buf(key_size);
  for (uint32_t i = 0; i + 1 < stripes; ++i) {
    for (size_t j = 0; j < key_size; ++j) buf[j] ^= split[i * key_size + j];
    Diffuse(buf.data(), key_size, hash);
  }
  const uint8_t* last = split + size_t{stripes - 1} * key_size;
  for (size_t j = 0; j < key_size; ++j) out[j] = buf[j] ^ last[j];
}

bool VolumeKeyMatches(const LuksDigest& digest, const SecretBytes& volume_key) {
  if (digest.digest.empty() || digest.digest.size() > 1024) return false;
  SecretBytes computed(digest.digest.size());
  Pbkdf2(digest.hash, volume_key.data(), volume_key.size(), digest.salt.data(),
         digest.salt.size(), digest.iterations, computed.data(), computed.size());
  uint8_t diff = 0;
  for (size_t i = 0; i < computed.size(); ++i) {
    diff |= computed[i] ^ static_cast<uint8_t>(digest.digest[i]);
  }
  return diff == 0;
}

absl::StatusOr<RecoveredKey> RecoverVolumeKey(const LuksHeader& header, const ReadAtFn& read,
                                              const void* passphrase, size_t passphrase_len) {
  absl::Status failure;
  for (const LuksKeyslot& slot : header.keyslots) {
    absl::StatusOr<SecretBytes> slot_key = DeriveSlotKey(slot, passphrase, passphrase_len);
    if (!slot_key.ok()) {
      failure = slot_key.status();
      continue;
    }
    SecretBytes area(slot.area_size);
    absl::Status st = read(slot.area_offset, area.data(), area.size());
    if (!st.ok()) {
      failure = absl::Status(st.code(), absl::StrCat("key slot ", slot.id, ": ", st.message()));
      continue;
    }
    st = DecryptSectors(slot.area_cipher, slot_key->data(), slot_key->size(), area.data(),
                        area.size(), 0);
    if (!st.ok()) {
      failure = absl::Status(st.code(), absl::StrCat("key slot ", slot.id, ": ", st.message()));
      continue;
    }
    RecoveredKey out;
    out.volume_key.Resize(slot.volume_key_size);
    AfMerge(area.data(), slot.volume_key_size, slot.stripes, slot.af_hash, out.volume_key.data());
    if (VolumeKeyMatches(header.digest, out.volume_key)) {
      out.slot_id = slot.id;
      return out;
    }
  }
  if (!failure.ok()) return failure;
  return absl::PermissionDeniedError(kNoKeyMessage);
}

absl::StatusOr<sys::DmTarget> CryptTarget(const LuksHeader& header, const SecretBytes& volume_key,
                                          uint64_t device_bytes, dev_t data_dev,
                                          bool allow_discards, absl::string_view what) {
  const LuksSegment& seg = header.segment;
  uint64_t bytes;
  if (seg.size) {
    bytes = *seg.size;
    if (seg.offset + bytes > device_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": the LUKS data segment (", bytes, " bytes at ", seg.offset,
          ") goes past the end of the device (", device_bytes, " bytes)"));
    }
  } else {
    if (device_bytes <= seg.offset) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": the device (", device_bytes,
                                                     " bytes) ends before its LUKS data offset (",
                                                     seg.offset, ")"));
    }
    bytes = device_bytes - seg.offset;
  }
  if (bytes % seg.sector_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the data size (", bytes,
                                                   " bytes) is not whole ", seg.sector_size,
                                                   "-byte sectors"));
  }
  auto has_flag = [&](absl::string_view flag) {
    return std::find(header.flags.begin(), header.flags.end(), flag) != header.flags.end();
  };
  std::vector<std::string> features;
  if (allow_discards || has_flag("allow-discards")) features.push_back("allow_discards");
  if (has_flag("same-cpu-crypt")) features.push_back("same_cpu_crypt");
  if (has_flag("submit-from-crypt-cpus")) features.push_back("submit_from_crypt_cpus");
  if (has_flag("no-read-workqueue")) features.push_back("no_read_workqueue");
  if (has_flag("no-write-workqueue")) features.push_back("no_write_workqueue");
  if (seg.sector_size != 512) features.push_back(absl::StrCat("sector_size:", seg.sector_size));

  std::string tail;
  if (!features.empty()) {
    tail = absl::StrCat(" ", features.size());
    for (const std::string& f : features) absl::StrAppend(&tail, " ", f);
  }
  sys::DmTarget target;
  target.start = 0;
  target.length = bytes / 512;
  target.type = "crypt";
  // One allocation holds the key: no reallocated buffer is left unwiped.
  std::string hex = HexKey(volume_key);
  target.params = absl::StrCat(seg.cipher.DmName(), " ", hex, " ", seg.iv_tweak, " ",
                               major(data_dev), ":", minor(data_dev), " ", seg.offset / 512, tail);
  WipeBytes(hex.data(), hex.size());
  return target;
}

}  // namespace baton::stage1::luks
