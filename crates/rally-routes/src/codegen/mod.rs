//! The generator: a mount's page files → its route table → its route module.
//!
//! ```
//! use rally_routes::codegen::{GenerateOptions, Mount, PageFile, generate, route_table};
//!
//! let pages = [
//!     PageFile::new("home_.rs"),
//!     PageFile::new("games.rs"),
//!     PageFile::new("games/id_.rs").with_param_type("id", "i64"),
//!     PageFile::new("not_found_.rs"),
//! ];
//! let table = route_table(&Mount::new("public"), &pages).unwrap();
//! assert_eq!(table.routes[2].variant, "GamesId");
//! assert_eq!(table.routes[2].pattern, "/games/:id");
//! let source = generate(&table, &GenerateOptions::default());
//! assert!(source.contains("pub fn games_id_path(id: i64) -> String"));
//! ```
//!
//! The rules (documented with examples in `docs/routing.md`): page paths are relative to the
//! mount's pages directory; `home_.rs` is its directory's index, any other `name.rs` or
//! directory `name/` a static segment, `x_.rs` or directory `x_/` a dynamic segment `x`, and
//! `not_found_.rs` at the root the mount's 404 page (required). Non-`.rs` files, `mod.rs`,
//! hidden files and everything under a `sql/` directory are not pages ([`is_page_file`]).

mod emit;
mod error;

use rally_idents::{is_keyword, pascal_case, snake_case};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

pub use emit::{GenerateOptions, InvalidRuntimePath, generate};
pub use error::{RouteError, RouteErrors};

/// A mount: one set of pages, one route enum, one browser bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// `public`, `admin`, … (a lowercase label).
    pub name: String,
    /// Where the mount's paths start: `""` (or `"/"`) for the root mount, `"/admin"` otherwise.
    pub url_prefix: String,
    /// Put before every constructor but `NotFound`: `""` for the root mount, `"Admin"` for
    /// `admin`. Its snake_case form starts the path helpers (`admin_games_path`).
    pub constructor_prefix: String,
    /// The pages directory as it should appear in error messages and the generated header,
    /// e.g. `src/admin/pages`.
    pub pages_dir: PathBuf,
}

impl Mount {
    /// The mount `name` by convention: pages in `src/<name>/pages`; `public` at `/` with
    /// unprefixed constructors, any other mount at `/<name>` with its PascalCase name as
    /// constructor prefix (`admin` → `/admin`, `AdminGames`).
    pub fn new(name: &str) -> Self {
        let (url_prefix, constructor_prefix) = if name == crate::PUBLIC_MOUNT {
            (String::new(), String::new())
        } else {
            (format!("/{name}"), pascal_case(name))
        };
        Self {
            name: name.to_owned(),
            url_prefix,
            constructor_prefix,
            pages_dir: PathBuf::from(format!("src/{name}/pages")),
        }
    }

    /// The same mount at another URL prefix.
    pub fn with_url_prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.url_prefix);
        self
    }

    /// The same mount with another constructor prefix.
    pub fn with_constructor_prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.constructor_prefix);
        self
    }

    /// The same mount with its pages in `dir`.
    pub fn with_pages_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.pages_dir = dir.into();
        self
    }
}

/// One page file of a mount, and the types of its route parameters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageFile {
    /// The path relative to the mount's pages directory, e.g. `games/id_.rs`.
    pub path: PathBuf,
    /// Parameter name → Rust type (e.g. `id` → `i64`), decided by the caller from the page's
    /// load arguments. A parameter without an entry is a `String`.
    pub param_types: BTreeMap<String, String>,
}

impl PageFile {
    /// The page at `path` (relative to the pages directory), every parameter a `String`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            param_types: BTreeMap::new(),
        }
    }

    /// The same page with parameter `name` of type `ty` (Rust source, e.g. `"i64"`).
    pub fn with_param_type(mut self, name: &str, ty: &str) -> Self {
        self.param_types.insert(name.to_owned(), ty.to_owned());
        self
    }
}

impl From<&str> for PageFile {
    fn from(path: &str) -> Self {
        Self::new(path)
    }
}

impl From<PathBuf> for PageFile {
    fn from(path: PathBuf) -> Self {
        Self::new(path)
    }
}

/// Whether `relative` (a path inside a pages directory) is a page: a `.rs` file that is not
/// `mod.rs`, not hidden (no component starts with `.`) and not under a `sql/` directory.
///
/// `mod.rs` is never a page: it is the module file of its directory, for apps that declare the
/// page modules themselves. The page for a directory's own path is the file named after the
/// directory (`games.rs` beside `games/`) or the directory's `home_.rs`.
pub fn is_page_file(relative: &Path) -> bool {
    let mut components: Vec<&str> = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) => match name.to_str() {
                Some(name) => components.push(name),
                None => return true, // not UTF-8: let `route_table` report it
            },
            Component::CurDir => {}
            _ => return true, // absolute or `..`: let `route_table` report it
        }
    }
    let Some((file, dirs)) = components.split_last() else {
        return false;
    };
    file.ends_with(".rs")
        && *file != "mod.rs"
        && !components.iter().any(|c| c.starts_with('.'))
        && !dirs.contains(&"sql")
}

/// The page files under `pages_dir`, relative to it and sorted, as [`is_page_file`] selects
/// them (`sql/` and hidden directories are not entered). A missing directory has no pages.
pub fn discover(pages_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    if pages_dir.is_dir() {
        walk(pages_dir, Path::new(""), &mut found)?;
    }
    found.sort();
    Ok(found)
}

fn walk(root: &Path, relative: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(root.join(relative))? {
        let entry = entry?;
        let name = entry.file_name();
        let path = relative.join(&name);
        if entry.file_type()?.is_dir() {
            let name = name.to_string_lossy();
            if name != "sql" && !name.starts_with('.') {
                walk(root, &path, found)?;
            }
        } else if is_page_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// What kind of page a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    /// `home_.rs` at the pages root: the mount root.
    Home,
    /// A route without parameters (including a nested `home_.rs`).
    Static,
    /// A route with parameters.
    Dynamic,
    /// `not_found_.rs`: the 404 page, variant `NotFound`, path `<prefix>/not_found`.
    NotFound,
}

/// One segment of a route, after the mount's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// Matches exactly this text (`games`).
    Static(String),
    /// Matches any one segment, parsed into the named parameter (`id`).
    Param(String),
}

/// A route parameter's Rust type, as checked Rust source (`i64`, `String`, `crate::ids::Slug`).
///
/// The generated code needs `FromParam + ToParam + Debug + Clone + PartialEq + Eq` from it; the
/// path helpers take `String` as `&str`, the primitive types by value and any other type by
/// reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamType(String);

impl ParamType {
    /// `source` as a type, or `None` when it does not parse as one.
    pub fn new(source: &str) -> Option<Self> {
        let source = source.trim();
        syn::parse_str::<syn::Type>(source).ok()?;
        Some(Self(source.to_owned()))
    }

    /// `String`, the type of parameters nobody typed.
    pub fn string() -> Self {
        Self("String".to_owned())
    }

    /// The type as Rust source.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ParamType {
    fn default() -> Self {
        Self::string()
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A route parameter: its name (the dynamic segment without its `_`) and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    /// `id` for `id_.rs`.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
}

/// One route of a mount: what the generated code names it and which page it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// Home, static, dynamic or not-found.
    pub kind: RouteKind,
    /// The `Route` variant: `GamesId`, `AdminGames`, `NotFound`.
    pub variant: String,
    /// The parameter struct of a dynamic route (`GamesIdParams`).
    pub params_struct: Option<String>,
    /// The path helper function: `games_id_path`, `admin_home_path`, `not_found_path`.
    pub helper: String,
    /// The page module relative to the mount's pages module: `games::id_`, `home_`.
    pub module_path: String,
    /// The segments after the mount prefix (`not_found` for the 404 page).
    pub segments: Vec<Segment>,
    /// The parameters, in path order.
    pub params: Vec<Param>,
    /// The full pattern for people: `/`, `/admin/games`, `/games/:id`.
    pub pattern: String,
    /// The page file relative to the pages directory: `games/id_.rs`.
    pub file: PathBuf,
    /// The page file as the mount names it: `src/public/pages/games/id_.rs`.
    pub source: PathBuf,
}

/// A mount's routes, checked: every rule holds and every name is unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    /// The mount's name.
    pub mount: String,
    /// The mount's pages directory (as given in [`Mount::pages_dir`]).
    pub pages_dir: PathBuf,
    /// The prefix segments (`["admin"]`, none for the root mount).
    pub url_prefix: Vec<String>,
    /// The constructor prefix (`Admin`, empty for the root mount).
    pub constructor_prefix: String,
    /// The routes in `Route` enum order: the mount root first, then by path with static
    /// segments before dynamic ones at each position (the order `parse` tries them in), and
    /// `NotFound` last.
    pub routes: Vec<RouteInfo>,
}

impl RouteTable {
    /// The route of variant `variant`.
    pub fn route(&self, variant: &str) -> Option<&RouteInfo> {
        self.routes.iter().find(|r| r.variant == variant)
    }

    /// The 404 route (always present).
    pub fn not_found(&self) -> &RouteInfo {
        self.routes
            .iter()
            .find(|r| r.kind == RouteKind::NotFound)
            .expect("a checked table has a NotFound route")
    }

    /// The URL prefix as a path: `""` or `/admin`.
    pub fn prefix_path(&self) -> String {
        self.url_prefix.iter().map(|s| format!("/{s}")).collect()
    }
}

/// The route of `mount` from its page files, after checking every rule; otherwise every
/// problem found, naming the files.
///
/// Files are taken in path order whatever order they come in, so the table (and the generated
/// code) depends only on the set of files. Paths that are not pages ([`is_page_file`]) are
/// skipped; the same path given twice counts once.
pub fn route_table(mount: &Mount, pages: &[PageFile]) -> Result<RouteTable, RouteErrors> {
    let mut check = Check::new(mount);
    let mut pages: Vec<&PageFile> = pages.iter().collect();
    pages.sort();
    pages.dedup_by(|a, b| a.path == b.path);
    for page in pages {
        check.page(page);
    }
    check.finish()
}

/// The route module of `mount`: [`route_table`] then [`generate`].
pub fn generate_mount(
    mount: &Mount,
    pages: &[PageFile],
    options: &GenerateOptions,
) -> Result<String, RouteErrors> {
    Ok(generate(&route_table(mount, pages)?, options))
}

const NOT_FOUND_FILE: &str = "not_found_";
const HOME_FILE: &str = "home_";

/// The state of one [`route_table`] run.
struct Check<'a> {
    mount: &'a Mount,
    errors: Vec<RouteError>,
    url_prefix: Vec<String>,
    constructor_prefix: String,
    helper_prefix: String,
    routes: Vec<RouteInfo>,
    /// Parent directory (`games`, `orgs/org_`) → dynamic parameter → first file using it.
    dynamic: BTreeMap<String, BTreeMap<String, PathBuf>>,
    /// Reported `DynamicSiblings` pairs, so each is reported once.
    siblings_reported: BTreeSet<(String, String)>,
    /// Page files seen, normalized (`./games.rs` is `games.rs`).
    seen: BTreeSet<PathBuf>,
}

impl<'a> Check<'a> {
    fn new(mount: &'a Mount) -> Self {
        let mut errors = Vec::new();
        let dir = mount.pages_dir.clone();
        if !is_word_label(&mount.name) || is_keyword(&mount.name) {
            errors.push(RouteError::InvalidMountName {
                pages_dir: dir.clone(),
                name: mount.name.clone(),
            });
        }
        let url_prefix = match parse_url_prefix(&mount.url_prefix) {
            Some(prefix) => prefix,
            None => {
                errors.push(RouteError::InvalidUrlPrefix {
                    pages_dir: dir.clone(),
                    mount: mount.name.clone(),
                    prefix: mount.url_prefix.clone(),
                });
                Vec::new()
            }
        };
        let prefix = &mount.constructor_prefix;
        let valid_prefix = prefix.is_empty()
            || (prefix.starts_with(|c: char| c.is_ascii_uppercase())
                && prefix.chars().all(|c| c.is_ascii_alphanumeric()));
        if !valid_prefix {
            errors.push(RouteError::InvalidConstructorPrefix {
                pages_dir: dir,
                mount: mount.name.clone(),
                prefix: prefix.clone(),
            });
        }
        let constructor_prefix = if valid_prefix {
            prefix.clone()
        } else {
            String::new()
        };
        let helper_prefix = snake_case(&constructor_prefix);
        Self {
            mount,
            errors,
            url_prefix,
            constructor_prefix,
            helper_prefix,
            routes: Vec::new(),
            dynamic: BTreeMap::new(),
            siblings_reported: BTreeSet::new(),
            seen: BTreeSet::new(),
        }
    }

    fn page(&mut self, page: &PageFile) {
        if !is_page_file(&page.path) {
            return;
        }
        let pages_dir = &self.mount.pages_dir;
        let Some(parts) = relative_parts(&page.path) else {
            self.errors.push(RouteError::InvalidPagePath {
                file: page.path.clone(),
                pages_dir: pages_dir.clone(),
            });
            return;
        };
        let file: PathBuf = parts.iter().collect();
        if !self.seen.insert(file.clone()) {
            return;
        }
        let source = pages_dir.join(&file);
        let names: Vec<&str> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                if i + 1 == parts.len() {
                    part.strip_suffix(".rs").unwrap_or(part)
                } else {
                    part
                }
            })
            .collect();

        // Every file and directory name on the way.
        let errors_before = self.errors.len();
        for (i, &name) in names.iter().enumerate() {
            let is_dir = i + 1 < names.len();
            if !is_segment_name(name) {
                self.errors.push(RouteError::InvalidSegment {
                    file: source.clone(),
                    name: name.to_owned(),
                });
            } else if is_keyword(name) {
                self.errors.push(RouteError::KeywordSegment {
                    file: source.clone(),
                    name: name.to_owned(),
                });
            } else if is_dir && (name == HOME_FILE || name == NOT_FOUND_FILE) {
                self.errors.push(RouteError::ReservedDirectory {
                    file: source.clone(),
                    name: name.to_owned(),
                });
            } else if let Some(param) = param_name(name)
                && is_keyword(param)
            {
                self.errors.push(RouteError::KeywordParam {
                    file: source.clone(),
                    param: param.to_owned(),
                });
            }
        }
        if self.errors.len() > errors_before {
            return;
        }

        let (&last, dirs) = names.split_last().expect("a page path has a file name");
        if last == NOT_FOUND_FILE {
            if dirs.is_empty() {
                self.not_found(file, source);
            } else {
                self.errors.push(RouteError::NestedNotFound {
                    file: source,
                    expected: pages_dir.join("not_found_.rs"),
                });
            }
            return;
        }

        // Segments (a `home_` file adds none) and the one-dynamic-name-per-directory rule.
        let route_names: &[&str] = if last == HOME_FILE { dirs } else { &names };
        let mut segments = Vec::new();
        let mut siblings = false;
        for (i, &name) in route_names.iter().enumerate() {
            match param_name(name) {
                Some(param) => {
                    siblings |= self.dynamic_sibling(names[..i].join("/"), param, &source);
                    segments.push(Segment::Param(param.to_owned()));
                }
                None => segments.push(Segment::Static(name.to_owned())),
            }
        }
        if siblings {
            return; // its route would only repeat the conflict
        }

        // Parameters: unique, typed.
        let mut params: Vec<Param> = Vec::new();
        for segment in &segments {
            let Segment::Param(name) = segment else {
                continue;
            };
            if params.iter().any(|p| &p.name == name) {
                self.errors.push(RouteError::DuplicateParam {
                    file: source.clone(),
                    param: name.clone(),
                });
                continue;
            }
            let ty = match page.param_types.get(name) {
                None => ParamType::string(),
                Some(text) => match ParamType::new(text) {
                    Some(ty) => ty,
                    None => {
                        self.errors.push(RouteError::InvalidParamType {
                            file: source.clone(),
                            param: name.clone(),
                            ty: text.clone(),
                        });
                        ParamType::string()
                    }
                },
            };
            params.push(Param {
                name: name.clone(),
                ty,
            });
        }
        for name in page.param_types.keys() {
            if !params.iter().any(|p| &p.name == name) {
                self.errors.push(RouteError::UnknownParam {
                    file: source.clone(),
                    param: name.clone(),
                    params: params.iter().map(|p| p.name.clone()).collect(),
                });
            }
        }

        let words: Vec<&str> = names
            .iter()
            .flat_map(|name| name.split('_'))
            .filter(|w| !w.is_empty())
            .collect();
        let variant = format!(
            "{}{}",
            self.constructor_prefix,
            words.iter().map(|w| pascal_case(w)).collect::<String>()
        );
        let helper = self.helper_name(&words);
        let kind = match (names.as_slice(), params.is_empty()) {
            ([HOME_FILE], _) => RouteKind::Home,
            (_, true) => RouteKind::Static,
            (_, false) => RouteKind::Dynamic,
        };
        let route = RouteInfo {
            kind,
            params_struct: (!params.is_empty()).then(|| format!("{variant}Params")),
            variant,
            helper,
            module_path: names.join("::"),
            pattern: self.pattern(&segments),
            segments,
            params,
            file,
            source,
        };
        self.routes.push(route);
    }

    fn not_found(&mut self, file: PathBuf, source: PathBuf) {
        let segments = vec![Segment::Static("not_found".to_owned())];
        self.routes.push(RouteInfo {
            kind: RouteKind::NotFound,
            variant: "NotFound".to_owned(),
            params_struct: None,
            helper: "not_found_path".to_owned(),
            module_path: NOT_FOUND_FILE.to_owned(),
            pattern: self.pattern(&segments),
            segments,
            params: Vec::new(),
            file,
            source,
        });
    }

    /// Records that `source` has the dynamic segment `param` in directory `parent`; whether
    /// another name is already there (reported once per directory and name).
    fn dynamic_sibling(&mut self, parent: String, param: &str, source: &Path) -> bool {
        let seen = self.dynamic.entry(parent.clone()).or_default();
        let other = seen.iter().find(|(p, _)| p.as_str() != param);
        if let Some((other_param, other_file)) = other
            && self.siblings_reported.insert((parent, param.to_owned()))
        {
            self.errors.push(RouteError::DynamicSiblings {
                file: source.to_owned(),
                param: param.to_owned(),
                other_file: other_file.clone(),
                other_param: other_param.clone(),
            });
        }
        let conflict = other.is_some();
        seen.entry(param.to_owned())
            .or_insert_with(|| source.to_owned());
        conflict
    }

    fn helper_name(&self, words: &[&str]) -> String {
        let mut helper = self.helper_prefix.clone();
        for word in words {
            if !helper.is_empty() {
                helper.push('_');
            }
            helper.push_str(word);
        }
        helper + "_path"
    }

    fn pattern(&self, segments: &[Segment]) -> String {
        let mut pattern: String = self.url_prefix.iter().map(|s| format!("/{s}")).collect();
        for segment in segments {
            match segment {
                Segment::Static(name) => pattern.push_str(&format!("/{name}")),
                Segment::Param(name) => pattern.push_str(&format!("/:{name}")),
            }
        }
        if pattern.is_empty() {
            pattern.push('/');
        }
        pattern
    }

    fn finish(mut self) -> Result<RouteTable, RouteErrors> {
        let mut not_found = false;
        let mut paths: BTreeMap<Vec<Option<&str>>, &RouteInfo> = BTreeMap::new();
        let mut names: BTreeMap<&str, &RouteInfo> = BTreeMap::new();
        let mut errors = Vec::new();
        for route in &self.routes {
            not_found |= route.kind == RouteKind::NotFound;
            // Two routes with the same shape (parameters compared by position only) collide.
            let shape = route
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Static(name) => Some(name.as_str()),
                    Segment::Param(_) => None,
                })
                .collect();
            if let Some(other) = paths.insert(shape, route) {
                errors.push(RouteError::DuplicateRoute {
                    file: route.source.clone(),
                    other_file: other.source.clone(),
                    pattern: route.pattern.clone(),
                });
                continue;
            }
            for name in [&route.variant, &route.helper] {
                if let Some(other) = names.insert(name, route) {
                    errors.push(RouteError::DuplicateName {
                        file: route.source.clone(),
                        other_file: other.source.clone(),
                        name: name.clone(),
                    });
                }
            }
        }
        self.errors.extend(errors);
        if !not_found {
            self.errors.push(RouteError::MissingNotFound {
                pages_dir: self.mount.pages_dir.clone(),
                expected: self.mount.pages_dir.join("not_found_.rs"),
            });
        }
        if !self.errors.is_empty() {
            return Err(RouteErrors(self.errors));
        }
        self.routes
            .sort_by(|a, b| enum_order(a).cmp(&enum_order(b)));
        Ok(RouteTable {
            mount: self.mount.name.clone(),
            pages_dir: self.mount.pages_dir.clone(),
            url_prefix: self.url_prefix,
            constructor_prefix: self.constructor_prefix,
            routes: self.routes,
        })
    }
}

/// The order `parse` tries routes in: by segment, static (alphabetical) before dynamic; a
/// shorter path before its extensions.
pub(crate) fn match_order(route: &RouteInfo) -> Vec<(u8, &str)> {
    route
        .segments
        .iter()
        .map(|s| match s {
            Segment::Static(name) => (0, name.as_str()),
            Segment::Param(_) => (1, ""),
        })
        .collect()
}

fn enum_order(route: &RouteInfo) -> (bool, Vec<(u8, &str)>) {
    (route.kind == RouteKind::NotFound, match_order(route))
}

/// The normal components of a relative path, or `None` for absolute paths, `..` and names
/// that are not UTF-8.
fn relative_parts(path: &Path) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => parts.push(name.to_str()?.to_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Lowercase ASCII words of letters and digits separated by single `_`, starting with a letter.
fn is_word_label(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('_').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A page file or directory name: a word label, optionally with one trailing `_`.
fn is_segment_name(name: &str) -> bool {
    is_word_label(name.strip_suffix('_').unwrap_or(name))
}

/// The parameter of a dynamic segment name (`id_` → `id`); `home_` and `not_found_` are not
/// dynamic.
fn param_name(name: &str) -> Option<&str> {
    if name == HOME_FILE || name == NOT_FOUND_FILE {
        return None;
    }
    name.strip_suffix('_')
}

fn parse_url_prefix(prefix: &str) -> Option<Vec<String>> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() {
        return Some(Vec::new());
    }
    let rest = trimmed.strip_prefix('/')?;
    rest.split('/')
        .map(|segment| {
            let valid = !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
            valid.then(|| segment.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("sign_in"), "SignIn");
        assert_eq!(snake_case("SuperAdmin"), "super_admin");
        assert!(is_segment_name("id_"));
        assert!(is_segment_name("sign_in"));
        assert!(is_segment_name("v2"));
        assert!(!is_segment_name("sign__in"));
        assert!(!is_segment_name("id__"));
        assert!(!is_segment_name("_id"));
        assert!(!is_segment_name("Games"));
        assert!(!is_segment_name("2fa"));
        assert!(!is_segment_name("sign-in"));
        assert_eq!(parse_url_prefix("/admin/"), Some(vec!["admin".to_owned()]));
        assert_eq!(parse_url_prefix("/"), Some(vec![]));
        assert_eq!(parse_url_prefix("admin"), None);
        assert_eq!(parse_url_prefix("/a//b"), None);
    }

    #[test]
    fn page_files() {
        assert!(is_page_file(Path::new("games/id_.rs")));
        assert!(!is_page_file(Path::new("games/mod.rs")));
        assert!(!is_page_file(Path::new("games/sql/helper.rs")));
        assert!(!is_page_file(Path::new("games/list.sql")));
        assert!(!is_page_file(Path::new(".#games.rs")));
        assert!(is_page_file(Path::new("sql.rs")));
    }
}
