#include "supervisor/exec_ladder.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "supervisor/bounded_child.h"
#include "sys/status_macros.h"
#include "sys/str_printf.h"

namespace baton::supervisor {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS
// Where stage 2 (baton_main's default --jobs) reads its job files.
constexpr char kJobsDirOnRoot[] = "/etc/baton/jobs";

absl::string_view Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// "/root" + "/sbin/init"; ROOT "/" gives PATH itself.
std::string OnRoot(const std::string& root, const std::string& path) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base == "/" ? path : base + path;
}

// The part of a Status message after its last ": " ("No such file or
// directory (errno 2)" from "execve /x: No such file or directory (errno 2)").
std::string Reason(const absl::Status& status) {
  absl::string_view message = status.message();
  size_t colon = message.rfind(": ");
  return std::string(colon == absl::string_view::npos ? message : message.substr(colon + 2));
}

std::vector<std::string> InitArgv(const std::string& path, const std::string& resolved,
                                  const LadderOptions& options) {
  std::vector<std::string> argv = {path};
  if (IsSystemd(resolved)) {
    argv.push_back("--switched-root");
    argv.push_back("--system");
    if (options.systemd_deserialize_fd >= 0) {
      argv.push_back(absl::StrCat("--deserialize=", options.systemd_deserialize_fd));
    }
  }
  argv.insert(argv.end(), options.init_args.begin(), options.init_args.end());
  return argv;
}

// --- checking a binary before its execve -------------------------------------

using Ehdr = std::conditional_t<sizeof(void*) == 8, Elf64_Ehdr, Elf32_Ehdr>;
using Phdr = std::conditional_t<sizeof(void*) == 8, Elf64_Phdr, Elf32_Phdr>;

constexpr size_t kHeadBytes = 4096;    // one pread: ELF header (+ program headers), "#!" line
constexpr size_t kScriptLine = 256;    // the kernel's BINPRM_BUF_SIZE
constexpr int kMaxInterpreters = 4;    // the kernel's BINPRM_MAX_RECURSION
constexpr uint64_t kMaxInterpName = 4096;
constexpr unsigned char kOwnElfData =
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;

std::string MachineName(uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC64";
    case EM_PPC: return "PowerPC";
    case EM_S390: return "S/390";
    case EM_MIPS: return "MIPS";
    case EM_LOONGARCH: return "LoongArch";
    default: return absl::StrCat("e_machine ", machine);
  }
}

std::string ClassName(unsigned char elf_class) {
  switch (elf_class) {
    case ELFCLASS64: return "64-bit";
    case ELFCLASS32: return "32-bit";
    default: return absl::StrCat("class ", int{elf_class});
  }
}

std::string TypeName(sys::FileInfo::Type type) {
  switch (type) {
    case sys::FileInfo::Type::kDirectory: return "a directory";
    case sys::FileInfo::Type::kSymlink: return "a symlink";
    case sys::FileInfo::Type::kBlockDevice: return "a block device";
    case sys::FileInfo::Type::kCharDevice: return "a character device";
    default: return "not a file";
  }
}

// Up to LEN bytes at OFFSET (fewer at the end of the file).
absl::StatusOr<std::string> ReadAt(sys::Kernel& kernel, int fd, uint64_t offset, size_t len) {
  std::string out(len, '\0');
  size_t got = 0;
  while (got < len) {
    ASSIGN_OR_RETURN(size_t n, kernel.PRead(fd, &out[got], len - got, offset + got));
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

// "" when END (an offset + length that may have overflowed: END < START) lies
// inside a file of SIZE bytes; else "WHAT ends at END, file is SIZE bytes
// (truncated?)".
std::string PastEnd(const std::string& what, uint64_t start, uint64_t end, uint64_t size) {
  if (end >= start && end <= size) return "";
  if (end < start) return absl::StrCat(what, " lies beyond the end of the file (", size, " bytes)");
  return absl::StrCat(what, " ends at ", end, ", file is ", size, " bytes (truncated?)");
}

class Checker {
 public:
  Checker(sys::Kernel& kernel, const std::string& root) : kernel_(kernel), root_(root) {}

  // What is wrong with PATH ("" when nothing is). When PATH could not be
  // looked at (missing, unreadable), *UNREADABLE says why and "" is returned.
  std::string Problem(const std::string& path, int depth, absl::Status* unreadable) {
    *unreadable = absl::OkStatus();
    absl::StatusOr<std::string> resolved = ResolveOnRoot(kernel_, root_, path);
    if (!resolved.ok()) return Unreadable(resolved.status(), unreadable);
    const std::string full = OnRoot(root_, *resolved);
    const std::string name = *resolved == path ? path : absl::StrCat(path, " (-> ", *resolved, ")");
    absl::StatusOr<sys::FileInfo> info = kernel_.Stat(full);
    if (!info.ok()) return Unreadable(info.status(), unreadable);
    if (info->type != sys::FileInfo::Type::kRegular) {
      return absl::StrCat(name, ": not a regular file (", TypeName(info->type), ")");
    }
    if ((info->mode & 0111) == 0) {
      return absl::StrCat(name, sys::StrPrintf(": not executable (mode %04o)", info->mode));
    }
    absl::StatusOr<sys::UniqueFd> fd = kernel_.Open(full, O_RDONLY);
    if (!fd.ok()) return Unreadable(fd.status(), unreadable);
    absl::StatusOr<std::string> head = ReadAt(kernel_, fd->get(), 0, kHeadBytes);
    if (!head.ok()) return Unreadable(head.status(), unreadable);
    std::string problem;
    if (absl::StartsWith(*head, "\x7f" "ELF")) {
      problem = Elf(fd->get(), info->size, *head, depth);
    } else if (absl::StartsWith(*head, "#!")) {
      problem = Script(*head, depth);
    }
    return problem.empty() ? problem : absl::StrCat(name, ": ", problem);
  }

 private:
  static std::string Unreadable(absl::Status why, absl::Status* unreadable) {
    *unreadable = std::move(why);
    return "";
  }

  // The interpreter NAME (of a PT_INTERP or "#!"), which must be there.
  std::string Interpreter(const std::string& kind, const std::string& name, int depth) {
    if (depth >= kMaxInterpreters) {
      return absl::StrCat(kind, " ", name, ": interpreters nested more than ", kMaxInterpreters,
                          " deep");
    }
    absl::Status unreadable;
    std::string problem = Problem(name, depth + 1, &unreadable);
    if (absl::IsNotFound(unreadable)) {
      return absl::StrCat(kind, " ", name, " is missing on the new root");
    }
    if (!unreadable.ok()) return absl::StrCat(kind, " ", name, ": ", unreadable.message());
    if (!problem.empty()) return absl::StrCat(kind, " ", problem);
    return "";
  }

  std::string Elf(int fd, uint64_t size, const std::string& head, int depth) {
    if (head.size() < sizeof(Ehdr)) {
      return absl::StrCat("ELF header cut short: file is ", size, " bytes (truncated?)");
    }
    Ehdr eh;
    std::memcpy(&eh, head.data(), sizeof(eh));
    if (eh.e_ident[EI_CLASS] != kOwnElfClass) {
      return absl::StrCat(ClassName(eh.e_ident[EI_CLASS]), " ELF; this system runs ",
                          ClassName(kOwnElfClass), " binaries");
    }
    if (eh.e_ident[EI_DATA] != kOwnElfData) {
      return absl::StrCat("ELF byte order ", int{eh.e_ident[EI_DATA]}, " is not this system's");
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
      return absl::StrCat("ELF type ", eh.e_type, " is not an executable (ET_EXEC or ET_DYN)");
    }
    if (kOwnElfMachine != 0 && eh.e_machine != kOwnElfMachine) {
      return absl::StrCat(MachineName(eh.e_machine), " ELF; this system runs ",
                          MachineName(kOwnElfMachine), " binaries");
    }
    if (eh.e_phentsize != sizeof(Phdr)) {
      return absl::StrCat("program header entries of ", eh.e_phentsize, " bytes, not ",
                          sizeof(Phdr));
    }
    if (eh.e_phnum == 0) return "no program headers";
    const uint64_t table_size = uint64_t{eh.e_phnum} * sizeof(Phdr);
    std::string past = PastEnd("program header table", eh.e_phoff, eh.e_phoff + table_size, size);
    if (!past.empty()) return past;
    std::string table;
    if (eh.e_phoff + table_size <= head.size()) {
      table = head.substr(eh.e_phoff, table_size);
    } else {
      absl::StatusOr<std::string> read = ReadAt(kernel_, fd, eh.e_phoff, table_size);
      if (!read.ok()) return absl::StrCat("program headers: ", read.status().message());
      table = *std::move(read);
      if (table.size() < table_size) return "program headers cut short (file shrank?)";
    }
    int loads = 0;
    const Phdr* interp = nullptr;
    Phdr interp_copy;
    for (int i = 0; i < eh.e_phnum; ++i) {
      Phdr ph;
      std::memcpy(&ph, table.data() + i * sizeof(Phdr), sizeof(ph));
      if (ph.p_type == PT_LOAD) {
        ++loads;
        past = PastEnd(absl::StrCat("PT_LOAD segment ", i), ph.p_offset,
                       uint64_t{ph.p_offset} + ph.p_filesz, size);
        if (!past.empty()) return past;
      } else if (ph.p_type == PT_INTERP && interp == nullptr) {
        interp_copy = ph;
        interp = &interp_copy;
      }
    }
    if (loads == 0) return "no PT_LOAD segment";
    if (interp == nullptr) return "";  // static
    if (interp->p_filesz < 2 || interp->p_filesz > kMaxInterpName) {
      return absl::StrCat("PT_INTERP of ", interp->p_filesz, " bytes");
    }
    past = PastEnd("PT_INTERP", interp->p_offset, uint64_t{interp->p_offset} + interp->p_filesz,
                   size);
    if (!past.empty()) return past;
    absl::StatusOr<std::string> name = ReadAt(kernel_, fd, interp->p_offset, interp->p_filesz);
    if (!name.ok()) return absl::StrCat("PT_INTERP: ", name.status().message());
    if (name->size() != interp->p_filesz || name->back() != '\0') {
      return "PT_INTERP is not NUL-terminated";
    }
    name->resize(std::strlen(name->c_str()));
    if (name->empty()) return "PT_INTERP names no file";
    if (depth == 0) interpreter_ = *name;
    return Interpreter("its interpreter", *name, depth);
  }

  std::string Script(const std::string& head, int depth) {
    absl::string_view line = absl::string_view(head).substr(2, kScriptLine - 2);
    line = line.substr(0, line.find('\n'));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    line = line.substr(0, line.find_first_of(absl::string_view(" \t\0", 3)));
    if (line.empty()) return "#! names no interpreter";
    return Interpreter("#! interpreter", std::string(line), depth);
  }

  sys::Kernel& kernel_;
  const std::string& root_;

 public:
  std::string interpreter_;  // the checked binary's own PT_INTERP ("" when static)
};

// The rung that carries the handoff.
bool CarriesHandoff(const ExecCandidate& rung) {
  return std::any_of(rung.argv.begin(), rung.argv.end(),
                     [](const std::string& a) { return absl::StartsWith(a, "--handoff-fd="); });
}

// The N of the rung's --handoff-fd=N, or -1.
int HandoffFdOf(const ExecCandidate& rung) {
  for (const std::string& a : rung.argv) {
    int fd;
    if (absl::StartsWith(a, "--handoff-fd=") &&
        absl::SimpleAtoi(absl::string_view(a).substr(13), &fd)) {
      return fd;
    }
  }
  return -1;
}

std::string SignalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d), " ms");
}

// The first non-empty line of TEXT, at most 200 characters.
std::string FirstLine(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) return std::string(line.substr(0, 200));
  }
  return "";
}

}  // namespace

bool PreflightVerdict::handoff_unreadable() const {
  return kind == Kind::kOk && absl::StartsWith(handoff, "unreadable");
}

std::string PreflightVerdict::Describe(const std::string& path) const {
  std::string what;
  switch (kind) {
    case Kind::kOk: what = answer; break;
    case Kind::kNoDryRun: what = absl::StrCat("accepted without a dry run: ", reason); break;
    case Kind::kNotRun: what = absl::StrCat("not run (", reason, "); executing without one"); break;
    case Kind::kFailed: what = reason; break;
  }
  return absl::StrCat(path, " preflight: ", what, " (", Millis(took),
                      kind == Kind::kOk || kind == Kind::kNoDryRun
                          ? absl::StrCat(", bound ", absl::FormatDuration(kPreflightTimeout))
                          : std::string(),
                      ")");
}

PreflightVerdict JudgePreflight(const std::optional<sys::ChildExit>& exit, bool timed_out,
                                absl::string_view output, absl::Duration bound) {
  PreflightVerdict v;
  v.kind = PreflightVerdict::Kind::kFailed;
  const std::string said = FirstLine(output);
  const std::string quoted = said.empty() ? "" : absl::StrCat(": \"", said, "\"");
  if (timed_out) {
    v.reason = absl::StrCat("no answer within ", absl::FormatDuration(bound), " (killed)", quoted);
    return v;
  }
  if (!exit.has_value()) {
    v.kind = PreflightVerdict::Kind::kNotRun;
    v.reason = "its exit status could not be collected";
    return v;
  }
  // The ok line, wherever it is in the output (a loader may warn first).
  std::string ok_line;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, kPreflightOk)) {
      ok_line = std::string(absl::StripTrailingAsciiWhitespace(line));
      break;
    }
  }
  if (exit->signal != 0) {
    v.reason = absl::StrCat("killed by ", SignalName(exit->signal),
                            exit->core_dumped ? " (core dumped)" : "",
                            ok_line.empty() ? " before answering" : " after answering", quoted);
    return v;
  }
  if (exit->exit_status == 0 && !ok_line.empty()) {
    v.kind = PreflightVerdict::Kind::kOk;
    v.answer = ok_line;
    size_t at = ok_line.find(" handoff=");
    if (at != std::string::npos) v.handoff = ok_line.substr(at + 9);
    return v;
  }
  if (exit->exit_status == 2 && absl::StrContains(output, kPreflightUnknown)) {
    v.kind = PreflightVerdict::Kind::kNoDryRun;
    v.reason = "an older baton that does not know --preflight (it reached main)";
    return v;
  }
  v.reason = exit->exit_status == 0
                 ? absl::StrCat("exited 0 without the answer \"", kPreflightOk, "\"", quoted)
                 : absl::StrCat("exited with status ", exit->exit_status, quoted);
  return v;
}

PreflightVerdict Preflight(sys::Kernel& kernel, const PreflightRequest& request) {
  sys::SpawnRequest spawn;
  spawn.argv = {request.path, kPreflightFlag};
  if (request.handoff_fd >= 0) spawn.argv.push_back(absl::StrCat("--handoff-fd=", request.handoff_fd));
  spawn.env = request.env;
  if (OnRoot(request.root, "/") != "/") spawn.root = request.root;
  BoundedRun run = RunBounded(kernel, std::move(spawn), request.timeout);
  PreflightVerdict v;
  if (!run.started.ok()) {
    // An exec error ("exec PATH: …"): the real execve would fail the same
    // way, which only costs a rung; the ladder lets it say so itself.
    v.kind = PreflightVerdict::Kind::kNotRun;
    v.reason = std::string(run.started.message());
  } else {
    v = JudgePreflight(run.exit, run.timed_out, run.output, request.timeout);
  }
  v.took = run.took;
  return v;
}

std::string LoaderVerdict::Describe(const std::string& path) const {
  return absl::StrCat(path, " loader check: ", what, " (", Millis(took), ")");
}

LoaderVerdict JudgeLoaderList(const BoundedRun& run, absl::Duration bound) {
  LoaderVerdict v;
  v.took = run.took;
  if (!run.started.ok()) {
    v.what = absl::StrCat("not run (", run.started.message(), "); no objection");
    return v;
  }
  // What ld.so says when the exec would die before main: a library it
  // cannot open (the program's own needs: "error while loading shared
  // libraries: X: cannot open shared object file"; a library's, in list
  // mode: "X => not found") or a symbol version no library has ("version
  // `GLIBC_2.99' not found (required by …)").
  std::vector<std::string> fatal;
  size_t listed = 0;
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StrContains(line, "error while loading shared libraries") ||
        absl::StrContains(line, "=> not found") ||
        ((absl::StartsWith(line, "version `") || absl::StrContains(line, ": version `")) &&
         absl::StrContains(line, "' not found"))) {
      if (fatal.size() < 3) fatal.emplace_back(line.substr(0, 500));
    } else if (absl::StrContains(line, " => /") || absl::StartsWith(line, "/")) {
      ++listed;
    }
  }
  if (!fatal.empty()) {
    v.refused = true;
    v.what = absl::StrJoin(fatal, "; ");
    return v;
  }
  if (run.timed_out) {
    v.what = absl::StrCat("no answer within ", absl::FormatDuration(bound),
                          " (killed); no objection");
  } else if (run.exit.has_value() && run.exit->signal == 0 && run.exit->exit_status == 0) {
    v.what = absl::StrCat(listed, " objects found");
  } else {
    const std::string said = FirstLine(run.output);
    v.what = absl::StrCat(
        run.exit.has_value() && run.exit->signal != 0
            ? absl::StrCat("the loader was killed by ", SignalName(run.exit->signal))
            : run.exit.has_value() ? absl::StrCat("the loader exited ", run.exit->exit_status)
                                   : std::string("the loader could not be reaped"),
        said.empty() ? "" : absl::StrCat(": \"", said, "\""),
        "; it named no missing library: no objection");
  }
  return v;
}

LoaderVerdict LoaderCheck(sys::Kernel& kernel, const LoaderCheckRequest& request) {
  sys::SpawnRequest spawn;
  spawn.argv = {request.interpreter, "--list", request.path};
  spawn.env = request.env;
  if (OnRoot(request.root, "/") != "/") spawn.root = request.root;
  return JudgeLoaderList(RunBounded(kernel, std::move(spawn), request.timeout), request.timeout);
}

const unsigned char kOwnElfClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
const uint16_t kOwnElfMachine =
#if defined(__x86_64__)
    EM_X86_64;
#elif defined(__i386__)
    EM_386;
#elif defined(__aarch64__)
    EM_AARCH64;
#elif defined(__arm__)
    EM_ARM;
#elif defined(__riscv)
    EM_RISCV;
#elif defined(__powerpc64__)
    EM_PPC64;
#elif defined(__powerpc__)
    EM_PPC;
#elif defined(__s390__)
    EM_S390;
#elif defined(__mips__)
    EM_MIPS;
#elif defined(__loongarch__)
    EM_LOONGARCH;
#else
    0;
#endif

absl::Status CheckExecutable(sys::Kernel& kernel, const std::string& root,
                             const std::string& path, std::string* interpreter) {
  Checker checker(kernel, root);
  absl::Status unreadable;  // left to execve, whose errno says it
  std::string problem = checker.Problem(path, 0, &unreadable);
  if (interpreter != nullptr) *interpreter = checker.interpreter_;
  if (problem.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(problem);
}

absl::StatusOr<std::string> ResolveOnRoot(sys::Kernel& kernel, const std::string& root,
                                          const std::string& path) {
  std::deque<std::string> todo;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    todo.emplace_back(part);
  }
  std::string done;  // resolved so far, relative to ROOT, "" meaning "/"
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      done = done.substr(0, done.rfind('/') == std::string::npos ? 0 : done.rfind('/'));
      continue;
    }
    std::string candidate = done + "/" + part;
    absl::StatusOr<sys::FileInfo> info = kernel.Stat(OnRoot(root, candidate));
    if (!info.ok()) {
      // Missing: the rest stays as written.
      done = std::move(candidate);
      for (const std::string& rest : todo) absl::StrAppend(&done, "/", rest);
      break;
    }
    if (info->type != sys::FileInfo::Type::kSymlink) {
      done = std::move(candidate);
      continue;
    }
    if (++links > kMaxLinks) {
      return ErrnoStatus(ELOOP, absl::StrCat("resolve ", path, " on ", root));
    }
    ASSIGN_OR_RETURN(std::string target, kernel.ReadLink(OnRoot(root, candidate)));
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> parts = absl::StrSplit(target, '/', absl::SkipEmpty());
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  return done.empty() ? std::string("/") : done;
}

void ResolveInits(sys::Kernel& kernel, const std::string& root, LadderOptions* options) {
  absl::StatusOr<std::string> init = ResolveOnRoot(kernel, root, options->init);
  options->init_resolved = init.ok() ? *init : options->init;
  absl::StatusOr<std::string> sbin_init = ResolveOnRoot(kernel, root, "/sbin/init");
  options->sbin_init_resolved = sbin_init.ok() ? *sbin_init : "/sbin/init";
}

std::vector<std::string> ReadaheadForExec(sys::Kernel& kernel, const std::string& root,
                                          const std::string& init_resolved) {
  std::vector<std::string> asked;
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto ahead = [&](const std::string& path) {
    const std::string full = base + path;
    if (std::find(asked.begin(), asked.end(), full) != asked.end()) return;
    if (kernel.Readahead(full).ok()) asked.push_back(full);
  };
  ahead(init_resolved);
  if (!IsBaton(init_resolved)) return asked;
  absl::StatusOr<std::string> maps = kernel.ReadFile("/proc/self/maps");
  if (maps.ok()) {
    for (absl::string_view line : absl::StrSplit(*maps, '\n')) {
      // "ADDR PERMS OFFSET DEV INODE PATH": shared objects only, not our own
      // binary (stage 1's /init) nor [vdso] and the like.
      size_t slash = line.find('/');
      if (slash == absl::string_view::npos) continue;
      absl::string_view path = line.substr(slash);
      if (!absl::StrContains(path, ".so")) continue;
      ahead(std::string(path));
    }
  }
  // Stage 2 reads its job files before anything else: their directory is
  // looked up now (the lookup itself reads the cold metadata, which stage 2
  // then finds cached) and their contents are read in the background.
  absl::StatusOr<std::string> jobs = ResolveOnRoot(kernel, root, kJobsDirOnRoot);
  if (!jobs.ok()) return asked;
  absl::StatusOr<std::vector<std::string>> names = kernel.ListDir(base + *jobs);
  if (!names.ok()) return asked;
  for (const std::string& name : *names) {
    if (absl::EndsWith(name, ".conf")) ahead(absl::StrCat(*jobs, "/", name));
  }
  return asked;
}

bool IsBaton(absl::string_view resolved_path) { return Basename(resolved_path) == "baton"; }
bool IsSystemd(absl::string_view resolved_path) { return Basename(resolved_path) == "systemd"; }

std::vector<ExecCandidate> BuildLadder(const LadderOptions& options) {
  std::vector<ExecCandidate> ladder;
  std::set<std::string> seen;  // paths and resolved paths already on the ladder
  auto add = [&](const std::string& path, const std::string& resolved,
                 std::vector<std::string> argv, std::string description) {
    if (seen.count(path) != 0 || seen.count(resolved) != 0) return;
    seen.insert(path);
    seen.insert(resolved);
    ladder.push_back({path, std::move(argv), options.env, std::move(description)});
  };
  const std::string init_resolved =
      options.init_resolved.empty() ? options.init : options.init_resolved;
  const std::string sbin_init_resolved =
      options.sbin_init_resolved.empty() ? "/sbin/init" : options.sbin_init_resolved;
  const bool foreign = !IsBaton(init_resolved);

  if (!foreign) {
    if (options.handoff_fd >= 0) {
      std::vector<std::string> argv = {options.self_path,
                                       absl::StrCat("--handoff-fd=", options.handoff_fd)};
      if (!options.handoff_fds.empty()) {
        argv.push_back(absl::StrCat("--handoff-fds=", absl::StrJoin(options.handoff_fds, ",")));
      }
      ladder.push_back(
          {options.self_path, std::move(argv), options.env, "baton with handoff", true});
    }
    ladder.push_back(
        {options.self_path,
         {options.self_path, absl::StrCat("--stateless-reason=", options.stateless_reason)},
         options.env,
         "baton without state",
         true});
    seen.insert(options.self_path);
  }
  add(options.init, init_resolved, InitArgv(options.init, init_resolved, options),
      foreign ? absl::StrCat("init=", options.init, " (", init_resolved, ", not baton)")
              : absl::StrCat("init=", options.init));
  add("/sbin/init", sbin_init_resolved, InitArgv("/sbin/init", sbin_init_resolved, options),
      "/sbin/init");
  add("/bin/sh", "/bin/sh", {"/bin/sh"}, "shell");
  return ladder;
}

namespace {

// PATH's Stat on ROOT, resolved there first: an absolute link on the new
// root would lead into the initramfs if the Stat followed it from here.
absl::StatusOr<sys::FileInfo> FileOnRoot(sys::Kernel& kernel, const std::string& root,
                                         const std::string& path) {
  ASSIGN_OR_RETURN(std::string resolved, ResolveOnRoot(kernel, root, path));
  return kernel.Stat(OnRoot(root, resolved));
}

// How FILE (a Stat) differs from the one preflighted, "" when it does not.
std::string FileChange(const sys::FileInfo& was, const sys::FileInfo& now) {
  if (was.type != now.type) return "file type";
  if (was.dev != now.dev) return absl::StrCat("device ", was.dev, " -> ", now.dev);
  if (was.ino != now.ino) return absl::StrCat("inode ", was.ino, " -> ", now.ino);
  if (was.size != now.size) return absl::StrCat("size ", was.size, " -> ", now.size);
  return "";
}

// The early verdict for PATH when ROOT/PATH is still the file it was taken
// on; otherwise nullopt (logged when there was one).
const EarlyPreflight* EarlyEntry(sys::Kernel& kernel, const std::string& root,
                                 const std::string& path, bool loader,
                                 const std::vector<EarlyPreflight>& early,
                                 const std::function<void(absl::string_view)>& log) {
  auto it = std::find_if(early.begin(), early.end(), [&](const EarlyPreflight& e) {
    return e.path == path && e.loader.has_value() == loader;
  });
  if (it == early.end()) return nullptr;
  absl::StatusOr<sys::FileInfo> now = FileOnRoot(kernel, root, path);
  const std::string change =
      now.ok() ? FileChange(it->file, *now) : std::string(now.status().message());
  if (!change.empty()) {
    log(absl::StrCat(path, " changed since its ", loader ? "loader check" : "preflight",
                     " before the switch (", change, "); ",
                     loader ? "checking" : "preflighting", " it again"));
    return nullptr;
  }
  return &*it;
}

std::optional<PreflightVerdict> EarlyVerdict(sys::Kernel& kernel, const std::string& root,
                                             const std::string& path,
                                             const std::vector<EarlyPreflight>& early,
                                             const std::function<void(absl::string_view)>& log) {
  const EarlyPreflight* entry = EarlyEntry(kernel, root, path, false, early, log);
  if (entry == nullptr) return std::nullopt;
  return entry->verdict;
}

// An exec error of the preflight's own spawn is left to the real execve,
// which says it better: accepted, not logged.
bool ExecError(const PreflightVerdict& verdict) {
  return verdict.kind == PreflightVerdict::Kind::kNotRun &&
         absl::StartsWith(verdict.reason, "exec ");
}

}  // namespace

std::optional<EarlyPreflight> PreflightOnNewRoot(sys::Kernel& kernel, const std::string& new_root,
                                                 const std::string& path, int handoff_fd,
                                                 const std::vector<std::string>& env,
                                                 const std::function<void(absl::string_view)>& log) {
  if (!CheckExecutable(kernel, new_root, path).ok()) return std::nullopt;
  absl::StatusOr<sys::FileInfo> file = FileOnRoot(kernel, new_root, path);
  if (!file.ok()) return std::nullopt;
  PreflightRequest request;
  request.path = path;
  request.root = new_root;
  request.handoff_fd = handoff_fd;
  request.env = env;
  EarlyPreflight early;
  early.path = path;
  early.verdict = Preflight(kernel, request);
  early.file = *file;
  if (early.verdict.kind == PreflightVerdict::Kind::kNotRun) return std::nullopt;
  if (early.verdict.accepted()) {
    log(absl::StrCat(early.verdict.Describe(path), "; before the switch"));
  }
  return early;
}

std::optional<EarlyPreflight> LoaderCheckOnNewRoot(
    sys::Kernel& kernel, const std::string& new_root, const std::string& path,
    const std::vector<std::string>& env, const std::function<void(absl::string_view)>& log) {
  std::string interpreter;
  if (!CheckExecutable(kernel, new_root, path, &interpreter).ok() || interpreter.empty()) {
    return std::nullopt;
  }
  absl::StatusOr<sys::FileInfo> file = FileOnRoot(kernel, new_root, path);
  if (!file.ok()) return std::nullopt;
  LoaderCheckRequest request;
  request.path = path;
  request.interpreter = interpreter;
  request.root = new_root;
  request.env = env;
  EarlyPreflight early;
  early.path = path;
  early.loader = LoaderCheck(kernel, request);
  early.file = *file;
  if (!early.loader->refused) {
    log(absl::StrCat(early.loader->Describe(path), "; before the switch"));
  }
  return early;
}

absl::Status RunLadder(sys::Kernel& kernel, const std::vector<ExecCandidate>& ladder,
                       const std::function<void(absl::string_view)>& log,
                       const std::string& root, const std::vector<EarlyPreflight>& early) {
  if (ladder.empty()) return absl::FailedPreconditionError("nothing to exec");
  std::vector<std::string> attempts;
  std::map<std::string, absl::Status> checked;  // path -> CheckExecutable
  std::map<std::string, absl::Status> preflights;  // path -> its preflight's verdict
  std::map<std::string, std::string> interpreters;  // path -> its PT_INTERP ("" static)
  std::map<std::string, absl::Status> loaded;      // path -> its loader check's verdict
  std::string stateless_reason;                 // replaces --stateless-reason= when set
  std::set<std::string> early_refused;          // paths whose early verdict does not hold
  auto then = [&](size_t i) {
    return i + 1 < ladder.size()
               ? absl::StrCat("; trying ", ladder[i + 1].path, " (", ladder[i + 1].description, ")")
               : std::string("; nothing left to try");
  };
  for (size_t i = 0; i < ladder.size(); ++i) {
    const ExecCandidate& rung = ladder[i];
    auto check = checked.find(rung.path);
    if (check == checked.end() && rung.preflight && preflights.count(rung.path) == 0) {
      // Preflighted before the switch and still that file (one resolve and
      // stat): its header check passed then (PreflightOnNewRoot runs it
      // first) and its verdict stands; neither is taken again.
      if (std::optional<PreflightVerdict> verdict =
              EarlyVerdict(kernel, root, rung.path, early, log)) {
        check = checked.emplace(rung.path, absl::OkStatus()).first;
        preflights.emplace(rung.path, verdict->accepted() ? absl::OkStatus()
                                                          : absl::FailedPreconditionError(
                                                                verdict->Describe(rung.path)));
      } else {
        early_refused.insert(rung.path);  // changed, or none: preflighted below
      }
    }
    if (check == checked.end()) {
      check = checked.emplace(rung.path, CheckExecutable(kernel, root, rung.path,
                                                         &interpreters[rung.path]))
                  .first;
    }
    const std::string& interpreter = interpreters[rung.path];
    if (check->second.ok() && !rung.preflight && !interpreter.empty()) {
      auto verdict = loaded.find(rung.path);
      if (verdict == loaded.end()) {
        // Taken before the switch: its accepted line is logged already.
        const EarlyPreflight* before = EarlyEntry(kernel, root, rung.path, true, early, log);
        LoaderVerdict said;
        if (before != nullptr) {
          said = *before->loader;
        } else {
          LoaderCheckRequest request;
          request.path = rung.path;
          request.interpreter = interpreter;
          request.root = root;
          request.env = rung.env;
          said = LoaderCheck(kernel, request);
          if (!said.refused) log(said.Describe(rung.path));
        }
        const std::string line = said.Describe(rung.path);
        verdict = loaded.emplace(rung.path, said.refused ? absl::FailedPreconditionError(line)
                                                         : absl::OkStatus())
                      .first;
      }
      if (!verdict->second.ok()) check = verdict;
    }
    if (check->second.ok() && rung.preflight) {
      auto flown = preflights.find(rung.path);
      if (flown == preflights.end()) {
        // Taken before the switch: its accepted line is logged already.
        std::optional<PreflightVerdict> verdict;
        if (early_refused.count(rung.path) == 0) {
          verdict = EarlyVerdict(kernel, root, rung.path, early, log);
        }
        if (!verdict) {
          PreflightRequest request;
          request.path = rung.path;
          request.root = root;
          request.handoff_fd = HandoffFdOf(rung);
          request.env = rung.env;
          verdict = Preflight(kernel, request);
          if (verdict->accepted() && !ExecError(*verdict)) log(verdict->Describe(rung.path));
        }
        flown = preflights
                    .emplace(rung.path, verdict->accepted() ? absl::OkStatus()
                                                            : absl::FailedPreconditionError(
                                                                  verdict->Describe(rung.path)))
                    .first;
      }
      if (!flown->second.ok()) check = flown;
    }
    if (!check->second.ok()) {
      const std::string what(check->second.message());
      attempts.push_back(absl::StrCat("skipped ", rung.path, ": ", what));
      log(absl::StrCat("not executing ", rung.path, " (", rung.description, "): ", what, then(i)));
      if (CarriesHandoff(rung)) {
        stateless_reason =
            absl::StrCat("the stage-2 binary was not executed with the handoff: ", what);
      }
      continue;
    }
    std::vector<std::string> argv = rung.argv;
    if (!stateless_reason.empty()) {
      for (std::string& arg : argv) {
        if (absl::StartsWith(arg, "--stateless-reason=")) {
          arg = absl::StrCat("--stateless-reason=", stateless_reason);
        }
      }
    }
    absl::Status status = kernel.Execve(rung.path, argv, rung.env);
    if (status.ok()) return status;  // only a fake returns
    const std::string reason = Reason(status);
    attempts.push_back(absl::StrCat("exec ", rung.path, ": ", reason));
    log(absl::StrCat("exec ", rung.path, " failed: ", reason, then(i)));
  }
  return absl::InternalError(absl::StrCat("every exec failed: ", absl::StrJoin(attempts, "; ")));
}

std::string SystemdDeserialization(absl::Time initrd_realtime, absl::Duration initrd_monotonic) {
  return absl::StrCat("initrd-timestamp=", absl::ToUnixMicros(initrd_realtime), " ",
                      absl::ToInt64Microseconds(initrd_monotonic), "\n\n");
}

absl::StatusOr<sys::UniqueFd> MakeSystemdDeserializeFd(sys::Kernel& kernel,
                                                       absl::string_view text) {
  ASSIGN_OR_RETURN(auto ends, kernel.Pipe());
  size_t written = 0;
  while (written < text.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     kernel.Write(ends.second.get(), text.data() + written, text.size() - written));
    if (n == 0) return ErrnoStatus(EIO, "write systemd deserialization");
    written += n;
  }
  RETURN_IF_ERROR(kernel.SetCloexec(ends.first.get(), false));
  return std::move(ends.first);  // the write end closes here
}

}  // namespace baton::supervisor
