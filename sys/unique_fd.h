// UniqueFd: the one owner of a file descriptor; closes it on destruction.
#ifndef BATON_SYS_UNIQUE_FD_H_
#define BATON_SYS_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace baton::sys {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }

  // Closes the held fd (if any) and takes NEW_FD. Fake kernels hand out fd
  // numbers from kFakeFdBase up, which no real process reaches, so closing
  // them here is a harmless EBADF.
  void reset(int new_fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = new_fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace baton::sys

#endif  // BATON_SYS_UNIQUE_FD_H_
