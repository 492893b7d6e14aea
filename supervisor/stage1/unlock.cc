#include "supervisor/stage1/unlock.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "supervisor/stage1/cmdline.h"
#include "supervisor/stage1/console_prompt.h"
#include "supervisor/stage1/crypttab.h"
#include "supervisor/stage1/luks_keyslot.h"
#include "supervisor/stage1/luks_open.h"
#include "supervisor/stage1/luks_policy.h"
#include "sys/status_macros.h"

namespace baton::stage1 {
namespace {

std::string ShortName(const std::string& device) {
  size_t slash = device.rfind('/');
  return slash == std::string::npos ? device : device.substr(slash + 1);
}

// cryptsetup open … up to the key option.
std::vector<std::string> OpenArgv(const LuksDecision& d) {
  std::vector<std::string> argv = {"cryptsetup", "open", "--type", "luks", d.device, d.name};
  if (!d.header.empty()) {
    argv.push_back("--header");
    argv.push_back(d.header);
  }
  if (d.discard) argv.push_back("--allow-discards");
  if (d.read_only) argv.push_back("--readonly");
  return argv;
}

// The key file through the native unlock; true when the device is open.
bool NativeWithKeyFile(const ToolContext& ctx, const LuksDecision& d, const NativeLuks& native) {
  const std::string what = absl::StrCat(d.device, " (", d.name, ")");
  absl::StatusOr<luks::SecretBytes> key =
      ReadKeyFile(ctx.kernel, d.key_file, d.keyfile_size, d.keyfile_offset.value_or(0));
  if (!key.ok()) {
    ctx.Log(absl::StrCat(what, ": ", key.status().message(), "; asking for the passphrase"));
    return false;
  }
  std::string slot;
  absl::Status st = native.Open(key->data(), key->size(), &slot);
  if (st.ok()) {
    ctx.Log(absl::StrCat("unlocked ", d.device, " as ", d.name, " with key file ", d.key_file,
                         " (key slot ", slot, ", natively)"));
    return true;
  }
  ctx.Log(absl::StrCat(what, ": key file ", d.key_file, " did not open it (", st.message(),
                       "); asking for the passphrase"));
  return false;
}

// Tries the key file (NATIVE: without cryptsetup); true when the device is open.
bool UnlockWithKeyFile(const ToolContext& ctx, const LuksDecision& d, const NativeLuks* native) {
  const std::string what = absl::StrCat(d.device, " (", d.name, ")");
  if (!d.key_device.empty()) {
    ctx.Log(absl::StrCat(what, ": key file ", d.key_file, " lives on ", d.key_device,
                         ", which stage 1 does not mount; asking for the passphrase"));
    return false;
  }
  if (!ctx.kernel.Stat(d.key_file).ok()) {
    ctx.Log(absl::StrCat(what, ": key file ", d.key_file,
                         " is missing; asking for the passphrase"));
    return false;
  }
  if (native != nullptr) return NativeWithKeyFile(ctx, d, *native);
  std::vector<std::string> argv = OpenArgv(d);
  argv.push_back("--key-file");
  argv.push_back(d.key_file);
  if (d.keyfile_size) {
    argv.push_back("--keyfile-size");
    argv.push_back(absl::StrCat(*d.keyfile_size));
  }
  if (d.keyfile_offset) {
    argv.push_back("--keyfile-offset");
    argv.push_back(absl::StrCat(*d.keyfile_offset));
  }
  absl::StatusOr<sys::ChildExit> exit = RunTool(ctx, argv);
  if (!exit.ok()) {
    ctx.Log(absl::StrCat(what, ": ", exit.status().message(), "; asking for the passphrase"));
    return false;
  }
  if (exit->signal == 0 && exit->exit_status == 0) {
    ctx.Log(absl::StrCat("unlocked ", d.device, " as ", d.name, " with key file ", d.key_file));
    return true;
  }
  ctx.Log(absl::StrCat(what, ": key file ", d.key_file, " did not open it (cryptsetup ",
                       DescribeExit(*exit), "); asking for the passphrase"));
  return false;
}

// Runs cryptsetup with SECRET on its stdin.
absl::StatusOr<sys::ChildExit> OpenWithSecret(const ToolContext& ctx, const LuksDecision& d,
                                              const SecretBuffer& secret) {
  ASSIGN_OR_RETURN(auto pipe, ctx.kernel.Pipe());
  size_t done = 0;
  while (done < secret.size()) {
    ASSIGN_OR_RETURN(size_t n, ctx.kernel.Write(pipe.second.get(), secret.data() + done,
                                                secret.size() - done));
    if (n == 0) return absl::DataLossError("key pipe: nothing written");
    done += n;
  }
  pipe.second.reset();  // cryptsetup reads the passphrase, then end of file
  std::vector<std::string> argv = OpenArgv(d);
  argv.push_back("--key-file=-");
  return RunTool(ctx, argv, pipe.first.get());
}

int UnlockWithPassphrase(const ToolContext& ctx, const LuksDecision& d, const std::string& mapping,
                         const NativeLuks* native) {
  const std::string what = absl::StrCat(d.device, " (", d.name, ")");
  absl::StatusOr<std::unique_ptr<ConsoleSession>> session = ConsoleSession::Open(ctx);
  if (!session.ok()) {
    ctx.Log(absl::StrCat("cannot unlock ", what, ": ", session.status().message()));
    return 1;
  }
  ConsoleSession& console = **session;
  // Another instance may have opened it while this one waited for the lock.
  if (ctx.kernel.Stat(mapping).ok()) {
    ctx.Log(absl::StrCat(what, " is already open"));
    return 0;
  }
  const int tries = d.tries.value_or(kDefaultLuksTries);
  const std::string prompt = PassphrasePrompt(d.device, d.name);
  SecretBuffer secret;
  for (int attempt = 1; tries == 0 || attempt <= tries; ++attempt) {
    absl::StatusOr<bool> got = console.ReadSecret(prompt, &secret);
    if (!got.ok()) {
      if (!absl::IsInvalidArgument(got.status())) {
        ctx.Log(absl::StrCat("cannot unlock ", what, ": ", got.status().message()));
        return 1;
      }
      (void)console.Say(absl::StrCat(got.status().message(), "."));
      continue;
    }
    if (!*got) {
      ctx.Log(absl::StrCat("cannot unlock ", what, ": end of input on ", console.path()));
      return 1;
    }
    if (secret.empty()) {
      (void)console.Say("Empty passphrase.");
      continue;
    }
    if (native != nullptr) {
      std::string slot;
      absl::Status st = native->Open(secret.data(), secret.size(), &slot);
      secret.Wipe();
      if (st.ok()) {
        (void)console.Say(absl::StrCat("Unlocked ", ShortName(d.device), " as ", d.name, "."));
        ctx.Log(absl::StrCat("unlocked ", d.device, " as ", d.name,
                             " with a passphrase (key slot ", slot, ", natively)"));
        return 0;
      }
      if (absl::IsPermissionDenied(st)) {  // no key slot opened: ask again
        (void)console.Say(luks::kNoKeyMessage);
        continue;
      }
      ctx.Log(absl::StrCat("cannot unlock ", what, ": ", st.message()));
      return 1;
    }
    absl::StatusOr<sys::ChildExit> exit = OpenWithSecret(ctx, d, secret);
    secret.Wipe();
    if (!exit.ok()) {
      ctx.Log(absl::StrCat("cannot unlock ", what, ": ", exit.status().message()));
      return 1;
    }
    if (exit->signal == 0 && exit->exit_status == 0) {
      (void)console.Say(absl::StrCat("Unlocked ", ShortName(d.device), " as ", d.name, "."));
      ctx.Log(absl::StrCat("unlocked ", d.device, " as ", d.name, " with a passphrase"));
      return 0;
    }
    // cryptsetup has said "No key available with this passphrase." on its
    // stderr (/dev/console); saying it again there would print it twice.
    if (exit->signal == 0 && exit->exit_status == kCryptsetupWrongKey) {
      console.SayBesidesTheConsole(luks::kNoKeyMessage);
      continue;
    }
    ctx.Log(absl::StrCat("cannot unlock ", what, ": cryptsetup open failed (",
                         DescribeExit(*exit), ")"));
    return 1;
  }
  (void)console.Say(absl::StrCat("Giving up on ", ShortName(d.device), "."));
  ctx.Log(absl::StrCat("cannot unlock ", what, ": no valid passphrase after ", tries,
                       tries == 1 ? " try" : " tries"));
  return 1;
}

}  // namespace

std::string PassphrasePrompt(const std::string& device, const std::string& name) {
  return absl::StrCat("Please enter passphrase for disk ", ShortName(device), " (", name, "): ");
}

int LuksUnlock(const ToolContext& ctx, const Stage1Files& files, const Env& device) {
  BootOptions options = ReadBootOptions(ctx, files);
  ParseResult<CrypttabEntry> crypttab =
      ParseCrypttab(ReadConfig(ctx, files.crypttab), files.crypttab);
  for (const absl::Status& error : crypttab.errors) {
    ctx.Log(absl::StrCat("ignoring a line: ", error.message()));
  }
  LuksDecision d = DecideLuks(options, crypttab.entries, device);
  if (d.device.empty()) {
    ctx.Log("no device given (DEVNAME)");
    return 2;
  }
  if (d.action == LuksDecision::Action::kSkip) {
    ctx.Log(absl::StrCat("leaving ", d.device, " locked: ", d.reason));
    return 0;
  }
  const std::string mapping = absl::StrCat(files.mapper_dir, "/", d.name);
  if (ctx.kernel.Stat(mapping).ok()) {
    ctx.Log(absl::StrCat(d.device, " is already open as ", mapping));
    return 0;
  }
  ctx.Log(absl::StrCat("unlocking ", d.device, " as ", d.name, " (", d.reason, ")"));
  // Without cryptsetup on the system, the header is read and parsed here,
  // once, and each key is tried natively (luks_open.h).
  std::optional<NativeLuks> native;
  if (!FindTool(ctx, "cryptsetup").ok()) {
    LuksOpenRequest request;
    request.device = d.device;
    request.name = d.name;
    request.header = d.header;
    request.allow_discards = d.discard;
    request.read_only = d.read_only;
    absl::StatusOr<NativeLuks> loaded = NativeLuks::Load(ctx.kernel, request);
    if (!loaded.ok()) {
      ctx.Log(absl::StrCat("cannot unlock ", d.device, " (", d.name, ") without cryptsetup: ",
                           loaded.status().message()));
      return 1;
    }
    native = std::move(*loaded);
    if (!native->header().note.empty()) ctx.Log(native->header().note);
  }
  const NativeLuks* opener = native ? &*native : nullptr;
  if (d.action == LuksDecision::Action::kUnlockWithKeyFile && UnlockWithKeyFile(ctx, d, opener)) {
    return 0;
  }
  return UnlockWithPassphrase(ctx, d, mapping, opener);
}

}  // namespace baton::stage1
