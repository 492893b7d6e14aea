// The `baton` binary: see supervisor/baton_main.h.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "supervisor/baton_main.h"
#include "supervisor/personality.h"
#include "supervisor/stage1/commands.h"
#include "supervisor/stage1/md_ask.h"
#include "supervisor/stage1/modprobe.h"
#include "sys/linux_kernel.h"
#include "tools/initctl_lib.h"

extern char** environ;

int main(int argc, char** argv) {
  baton::sys::LinuxKernel kernel;
  // The initramfs links /sbin/modprobe and /sbin/initctl to /init
  // (supervisor/personality.h): the kernel's request_module() and initctl
  // land here.
  switch (baton::supervisor::PersonalityOf(argc > 0 ? argv[0] : nullptr)) {
    case baton::supervisor::Personality::kModprobe:
      return baton::stage1::RunModprobe(argc, argv);
    case baton::supervisor::Personality::kInitctl: {
      std::vector<std::string> args(argv + 1, argv + argc);
      const char* env_socket = std::getenv("BATON_SOCKET");
      return baton::initctl::Main(kernel, args, env_socket != nullptr ? env_socket : "", 1, 2);
    }
    case baton::supervisor::Personality::kSupervisor:
      break;
  }
  // The subcommands that stage-1 job files call (supervisor/stage1/commands.h);
  // never as PID 1, which must not exit.
  if (argc > 1 && kernel.GetPid() != 1) {
    const std::string command = argv[1];
    if (command == "luks-unlock") return baton::stage1::RunLuksUnlock(argc - 1, argv + 1);
    if (command == "md-add") return baton::stage1::RunMdAdd(argc - 1, argv + 1);
    if (command == "md-run-degraded") return baton::stage1::RunMdRunDegraded(argc - 1, argv + 1);
    if (command == "md-ask-degraded") return baton::stage1::RunMdAskDegraded(argc - 1, argv + 1);
    if (command == "lvm-activate") return baton::stage1::RunLvmActivate(argc - 1, argv + 1);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  baton::supervisor::Env environment;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    environment.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  bool is_pid1 = kernel.GetPid() == 1;
  absl::StatusOr<baton::supervisor::Options> options =
      baton::supervisor::ParseOptions(args, environment, kernel.GetUid(), is_pid1);
  if (!options.ok()) {
    std::string text = absl::StrCat("baton: ", options.status().message(), "\n",
                                    baton::supervisor::kUsage);
    (void)kernel.Write(2, text.data(), text.size());
    if (!is_pid1) return 2;
    // PID 1 with unusable arguments still runs, with the system defaults.
    options = baton::supervisor::ParseOptions({}, environment, kernel.GetUid(), true);
  }
  return baton::supervisor::Run(*options, kernel);
}
