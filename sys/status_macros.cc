#include "sys/status_macros.h"

#include "absl/strings/str_format.h"

namespace baton {

absl::Status ErrnoStatus(int err, absl::string_view what) {
  std::string msg = absl::StrFormat("%s: %s (errno %d)", what, std::strerror(err), err);
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EINVAL:
      return absl::InvalidArgumentError(msg);
    case EAGAIN:
      return absl::UnavailableError(msg);
    case ENOSYS:
      return absl::UnimplementedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace baton
