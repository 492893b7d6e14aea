#include "jobs/expr.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace baton::jobs {
namespace {

constexpr int kMaxDepth = 64;

bool IsEventChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '@' || c == '+' || c == '-';
}

bool IsEventName(const Token& t) {
  if (t.kind != Token::Kind::kWord || t.quoted || t.text.empty()) return false;
  for (char c : t.text) {
    if (!IsEventChar(c)) return false;
  }
  return true;
}

std::string Describe(const Token& t) { return absl::StrCat("'", t.text, "'"); }

class ExprParser {
 public:
  ExprParser(absl::Span<const Token> tokens, SourcePos end)
      : tokens_(tokens), end_(end) {}

  std::unique_ptr<EventExpr> Parse() {
    if (tokens_.empty()) return Fail(end_, "expected event name");
    auto e = ParseOr(0);
    if (e == nullptr) return nullptr;
    if (i_ < tokens_.size()) {
      const Token& t = tokens_[i_];
      if (t.kind == Token::Kind::kRParen) return Fail(t.pos, "unbalanced ')'");
      return Fail(t.pos,
                  absl::StrCat("expected 'and' or 'or', got ", Describe(t)));
    }
    return e;
  }

  const ExprError& error() const { return error_; }

 private:
  std::unique_ptr<EventExpr> Fail(SourcePos pos, std::string message) {
    error_.pos = pos;
    error_.message = std::move(message);
    return nullptr;
  }

  const Token* Peek() const {
    return i_ < tokens_.size() ? &tokens_[i_] : nullptr;
  }

  std::unique_ptr<EventExpr> Binary(EventExpr::Kind kind, const Token& op,
                                    std::unique_ptr<EventExpr> l,
                                    std::unique_ptr<EventExpr> r) {
    auto e = std::make_unique<EventExpr>();
    e->kind = kind;
    e->pos = op.pos;
    e->left = std::move(l);
    e->right = std::move(r);
    return e;
  }

  std::unique_ptr<EventExpr> ParseOr(int depth) {
    auto left = ParseAnd(depth, nullptr);
    while (left != nullptr && Peek() != nullptr && Peek()->Is("or")) {
      const Token& op = tokens_[i_++];
      auto right = ParseAnd(depth, &op);
      if (right == nullptr) return nullptr;
      left =
          Binary(EventExpr::Kind::kOr, op, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<EventExpr> ParseAnd(int depth, const Token* after) {
    auto left = ParseFactor(depth, after);
    while (left != nullptr && Peek() != nullptr && Peek()->Is("and")) {
      const Token& op = tokens_[i_++];
      auto right = ParseFactor(depth, &op);
      if (right == nullptr) return nullptr;
      left =
          Binary(EventExpr::Kind::kAnd, op, std::move(left), std::move(right));
    }
    return left;
  }

  // AFTER: the operator or '(' before this factor, for the messages.
  std::unique_ptr<EventExpr> ParseFactor(int depth, const Token* after) {
    const std::string ctx =
        after == nullptr ? "" : absl::StrCat(" after ", Describe(*after));
    const Token* t = Peek();
    if (t == nullptr)
      return Fail(end_, absl::StrCat("expected event name", ctx));
    if (t->kind == Token::Kind::kLParen) {
      if (depth >= kMaxDepth)
        return Fail(t->pos, "parentheses nested too deeply");
      const Token& open = tokens_[i_++];
      if (Peek() != nullptr && Peek()->kind == Token::Kind::kRParen) {
        return Fail(Peek()->pos, "expected event name after '(', got ')'");
      }
      auto inner = ParseOr(depth + 1);
      if (inner == nullptr) return nullptr;
      const Token* close = Peek();
      if (close == nullptr) {
        return Fail(open.pos, "unbalanced '(': expected ')'");
      }
      if (close->kind != Token::Kind::kRParen) {
        return Fail(close->pos,
                    absl::StrCat("expected 'and', 'or' or ')', got ",
                                 Describe(*close)));
      }
      ++i_;
      return inner;
    }
    if (t->kind == Token::Kind::kRParen) {
      if (after == nullptr) return Fail(t->pos, "unbalanced ')'");
      return Fail(t->pos,
                  absl::StrCat("expected event name", ctx, ", got ')'"));
    }
    if (t->Is("and") || t->Is("or") || !IsEventName(*t)) {
      return Fail(t->pos, absl::StrCat("expected event name", ctx, ", got ",
                                       Describe(*t)));
    }
    auto e = std::make_unique<EventExpr>();
    e->event = std::string(t->text);
    e->pos = t->pos;
    ++i_;
    for (const Token* m = Peek();
         m != nullptr && m->kind == Token::Kind::kWord && !m->Is("and") &&
         !m->Is("or");
         m = Peek()) {
      e->matches.push_back(ParseMatch(*m));
      ++i_;
    }
    if (const Token* next = Peek();
        next != nullptr && next->kind == Token::Kind::kLParen) {
      return Fail(next->pos, "expected 'and' or 'or' before '('");
    }
    return e;
  }

  static EventMatch ParseMatch(const Token& t) {
    EventMatch m;
    const absl::string_view s = t.text;
    size_t k = 0;
    while (k < s.size() && s[k] != '=' && s[k] != '!' && s[k] != '"' &&
           s[k] != '\'')
      ++k;
    const absl::string_view key = s.substr(0, k);
    if (IsIdentifier(key) && k < s.size()) {
      if (s[k] == '=') {
        m.key = std::string(key);
        m.glob = Unquote(s.substr(k + 1));
        return m;
      }
      if (s[k] == '!' && k + 1 < s.size() && s[k + 1] == '=') {
        m.key = std::string(key);
        m.negate = true;
        m.glob = Unquote(s.substr(k + 2));
        return m;
      }
    }
    m.glob = t.quoted ? Unquote(s) : std::string(s);
    return m;
  }

  absl::Span<const Token> tokens_;
  SourcePos end_;
  size_t i_ = 0;
  ExprError error_;
};

absl::Status ToStatus(const ExprError& e) {
  return absl::InvalidArgumentError(
      absl::StrCat(e.pos.line, ":", e.pos.col, ": ", e.message));
}

void Format(const EventExpr& e, std::string* out) {
  if (e.kind == EventExpr::Kind::kEvent) {
    out->append(e.event);
    for (const EventMatch& m : e.matches) {
      out->push_back(' ');
      if (!m.key.empty()) {
        out->append(m.key);
        out->append(m.negate ? "!=" : "=");
        AppendQuoted(m.glob, out);
      } else if (m.glob.find('=') != std::string::npos &&
                 m.glob.find_first_of("\"\\") == std::string::npos) {
        // Quoted, so that it reads back as positional, not as KEY=GLOB.
        out->push_back('"');
        out->append(m.glob);
        out->push_back('"');
      } else {
        AppendQuoted(m.glob, out);
      }
    }
    return;
  }
  const bool is_and = e.kind == EventExpr::Kind::kAnd;
  for (const EventExpr* side : {e.left.get(), e.right.get()}) {
    if (side != e.left.get()) out->append(is_and ? " and " : " or ");
    if (side == nullptr) continue;
    const bool paren = is_and && side->kind == EventExpr::Kind::kOr;
    if (paren) out->push_back('(');
    Format(*side, out);
    if (paren) out->push_back(')');
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventExpr>> ParseEventExpr(
    absl::Span<const Token> tokens, SourcePos end, ExprError* error) {
  ExprParser p(tokens, end);
  std::unique_ptr<EventExpr> e = p.Parse();
  if (e == nullptr) {
    if (error != nullptr) *error = p.error();
    return ToStatus(p.error());
  }
  return e;
}

absl::StatusOr<std::unique_ptr<EventExpr>> ParseEventExprText(
    absl::string_view text, ExprError* error) {
  std::vector<Token> tokens;
  LineReader lines(text);
  absl::string_view line;
  while (lines.Next(&line)) {
    LexError lex;
    if (!TokenizeLine(line, lines.line_no(), /*parens=*/true, &tokens, &lex)) {
      ExprError e{lex.pos, lex.message};
      if (error != nullptr) *error = e;
      return ToStatus(e);
    }
  }
  SourcePos end{1, 1};
  if (!tokens.empty()) {
    const Token& last = tokens.back();
    end = {last.pos.line, last.pos.col + static_cast<int>(last.text.size())};
  }
  return ParseEventExpr(tokens, end, error);
}

std::string FormatEventExpr(const EventExpr& expr) {
  std::string out;
  Format(expr, &out);
  return out;
}

}  // namespace baton::jobs
