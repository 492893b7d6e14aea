// The `baton` subcommands that stage-1 job files (jobs/stage1/*.conf) call,
// so that the policy lives in tested C++ and the job files stay one-liners:
//
//   baton luks-unlock DEVNAME [UUID]   unlock.h
//   baton md-add DEVNAME               assemble.h
//   baton md-run-degraded MDDEV        assemble.h
//   baton lvm-activate DEVNAME         assemble.h
//   baton md-ask-degraded MDDEV...     md_ask.h (dispatched by main.cc itself)
//
// Each RunX(argc, argv) takes argv as the subcommand sees it: argv[0] is the
// subcommand's name ("luks-unlock"), its arguments follow. The baton
// binary's main dispatches `baton NAME ARGS…` with RunX(argc - 1, argv + 1).
// The device's udev properties come from the process environment (the job's
// environment is its event's: DEVNAME, ID_FS_UUID, DEVLINKS, MD_UUID,
// LVM_VG_NAME, …); the arguments override DEVNAME and ID_FS_UUID. Messages
// go to stderr (the job's log, or the console for `console output` jobs),
// prefixed "baton: NAME:". Exit status: 0 done or nothing to do, 1 failed,
// 2 usage.
//
// The *Main variants take the Kernel and the environment, for tests.
#ifndef BATON_SUPERVISOR_STAGE1_COMMANDS_H_
#define BATON_SUPERVISOR_STAGE1_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/run_tool.h"

namespace baton::stage1 {

int RunLuksUnlock(int argc, char** argv);
int RunMdAdd(int argc, char** argv);
int RunMdRunDegraded(int argc, char** argv);
int RunLvmActivate(int argc, char** argv);

// True when NAME is one of the subcommands above.
bool IsStage1Command(absl::string_view name);

// ARGS: the arguments after the subcommand's name. ENVIRONMENT: the
// process's. CTX.command is set from the subcommand's name.
int LuksUnlockMain(const std::vector<std::string>& args, const Env& environment,
                   ToolContext& ctx, const Stage1Files& files = {});
int MdAddMain(const std::vector<std::string>& args, const Env& environment, ToolContext& ctx,
              const Stage1Files& files = {});
int MdRunDegradedMain(const std::vector<std::string>& args, ToolContext& ctx,
                      const Stage1Files& files = {});
int LvmActivateMain(const std::vector<std::string>& args, const Env& environment,
                    ToolContext& ctx, const Stage1Files& files = {});

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_COMMANDS_H_
