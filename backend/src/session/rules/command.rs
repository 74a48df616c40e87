//! A command line read as the shell would run it: every simple command it
//! holds — across `;`, `&&`, `||`, `|`, `&`, newlines, subshells, braces,
//! `if`/`for`/`while`/`case`, `$(…)`, backticks, process substitution and
//! one level of `sh -c` — and every file it writes by redirection. Rules
//! judge each of them, never the line's text: an allow rule for `id` says
//! nothing of `id && touch /tmp/x`.
//!
//! `brush-parser` (the parser of the brush shell, maintained, bash grammar
//! with POSIX mode) does the reading; this module only walks what it finds.
//! What cannot be read statically (a computed command name, `eval`, a
//! function definition, arithmetic, a parse error) is `Unreadable`, and a
//! person is asked.

use brush_parser::ast;
use brush_parser::word::{self, WordPiece, WordPieceWithSource};
use brush_parser::{Parser, ParserOptions};

/// One simple command: its words as the shell passes them (quotes removed;
/// a word holding an expansion keeps its text), assignments before the
/// name first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
}

impl SimpleCommand {
    /// How rules see it: the words joined by spaces.
    pub fn line(&self) -> String {
        self.words.join(" ")
    }
}

/// Everything a command line runs and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub commands: Vec<SimpleCommand>,
    /// Files written by `>`, `>>`, `>|`, `<>`, `&>` (as written).
    pub writes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// How deep `$(…)` inside `$(…)`, and `sh -c`, are followed.
const MAX_DEPTH: usize = 8;
/// Shells whose `-c` script is read as commands too.
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh"];
/// Commands that run text as a program: nothing of it can be judged.
const EVALUATORS: &[&str] = &["eval", "source", "."];

pub fn read(line: &str) -> Result<Reading, Unreadable> {
    let mut reading = Reading::default();
    read_into(line, 0, &mut reading)?;
    Ok(reading)
}

fn read_into(line: &str, depth: usize, into: &mut Reading) -> Result<(), Unreadable> {
    if depth > MAX_DEPTH {
        return Err(Unreadable("commands nested too deeply".into()));
    }
    let options = ParserOptions::default();
    let program = Parser::new(std::io::Cursor::new(line.as_bytes()), &options)
        .parse_program()
        .map_err(|error| Unreadable(format!("the shell could not parse it: {error}")))?;
    let mut walker = Walker {
        options,
        depth,
        into,
    };
    for list in &program.complete_commands {
        walker.list(list)?;
    }
    Ok(())
}

struct Walker<'a> {
    options: ParserOptions,
    depth: usize,
    into: &'a mut Reading,
}

impl Walker<'_> {
    fn list(&mut self, list: &ast::CompoundList) -> Result<(), Unreadable> {
        for ast::CompoundListItem(and_or, _) in &list.0 {
            self.pipeline(&and_or.first)?;
            for next in &and_or.additional {
                match next {
                    ast::AndOr::And(pipeline) | ast::AndOr::Or(pipeline) => {
                        self.pipeline(pipeline)?
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline) -> Result<(), Unreadable> {
        for command in &pipeline.seq {
            self.command(command)?;
        }
        Ok(())
    }

    fn command(&mut self, command: &ast::Command) -> Result<(), Unreadable> {
        match command {
            ast::Command::Simple(simple) => self.simple(simple),
            ast::Command::Compound(compound, redirects) => {
                self.compound(compound)?;
                for redirect in redirects.iter().flat_map(|r| r.0.iter()) {
                    self.redirect(redirect)?;
                }
                Ok(())
            }
            ast::Command::Function(_) => Err(Unreadable("it defines a shell function".into())),
            _ => Err(Unreadable("a kind of command Tandem cannot read".into())),
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand) -> Result<(), Unreadable> {
        match compound {
            ast::CompoundCommand::BraceGroup(group) => self.list(&group.list),
            ast::CompoundCommand::Subshell(subshell) => self.list(&subshell.list),
            ast::CompoundCommand::ForClause(for_clause) => {
                for value in for_clause.values.iter().flatten() {
                    self.word(value)?;
                }
                self.list(&for_clause.body.list)
            }
            ast::CompoundCommand::CaseClause(case) => {
                self.word(&case.value)?;
                for item in &case.cases {
                    if let Some(list) = &item.cmd {
                        self.list(list)?;
                    }
                }
                Ok(())
            }
            ast::CompoundCommand::IfClause(if_clause) => {
                self.list(&if_clause.condition)?;
                self.list(&if_clause.then)?;
                for other in if_clause.elses.iter().flatten() {
                    if let Some(condition) = &other.condition {
                        self.list(condition)?;
                    }
                    self.list(&other.body)?;
                }
                Ok(())
            }
            ast::CompoundCommand::WhileClause(clause)
            | ast::CompoundCommand::UntilClause(clause) => {
                self.list(&clause.0)?;
                self.list(&clause.1.list)
            }
            _ => Err(Unreadable(
                "it holds arithmetic, a test or a coprocess Tandem does not read".into(),
            )),
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand) -> Result<(), Unreadable> {
        let mut words = Vec::new();
        for item in simple.prefix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, &mut words)?;
        }
        let name_is_literal = match &simple.word_or_name {
            Some(name) => {
                let (text, literal) = self.word(name)?;
                words.push(text);
                literal
            }
            None => true,
        };
        for item in simple.suffix.iter().flat_map(|s| s.0.iter()) {
            self.item(item, &mut words)?;
        }
        let Some(name) = &simple.word_or_name else {
            // Only assignments or redirections: kept as words, so no rule
            // for a command allows them.
            if !words.is_empty() {
                self.into.commands.push(SimpleCommand { words });
            }
            return Ok(());
        };
        if !name_is_literal {
            return Err(Unreadable(format!(
                "the command's name “{}” is computed when it runs",
                name.value
            )));
        }
        let assignments = simple
            .prefix
            .iter()
            .flat_map(|p| p.0.iter())
            .filter(|item| matches!(item, ast::CommandPrefixOrSuffixItem::AssignmentWord(..)))
            .count();
        let program = words
            .get(assignments)
            .map(|w| w.rsplit('/').next().unwrap_or(w).to_owned())
            .unwrap_or_default();
        if EVALUATORS.contains(&program.as_str()) {
            return Err(Unreadable(format!("“{program}” runs text as commands")));
        }
        if SHELLS.contains(&program.as_str()) {
            // `-c`, and its bundles such as Codex's `-lc`.
            let script_flag =
                |w: &String| w.starts_with('-') && !w.starts_with("--") && w.contains('c');
            if let Some(at) = words.iter().position(script_flag) {
                if let Some(script) = words.get(at + 1) {
                    read_into(script, self.depth + 1, self.into)?;
                }
            }
        }
        self.into.commands.push(SimpleCommand { words });
        Ok(())
    }

    /// A prefix or suffix item: a word (an argument or an assignment),
    /// or a redirection or process substitution that runs or writes.
    fn item(
        &mut self,
        item: &ast::CommandPrefixOrSuffixItem,
        words: &mut Vec<String>,
    ) -> Result<(), Unreadable> {
        match item {
            ast::CommandPrefixOrSuffixItem::Word(w)
            | ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w) => words.push(self.word(w)?.0),
            ast::CommandPrefixOrSuffixItem::IoRedirect(redirect) => self.redirect(redirect)?,
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, subshell) => {
                self.list(&subshell.list)?
            }
        }
        Ok(())
    }

    fn redirect(&mut self, redirect: &ast::IoRedirect) -> Result<(), Unreadable> {
        match redirect {
            ast::IoRedirect::File(_, kind, target) => {
                let writes = matches!(
                    kind,
                    ast::IoFileRedirectKind::Write
                        | ast::IoFileRedirectKind::Append
                        | ast::IoFileRedirectKind::Clobber
                        | ast::IoFileRedirectKind::ReadAndWrite
                        | ast::IoFileRedirectKind::DuplicateOutput
                );
                match target {
                    ast::IoFileRedirectTarget::Filename(w) => {
                        let (path, _) = self.word(w)?;
                        if writes {
                            self.into.writes.push(path);
                        }
                    }
                    ast::IoFileRedirectTarget::Duplicate(w) => {
                        let (target, _) = self.word(w)?;
                        // `>&2`, `>&-` duplicate a descriptor; `>&file` writes.
                        let descriptor = target.trim_end_matches('-');
                        if writes && !descriptor.chars().all(|c| c.is_ascii_digit()) {
                            self.into.writes.push(target);
                        }
                    }
                    ast::IoFileRedirectTarget::ProcessSubstitution(_, subshell) => {
                        self.list(&subshell.list)?
                    }
                    ast::IoFileRedirectTarget::Fd(_) => {}
                }
                Ok(())
            }
            ast::IoRedirect::OutputAndError(w, _) => {
                let (path, _) = self.word(w)?;
                self.into.writes.push(path);
                Ok(())
            }
            ast::IoRedirect::HereString(_, w) => self.word(w).map(|_| ()),
            ast::IoRedirect::HereDocument(_, doc) => {
                if doc.requires_expansion {
                    self.word(&doc.doc)?;
                }
                Ok(())
            }
        }
    }

    /// A word's text as the command gets it (quotes removed), whether it is
    /// literal, and every command its substitutions run.
    fn word(&mut self, word: &ast::Word) -> Result<(String, bool), Unreadable> {
        let pieces = word::parse(&word.value, &self.options)
            .map_err(|error| Unreadable(format!("a word the shell could not read: {error}")))?;
        let mut text = String::new();
        let mut literal = true;
        self.pieces(&pieces, &word.value, &mut text, &mut literal)?;
        Ok((text, literal))
    }

    fn pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        source: &str,
        text: &mut String,
        literal: &mut bool,
    ) -> Result<(), Unreadable> {
        for piece in pieces {
            let raw = source
                .get(piece.start_index..piece.end_index)
                .unwrap_or_default();
            match &piece.piece {
                WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => text.push_str(t),
                WordPiece::AnsiCQuotedText(t) => {
                    text.push_str(t);
                }
                WordPiece::EscapeSequence(t) => text.push_str(t.trim_start_matches('\\')),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    self.pieces(inner, source, text, literal)?
                }
                WordPiece::CommandSubstitution(script)
                | WordPiece::BackquotedCommandSubstitution(script) => {
                    read_into(script, self.depth + 1, self.into)?;
                    *literal = false;
                    text.push_str(raw);
                }
                _ => {
                    // Parameters, arithmetic, tildes: known only when it runs.
                    *literal = false;
                    text.push_str(raw);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(line: &str) -> Vec<String> {
        match read(line) {
            Ok(reading) => reading.commands.iter().map(SimpleCommand::line).collect(),
            Err(error) => panic!("{line:?}: {error}"),
        }
    }

    #[test]
    fn every_simple_command_of_a_compound_line_is_found() {
        assert_eq!(lines("id"), vec!["id"]);
        assert_eq!(lines("id && touch /tmp/x"), vec!["id", "touch /tmp/x"]);
        assert_eq!(lines("id; rm -f file"), vec!["id", "rm -f file"]);
        assert_eq!(lines("id | sh"), vec!["id", "sh"]);
        assert_eq!(lines("id || curl x"), vec!["id", "curl x"]);
        assert_eq!(lines("id & rm y"), vec!["id", "rm y"]);
        assert_eq!(lines("id\nrm z"), vec!["id", "rm z"]);
        assert_eq!(lines("id $(rm -rf /)"), vec!["rm -rf /", "id $(rm -rf /)"]);
        assert_eq!(lines("id `rm a`"), vec!["rm a", "id `rm a`"]);
        assert_eq!(lines("(id; rm b)"), vec!["id", "rm b"]);
        assert_eq!(lines("{ id; rm c; }"), vec!["id", "rm c"]);
        assert_eq!(lines("if id; then rm d; fi"), vec!["id", "rm d"]);
        assert_eq!(lines("for f in a; do rm $f; done"), vec!["rm $f"]);
        assert_eq!(lines("while false; do rm e; done"), vec!["false", "rm e"]);
        assert_eq!(
            lines("sh -c 'id; rm f'"),
            vec!["id", "rm f", "sh -c id; rm f"]
        );
        assert_eq!(lines("bash -c \"rm g\""), vec!["rm g", "bash -c rm g"]);
        assert_eq!(lines("bash -lc 'rm g2'"), vec!["rm g2", "bash -lc rm g2"]);
        assert_eq!(lines("cat <(rm h)"), vec!["rm h", "cat"]);
        assert_eq!(lines("echo \"$(rm i)\""), vec!["rm i", "echo $(rm i)"]);
        assert_eq!(lines("PATH=/tmp git status"), vec!["PATH=/tmp git status"]);
        assert_eq!(lines("'git' \"push\""), vec!["git push"]);
    }

    #[test]
    fn redirections_are_writes() {
        let reading =
            read("id > /etc/passwd; echo x >> log; ls 2>&1 &> all; cat >&out").unwrap_or_default();
        assert_eq!(reading.writes, vec!["/etc/passwd", "log", "all", "out"]);
        let reading = read("id 2>&1 >&2").unwrap_or_default();
        assert!(reading.writes.is_empty(), "{:?}", reading.writes);
    }

    #[test]
    fn what_cannot_be_read_is_unreadable() {
        for line in [
            "$CMD arg",
            "eval 'rm -rf /'",
            "f() { rm x; }; f",
            "(( x = $(rm y) ))",
            "id 'unterminated",
            ". ./script",
        ] {
            assert!(read(line).is_err(), "{line:?} was read");
        }
    }
}
