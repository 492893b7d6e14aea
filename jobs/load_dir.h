// Reading a directory of job files, for host tools (initctl, `baton check`,
// baton-mkinitramfs) that run as ordinary programs. PID 1 does not use this:
// the supervisor reads through sys::Kernel and calls LoadJobFiles itself.
#ifndef BATON_JOBS_LOAD_DIR_H_
#define BATON_JOBS_LOAD_DIR_H_

#include <string>

#include "jobs/parser.h"

namespace baton::jobs {

// Loads every regular file (or symlink to one) named *.conf directly in DIR,
// in name order, through LoadJobFiles. A directory or file that cannot be
// read is a diagnostic naming it (with strerror), not a failure of the rest.
LoadResult LoadJobDir(const std::string& dir);

}  // namespace baton::jobs

#endif  // BATON_JOBS_LOAD_DIR_H_
