#include "supervisor/stage1/crypttab.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "supervisor/stage1/fstab.h"

namespace baton::stage1 {
namespace {

// Applies one option to E; an error message for a bad value, "" when fine.
std::string ApplyOption(absl::string_view opt, CrypttabEntry& e) {
  std::pair<std::string, std::string> kv = absl::StrSplit(opt, absl::MaxSplits('=', 1));
  const std::string& key = kv.first;
  const std::string& value = kv.second;
  bool bare = opt.find('=') == absl::string_view::npos;
  auto number = [&](std::optional<uint64_t>& field) -> std::string {
    uint64_t n;
    if (!absl::SimpleAtoi(value, &n)) {
      return absl::StrCat("option ", key, "=\"", value, "\" is not a number");
    }
    field = n;
    return "";
  };
  if (bare && key == "luks") e.luks = true;
  else if (bare && key == "plain") e.plain = true;
  else if (bare && key == "discard") e.discard = true;
  else if (bare && (key == "readonly" || key == "read-only")) e.read_only = true;
  else if (bare && key == "noauto") e.noauto = true;
  else if (bare && key == "nofail") e.nofail = true;
  else if (!bare && key == "keyfile-size") return number(e.keyfile_size);
  else if (!bare && key == "keyfile-offset") return number(e.keyfile_offset);
  else if (!bare && key == "tries") {
    int n;
    if (!absl::SimpleAtoi(value, &n) || n < 0) {
      return absl::StrCat("option tries=\"", value, "\" is not a number");
    }
    e.tries = n;
  } else if (!bare && key == "header") {
    if (value.empty()) return "option header= needs a path";
    e.header = value;
  } else {
    e.other_options.emplace_back(key, value);
  }
  return "";
}

}  // namespace

ParseResult<CrypttabEntry> ParseCrypttab(absl::string_view text, absl::string_view file) {
  return ParseTable<CrypttabEntry>(
      text, file, 4, "missing device", SplitTableLine,
      [](int n, const std::vector<absl::string_view>& f) -> absl::StatusOr<CrypttabEntry> {
        CrypttabEntry e;
        e.line = n;
        e.name = DecodeOctalEscapes(f[0]);
        if (e.name.find('/') != std::string::npos) {
          return absl::InvalidArgumentError(absl::StrCat("name \"", e.name, "\" contains '/'"));
        }
        e.device = DecodeOctalEscapes(f[1]);
        absl::StatusOr<RootSpec> spec = RootSpec::Parse(e.device);
        if (!spec.ok()) return absl::InvalidArgumentError(spec.status().message());
        e.device_spec = *std::move(spec);
        if (f.size() > 2) {
          std::string key = DecodeOctalEscapes(f[2]);
          if (key != "none" && key != "-") {
            std::pair<std::string, std::string> kd =
                absl::StrSplit(key, absl::MaxSplits(':', 1));
            e.key_file = kd.first;
            e.key_device = kd.second;
          }
        }
        if (f.size() > 3) {
          for (absl::string_view opt :
               absl::StrSplit(DecodeOctalEscapes(f[3]), ',', absl::SkipEmpty())) {
            std::string error = ApplyOption(opt, e);
            if (!error.empty()) return absl::InvalidArgumentError(error);
          }
        }
        return e;
      });
}

}  // namespace baton::stage1
