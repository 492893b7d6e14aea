// Datagrams as the kernel and udevd send them, for tests.
#ifndef BATON_SUPERVISOR_UEVENT_TESTING_H_
#define BATON_SUPERVISOR_UEVENT_TESTING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace baton::supervisor {

// The kernel's format: "ACTION@DEVPATH", then each KEY=VALUE, NUL-ended.
inline std::string KernelDatagram(const std::string& action, const std::string& devpath,
                                  const std::vector<std::string>& props) {
  std::string d = action + "@" + devpath;
  d.push_back('\0');
  for (const std::string& p : props) {
    d += p;
    d.push_back('\0');
  }
  return d;
}

// libudev's (udevd's processed events): the 40-byte header ("libudev",
// magic 0xfeedcafe in network byte order, header size, properties offset
// and length), then each KEY=VALUE, NUL-ended.
inline std::string LibudevDatagram(const std::vector<std::string>& props) {
  std::string body;
  for (const std::string& p : props) {
    body += p;
    body.push_back('\0');
  }
  std::string d(40, '\0');
  std::memcpy(d.data(), "libudev", 8);
  const unsigned char magic[4] = {0xfe, 0xed, 0xca, 0xfe};
  std::memcpy(d.data() + 8, magic, 4);
  const uint32_t header = 40, len = static_cast<uint32_t>(body.size());
  std::memcpy(d.data() + 12, &header, 4);
  std::memcpy(d.data() + 16, &header, 4);
  std::memcpy(d.data() + 20, &len, 4);
  return d + body;
}

}  // namespace baton::supervisor

#endif  // BATON_SUPERVISOR_UEVENT_TESTING_H_
