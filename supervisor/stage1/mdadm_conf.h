// mdadm.conf (mdadm.conf(5)): the ARRAY and DEVICE lines stage 1 needs to
// decide which md arrays to assemble and under which names.
//
//   DEVICE /dev/sd*[0-9] /dev/disk/by-id/ata-*   (or: partitions, containers)
//   ARRAY /dev/md/root metadata=1.2 UUID=1a2b3c4d:… name=host:root
//
// A line starting with whitespace continues the previous one; '#' starts a
// comment that runs to the end of the line. Keywords are case-insensitive and
// may be shortened to three letters or more, as mdadm allows. Other keywords
// (MAILADDR, HOMEHOST, AUTO, CREATE, POLICY, PROGRAM, MAILFROM, PART-POLICY,
// SYSFS) are accepted and not interpreted. An unknown keyword, an ARRAY with
// nothing to identify the array by (UUID=, name=, devices=, super-minor=,
// container=/member=) or an ARRAY field that is neither the device nor
// KEY=VALUE is reported as "FILE:LINE: …" and that line skipped.
#ifndef BATON_SUPERVISOR_STAGE1_MDADM_CONF_H_
#define BATON_SUPERVISOR_STAGE1_MDADM_CONF_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton::stage1 {

struct MdArrayLine {
  std::string device;    // "/dev/md/root", "/dev/md0"; "" when omitted or <ignore>
  bool ignore = false;   // the device was "<ignore>": never assemble this array
  std::string uuid;      // as written ("" = not given)
  std::string name;      // name= ("host:root" or "root")
  std::string metadata;  // metadata= ("1.2", "0.90", "imsm", …)
  std::optional<int> num_devices;  // num-devices=
  std::vector<std::string> devices;  // devices= (comma list of paths/globs)
  std::vector<std::pair<std::string, std::string>> other;  // level=, spares=, …
  int line = 0;       // where the ARRAY keyword is
};

struct MdadmConf {
  std::vector<MdArrayLine> arrays;
  // The words of all DEVICE lines, in order; empty when there is none (mdadm
  // then means "partitions containers").
  std::vector<std::string> device_patterns;
  std::vector<absl::Status> errors;  // "file:line: message", one per bad line

  // OK, or the first error with " (and N more)".
  absl::Status status() const;

  // The ARRAY line whose UUID is UUID (any separators, any case), or null.
  const MdArrayLine* FindByUuid(absl::string_view uuid) const;
  // True when some ARRAY line carries a UUID=.
  bool ListsArrays() const;
};

MdadmConf ParseMdadmConf(absl::string_view text, absl::string_view file);

}  // namespace baton::stage1

#endif  // BATON_SUPERVISOR_STAGE1_MDADM_CONF_H_
