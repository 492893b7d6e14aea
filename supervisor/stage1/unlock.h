// `baton luks-unlock DEVNAME [UUID]`: open one LUKS device as stage 1 (and the
// booted system, from the same job file) decides.
//
//   1. The policy: /proc/cmdline (ParseCmdline) and /etc/crypttab
//      (ParseCrypttab; a missing file is empty, bad lines are logged) go to
//      DecideLuks (luks_policy.h) with the device's udev properties. Skip →
//      exit 0 with a log line saying why.
//   2. /dev/mapper/NAME exists already → exit 0 (another instance, or the
//      booted system finding what stage 1 opened).
//   3. A key file (not on another device, present):
//        cryptsetup open --type luks DEV NAME --key-file PATH
//                   [--keyfile-size N] [--keyfile-offset N] [OPTIONS]
//      exit 0 → done. Otherwise, as dracut does, fall back to asking.
//   4. A passphrase, asked on the console (console_prompt.h, serialised with
//      the console lock):
//        "Please enter passphrase for disk vda (luks-1234…): "
//      and fed to
//        cryptsetup open --type luks DEV NAME --key-file=- [OPTIONS]
//      through a pipe on its stdin, written and closed before cryptsetup
//      starts (so it reads the whole passphrase, then end of file). Exit
//      status 2 (no key slot opened; cryptsetup says so on the console,
//      its stderr) → ask again, up to `tries` times (crypttab tries=,
//      0 = no limit; default 3). Any other failure is reported with its exit
//      status and ends the unlock (retyping would not help). End of input on
//      the console ends it too.
//   OPTIONS: --header PATH (crypttab header=), --allow-discards (discard),
//   --readonly (readonly).
//
// Without cryptsetup on ToolContext::path (an image built with
// --storage-tools native), steps 3 and 4 open the device natively
// (luks_open.h): the header (the device's, or crypttab header='s file) is
// read and parsed once before either; a header that is not LUKS, is
// damaged or uses what the native code does not support (integrity,
// reencryption, token-only key slots, ciphers other than aes xts/cbc) ends
// the unlock at once with a message saying so (and that the cryptsetup tool
// is needed), since no key could help. The key file's bytes (keyfile-offset,
// keyfile-size as cryptsetup reads them) or the typed passphrase go through
// the key slots (LUKS2: by priority); the right key makes the dm-crypt device
// NAME (uuid CRYPT-LUKS<n>-<uuid>-NAME, read-only for readonly, discards for
// discard). A wrong one is "No key available with this passphrase.", said on
// the console by baton, and counts as cryptsetup's exit status 2 does; any
// other failure (a read error, device-mapper refusing the table) ends the
// unlock. The log says "(key slot N, natively)" on success.
//
// Exit status: 0 unlocked, skipped or already open; 1 failed (the message
// says why: tries used up, cryptsetup's exit status, no console); 2 usage.
//
// The passphrase exists only in a SecretBuffer and the pipe; it is never in
// argv, env, a log line or an error message, and the buffer is wiped after
// each try. Natively, the key file's bytes, every derived key and the
// volume key live in wiped buffers (luks_secret.h), and the dm table
// holding the key in hex is wiped after the load and never logged.
#ifndef BATON_SUPERVISOR_STAGE1_UNLOCK_H_
#define BATON_SUPERVISOR_STAGE1_UNLOCK_H_

#include <string>

#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/run_tool.h"

namespace baton::stage1 {

inline constexpr int kDefaultLuksTries = 3;
// cryptsetup's exit status when no key slot opened with the key given.
inline constexpr int kCryptsetupWrongKey = 2;

// DEVICE: the device's udev properties (the job's environment); DEVNAME and,
// when known, ID_FS_UUID. Returns the exit status (see above).
int LuksUnlock(const ToolContext& ctx, const Stage1Files& files, const Env& device);

// The prompt for DEVICE ("/dev/vda") and mapping NAME:
// "Please enter passphrase for disk vda (NAME): ".
std::string PassphrasePrompt(const std::string& device, const std::string& name);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_UNLOCK_H_
