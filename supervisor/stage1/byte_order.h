// Fixed-width integers stored big- or little-endian in a byte buffer: LUKS
// headers are big-endian, LVM's label and metadata-area headers
// little-endian, and SHA-1/2 load and store their words big-endian.
//
// Plain byte arithmetic, no memcpy and no pointer cast: defined for any
// alignment of P and on a host of either byte order. gcc and clang turn each
// load into one (unaligned) load plus a bswap where one is needed, so these
// are what the hash's inner loops use too; keep them constexpr in this
// header (a call into another object file would cost there).
//
// Nothing here checks bounds: the caller has checked that the WIDTH bytes at
// P, or at AT in S, are inside its buffer.
#ifndef BATON_SUPERVISOR_STAGE1_BYTE_ORDER_H_
#define BATON_SUPERVISOR_STAGE1_BYTE_ORDER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace baton::stage1 {

// --- reads ----------------------------------------------------------------------

constexpr uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
constexpr uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
constexpr uint64_t LoadBe64(const uint8_t* p) {
  return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}
constexpr uint32_t LoadLe32(const uint8_t* p) {
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
constexpr uint64_t LoadLe64(const uint8_t* p) {
  return (uint64_t{LoadLe32(p + 4)} << 32) | LoadLe32(p);
}

// The same at offset AT of bytes held in a string (a header read from disk).
inline const uint8_t* BytesAt(absl::string_view s, size_t at) {
  return reinterpret_cast<const uint8_t*>(s.data()) + at;
}
inline uint16_t LoadBe16(absl::string_view s, size_t at) { return LoadBe16(BytesAt(s, at)); }
inline uint32_t LoadBe32(absl::string_view s, size_t at) { return LoadBe32(BytesAt(s, at)); }
inline uint64_t LoadBe64(absl::string_view s, size_t at) { return LoadBe64(BytesAt(s, at)); }
inline uint32_t LoadLe32(absl::string_view s, size_t at) { return LoadLe32(BytesAt(s, at)); }
inline uint64_t LoadLe64(absl::string_view s, size_t at) { return LoadLe64(BytesAt(s, at)); }

// --- writes ---------------------------------------------------------------------

constexpr void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
constexpr void StoreBe64(uint8_t* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_BYTE_ORDER_H_
