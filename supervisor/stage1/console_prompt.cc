#include "supervisor/stage1/console_prompt.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "sys/status_macros.h"

namespace baton::stage1 {

void SecretBuffer::Wipe() {
  explicit_bzero(buf_, sizeof(buf_));
  size_ = 0;
}

absl::StatusOr<std::unique_ptr<ConsoleSession>> ConsoleSession::Open(const ToolContext& ctx) {
  std::string path = ctx.console;
  absl::StatusOr<sys::UniqueFd> console = ctx.kernel.Open(path, O_RDWR | O_NOCTTY);
  if (!console.ok() && !ctx.console_fallback.empty()) {
    absl::Status first = console.status();
    path = ctx.console_fallback;
    console = ctx.kernel.Open(path, O_RDWR | O_NOCTTY);
    if (!console.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no console to ask on: ", first.message(), "; ", console.status().message()));
    }
  }
  if (!console.ok()) return console.status();

  sys::UniqueFd lock;
  std::string dir = ctx.console_lock.substr(0, ctx.console_lock.rfind('/'));
  absl::Status made = dir.empty() ? absl::OkStatus() : ctx.kernel.MkdirAll(dir, 0755);
  absl::StatusOr<sys::UniqueFd> lock_fd =
      made.ok() ? ctx.kernel.Open(ctx.console_lock, O_RDWR | O_CREAT, 0600)
                : absl::StatusOr<sys::UniqueFd>(made);
  if (lock_fd.ok()) {
    absl::Status locked = ctx.kernel.Flock(lock_fd->get(), LOCK_EX);
    if (locked.ok()) {
      lock = std::move(*lock_fd);
    } else {
      ctx.Log(absl::StrCat("prompting without the console lock: ", locked.message()));
    }
  } else {
    ctx.Log(absl::StrCat("prompting without the console lock: ", lock_fd.status().message()));
  }
  return std::unique_ptr<ConsoleSession>(
      new ConsoleSession(ctx, std::move(*console), std::move(path), std::move(lock)));
}

ConsoleSession::~ConsoleSession() {
  if (restore_echo_) (void)ctx_.kernel.SetEcho(console_.get(), true);
  if (restore_noecho_) (void)ctx_.kernel.SetEcho(console_.get(), false);
}

absl::Status ConsoleSession::WriteAll(absl::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     ctx_.kernel.Write(console_.get(), text.data() + done, text.size() - done));
    if (n == 0) return absl::DataLossError(absl::StrCat("write ", path_, ": nothing written"));
    done += n;
  }
  return absl::OkStatus();
}

absl::Status ConsoleSession::Say(absl::string_view text) {
  return WriteAll(absl::StrCat(text, "\n"));
}

ConsoleSession::LineRead ConsoleSession::ReadBytes(const std::function<bool(char)>& keep) {
  LineRead read;
  for (;;) {
    char c = 0;
    absl::StatusOr<size_t> n = ctx_.kernel.Read(console_.get(), &c, 1);
    if (!n.ok()) {
      read.error = n.status();
      break;
    }
    if (*n == 0) {
      read.eof = true;
      break;
    }
    if (c == '\n') break;
    if (!keep(c)) read.too_long = true;
    explicit_bzero(&c, sizeof(c));
  }
  return read;
}

absl::StatusOr<bool> ConsoleSession::ReadSecret(absl::string_view prompt, SecretBuffer* secret) {
  secret->Wipe();
  absl::StatusOr<bool> was_on = ctx_.kernel.SetEcho(console_.get(), false);
  if (was_on.ok()) {
    restore_echo_ = *was_on;
  } else {
    ctx_.Log(absl::StrCat("cannot turn echo off on ", path_, ": ", was_on.status().message()));
  }
  RETURN_IF_ERROR(WriteAll(prompt));

  const LineRead read = ReadBytes([secret](char c) {
    if (secret->size_ == SecretBuffer::kCapacity) return false;
    secret->buf_[secret->size_++] = c;
    return true;
  });
  const bool eof = read.eof;
  const bool too_long = read.too_long;
  const absl::Status& error = read.error;
  if (secret->size_ > 0 && secret->buf_[secret->size_ - 1] == '\r') {
    secret->buf_[--secret->size_] = '\0';
  }

  if (restore_echo_) {
    (void)ctx_.kernel.SetEcho(console_.get(), true);
    restore_echo_ = false;
  }
  (void)WriteAll("\n");
  if (!error.ok() || eof || too_long) secret->Wipe();
  if (!error.ok()) return absl::Status(error.code(), absl::StrCat("reading ", path_, ": ", error.message()));
  if (too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat("passphrase too long (more than ", SecretBuffer::kCapacity, " bytes)"));
  }
  return !eof;
}

absl::StatusOr<bool> ConsoleSession::ReadLine(absl::string_view prompt, std::string* line) {
  line->clear();
  absl::StatusOr<bool> was_on = ctx_.kernel.SetEcho(console_.get(), true);
  restore_noecho_ = was_on.ok() && !*was_on;
  RETURN_IF_ERROR(WriteAll(prompt));

  const LineRead read = ReadBytes([line](char c) {
    if (line->size() == kMaxLine) return false;
    line->push_back(c);
    return true;
  });
  const bool eof = read.eof;
  const bool too_long = read.too_long;
  const absl::Status& error = read.error;
  if (!line->empty() && line->back() == '\r') line->pop_back();

  if (restore_noecho_) {
    (void)ctx_.kernel.SetEcho(console_.get(), false);
    restore_noecho_ = false;
  }
  if (!error.ok() || eof || too_long) line->clear();
  if (!error.ok()) return absl::Status(error.code(), absl::StrCat("reading ", path_, ": ", error.message()));
  if (eof) (void)WriteAll("\n");  // nothing typed ended the prompt's line
  if (too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer too long (more than ", kMaxLine, " bytes)"));
  }
  return !eof;
}

}  // namespace baton::stage1
