// Event expressions: the argument of the `start on` and `stop on` stanzas.
//
//   start on block-device-added ID_FS_TYPE=crypto_LUKS
//   stop on stopping udev or (runlevel [016] and foo KEY!="a b")
//
//   expr   := term ("or" term)*
//   term   := factor ("and" factor)*          # `and` binds tighter than `or`
//   factor := "(" expr ")" | EVENT match*
//   match  := KEY=GLOB | KEY!=GLOB | GLOB      # GLOB alone: positional
//
// EVENT is a bare word of [A-Za-z0-9_.:@+-] other than `and`/`or`. KEY is an
// identifier; a word whose part before '=' is not one (e.g. `"a=b"`) is a
// positional GLOB. Values may be quoted (see jobs/lexer.h); `and`, `or` and
// parentheses end the list of matches. Both operators are left-associative.
//
// Errors name the offending token's line:col and what was expected, e.g.
//   "3:17: expected event name after 'and'"
//   "1:12: unbalanced ')'"
#ifndef BATON_JOBS_EXPR_H_
#define BATON_JOBS_EXPR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "jobs/job.h"
#include "jobs/lexer.h"

namespace baton::jobs {

struct ExprError {
  SourcePos pos;
  std::string message;  // without the position
};

// Parses TOKENS (from TokenizeLine with parens, possibly over several lines).
// END is the position just past the last token, reported when the expression
// stops early ("expected event name after 'or'"). On error returns
// InvalidArgument "LINE:COL: message" and, when ERROR is not null, fills it.
absl::StatusOr<std::unique_ptr<EventExpr>> ParseEventExpr(
    absl::Span<const Token> tokens, SourcePos end, ExprError* error = nullptr);

// Tokenizes TEXT (which may span lines, counted from 1) and parses it.
// For initctl and tests.
absl::StatusOr<std::unique_ptr<EventExpr>> ParseEventExprText(
    absl::string_view text, ExprError* error = nullptr);

// Canonical text: single spaces, values quoted only when they must be,
// parentheses only where precedence needs them ("a and (b or c)").
// Parsing the result gives an equal tree up to the grouping of chains of one
// operator.
std::string FormatEventExpr(const EventExpr& expr);

}  // namespace baton::jobs

#endif  // BATON_JOBS_EXPR_H_
