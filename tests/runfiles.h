// Files a test reads from its runfiles (Bazel's TEST_SRCDIR/TEST_WORKSPACE),
// named from the workspace root: RunfilePath("jobs/examples"). Outside
// Bazel the name is taken relative to the current directory.
#ifndef BATON_TESTS_RUNFILES_H_
#define BATON_TESTS_RUNFILES_H_

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace baton::runfiles {

inline std::string RunfilePath(const std::string& rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  if (srcdir == nullptr) return rel;
  const char* ws = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir) + "/" + (ws != nullptr ? ws : "baton") + "/" + rel;
}

// The file's bytes; "" when it cannot be read (the test's own checks then fail).
inline std::string ReadRunfile(const std::string& rel) {
  std::ifstream in(RunfilePath(rel), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace baton::runfiles

#endif  // BATON_TESTS_RUNFILES_H_
