//! A small SQLite lexer: strips comments, reads the `-- returns:` and `-- :one` directives,
//! finds the `!`/`?` alias overrides and the anonymous `?` parameters, checks that a file holds
//! one statement, and produces the one-line SQL embedded in generated code.
//!
//! The analysed text keeps every line and column of the original file (comments and override
//! markers become spaces), so SQLite's and the parser's positions point into the `.sql` file.

/// A `.sql` file ready for analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The statement with comments, override markers and the trailing `;` blanked out; same
    /// lines and columns as the file.
    pub analysed: String,
    /// The statement on one line (comments dropped, whitespace collapsed outside literals), as
    /// embedded in generated code.
    pub runtime: String,
    /// `AS name!` (non-null, `false`) and `AS name?` (nullable, `true`) overrides.
    pub overrides: Vec<Override>,
    /// Byte offsets of the anonymous `?` parameters, in order (`?NNN` is not anonymous).
    pub anonymous: Vec<usize>,
    /// Every placeholder as written (`:id`, `@id`, `$id`, `?`, `?2`, `$1`), in order; the
    /// Postgres generator numbers them `$n`.
    pub placeholders: Vec<Placeholder>,
    /// The directives written in comments before the statement.
    pub directives: Directives,
}

/// What the comments before the statement ask of the generated function.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `-- returns: GameRow`: the row type's name, shared by every query of the directory that
    /// names it; with the directive's byte offset.
    pub returns: Option<(String, usize)>,
    /// `-- :one`, `-- :opt`, `-- :many` or `-- :exec`, with the directive's byte offset.
    pub cardinality: Option<(Cardinality, usize)>,
}

/// How many rows a query's function returns, and so its Rust return type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    /// `:many`: every row, `Vec<Row>` (the default for a statement with result columns).
    Many,
    /// `:one`: exactly one row, `Row`; no row is `rusqlite::Error::QueryReturnedNoRows`.
    One,
    /// `:opt`: the first row if any, `Option<Row>`.
    Opt,
    /// `:exec`: the number of rows changed, `usize` (the default without result columns).
    Exec,
}

impl Cardinality {
    /// The directive as written, e.g. `:one`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cardinality::Many => ":many",
            Cardinality::One => ":one",
            Cardinality::Opt => ":opt",
            Cardinality::Exec => ":exec",
        }
    }
}

/// A directive comment that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectiveError {
    /// `-- returns:` without a PascalCase name ending in `Row`.
    BadRowName(String),
    /// `-- :word` where word is not one of `one`, `opt`, `many`, `exec`.
    UnknownCardinality(String),
    /// The same kind of directive twice (`returns` or `cardinality`).
    Duplicate(&'static str),
    /// A directive after the statement has started.
    AfterStatement,
}

/// A parameter placeholder in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// Byte offset in the file.
    pub offset: usize,
    /// As written, prefix included (`:id`, `?`).
    pub text: String,
}

/// A nullability override written on a result alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The alias, as written (without quotes).
    pub alias: String,
    /// `true` for `?` (nullable), `false` for `!` (non-null).
    pub nullable: bool,
    /// Byte offset of the marker in the file.
    pub offset: usize,
}

/// Why a file cannot be analysed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexError {
    /// Nothing but whitespace and comments.
    Empty,
    /// A second statement starts at this byte offset.
    MultipleStatements(usize),
    /// A string, quoted identifier or block comment is not closed; it opens at this offset.
    Unterminated(usize),
    /// A directive comment at this offset is malformed or misplaced.
    Directive(usize, DirectiveError),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// The keyword `AS`.
    As,
    /// An identifier right after `AS` (bare or quoted); marker candidates follow it.
    AliasAfterAs,
    Other,
}

/// Lexes `text` (one `.sql` file).
pub fn lex(text: &str) -> Result<Source, LexError> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut overrides = Vec::new();
    let mut i = 0;
    let mut last = Tok::Other;
    let mut last_alias = String::new();
    let mut semicolon: Option<usize> = None;
    let mut anonymous = Vec::new();
    let mut placeholders = Vec::new();
    let mut directives = Directives::default();
    let mut started = false;
    let at = |i: usize| chars.get(i).map(|c| c.1);
    while i < chars.len() {
        let (offset, c) = chars[i];
        let comment_start =
            (c == '-' && at(i + 1) == Some('-')) || (c == '/' && at(i + 1) == Some('*'));
        if semicolon.is_some() && !c.is_whitespace() && !comment_start {
            return Err(LexError::MultipleStatements(offset));
        }
        if !c.is_whitespace() && !comment_start {
            started = true;
        }
        match c {
            '-' if at(i + 1) == Some('-') => {
                let mut comment = String::new();
                while i < chars.len() && chars[i].1 != '\n' {
                    comment.push(chars[i].1);
                    out.push(' ');
                    i += 1;
                }
                directive(&comment[2..], offset, started, &mut directives)?;
                continue;
            }
            '/' if at(i + 1) == Some('*') => {
                let start = offset;
                out.extend([' ', ' ']);
                i += 2;
                loop {
                    match at(i) {
                        None => return Err(LexError::Unterminated(start)),
                        Some('*') if at(i + 1) == Some('/') => {
                            out.extend([' ', ' ']);
                            i += 2;
                            break;
                        }
                        Some(ch) => {
                            out.push(if ch == '\n' { '\n' } else { ' ' });
                            i += 1;
                        }
                    }
                }
                continue;
            }
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                let start = offset;
                let mut ident = String::new();
                out.push(c);
                i += 1;
                loop {
                    match at(i) {
                        None => return Err(LexError::Unterminated(start)),
                        Some(ch) if ch == close => {
                            out.push(ch);
                            i += 1;
                            // A doubled quote is an escaped quote (not for `[...]`).
                            if close != ']' && at(i) == Some(close) {
                                out.push(close);
                                ident.push(close);
                                i += 1;
                                continue;
                            }
                            break;
                        }
                        Some(ch) => {
                            out.push(ch);
                            ident.push(ch);
                            i += 1;
                        }
                    }
                }
                if c != '\'' && last == Tok::As {
                    last = Tok::AliasAfterAs;
                    last_alias = ident;
                } else {
                    last = Tok::Other;
                }
                continue;
            }
            ';' => {
                semicolon = Some(offset);
                out.push(' ');
                i += 1;
                last = Tok::Other;
                continue;
            }
            '!' | '?' if last == Tok::AliasAfterAs && at(i + 1) != Some('=') => {
                overrides.push(Override {
                    alias: std::mem::take(&mut last_alias),
                    nullable: c == '?',
                    offset,
                });
                out.push(' ');
                i += 1;
                last = Tok::Other;
                continue;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::new();
                while let Some(ch) = at(i) {
                    if ch.is_alphanumeric() || ch == '_' || ch == '$' {
                        word.push(ch);
                        out.push(ch);
                        i += 1;
                    } else {
                        break;
                    }
                }
                last = if word.eq_ignore_ascii_case("as") {
                    Tok::As
                } else if last == Tok::As {
                    last_alias = word;
                    Tok::AliasAfterAs
                } else {
                    Tok::Other
                };
                continue;
            }
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
                continue;
            }
            '?' | ':' | '@' | '$'
                if placeholder_starts(c, at(i + 1), i.checked_sub(1).and_then(at)) =>
            {
                let mut text = String::from(c);
                out.push(c);
                i += 1;
                while let Some(ch) = at(i) {
                    let part = if c == '?' {
                        ch.is_ascii_digit()
                    } else {
                        ch.is_alphanumeric() || ch == '_'
                    };
                    if !part {
                        break;
                    }
                    text.push(ch);
                    out.push(ch);
                    i += 1;
                }
                if text == "?" {
                    anonymous.push(offset);
                }
                placeholders.push(Placeholder { offset, text });
                last = Tok::Other;
            }
            _ => {
                out.push(c);
                i += 1;
                last = Tok::Other;
            }
        }
    }
    let analysed: String = out.into_iter().collect();
    if analysed.trim().is_empty() {
        return Err(LexError::Empty);
    }
    let runtime = collapse(&analysed);
    Ok(Source {
        analysed,
        runtime,
        overrides,
        anonymous,
        placeholders,
        directives,
    })
}

/// Whether `c` (followed by `next`, after `prev`) starts a placeholder: `?` always (outside
/// an alias override, handled before), `:`/`@`/`$` before a name, `$` before digits; not the
/// second colon of a `::` cast.
fn placeholder_starts(c: char, next: Option<char>, prev: Option<char>) -> bool {
    let name_start = next.is_some_and(|n| n.is_alphabetic() || n == '_');
    match c {
        '?' => true,
        ':' => name_start && prev != Some(':'),
        '@' => name_start,
        '$' => name_start || next.is_some_and(|n| n.is_ascii_digit()),
        _ => false,
    }
}

/// Reads one `--` comment's text (after the dashes) as a directive, if it is one:
/// `returns: NameRow` or `:one` / `:opt` / `:many` / `:exec`. Other comments are ignored.
fn directive(
    comment: &str,
    offset: usize,
    started: bool,
    directives: &mut Directives,
) -> Result<(), LexError> {
    let text = comment.trim();
    let fail = |e| Err(LexError::Directive(offset, e));
    if let Some(rest) = text.strip_prefix("returns:") {
        if started {
            return fail(DirectiveError::AfterStatement);
        }
        let name = rest.trim();
        let pascal = name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphanumeric());
        if !pascal || !name.ends_with("Row") || name == "Row" {
            return fail(DirectiveError::BadRowName(name.to_owned()));
        }
        if directives.returns.is_some() {
            return fail(DirectiveError::Duplicate("returns"));
        }
        directives.returns = Some((name.to_owned(), offset));
        return Ok(());
    }
    let Some(word) = text.strip_prefix(':') else {
        return Ok(());
    };
    if !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(());
    }
    if started {
        return fail(DirectiveError::AfterStatement);
    }
    let cardinality = match word.trim() {
        "one" => Cardinality::One,
        "opt" => Cardinality::Opt,
        "many" => Cardinality::Many,
        "exec" => Cardinality::Exec,
        other => return fail(DirectiveError::UnknownCardinality(other.to_owned())),
    };
    if directives.cardinality.is_some() {
        return fail(DirectiveError::Duplicate("cardinality"));
    }
    directives.cardinality = Some((cardinality, offset));
    Ok(())
}

/// Collapses whitespace runs outside literals and quoted identifiers into one space.
pub(crate) fn collapse(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in sql.chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = !out.is_empty(),
            None => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
                quote = match c {
                    '\'' | '"' | '`' => Some(c),
                    '[' => Some(']'),
                    _ => None,
                };
            }
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_and_keeps_positions() {
        let src = lex("-- list\nSELECT 1 /* x\ny */ AS one; -- end\n").unwrap();
        assert_eq!(src.analysed.lines().count(), 3);
        assert_eq!(
            src.analysed.len(),
            "-- list\nSELECT 1 /* x\ny */ AS one; -- end\n".len()
        );
        assert_eq!(src.runtime, "SELECT 1 AS one");
    }

    #[test]
    fn overrides_on_aliases() {
        let src =
            lex("SELECT max(a) AS top!, b AS \"Maybe\"?, c != d AS e FROM t WHERE x = ?").unwrap();
        let found: Vec<_> = src
            .overrides
            .iter()
            .map(|o| (o.alias.as_str(), o.nullable))
            .collect();
        assert_eq!(found, vec![("top", false), ("Maybe", true)]);
        assert_eq!(
            src.runtime,
            "SELECT max(a) AS top , b AS \"Maybe\" , c != d AS e FROM t WHERE x = ?"
        );
    }

    #[test]
    fn directives_before_the_statement() {
        let src =
            lex("-- Games of a team.\n-- returns: GameRow\n--   :opt\nSELECT 1 -- :) not one\n")
                .unwrap();
        assert_eq!(src.directives.returns, Some(("GameRow".into(), 20)));
        assert_eq!(src.directives.cardinality, Some((Cardinality::Opt, 40)));
        assert_eq!(src.runtime, "SELECT 1");
    }

    #[test]
    fn anonymous_parameters() {
        let src =
            lex("SELECT a AS x? FROM t WHERE b = ? AND c = ?2 AND d = '?' AND e = ?").unwrap();
        assert_eq!(src.anonymous, vec![32, 65]);
        let found: Vec<_> = src.placeholders.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(found, ["?", "?2", "?"]);
        assert_eq!(src.overrides.len(), 1);
        let src =
            lex("SELECT a::text FROM t WHERE b = :b AND c = @c AND d = $d AND e = $1").unwrap();
        let found: Vec<_> = src.placeholders.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(found, [":b", "@c", "$d", "$1"]);
    }

    #[test]
    fn literals_hide_semicolons_and_markers() {
        let src = lex("SELECT 'a;b' AS x, 'it''s' AS \"y;\" ;").unwrap();
        assert!(src.overrides.is_empty());
        assert_eq!(src.runtime, "SELECT 'a;b' AS x, 'it''s' AS \"y;\"");
    }

    #[test]
    fn errors() {
        assert_eq!(lex(" -- only a comment\n"), Err(LexError::Empty));
        assert_eq!(
            lex("SELECT 1; SELECT 2"),
            Err(LexError::MultipleStatements(10))
        );
        assert_eq!(lex("SELECT 'open"), Err(LexError::Unterminated(7)));
        assert_eq!(
            lex("SELECT 1 -- :one\n"),
            Err(LexError::Directive(9, DirectiveError::AfterStatement))
        );
        assert_eq!(
            lex("-- returns: games\nSELECT 1"),
            Err(LexError::Directive(
                0,
                DirectiveError::BadRowName("games".into())
            ))
        );
        assert_eq!(
            lex("-- :first\nSELECT 1"),
            Err(LexError::Directive(
                0,
                DirectiveError::UnknownCardinality("first".into())
            ))
        );
        assert_eq!(
            lex("-- :one\n-- :opt\nSELECT 1"),
            Err(LexError::Directive(
                8,
                DirectiveError::Duplicate("cardinality")
            ))
        );
        assert_eq!(line_col("a\nbc\nd", 4), (2, 3));
    }
}
