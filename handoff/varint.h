// Base-128 varints (protobuf's) for the handoff's own packed fields
// (handoff/log_pack.h, handoff/env_pack.h).
#ifndef BATON_HANDOFF_VARINT_H_
#define BATON_HANDOFF_VARINT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace baton::handoff {

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

// Reads a varint of at most 10 bytes at *P (before END) and moves *P past
// it; false when it is cut off or longer. Most varints here are one byte.
inline bool GetVarint(const unsigned char** p, const unsigned char* end, uint64_t* v) {
  const unsigned char* q = *p;
  if (q < end && *q < 0x80) {
    *v = *q;
    *p = q + 1;
    return true;
  }
  const unsigned char* limit = end - q > 10 ? q + 10 : end;
  uint64_t result = 0;
  for (int shift = 0; q < limit; shift += 7) {
    uint64_t byte = *q++;
    result |= (byte & 0x7F) << shift;
    if (byte < 0x80) {
      *v = result;
      *p = q;
      return true;
    }
  }
  return false;
}

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_VARINT_H_
