// Encoding and lenient decoding of the handoff (proto/handoff.proto).
//
// FRAME. Encode writes
//     "BATONHO1"                 8 bytes of magic
//     length                     uint32, little-endian: payload bytes
//     crc                        uint32, little-endian: CRC-32C of the payload
//     payload                    the serialized Handoff
// so that a truncated or damaged handoff is caught before parsing. The
// magic's last character is the frame version: a new framing gets a new
// magic, and this reader rejects it as "not a handoff".
//
// DECODE is lenient and never fails hard: the result is either a Handoff
// (possibly with items removed, each named in `warnings`) or no Handoff and a
// `stateless_reason` for stage 2 to log and show in `initctl
// handoff-status`. Reasons, in the order they are checked:
//   "handoff truncated: N of M bytes"          (M is 16 when the header itself
//                                               is cut short)
//   "not a handoff: bad magic"
//   "handoff too large: L bytes (limit kMaxPayloadBytes)"
//   "handoff checksum mismatch: stored X, computed Y"
//   "handoff payload does not parse"
//   the version rules of handoff/version.h (min_reader_version too new, no
//   header)
// Accepted handoffs may carry warnings: trailing bytes after the frame,
// version skew, and every item handoff/validate.h removed. Fields unknown to
// this build are kept in the message, so Encode(Decode(x)) writes them back.
#ifndef BATON_HANDOFF_CODEC_H_
#define BATON_HANDOFF_CODEC_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/arena.h"
#include "proto/handoff.pb.h"

namespace baton::handoff {

inline constexpr absl::string_view kMagic = "BATONHO1";
inline constexpr size_t kHeaderBytes = 16;
inline constexpr size_t kMaxPayloadBytes = 64 << 20;

// The decoded handoff lives on an arena the result owns: parsing thousands of
// small log-line messages into an arena takes about half the time of heap
// allocation, and stage 2 drops the whole handoff at once after restoring.
// Moving a DecodeResult keeps `handoff` valid.
struct DecodeResult {
  std::unique_ptr<google::protobuf::Arena> arena;
  Handoff* handoff = nullptr;         // on `arena`; set when accepted
  std::vector<std::string> warnings;  // what was skipped or odd
  std::string stateless_reason;       // set when rejected
  bool ok() const { return handoff != nullptr; }
};

// Sets format_version, min_reader_version and producer_build to this build's.
void StampVersion(Handoff* handoff);

// Frames HANDOFF. InvalidArgument when its header is missing (format_version
// or min_reader_version 0); ResourceExhausted over kMaxPayloadBytes. Secret
// environment entries (handoff/secrets.h), KeyValue or packed, are removed
// from the encoding even if the caller forgot to filter them.
absl::StatusOr<std::string> Encode(const Handoff& handoff);

DecodeResult Decode(absl::string_view bytes);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_CODEC_H_
