#include "handoff/log_pack.h"

namespace baton::handoff {
namespace {

void PutVarint(std::string* out, uint64_t v) {
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
// it; false when it is cut off or longer. Most lengths are one byte.
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

}  // namespace

void PackLogLine(std::string* packed, int64_t since_start_ns, absl::string_view text) {
  char time[8];
  uint64_t t = static_cast<uint64_t>(since_start_ns);
  for (int i = 0; i < 8; ++i) time[i] = static_cast<char>(t >> (8 * i));
  packed->append(time, 8);
  PutVarint(packed, text.size());
  packed->append(text.data(), text.size());
}

bool PackedLogReader::Next(PackedLogLine* line) {
  if (damaged_ || offset_ == packed_.size()) return false;
  const auto* begin = reinterpret_cast<const unsigned char*>(packed_.data());
  const unsigned char* end = begin + packed_.size();
  const unsigned char* p = begin + offset_;
  uint64_t length = 0;
  if (end - p < 8) {
    damaged_ = true;
    return false;
  }
  uint64_t t = 0;
  for (int i = 7; i >= 0; --i) t = (t << 8) | p[i];  // one load on little-endian hosts
  p += 8;
  if (!GetVarint(&p, end, &length) || length > static_cast<uint64_t>(end - p)) {
    damaged_ = true;
    return false;
  }
  line->since_start_ns = static_cast<int64_t>(t);
  line->text = absl::string_view(reinterpret_cast<const char*>(p), length);
  offset_ = (p - begin) + length;
  return true;
}

size_t LogLineCount(const LogRing& ring) {
  size_t count = ring.lines_size();
  PackedLogReader reader(ring.packed_lines());
  for (PackedLogLine line; reader.Next(&line);) ++count;
  return count;
}

}  // namespace baton::handoff
