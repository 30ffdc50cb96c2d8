//! Codegen errors: each names the file and line and says what to do.

use std::fmt;
use std::path::PathBuf;

/// One problem in the app's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the app root.
    pub file: PathBuf,
    /// 1-based line; a problem about the whole file (something missing from it) points at its
    /// first line, so editors can jump to every problem.
    pub line: usize,
    /// What is wrong.
    pub what: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}: {} — {}",
                self.file.display(),
                self.line,
                self.what,
                self.fix
            )
        } else {
            write!(f, "{}: {} — {}", self.file.display(), self.what, self.fix)
        }
    }
}

/// Why generation stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The app's source breaks the page contract; nothing was written.
    #[error("{}", list(.0))]
    Contract(Vec<Problem>),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The routes of a mount are inconsistent.
    #[error("{0}")]
    Routes(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Problems collected while validating.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Adds a problem at `line` (0, "the whole file", becomes line 1).
    pub fn push(
        &mut self,
        file: &std::path::Path,
        line: usize,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Problem {
            file: file.to_path_buf(),
            line: line.max(1),
            what: what.into(),
            fix: fix.into(),
        });
    }
}

/// The 1-based line a syntax node starts on.
pub(crate) fn line_of(span: proc_macro2::Span) -> usize {
    span.start().line
}
