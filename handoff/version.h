// Versions of the handoff format and the rules for reading another build's.
//
// A handoff carries two numbers (proto/handoff.proto):
//  * format_version: the format its writer produced (kFormatVersion there);
//  * min_reader_version: the oldest reader that may use it.
// A reader is at kReaderVersion (the newest format it understands). Then:
//  * min_reader_version > kReaderVersion: rejected; stage 2 starts stateless
//    and says "handoff needs reader version M, this reader is R".
//  * format_version > kReaderVersion (but min_reader_version ≤ ours):
//    accepted with the warning "version skew: handoff format F, reader R";
//    fields this reader does not know are kept as unknown fields and written
//    back out unchanged by Encode.
//  * min_reader_version == 0 or format_version == 0: the header is missing;
//    rejected ("handoff has no format version").
#ifndef BATON_HANDOFF_VERSION_H_
#define BATON_HANDOFF_VERSION_H_

#include <cstdint>
#include <optional>
#include <string>

namespace baton::handoff {

// Formats:
//  1  the first release.
//  2  log lines packed into LogRing.packed_lines (handoff/log_pack.h);
//     min_reader_version 2, as a format-1 reader would drop every line.
//  3  environments packed into JobInstance/Event.packed_env
//     (handoff/env_pack.h); min_reader_version 3, as a format-2 reader would
//     restore jobs without their environment.
//  4  Handoff.kind: who wrote it (stage 1's switch or a running stage 2's
//     re-exec). min_reader_version stays 3: a format-3 reader that ignores
//     the kind restores a re-exec's handoff correctly, only its
//     handoff-status does not say "re-exec".
//  5  JobInstance.term_sent and kill_deadline_ns: a stopping instance keeps
//     its kill timeout across the exec. min_reader_version stays 3: a reader
//     without them sends SIGTERM again and restarts the timeout, as before.
//
// The format this build writes.
inline constexpr uint32_t kFormatVersion = 5;
// The oldest reader that understands what this build writes.
inline constexpr uint32_t kMinReaderVersion = 3;
// The newest format this build reads.
inline constexpr uint32_t kReaderVersion = 5;
// This build, as written into producer_build and shown by handoff-status.
inline constexpr char kProducerBuild[] = "baton 0.1.0";

// What a reader makes of a header.
struct VersionCheck {
  bool accepted = false;
  std::string reason;                  // when rejected
  std::optional<std::string> warning;  // when accepted with skew
};

// Applies the rules above for a reader at READER_VERSION.
VersionCheck CheckVersions(uint32_t format_version, uint32_t min_reader_version,
                           uint32_t reader_version = kReaderVersion);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_VERSION_H_
