#include "supervisor/stage1/luks_hash.h"

#include <algorithm>
#include <cstring>

#include "supervisor/stage1/byte_order.h"
#include "supervisor/stage1/luks_secret.h"

namespace baton::stage1::luks {
namespace {

inline uint32_t Rotl32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
inline uint32_t Rotr32(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
inline uint64_t Rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

constexpr uint32_t kK256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

constexpr uint64_t kK512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

// The block functions leave their message schedule in W (80 words), which
// the caller wipes: once per hash, or once per PBKDF2 run, not per block.
void Sha1Block(uint32_t* h, const uint8_t* p, uint32_t* w) {
  for (int i = 0; i < 16; ++i) w[i] = LoadBe32(p + 4 * i);
  for (int i = 16; i < 80; ++i) w[i] = Rotl32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  auto step = [&](uint32_t f, uint32_t k, uint32_t wi) {
    const uint32_t t = Rotl32(a, 5) + f + e + k + wi;
    e = d;
    d = c;
    c = Rotl32(b, 30);
    b = a;
    a = t;
  };
  for (int i = 0; i < 20; ++i) step((b & c) | (~b & d), 0x5a827999, w[i]);
  for (int i = 20; i < 40; ++i) step(b ^ c ^ d, 0x6ed9eba1, w[i]);
  for (int i = 40; i < 60; ++i) step((b & c) | (b & d) | (c & d), 0x8f1bbcdc, w[i]);
  for (int i = 60; i < 80; ++i) step(b ^ c ^ d, 0xca62c1d6, w[i]);
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

void Sha256Block(uint32_t* h, const uint8_t* p, uint32_t* w) {
  for (int i = 0; i < 16; ++i) w[i] = LoadBe32(p + 4 * i);
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = Rotr32(w[i - 15], 7) ^ Rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = Rotr32(w[i - 2], 17) ^ Rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t s1 = Rotr32(e, 6) ^ Rotr32(e, 11) ^ Rotr32(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + s1 + ch + kK256[i] + w[i];
    uint32_t s0 = Rotr32(a, 2) ^ Rotr32(a, 13) ^ Rotr32(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = s0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void Sha512Block(uint64_t* h, const uint8_t* p, uint64_t* w) {
  for (int i = 0; i < 16; ++i) w[i] = LoadBe64(p + 8 * i);
  for (int i = 16; i < 80; ++i) {
    uint64_t s0 = Rotr64(w[i - 15], 1) ^ Rotr64(w[i - 15], 8) ^ (w[i - 15] >> 7);
    uint64_t s1 = Rotr64(w[i - 2], 19) ^ Rotr64(w[i - 2], 61) ^ (w[i - 2] >> 6);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 80; ++i) {
    uint64_t s1 = Rotr64(e, 14) ^ Rotr64(e, 18) ^ Rotr64(e, 41);
    uint64_t ch = (e & f) ^ (~e & g);
    uint64_t t1 = hh + s1 + ch + kK512[i] + w[i];
    uint64_t s0 = Rotr64(a, 28) ^ Rotr64(a, 34) ^ Rotr64(a, 39);
    uint64_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint64_t t2 = s0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

}  // namespace

std::optional<HashAlg> HashByName(absl::string_view name) {
  if (name == "sha1") return HashAlg::kSha1;
  if (name == "sha256") return HashAlg::kSha256;
  if (name == "sha512") return HashAlg::kSha512;
  return std::nullopt;
}

absl::string_view HashName(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return "sha1";
    case HashAlg::kSha256:
      return "sha256";
    case HashAlg::kSha512:
      return "sha512";
  }
  return "?";
}

size_t DigestSize(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return 20;
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha512:
      return 64;
  }
  return 0;
}

size_t HashBlockSize(HashAlg alg) { return alg == HashAlg::kSha512 ? 128 : 64; }

Hasher::Hasher(HashAlg alg) : alg_(alg) {
  memset(h32_, 0, sizeof(h32_));
  memset(h64_, 0, sizeof(h64_));
  memset(buf_, 0, sizeof(buf_));
  switch (alg) {
    case HashAlg::kSha1: {
      const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
      memcpy(h32_, iv, sizeof(iv));
      break;
    }
    case HashAlg::kSha256: {
      const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
      memcpy(h32_, iv, sizeof(iv));
      break;
    }
    case HashAlg::kSha512: {
      const uint64_t iv[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                              0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                              0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};
      memcpy(h64_, iv, sizeof(iv));
      break;
    }
  }
}

Hasher::~Hasher() {
  WipeBytes(h32_, sizeof(h32_));
  WipeBytes(h64_, sizeof(h64_));
  WipeBytes(buf_, sizeof(buf_));
}

void Hasher::Compress(const uint8_t* block) {
  uint32_t w32[80];
  uint64_t w64[80];
  switch (alg_) {
    case HashAlg::kSha1:
      Sha1Block(h32_, block, w32);
      WipeBytes(w32, sizeof(w32));
      break;
    case HashAlg::kSha256:
      Sha256Block(h32_, block, w32);
      WipeBytes(w32, sizeof(w32));
      break;
    case HashAlg::kSha512:
      Sha512Block(h64_, block, w64);
      WipeBytes(w64, sizeof(w64));
      break;
  }
}

void Hasher::Update(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  const size_t bs = HashBlockSize(alg_);
  total_ += len;
  if (buf_len_ > 0) {
    size_t take = std::min(len, bs - buf_len_);
    memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    len -= take;
    if (buf_len_ < bs) return;
    Compress(buf_);
    buf_len_ = 0;
  }
  while (len >= bs) {
    Compress(p);
    p += bs;
    len -= bs;
  }
  memcpy(buf_, p, len);
  buf_len_ = len;
}

void Hasher::Final(uint8_t* out) {
  const size_t bs = HashBlockSize(alg_);
  const size_t len_bytes = alg_ == HashAlg::kSha512 ? 16 : 8;
  const uint64_t bits = total_ * 8;
  buf_[buf_len_++] = 0x80;
  if (buf_len_ > bs - len_bytes) {
    memset(buf_ + buf_len_, 0, bs - buf_len_);
    Compress(buf_);
    buf_len_ = 0;
  }
  memset(buf_ + buf_len_, 0, bs - buf_len_);
  StoreBe64(buf_ + bs - 8, bits);  // the high 64 bits of SHA-512's length stay 0
  Compress(buf_);
  if (alg_ == HashAlg::kSha512) {
    for (int i = 0; i < 8; ++i) StoreBe64(out + 8 * i, h64_[i]);
  } else {
    const int words = alg_ == HashAlg::kSha1 ? 5 : 8;
    for (int i = 0; i < words; ++i) StoreBe32(out + 4 * i, h32_[i]);
  }
  WipeBytes(h32_, sizeof(h32_));
  WipeBytes(h64_, sizeof(h64_));
  WipeBytes(buf_, sizeof(buf_));
  buf_len_ = 0;
}

void Hash(HashAlg alg, const void* data, size_t len, uint8_t* out) {
  Hasher h(alg);
  h.Update(data, len);
  h.Final(out);
}

Hmac::Hmac(HashAlg alg, const void* key, size_t key_len) : inner_(alg), outer_(alg) {
  const size_t bs = HashBlockSize(alg);
  uint8_t k[kMaxHashBlockSize] = {};
  if (key_len > bs) {
    Hash(alg, key, key_len, k);
  } else if (key_len > 0) {
    memcpy(k, key, key_len);
  }
  uint8_t pad[kMaxHashBlockSize];
  for (size_t i = 0; i < bs; ++i) pad[i] = k[i] ^ 0x36;
  inner_.Update(pad, bs);
  for (size_t i = 0; i < bs; ++i) pad[i] = k[i] ^ 0x5c;
  outer_.Update(pad, bs);
  WipeBytes(k, sizeof(k));
  WipeBytes(pad, sizeof(pad));
}

void Hmac::Compute(const void* data, size_t len, uint8_t* out) const {
  uint8_t inner_digest[kMaxDigestSize];
  Hasher in = inner_;
  in.Update(data, len);
  in.Final(inner_digest);
  Hasher out_h = outer_;
  out_h.Update(inner_digest, DigestSize(inner_.alg()));
  out_h.Final(out);
  WipeBytes(inner_digest, sizeof(inner_digest));
}

// One HMAC of a message of exactly DigestSize bytes, from the precomputed
// inner/outer states, straight on the compression function: the block
// (message, 0x80, zeros, the bit length of key block + message) is laid out
// once and only its first DigestSize bytes change per call. PBKDF2 makes
// millions of these.
class Pbkdf2Round {
 public:
  explicit Pbkdf2Round(const Hmac& hmac) : alg_(hmac.Inner().alg()) {
    const Hasher inner = hmac.Inner();
    const Hasher outer = hmac.Outer();
    memcpy(in32_, inner.h32_, sizeof(in32_));
    memcpy(out32_, outer.h32_, sizeof(out32_));
    memcpy(in64_, inner.h64_, sizeof(in64_));
    memcpy(out64_, outer.h64_, sizeof(out64_));
    const size_t bs = HashBlockSize(alg_);
    const size_t dlen = DigestSize(alg_);
    memset(block_, 0, sizeof(block_));
    block_[dlen] = 0x80;
    StoreBe64(block_ + bs - 8, uint64_t{bs + dlen} * 8);
  }
  ~Pbkdf2Round() {
    WipeBytes(in32_, sizeof(in32_));
    WipeBytes(out32_, sizeof(out32_));
    WipeBytes(in64_, sizeof(in64_));
    WipeBytes(out64_, sizeof(out64_));
    WipeBytes(block_, sizeof(block_));
    WipeBytes(w32_, sizeof(w32_));
    WipeBytes(w64_, sizeof(w64_));
    WipeBytes(t32_, sizeof(t32_));
    WipeBytes(t64_, sizeof(t64_));
  }

  // U = HMAC(key, U), in place (DigestSize bytes).
  void Apply(uint8_t* u) {
    const size_t dlen = DigestSize(alg_);
    memcpy(block_, u, dlen);
    Half(in32_, in64_, u);
    memcpy(block_, u, dlen);
    Half(out32_, out64_, u);
  }

 private:
  void Half(const uint32_t* s32, const uint64_t* s64, uint8_t* out) {
    switch (alg_) {
      case HashAlg::kSha1: {
        uint32_t* h = t32_;
        memcpy(h, s32, 5 * sizeof(uint32_t));
        Sha1Block(h, block_, w32_);
        for (int i = 0; i < 5; ++i) StoreBe32(out + 4 * i, h[i]);
        break;
      }
      case HashAlg::kSha256: {
        uint32_t* h = t32_;
        memcpy(h, s32, 8 * sizeof(uint32_t));
        Sha256Block(h, block_, w32_);
        for (int i = 0; i < 8; ++i) StoreBe32(out + 4 * i, h[i]);
        break;
      }
      case HashAlg::kSha512: {
        uint64_t* h = t64_;
        memcpy(h, s64, 8 * sizeof(uint64_t));
        Sha512Block(h, block_, w64_);
        for (int i = 0; i < 8; ++i) StoreBe64(out + 8 * i, h[i]);
        break;
      }
    }
  }

  HashAlg alg_;
  uint32_t in32_[8], out32_[8];
  uint64_t in64_[8], out64_[8];
  uint8_t block_[kMaxHashBlockSize];
  uint32_t w32_[80];  // message schedules and working states, wiped once at the end
  uint64_t w64_[80];
  uint32_t t32_[8];
  uint64_t t64_[8];
};

void Pbkdf2(HashAlg alg, const void* password, size_t password_len, const void* salt,
            size_t salt_len, uint32_t iterations, uint8_t* out, size_t out_len) {
  if (iterations == 0) iterations = 1;
  const Hmac hmac(alg, password, password_len);
  Pbkdf2Round round(hmac);
  const size_t dlen = DigestSize(alg);
  uint8_t u[kMaxDigestSize];
  uint8_t t[kMaxDigestSize];
  for (uint32_t block = 1; out_len > 0; ++block) {
    uint8_t counter[4];
    StoreBe32(counter, block);
    Hasher h = hmac.Inner();
    h.Update(salt, salt_len);
    h.Update(counter, 4);
    h.Final(u);
    Hasher o = hmac.Outer();
    o.Update(u, dlen);
    o.Final(u);
    memcpy(t, u, dlen);
    for (uint32_t i = 1; i < iterations; ++i) {
      round.Apply(u);
      for (size_t j = 0; j < dlen; ++j) t[j] ^= u[j];
    }
    const size_t take = std::min(out_len, dlen);
    memcpy(out, t, take);
    out += take;
    out_len -= take;
  }
  WipeBytes(u, sizeof(u));
  WipeBytes(t, sizeof(t));
}

}  // namespace baton::stage1::luks
