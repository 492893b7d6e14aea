// The message std::terminate prints before aborting, written without
// libstdc++'s __cxa_demangle.
//
// libstdc++'s default terminate handler (__gnu_cxx::__verbose_terminate_handler)
// demangles the exception's type with __cxa_demangle, a 42 KB demangler that
// a static libstdc++ brings into every binary. The image binaries (/init)
// replace that handler (terminate_handler.cc, --config=image only) with
// WriteTerminateMessage() + abort(), which demangles with abseil's demangler,
// already linked for absl::Symbolize. The text is libstdc++'s:
//
//   terminate called after throwing an instance of 'std::runtime_error'
//     what():  boom
//
// Types abseil cannot demangle from "_Z" + the type's name (fundamental types
// such as int, whose name is "i") are printed mangled; template arguments are
// printed as "<>" (abseil's demangler leaves them out).
#ifndef BATON_THIRD_PARTY_TERMINATE_TERMINATE_MESSAGE_H_
#define BATON_THIRD_PARTY_TERMINATE_TERMINATE_MESSAGE_H_

namespace baton {

// Writes the message for the exception being handled (or "terminate called
// without an active exception") to stderr. Call it from a terminate handler.
void WriteTerminateMessage();

}  // namespace baton

#endif  // BATON_THIRD_PARTY_TERMINATE_TERMINATE_MESSAGE_H_
