// LinuxKernel's device-mapper calls: one ioctl on /dev/mapper/control each
// (linux/dm-ioctl.h, interface version 4).
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sys/linux_kernel.h"
#include "sys/status_macros.h"

namespace baton::sys {
namespace {

constexpr char kControl[] = "/dev/mapper/control";

// A dm_ioctl header followed by DATA_BYTES of payload, 8-byte aligned, wiped
// when it goes away (a crypt table holds a key).
class DmBuffer {
 public:
  explicit DmBuffer(size_t data_bytes)
      : words_((sizeof(struct dm_ioctl) + data_bytes + 7) / 8, 0) {
    dm_ioctl* io = header();
    io->version[0] = DM_VERSION_MAJOR;
    io->version[1] = 0;
    io->version[2] = 0;
    io->data_size = static_cast<uint32_t>(words_.size() * 8);
    io->data_start = sizeof(struct dm_ioctl);
  }
  ~DmBuffer() { explicit_bzero(words_.data(), words_.size() * 8); }
  DmBuffer(const DmBuffer&) = delete;
  DmBuffer& operator=(const DmBuffer&) = delete;

  dm_ioctl* header() { return reinterpret_cast<dm_ioctl*>(words_.data()); }
  char* data() { return reinterpret_cast<char*>(words_.data()) + sizeof(struct dm_ioctl); }

 private:
  std::vector<uint64_t> words_;
};

absl::Status CheckName(absl::string_view what, const std::string& name) {
  if (name.empty() || name.size() >= DM_NAME_LEN || name.find('/') != std::string::npos ||
      name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("device-mapper ", what, " '", name, "': bad device name"));
  }
  return absl::OkStatus();
}

// Runs CMD with BUF on the control node. WHAT names the call for errors;
// the ioctl's errno is left in *ERR (0 on success) when ERR is not null.
absl::Status DmIoctl(unsigned long cmd, DmBuffer& buf, const std::string& what,
                     int* err_out = nullptr) {
  int fd = ::open(kControl, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return ErrnoStatus(err, absl::StrCat(what, ": open ", kControl,
                                         err == ENOENT ? " (is dm_mod loaded?)" : ""));
  }
  int rc;
  do {
    rc = ::ioctl(fd, cmd, buf.header());
  } while (rc < 0 && errno == EINTR);
  int err = rc < 0 ? errno : 0;
  ::close(fd);
  if (err_out != nullptr) *err_out = err;
  if (rc < 0) return ErrnoStatus(err, what);
  return absl::OkStatus();
}

void SetName(DmBuffer& buf, const std::string& name) {
  std::strncpy(buf.header()->name, name.c_str(), DM_NAME_LEN - 1);
}

}  // namespace

absl::StatusOr<dev_t> LinuxKernel::DmCreate(const std::string& name, const std::string& uuid) {
  RETURN_IF_ERROR(CheckName("create", name));
  if (uuid.size() >= DM_UUID_LEN) {
    return absl::InvalidArgumentError(
        absl::StrCat("device-mapper create ", name, ": uuid longer than ", DM_UUID_LEN - 1));
  }
  DmBuffer buf(0);
  SetName(buf, name);
  std::strncpy(buf.header()->uuid, uuid.c_str(), DM_UUID_LEN - 1);
  RETURN_IF_ERROR(DmIoctl(DM_DEV_CREATE, buf, absl::StrCat("device-mapper create ", name)));
  return static_cast<dev_t>(buf.header()->dev);
}

absl::Status LinuxKernel::DmLoadTable(const std::string& name,
                                      const std::vector<DmTarget>& targets, bool read_only) {
  RETURN_IF_ERROR(CheckName("load", name));
  const std::string what = absl::StrCat("device-mapper load ", name);
  if (targets.empty()) return absl::InvalidArgumentError(what + ": no targets");
  size_t bytes = 0;
  for (const DmTarget& t : targets) {
    if (t.type.empty() || t.type.size() >= DM_MAX_TYPE_NAME) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad target type '", t.type, "'"));
    }
    bytes += (sizeof(struct dm_target_spec) + t.params.size() + 1 + 7) / 8 * 8;
  }
  DmBuffer buf(bytes);
  dm_ioctl* io = buf.header();
  SetName(buf, name);
  io->target_count = static_cast<uint32_t>(targets.size());
  io->flags = DM_SECURE_DATA_FLAG | (read_only ? DM_READONLY_FLAG : 0);
  char* at = buf.data();
  for (const DmTarget& t : targets) {
    size_t size = (sizeof(struct dm_target_spec) + t.params.size() + 1 + 7) / 8 * 8;
    auto* spec = reinterpret_cast<dm_target_spec*>(at);
    spec->sector_start = t.start;
    spec->length = t.length;
    spec->status = 0;
    spec->next = static_cast<uint32_t>(size);
    std::strncpy(spec->target_type, t.type.c_str(), DM_MAX_TYPE_NAME - 1);
    std::memcpy(at + sizeof(struct dm_target_spec), t.params.c_str(), t.params.size() + 1);
    at += size;
  }
  return DmIoctl(DM_TABLE_LOAD, buf, what);
}

absl::Status LinuxKernel::DmResume(const std::string& name) {
  RETURN_IF_ERROR(CheckName("resume", name));
  DmBuffer buf(0);
  SetName(buf, name);
  return DmIoctl(DM_DEV_SUSPEND, buf, absl::StrCat("device-mapper resume ", name));
}

absl::Status LinuxKernel::DmRemove(const std::string& name) {
  RETURN_IF_ERROR(CheckName("remove", name));
  DmBuffer buf(0);
  SetName(buf, name);
  return DmIoctl(DM_DEV_REMOVE, buf, absl::StrCat("device-mapper remove ", name));
}

absl::StatusOr<std::optional<DmInfo>> LinuxKernel::DmStatus(const std::string& name) {
  RETURN_IF_ERROR(CheckName("status", name));
  DmBuffer buf(0);
  SetName(buf, name);
  int err = 0;
  absl::Status st =
      DmIoctl(DM_DEV_STATUS, buf, absl::StrCat("device-mapper status ", name), &err);
  if (err == ENXIO) return std::nullopt;  // no device of that name
  if (!st.ok()) return st;
  const dm_ioctl* io = buf.header();
  DmInfo info;
  info.dev = static_cast<dev_t>(io->dev);
  info.uuid = std::string(io->uuid, strnlen(io->uuid, DM_UUID_LEN));
  info.active = (io->flags & DM_ACTIVE_PRESENT_FLAG) != 0;
  info.suspended = (io->flags & DM_SUSPEND_FLAG) != 0;
  info.read_only = (io->flags & DM_READONLY_FLAG) != 0;
  return info;
}

}  // namespace baton::sys
