#include "jobs/lexer.h"

namespace baton::jobs {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsIdentStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || !IsIdentStart(s[0])) return false;
  for (char c : s) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

absl::string_view TrimBlanks(absl::string_view line) {
  size_t b = 0, e = line.size();
  while (b < e && IsBlank(line[b])) ++b;
  while (e > b && IsBlank(line[e - 1])) --e;
  return line.substr(b, e - b);
}

bool TokenizeLine(absl::string_view line, int line_no, bool parens,
                  std::vector<Token>* out, LexError* error) {
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n || line[i] == '#') return true;
    const size_t start = i;
    if (parens && (line[i] == '(' || line[i] == ')')) {
      Token t;
      t.kind = line[i] == '(' ? Token::Kind::kLParen : Token::Kind::kRParen;
      t.text = line.substr(i, 1);
      t.pos = {line_no, static_cast<int>(i) + 1};
      out->push_back(t);
      ++i;
      continue;
    }
    bool quoted = false;
    while (i < n && !IsBlank(line[i])) {
      const char c = line[i];
      if (parens && (c == '(' || c == ')')) break;
      if (c == '"' || c == '\'') {
        quoted = true;
        const size_t open = i++;
        while (i < n && line[i] != c) {
          if (c == '"' && line[i] == '\\' && i + 1 < n) ++i;
          ++i;
        }
        if (i >= n) {
          error->pos = {line_no, static_cast<int>(open) + 1};
          error->message = std::string("unterminated ") +
                           (c == '"' ? "'\"'" : "\"'\"") + " quote";
          return false;
        }
      }
      ++i;
    }
    Token t;
    t.text = line.substr(start, i - start);
    t.pos = {line_no, static_cast<int>(start) + 1};
    t.quoted = quoted;
    out->push_back(t);
  }
}

std::string Unquote(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  char quote = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    } else if (quote == '"' && c == '\\' && i + 1 < raw.size() &&
               (raw[i + 1] == '"' || raw[i + 1] == '\\')) {
      out.push_back(raw[++i]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendQuoted(absl::string_view v, std::string* out) {
  bool quote = v.empty() || v == "and" || v == "or" || v[0] == '#';
  for (char c : v) {
    if (IsBlank(c) || c == '"' || c == '\'' || c == '(' || c == ')' ||
        c == '\\' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(v.data(), v.size());
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::string_view StripShellComment(absl::string_view line,
                                    int* unterminated_quote) {
  if (unterminated_quote != nullptr) *unterminated_quote = -1;
  const size_t n = line.size();
  size_t end = n;
  bool word_start = true;
  for (size_t i = 0; i < n; ++i) {
    const char c = line[i];
    if (IsBlank(c)) {
      word_start = true;
      continue;
    }
    if (c == '#' && word_start) {
      end = i;
      break;
    }
    word_start = false;
    if (c == '\\') {
      ++i;
    } else if (c == '\'' || c == '"') {
      const size_t open = i++;
      while (i < n && line[i] != c) {
        if (c == '"' && line[i] == '\\') ++i;
        ++i;
      }
      if (i >= n && unterminated_quote != nullptr) {
        *unterminated_quote = static_cast<int>(open);
      }
    }
  }
  while (end > 0 && IsBlank(line[end - 1])) --end;
  return line.substr(0, end);
}

bool LineReader::Next(absl::string_view* line) {
  if (done_) return false;
  const size_t nl = rest_.find('\n');
  absl::string_view l;
  if (nl == absl::string_view::npos) {
    if (rest_.empty()) {
      done_ = true;
      return false;
    }
    l = rest_;
    rest_ = absl::string_view();
    done_ = true;
  } else {
    l = rest_.substr(0, nl);
    rest_.remove_prefix(nl + 1);
  }
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  ++line_no_;
  *line = l;
  return true;
}

}  // namespace baton::jobs
