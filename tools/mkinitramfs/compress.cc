#include "tools/mkinitramfs/compress.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sys/status_macros.h"
#include "sys/unique_fd.h"

namespace baton::mkinitramfs {
namespace {

using sys::UniqueFd;

absl::Status MakePipe(UniqueFd* r, UniqueFd* w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  r->reset(fds[0]);
  w->reset(fds[1]);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Compression> ParseCompression(absl::string_view name) {
  if (name == "zstd") return Compression::kZstd;
  if (name == "gzip") return Compression::kGzip;
  if (name == "xz") return Compression::kXz;
  if (name == "lz4") return Compression::kLz4;
  if (name == "none") return Compression::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown compression \"", name, "\" (zstd|gzip|xz|lz4|none)"));
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd: return "zstd";
    case Compression::kGzip: return "gzip";
    case Compression::kXz: return "xz";
    case Compression::kLz4: return "lz4";
    case Compression::kNone: return "none";
  }
  return "none";
}

Compression DetectCompression(absl::string_view d) {
  if (absl::StartsWith(d, "\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (absl::StartsWith(d, "\x1f\x8b")) return Compression::kGzip;
  if (absl::StartsWith(d, "\xfd" "7zXZ")) return Compression::kXz;
  if (absl::StartsWith(d, "\x02\x21\x4c\x18") ||  // legacy frame
      absl::StartsWith(d, "\x04\x22\x4d\x18")) {  // current frame
    return Compression::kLz4;
  }
  return Compression::kNone;
}

absl::StatusOr<std::string> Compress(absl::string_view data, Compression c) {
  switch (c) {
    case Compression::kZstd: return RunFilter({"zstd", "-q", "-10", "--long=24", "-T1", "-c"}, data);
    case Compression::kGzip: return RunFilter({"gzip", "-9", "-n", "-c"}, data);
    case Compression::kXz:
      return RunFilter({"xz", "--check=crc32", "--lzma2=dict=1MiB", "-T1", "-c"}, data);
    case Compression::kLz4: return RunFilter({"lz4", "-l", "-9", "-q", "-c"}, data);
    case Compression::kNone: return std::string(data);
  }
  return std::string(data);
}

absl::StatusOr<std::string> Decompress(absl::string_view data) {
  switch (DetectCompression(data)) {
    case Compression::kZstd: return RunFilter({"zstd", "-q", "-d", "-c"}, data);
    case Compression::kGzip: return RunFilter({"gzip", "-d", "-c"}, data);
    case Compression::kXz: return RunFilter({"xz", "-d", "-c"}, data);
    case Compression::kLz4: return RunFilter({"lz4", "-d", "-q", "-c"}, data);
    case Compression::kNone: return std::string(data);
  }
  return std::string(data);
}

absl::StatusOr<std::string> RunFilter(const std::vector<std::string>& argv,
                                      absl::string_view input) {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  RETURN_IF_ERROR(MakePipe(&in_r, &in_w));
  RETURN_IF_ERROR(MakePipe(&out_r, &out_w));
  RETURN_IF_ERROR(MakePipe(&err_r, &err_w));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    // dup2 clears CLOEXEC on the copies.
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    ::execvp(args[0], args.data());
    dprintf(2, "exec: %s", strerror(errno));
    ::_exit(127);
  }
  in_r.reset();
  out_w.reset();
  err_w.reset();
  // A blocking write of more than the pipe has room for would wait for the
  // child, which may itself wait for us to read its output.
  ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  // A reader that exits early must not kill us.
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  std::string out, err;
  size_t written = 0;
  if (input.empty()) in_w.reset();
  while (out_r || err_r) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_r) { out_i = n; fds[n++] = {out_r.get(), POLLIN, 0}; }
    if (err_r) { err_i = n; fds[n++] = {err_r.get(), POLLIN, 0}; }
    if (in_w) { in_i = n; fds[n++] = {in_w.get(), POLLOUT, 0}; }
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    char buf[65536];
    auto drain = [&](int i, UniqueFd* fd, std::string* to) {
      if (i < 0 || fds[i].revents == 0) return;
      ssize_t r = ::read(fd->get(), buf, sizeof(buf));
      if (r > 0) to->append(buf, r);
      else if (r == 0 || errno != EINTR) fd->reset();
    };
    drain(out_i, &out_r, &out);
    drain(err_i, &err_r, &err);
    if (in_i >= 0 && fds[in_i].revents != 0) {
      ssize_t w = ::write(in_w.get(), input.data() + written,
                          std::min<size_t>(input.size() - written, 1 << 16));
      if (w > 0) written += w;
      if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        in_w.reset();
      }
    }
  }
  ::sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string cmd = absl::StrJoin(argv, " ");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return absl::NotFoundError(
        absl::StrCat("cannot run ", argv[0], " (is it installed?): ", err));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("`", cmd, "` failed: ", err));
  }
  return out;
}

}  // namespace baton::mkinitramfs
