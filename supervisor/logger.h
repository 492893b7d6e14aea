// baton's own messages: "baton: LEVEL: text" on the console (stderr, or
// /dev/console as PID 1) and, timestamped, in the supervisor's LogRing stream.
//
// Console writes go through the sys::Kernel; a failed console write is
// ignored (there is nowhere else to report it). The logger never aborts.
//
// Hold() keeps console lines back, in order, until Release() writes them in
// one write(2): stage 2 holds its console from its start to "stage2-ready",
// because under emulation every console write (serial, byte by byte) costs
// more than the work it reports. The ring gets every line at once, held or
// not. A warning or an error is never kept back: it is written at once,
// after the held lines before it.
//
// While lines are held they are mirrored to a HeldConsoleMirror when one is
// given: in PID 1 the crash handler's held text (sys/crash.h), so that a
// crash before Release() still puts them on the console, before its own
// line. Each kept line is appended as it is kept (no copy of what is held
// already), and the mirror is cleared once the lines are written.
//
// A CONSOLE THAT TAKES NOTHING. PID 1 writes through its own O_NONBLOCK open
// of /dev/console (baton_main): a console stopped with Ctrl-S (XOFF), or a
// serial line whose hardware flow control is never raised, must not stop
// PID 1 in write(2), as it stops systemd's (systemd issue 30420). A write
// that comes back short (or EAGAIN) waits for the console to take more, but
// gives up after kConsoleStallPolls polls of kConsolePoll each in which it
// took nothing. The console then counts as stalled: what it did not take is
// dropped (the ring has every line), and later lines are tried once each,
// without waiting, until one goes through whole. That one is preceded by a
// warning saying how many bytes were dropped. On a blocking fd (a console
// opened without O_NONBLOCK, stderr in user mode) a write never comes back
// short for lack of room, and nothing of this applies.
#ifndef BATON_SUPERVISOR_LOGGER_H_
#define BATON_SUPERVISOR_LOGGER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "supervisor/log_ring.h"
#include "sys/kernel.h"

namespace baton::supervisor {

// Where held console text waits besides the Logger (see above).
class HeldConsoleMirror {
 public:
  virtual ~HeldConsoleMirror() = default;
  // LINES: one or more newline-terminated console lines, after the others.
  virtual void Append(absl::string_view lines) = 0;
  // What was appended is on the console now.
  virtual void Clear() = 0;
};

class Logger {
 public:
  enum class Level { kInfo, kWarn, kError };

  static constexpr absl::Duration kConsolePoll = absl::Milliseconds(100);
  static constexpr int kConsoleStallPolls = 20;  // 2 s without progress

  // RING may be null (messages then only go to the console). CONSOLE_FD -1
  // means no console.
  Logger(sys::Kernel& kernel, LogRing* ring, int console_fd = 2)
      : kernel_(kernel), ring_(ring), console_fd_(console_fd) {}

  void Info(absl::string_view message) { Log(Level::kInfo, message); }
  void Warn(absl::string_view message) { Log(Level::kWarn, message); }
  void Error(absl::string_view message) { Log(Level::kError, message); }
  void Log(Level level, absl::string_view message);

  // Info lines are kept in the ring but not shown on the console.
  void set_quiet(bool quiet) { quiet_ = quiet; }

  // Console lines from now on wait for Release() (see above).
  void Hold() { held_ = true; }
  // Writes the held lines, if any, in one write, and stops holding.
  void Release();
  bool held() const { return held_; }

  // Mirrors held lines to MIRROR (null: none), which must outlive the
  // Logger or be unset first. What is held already is appended at once.
  void set_held_mirror(HeldConsoleMirror* mirror);

  // Console bytes dropped since the console last took a whole write, and
  // whether it counts as stalled (see above).
  size_t console_dropped() const { return dropped_; }
  bool console_stalled() const { return stalled_; }

  // Releases what is still held.
  ~Logger() { Release(); }
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

 private:
  void Flush();
  // Writes TEXT to the console as far as it takes it (see above); returns
  // the bytes written.
  size_t WriteConsole(absl::string_view text);

  sys::Kernel& kernel_;
  LogRing* ring_;
  int console_fd_;
  bool quiet_ = false;
  bool held_ = false;
  HeldConsoleMirror* mirror_ = nullptr;
  std::string pending_;  // held console text, newline-terminated lines
  size_t dropped_ = 0;
  bool stalled_ = false;
  bool mid_line_ = false;  // the console's last byte from us ended no line
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_LOGGER_H_
