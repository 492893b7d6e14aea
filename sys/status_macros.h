// Project-wide Status helpers. abseil 20220623 ships no RETURN_IF_ERROR, so
// baton defines its own, once, here.
#ifndef BATON_SYS_STATUS_MACROS_H_
#define BATON_SYS_STATUS_MACROS_H_

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace baton {

// A Status for a failed syscall: "WHAT: strerror (errno N)". The code follows
// errno where abseil has a match (ENOENT -> NotFound, EACCES -> PermissionDenied…).
absl::Status ErrnoStatus(int err, absl::string_view what);

}  // namespace baton

#define BATON_STATUS_CONCAT_INNER_(a, b) a##b
#define BATON_STATUS_CONCAT_(a, b) BATON_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when EXPR (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status baton_status_ = (expr);             \
    if (!baton_status_.ok()) return baton_status_;     \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates EXPR (a StatusOr<T>); on error returns
// its status, else moves the value into LHS (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(BATON_STATUS_CONCAT_(baton_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(*tmp)

#endif  // BATON_SYS_STATUS_MACROS_H_
