// The content of tests/golden/handoff-v5.bin, built in code.
//
// Format 5 is format 4 with JobInstance.term_sent and kill_deadline_ns: the
// state of GoldenV4 with the header format 5 writes, plus a stopping
// instance whose main process got SIGTERM before the re-exec and is due
// SIGKILL at a carried monotonic time. //handoff:make_golden encoded this
// once, when format 5 was released; golden_test decodes the checked-in file
// and checks it against these values. Never change what this returns: write
// a golden_v6 for a new format instead (tests/golden/README.md).
#ifndef BATON_HANDOFF_GOLDEN_V5_H_
#define BATON_HANDOFF_GOLDEN_V5_H_

#include "proto/handoff.pb.h"

namespace baton::handoff {

Handoff GoldenV5();

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_GOLDEN_V5_H_
