// `baton md-ask-degraded MDDEV…`: the question behind baton.md.degraded=ask.
//
// When the degraded arbiter (degraded.h) finds arrays short of a member at a
// quiet moment and the policy is `ask`, PID 1 emits
//     md-degraded-ask MD_DEVNAMES="/dev/md127 /dev/md126"
// and waits for `md-degraded-answer ANSWER=yes|no`. The job
// jobs/stage1/md-degraded-ask.conf runs this command with those devices and
// emits the answer from its exit status (`initctl emit`).
//
// It takes the console with a ConsoleSession (console_prompt.h: the lock the
// LUKS passphrase prompts take, so the question never interleaves with a
// passphrase prompt), says which arrays lack how many members, e.g.
//     WARNING: these RAID arrays are missing members:
//       /dev/md127: 1 of 2 members present, 1 missing
//     Started degraded, an array runs without its redundancy; not started,
//     whatever lives on it stays missing.
//     Start them degraded? [y/N]
// (members = the md/dev-* entries under /sys/block/mdX; the expected count
// from md/raid_disks, which reads empty while the array is inactive, then
// from a member's superblock, MdMembersFromSuperblock), and reads a visible
// line (ConsoleSession::ReadLine). y or yes (any case) starts them; n, no or
// an empty line (the default) leaves them alone; anything else asks again.
// End of input (no one at the console) and a console that cannot be opened
// are "no", said on the console and the log. Nothing here is a timer: the
// question waits for the human, as `ask` means (PID 1 holds the rootdelay
// rescue shell back while this task runs).
//
// Exit status: 0 start them degraded, 1 do not (answered no, no console,
// end of input), 2 usage.
#ifndef BATON_SUPERVISOR_STAGE1_MD_ASK_H_
#define BATON_SUPERVISOR_STAGE1_MD_ASK_H_

#include <string>
#include <vector>

#include "supervisor/stage1/run_tool.h"

namespace baton::stage1 {

// "/dev/md127: 1 of 2 members present, 1 missing" for MD_DEVICE (/dev/md127,
// /dev/md/NAME or md127), from FILES.sys_block.
std::string DescribeIncompleteArray(const ToolContext& ctx, const Stage1Files& files,
                                    const std::string& md_device);

// True to start MD_DEVICES degraded (see above).
bool AskStartDegraded(const ToolContext& ctx, const Stage1Files& files,
                      const std::vector<std::string>& md_devices);

// ARGS: the md devices. Sets CTX.command.
int MdAskDegradedMain(const std::vector<std::string>& args, ToolContext& ctx,
                      const Stage1Files& files = {});
int RunMdAskDegraded(int argc, char** argv);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_MD_ASK_H_
