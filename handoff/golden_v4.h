// The content of tests/golden/handoff-v4.bin, built in code.
//
// Format 4 is format 3 with Handoff.kind: the same state as GoldenV3 with
// the header format 4 writes, as a re-exec of a running stage 2 hands it
// over (kind HANDOFF_KIND_REEXEC, its marks after "startup", its listening
// control socket among the fds). //handoff:make_golden encoded this once,
// when format 4 was released; golden_test decodes the checked-in file and
// checks it against these values. Never change what this returns: write a
// golden_v5 for a new format instead (tests/golden/README.md).
#ifndef BATON_HANDOFF_GOLDEN_V4_H_
#define BATON_HANDOFF_GOLDEN_V4_H_

#include "proto/handoff.pb.h"

namespace baton::handoff {

Handoff GoldenV4();

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_GOLDEN_V4_H_
