// Reloading the job files while the supervisor runs: SIGHUP and
// `initctl reload`, as upstart's reload-configuration and systemd's
// daemon-reload. JobReloader remembers the text of every job file that went
// into the engine and, on Reload(), reads the directory again:
//
//   unchanged file    left alone: its `start on` progress is kept
//   new file          the job is added; it starts on its next matching event
//                     (or by hand), never retroactively
//   changed file      the new definition replaces the old one (Engine::
//                     AddJob): running instances go on under the old one
//                     until their next start; partial `start on` progress
//                     starts over
//   file with errors  the old definition stays and the diagnostics say
//                     file:line:col (an unreadable file, too)
//   removed file      Engine::RemoveJob: no event starts it any more;
//                     running instances go on until they stop. A file now
//                     of another stage (WANTED says no) counts as removed.
//
// Jobs that did not come from a file (adopted from the handoff without one)
// are never touched.
#ifndef BATON_SUPERVISOR_RELOAD_H_
#define BATON_SUPERVISOR_RELOAD_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "jobs/job.h"
#include "jobs/parser.h"
#include "supervisor/engine.h"
#include "supervisor/job_files.h"
#include "sys/kernel.h"

namespace baton::supervisor {

struct ReloadReport {
  std::string dir;                   // what was read
  std::vector<std::string> added;    // job names
  std::vector<std::string> changed;
  std::vector<std::string> removed;
  int unchanged = 0;
  std::vector<jobs::Diagnostic> errors;  // each file that kept its old state

  // "reloaded DIR: 1 added (a), 1 changed (b), 0 removed, 3 unchanged"
  // and, one per line after it, "FILE:LINE:COL: message (old definition
  // kept)" for each error.
  std::string Summary() const;
};

class JobReloader {
 public:
  // WANTED: whether a parsed job belongs in this supervisor (stage filter).
  JobReloader(std::string dir, std::function<bool(const jobs::JobConfig&)> wanted);

  // The first load, of what ReadJobSources read from DIR (SOURCES, and its
  // DIAGS): adds the wanted jobs to ENGINE and remembers their files.
  // Returns every diagnostic; the count of jobs added in *ADDED.
  std::vector<jobs::Diagnostic> Load(std::vector<JobSource> sources,
                                     std::vector<jobs::Diagnostic> diags, Engine& engine,
                                     size_t* added);

  // Reads DIR again and brings ENGINE up to date (see the top).
  ReloadReport Reload(sys::Kernel& kernel, Engine& engine);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::function<bool(const jobs::JobConfig&)> wanted_;
  std::map<std::string, std::string> texts_;  // job name -> its file's text
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_RELOAD_H_
