#include "supervisor/reload.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace baton::supervisor {

namespace {

std::string Names(const std::vector<std::string>& names) {
  return names.empty() ? "" : absl::StrCat(" (", absl::StrJoin(names, ", "), ")");
}

}  // namespace

std::string ReloadReport::Summary() const {
  std::string out = absl::StrCat("reloaded ", dir, ": ", added.size(), " added", Names(added), ", ",
                                 changed.size(), " changed", Names(changed), ", ", removed.size(),
                                 " removed", Names(removed), ", ", unchanged, " unchanged");
  for (const jobs::Diagnostic& d : errors) {
    absl::StrAppend(&out, "\n", d.ToString(), " (old definition kept)");
  }
  return out;
}

JobReloader::JobReloader(std::string dir, std::function<bool(const jobs::JobConfig&)> wanted)
    : dir_(std::move(dir)), wanted_(std::move(wanted)) {}

std::vector<jobs::Diagnostic> JobReloader::Load(std::vector<JobSource> sources,
                                                std::vector<jobs::Diagnostic> diags,
                                                Engine& engine, size_t* added) {
  std::map<std::string, std::string> texts;
  for (const JobSource& s : sources) texts[jobs::JobNameFromPath(s.first)] = s.second;
  jobs::LoadResult loaded = LoadAndLint(std::move(sources), std::move(diags));
  *added = 0;
  for (std::unique_ptr<jobs::JobConfig>& job : loaded.jobs) {
    if (!wanted_(*job)) continue;
    texts_[job->name] = texts[job->name];
    engine.AddJob(std::move(job));
    ++*added;
  }
  return std::move(loaded.diagnostics);
}

ReloadReport JobReloader::Reload(sys::Kernel& kernel, Engine& engine) {
  ReloadReport report;
  report.dir = dir_;
  std::vector<jobs::Diagnostic> read_errors;
  std::vector<JobSource> sources = ReadJobSources(kernel, {dir_}, &read_errors);
  // Every job name with a file still there, readable or not: not removed.
  std::set<std::string> present;
  for (const jobs::Diagnostic& d : read_errors) present.insert(jobs::JobNameFromPath(d.file));
  std::vector<JobSource> fresh;  // new or changed
  std::map<std::string, std::string> fresh_texts;
  for (JobSource& s : sources) {
    std::string name = jobs::JobNameFromPath(s.first);
    present.insert(name);
    auto known = texts_.find(name);
    if (known != texts_.end() && known->second == s.second) {
      ++report.unchanged;
      continue;
    }
    fresh_texts[name] = s.second;
    fresh.push_back(std::move(s));
  }
  jobs::LoadResult loaded = LoadAndLint(std::move(fresh), std::move(read_errors));
  report.errors = std::move(loaded.diagnostics);
  std::set<std::string> unwanted;
  for (std::unique_ptr<jobs::JobConfig>& job : loaded.jobs) {
    std::string name = job->name;
    if (!wanted_(*job)) {
      unwanted.insert(name);
      continue;
    }
    (texts_.count(name) > 0 ? report.changed : report.added).push_back(name);
    texts_[name] = fresh_texts[name];
    engine.AddJob(std::move(job));
  }
  for (auto it = texts_.begin(); it != texts_.end();) {
    if (present.count(it->first) > 0 && unwanted.count(it->first) == 0) {
      ++it;
      continue;
    }
    (void)engine.RemoveJob(it->first);  // NotFound: already gone, same outcome
    report.removed.push_back(it->first);
    it = texts_.erase(it);
  }
  return report;
}

}  // namespace baton::supervisor
