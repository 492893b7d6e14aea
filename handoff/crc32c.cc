#include "handoff/crc32c.h"

#include <array>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace baton::handoff {
namespace {

using Table = std::array<std::array<uint32_t, 256>, 8>;

Table MakeTable() {
  Table t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

const Table& GetTable() {
  static const Table table = MakeTable();
  return table;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of three cycles but can start one
// every cycle, so one stream of it runs at a third of its speed. Big inputs
// are cut into rounds of three stripes computed side by side and joined:
// for the raw (unconditioned) CRC state, crc(S, A B) == Shift|B|(crc(S, A))
// ^ crc(0, B), where Shift|B| advances a state past |B| zero bytes and is
// linear, a 32x32 matrix over GF(2) (zlib's crc32_combine).
constexpr size_t kStripe = 8192;

struct Gf2Matrix {
  uint32_t column[32] = {};  // the image of the state 1 << i
};

constexpr uint32_t Times(const Gf2Matrix& m, uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; v != 0; ++i, v >>= 1) {
    if (v & 1) r ^= m.column[i];
  }
  return r;
}

// Advancing past kStripe zero bytes: one zero bit, squared log2(8 * kStripe)
// times. Computed by the compiler.
constexpr Gf2Matrix MakeStripeShift() {
  Gf2Matrix m;
  m.column[0] = 0x82F63B78u;
  for (int i = 1; i < 32; ++i) m.column[i] = 1u << (i - 1);
  for (size_t bits = 1; bits < 8 * kStripe; bits *= 2) {
    Gf2Matrix sq;
    for (int i = 0; i < 32; ++i) sq.column[i] = Times(m, m.column[i]);
    m = sq;
  }
  return m;
}

constexpr Gf2Matrix kStripeShift = MakeStripeShift();

// The SSE4.2 crc32 instruction computes the same CRC-32C, 8 bytes a step.
__attribute__((target("sse4.2"))) uint32_t HardwareCrc32c(const unsigned char* p, size_t n) {
  uint64_t crc = 0xFFFFFFFFu;
  while (n >= 3 * kStripe) {
    uint64_t crc1 = 0;
    uint64_t crc2 = 0;
    for (size_t i = 0; i < kStripe; i += 8) {
      uint64_t w0, w1, w2;
      __builtin_memcpy(&w0, p + i, 8);
      __builtin_memcpy(&w1, p + kStripe + i, 8);
      __builtin_memcpy(&w2, p + 2 * kStripe + i, 8);
      crc = _mm_crc32_u64(crc, w0);
      crc1 = _mm_crc32_u64(crc1, w1);
      crc2 = _mm_crc32_u64(crc2, w2);
    }
    uint32_t joined = Times(kStripeShift, static_cast<uint32_t>(crc)) ^ static_cast<uint32_t>(crc1);
    crc = Times(kStripeShift, joined) ^ static_cast<uint32_t>(crc2);
    p += 3 * kStripe;
    n -= 3 * kStripe;
  }
  while (n >= 8) {
    uint64_t word;
    __builtin_memcpy(&word, p, 8);
    crc = _mm_crc32_u64(crc, word);
    p += 8;
    n -= 8;
  }
  uint32_t crc32 = static_cast<uint32_t>(crc);
  while (n-- > 0) crc32 = _mm_crc32_u8(crc32, *p++);
  return crc32 ^ 0xFFFFFFFFu;
}

bool HasHardwareCrc() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t Crc32c(absl::string_view data) {
#if defined(__x86_64__)
  if (HasHardwareCrc()) {
    return HardwareCrc32c(reinterpret_cast<const unsigned char*>(data.data()), data.size());
  }
#endif
  return SoftwareCrc32c(data);
}

uint32_t SoftwareCrc32c(absl::string_view data) {
  const Table& t = GetTable();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint32_t crc = 0xFFFFFFFFu;
  while (n >= 8) {
    // Little-endian loads, whatever the host: the order the tables expect.
    uint32_t lo = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    uint32_t hi = p[4] | (p[5] << 8) | (p[6] << 16) | (static_cast<uint32_t>(p[7]) << 24);
    lo ^= crc;
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace baton::handoff
