// The job-file parser: text -> JobConfig (jobs/job.h), with diagnostics.
//
// A pure library, linked into PID 1, initctl and baton-mkinitramfs (which
// lints job files at build time). It never touches the file system; see
// jobs/load_dir.h for host tools that read a directory.
//
// One stanza per line; words, quoting and '#' comments as in jobs/lexer.h;
// blank lines and indentation are ignored outside script blocks.
//
//   description TEXT                 one word or one quoted string
//   stage initramfs|root|both        default root
//   start on EXPR / stop on EXPR     jobs/expr.h; an expression with an open
//                                    '(' continues on the following lines
//   instance VALUE                   e.g. $ID_FS_UUID
//   task                             default: service
//   env KEY=VALUE                    VALUE may be quoted; a later KEY replaces
//   exec COMMAND                     the rest of the line (comment stripped,
//                                    quotes kept for /bin/sh)
//   script / … / end script          the lines between, verbatim (indentation
//                                    and comments kept, each ending in '\n')
//   pre-start exec|script …          as exec / script
//   post-stop exec|script …
//   respawn
//   respawn limit COUNT SECONDS      COUNT or SECONDS 0 means unlimited;
//   respawn limit unlimited          neither enables respawn by itself
//   console log|output|none
//   seccomp allow|deny SYSCALL…      names like identifiers ([a-z0-9_]);
//                                    repeated lines of one mode add up
//   kill timeout SECONDS
//
// Errors (all are fatal for the file): unknown stanza, missing or extra
// argument, bad number or keyword, a second value-setting stanza (exec,
// script, description, stage, start on, …), both exec and script, `script`
// without `end script` (reported at the `script` line), seccomp allow and
// deny mixed, a bad event expression. Parsing goes on after an error so one
// pass reports several (at most kMaxDiagnostics per file).
#ifndef BATON_JOBS_PARSER_H_
#define BATON_JOBS_PARSER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jobs/job.h"

namespace baton::jobs {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when about the whole file
  int col = 0;   // 1-based byte column; 0 when about the whole line/file
  std::string message;

  // "file:line:col: message" (or "file: message" when line is 0).
  std::string ToString() const;
};

inline constexpr int kMaxDiagnostics = 50;

// Parses TEXT, the job file at PATH, into a job called NAME. Appends every
// problem to *DIAGS (may be null). Returns the job when there were none,
// else InvalidArgument whose message is the diagnostics, one per line.
absl::StatusOr<std::unique_ptr<JobConfig>> ParseJob(
    absl::string_view name, absl::string_view path, absl::string_view text,
    std::vector<Diagnostic>* diags);

// "/etc/baton/jobs/udev.conf" -> "udev" (basename; ".conf" removed if there).
std::string JobNameFromPath(absl::string_view path);

struct LoadResult {
  std::vector<std::unique_ptr<JobConfig>> jobs;  // in input order
  std::vector<Diagnostic> diagnostics;
};

// Parses each (path, text). A file with errors is skipped and its
// diagnostics kept; the others load. A job whose name (JobNameFromPath) was
// already loaded, or is empty, is skipped with a diagnostic.
LoadResult LoadJobFiles(
    const std::vector<std::pair<std::string, std::string>>& files);

// Canonical text of JOB (stanzas in the order of jobs/job.h, defaults
// spelled out); parsing it gives an equivalent config. For `baton check`.
std::string FormatJob(const JobConfig& job);

}  // namespace baton::jobs

#endif  // BATON_JOBS_PARSER_H_
