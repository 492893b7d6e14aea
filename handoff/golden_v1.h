// The content of tests/golden/handoff-v1.bin, built in code.
//
// //handoff:make_golden encodes this to produce the golden file once, when
// format 1 was released; golden_test decodes the checked-in file and checks
// it against these values. Never change what this returns: write a
// golden_v2 for a new format instead (tests/golden/README.md).
#ifndef BATON_HANDOFF_GOLDEN_V1_H_
#define BATON_HANDOFF_GOLDEN_V1_H_

#include "proto/handoff.pb.h"

namespace baton::handoff {

Handoff GoldenV1();

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_GOLDEN_V1_H_
