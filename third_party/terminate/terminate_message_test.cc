#include "third_party/terminate/terminate_message.h"

#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"

namespace baton {
namespace {

[[noreturn]] void OurHandler() {
  WriteTerminateMessage();
  abort();
}

struct NotAnException {};

namespace inner {
struct Custom : std::exception {
  const char* what() const noexcept override { return "custom what"; }
};
}  // namespace inner

// Each case dies twice: once through libstdc++'s own handler (the default in
// this test binary) and once through ours, and both must print the same. The
// exceptions leave through a noexcept frame, so std::terminate runs with them
// current (an exception escaping the statement would be caught by gtest).
void Call(void (*f)()) noexcept { f(); }
void ThrowRuntimeError() { Call([] { throw std::runtime_error("boom"); }); }
void ThrowCustom() { Call([] { throw inner::Custom(); }); }
void ThrowNotAnException() { Call([] { throw NotAnException(); }); }

TEST(TerminateMessageDeathTest, StdExceptionWithWhat) {
  const char* expected =
      "terminate called after throwing an instance of 'std::runtime_error'\n"
      "  what\\(\\):  boom\n";
  EXPECT_DEATH(ThrowRuntimeError(), expected);
  EXPECT_DEATH(
      {
        std::set_terminate(OurHandler);
        ThrowRuntimeError();
      },
      expected);
}

TEST(TerminateMessageDeathTest, NestedNamespaceType) {
  const char* expected =
      "terminate called after throwing an instance of "
      "'baton::\\(anonymous namespace\\)::inner::Custom'\n"
      "  what\\(\\):  custom what\n";
  EXPECT_DEATH(ThrowCustom(), expected);
  EXPECT_DEATH(
      {
        std::set_terminate(OurHandler);
        ThrowCustom();
      },
      expected);
}

TEST(TerminateMessageDeathTest, NotAStdException) {
  const char* expected =
      "terminate called after throwing an instance of "
      "'baton::\\(anonymous namespace\\)::NotAnException'\n$";
  EXPECT_DEATH(ThrowNotAnException(), expected);
  EXPECT_DEATH(
      {
        std::set_terminate(OurHandler);
        ThrowNotAnException();
      },
      expected);
}

TEST(TerminateMessageDeathTest, NoActiveException) {
  const char* expected = "terminate called without an active exception\n";
  EXPECT_DEATH(std::terminate(), expected);
  EXPECT_DEATH(
      {
        std::set_terminate(OurHandler);
        std::terminate();
      },
      expected);
}

}  // namespace
}  // namespace baton
