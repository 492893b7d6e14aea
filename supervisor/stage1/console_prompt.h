// Asking for a passphrase on the console, one device at a time.
//
// Several LUKS devices may appear at once, each unlock job asking for its
// passphrase. A ConsoleSession holds an exclusive flock on
// ToolContext::console_lock (/run/baton/console.lock) from Open until it is
// destroyed, so one device's prompts, wrong-passphrase messages and retries
// never interleave with another's; the next job's Open blocks meanwhile.
//
// The console is ToolContext::console (/dev/console), else console_fallback
// (the controlling tty), opened O_RDWR|O_NOCTTY: job processes have
// /dev/null as stdin.
//
// ReadSecret turns echo off *before* it prints the prompt, with TCSANOW: a
// passphrase typed the instant the prompt shows is neither echoed nor
// flushed (cryptsetup's own prompt has that race: it prints, then
// tcsetattr(TCSAFLUSH) drops what was typed). Echo is restored afterwards,
// and in the destructor if a read was interrupted.
//
// ReadLine is the visible counterpart, for questions (md-ask-degraded's
// "Start them degraded? [y/N] "): echo on while the line is typed (turned
// on if it was off, and back as it was afterwards).
//
// The secret lives only in a SecretBuffer: a fixed array, never copied into
// a std::string, wiped with explicit_bzero when done.
#ifndef BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_
#define BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "supervisor/stage1/run_tool.h"
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
  // Opens the console and takes the prompt lock, blocking until no other
  // session holds it. A lock that cannot be created (no /run) is reported
  // with CTX.Log and the session goes on without it. Fails only when no
  // console can be opened.
  static absl::StatusOr<std::unique_ptr<ConsoleSession>> Open(const ToolContext& ctx);

  ~ConsoleSession();
  ConsoleSession(const ConsoleSession&) = delete;
  ConsoleSession& operator=(const ConsoleSession&) = delete;

  // Writes TEXT and a newline to the console.
  absl::Status Say(absl::string_view text);

  // Echo off, PROMPT (written as is), one line read into *SECRET without its
  // "\n" or "\r\n", echo back as it was, a newline written (the typed one was
  // not echoed). Returns false at end of input (console gone), *SECRET empty.
  // A line longer than SecretBuffer::kCapacity is read to its end, wiped and
  // reported as InvalidArgument "passphrase too long". When echo cannot be
  // turned off (not a tty) that is logged and the read goes on.
  absl::StatusOr<bool> ReadSecret(absl::string_view prompt, SecretBuffer* secret);

  // Echo on, PROMPT (written as is), one line read into *LINE without its
  // "\n" or "\r\n"; the terminal echoes what is typed, the newline included.
  // Echo is put back as it was. Returns false at end of input, *LINE empty.
  // A line longer than kMaxLine is read to its end and reported as
  // InvalidArgument "answer too long". When echo cannot be set (not a tty)
  // the read goes on without a word: the question is still answerable.
  static constexpr size_t kMaxLine = 256;
  absl::StatusOr<bool> ReadLine(absl::string_view prompt, std::string* line);

  const std::string& path() const { return path_; }

 private:
  ConsoleSession(const ToolContext& ctx, sys::UniqueFd console, std::string path,
                 sys::UniqueFd lock)
      : ctx_(ctx), console_(std::move(console)), path_(std::move(path)), lock_(std::move(lock)) {}

  absl::Status WriteAll(absl::string_view text);

  // Reads the console byte by byte up to "\n" (not given to KEEP) or end
  // of input; KEEP returns false once its buffer is full (the rest of the
  // line is still read). The bytes pass through KEEP only: a secret is
  // never held here.
  struct LineRead {
    bool eof = false;
    bool too_long = false;
    absl::Status error;
  };
  LineRead ReadBytes(const std::function<bool(char)>& keep);

  const ToolContext& ctx_;
  sys::UniqueFd console_;
  std::string path_;
  sys::UniqueFd lock_;  // flocked; released when closed
  bool restore_echo_ = false;  // ReadSecret turned echo off
  bool restore_noecho_ = false;  // ReadLine turned echo on
};

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_CONSOLE_PROMPT_H_
