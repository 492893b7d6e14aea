// Packed log lines: how format 2 carries a log ring's lines
// (LogRing.packed_lines in proto/handoff.proto).
//
// WHY. Format 1 sent each line as a LogLine message with its own string:
// decoding a busy boot's 10,000 lines meant 10,000 messages and 10,000 string
// allocations (and as many frees when the handoff is dropped), the larger
// part of the whole decode. Packed, a ring is one bytes field, parsed with a
// single allocation and read in place.
//
// LAYOUT. Lines back to back, oldest first; for each line
//     8 bytes  since_start_ns, int64 little-endian
//     varint   text length in bytes (protobuf's base-128 varint)
//     bytes    text, without the newline (any bytes: not checked as UTF-8)
// The time is fixed-size rather than a varint (which would be 5 of the 8
// bytes for a boot's first seconds) because it is read for every line twice
// on decode (validation, restore) and a 5-byte varint loop was most of that.
// Every line stands alone (no deltas), so the damage a reader can meet is a
// cut-off or overlong line; it reads the lines before it and stops there.
// handoff/validate.h drops the damaged tail and over-long lines on decode, so
// a decoded handoff's packed lines always read to the end.
#ifndef BATON_HANDOFF_LOG_PACK_H_
#define BATON_HANDOFF_LOG_PACK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

// Appends one line to PACKED (a LogRing's packed_lines).
void PackLogLine(std::string* packed, int64_t since_start_ns, absl::string_view text);

// Appends one line to RING, packed (what format-2 writers do).
inline void AppendLogLine(LogRing* ring, int64_t since_start_ns, absl::string_view text) {
  PackLogLine(ring->mutable_packed_lines(), since_start_ns, text);
}

struct PackedLogLine {
  int64_t since_start_ns = 0;
  absl::string_view text;  // points into the packed bytes
};

// Reads packed lines in order, without copying.
//   PackedLogReader reader(ring.packed_lines());
//   for (PackedLogLine line; reader.Next(&line);) ...
class PackedLogReader {
 public:
  explicit PackedLogReader(absl::string_view packed) : packed_(packed) {}

  // The next line; false at the end or at a damaged line (then damaged()).
  bool Next(PackedLogLine* line);

  bool damaged() const { return damaged_; }
  // Where the next line starts (or the damaged one).
  size_t offset() const { return offset_; }

 private:
  absl::string_view packed_;
  size_t offset_ = 0;
  bool damaged_ = false;
};

// Calls FN(since_start_ns, text) for each line of RING, oldest first: the
// format-1 `lines`, then the packed ones (a ring written by one build has
// only one kind). Stops at damaged packed bytes.
template <typename Fn>
void ForEachLogLine(const LogRing& ring, Fn fn) {
  for (const LogLine& line : ring.lines()) {
    fn(line.since_start_ns(), absl::string_view(line.text()));
  }
  PackedLogReader reader(ring.packed_lines());
  for (PackedLogLine line; reader.Next(&line);) fn(line.since_start_ns, line.text);
}

// How many lines RING carries, both kinds.
size_t LogLineCount(const LogRing& ring);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_LOG_PACK_H_
