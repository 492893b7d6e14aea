// The content of tests/golden/handoff-v2.bin, built in code.
//
// Format 2 is format 1 with log lines packed (handoff/log_pack.h): the same
// state as GoldenV1, with the header and the rings as format 2 writes them.
// //handoff:make_golden encoded this once, when format 2 was released;
// golden_test decodes the checked-in file and checks it against these
// values. Never change what this returns: write a golden_v3 for a new format
// instead (tests/golden/README.md).
#ifndef BATON_HANDOFF_GOLDEN_V2_H_
#define BATON_HANDOFF_GOLDEN_V2_H_

#include "proto/handoff.pb.h"

namespace baton::handoff {

Handoff GoldenV2();

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_GOLDEN_V2_H_
