#include "supervisor/log_ring.h"

#include <fcntl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace baton::supervisor {

// "%12.6f" of the seconds, in integers: libc's floating-point printf is
// hundreds of instructions run once per process, and PID 1's first line
// after the re-exec paid ~6 ms for it under TCG, inside the switch window.
std::string FormatLogLine(const LogLine& line) {
  int64_t ns = absl::ToInt64Nanoseconds(line.since_start);
  const bool negative = ns < 0;
  // To the nearest microsecond, as printf rounds (a tie goes away from zero;
  // printf sees the double, rarely an exact tie), "-0.000000" as printf.
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  const uint64_t us = (magnitude + 500) / 1000;
  std::string stamp = absl::StrCat(negative ? "-" : "", us / 1000000, ".",
                                   absl::Dec(us % 1000000, absl::kZeroPad6));
  if (stamp.size() < 12) stamp.insert(0, 12 - stamp.size(), ' ');
  return absl::StrCat("[", stamp, "] ", line.text);
}

LogRing::LogRing(sys::Kernel& kernel, Clock& clock, absl::Time start, Options options)
    : kernel_(kernel), clock_(clock), start_(start), options_(std::move(options)) {
  if (options_.max_lines == 0) options_.max_lines = 1;
  if (options_.max_line_bytes == 0) options_.max_line_bytes = 1;
}

LogRing::~LogRing() = default;

void LogRing::Append(absl::string_view job, absl::string_view instance, absl::string_view data) {
  Key key{std::string(job), std::string(instance)};
  Stream& stream = streams_[key];
  while (!data.empty()) {
    size_t nl = data.find('\n');
    absl::string_view piece = nl == absl::string_view::npos ? data : data.substr(0, nl);
    // Fill the partial line up to max_line_bytes; a full piece is a line.
    size_t room = options_.max_line_bytes - stream.partial.size();
    if (piece.size() >= room) {
      stream.partial.append(piece.data(), room);
      std::string line = std::move(stream.partial);
      stream.partial.clear();
      Commit(key, stream, line);
      data.remove_prefix(room);
      // A newline right after a split point ends an empty remainder, not a
      // new empty line.
      if (piece.size() == room && nl != absl::string_view::npos) data.remove_prefix(1);
      continue;
    }
    stream.partial.append(piece.data(), piece.size());
    if (nl == absl::string_view::npos) break;
    std::string line = std::move(stream.partial);
    stream.partial.clear();
    Commit(key, stream, line);
    data.remove_prefix(nl + 1);
  }
}

void LogRing::Flush(absl::string_view job, absl::string_view instance) {
  auto it = streams_.find(Key(std::string(job), std::string(instance)));
  if (it == streams_.end() || it->second.partial.empty()) return;
  std::string line = std::move(it->second.partial);
  it->second.partial.clear();
  Commit(it->first, it->second, line);
}

void LogRing::AddLine(absl::string_view job, absl::string_view instance, absl::string_view line) {
  Key key{std::string(job), std::string(instance)};
  Stream& stream = streams_[key];
  Commit(key, stream, line);
}

void LogRing::Commit(const Key& key, Stream& stream, absl::string_view text) {
  LogLine line{SinceStart(), std::string(text)};
  WriteToFile(key, stream, line);
  stream.bytes += line.text.size();
  stream.lines.push_back(std::move(line));
  while (stream.lines.size() > options_.max_lines ||
         (stream.bytes > options_.max_bytes && stream.lines.size() > 1)) {
    stream.bytes -= stream.lines.front().text.size();
    stream.lines.pop_front();
    ++stream.dropped;
  }
}

std::string LogRing::FilePath(absl::string_view job, absl::string_view instance) const {
  if (options_.log_dir.empty()) return "";
  std::string name = job.empty() ? std::string("baton") : std::string(job);
  if (!instance.empty()) absl::StrAppend(&name, "-", instance);
  // An instance name comes from event data: keep it a single path component.
  std::replace(name.begin(), name.end(), '/', '_');
  return absl::StrCat(options_.log_dir, "/", name, ".log");
}

void LogRing::WriteToFile(const Key& key, Stream& stream, const LogLine& line) {
  if (options_.log_dir.empty() || stream.file_failed) return;
  if (!stream.file.valid()) {
    absl::Status made = absl::OkStatus();
    if (!dir_made_) {
      made = kernel_.MkdirAll(options_.log_dir, 0755);
      dir_made_ = made.ok();
    }
    std::string path = FilePath(key.first, key.second);
    absl::StatusOr<sys::UniqueFd> fd =
        made.ok() ? kernel_.Open(path, O_WRONLY | O_CREAT | O_APPEND, 0640)
                  : absl::StatusOr<sys::UniqueFd>(made);
    if (!fd.ok()) {
      stream.file_failed = true;
      // Reported in the supervisor's stream (never recursing into a failed one).
      if (!(key.first.empty() && key.second.empty())) {
        AddSupervisorLine(absl::StrCat("cannot write log file ", path, ": ",
                                       fd.status().message(), " (kept in memory only)"));
      }
      return;
    }
    stream.file = std::move(*fd);
  }
  std::string text = absl::StrCat(FormatLogLine(line), "\n");
  absl::StatusOr<size_t> written = kernel_.Write(stream.file.get(), text.data(), text.size());
  if (!written.ok()) {
    stream.file_failed = true;
    stream.file.reset();
  }
}

std::vector<LogLine> LogRing::Lines(absl::string_view job, absl::string_view instance,
                                    size_t max) const {
  auto it = streams_.find(Key(std::string(job), std::string(instance)));
  if (it == streams_.end()) return {};
  const std::deque<LogLine>& lines = it->second.lines;
  size_t skip = (max == 0 || max >= lines.size()) ? 0 : lines.size() - max;
  return std::vector<LogLine>(lines.begin() + skip, lines.end());
}

uint64_t LogRing::Dropped(absl::string_view job, absl::string_view instance) const {
  auto it = streams_.find(Key(std::string(job), std::string(instance)));
  return it == streams_.end() ? 0 : it->second.dropped;
}

bool LogRing::HasStream(absl::string_view job, absl::string_view instance) const {
  return streams_.count(Key(std::string(job), std::string(instance))) > 0;
}

std::vector<LogRing::JobLine> LogRing::JobLines(absl::string_view job, size_t max) const {
  std::vector<JobLine> out;
  for (auto it = streams_.lower_bound(Key(std::string(job), std::string()));
       it != streams_.end() && it->first.first == job; ++it) {
    for (const LogLine& line : it->second.lines) out.push_back({it->first.second, line});
  }
  std::stable_sort(out.begin(), out.end(), [](const JobLine& a, const JobLine& b) {
    return a.line.since_start < b.line.since_start;
  });
  if (max != 0 && max < out.size()) out.erase(out.begin(), out.end() - max);
  return out;
}

uint64_t LogRing::JobDropped(absl::string_view job) const {
  uint64_t dropped = 0;
  for (auto it = streams_.lower_bound(Key(std::string(job), std::string()));
       it != streams_.end() && it->first.first == job; ++it) {
    dropped += it->second.dropped;
  }
  return dropped;
}

bool LogRing::HasJob(absl::string_view job) const {
  auto it = streams_.lower_bound(Key(std::string(job), std::string()));
  return it != streams_.end() && it->first.first == job;
}

std::vector<LogRing::StreamSnapshot> LogRing::Export() const {
  std::vector<StreamSnapshot> out;
  for (const auto& [key, stream] : streams_) {
    StreamSnapshot s;
    s.job = key.first;
    s.instance = key.second;
    s.lines.assign(stream.lines.begin(), stream.lines.end());
    s.dropped = stream.dropped;
    s.partial = stream.partial;
    out.push_back(std::move(s));
  }
  return out;
}

void LogRing::set_start(absl::Time start) {
  const absl::Duration shift = start_ - start;
  for (auto& [key, stream] : streams_) {
    for (LogLine& line : stream.lines) line.since_start += shift;
  }
  start_ = start;
}

void LogRing::Import(const StreamSnapshot& snapshot) {
  Stream& stream = streams_[Key(snapshot.job, snapshot.instance)];
  for (auto it = snapshot.lines.rbegin(); it != snapshot.lines.rend(); ++it) {
    stream.bytes += it->text.size();
    stream.lines.push_front(*it);
  }
  stream.dropped += snapshot.dropped;
  while (stream.lines.size() > options_.max_lines ||
         (stream.bytes > options_.max_bytes && stream.lines.size() > 1)) {
    stream.bytes -= stream.lines.front().text.size();
    stream.lines.pop_front();
    ++stream.dropped;
  }
}

}  // namespace baton::supervisor
