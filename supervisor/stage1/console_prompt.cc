#include "supervisor/stage1/console_prompt.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "supervisor/stage1/rescue.h"
#include "sys/status_macros.h"

namespace baton::stage1 {
namespace {

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void SecretBuffer::Wipe() {
  explicit_bzero(buf_, sizeof(buf_));
  size_ = 0;
}

std::vector<std::string> ConsoleSession::ActiveConsolePaths(sys::Kernel& kernel) {
  std::vector<std::string> paths;
  for (const std::string& name : ActiveConsoleNames(kernel)) {
    if (name.find('/') != std::string::npos) continue;
    std::string path = absl::StrCat("/dev/", name);
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

absl::StatusOr<std::unique_ptr<ConsoleSession>> ConsoleSession::Open(const ToolContext& ctx) {
  std::vector<Console> consoles;
  const std::vector<std::string> active = ActiveConsolePaths(ctx.kernel);
  for (const std::string& path : active) {
    absl::StatusOr<sys::FileInfo> info = ctx.kernel.Stat(path);
    if (!info.ok() || info->type != sys::FileInfo::Type::kCharDevice) {
      ctx.Log(absl::StrCat("not asking on ", path, ": ",
                           info.ok() ? "not a character device" : info.status().message()));
      continue;
    }
    absl::StatusOr<sys::UniqueFd> fd = ctx.kernel.Open(path, O_RDWR | O_NOCTTY);
    if (!fd.ok()) {
      ctx.Log(absl::StrCat("not asking on ", path, ": ", fd.status().message()));
      continue;
    }
    consoles.push_back(Console{std::move(*fd), path});
    consoles.back().dev_console = path == active.back();
  }
  if (consoles.empty()) {  // no sysfs, or none of them would open
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
    consoles.push_back(Console{std::move(*console), path});
    consoles.back().dev_console = true;
  }

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
      new ConsoleSession(ctx, std::move(consoles), std::move(lock)));
}

ConsoleSession::ConsoleSession(const ToolContext& ctx, std::vector<Console> consoles,
                               sys::UniqueFd lock)
    : ctx_(ctx), consoles_(std::move(consoles)), lock_(std::move(lock)) {
  path_ = absl::StrJoin(paths(), ", ");
}

ConsoleSession::~ConsoleSession() { RestoreEcho(); }

std::vector<std::string> ConsoleSession::paths() const {
  std::vector<std::string> paths;
  for (const Console& console : consoles_) paths.push_back(console.path);
  return paths;
}

void ConsoleSession::RestoreEcho() {
  for (Console& console : consoles_) {
    if (console.restore_echo) (void)ctx_.kernel.SetEcho(console.fd.get(), true);
    if (console.restore_noecho) (void)ctx_.kernel.SetEcho(console.fd.get(), false);
    console.restore_echo = console.restore_noecho = false;
  }
}

absl::Status ConsoleSession::WriteAll(Console& console, absl::string_view text) {
  size_t done = 0;
  absl::Status error;
  while (done < text.size()) {
    absl::StatusOr<size_t> n =
        ctx_.kernel.Write(console.fd.get(), text.data() + done, text.size() - done);
    if (!n.ok()) {
      error = n.status();
      break;
    }
    if (*n == 0) {
      error = absl::DataLossError(absl::StrCat("write ", console.path, ": nothing written"));
      break;
    }
    done += *n;
  }
  if (!error.ok()) {
    console.writing = false;
    ctx_.Log(absl::StrCat("cannot write to ", console.path, " (", error.message(),
                          "); not writing there any more"));
  }
  return error;
}

absl::Status ConsoleSession::WriteEach(absl::string_view text) {
  absl::Status error = absl::FailedPreconditionError(
      absl::StrCat("no console left to write to (", path_, ")"));
  bool taken = false;
  for (Console& console : consoles_) {
    if (!console.writing) continue;
    absl::Status st = WriteAll(console, text);
    if (st.ok()) {
      taken = true;
    } else {
      error = st;
    }
  }
  return taken ? absl::OkStatus() : error;
}

absl::Status ConsoleSession::Say(absl::string_view text) {
  return WriteEach(absl::StrCat(text, "\n"));
}

void ConsoleSession::SayBesidesTheConsole(absl::string_view text) {
  const std::string line = absl::StrCat(text, "\n");
  for (Console& console : consoles_) {
    if (!console.dev_console && console.writing) (void)WriteAll(console, line);
  }
}

void ConsoleSession::StopReading(Console& console, absl::string_view why) {
  console.reading = false;
  if (consoles_.size() > 1) ctx_.Log(absl::StrCat("not reading ", console.path, " any more: ", why));
}

void ConsoleSession::TellOthers(int from) {
  const std::string where = absl::StrCat("\n(answered on ", Basename(consoles_[from].path), ")\n");
  for (size_t i = 0; i < consoles_.size(); ++i) {
    if (static_cast<int>(i) != from && consoles_[i].writing) (void)WriteAll(consoles_[i], where);
  }
}

ConsoleSession::LineRead ConsoleSession::ReadFirstLine(
    const std::function<bool(size_t, char)>& keep, const std::function<void(size_t)>& clear) {
  LineRead read;
  std::vector<size_t> typed(consoles_.size(), 0);  // bytes of the line begun, per console
  std::vector<bool> too_long(consoles_.size(), false);
  for (;;) {
    std::vector<int> fds;
    std::map<int, size_t> index;
    for (size_t i = 0; i < consoles_.size(); ++i) {
      if (!consoles_[i].reading) continue;
      fds.push_back(consoles_[i].fd.get());
      index[consoles_[i].fd.get()] = i;
    }
    if (fds.empty()) return read;  // all gone: read.error says how the last went
    absl::StatusOr<std::vector<int>> ready = ctx_.kernel.PollReadable(fds, absl::InfiniteDuration());
    if (!ready.ok()) {
      read.error = absl::Status(ready.status().code(),
                                absl::StrCat("waiting for ", path_, ": ", ready.status().message()));
      return read;
    }
    for (int fd : *ready) {
      const size_t i = index.at(fd);
      Console& console = consoles_[i];
      char c = 0;
      absl::StatusOr<size_t> n = ctx_.kernel.Read(fd, &c, 1);
      if (!n.ok() || *n == 0) {
        read.error = n.ok() ? absl::OkStatus()
                            : absl::Status(n.status().code(), absl::StrCat("reading ", console.path,
                                                                           ": ", n.status().message()));
        StopReading(console, n.ok() ? "end of file" : n.status().message());
        clear(i);
        continue;
      }
      if (c == '\n') {
        if (console.skip_line) {  // the end of a line begun before the last answer
          console.skip_line = false;
          continue;
        }
        read.from = static_cast<int>(i);
        read.too_long = too_long[i];
        read.error = absl::OkStatus();
        for (size_t j = 0; j < consoles_.size(); ++j) {
          if (j == i) continue;
          if (typed[j] > 0) consoles_[j].skip_line = true;
          clear(j);
        }
        return read;
      }
      if (!console.skip_line) {
        ++typed[i];
        if (!keep(i, c)) too_long[i] = true;
      }
      explicit_bzero(&c, sizeof(c));
    }
  }
}

absl::StatusOr<bool> ConsoleSession::ReadSecret(absl::string_view prompt, SecretBuffer* secret) {
  secret->Wipe();
  for (Console& console : consoles_) {
    if (!console.reading) continue;
    absl::StatusOr<bool> was_on = ctx_.kernel.SetEcho(console.fd.get(), false);
    if (was_on.ok()) {
      console.restore_echo = *was_on;
    } else {
      ctx_.Log(absl::StrCat("cannot turn echo off on ", console.path, ": ",
                            was_on.status().message()));
    }
  }
  absl::Status written = WriteEach(prompt);
  if (!written.ok()) {
    RestoreEcho();
    return written;
  }

  // One line per console while they are typed; only the answer's is copied
  // into *SECRET.
  std::unique_ptr<SecretBuffer[]> lines(new SecretBuffer[consoles_.size()]);
  const LineRead read = ReadFirstLine(
      [&lines](size_t i, char c) {
        SecretBuffer& line = lines[i];
        if (line.size_ == SecretBuffer::kCapacity) return false;
        line.buf_[line.size_++] = c;
        return true;
      },
      [&lines](size_t i) { lines[i].Wipe(); });
  RestoreEcho();

  if (read.from < 0) {
    (void)WriteEach("\n");
    if (!read.error.ok()) return read.error;
    return false;
  }
  SecretBuffer& line = lines[read.from];
  if (line.size_ > 0 && line.buf_[line.size_ - 1] == '\r') line.buf_[--line.size_] = '\0';
  if (!read.too_long) {
    memcpy(secret->buf_, line.buf_, line.size_);
    secret->size_ = line.size_;
  }
  line.Wipe();
  Console& from = consoles_[read.from];
  if (from.writing) (void)WriteAll(from, "\n");
  TellOthers(read.from);
  if (read.too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat("passphrase too long (more than ", SecretBuffer::kCapacity, " bytes)"));
  }
  return true;
}

absl::StatusOr<bool> ConsoleSession::ReadLine(absl::string_view prompt, std::string* line) {
  line->clear();
  for (Console& console : consoles_) {
    if (!console.reading) continue;
    absl::StatusOr<bool> was_on = ctx_.kernel.SetEcho(console.fd.get(), true);
    console.restore_noecho = was_on.ok() && !*was_on;
  }
  absl::Status written = WriteEach(prompt);
  if (!written.ok()) {
    RestoreEcho();
    return written;
  }

  std::vector<std::string> lines(consoles_.size());
  const LineRead read = ReadFirstLine(
      [&lines](size_t i, char c) {
        if (lines[i].size() == kMaxLine) return false;
        lines[i].push_back(c);
        return true;
      },
      [&lines](size_t i) { lines[i].clear(); });
  RestoreEcho();

  if (read.from < 0) {
    if (!read.error.ok()) return read.error;
    (void)WriteEach("\n");  // nothing typed ended the prompt's line
    return false;
  }
  TellOthers(read.from);
  if (read.too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer too long (more than ", kMaxLine, " bytes)"));
  }
  *line = std::move(lines[read.from]);
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace baton::stage1
