#include "supervisor/stage1/mdadm_conf.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "supervisor/stage1/device_env.h"
#include "supervisor/stage1/parse_result.h"

namespace baton::stage1 {
namespace {

// mdadm's match_keyword: WORD is KEYWORD or a prefix of it of 3+ letters.
bool IsKeyword(absl::string_view word, absl::string_view keyword) {
  return word.size() >= 3 && word.size() <= keyword.size() &&
         absl::EqualsIgnoreCase(word, keyword.substr(0, word.size()));
}

constexpr absl::string_view kOtherKeywords[] = {
    "MAILADDR", "MAILFROM", "PROGRAM", "CREATE", "HOMEHOST", "HOMECLUSTER",
    "AUTO",     "POLICY",   "PART-POLICY", "SYSFS", "ENVIRONMENT"};

struct Logical {
  int line;
  std::vector<std::string> words;
};

// Joins continuation lines and drops comments.
std::vector<Logical> LogicalLines(absl::string_view text) {
  std::vector<Logical> out;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    line = line.substr(0, line.find('#'));
    std::vector<std::string> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    bool continues = absl::ascii_isspace(static_cast<unsigned char>(line[0]));
    if (continues && !out.empty()) {
      out.back().words.insert(out.back().words.end(), words.begin(), words.end());
    } else {
      out.push_back({n, std::move(words)});
    }
  }
  return out;
}

// Parses the words after ARRAY; an error message, or "" when fine.
std::string ParseArray(const std::vector<std::string>& words, MdArrayLine& a) {
  bool identified = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    size_t eq = w.find('=');
    if (eq == std::string::npos) {
      if (i == 1 && w == "<ignore>") {
        a.ignore = true;
      } else if (i == 1 && absl::StartsWith(w, "/")) {
        a.device = w;
      } else {
        return absl::StrCat("\"", w, "\" is neither the array device nor KEY=VALUE");
      }
      continue;
    }
    std::string key = absl::AsciiStrToLower(absl::string_view(w).substr(0, eq));
    std::string value = w.substr(eq + 1);
    if (key == "uuid") {
      a.uuid = value;
      identified = true;
    } else if (key == "name") {
      a.name = value;
      identified = true;
    } else if (key == "metadata") {
      a.metadata = value;
    } else if (key == "num-devices") {
      int n;
      if (!absl::SimpleAtoi(value, &n) || n <= 0) {
        return absl::StrCat("num-devices=\"", value, "\" is not a positive number");
      }
      a.num_devices = n;
    } else if (key == "devices") {
      a.devices = absl::StrSplit(value, ',', absl::SkipEmpty());
      identified = true;
    } else {
      if (key == "super-minor" || key == "container" || key == "member") identified = true;
      a.other.emplace_back(key, value);
    }
  }
  if (!identified) {
    return "ARRAY has no UUID=, name=, devices=, super-minor= or container= to "
           "identify the array by";
  }
  return "";
}

}  // namespace

absl::Status MdadmConf::status() const {
  ParseResult<int> r;
  r.errors = errors;
  return r.status();
}

const MdArrayLine* MdadmConf::FindByUuid(absl::string_view uuid) const {
  for (const MdArrayLine& a : arrays) {
    if (SameUuid(a.uuid, uuid)) return &a;
  }
  return nullptr;
}

bool MdadmConf::ListsArrays() const {
  for (const MdArrayLine& a : arrays) {
    if (!a.uuid.empty()) return true;
  }
  return false;
}

MdadmConf ParseMdadmConf(absl::string_view text, absl::string_view file) {
  MdadmConf conf;
  for (const Logical& l : LogicalLines(text)) {
    const std::string& kw = l.words[0];
    if (IsKeyword(kw, "ARRAY")) {
      MdArrayLine a;
      a.line = l.line;
      std::string error = ParseArray(l.words, a);
      if (!error.empty()) {
        conf.errors.push_back(LineError(file, l.line, error));
      } else {
        conf.arrays.push_back(std::move(a));
      }
    } else if (IsKeyword(kw, "DEVICE") || IsKeyword(kw, "DEVICES")) {
      conf.device_patterns.insert(conf.device_patterns.end(), l.words.begin() + 1,
                                  l.words.end());
    } else {
      bool known = false;
      for (absl::string_view other : kOtherKeywords) known = known || IsKeyword(kw, other);
      if (!known) {
        conf.errors.push_back(
            LineError(file, l.line, absl::StrCat("unknown keyword \"", kw, "\"")));
      }
    }
  }
  return conf;
}

}  // namespace baton::stage1
