#include "supervisor/logger.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace baton::supervisor {

namespace {

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
  std::string line = absl::StrCat("baton: ", text, "\n");
  // Best effort: a console that cannot be written to is not an error.
  (void)kernel_.Write(console_fd_, line.data(), line.size());
}

}  // namespace baton::supervisor
