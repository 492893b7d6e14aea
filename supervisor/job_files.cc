#include "supervisor/job_files.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sys/seccomp.h"

namespace baton::supervisor {

std::vector<JobSource> ReadJobSources(sys::Kernel& kernel, const std::vector<std::string>& paths,
                                      std::vector<jobs::Diagnostic>* diags) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(path);
    if (info.ok() && info->type == sys::FileInfo::Type::kDirectory) {
      absl::StatusOr<std::vector<std::string>> names = kernel.ListDir(path);
      if (!names.ok()) {
        diags->push_back({path, 0, 0, std::string(names.status().message())});
        continue;
      }
      for (const std::string& name : *names) {
        if (!absl::EndsWith(name, ".conf")) continue;
        std::string file = absl::StrCat(path, "/", name);
        absl::StatusOr<sys::FileInfo> entry = kernel.Stat(file);
        if (entry.ok() && entry->type == sys::FileInfo::Type::kDirectory) continue;
        files.push_back(file);
      }
    } else {
      files.push_back(path);
    }
  }
  std::vector<JobSource> sources;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = kernel.ReadRegularFile(file, kMaxJobFileBytes);
    if (!text.ok()) {
      diags->push_back({file, 0, 0, absl::StrCat("cannot read: ", text.status().message())});
      continue;
    }
    sources.emplace_back(file, std::move(*text));
  }
  return sources;
}

jobs::LoadResult LoadAndLint(std::vector<JobSource> sources, std::vector<jobs::Diagnostic> diags) {
  jobs::LoadResult result = jobs::LoadJobFiles(sources);
  diags.insert(diags.end(), result.diagnostics.begin(), result.diagnostics.end());
  std::vector<std::unique_ptr<jobs::JobConfig>> kept;
  for (std::unique_ptr<jobs::JobConfig>& job : result.jobs) {
    bool good = true;
    for (const std::string& name : job->seccomp.syscalls) {
      absl::Status known = sys::CheckSyscallName(name);
      if (!known.ok()) {
        diags.push_back({job->path, job->seccomp.pos.line, job->seccomp.pos.col,
                         std::string(known.message())});
        good = false;
      }
    }
    if (good) kept.push_back(std::move(job));
  }
  result.jobs = std::move(kept);
  result.diagnostics = std::move(diags);
  return result;
}

}  // namespace baton::supervisor
