#include "supervisor/stage1/cmdline.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace baton::stage1 {
namespace {

using supervisor::Env;

constexpr std::pair<absl::string_view, BreakPoint> kBreakNames[] = {
    {"top", BreakPoint::kTop},         {"modules", BreakPoint::kModules},
    {"premount", BreakPoint::kPremount}, {"mount", BreakPoint::kMount},
    {"bottom", BreakPoint::kBottom},   {"init", BreakPoint::kInit},
};

// dracut's rd.break hooks -> the nearest baton point (see cmdline.h).
constexpr std::pair<absl::string_view, BreakPoint> kDracutHooks[] = {
    {"cmdline", BreakPoint::kTop},       {"pre-udev", BreakPoint::kTop},
    {"pre-trigger", BreakPoint::kModules}, {"initqueue", BreakPoint::kPremount},
    {"pre-mount", BreakPoint::kMount},   {"mount", BreakPoint::kMount},
    {"pre-pivot", BreakPoint::kBottom},  {"cleanup", BreakPoint::kBottom},
};

template <typename T, size_t N>
std::optional<T> Lookup(const std::pair<absl::string_view, T> (&table)[N],
                        absl::string_view name) {
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string SecondsText(absl::Duration d) {
  return absl::StrCat(absl::ToDoubleSeconds(d), " s");
}

// dracut's getargbool: bare word = true.
std::optional<bool> ParseBool(std::optional<absl::string_view> value) {
  if (!value) return true;
  std::string v = absl::AsciiStrToLower(*value);
  if (v == "1" || v == "yes" || v == "y" || v == "on" || v == "true") return true;
  if (v == "0" || v == "no" || v == "n" || v == "off" || v == "false") return false;
  return std::nullopt;
}

std::string LuksUuid(absl::string_view v) {
  std::string s = absl::AsciiStrToLower(v);
  if (absl::StartsWith(s, "luks-")) s.erase(0, 5);
  return s;
}

std::vector<std::string> CommaList(absl::string_view v) {
  return absl::StrSplit(v, ',', absl::SkipEmpty());
}

void AddBreak(BootOptions& o, BreakPoint p) {
  if (!o.HasBreak(p)) {
    o.breaks.push_back(p);
    std::sort(o.breaks.begin(), o.breaks.end());
  }
}

class Parser {
 public:
  explicit Parser(BootOptions& o) : o_(o) {}

  void Word(absl::string_view word) {
    word_ = word;
    size_t eq = word.find('=');
    absl::string_view key = word.substr(0, eq);
    std::optional<absl::string_view> value;
    if (eq != absl::string_view::npos) value = word.substr(eq + 1);
    Option(key, value);
  }

  void Finish() {
    if (degraded_) {
      o_.md_degraded = *degraded_;
    } else if (boot_degraded_) {
      o_.md_degraded = *boot_degraded_ ? DegradedPolicy::kAuto : DegradedPolicy::kAsk;
    }
  }

 private:
  void Warn(absl::string_view problem) {
    o_.warnings.push_back(absl::StrCat(word_, ": ", problem));
  }

  // Stores VALUE into FIELD when present and non-empty; warns otherwise.
  void String(std::optional<absl::string_view> value, std::string& field) {
    if (!value || value->empty()) {
      Warn(absl::StrCat("needs a value; keeping \"", field, "\""));
      return;
    }
    field = std::string(*value);
  }

  void Bool(std::optional<absl::string_view> value, bool& field) {
    if (auto b = ParseBool(value)) {
      field = *b;
    } else {
      Warn(absl::StrCat("expected 0 or 1; keeping ", field ? 1 : 0));
    }
  }

  void List(std::optional<absl::string_view> value, std::vector<std::string>& field,
            bool luks) {
    if (!value || value->empty()) {
      Warn("needs a value; ignored");
      return;
    }
    for (const std::string& item : CommaList(*value)) {
      field.push_back(luks ? LuksUuid(item) : item);
    }
  }

  void Option(absl::string_view key, std::optional<absl::string_view> value);
  void RootDelay(std::optional<absl::string_view> value);
  void ResumeOffset(std::optional<absl::string_view> value);
  void Break(std::optional<absl::string_view> value, bool dracut);
  void LuksNameOpt(std::optional<absl::string_view> value);
  void LuksKeyOpt(std::optional<absl::string_view> value);
  void LvmLv(std::optional<absl::string_view> value);
  void Baton(absl::string_view key, std::optional<absl::string_view> value);

  BootOptions& o_;
  absl::string_view word_;
  std::optional<DegradedPolicy> degraded_;
  std::optional<bool> boot_degraded_;
};

void Parser::Option(absl::string_view key, std::optional<absl::string_view> value) {
  if (key == "root") return String(value, o_.root);
  if (key == "rootfstype") return String(value, o_.rootfstype);
  if (key == "rootflags") return String(value, o_.rootflags);
  if (key == "init") return String(value, o_.init);
  if (key == "ro" && !value) { o_.read_only = true; return; }
  if (key == "rw" && !value) { o_.read_only = false; return; }
  if (key == "rootdelay") return RootDelay(value);
  if (key == "break") return Break(value, false);
  if (key == "rd.break") return Break(value, true);
  if (key == "panic") {
    int n;
    if (value && absl::SimpleAtoi(*value, &n)) {
      o_.panic = n;
    } else {
      Warn("not a whole number of seconds; ignored");
    }
    return;
  }
  if (key == "debug") { o_.debug = true; return; }  // initramfs-tools: debug[=vc]
  if (key == "quiet" && !value) { o_.quiet = true; return; }
  if (key == "fsck.mode") {
    if (value == "auto") o_.fsck_mode = FsckMode::kAuto;
    else if (value == "force") o_.fsck_mode = FsckMode::kForce;
    else if (value == "skip") o_.fsck_mode = FsckMode::kSkip;
    else Warn(absl::StrCat("expected auto, force or skip; using ", FsckModeName(o_.fsck_mode)));
    return;
  }
  if (key == "fsck.repair") {
    if (value == "preen") o_.fsck_repair = FsckRepair::kPreen;
    else if (value == "yes") o_.fsck_repair = FsckRepair::kYes;
    else if (value == "no") o_.fsck_repair = FsckRepair::kNo;
    else Warn(absl::StrCat("expected preen, yes or no; using ", FsckRepairName(o_.fsck_repair)));
    return;
  }
  if (key == "rd.luks") return Bool(value, o_.luks);
  if (key == "rd.md") return Bool(value, o_.md);
  if (key == "rd.lvm") return Bool(value, o_.lvm);
  if (key == "rd.auto") return Bool(value, o_.rd_auto);
  if (key == "rd.shell") return Bool(value, o_.shell);
  if (key == "rd.luks.uuid") return List(value, o_.luks_uuids, true);
  if (key == "rd.luks.name") return LuksNameOpt(value);
  if (key == "rd.luks.key") return LuksKeyOpt(value);
  if (key == "rd.md.uuid") return List(value, o_.md_uuids, false);
  if (key == "rd.lvm.vg") return List(value, o_.lvm_vgs, false);
  if (key == "rd.lvm.lv") return LvmLv(value);
  if (key == "resume") return String(value, o_.resume);
  if (key == "resume_offset") return ResumeOffset(value);
  if (key == "noresume" && !value) { o_.noresume = true; return; }
  if (key == "bootdegraded") {
    if (auto b = ParseBool(value)) {
      boot_degraded_ = *b;
    } else {
      Warn("expected true or false; ignored");
    }
    return;
  }
  if (absl::StartsWith(key, "baton.") && key.size() > 6) return Baton(key.substr(6), value);
  o_.unknown.push_back(std::string(word_));
}

void Parser::RootDelay(std::optional<absl::string_view> value) {
  double secs;
  if (value && absl::SimpleAtod(*value, &secs) && std::isfinite(secs) && secs >= 0 &&
      secs < 1e9) {
    o_.rootdelay = absl::Seconds(secs);
  } else {
    Warn(absl::StrCat("not a number of seconds; using ", SecondsText(o_.rootdelay)));
  }
}

void Parser::ResumeOffset(std::optional<absl::string_view> value) {
  uint64_t pages;
  if (value && absl::SimpleAtoi(*value, &pages) && absl::ascii_isdigit(value->front())) {
    o_.resume_offset = pages;
    o_.bad_resume_offset.clear();
  } else {
    o_.resume_offset.reset();
    o_.bad_resume_offset = std::string(word_);
    Warn("not a whole number of pages; booting without resume");
  }
}

void Parser::Break(std::optional<absl::string_view> value, bool dracut) {
  if (!value || value->empty()) {
    AddBreak(o_, dracut ? BreakPoint::kInit : BreakPoint::kPremount);
    return;
  }
  for (const std::string& item : CommaList(*value)) {
    std::optional<BreakPoint> p;
    if (dracut) p = Lookup(kDracutHooks, item);
    if (!p) p = Lookup(kBreakNames, item);
    if (p) {
      AddBreak(o_, *p);
    } else {
      Warn(absl::StrCat("unknown break point \"", item, "\"; ignored"));
    }
  }
}

void Parser::LuksNameOpt(std::optional<absl::string_view> value) {
  std::pair<absl::string_view, absl::string_view> kv;
  if (value) kv = absl::StrSplit(*value, absl::MaxSplits('=', 1));
  if (!value || kv.first.empty() || kv.second.empty()) {
    Warn("expected UUID=NAME; ignored");
    return;
  }
  o_.luks_names.push_back({LuksUuid(kv.first), std::string(kv.second)});
}

void Parser::LuksKeyOpt(std::optional<absl::string_view> value) {
  if (!value || value->empty()) {
    Warn("expected PATH[:KEYDEV[:LUKSDEV]] or UUID=PATH[:KEYDEV]; ignored");
    return;
  }
  LuksKey key;
  size_t eq = value->find('=');
  if (!absl::StartsWith(*value, "/") && eq != absl::string_view::npos) {
    // systemd: UUID=PATH[:KEYDEV]
    std::pair<absl::string_view, absl::string_view> rest =
        absl::StrSplit(value->substr(eq + 1), absl::MaxSplits(':', 1));
    if (eq == 0 || rest.first.empty()) {
      Warn("expected UUID=PATH[:KEYDEV]; ignored");
      return;
    }
    key.luks_device = absl::StrCat("UUID=", LuksUuid(value->substr(0, eq)));
    key.path = std::string(rest.first);
    key.key_device = std::string(rest.second);
  } else {
    // dracut: PATH[:KEYDEV[:LUKSDEV]]
    std::vector<std::string> f = absl::StrSplit(*value, absl::MaxSplits(':', 2));
    if (f[0].empty()) {
      Warn("expected PATH[:KEYDEV[:LUKSDEV]]; ignored");
      return;
    }
    key.path = f[0];
    if (f.size() > 1) key.key_device = f[1];
    if (f.size() > 2) {
      key.luks_device = f[2];
      if (absl::StartsWithIgnoreCase(f[2], "luks-")) {
        key.luks_device = absl::StrCat("UUID=", LuksUuid(f[2]));
      }
    }
  }
  o_.luks_keys.push_back(std::move(key));
}

void Parser::LvmLv(std::optional<absl::string_view> value) {
  if (!value || value->empty()) {
    Warn("expected VG/LV; ignored");
    return;
  }
  for (std::string item : CommaList(*value)) {
    if (absl::StartsWith(item, "/dev/")) item.erase(0, 5);
    std::vector<absl::string_view> parts = absl::StrSplit(item, '/');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      Warn(absl::StrCat("\"", item, "\" is not VG/LV; ignored"));
      continue;
    }
    o_.lvm_lvs.push_back(item);
  }
}

void Parser::Baton(absl::string_view key, std::optional<absl::string_view> value) {
  if (key == "md.degraded") {
    if (value == "auto") degraded_ = DegradedPolicy::kAuto;
    else if (value == "ask") degraded_ = DegradedPolicy::kAsk;
    else if (value == "never") degraded_ = DegradedPolicy::kNever;
    else {
      DegradedPolicy used = degraded_.value_or(o_.md_degraded);
      if (!degraded_ && boot_degraded_) {
        used = *boot_degraded_ ? DegradedPolicy::kAuto : DegradedPolicy::kAsk;
      }
      Warn(absl::StrCat("expected auto, ask or never; using ", DegradedPolicyName(used)));
    }
    return;
  }
  if (key == "debug") return Bool(value, o_.baton_debug);
  o_.baton[std::string(key)] = std::string(value.value_or(""));
}

std::string EnvName(absl::string_view key) {
  std::string out = "BATON_";
  for (char c : key) {
    out.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c))
                      ? absl::ascii_toupper(static_cast<unsigned char>(c))
                      : '_');
  }
  return out;
}

}  // namespace

absl::string_view BreakPointName(BreakPoint p) {
  for (const auto& [n, v] : kBreakNames) {
    if (v == p) return n;
  }
  return "?";
}

absl::string_view DegradedPolicyName(DegradedPolicy p) {
  switch (p) {
    case DegradedPolicy::kAuto: return "auto";
    case DegradedPolicy::kAsk: return "ask";
    case DegradedPolicy::kNever: return "never";
  }
  return "?";
}

absl::string_view FsckModeName(FsckMode m) {
  switch (m) {
    case FsckMode::kAuto: return "auto";
    case FsckMode::kForce: return "force";
    case FsckMode::kSkip: return "skip";
  }
  return "?";
}

absl::string_view FsckRepairName(FsckRepair r) {
  switch (r) {
    case FsckRepair::kPreen: return "preen";
    case FsckRepair::kYes: return "yes";
    case FsckRepair::kNo: return "no";
  }
  return "?";
}

bool BootOptions::HasBreak(BreakPoint p) const {
  return std::find(breaks.begin(), breaks.end(), p) != breaks.end();
}

std::vector<std::string> SplitCmdline(absl::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  auto space = [&](size_t k) { return absl::ascii_isspace(static_cast<unsigned char>(s[k])); };
  while (i < s.size()) {
    while (i < s.size() && space(i)) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    bool in_quote = false;
    while (i < s.size() && (in_quote || !space(i))) {
      if (s[i] == '"') in_quote = !in_quote;
      ++i;
    }
    absl::string_view word = s.substr(start, i - start);
    if (absl::ConsumePrefix(&word, "\"")) absl::ConsumeSuffix(&word, "\"");
    size_t eq = word.find('=');
    if (eq != absl::string_view::npos && eq + 1 < word.size() && word[eq + 1] == '"') {
      absl::string_view value = word.substr(eq + 2);
      absl::ConsumeSuffix(&value, "\"");
      words.push_back(absl::StrCat(word.substr(0, eq + 1), value));
    } else {
      words.emplace_back(word);
    }
  }
  return words;
}

std::vector<std::pair<std::string, std::string>> CmdlineParams(absl::string_view cmdline) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const std::string& word : SplitCmdline(cmdline)) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      params.emplace_back(word, "");
    } else {
      params.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
  }
  return params;
}

BootOptions ParseCmdline(absl::string_view cmdline) {
  BootOptions o;
  Parser parser(o);
  std::vector<std::string> words = SplitCmdline(cmdline);
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "--") {
      o.init_args.assign(words.begin() + i + 1, words.end());
      break;
    }
    parser.Word(words[i]);
  }
  parser.Finish();
  return o;
}

supervisor::Env BootOptions::ToEnv() const {
  auto yn = [](bool b) { return std::string(b ? "y" : "n"); };
  auto bit = [](bool b) { return std::string(b ? "1" : "0"); };
  std::vector<std::string> break_names;
  for (BreakPoint p : breaks) break_names.emplace_back(BreakPointName(p));
  int64_t delay = absl::ToInt64Seconds(absl::Ceil(rootdelay, absl::Seconds(1)));
  Env env = {
      {"ROOT", root},
      {"ROOTFSTYPE", rootfstype},
      {"ROOTFLAGS", rootflags},
      {"READONLY", yn(read_only)},
      {"INIT", init},
      {"ROOTDELAY", absl::StrCat(delay)},
      {"BREAK", absl::StrJoin(break_names, ",")},
      {"PANIC", panic ? absl::StrCat(*panic) : ""},
      {"DEBUG", yn(debug)},
      {"QUIET", yn(quiet)},
      {"FSCK_MODE", std::string(FsckModeName(fsck_mode))},
      {"FSCK_REPAIR", std::string(FsckRepairName(fsck_repair))},
      {"RD_LUKS", bit(luks)},
      {"RD_MD", bit(md)},
      {"RD_LVM", bit(lvm)},
      {"RD_AUTO", bit(rd_auto)},
      {"RD_SHELL", bit(shell)},
      {"RD_LUKS_UUID", absl::StrJoin(luks_uuids, " ")},
      {"RD_LUKS_NAME", absl::StrJoin(luks_names, " ",
                                     [](std::string* out, const LuksName& n) {
                                       absl::StrAppend(out, n.uuid, "=", n.name);
                                     })},
      {"RD_LUKS_KEY", absl::StrJoin(luks_keys, " ",
                                    [](std::string* out, const LuksKey& k) {
                                      absl::StrAppend(out, k.path, ":", k.key_device, ":",
                                                      k.luks_device);
                                    })},
      {"RD_MD_UUID", absl::StrJoin(md_uuids, " ")},
      {"RD_LVM_VG", absl::StrJoin(lvm_vgs, " ")},
      {"RD_LVM_LV", absl::StrJoin(lvm_lvs, " ")},
      {"BATON_MD_DEGRADED", std::string(DegradedPolicyName(md_degraded))},
      {"BATON_DEBUG", yn(baton_debug)},
  };
  for (const auto& [k, v] : baton) {
    std::string name = EnvName(k);
    bool taken = std::any_of(env.begin(), env.end(),
                             [&](const auto& kv) { return kv.first == name; });
    if (!taken) env.emplace_back(std::move(name), v);  // baton.md-degraded etc.
  }
  return env;
}

}  // namespace baton::stage1
