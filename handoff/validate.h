// Per-item validation of a decoded handoff: what stage 2 refuses to adopt.
//
// Sanitize removes each invalid item from the handoff and returns one warning
// per removed item (log lines over the cap are counted per ring, so a
// flooded ring gives one warning, not thousands). Everything else is kept,
// including fields unknown to this build. The rules:
//  * instances: job name empty → skipped; pid < 0 or pid == 1 (PID 1 is the
//    supervisor, never a job) → skipped; a second instance with the same
//    (job, instance) → skipped; more than kMaxExits exit records → the
//    oldest dropped; secret env entries (handoff/secrets.h) → dropped, named
//    in a warning; env entries with an empty key → dropped; a packed
//    environment (handoff/env_pack.h) that does not read to the end →
//    skipped (an instance restored with part of its environment would run
//    differently).
//  * events: empty name → skipped; env as for instances.
//  * log rings: a ring without a job but with an instance name → skipped;
//    a line over kMaxLogLineBytes → skipped (counted into `dropped`); packed
//    lines (handoff/log_pack.h) cut off or overlong → that line and the rest
//    of the ring's packed lines skipped, with a warning; the same for the
//    supervisor's ring.
//  * uevents: an empty datagram, one over kMaxUeventBytes, or a group other
//    than 1 (kernel) or 2 (udevd) → skipped.
//  * fds: an empty role or an index seen before → skipped.
//  * timestamps: an empty name → skipped.
#ifndef BATON_HANDOFF_VALIDATE_H_
#define BATON_HANDOFF_VALIDATE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "proto/handoff.pb.h"

namespace baton::handoff {

inline constexpr int kMaxExits = 16;
inline constexpr size_t kMaxLogLineBytes = 16 * 1024;
inline constexpr size_t kMaxUeventBytes = 64 * 1024;

std::vector<std::string> Sanitize(Handoff* handoff);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_VALIDATE_H_
