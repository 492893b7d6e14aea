// baton-mkinitramfs: builds baton's initramfs image (README.md).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tools/mkinitramfs/cli.h"
#include "tools/mkinitramfs/image.h"

namespace {

std::string SelfDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace baton::mkinitramfs;
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<CommandLine> cl =
      ParseCommandLine(args, SelfDir(), getenv("SOURCE_DATE_EPOCH"));
  if (!cl.ok()) {
    std::fprintf(stderr, "baton-mkinitramfs: %s\n", std::string(cl.status().message()).c_str());
    return 2;
  }
  if (cl->help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!cl->list.empty()) {
    absl::StatusOr<std::string> listing = ListImage(cl->list);
    if (!listing.ok()) {
      std::fprintf(stderr, "baton-mkinitramfs: %s\n",
                   std::string(listing.status().message()).c_str());
      return 1;
    }
    std::fputs(listing->c_str(), stdout);
    return 0;
  }
  absl::StatusOr<BuildReport> r = BuildImage(cl->image);
  if (!r.ok()) {
    std::fprintf(stderr, "baton-mkinitramfs: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  for (const std::string& n : r->notes) {
    std::printf("baton-mkinitramfs: %s\n", n.c_str());
  }
  for (const std::string& w : r->warnings) {
    std::fprintf(stderr, "baton-mkinitramfs: warning: %s\n", w.c_str());
  }
  std::string phases;
  for (const auto& [name, secs] : r->phases) {
    absl::StrAppendFormat(&phases, "%s%s %.2f", phases.empty() ? "" : ", ", name, secs);
  }
  std::printf("%s",
              absl::StrFormat("%s: %d files, %.1f MB uncompressed, %.2f MB %s, %.2f s (%s)\n",
                              cl->image.output, r->files, r->uncompressed_bytes / 1e6,
                              r->compressed_bytes / 1e6,
                              CompressionName(cl->image.compression), r->seconds, phases)
                  .c_str());
  return 0;
}
