// printf-style formatting into a std::string through libc's vsnprintf, which
// /init links anyway, instead of absl::StrFormat (its library, with a float
// converter of its own, is ~60 KB of /init). -Wformat checks the arguments;
// a %s takes a C string (std::string::c_str()).
#ifndef BATON_SYS_STR_PRINTF_H_
#define BATON_SYS_STR_PRINTF_H_

#include <string>

namespace baton::sys {

std::string StrPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
void StrAppendPrintf(std::string* out, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace baton::sys

#endif  // BATON_SYS_STR_PRINTF_H_
