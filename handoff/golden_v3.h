// The content of tests/golden/handoff-v3.bin, built in code.
//
// Format 3 is format 2 with environments packed (handoff/env_pack.h): the
// same state as GoldenV2, with the header and the instances' and events'
// environments as format 3 writes them. //handoff:make_golden encoded this
// once, when format 3 was released; golden_test decodes the checked-in file
// and checks it against these values. Never change what this returns: write
// a golden_v4 for a new format instead (tests/golden/README.md).
#ifndef BATON_HANDOFF_GOLDEN_V3_H_
#define BATON_HANDOFF_GOLDEN_V3_H_

#include "proto/handoff.pb.h"

namespace baton::handoff {

Handoff GoldenV3();

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_GOLDEN_V3_H_
