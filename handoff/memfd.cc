#include "handoff/memfd.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sys/status_macros.h"

namespace baton::handoff {
namespace {

FdType TypeOf(sys::FileInfo::Type type) {
  using T = sys::FileInfo::Type;
  switch (type) {
    case T::kRegular:
      return FD_TYPE_REGULAR;
    case T::kDirectory:
      return FD_TYPE_DIRECTORY;
    case T::kCharDevice:
      return FD_TYPE_CHAR_DEVICE;
    case T::kBlockDevice:
      return FD_TYPE_BLOCK_DEVICE;
    default:
      return FD_TYPE_OTHER;
  }
}

}  // namespace

absl::StatusOr<sys::UniqueFd> WriteSealedMemfd(sys::Kernel& kernel, absl::string_view bytes) {
  ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.MemfdCreate(kMemfdName));
  while (!bytes.empty()) {
    ASSIGN_OR_RETURN(size_t n, kernel.Write(fd.get(), bytes.data(), bytes.size()));
    if (n == 0) return absl::InternalError("write to handoff memfd made no progress");
    bytes.remove_prefix(n);
  }
  RETURN_IF_ERROR(kernel.SealMemfd(fd.get()));
  return fd;
}

absl::StatusOr<std::string> ReadHandoffFd(sys::Kernel& kernel, int fd, size_t limit) {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, kernel.PRead(fd, buf, sizeof(buf), out.size()));
    if (n == 0) return out;
    if (out.size() + n > limit) {
      return absl::ResourceExhaustedError(
          absl::StrCat("handoff fd ", fd, " holds more than ", limit, " bytes"));
    }
    out.append(buf, n);
  }
}

std::string FormatFdList(const std::vector<int>& fds) { return absl::StrJoin(fds, ","); }

absl::StatusOr<std::vector<int>> ParseFdList(absl::string_view text) {
  std::vector<int> fds;
  if (text.empty()) return fds;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int fd;
    if (!absl::SimpleAtoi(part, &fd) || fd < 0 || part.empty() || part[0] == '+' ||
        part[0] == ' ') {
      return absl::InvalidArgumentError(absl::StrCat("bad fd \"", part, "\" in \"", text, "\""));
    }
    fds.push_back(fd);
  }
  return fds;
}

absl::StatusOr<FdEntry> DescribeFd(sys::Kernel& kernel, int fd, uint32_t index,
                                   absl::string_view role) {
  ASSIGN_OR_RETURN(sys::FileInfo info, kernel.StatFd(fd));
  FdEntry entry;
  entry.set_index(index);
  entry.set_role(std::string(role));
  entry.set_type(TypeOf(info.type));
  entry.set_dev(info.dev);
  entry.set_ino(info.ino);
  return entry;
}

std::vector<FdCheck> CheckFds(sys::Kernel& kernel, const Handoff& handoff,
                              const std::vector<int>& fds) {
  std::vector<FdCheck> checks;
  for (const FdEntry& entry : handoff.fds()) {
    FdCheck check;
    check.index = entry.index();
    check.role = entry.role();
    std::string who = absl::StrCat("fd #", entry.index(), " (", entry.role(), ")");
    if (entry.index() >= fds.size()) {
      check.warning = absl::StrCat(who, ": missing, only ", fds.size(), " fds were passed");
      checks.push_back(std::move(check));
      continue;
    }
    check.fd = fds[entry.index()];
    absl::StatusOr<sys::FileInfo> info = kernel.StatFd(check.fd);
    if (!info.ok()) {
      check.warning = absl::StrCat(who, ": ", info.status().message());
    } else if (entry.type() != FD_TYPE_UNSPECIFIED && TypeOf(info->type) != entry.type()) {
      check.warning = absl::StrCat(who, ": fd ", check.fd, " is ", FdType_Name(TypeOf(info->type)),
                                   ", expected ", FdType_Name(entry.type()));
    } else if (entry.dev() != 0 && info->dev != entry.dev()) {
      check.warning = absl::StrCat(who, ": fd ", check.fd, " is on device ", info->dev,
                                   ", expected ", entry.dev());
    } else if (entry.ino() != 0 && info->ino != entry.ino()) {
      check.warning =
          absl::StrCat(who, ": fd ", check.fd, " is inode ", info->ino, ", expected ", entry.ino());
    } else {
      check.ok = true;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace baton::handoff
