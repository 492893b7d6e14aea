#include "third_party/terminate/terminate_message.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <typeinfo>

#include "absl/debugging/internal/demangle.h"

namespace baton {

void WriteTerminateMessage() {
  static bool terminating = false;
  if (terminating) {
    fputs("terminate called recursively\n", stderr);
    return;
  }
  terminating = true;
  std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) {
    fputs("terminate called without an active exception\n", stderr);
    return;
  }
  const char* name = type->name();
  char mangled[256];
  char demangled[256];
  const char* shown = name;
  if (snprintf(mangled, sizeof mangled, "_Z%s", name) < static_cast<int>(sizeof mangled) &&
      absl::debugging_internal::Demangle(mangled, demangled, sizeof demangled)) {
    shown = demangled;
  }
  fputs("terminate called after throwing an instance of '", stderr);
  fputs(shown, stderr);
  fputs("'\n", stderr);
  // The same rethrow libstdc++'s handler does to reach what(). This file is
  // compiled with -fexceptions (BUILD.bazel) even under --config=image.
  try {
    throw;
  } catch (const std::exception& e) {
    fputs("  what():  ", stderr);
    fputs(e.what(), stderr);
    fputs("\n", stderr);
  } catch (...) {
  }
}

}  // namespace baton
