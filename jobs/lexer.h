// The words of the job language: lines, tokens, quoting and comments.
//
// Shared by the event-expression parser (jobs/expr.h) and the job-file parser
// (jobs/parser.h). Everything here works on string_views into the caller's
// text; nothing allocates except where a std::string is returned.
//
// Rules (a small, shell-like subset, as upstart's):
//   - Words are separated by blanks (space, tab).
//   - '"' quotes up to the next unescaped '"'; inside, `\"` and `\\` stand
//     for '"' and '\'. '\'' quotes literally up to the next '\''. Quoted and
//     unquoted parts join into one word: KEY="a b" is one word.
//   - A '#' that starts a word (outside quotes) begins a comment that runs to
//     the end of the line; `a#b` is a word.
//   - When asked for (event expressions), '(' and ')' outside quotes are
//     tokens of their own, even without blanks around them.
//   - Positions are 1-based; a column counts bytes, so a tab is one column.
#ifndef BATON_JOBS_LEXER_H_
#define BATON_JOBS_LEXER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "jobs/job.h"

namespace baton::jobs {

struct Token {
  enum class Kind { kWord, kLParen, kRParen };
  Kind kind = Kind::kWord;
  absl::string_view text;  // as written, quotes included
  SourcePos pos;           // of the first character
  bool quoted = false;     // TEXT holds a quote character

  bool Is(absl::string_view word) const {
    return kind == Kind::kWord && !quoted && text == word;
  }
};

struct LexError {
  SourcePos pos;
  std::string message;
};

// Splits LINE (one line, without its newline; LINE_NO is its number) into
// tokens and appends them to OUT. With PARENS, '(' and ')' are tokens. Stops
// at a comment. Returns false and fills *ERROR on an unterminated quote (the
// position is that of the opening quote); the tokens before it are kept.
bool TokenizeLine(absl::string_view line, int line_no, bool parens,
                  std::vector<Token>* out, LexError* error);

// The text of a word with its quoting removed: `KEY="a b"` -> `KEY=a b`.
std::string Unquote(absl::string_view raw);

// Appends VALUE to OUT so that TokenizeLine + Unquote read it back as one
// word equal to VALUE: as is when it can, else double-quoted with escapes.
// `and`/`or`, empty values and values starting with '#' are quoted.
void AppendQuoted(absl::string_view value, std::string* out);

// For a command line handed to /bin/sh: LINE without its trailing comment
// and trailing blanks. Follows sh quoting ('\'' literal, '"' with escapes,
// '\' escaping the next character outside single quotes) so `echo '#'` keeps
// its '#'. Sets *UNTERMINATED_QUOTE (when not null) to the 0-based offset of
// an unclosed quote, or -1.
absl::string_view StripShellComment(absl::string_view line,
                                    int* unterminated_quote = nullptr);

// True for [A-Za-z_][A-Za-z0-9_]*.
bool IsIdentifier(absl::string_view s);

// Iterates over the lines of a text. A trailing "\r" is dropped; a final line
// without "\n" is still a line.
class LineReader {
 public:
  explicit LineReader(absl::string_view text) : rest_(text) {}

  // Sets *LINE to the next line and returns true, or returns false at the end.
  bool Next(absl::string_view* line);
  // The number of the line Next() returned last (1-based; 0 before).
  int line_no() const { return line_no_; }

 private:
  absl::string_view rest_;
  int line_no_ = 0;
  bool done_ = false;
};

// LINE without leading and trailing blanks.
absl::string_view TrimBlanks(absl::string_view line);

}  // namespace baton::jobs

#endif  // BATON_JOBS_LEXER_H_
