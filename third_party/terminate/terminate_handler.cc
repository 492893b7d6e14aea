// std::terminate's default handler for the image binaries (--config=image
// links this through //third_party:absl): the message libstdc++'s
// __verbose_terminate_handler prints, then abort(), without pulling in
// libstdc++'s vterminate.o and its __cxa_demangle (terminate_message.h).
#include <cstdlib>

#include "third_party/terminate/terminate_message.h"

namespace __gnu_cxx {

void __verbose_terminate_handler() {
  baton::WriteTerminateMessage();
  abort();
}

}  // namespace __gnu_cxx
