#include "supervisor/stage1/luks_open.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "supervisor/stage1/dm.h"
#include "supervisor/stage1/luks_keyslot.h"
#include "sys/status_macros.h"

namespace baton::stage1 {
namespace {

constexpr uint64_t kMaxKeyFile = 8 * 1024 * 1024;  // cryptsetup's default limit

// Reads up to LEN bytes at OFFSET of FD into BUF; returns how many (short at
// the end of the file only).
absl::StatusOr<size_t> PReadUpTo(sys::Kernel& kernel, int fd, uint64_t offset, uint8_t* buf,
                                 size_t len, const std::string& path) {
  size_t got = 0;
  while (got < len) {
    absl::StatusOr<size_t> n = kernel.PRead(fd, buf + got, len - got, offset + got);
    if (!n.ok()) {
      return absl::Status(n.status().code(), absl::StrCat("read ", path, " at byte ", offset + got,
                                                          ": ", n.status().message()));
    }
    if (*n == 0) break;
    got += *n;
  }
  return got;
}

const std::string& HeaderPath(const LuksOpenRequest& r) {
  return r.header.empty() ? r.device : r.header;
}

}  // namespace

absl::StatusOr<NativeLuks> NativeLuks::Load(sys::Kernel& kernel, const LuksOpenRequest& request) {
  const std::string& path = HeaderPath(request);
  const std::string what =
      request.header.empty() ? request.device
                             : absl::StrCat(request.device, " (header ", request.header, ")");
  ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.Open(path, O_RDONLY | O_CLOEXEC));
  std::string start(luks::kLuks2BinaryHeaderSize, '\0');
  ASSIGN_OR_RETURN(size_t got, PReadUpTo(kernel, fd.get(), 0,
                                         reinterpret_cast<uint8_t*>(start.data()), start.size(),
                                         path));
  start.resize(got);
  ASSIGN_OR_RETURN(uint64_t size, luks::LuksMetadataSize(start, what));
  std::string bytes(size, '\0');
  ASSIGN_OR_RETURN(got, PReadUpTo(kernel, fd.get(), 0, reinterpret_cast<uint8_t*>(bytes.data()),
                                  bytes.size(), path));
  bytes.resize(got);
  ASSIGN_OR_RETURN(luks::LuksHeader header, luks::ParseLuksHeader(bytes, what));
  return NativeLuks(kernel, request, std::move(header));
}

absl::Status NativeLuks::Open(const void* key, size_t key_len, std::string* slot_id) const {
  sys::Kernel& kernel = *kernel_;
  const std::string& path = HeaderPath(request_);
  ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.Open(path, O_RDONLY | O_CLOEXEC));
  const luks::ReadAtFn read = [&](uint64_t offset, uint8_t* buf, size_t len) -> absl::Status {
    ASSIGN_OR_RETURN(size_t got, PReadUpTo(kernel, fd.get(), offset, buf, len, path));
    if (got != len) {
      return absl::DataLossError(absl::StrCat(path, " ends at byte ", offset + got,
                                              ", inside a key slot area"));
    }
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(luks::RecoveredKey recovered,
                   luks::RecoverVolumeKey(header_, read, key, key_len));

  ASSIGN_OR_RETURN(sys::FileInfo info, kernel.Stat(request_.device));
  if (info.type != sys::FileInfo::Type::kBlockDevice) {
    return absl::FailedPreconditionError(
        absl::StrCat(request_.device, " is not a block device"));
  }
  const dev_t dev = static_cast<dev_t>(info.rdev);
  const std::string size_path =
      absl::StrCat(request_.sys_dev_block, "/", major(dev), ":", minor(dev), "/size");
  ASSIGN_OR_RETURN(std::string size_text, kernel.ReadFile(size_path));
  uint64_t sectors;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(size_text), &sectors)) {
    return absl::InvalidArgumentError(
        absl::StrCat(size_path, ": not a number of sectors: \"", size_text, "\""));
  }
  ASSIGN_OR_RETURN(sys::DmTarget target,
                   luks::CryptTarget(header_, recovered.volume_key, sectors * 512, dev,
                                     request_.allow_discards, request_.device));
  DmDevice spec;
  spec.name = request_.name;
  spec.uuid = luks::CryptDmUuid(header_, request_.name);
  spec.read_only = request_.read_only;
  spec.targets.push_back(std::move(target));
  absl::StatusOr<dev_t> made = ActivateDm(kernel, spec);
  for (sys::DmTarget& t : spec.targets) luks::WipeBytes(t.params.data(), t.params.size());
  if (!made.ok()) return made.status();
  if (slot_id != nullptr) *slot_id = recovered.slot_id;
  return absl::OkStatus();
}

absl::StatusOr<luks::SecretBytes> ReadKeyFile(sys::Kernel& kernel, const std::string& path,
                                              std::optional<uint64_t> size, uint64_t offset) {
  ASSIGN_OR_RETURN(sys::UniqueFd fd, kernel.Open(path, O_RDONLY | O_CLOEXEC));
  if (size && *size > kMaxKeyFile) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": keyfile-size ", *size, " is over 8 MiB"));
  }
  const uint64_t want = size ? *size : kMaxKeyFile + 1;
  luks::SecretBytes key(std::min<uint64_t>(want, 4096));
  size_t have = 0;
  while (have < want) {
    if (have == key.size()) {  // grow; the old buffer is wiped when freed
      luks::SecretBytes bigger(std::min<uint64_t>(want, key.size() * 2));
      memcpy(bigger.data(), key.data(), have);
      key = std::move(bigger);
    }
    ASSIGN_OR_RETURN(size_t n, PReadUpTo(kernel, fd.get(), offset + have, key.data() + have,
                                         key.size() - have, path));
    have += n;
    if (have < key.size()) break;  // end of file
  }
  if (size && have < *size) {
    return absl::InvalidArgumentError(absl::StrCat("key file ", path, ": ", *size,
                                                   " bytes wanted at byte ", offset, ", only ",
                                                   have, " there"));
  }
  if (have > kMaxKeyFile) {
    return absl::InvalidArgumentError(absl::StrCat("key file ", path, " is over 8 MiB"));
  }
  if (have == 0) return absl::InvalidArgumentError(absl::StrCat("key file ", path, " is empty"));
  luks::SecretBytes out(have);
  memcpy(out.data(), key.data(), have);
  return out;
}

}  // namespace baton::stage1
