#include "jobs/load_dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace baton::jobs {

LoadResult LoadJobDir(const std::string& dir) {
  LoadResult failed;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    failed.diagnostics.push_back(
        {dir, 0, 0, absl::StrCat("cannot open directory: ", strerror(errno))});
    return failed;
  }
  std::vector<std::string> names;
  while (const dirent* e = readdir(d)) {
    const absl::string_view n = e->d_name;
    if (n.size() > 5 && absl::EndsWith(n, ".conf") && n[0] != '.') {
      names.emplace_back(n);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());

  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& n : names) {
    std::string path = absl::StrCat(dir, "/", n);
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      failed.diagnostics.push_back(
          {path, 0, 0, absl::StrCat("cannot read: ", strerror(errno))});
      continue;
    }
    files.emplace_back(std::move(path), text.str());
  }
  LoadResult result = LoadJobFiles(files);
  result.diagnostics.insert(result.diagnostics.begin(),
                            failed.diagnostics.begin(),
                            failed.diagnostics.end());
  return result;
}

}  // namespace baton::jobs
