#include "jobs/parser.h"

#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "jobs/expr.h"
#include "jobs/lexer.h"

namespace baton::jobs {
namespace {

SourcePos After(const Token& t) {
  return {t.pos.line, t.pos.col + static_cast<int>(t.text.size())};
}

std::string Quoted(absl::string_view s) { return absl::StrCat("'", s, "'"); }

class FileParser {
 public:
  FileParser(JobConfig* job, absl::string_view text,
             std::vector<Diagnostic>* diags)
      : job_(job), lines_(text), diags_(diags) {}

  // Returns the number of errors.
  int Run() {
    absl::string_view line;
    while (errors_ < kMaxDiagnostics && lines_.Next(&line)) {
      toks_.clear();
      LexError lex;
      const bool lexed =
          TokenizeLine(line, lines_.line_no(), /*parens=*/false, &toks_, &lex);
      if (toks_.empty()) {
        if (!lexed) Error(lex.pos, lex.message);
        continue;
      }
      Stanza(line, lexed ? nullptr : &lex);
    }
    if (errors_ >= kMaxDiagnostics && lines_.Next(&line)) {
      Error({lines_.line_no(), 0}, "too many errors; the rest is not checked");
    }
    return errors_;
  }

 private:
  void Error(SourcePos pos, std::string message) {
    ++errors_;
    if (diags_ != nullptr) {
      diags_->push_back(
          Diagnostic{job_->path, pos.line, pos.col, std::move(message)});
    }
  }

  // Checks that toks_[first..] has between MIN and MAX words. WHAT says what
  // is expected when there are too few.
  bool Args(size_t first, size_t min, size_t max, absl::string_view what) {
    const size_t n = toks_.size() - first;
    const Token& before = toks_[first - 1];
    if (n < min) {
      Error(After(toks_.back()),
            absl::StrCat("expected ", what, " after ", Quoted(before.text)));
      return false;
    }
    if (n > max) {
      const Token& extra = toks_[first + max];
      Error(extra.pos,
            absl::StrCat("unexpected ", Quoted(extra.text), " after ",
                         Quoted(toks_[first + max - 1].text)));
      return false;
    }
    return true;
  }

  // A stanza that may be given once: reports a second one.
  bool Once(SourcePos* seen, absl::string_view name) {
    if (seen->line != 0) {
      Error(toks_[0].pos, absl::StrCat("duplicate ", Quoted(name),
                                       " (first at line ", seen->line, ")"));
      return false;
    }
    *seen = toks_[0].pos;
    return true;
  }

  // A non-negative integer of at most MAX.
  bool Number(const Token& t, absl::string_view what, int64_t max,
              int64_t* out) {
    int64_t v = 0;
    bool ok = !t.quoted && !t.text.empty() && t.text.size() <= 18;
    for (char c : t.text) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      v = v * 10 + (c - '0');
    }
    if (!ok) {
      Error(t.pos, absl::StrCat("expected ", what, ", got ", Quoted(t.text)));
      return false;
    }
    if (v > max) {
      Error(t.pos,
            absl::StrCat("number too large: ", t.text, " (at most ", max, ")"));
      return false;
    }
    *out = v;
    return true;
  }

  // One of CHOICES (as "a|b|c"), or an error; returns the index or -1.
  int Keyword(size_t i, absl::string_view stanza,
              std::initializer_list<absl::string_view> choices) {
    std::string list;
    int k = 0;
    for (absl::string_view c : choices) {
      if (toks_.size() > i && toks_[i].Is(c)) return k;
      absl::StrAppend(&list, k == 0 ? "" : "|", c);
      ++k;
    }
    if (k == 1) list = Quoted(list);
    if (toks_.size() <= i) {
      Error(After(toks_.back()),
            absl::StrCat("expected ", list, " after ", Quoted(stanza)));
    } else {
      Error(toks_[i].pos,
            absl::StrCat("expected ", list, " after ", Quoted(stanza), ", got ",
                         Quoted(toks_[i].text)));
    }
    return -1;
  }

  void Stanza(absl::string_view line, const LexError* lex);
  void EventStanza(absl::string_view line, std::unique_ptr<EventExpr>* out);
  void CommandStanza(absl::string_view line, size_t kw, const LexError* lex,
                     Command* cmd, absl::string_view name);
  void Env();
  void Respawn();
  void Seccomp();

  JobConfig* job_;
  LineReader lines_;
  std::vector<Diagnostic>* diags_;
  std::vector<Token> toks_;
  std::vector<Token> expr_toks_;
  int errors_ = 0;
  SourcePos description_, stage_, start_, stop_, instance_, console_,
      kill_timeout_, respawn_limit_;
};

void FileParser::Stanza(absl::string_view line, const LexError* lex) {
  const Token& kw = toks_[0];
  const absl::string_view k = kw.quoted ? absl::string_view() : kw.text;
  if (k == "exec" || k == "script") {
    CommandStanza(line, 0, lex, &job_->exec, "exec");
    return;
  }
  if (k == "pre-start" || k == "post-stop") {
    CommandStanza(line, 1, lex,
                  k == "pre-start" ? &job_->pre_start : &job_->post_stop, k);
    return;
  }
  if (lex != nullptr) {
    Error(lex->pos, lex->message);
    return;
  }
  if (k == "description") {
    if (Once(&description_, k) && Args(1, 1, 1, "a description")) {
      job_->description = Unquote(toks_[1].text);
    }
  } else if (k == "stage") {
    const int i = Keyword(1, k, {"initramfs", "root", "both"});
    if (i >= 0 && Once(&stage_, k) && Args(2, 0, 0, "")) {
      job_->stage = i == 0   ? Stage::kInitramfs
                    : i == 1 ? Stage::kRoot
                             : Stage::kBoth;
    }
  } else if (k == "start" || k == "stop") {
    if (Keyword(1, k, {"on"}) < 0) return;
    if (k == "start" ? Once(&start_, "start on") : Once(&stop_, "stop on")) {
      EventStanza(line, k == "start" ? &job_->start_on : &job_->stop_on);
    } else {
      EventStanza(line, nullptr);  // still consume its continuation lines
    }
  } else if (k == "instance") {
    if (Once(&instance_, k) && Args(1, 1, 1, "an instance name")) {
      job_->instance = Unquote(toks_[1].text);
    }
  } else if (k == "task") {
    if (Args(1, 0, 0, "")) job_->task = true;
  } else if (k == "env") {
    Env();
  } else if (k == "respawn") {
    Respawn();
  } else if (k == "console") {
    const int i = Keyword(1, k, {"log", "output", "none"});
    if (i >= 0 && Once(&console_, k) && Args(2, 0, 0, "")) {
      job_->console = i == 0   ? ConsoleMode::kLog
                      : i == 1 ? ConsoleMode::kOutput
                               : ConsoleMode::kNone;
    }
  } else if (k == "seccomp") {
    Seccomp();
  } else if (k == "kill") {
    int64_t secs = 0;
    if (Keyword(1, k, {"timeout"}) >= 0 &&
        Args(2, 1, 1, "a number of seconds") &&
        Number(toks_[2], "a number of seconds", 24 * 3600, &secs) &&
        Once(&kill_timeout_, "kill timeout")) {
      job_->kill_timeout = absl::Seconds(secs);
    }
  } else if (k == "end") {
    Error(kw.pos, "'end' without 'script'");
  } else {
    Error(kw.pos, absl::StrCat("unknown stanza ", Quoted(kw.text)));
  }
}

void FileParser::EventStanza(absl::string_view line,
                             std::unique_ptr<EventExpr>* out) {
  // Re-split the line with parentheses as tokens of their own and drop
  // "start on" (which holds none), so that columns stay those of the line.
  const Token& on = toks_[1];
  expr_toks_.clear();
  LexError lex;
  if (!TokenizeLine(line, lines_.line_no(), /*parens=*/true, &expr_toks_,
                    &lex)) {
    Error(lex.pos, lex.message);
    return;
  }
  expr_toks_.erase(expr_toks_.begin(), expr_toks_.begin() + 2);
  SourcePos end = After(on);
  int depth = 0;
  for (const Token& t : expr_toks_) {
    depth += t.kind == Token::Kind::kLParen   ? 1
             : t.kind == Token::Kind::kRParen ? -1
                                              : 0;
  }
  absl::string_view next;
  while (depth > 0 && lines_.Next(&next)) {
    const size_t before = expr_toks_.size();
    if (!TokenizeLine(next, lines_.line_no(), /*parens=*/true, &expr_toks_,
                      &lex)) {
      Error(lex.pos, lex.message);
      return;
    }
    for (size_t i = before; i < expr_toks_.size(); ++i) {
      const Token& t = expr_toks_[i];
      depth += t.kind == Token::Kind::kLParen   ? 1
               : t.kind == Token::Kind::kRParen ? -1
                                                : 0;
    }
  }
  if (!expr_toks_.empty()) end = After(expr_toks_.back());
  if (out == nullptr) return;
  ExprError err;
  auto expr = ParseEventExpr(expr_toks_, end, &err);
  if (!expr.ok()) {
    Error(err.pos, absl::StrCat(err.message, " (in '", toks_[0].text, " on')"));
    return;
  }
  *out = *std::move(expr);
}

// toks_[KW] is "exec" or "script" (KW is 1 after pre-start/post-stop).
void FileParser::CommandStanza(absl::string_view line, size_t kw,
                               const LexError* lex, Command* cmd,
                               absl::string_view name) {
  const int choice = Keyword(kw, toks_[0].text, {"exec", "script"});
  if (choice < 0) return;
  const Token& t = toks_[kw];
  const SourcePos pos = toks_[0].pos;
  const bool script = choice == 1;
  std::string text;
  if (script) {
    if (lex != nullptr) {
      Error(lex->pos, lex->message);
    } else {
      Args(kw + 1, 0, 0, "");
    }
    // The body: every line up to "end script", verbatim.
    absl::string_view body;
    bool closed = false;
    while (lines_.Next(&body)) {
      std::vector<Token>& words = expr_toks_;
      words.clear();
      LexError ignored;
      TokenizeLine(body, lines_.line_no(), false, &words, &ignored);
      if (words.size() == 2 && words[0].Is("end") && words[1].Is("script")) {
        closed = true;
        break;
      }
      text.append(body.data(), body.size());
      text.push_back('\n');
    }
    if (!closed) {
      Error(t.pos, absl::StrCat("'script' without 'end script' (the block "
                                "runs to the end of the file)"));
      return;
    }
  } else {
    const size_t start = static_cast<size_t>(t.pos.col - 1) + t.text.size();
    int open_quote = -1;
    const absl::string_view rest =
        TrimBlanks(StripShellComment(line.substr(start), &open_quote));
    if (open_quote >= 0) {
      Error({t.pos.line, static_cast<int>(start) + open_quote + 1},
            "unterminated quote in command");
      return;
    }
    if (rest.empty()) {
      Error(After(t),
            absl::StrCat("expected a command after ", Quoted(t.text)));
      return;
    }
    text = std::string(rest);
  }
  if (!cmd->empty()) {
    const absl::string_view first =
        cmd->kind == Command::Kind::kScript ? "script" : "exec";
    const absl::string_view now = script ? "script" : "exec";
    if (kw == 0 && first != now) {
      Error(pos, absl::StrCat("both '", first, "' (line ", cmd->pos.line,
                              ") and '", now, "' given; use one"));
    } else {
      Error(pos, absl::StrCat("duplicate ", Quoted(kw == 0 ? now : name),
                              " (first at line ", cmd->pos.line, ")"));
    }
    return;
  }
  cmd->kind = script ? Command::Kind::kScript : Command::Kind::kExec;
  cmd->text = std::move(text);
  cmd->pos = pos;
}

void FileParser::Env() {
  if (!Args(1, 1, 1, "KEY=VALUE")) return;
  const Token& t = toks_[1];
  const size_t eq = t.text.find('=');
  const absl::string_view key =
      eq == absl::string_view::npos ? t.text : t.text.substr(0, eq);
  if (eq == absl::string_view::npos || !IsIdentifier(key)) {
    Error(t.pos,
          absl::StrCat("expected KEY=VALUE after 'env', got ", Quoted(t.text)));
    return;
  }
  std::string value = Unquote(t.text.substr(eq + 1));
  for (auto& [k, v] : job_->env) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  job_->env.emplace_back(std::string(key), std::move(value));
}

void FileParser::Respawn() {
  if (toks_.size() == 1) {
    job_->respawn.enabled = true;
    return;
  }
  if (Keyword(1, "respawn", {"limit"}) < 0) return;
  if (!Once(&respawn_limit_, "respawn limit")) return;
  if (toks_.size() == 3 && toks_[2].Is("unlimited")) {
    job_->respawn.unlimited = true;
    return;
  }
  if (toks_.size() > 2 && toks_[2].Is("unlimited")) {
    Args(3, 0, 0, "");
    return;
  }
  int64_t count = 0, secs = 0;
  if (!Args(2, 2, 2, "COUNT SECONDS or 'unlimited'")) return;
  const bool ok_count = Number(toks_[2], "a count", 1000000, &count);
  const bool ok_secs =
      Number(toks_[3], "a number of seconds", 24 * 3600, &secs);
  if (!ok_count || !ok_secs) return;
  job_->respawn.limit_count = static_cast<int>(count);
  job_->respawn.limit_interval = absl::Seconds(secs);
  job_->respawn.unlimited = count == 0 || secs == 0;
}

void FileParser::Seccomp() {
  const int mode = Keyword(1, "seccomp", {"allow", "deny"});
  if (mode < 0 || !Args(2, 1, SIZE_MAX, "a syscall name")) return;
  SeccompPolicy& p = job_->seccomp;
  const auto want =
      mode == 0 ? SeccompPolicy::Mode::kAllow : SeccompPolicy::Mode::kDeny;
  if (p.mode != SeccompPolicy::Mode::kNone && p.mode != want) {
    Error(toks_[1].pos,
          absl::StrCat("'seccomp ", toks_[1].text, "' after 'seccomp ",
                       mode == 0 ? "deny" : "allow", "' (line ", p.pos.line,
                       "); a job has one mode"));
    return;
  }
  bool ok = true;
  for (size_t i = 2; i < toks_.size(); ++i) {
    if (toks_[i].quoted || !IsIdentifier(toks_[i].text)) {
      Error(toks_[i].pos, absl::StrCat("expected a syscall name, got ",
                                       Quoted(toks_[i].text)));
      ok = false;
    }
  }
  if (!ok) return;
  if (p.mode == SeccompPolicy::Mode::kNone) {
    p.mode = want;
    p.pos = toks_[0].pos;
  }
  for (size_t i = 2; i < toks_.size(); ++i) {
    p.syscalls.emplace_back(toks_[i].text);
  }
}

}  // namespace

std::string Diagnostic::ToString() const {
  if (line == 0) return absl::StrCat(file, ": ", message);
  if (col == 0) return absl::StrCat(file, ":", line, ": ", message);
  return absl::StrCat(file, ":", line, ":", col, ": ", message);
}

absl::StatusOr<std::unique_ptr<JobConfig>> ParseJob(
    absl::string_view name, absl::string_view path, absl::string_view text,
    std::vector<Diagnostic>* diags) {
  auto job = std::make_unique<JobConfig>();
  job->name = std::string(name);
  job->path = std::string(path);
  std::vector<Diagnostic> local;
  std::vector<Diagnostic>* out = diags != nullptr ? diags : &local;
  const size_t first = out->size();
  if (FileParser(job.get(), text, out).Run() == 0) return job;
  std::string message;
  for (size_t i = first; i < out->size(); ++i) {
    absl::StrAppend(&message, i == first ? "" : "\n", (*out)[i].ToString());
  }
  return absl::InvalidArgumentError(message);
}

std::string JobNameFromPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  constexpr absl::string_view kExt = ".conf";
  if (path.size() >= kExt.size() &&
      path.substr(path.size() - kExt.size()) == kExt) {
    path.remove_suffix(kExt.size());
  }
  return std::string(path);
}

LoadResult LoadJobFiles(
    const std::vector<std::pair<std::string, std::string>>& files) {
  LoadResult result;
  absl::flat_hash_map<std::string, const std::string*> seen;
  for (const auto& [path, text] : files) {
    std::string name = JobNameFromPath(path);
    if (name.empty()) {
      result.diagnostics.push_back({path, 0, 0, "no job name in file name"});
      continue;
    }
    if (auto it = seen.find(name); it != seen.end()) {
      result.diagnostics.push_back(
          {path, 0, 0,
           absl::StrCat("duplicate job ", Quoted(name),
                        " (already loaded from ", *it->second, "); skipped")});
      continue;
    }
    auto job = ParseJob(name, path, text, &result.diagnostics);
    if (!job.ok()) continue;
    seen.emplace(std::move(name), &path);
    result.jobs.push_back(*std::move(job));
  }
  return result;
}

std::string FormatJob(const JobConfig& job) {
  std::string out;
  auto line = [&out](absl::string_view stanza, absl::string_view value) {
    absl::StrAppend(&out, stanza, " ", value, "\n");
  };
  auto word = [](absl::string_view v) {
    std::string s;
    AppendQuoted(v, &s);
    return s;
  };
  auto command = [&out](absl::string_view prefix, const Command& c) {
    if (c.kind == Command::Kind::kExec) {
      absl::StrAppend(&out, prefix, "exec ", c.text, "\n");
    } else if (c.kind == Command::Kind::kScript) {
      absl::StrAppend(&out, prefix, "script\n", c.text, "end script\n");
    }
  };
  if (!job.description.empty()) {
    std::string d = "\"";
    for (char c : job.description) {
      if (c == '"' || c == '\\') d.push_back('\\');
      d.push_back(c);
    }
    d.push_back('"');
    line("description", d);
  }
  line("stage", job.stage == Stage::kInitramfs ? "initramfs"
                : job.stage == Stage::kRoot    ? "root"
                                               : "both");
  if (job.start_on) line("start on", FormatEventExpr(*job.start_on));
  if (job.stop_on) line("stop on", FormatEventExpr(*job.stop_on));
  if (!job.instance.empty()) line("instance", word(job.instance));
  if (job.task) out.append("task\n");
  for (const auto& [k, v] : job.env) line("env", absl::StrCat(k, "=", word(v)));
  command("", job.exec);
  command("pre-start ", job.pre_start);
  command("post-stop ", job.post_stop);
  if (job.respawn.enabled) out.append("respawn\n");
  if (job.respawn.unlimited) {
    out.append("respawn limit unlimited\n");
  } else {
    line("respawn limit",
         absl::StrCat(job.respawn.limit_count, " ",
                      absl::ToInt64Seconds(job.respawn.limit_interval)));
  }
  line("console", job.console == ConsoleMode::kLog      ? "log"
                  : job.console == ConsoleMode::kOutput ? "output"
                                                        : "none");
  if (job.seccomp.mode != SeccompPolicy::Mode::kNone) {
    std::string s =
        job.seccomp.mode == SeccompPolicy::Mode::kAllow ? "allow" : "deny";
    for (const std::string& sc : job.seccomp.syscalls)
      absl::StrAppend(&s, " ", sc);
    line("seccomp", s);
  }
  line("kill timeout", absl::StrCat(absl::ToInt64Seconds(job.kill_timeout)));
  return out;
}

}  // namespace baton::jobs
