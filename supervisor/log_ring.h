// Output of jobs and of the supervisor itself, kept in memory and on disk.
//
// Each stream (one job instance, or the supervisor's own stream) has a bounded
// ring of lines: at most Options::max_lines lines and Options::max_bytes bytes
// of text; when either bound is passed the oldest lines are dropped and
// counted. Every line is stamped with the time since the supervisor started
// (a monotonic clock, as the kernel log does: "[   12.345678] text").
//
// Bytes arrive in arbitrary pieces from pipes: a partial line is buffered
// until its newline (or until Flush(), at end of file); a line longer than
// Options::max_line_bytes is split into pieces of that size.
//
// With a log directory, every completed line is also appended to
// LOGDIR/JOB.log (or LOGDIR/JOB-INSTANCE.log, the supervisor's stream to
// LOGDIR/baton.log) through the sys::Kernel, in the same timestamped form.
// A file that cannot be written is reported once per stream (through the
// supervisor's own stream) and not retried for that stream; the ring keeps
// working.
#ifndef BATON_SUPERVISOR_LOG_RING_H_
#define BATON_SUPERVISOR_LOG_RING_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/engine.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::supervisor {

struct LogLine {
  absl::Duration since_start;  // when the line was completed
  std::string text;            // without the newline
};

// "[    1.234567] TEXT": the form of file lines and of `initctl log`.
std::string FormatLogLine(const LogLine& line);

class LogRing {
 public:
  struct Options {
    size_t max_lines = 1000;
    size_t max_bytes = 256 * 1024;
    size_t max_line_bytes = 4096;
    std::string log_dir;  // empty: memory only
  };

  // START is the supervisor's start time on CLOCK's scale.
  LogRing(sys::Kernel& kernel, Clock& clock, absl::Time start, Options options);
  ~LogRing();
  LogRing(const LogRing&) = delete;
  LogRing& operator=(const LogRing&) = delete;

  // Appends raw output of JOB/INSTANCE; complete lines enter the ring.
  void Append(absl::string_view job, absl::string_view instance, absl::string_view data);
  // Completes a buffered partial line, if any (the writer closed its end).
  void Flush(absl::string_view job, absl::string_view instance);
  // Adds one whole line (a newline inside is kept as part of the text).
  void AddLine(absl::string_view job, absl::string_view instance, absl::string_view line);

  // The supervisor's own stream (job "", instance "").
  void AddSupervisorLine(absl::string_view line) { AddLine("", "", line); }

  // The last MAX lines of a stream (0: all), oldest first. Empty when the
  // stream is unknown.
  std::vector<LogLine> Lines(absl::string_view job, absl::string_view instance,
                             size_t max = 0) const;
  // How many lines of the stream were dropped from the ring.
  uint64_t Dropped(absl::string_view job, absl::string_view instance) const;
  bool HasStream(absl::string_view job, absl::string_view instance) const;

  // Every stream of one job at once: what `initctl log JOB` shows. An
  // instance job (`instance $DEVNAME`) has one stream per instance and none
  // under the instance "", so reading (JOB, "") alone would show nothing.
  struct JobLine {
    std::string instance;  // "" for a job without instances
    LogLine line;
  };
  // The last MAX lines (0: all) of all of JOB's streams, merged oldest
  // first; lines of the same moment keep the order of their streams
  // (instances sorted by name).
  std::vector<JobLine> JobLines(absl::string_view job, size_t max = 0) const;
  // Lines dropped from all of JOB's streams.
  uint64_t JobDropped(absl::string_view job) const;
  // True when JOB has a stream (any instance).
  bool HasJob(absl::string_view job) const;

  // The file a stream is appended to ("" without a log directory).
  std::string FilePath(absl::string_view job, absl::string_view instance) const;

  // --- the handoff -----------------------------------------------------------
  // One stream as it crosses from stage 1 to stage 2.
  struct StreamSnapshot {
    std::string job;       // "" with instance "": the supervisor's stream
    std::string instance;
    std::vector<LogLine> lines;  // oldest first
    uint64_t dropped = 0;
    std::string partial;   // an unfinished last line (Export only)
  };
  // Every stream, sorted by (job, instance).
  std::vector<StreamSnapshot> Export() const;
  // Puts SNAPSHOT's lines in front of whatever the stream holds already
  // (lines logged in stage 2 before the restore), adds its dropped count, and
  // applies the ring's bounds. The lines are not written to the log file: it
  // lives on /run, which crossed the switch with them.
  void Import(const StreamSnapshot& snapshot);
  // Moves the start that line times are measured from (stage 2 takes stage
  // 1's start, so carried and new lines share one time scale). Lines already
  // in the ring are re-stamped so that they keep their moment: stage 2's
  // first lines ("starting …") then sort after stage 1's. Call it before
  // Import, whose lines are on the new scale already.
  void set_start(absl::Time start);

  absl::Duration SinceStart() const { return clock_.Now() - start_; }
  absl::Time start() const { return start_; }
  const Options& options() const { return options_; }

 private:
  struct Stream {
    std::deque<LogLine> lines;
    size_t bytes = 0;
    uint64_t dropped = 0;
    std::string partial;
    sys::UniqueFd file;
    bool file_failed = false;
  };
  using Key = std::pair<std::string, std::string>;

  void Commit(const Key& key, Stream& stream, absl::string_view text);
  void WriteToFile(const Key& key, Stream& stream, const LogLine& line);

  sys::Kernel& kernel_;
  Clock& clock_;
  absl::Time start_;
  Options options_;
  bool dir_made_ = false;
  std::map<Key, Stream> streams_;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_LOG_RING_H_
