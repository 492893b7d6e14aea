#include "supervisor/stage1/luks_aes.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "supervisor/stage1/luks_secret.h"

namespace baton::stage1::luks {
namespace {

constexpr uint8_t kSbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab,
    0x76, 0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4,
    0x72, 0xc0, 0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71,
    0xd8, 0x31, 0x15, 0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2,
    0xeb, 0x27, 0xb2, 0x75, 0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6,
    0xb3, 0x29, 0xe3, 0x2f, 0x84, 0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb,
    0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf, 0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45,
    0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8, 0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5,
    0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2, 0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44,
    0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73, 0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a,
    0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb, 0xe0, 0x32, 0x3a, 0x0a, 0x49,
    0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79, 0xe7, 0xc8, 0x37, 0x6d,
    0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08, 0xba, 0x78, 0x25,
    0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a, 0x70, 0x3e,
    0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e, 0xe1,
    0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb,
    0x16};

inline uint8_t Xtime(uint8_t x) { return static_cast<uint8_t>((x << 1) ^ ((x >> 7) * 0x1b)); }

uint8_t Mul(uint8_t a, uint8_t b) {
  uint8_t r = 0;
  while (b) {
    if (b & 1) r ^= a;
    a = Xtime(a);
    b >>= 1;
  }
  return r;
}

// The inverse S-box and InvMixColumns' products, computed once.
struct DecryptTables {
  uint8_t inv_sbox[256];
  uint8_t mul9[256], mul11[256], mul13[256], mul14[256];
  DecryptTables() {
    for (int i = 0; i < 256; ++i) {
      inv_sbox[kSbox[i]] = static_cast<uint8_t>(i);
      mul9[i] = Mul(i, 9);
      mul11[i] = Mul(i, 11);
      mul13[i] = Mul(i, 13);
      mul14[i] = Mul(i, 14);
    }
  }
};
const DecryptTables& Tables() {
  static const DecryptTables* tables = new DecryptTables();
  return *tables;
}

inline void AddRoundKey(uint8_t* s, const uint8_t* rk) {
  for (int i = 0; i < 16; ++i) s[i] ^= rk[i];
}

}  // namespace

Aes::~Aes() { WipeBytes(rk_, sizeof(rk_)); }

bool Aes::SetKey(const uint8_t* key, size_t key_len) {
  if (key_len != 16 && key_len != 24 && key_len != 32) return false;
  const int nk = static_cast<int>(key_len / 4);
  rounds_ = nk + 6;
  const int words = 4 * (rounds_ + 1);
  memcpy(rk_, key, key_len);
  uint8_t rcon = 1;
  for (int i = nk; i < words; ++i) {
    uint8_t t[4];
    memcpy(t, rk_ + 4 * (i - 1), 4);
    if (i % nk == 0) {
      const uint8_t first = t[0];
      t[0] = kSbox[t[1]] ^ rcon;
      t[1] = kSbox[t[2]];
      t[2] = kSbox[t[3]];
      t[3] = kSbox[first];
      rcon = Xtime(rcon);
    } else if (nk > 6 && i % nk == 4) {
      for (uint8_t& b : t) b = kSbox[b];
    }
    for (int j = 0; j < 4; ++j) rk_[4 * i + j] = rk_[4 * (i - nk) + j] ^ t[j];
    WipeBytes(t, sizeof(t));
  }
  return true;
}

void Aes::EncryptBlock(const uint8_t in[16], uint8_t out[16]) const {
  uint8_t s[16], t[16];
  memcpy(s, in, 16);
  AddRoundKey(s, rk_);
  for (int round = 1; round <= rounds_; ++round) {
    // SubBytes and ShiftRows: row r moves r columns left.
    for (int c = 0; c < 4; ++c) {
      for (int r = 0; r < 4; ++r) t[r + 4 * c] = kSbox[s[r + 4 * ((c + r) % 4)]];
    }
    if (round < rounds_) {
      for (int c = 0; c < 4; ++c) {
        uint8_t* col = t + 4 * c;
        const uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        const uint8_t all = a0 ^ a1 ^ a2 ^ a3;
        col[0] ^= all ^ Xtime(a0 ^ a1);
        col[1] ^= all ^ Xtime(a1 ^ a2);
        col[2] ^= all ^ Xtime(a2 ^ a3);
        col[3] ^= all ^ Xtime(a3 ^ a0);
      }
    }
    memcpy(s, t, 16);
    AddRoundKey(s, rk_ + 16 * round);
  }
  memcpy(out, s, 16);
  WipeBytes(s, sizeof(s));
  WipeBytes(t, sizeof(t));
}

void Aes::DecryptBlock(const uint8_t in[16], uint8_t out[16]) const {
  const DecryptTables& tb = Tables();
  uint8_t s[16], t[16];
  memcpy(s, in, 16);
  AddRoundKey(s, rk_ + 16 * rounds_);
  for (int round = rounds_ - 1; round >= 0; --round) {
    // InvShiftRows and InvSubBytes: row r moves r columns right.
    for (int c = 0; c < 4; ++c) {
      for (int r = 0; r < 4; ++r) t[r + 4 * ((c + r) % 4)] = tb.inv_sbox[s[r + 4 * c]];
    }
    AddRoundKey(t, rk_ + 16 * round);
    if (round > 0) {
      for (int c = 0; c < 4; ++c) {
        uint8_t* col = t + 4 * c;
        const uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        col[0] = tb.mul14[a0] ^ tb.mul11[a1] ^ tb.mul13[a2] ^ tb.mul9[a3];
        col[1] = tb.mul9[a0] ^ tb.mul14[a1] ^ tb.mul11[a2] ^ tb.mul13[a3];
        col[2] = tb.mul13[a0] ^ tb.mul9[a1] ^ tb.mul14[a2] ^ tb.mul11[a3];
        col[3] = tb.mul11[a0] ^ tb.mul13[a1] ^ tb.mul9[a2] ^ tb.mul14[a3];
      }
    }
    memcpy(s, t, 16);
  }
  memcpy(out, s, 16);
  WipeBytes(s, sizeof(s));
  WipeBytes(t, sizeof(t));
}

std::string CipherSpec::DmName() const {
  std::string name = mode == Mode::kXts ? "aes-xts-" : "aes-cbc-";
  switch (iv) {
    case Iv::kPlain:
      return name + "plain";
    case Iv::kPlain64:
      return name + "plain64";
    case Iv::kEssiv:
      return absl::StrCat(name, "essiv:", HashName(essiv_hash));
  }
  return name;
}

bool CipherSpec::ValidKeySize(size_t key_len) const {
  if (mode == Mode::kXts) return key_len == 32 || key_len == 48 || key_len == 64;
  return key_len == 16 || key_len == 24 || key_len == 32;
}

absl::StatusOr<CipherSpec> ParseCipher(absl::string_view cipher, absl::string_view mode) {
  const std::string both = absl::StrCat(cipher, "-", mode);
  if (cipher != "aes") {
    return absl::UnimplementedError(
        absl::StrCat("cipher ", both, " is not supported natively (only aes)"));
  }
  CipherSpec spec;
  if (mode == "xts-plain64") {
    spec.mode = CipherSpec::Mode::kXts;
    spec.iv = CipherSpec::Iv::kPlain64;
  } else if (mode == "xts-plain") {
    spec.mode = CipherSpec::Mode::kXts;
    spec.iv = CipherSpec::Iv::kPlain;
  } else if (mode == "cbc-plain64") {
    spec.mode = CipherSpec::Mode::kCbc;
    spec.iv = CipherSpec::Iv::kPlain64;
  } else if (mode == "cbc-plain") {
    spec.mode = CipherSpec::Mode::kCbc;
    spec.iv = CipherSpec::Iv::kPlain;
  } else if (absl::StartsWith(mode, "cbc-essiv:")) {
    std::optional<HashAlg> hash = HashByName(mode.substr(strlen("cbc-essiv:")));
    // The ESSIV key is the hash of the key, used as an AES key: 16 to 32 bytes.
    if (!hash || *hash == HashAlg::kSha1 || *hash == HashAlg::kSha512) {
      return absl::UnimplementedError(absl::StrCat(
          "cipher ", both, " is not supported natively (essiv only with sha256)"));
    }
    spec.mode = CipherSpec::Mode::kCbc;
    spec.iv = CipherSpec::Iv::kEssiv;
    spec.essiv_hash = *hash;
  } else {
    return absl::UnimplementedError(absl::StrCat(
        "cipher ", both,
        " is not supported natively (xts-plain64, xts-plain, cbc-essiv:sha256, cbc-plain64, "
        "cbc-plain)"));
  }
  return spec;
}

absl::StatusOr<CipherSpec> ParseCipher(absl::string_view cipher_mode) {
  size_t dash = cipher_mode.find('-');
  if (dash == absl::string_view::npos) {
    return absl::UnimplementedError(
        absl::StrCat("cipher ", cipher_mode, " is not supported natively (no mode)"));
  }
  return ParseCipher(cipher_mode.substr(0, dash), cipher_mode.substr(dash + 1));
}

absl::Status DecryptSectors(const CipherSpec& spec, const uint8_t* key, size_t key_len,
                            uint8_t* data, size_t len, uint64_t first_sector) {
  constexpr size_t kSector = 512;
  if (len % kSector != 0) {
    return absl::InvalidArgumentError(absl::StrCat("length ", len, " is not whole sectors"));
  }
  if (!spec.ValidKeySize(key_len)) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.DmName(), " cannot use a ", key_len * 8, "-bit key"));
  }
  Aes data_key;
  Aes tweak_key;  // XTS: the key's second half; ESSIV: the hash of the key
  if (spec.mode == CipherSpec::Mode::kXts) {
    data_key.SetKey(key, key_len / 2);
    tweak_key.SetKey(key + key_len / 2, key_len / 2);
  } else {
    data_key.SetKey(key, key_len);
    if (spec.iv == CipherSpec::Iv::kEssiv) {
      uint8_t salt[kMaxDigestSize];
      Hash(spec.essiv_hash, key, key_len, salt);
      tweak_key.SetKey(salt, DigestSize(spec.essiv_hash));
      WipeBytes(salt, sizeof(salt));
    }
  }
  uint8_t iv[16], block[16], next[16];
  for (size_t off = 0; off < len; off += kSector) {
    const uint64_t sector = first_sector + off / kSector;
    memset(iv, 0, sizeof(iv));
    const uint64_t n = spec.iv == CipherSpec::Iv::kPlain ? (sector & 0xffffffffu) : sector;
    for (int i = 0; i < 8; ++i) iv[i] = static_cast<uint8_t>(n >> (8 * i));
    uint8_t* p = data + off;
    if (spec.mode == CipherSpec::Mode::kXts) {
      uint8_t t[16];
      tweak_key.EncryptBlock(iv, t);
      for (size_t b = 0; b < kSector; b += 16) {
        for (int i = 0; i < 16; ++i) block[i] = p[b + i] ^ t[i];
        data_key.DecryptBlock(block, block);
        for (int i = 0; i < 16; ++i) p[b + i] = block[i] ^ t[i];
        // T *= x in GF(2^128), little-endian bytes (IEEE 1619 §5.2).
        uint8_t carry = 0;
        for (int i = 0; i < 16; ++i) {
          const uint8_t c = t[i] >> 7;
          t[i] = static_cast<uint8_t>((t[i] << 1) | carry);
          carry = c;
        }
        if (carry) t[0] ^= 0x87;
      }
      WipeBytes(t, sizeof(t));
    } else {
      uint8_t prev[16];
      if (spec.iv == CipherSpec::Iv::kEssiv) {
        tweak_key.EncryptBlock(iv, prev);
      } else {
        memcpy(prev, iv, 16);
      }
      for (size_t b = 0; b < kSector; b += 16) {
        memcpy(next, p + b, 16);
        data_key.DecryptBlock(p + b, block);
        for (int i = 0; i < 16; ++i) p[b + i] = block[i] ^ prev[i];
        memcpy(prev, next, 16);
      }
    }
  }
  WipeBytes(block, sizeof(block));
  return absl::OkStatus();
}

}  // namespace baton::stage1::luks
