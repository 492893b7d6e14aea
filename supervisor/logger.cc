#include "supervisor/logger.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace baton::supervisor {

namespace {

// More held text than this is written out at once (held lines are few).
constexpr size_t kMaxHeldBytes = 16 * 1024;

const char* LevelPrefix(Logger::Level level) {
  switch (level) {
    case Logger::Level::kInfo:
      return "";
    case Logger::Level::kWarn:
      return "warning: ";
    case Logger::Level::kError:
      return "error: ";
  }
  return "";
}

}  // namespace

void Logger::Log(Level level, absl::string_view message) {
  std::string text = absl::StrCat(LevelPrefix(level), message);
  if (ring_ != nullptr) ring_->AddSupervisorLine(text);
  if (console_fd_ < 0 || (quiet_ && level == Level::kInfo)) return;
  const size_t before = pending_.size();
  absl::StrAppend(&pending_, "baton: ", text, "\n");
  if (held_ && level == Level::kInfo && pending_.size() < kMaxHeldBytes) {
    if (mirror_ != nullptr) mirror_->Append(absl::string_view(pending_).substr(before));
    return;
  }
  Flush();
}

void Logger::set_held_mirror(HeldConsoleMirror* mirror) {
  if (mirror_ != nullptr) mirror_->Clear();
  mirror_ = mirror;
  if (mirror_ != nullptr && !pending_.empty()) mirror_->Append(pending_);
}

void Logger::Release() {
  held_ = false;
  Flush();
}

size_t Logger::WriteConsole(absl::string_view text) {
  size_t done = 0;
  int idle_polls = 0;
  while (done < text.size()) {
    absl::StatusOr<size_t> n = kernel_.Write(console_fd_, text.data() + done, text.size() - done);
    if (n.ok() && *n > 0) {
      done += *n;
      idle_polls = 0;
      continue;
    }
    // Any failure but "no room now" is a console we cannot write to at all:
    // not an error (there is nowhere else to say it).
    if (!n.ok() && !absl::IsUnavailable(n.status())) break;
    if (stalled_) break;
    if (idle_polls >= kConsoleStallPolls) {
      stalled_ = true;
      break;
    }
    absl::StatusOr<bool> room = kernel_.PollWritable(console_fd_, kConsolePoll);
    if (!room.ok()) break;
    if (!*room) ++idle_polls;
  }
  if (done > 0) mid_line_ = text[done - 1] != '\n';
  return done;
}

void Logger::Flush() {
  if (pending_.empty()) return;
  // Best effort, and never for long (see "A CONSOLE THAT TAKES NOTHING").
  std::string notice;
  if (dropped_ > 0) {
    notice = absl::StrCat(mid_line_ ? "\n" : "", "baton: warning: the console took no output for ",
                          "a while: ", dropped_, " bytes of these lines were dropped (they are in ",
                          "`initctl log`)\n");
    pending_.insert(0, notice);
  }
  const size_t written = WriteConsole(pending_);
  if (written == pending_.size()) {
    dropped_ = 0;
    stalled_ = false;
  } else {
    // The notice is not counted as dropped: it is said again next time.
    dropped_ = written < notice.size() ? dropped_ + pending_.size() - notice.size()
                                       : pending_.size() - written;
  }
  pending_.clear();
  // After the write, not before: a crash in between shows the lines twice
  // rather than not at all.
  if (mirror_ != nullptr) mirror_->Clear();
}

}  // namespace baton::supervisor
