#include "handoff/log_pack.h"

#include "handoff/varint.h"

namespace baton::handoff {

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
