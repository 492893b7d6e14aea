#include "handoff/golden_v5.h"

#include "handoff/golden_v4.h"

namespace baton::handoff {

Handoff GoldenV5() {
  // GoldenV4 never changes, so it can serve as the base.
  Handoff h = GoldenV4();
  // Literal values, not handoff/version.h: this is what format 5 wrote.
  h.set_format_version(5);
  h.set_min_reader_version(3);
  const int64_t exec_ns = h.timestamps(h.timestamps_size() - 1).monotonic_ns();
  JobInstance* web = h.add_instances();
  web->set_job("web");
  web->set_goal(JOB_GOAL_STOP);
  web->set_state(JOB_STATE_STOPPING);
  web->set_pid(733);
  web->set_phase(JOB_PHASE_MAIN);
  web->set_runs(1);
  web->set_term_sent(true);
  web->set_kill_deadline_ns(exec_ns + 4000000000);  // SIGTERM 1 s before the exec, 5 s timeout
  return h;
}

}  // namespace baton::handoff
