#include "handoff/golden_v4.h"

#include "handoff/golden_v3.h"

namespace baton::handoff {

Handoff GoldenV4() {
  // GoldenV3 never changes, so it can serve as the base.
  Handoff h = GoldenV3();
  // Literal values, not handoff/version.h: this is what format 4 wrote.
  h.set_format_version(4);
  h.set_min_reader_version(3);
  h.set_kind(HANDOFF_KIND_REEXEC);
  int64_t last = h.timestamps(h.timestamps_size() - 1).monotonic_ns();
  int64_t real = h.timestamps(h.timestamps_size() - 1).realtime_ns();
  for (const char* name : {"startup", "reexec-start", "exec"}) {
    last += 7000000;
    real += 7000000;
    Timestamp* t = h.add_timestamps();
    t->set_name(name);
    t->set_monotonic_ns(last);
    t->set_realtime_ns(real);
  }
  h.clear_uevents();  // a running stage 2 queues none
  FdEntry* control = h.add_fds();
  control->set_index(h.fds_size() - 1);
  control->set_role("control-socket");
  control->set_type(FD_TYPE_OTHER);
  control->set_dev(8);
  control->set_ino(11900);
  return h;
}

}  // namespace baton::handoff
