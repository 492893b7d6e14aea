// Writes the golden handoff of the newest format, 5 (handoff/golden_v5.h), to
// the path in argv[1]:
//   bazel run //handoff:make_golden -- $PWD/tests/golden/handoff-v5.bin
// Only for adding a golden of a new format: a released golden is never
// regenerated (tests/golden/README.md).
#include <cstdio>

#include "handoff/codec.h"
#include "handoff/golden_v5.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden OUTPUT\n");
    return 2;
  }
  auto bytes = baton::handoff::Encode(baton::handoff::GoldenV5());
  if (!bytes.ok()) {
    std::fprintf(stderr, "encode: %s\n", bytes.status().ToString().c_str());
    return 1;
  }
  std::FILE* out = std::fopen(argv[1], "wb");
  if (out == nullptr || std::fwrite(bytes->data(), 1, bytes->size(), out) != bytes->size() ||
      std::fclose(out) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  std::printf("wrote %zu bytes to %s\n", bytes->size(), argv[1]);
  return 0;
}
