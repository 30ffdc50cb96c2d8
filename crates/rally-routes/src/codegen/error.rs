//! What can be wrong with a mount's pages.

use std::fmt;
use std::path::PathBuf;

/// One problem with a mount or one of its page files. `Display` reads
/// `path: what is wrong — what to do`, where `path` is the file (or, for mount-wide problems,
/// the pages directory) as the mount's `pages_dir` joined with the page path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The mount's name is not a lowercase label.
    #[error(
        "{}: the mount name `{name}` is not valid — use lowercase ASCII letters and digits in words separated by single `_`, starting with a letter and not a Rust keyword (e.g. `admin`)",
        pages_dir.display()
    )]
    InvalidMountName {
        /// The mount's pages directory.
        pages_dir: PathBuf,
        /// The name.
        name: String,
    },
    /// The mount's URL prefix is not `/` or `/segment[/segment…]`.
    #[error(
        "{}: the URL prefix `{prefix}` of mount `{mount}` is not valid — use `/` (or an empty prefix) for the root mount, or segments of letters, digits, `-`, `.`, `_` and `~` such as `/admin`",
        pages_dir.display()
    )]
    InvalidUrlPrefix {
        /// The mount's pages directory.
        pages_dir: PathBuf,
        /// The mount's name.
        mount: String,
        /// The prefix.
        prefix: String,
    },
    /// The mount's constructor prefix is not empty or a PascalCase identifier.
    #[error(
        "{}: the constructor prefix `{prefix}` of mount `{mount}` is not valid — use an empty prefix or a PascalCase identifier such as `Admin`",
        pages_dir.display()
    )]
    InvalidConstructorPrefix {
        /// The mount's pages directory.
        pages_dir: PathBuf,
        /// The mount's name.
        mount: String,
        /// The prefix.
        prefix: String,
    },
    /// A page path given to the generator is absolute or leaves the pages directory.
    #[error(
        "{}: a page path must be relative to the pages directory and stay inside it — pass it as e.g. `games/id_.rs` for {}",
        file.display(),
        pages_dir.join("games/id_.rs").display()
    )]
    InvalidPagePath {
        /// The path as given.
        file: PathBuf,
        /// The mount's pages directory.
        pages_dir: PathBuf,
    },
    /// A file or directory name is not a valid page segment.
    #[error(
        "{}: `{name}` is not a valid page name — use lowercase ASCII letters and digits in words separated by single `_`, starting with a letter, with one trailing `_` for a dynamic segment (e.g. `sign_in.rs`, `id_.rs`, `org_/`)",
        file.display()
    )]
    InvalidSegment {
        /// The page file.
        file: PathBuf,
        /// The offending file or directory name (without `.rs`).
        name: String,
    },
    /// A file or directory is named after a Rust keyword, so its module cannot exist.
    #[error(
        "{}: `{name}` is a Rust keyword, so no page module can have that name — rename it",
        file.display()
    )]
    KeywordSegment {
        /// The page file.
        file: PathBuf,
        /// The keyword.
        name: String,
    },
    /// A dynamic segment's parameter is a Rust keyword (`type_.rs`), so no field can have its
    /// name.
    #[error(
        "{}: the route parameter `{param}` (from `{param}_`) is a Rust keyword, so no field can have that name — rename the `{param}_` segment (e.g. `kind_` for `type_`)",
        file.display()
    )]
    KeywordParam {
        /// The page file.
        file: PathBuf,
        /// The parameter name.
        param: String,
    },
    /// `home_` or `not_found_` used as a directory.
    #[error("{}: `{name}` cannot be a directory — {}", file.display(), reserved_directory_hint(name))]
    ReservedDirectory {
        /// The page file inside the directory.
        file: PathBuf,
        /// `home_` or `not_found_`.
        name: String,
    },
    /// `not_found_.rs` below the pages root.
    #[error(
        "{}: `not_found_.rs` is the mount's 404 page and only the pages root may have it — move it to {}",
        file.display(),
        expected.display()
    )]
    NestedNotFound {
        /// The misplaced file.
        file: PathBuf,
        /// Where the 404 page belongs.
        expected: PathBuf,
    },
    /// Two different dynamic segments in one directory (`games/id_.rs` and `games/slug_.rs`):
    /// no path could tell them apart.
    #[error(
        "{}: the dynamic segment `{param}_` is beside `{other_param}_` of {} — a directory can hold only one dynamic segment, so give both the same name or move one under a static segment",
        file.display(),
        other_file.display()
    )]
    DynamicSiblings {
        /// The file using the second name.
        file: PathBuf,
        /// Its parameter.
        param: String,
        /// A file using the first name.
        other_file: PathBuf,
        /// The first name's parameter.
        other_param: String,
    },
    /// Two files give the same route (`games.rs` and `games/home_.rs` are both `/games`).
    #[error(
        "{}: its route `{pattern}` is also the route of {} — keep one of the two files (a directory's `home_.rs` is the same route as the file named after the directory)",
        file.display(),
        other_file.display()
    )]
    DuplicateRoute {
        /// The second file.
        file: PathBuf,
        /// The first file.
        other_file: PathBuf,
        /// The route, e.g. `/games` or `/teams/:slug`.
        pattern: String,
    },
    /// One route has two parameters of the same name (`users/user_/repos/user_.rs`).
    #[error(
        "{}: the route has two parameters named `{param}` — rename one of the `{param}_` segments",
        file.display()
    )]
    DuplicateParam {
        /// The page file.
        file: PathBuf,
        /// The repeated name.
        param: String,
    },
    /// Two files give the same generated name (`sign_in.rs` and `sign/in.rs` are both `SignIn`).
    #[error(
        "{}: its generated name `{name}` is also the name for {} — rename one of the two files",
        file.display(),
        other_file.display()
    )]
    DuplicateName {
        /// The second file.
        file: PathBuf,
        /// The first file.
        other_file: PathBuf,
        /// The enum variant or helper function name.
        name: String,
    },
    /// A parameter's type is not a Rust type.
    #[error(
        "{}: `{ty}` is not a Rust type (route parameter `{param}`) — give a type such as `i64` or `String`",
        file.display()
    )]
    InvalidParamType {
        /// The page file.
        file: PathBuf,
        /// The parameter.
        param: String,
        /// The text given as its type.
        ty: String,
    },
    /// A type was given for a parameter the route does not have.
    #[error(
        "{}: a type is given for `{param}`, which is not a parameter of this route — its parameters are {}",
        file.display(),
        list_params(params)
    )]
    UnknownParam {
        /// The page file.
        file: PathBuf,
        /// The unknown name.
        param: String,
        /// The route's parameters.
        params: Vec<String>,
    },
    /// The mount has no `not_found_.rs`.
    #[error(
        "{}: the mount has no 404 page — add {}, the page shown for paths that match no route",
        pages_dir.display(),
        expected.display()
    )]
    MissingNotFound {
        /// The mount's pages directory.
        pages_dir: PathBuf,
        /// The file to add.
        expected: PathBuf,
    },
}

fn reserved_directory_hint(name: &str) -> &'static str {
    if name == "home_" {
        "`home_.rs` is the index page of the directory it is in; move the pages inside `home_/` up one level"
    } else {
        "`not_found_.rs` is the mount's 404 page at the pages root; move the pages inside `not_found_/` elsewhere"
    }
}

fn list_params(params: &[String]) -> String {
    if params.is_empty() {
        "none".to_owned()
    } else {
        params
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every problem found in a mount (generation stops only after looking at all its files), one
/// per line when displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteErrors(pub Vec<RouteError>);

impl fmt::Display for RouteErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RouteErrors {}
