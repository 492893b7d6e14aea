#include "supervisor/stage1/lvm_metadata.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "sys/status_macros.h"

namespace baton::stage1 {
namespace {

bool NameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
         c == '.';
}

// Recursive descent over the text; nesting is bounded (metadata is 4 deep).
class Parser {
 public:
  Parser(absl::string_view text, absl::string_view source) : text_(text), source_(source) {}

  absl::StatusOr<LvmSection> Top() {
    LvmSection top;
    top.line = 1;
    if (absl::Status st = Body(top, 0); !st.ok()) return st;
    return top;
  }

 private:
  static constexpr int kMaxDepth = 16;

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": LVM metadata line ", line_, ": ", what));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '#') {
        while (!AtEnd() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  std::string Name() {
    size_t start = pos_;
    while (!AtEnd() && NameChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status Body(LvmSection& section, int depth) {
    if (depth > kMaxDepth) return Error("sections nested too deeply");
    while (true) {
      SkipSpace();
      if (AtEnd()) {
        if (depth > 0) return Error(absl::StrCat("section '", section.name, "' is not closed"));
        return absl::OkStatus();
      }
      if (Peek() == '}') {
        if (depth == 0) return Error("'}' without a section");
        ++pos_;
        return absl::OkStatus();
      }
      const int line = line_;
      std::string name = Name();
      if (name.empty()) return Error(absl::StrCat("expected a name, found '", std::string(1, Peek()), "'"));
      SkipSpace();
      if (Peek() == '=') {
        ++pos_;
        absl::StatusOr<LvmValue> v = Value(false);
        if (!v.ok()) return v.status();
        section.values.emplace_back(std::move(name), std::move(*v));
      } else if (Peek() == '{') {
        ++pos_;
        LvmSection child;
        child.name = std::move(name);
        child.line = line;
        if (absl::Status st = Body(child, depth + 1); !st.ok()) return st;
        section.sections.push_back(std::move(child));
      } else {
        return Error(absl::StrCat("expected '=' or '{' after '", name, "'"));
      }
    }
  }

  absl::StatusOr<LvmValue> Value(bool in_array) {
    SkipSpace();
    LvmValue v;
    v.line = line_;
    char c = Peek();
    if (c == '"') {
      ++pos_;
      v.kind = LvmValue::Kind::kString;
      while (true) {
        if (AtEnd()) return Error("string is not closed");
        char d = text_[pos_++];
        if (d == '"') break;
        if (d == '\n') ++line_;
        if (d == '\\' && !AtEnd()) d = text_[pos_++];
        v.str.push_back(d);
      }
      return v;
    }
    if (c == '[' && !in_array) {
      ++pos_;
      v.kind = LvmValue::Kind::kArray;
      SkipSpace();
      if (Peek() == ']') {
        ++pos_;
        return v;
      }
      while (true) {
        absl::StatusOr<LvmValue> item = Value(true);
        if (!item.ok()) return item.status();
        v.items.push_back(std::move(*item));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          SkipSpace();
          if (Peek() == ']') {  // a trailing comma
            ++pos_;
            return v;
          }
          continue;
        }
        if (Peek() == ']') {
          ++pos_;
          return v;
        }
        return Error("expected ',' or ']' in an array");
      }
    }
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      v.kind = LvmValue::Kind::kNumber;
      bool negative = c == '-';
      if (negative) ++pos_;
      if (!absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) return Error("bad number");
      uint64_t n = 0;
      while (absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) {
        uint64_t digit = static_cast<uint64_t>(text_[pos_++] - '0');
        if (n > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - digit) / 10) {
          return Error("number out of range");
        }
        n = n * 10 + digit;
      }
      if (Peek() == '.') {  // a float: only its integer part is kept
        ++pos_;
        while (absl::ascii_isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
      }
      v.num = negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
      return v;
    }
    if (AtEnd()) return Error("expected a value, found the end of the text");
    return Error(absl::StrCat("expected a value, found '", std::string(1, c), "'"));
  }

  absl::string_view text_;
  absl::string_view source_;
  size_t pos_ = 0;
  int line_ = 1;
};

// Typed access to a section's values, with errors naming source and line.
class Reader {
 public:
  Reader(const LvmSection& section, absl::string_view source)
      : section_(section), source_(source) {}

  absl::Status Error(int line, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": LVM metadata line ", line, ": ", what));
  }

  absl::StatusOr<std::string> String(absl::string_view key, bool required = true) const {
    const LvmValue* v = section_.Find(key);
    if (v == nullptr) {
      if (!required) return std::string();
      return Error(section_.line, absl::StrCat("'", section_.name, "' has no ", key));
    }
    if (v->kind != LvmValue::Kind::kString) {
      return Error(v->line, absl::StrCat(key, " is not a string"));
    }
    return v->str;
  }

  absl::StatusOr<uint64_t> Number(absl::string_view key, bool required = true) const {
    const LvmValue* v = section_.Find(key);
    if (v == nullptr) {
      if (!required) return uint64_t{0};
      return Error(section_.line, absl::StrCat("'", section_.name, "' has no ", key));
    }
    if (v->kind != LvmValue::Kind::kNumber || v->num < 0) {
      return Error(v->line, absl::StrCat(key, " is not a number ≥ 0"));
    }
    return static_cast<uint64_t>(v->num);
  }

  absl::StatusOr<std::vector<std::string>> Strings(absl::string_view key) const {
    std::vector<std::string> out;
    const LvmValue* v = section_.Find(key);
    if (v == nullptr) return out;
    if (v->kind != LvmValue::Kind::kArray) {
      return Error(v->line, absl::StrCat(key, " is not an array"));
    }
    for (const LvmValue& item : v->items) {
      if (item.kind != LvmValue::Kind::kString) {
        return Error(item.line, absl::StrCat(key, " holds a non-string"));
      }
      out.push_back(item.str);
    }
    return out;
  }

 private:
  const LvmSection& section_;
  absl::string_view source_;
};

bool Has(const std::vector<std::string>& flags, absl::string_view flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

absl::StatusOr<LvmSegment> ParseSegment(const LvmSection& s, const LvmVg& vg,
                                        absl::string_view source) {
  Reader r(s, source);
  LvmSegment seg;
  seg.line = s.line;
  ASSIGN_OR_RETURN(seg.start_extent, r.Number("start_extent"));
  ASSIGN_OR_RETURN(seg.extent_count, r.Number("extent_count"));
  ASSIGN_OR_RETURN(seg.type, r.String("type"));
  if (seg.type != "striped") return seg;  // the caller decides about others
  uint64_t count = 0;
  ASSIGN_OR_RETURN(count, r.Number("stripe_count"));
  ASSIGN_OR_RETURN(seg.stripe_size, r.Number("stripe_size", /*required=*/count > 1));
  const LvmValue* stripes = s.Find("stripes");
  if (stripes == nullptr || stripes->kind != LvmValue::Kind::kArray) {
    return r.Error(s.line, absl::StrCat("segment '", s.name, "' has no stripes array"));
  }
  if (count == 0 || stripes->items.size() != 2 * count) {
    return r.Error(stripes->line, absl::StrCat("stripes does not hold ", count, " pairs"));
  }
  if (seg.extent_count == 0 || seg.extent_count % count != 0) {
    return r.Error(s.line, absl::StrCat("extent_count ", seg.extent_count,
                                        " does not split across ", count, " stripes"));
  }
  if (count > 1 && seg.stripe_size == 0) return r.Error(s.line, "stripe_size is 0");
  for (size_t i = 0; i < stripes->items.size(); i += 2) {
    const LvmValue& pv = stripes->items[i];
    const LvmValue& start = stripes->items[i + 1];
    if (pv.kind != LvmValue::Kind::kString || start.kind != LvmValue::Kind::kNumber ||
        start.num < 0) {
      return r.Error(pv.line, "stripes must pair a PV name with a start extent");
    }
    if (vg.FindPv(pv.str) == nullptr) {
      return r.Error(pv.line, absl::StrCat("stripe on unknown PV '", pv.str, "'"));
    }
    seg.stripes.push_back({pv.str, static_cast<uint64_t>(start.num)});
  }
  return seg;
}

absl::StatusOr<LvmLv> ParseLv(const LvmSection& s, const LvmVg& vg, absl::string_view source) {
  Reader r(s, source);
  LvmLv lv;
  lv.name = s.name;
  ASSIGN_OR_RETURN(lv.id, r.String("id"));
  ASSIGN_OR_RETURN(lv.status, r.Strings("status"));
  lv.visible = Has(lv.status, "VISIBLE");
  lv.writable = Has(lv.status, "WRITE");
  for (const LvmSection& child : s.sections) {
    if (!absl::StartsWith(child.name, "segment")) continue;
    absl::StatusOr<LvmSegment> seg = ParseSegment(child, vg, source);
    if (!seg.ok()) return seg.status();
    lv.segments.push_back(std::move(*seg));
  }
  std::sort(lv.segments.begin(), lv.segments.end(),
            [](const LvmSegment& a, const LvmSegment& b) { return a.start_extent < b.start_extent; });
  uint64_t next = 0;
  for (const LvmSegment& seg : lv.segments) {
    if (seg.start_extent != next) {
      return r.Error(seg.line, absl::StrCat("LV ", lv.name, ": segment at extent ",
                                            seg.start_extent, " leaves a gap (expected ", next,
                                            ")"));
    }
    next += seg.extent_count;
  }
  return lv;
}

}  // namespace

const LvmValue* LvmSection::Find(absl::string_view key) const {
  for (const auto& [name, value] : values) {
    if (name == key) return &value;
  }
  return nullptr;
}

const LvmSection* LvmSection::FindSection(absl::string_view key) const {
  for (const LvmSection& s : sections) {
    if (s.name == key) return &s;
  }
  return nullptr;
}

const LvmPv* LvmVg::FindPv(absl::string_view key) const {
  for (const LvmPv& pv : pvs) {
    if (pv.key == key) return &pv;
  }
  return nullptr;
}

absl::StatusOr<LvmSection> ParseLvmText(absl::string_view text, absl::string_view source) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return Parser(text, source).Top();
}

std::string LvmUuidWithoutDashes(absl::string_view uuid) {
  std::string out;
  for (char c : uuid) {
    if (c != '-') out.push_back(c);
  }
  return out;
}

absl::StatusOr<LvmVg> ParseLvmVg(absl::string_view text, absl::string_view source) {
  absl::StatusOr<LvmSection> top = ParseLvmText(text, source);
  if (!top.ok()) return top.status();
  if (top->sections.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": LVM metadata holds ", top->sections.size(), " top-level sections, not one VG"));
  }
  const LvmSection& s = top->sections[0];
  Reader r(s, source);
  LvmVg vg;
  vg.name = s.name;
  ASSIGN_OR_RETURN(vg.id, r.String("id"));
  ASSIGN_OR_RETURN(vg.seqno, r.Number("seqno"));
  ASSIGN_OR_RETURN(vg.extent_size, r.Number("extent_size"));
  if (vg.extent_size == 0) return r.Error(s.line, "extent_size is 0");
  ASSIGN_OR_RETURN(vg.status, r.Strings("status"));
  vg.writable = Has(vg.status, "WRITE");
  vg.exported = Has(vg.status, "EXPORTED");
  ASSIGN_OR_RETURN(vg.system_id, r.String("system_id", /*required=*/false));
  ASSIGN_OR_RETURN(vg.lock_type, r.String("lock_type", /*required=*/false));

  const LvmSection* pvs = s.FindSection("physical_volumes");
  if (pvs == nullptr) return r.Error(s.line, absl::StrCat("VG ", vg.name, " has no physical_volumes"));
  for (const LvmSection& p : pvs->sections) {
    Reader pr(p, source);
    LvmPv pv;
    pv.key = p.name;
    ASSIGN_OR_RETURN(pv.id, pr.String("id"));
    ASSIGN_OR_RETURN(pv.device, pr.String("device", /*required=*/false));
    ASSIGN_OR_RETURN(pv.pe_start, pr.Number("pe_start"));
    ASSIGN_OR_RETURN(pv.pe_count, pr.Number("pe_count", /*required=*/false));
    std::vector<std::string> status;
    ASSIGN_OR_RETURN(status, pr.Strings("status"));
    pv.missing = Has(status, "MISSING");
    if (LvmUuidWithoutDashes(pv.id).size() != 32) {
      return pr.Error(p.line, absl::StrCat("PV ", pv.key, " has a malformed id '", pv.id, "'"));
    }
    vg.pvs.push_back(std::move(pv));
  }
  if (const LvmSection* lvs = s.FindSection("logical_volumes")) {
    for (const LvmSection& l : lvs->sections) {
      absl::StatusOr<LvmLv> lv = ParseLv(l, vg, source);
      if (!lv.ok()) return lv.status();
      vg.lvs.push_back(std::move(*lv));
    }
  }
  return vg;
}

}  // namespace baton::stage1
