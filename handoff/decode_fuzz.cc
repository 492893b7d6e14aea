// libFuzzer entry point for the handoff decoder: any input must give either
// an accepted handoff or a stateless reason, and an accepted one must encode
// again, and its packed log lines read to the end (Sanitize removed any
// damage). Build with -fsanitize=fuzzer to fuzz; decode_fuzz_test runs it over
// mutated goldens in every ordinary test run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "handoff/codec.h"
#include "handoff/log_pack.h"

namespace {

bool ReadsToTheEnd(const baton::handoff::LogRing& ring) {
  baton::handoff::PackedLogReader reader(ring.packed_lines());
  for (baton::handoff::PackedLogLine line; reader.Next(&line);) {
  }
  return !reader.damaged() && reader.offset() == ring.packed_lines().size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  baton::handoff::DecodeResult result =
      baton::handoff::Decode(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (result.ok() == !result.stateless_reason.empty()) std::abort();
  if (!result.ok()) return 0;
  if (!baton::handoff::Encode(*result.handoff).ok()) std::abort();
  for (const baton::handoff::LogRing& ring : result.handoff->logs()) {
    if (!ReadsToTheEnd(ring)) std::abort();
  }
  if (!ReadsToTheEnd(result.handoff->supervisor_log())) std::abort();
  return 0;
}
