// baton's own messages: "baton: LEVEL: text" on the console (stderr, or
// /dev/console as PID 1) and, timestamped, in the supervisor's LogRing stream.
//
// Console writes go through the sys::Kernel; a failed console write is
// ignored (there is nowhere else to report it). The logger never aborts.
#ifndef BATON_SUPERVISOR_LOGGER_H_
#define BATON_SUPERVISOR_LOGGER_H_

#include "absl/strings/string_view.h"
#include "supervisor/log_ring.h"
#include "sys/kernel.h"

namespace baton::supervisor {

class Logger {
 public:
  enum class Level { kInfo, kWarn, kError };

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

 private:
  sys::Kernel& kernel_;
  LogRing* ring_;
  int console_fd_;
  bool quiet_ = false;
};

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_LOGGER_H_
