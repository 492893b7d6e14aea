// libFuzzer entry point for the handoff decoder: any input must give either
// an accepted handoff or a stateless reason, and an accepted one must encode
// again. Build with -fsanitize=fuzzer to fuzz; decode_fuzz_test runs it over
// mutated goldens in every ordinary test run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "handoff/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  baton::handoff::DecodeResult result =
      baton::handoff::Decode(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (result.ok() == !result.stateless_reason.empty()) std::abort();
  if (result.ok() && !baton::handoff::Encode(*result.handoff).ok()) std::abort();
  return 0;
}
