// Asking for a passphrase on the consoles, one device at a time.
//
// Several LUKS devices may appear at once, each unlock job asking for its
// passphrase. A ConsoleSession holds an exclusive flock on
// ToolContext::console_lock (/run/baton/console.lock) from Open until it is
// destroyed, so one device's prompts, wrong-passphrase messages and retries
// never interleave with another's; the next job's Open blocks meanwhile.
//
// EVERY ACTIVE CONSOLE. With `console=tty0 console=ttyS0` /dev/console is
// only the last one (ttyS0): someone at the screen would never see the
// prompt. So a session opens each console /sys/class/tty/console/active
// names (/dev/tty0 is the foreground virtual terminal), O_RDWR|O_NOCTTY
// (job processes have /dev/null as stdin); one that is not a character
// device or fails to open is skipped, with a log line. When none opens (no
// sysfs, an empty list) it is ToolContext::console (/dev/console), else
// console_fallback (the controlling tty), as with a single console. Say and
// the prompts go to all of them; the answer is the first complete line typed
// on any (poll over all, one byte at a time, a partial line kept per
// console). The others are then told where it was typed ("(answered on
// ttyS0)", never what) and what they had begun typing is dropped, the rest
// of that line included. A console at end of file or with a read error is
// read no more (logged when there are others); when none is left, that is
// the end of input (or, when the last one went by an error, that error). A console a
// write fails on is written to no more (logged); a write is an error only
// when no console took it.
//
// ReadSecret turns echo off on every console *before* it prints the prompt,
// with TCSANOW: a passphrase typed the instant the prompt shows is neither
// echoed nor flushed (cryptsetup's own prompt has that race: it prints, then
// tcsetattr(TCSAFLUSH) drops what was typed). Echo is restored afterwards on
// each, and in the destructor if a read was interrupted.
//
// ReadLine is the visible counterpart, for questions (md-ask-degraded's
// "Start them degraded? [y/N] "): echo on while the line is typed (turned
// on if it was off, and back as it was afterwards).
//
// The secret lives only in SecretBuffers (the caller's, and one per console
// while lines are typed): fixed arrays, never copied into a std::string,
// wiped with explicit_bzero when done.
#ifndef BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_
#define BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/run_tool.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::stage1 {

class SecretBuffer {
 public:
  // cryptsetup's interactive limit is 512 characters.
  static constexpr size_t kCapacity = 1024;

  SecretBuffer() = default;
  ~SecretBuffer() { Wipe(); }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  const char* data() const { return buf_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Zeroes the whole buffer (explicit_bzero: not optimised away).
  void Wipe();

 private:
  friend class ConsoleSession;
  char buf_[kCapacity] = {};
  size_t size_ = 0;
};

class ConsoleSession {
 public:
  // The device paths a session would ask on, in the order of
  // /sys/class/tty/console/active ("/dev/tty0", "/dev/ttyS0"); names holding
  // a '/' are left out. Empty without sysfs.
  static std::vector<std::string> ActiveConsolePaths(sys::Kernel& kernel);

  // Opens the consoles (see above) and takes the prompt lock, blocking until
  // no other session holds it. A lock that cannot be created (no /run) is
  // reported with CTX.Log and the session goes on without it. Fails only
  // when no console can be opened.
  static absl::StatusOr<std::unique_ptr<ConsoleSession>> Open(const ToolContext& ctx);

  ~ConsoleSession();
  ConsoleSession(const ConsoleSession&) = delete;
  ConsoleSession& operator=(const ConsoleSession&) = delete;

  // Writes TEXT and a newline to every console; an error only when none
  // took it.
  absl::Status Say(absl::string_view text);
  // Say to every console but /dev/console's own device (the last of the
  // active list): for what a tool has written to /dev/console already
  // (cryptsetup's "No key available with this passphrase."). Nothing when
  // the session asks on /dev/console alone.
  void SayBesidesTheConsole(absl::string_view text);

  // Echo off on each console, PROMPT (written as is) to each, the first line
  // typed on any read into *SECRET without its "\n" or "\r\n", echo back as
  // it was, a newline written (the typed one was not echoed). Returns false
  // at end of input (every console gone), *SECRET empty.
  // A line longer than SecretBuffer::kCapacity is read to its end, wiped and
  // reported as InvalidArgument "passphrase too long". When echo cannot be
  // turned off (not a tty) that is logged and the read goes on.
  absl::StatusOr<bool> ReadSecret(absl::string_view prompt, SecretBuffer* secret);

  // Echo on, PROMPT (written as is), the first line typed on any console
  // read into *LINE without its "\n" or "\r\n"; the terminal echoes what is
  // typed, the newline included.
  // Echo is put back as it was. Returns false at end of input, *LINE empty.
  // A line longer than kMaxLine is read to its end and reported as
  // InvalidArgument "answer too long". When echo cannot be set (not a tty)
  // the read goes on without a word: the question is still answerable.
  static constexpr size_t kMaxLine = 256;
  absl::StatusOr<bool> ReadLine(absl::string_view prompt, std::string* line);

  // The console ("/dev/console"), or the consoles ("/dev/tty0 and
  // /dev/ttyS0"), for messages.
  const std::string& path() const { return path_; }
  // Each console opened, in order.
  std::vector<std::string> paths() const;

 private:
  struct Console {
    sys::UniqueFd fd;
    std::string path;
    bool reading = true;         // not yet at end of file or failed
    bool writing = true;         // no write has failed
    bool dev_console = false;    // what /dev/console writes to
    bool skip_line = false;      // drop input up to the next newline
    bool restore_echo = false;   // ReadSecret turned echo off
    bool restore_noecho = false; // ReadLine turned echo on
  };

  ConsoleSession(const ToolContext& ctx, std::vector<Console> consoles, sys::UniqueFd lock);

  absl::Status WriteAll(Console& console, absl::string_view text);
  // Writes TEXT to every console still written to; an error when none took
  // it.
  absl::Status WriteEach(absl::string_view text);
  // Stops reading CONSOLE (its fd stays open until the end, for its echo to
  // be restored and for messages); logged, with WHY, when there are others.
  void StopReading(Console& console, absl::string_view why);
  void RestoreEcho();

  // Reads the live consoles, byte by byte as poll says they have input, up
  // to the first "\n" (not given to KEEP) on any. KEEP(i, c) adds C to
  // console I's line and returns false once that line is full (the rest is
  // still read); CLEAR(i) drops console I's partial line. The bytes pass
  // through KEEP only: a secret is never held here. After a line the other
  // consoles' partial lines are cleared and the rest of them skipped.
  struct LineRead {
    int from = -1;  // console whose line ended; -1: all consoles gone
    bool too_long = false;
    absl::Status error;  // with from == -1: the last console failed so
  };
  LineRead ReadFirstLine(const std::function<bool(size_t, char)>& keep,
                         const std::function<void(size_t)>& clear);
  // After a line typed on console FROM: tells the others where.
  void TellOthers(int from);

  const ToolContext& ctx_;
  std::vector<Console> consoles_;
  std::string path_;
  sys::UniqueFd lock_;  // flocked; released when closed
};

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_
