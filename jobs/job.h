// The parsed form of a job file (the job language of ../DESIGN.md).
//
//   description "unlock LUKS devices listed in crypttab"
//   stage initramfs                 # initramfs | root | both (default root)
//   start on block-device-added ID_FS_TYPE=crypto_LUKS
//   stop on stopping udev or (runlevel [016] and foo)
//   instance $ID_FS_UUID
//   task
//   env KEY=VALUE
//   exec /sbin/cryptsetup open …   |  script … end script
//   pre-start exec … | pre-start script … end script
//   post-stop exec … | post-stop script … end script
//   respawn / respawn limit COUNT SECONDS
//   console log|output|none
//   seccomp allow|deny SYSCALL…
//
// Pure data: the parser (jobs/parser.h) fills it, the supervisor, initctl and
// baton-mkinitramfs read it.
#ifndef BATON_JOBS_JOB_H_
#define BATON_JOBS_JOB_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace baton::jobs {

// Where a file position is reported: "FILE:LINE:COL" (1-based).
struct SourcePos {
  int line = 0;
  int col = 0;
};

// One node of an event expression.
//
//   expr   := term ("or" term)*
//   term   := factor ("and" factor)*
//   factor := "(" expr ")" | EVENT match*
//   match  := KEY=GLOB | KEY!=GLOB | GLOB     (a bare GLOB matches positionally)
//
// An EVENT leaf matches an event with that name whose environment satisfies
// every match. `and` means both sides have been seen since the job last
// started (upstart semantics); the engine keeps that state, not this tree.
struct EventMatch {
  std::string key;      // empty for a positional match
  std::string glob;     // fnmatch(3) pattern; may hold $VAR references
  bool negate = false;  // KEY!=GLOB
};

struct EventExpr {
  enum class Kind { kEvent, kAnd, kOr };
  Kind kind = Kind::kEvent;
  // kEvent:
  std::string event;
  std::vector<EventMatch> matches;
  // kAnd / kOr:
  std::unique_ptr<EventExpr> left;
  std::unique_ptr<EventExpr> right;
  SourcePos pos;
};

enum class Stage { kInitramfs, kRoot, kBoth };
enum class ConsoleMode { kLog, kOutput, kNone };

// A command: either one exec line (split on shell-like words at run time by
// /bin/sh -c when it holds shell syntax) or a script block run by /bin/sh -e.
struct Command {
  enum class Kind { kNone, kExec, kScript };
  Kind kind = Kind::kNone;
  std::string text;  // the exec line, or the whole script body
  SourcePos pos;
  bool empty() const { return kind == Kind::kNone; }
};

struct RespawnPolicy {
  bool enabled = false;
  int limit_count = 10;                   // upstart's default: 10 in 5 s
  absl::Duration limit_interval = absl::Seconds(5);
  bool unlimited = false;                 // "respawn limit unlimited"
};

struct SeccompPolicy {
  enum class Mode { kNone, kAllow, kDeny };
  // kAllow: only the listed syscalls are allowed (others kill the process).
  // kDeny: the listed syscalls kill the process, others are allowed.
  Mode mode = Mode::kNone;
  std::vector<std::string> syscalls;
  SourcePos pos;
};

struct JobConfig {
  std::string name;  // file name without ".conf"
  std::string path;  // where it was read from
  std::string description;
  Stage stage = Stage::kRoot;
  std::unique_ptr<EventExpr> start_on;  // null: started only by hand
  std::unique_ptr<EventExpr> stop_on;
  std::string instance;                 // e.g. "$ID_FS_UUID"; empty: single
  bool task = false;
  std::vector<std::pair<std::string, std::string>> env;  // in file order
  Command exec;
  Command pre_start;
  Command post_stop;
  RespawnPolicy respawn;
  ConsoleMode console = ConsoleMode::kLog;
  SeccompPolicy seccomp;
  absl::Duration kill_timeout = absl::Seconds(5);  // "kill timeout N"

  bool RunsIn(Stage s) const { return stage == Stage::kBoth || stage == s; }
};

}  // namespace baton::jobs

#endif  // BATON_JOBS_JOB_H_
