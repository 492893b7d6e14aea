#include "handoff/golden_v3.h"

#include <string>

#include "handoff/golden_v2.h"

namespace baton::handoff {

Handoff GoldenV3() {
  // GoldenV2 never changes, so it can serve as the base.
  Handoff h = GoldenV2();
  // Literal values, not handoff/version.h: this is what format 3 wrote.
  h.set_format_version(3);
  h.set_min_reader_version(3);

  // The same environments as GoldenV2's, packed as literal bytes (varint
  // key length, key, varint value length, value), not through
  // handoff/env_pack.h.
  JobInstance* mdmon = h.mutable_instances(0);
  mdmon->clear_env();
  mdmon->set_packed_env(
      std::string("\x07"
                  "MD_UUID"
                  "\x04"
                  "9d2e"
                  "\x07"
                  "DEVNAME"
                  "\x08"
                  "/dev/md0",
                  30));
  JobInstance* unlock = h.mutable_instances(1);
  unlock->clear_env();
  unlock->set_packed_env(
      std::string("\x0a"
                  "ID_FS_UUID"
                  "\x04"
                  "5a1c",
                  16));
  Event* added = h.mutable_events(1);
  added->clear_env();
  added->set_packed_env(
      std::string("\x07"
                  "DEVNAME"
                  "\x09"
                  "/dev/sda1"
                  "\x0a"
                  "ID_FS_TYPE"
                  "\x11"
                  "linux_raid_member",
                  47));
  return h;
}

}  // namespace baton::handoff
