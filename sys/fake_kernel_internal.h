// Internals shared by fake_kernel.cc and fake_kernel_mounts.cc.
#ifndef BATON_SYS_FAKE_KERNEL_INTERNAL_H_
#define BATON_SYS_FAKE_KERNEL_INTERNAL_H_

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "sys/fake_kernel.h"
#include "sys/status_macros.h"

namespace baton::sys {

struct FakeKernel::Node {
  FileInfo::Type type = FileInfo::Type::kOther;
  uint32_t mode = 0;
  std::string data;  // file contents or symlink target
  uint64_t rdev = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint64_t magic = 0;
  bool sealed = false;
  std::map<std::string, NodePtr> children;
};

struct FakeKernel::MountRec {
  int id = 0;
  int parent = 0;
  MountEntry entry;  // entry.target is a path in the whole namespace
  NodePtr root;
};

struct FakeKernel::PipeBuffer {
  std::string data;
  int writers = 1;
};

struct FakeKernel::OpenFile {
  enum class Kind { kNode, kPipeRead, kPipeWrite, kUevent };
  Kind kind = Kind::kNode;
  NodePtr node;
  std::string path;  // as opened, in the namespace; memfds: the name
  int flags = 0;
  size_t offset = 0;
  bool memfd = false;
  std::shared_ptr<PipeBuffer> pipe;
  int group = 0;
  std::deque<std::string> datagrams;
};

struct FakeKernel::Resolved {
  MountRec* mount = nullptr;  // the mount NODE lives on
  NodePtr parent;             // null for "/"
  std::string name;
  NodePtr node;               // null when the last component is missing
  bool mountpoint = false;
};

namespace fake_internal {

// PATH is PREFIX or lies below it.
bool Under(const std::string& path, const std::string& prefix);
// PATH (under FROM) with FROM replaced by TO.
std::string Rebase(const std::string& path, const std::string& from, const std::string& to);
// Folds ".", ".." and repeated slashes of an absolute path.
std::string Normalize(const std::string& absolute);
uint64_t MagicFor(const std::string& fstype);
// "EINVAL" for EINVAL.
std::string ErrName(int err);

}  // namespace fake_internal

template <typename Body>
absl::Status FakeKernel::Logged(const std::string& call, const std::string& path,
                                const std::string& line, Body body) {
  int err = TakeInjected(call, path);
  if (err == 0) err = body();
  if (err == 0) {
    calls_.push_back(line);
    return absl::OkStatus();
  }
  calls_.push_back(absl::StrCat(line, " -> ", fake_internal::ErrName(err)));
  return ErrnoStatus(err, line);
}

}  // namespace baton::sys

#endif  // BATON_SYS_FAKE_KERNEL_INTERNAL_H_
