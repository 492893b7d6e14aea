// Reading job files for the supervisor: `baton` at start, `baton check`,
// `baton --preflight`, and reloading at run time (supervisor/reload.h).
#ifndef BATON_SUPERVISOR_JOB_FILES_H_
#define BATON_SUPERVISOR_JOB_FILES_H_

#include <string>
#include <utility>
#include <vector>

#include "jobs/parser.h"
#include "sys/kernel.h"

namespace baton::supervisor {

// (path, text) of one job file.
using JobSource = std::pair<std::string, std::string>;

// The largest job file read (a line of the job language is far shorter).
inline constexpr size_t kMaxJobFileBytes = 1 << 20;

// Reads every job file named by PATHS (a directory stands for its *.conf
// files, in name order). Unreadable ones become diagnostics, among them a
// file that is not a regular one (a fifo would block PID 1, /dev/zero
// would never end) or is larger than kMaxJobFileBytes.
std::vector<JobSource> ReadJobSources(sys::Kernel& kernel, const std::vector<std::string>& paths,
                                      std::vector<jobs::Diagnostic>* diags);

// Loads the job files and checks seccomp syscall names (which the pure
// parser cannot know); a job with an unknown name is dropped with a
// diagnostic. DIAGS (e.g. ReadJobSources') come first in the result's.
jobs::LoadResult LoadAndLint(std::vector<JobSource> sources, std::vector<jobs::Diagnostic> diags);

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_JOB_FILES_H_
