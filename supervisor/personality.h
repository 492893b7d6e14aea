// Which program the `baton` binary is asked to be. One binary serves the
// initramfs as several programs (a multi-call binary, like busybox): the
// image links /sbin/modprobe and /sbin/initctl to /init, so the name it is
// run under (argv[0]'s basename) picks the personality.
//   modprobe  the kernel's request_module() (supervisor/stage1/modprobe.h)
//   initctl   tools/initctl_lib.h, as the standalone //tools:initctl
//   anything else (init, baton, /init, empty)  the supervisor itself
#ifndef BATON_SUPERVISOR_PERSONALITY_H_
#define BATON_SUPERVISOR_PERSONALITY_H_

#include "absl/strings/string_view.h"

namespace baton::supervisor {

enum class Personality { kSupervisor, kModprobe, kInitctl };

// From argv[0] (may be null): only the basename counts, so "initctl",
// "/sbin/initctl" and "../initctl" are all initctl; "initctl2" is not.
Personality PersonalityOf(const char* argv0);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_PERSONALITY_H_
