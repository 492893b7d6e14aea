#include "supervisor/stage1/md_policy.h"

#include <fnmatch.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace baton::stage1 {
namespace {

bool IsMdMember(absl::string_view fs_type) {
  return fs_type == "linux_raid_member" || fs_type == "isw_raid_member" ||
         fs_type == "ddf_raid_member";
}

bool DevicePatternsAllow(const MdadmConf& conf, const Env& member) {
  std::vector<std::string> names;
  names.emplace_back(EnvValueOr(member, "DEVNAME"));
  for (absl::string_view link :
       absl::StrSplit(EnvValueOr(member, "DEVLINKS"), ' ', absl::SkipEmpty())) {
    names.emplace_back(link);
  }
  if (conf.device_patterns.empty()) return true;
  for (const std::string& pattern : conf.device_patterns) {
    if (pattern == "partitions" || pattern == "containers") return true;
    for (const std::string& name : names) {
      if (!name.empty() && fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
    }
  }
  return false;
}

}  // namespace

MdDecision DecideMd(const BootOptions& options, const MdadmConf& conf, const Env& member) {
  MdDecision d;
  d.member = std::string(EnvValueOr(member, "DEVNAME"));
  d.array_uuid = std::string(EnvValue(member, "MD_UUID").value_or(EnvValueOr(member, "ID_FS_UUID")));

  absl::string_view fs_type = EnvValueOr(member, "ID_FS_TYPE");
  if (!IsMdMember(fs_type)) {
    d.reason = absl::StrCat("not an md member (ID_FS_TYPE=", fs_type, ")");
    return d;
  }
  if (!options.md) {
    d.reason = "rd.md=0";
    return d;
  }
  bool listed = false;
  for (const std::string& u : options.md_uuids) listed = listed || SameUuid(u, d.array_uuid);
  if (!options.md_uuids.empty() && !listed) {
    d.reason = "array not listed in rd.md.uuid=";
    return d;
  }
  const MdArrayLine* line = conf.FindByUuid(d.array_uuid);
  if (line) d.conf_line = line->line;
  if (line && line->ignore) {
    d.reason = absl::StrCat("ARRAY <ignore> in mdadm.conf line ", line->line);
    return d;
  }
  if (!listed && !line && !options.rd_auto && conf.ListsArrays()) {
    d.reason = "array not listed in mdadm.conf (rd.auto assembles it anyway)";
    return d;
  }
  if (!DevicePatternsAllow(conf, member)) {
    d.reason = "member not matched by mdadm.conf DEVICE lines";
    return d;
  }
  d.action = MdDecision::Action::kAssemble;
  if (line) d.array_device = line->device;
  d.reason = listed ? "rd.md.uuid="
             : line ? absl::StrCat("mdadm.conf line ", line->line)
                    : "any array (no filter)";
  return d;
}

}  // namespace baton::stage1
