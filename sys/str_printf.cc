#include "sys/str_printf.h"

#include <cstdarg>
#include <cstdio>

namespace baton::sys {
namespace {

void AppendV(std::string* out, const char* format, va_list args) {
  char small[256];
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(small, sizeof(small), format, copy);
  va_end(copy);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(small)) {
    out->append(small, n);
    return;
  }
  const size_t old = out->size();
  out->resize(old + n + 1);
  std::vsnprintf(&(*out)[old], n + 1, format, args);
  out->resize(old + n);
}

}  // namespace

std::string StrPrintf(const char* format, ...) {
  std::string out;
  va_list args;
  va_start(args, format);
  AppendV(&out, format, args);
  va_end(args);
  return out;
}

void StrAppendPrintf(std::string* out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  AppendV(out, format, args);
  va_end(args);
}

}  // namespace baton::sys
