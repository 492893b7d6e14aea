#include "supervisor/logger.h"

#include <string>

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

void Logger::Flush() {
  if (pending_.empty()) return;
  // Best effort: a console that cannot be written to is not an error (and
  // what it did not take is not retried: the ring has every line).
  (void)kernel_.Write(console_fd_, pending_.data(), pending_.size());
  pending_.clear();
  // After the write, not before: a crash in between shows the lines twice
  // rather than not at all.
  if (mirror_ != nullptr) mirror_->Clear();
}

}  // namespace baton::supervisor
