// initctl: inspects and drives a running baton. See tools/initctl_lib.h.
#include <cstdlib>
#include <string>
#include <vector>

#include "sys/linux_kernel.h"
#include "tools/initctl_lib.h"

int main(int argc, char** argv) {
  baton::sys::LinuxKernel kernel;
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_socket = std::getenv("BATON_SOCKET");
  return baton::initctl::Main(kernel, args, env_socket != nullptr ? env_socket : "", 1, 2);
}
