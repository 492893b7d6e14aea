// Carrying the handoff across execve: the sealed memfd and the fd list.
//
// Stage 1 writes the encoded handoff into a memfd named "baton-handoff",
// seals it (no write, grow, shrink or further seals: stage 2 reads exactly
// what stage 1 wrote, and nothing in between can change it), clears CLOEXEC
// on it and on the fds it hands over, and execs with
//     --handoff-fd=N --handoff-fds=3,4,5
// The Handoff's FdEntry list refers to the second list by index; stage 2
// checks each fd with fstat against the recorded type/dev/inode before it
// uses it (CheckFds).
#ifndef BATON_HANDOFF_MEMFD_H_
#define BATON_HANDOFF_MEMFD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/handoff.pb.h"
#include "sys/kernel.h"
#include "sys/unique_fd.h"

namespace baton::handoff {

inline constexpr char kMemfdName[] = "baton-handoff";

// A new memfd holding BYTES, sealed. The fd is still CLOEXEC: the caller
// clears that right before execve (STYLE.md §8).
absl::StatusOr<sys::UniqueFd> WriteSealedMemfd(sys::Kernel& kernel, absl::string_view bytes);

// Everything in the file behind FD, read from offset 0 with pread (the
// writer left the shared offset at the end). Refuses more than LIMIT bytes.
absl::StatusOr<std::string> ReadHandoffFd(sys::Kernel& kernel, int fd, size_t limit = 80u << 20);

// "3,4,5"; "" for no fds.
std::string FormatFdList(const std::vector<int>& fds);
// The inverse; InvalidArgument on anything but comma-separated fds ≥ 0
// (an empty string is an empty list).
absl::StatusOr<std::vector<int>> ParseFdList(absl::string_view text);

// Records what FD is, for an FdEntry written by stage 1.
absl::StatusOr<FdEntry> DescribeFd(sys::Kernel& kernel, int fd, uint32_t index,
                                   absl::string_view role);

// One FdEntry checked on arrival.
struct FdCheck {
  uint32_t index = 0;
  std::string role;
  int fd = -1;          // the fd at that index, -1 when missing
  bool ok = false;      // present and matching: safe to use
  std::string warning;  // why not, when !ok
};

// Checks every entry of HANDOFF.fds() against FDS (the --handoff-fds list):
// the index must be in range, the fd must fstat, and its type, st_dev and
// st_ino must match those recorded (fields recorded as 0 are not compared).
std::vector<FdCheck> CheckFds(sys::Kernel& kernel, const Handoff& handoff,
                              const std::vector<int>& fds);

}  // namespace baton::handoff

#endif  // BATON_HANDOFF_MEMFD_H_
