#include "handoff/golden_v2.h"

#include <string>

#include "handoff/golden_v1.h"

namespace baton::handoff {

Handoff GoldenV2() {
  // GoldenV1 never changes, so it can serve as the base.
  Handoff h = GoldenV1();
  // Literal values, not handoff/version.h: this is what format 2 wrote.
  h.set_format_version(2);
  h.set_min_reader_version(2);

  // The same lines as GoldenV1's, packed as literal bytes (time int64
  // little-endian, varint length, text), not through handoff/log_pack.h.
  LogRing* ring = h.mutable_logs(0);
  ring->clear_lines();
  ring->set_packed_lines(
      std::string("\x40\x2b\xb4\x35\x00\x00\x00\x00"  // 901000000
                  "\x15"
                  "mdmon: monitoring md0"
                  "\x00\x2f\x68\x59\x00\x00\x00\x00"  // 1500000000
                  "\x10"
                  "mdmon: md0 clean",
                  55));
  LogRing* sup = h.mutable_supervisor_log();
  sup->clear_lines();
  sup->set_packed_lines(
      std::string("\xe8\x03\x00\x00\x00\x00\x00\x00"  // 1000
                  "\x25"
                  "baton 0.1.0 starting in the initramfs"
                  "\x00\x59\xdd\x6e\x00\x00\x00\x00"  // 1860000000
                  "\x17"
                  "switching root to /root",
                  78));
  return h;
}

}  // namespace baton::handoff
