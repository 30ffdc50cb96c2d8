//! Reading one page module: which parts of the page contract it defines, checked against the
//! rules in `docs/pages.md`.

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::{Fields, FnArg, Item, ItemEnum, ItemFn, ReturnType, Type};

use crate::error::{Problems, line_of};

/// A page module as found on disk.
pub struct PageSource {
    /// The mount (`public`).
    pub mount: String,
    /// Module path below `<mount>::pages` (`["games", "id_"]`).
    pub module: Vec<String>,
    /// The file, relative to the app root.
    pub file: PathBuf,
    /// Its syntax tree.
    pub ast: syn::File,
}

/// What a page defines.
#[derive(Debug, Clone)]
pub struct Page {
    /// The mount.
    pub mount: String,
    /// Module path below `<mount>::pages`.
    pub module: Vec<String>,
    /// The file, relative to the app root.
    pub file: PathBuf,
    /// Arguments of `initial_model`: 2 (shared, query) or 3 (shared, params, query).
    pub init_args: usize,
    /// Line of `initial_model`, for errors found later.
    pub init_line: usize,
    /// The server side, if the page defines `ServerMsg`.
    pub server: Option<ServerSide>,
    /// Arguments of `broadcast_subscriptions`: 0 (not defined), 1 (model) or 2 (params, model).
    pub subscription_args: usize,
    /// Whether `apply_broadcast` is defined.
    pub apply_broadcast: bool,
    /// `Navigate…` variants of `Message`: name and named fields.
    pub navigations: Vec<(String, Vec<(String, Type)>)>,
    /// For an alias page (`pub type Model = super::games::Model;`), the module of the page it
    /// aliases, whose load it shares.
    pub alias_of: Option<Vec<String>>,
    /// Line of the `Model` alias, for errors found later.
    pub alias_line: usize,
}

/// A page's server contract.
#[derive(Debug, Clone)]
pub struct ServerSide {
    /// The `Load` variant's named fields (the load's arguments), if there is one.
    pub load: Option<Vec<(String, Type)>>,
    /// Whether `Load` is a unit variant (`ServerMsg::Load`) rather than `Load { .. }`.
    pub load_is_unit: bool,
    /// The save result type (`Ok` of `handle_save`), if the page saves.
    pub save_ok: Option<Type>,
    /// Whether `after_save` is defined.
    pub after_save: bool,
    /// The `ServerMsg` enum.
    pub server_msg: ItemEnum,
}

impl Page {
    /// The page's name on the wire: `public/pages/games/id_`.
    pub fn wire_name(&self) -> String {
        format!("{}/pages/{}", self.mount, self.module.join("/"))
    }

    /// The snake-case name used in generated function names: `public_games_id`.
    pub fn snake(&self) -> String {
        let mut parts = vec![self.mount.clone()];
        parts.extend(
            self.module
                .iter()
                .map(|m| m.trim_end_matches('_').to_owned()),
        );
        parts.retain(|p| !p.is_empty());
        parts.join("_")
    }
}

fn is_server_cfg(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let text = quote::ToTokens::to_token_stream(&a.meta)
                .to_string()
                .replace(' ', "");
            text.contains("feature=\"server\"")
        }
    })
}

fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && quote::ToTokens::to_token_stream(&a.meta)
                .to_string()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == name)
    })
}

struct Items<'a> {
    types: Vec<(String, usize, Option<&'a ItemEnum>, &'a [syn::Attribute])>,
    fns: Vec<&'a ItemFn>,
}

fn items(ast: &syn::File) -> Items<'_> {
    let mut out = Items {
        types: Vec::new(),
        fns: Vec::new(),
    };
    for item in &ast.items {
        match item {
            Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                out.types
                    .push((s.ident.to_string(), line_of(s.ident.span()), None, &s.attrs));
            }
            Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                out.types.push((
                    e.ident.to_string(),
                    line_of(e.ident.span()),
                    Some(e),
                    &e.attrs,
                ));
            }
            Item::Type(t) if matches!(t.vis, syn::Visibility::Public(_)) => {
                out.types
                    .push((t.ident.to_string(), line_of(t.ident.span()), None, &t.attrs));
            }
            Item::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => out.fns.push(f),
            _ => {}
        }
    }
    out
}

impl Items<'_> {
    fn ty(&self, name: &str) -> Option<&(String, usize, Option<&ItemEnum>, &[syn::Attribute])> {
        self.types.iter().find(|t| t.0 == name)
    }

    fn func(&self, name: &str) -> Option<&ItemFn> {
        self.fns.iter().copied().find(|f| f.sig.ident == name)
    }
}

fn arity(f: &ItemFn) -> usize {
    f.sig
        .inputs
        .iter()
        .filter(|a| matches!(a, FnArg::Typed(_)))
        .count()
}

/// The `T` of a `Result<T, _>` return type.
fn ok_type(f: &ItemFn) -> Option<Type> {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    let Type::Path(p) = ty.as_ref() else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// Reads a page's contract, adding what is wrong to `problems`.
pub fn read(source: &PageSource, problems: &mut Problems) -> Option<Page> {
    let file = &source.file;
    let items = items(&source.ast);
    let before = problems.0.len();
    for (name, what) in [
        ("Model", "the page's state"),
        ("Message", "the page's messages"),
    ] {
        if items.ty(name).is_none() {
            problems.push(
                file,
                0,
                format!("missing `pub struct {name}` or `pub enum {name}` ({what})"),
                format!("define `{name}` in this page module"),
            );
        }
    }
    if let Some((_, line, Some(_), attrs)) = items.ty("Message")
        && !derives(attrs, "Clone")
    {
        problems.push(
            file,
            *line,
            "`Message` does not derive `Clone`",
            "add `#[derive(Clone)]` to `Message`",
        );
    }
    let init = items.func("initial_model");
    let init_args = init.map_or(0, arity);
    match init {
        None => problems.push(file, 0, "missing `pub fn initial_model`", "add `pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model` (dynamic routes take `params` second)"),
        Some(f) if !(2..=3).contains(&init_args) => problems.push(file, line_of(f.sig.ident.span()), format!("`initial_model` takes {init_args} arguments"), "take `(shared, query)`, or `(shared, params, query)` on a dynamic route"),
        _ => {}
    }
    for (name, args, sig) in [
        (
            "update",
            2,
            "pub fn update(model: &mut Model, msg: Message) -> Effect<Message>",
        ),
        ("view", 1, "pub fn view(model: &Model) -> Element<Message>"),
    ] {
        match items.func(name) {
            None => problems.push(
                file,
                0,
                format!("missing `pub fn {name}`"),
                format!("add `{sig}`"),
            ),
            Some(f) if arity(f) != args => problems.push(
                file,
                line_of(f.sig.ident.span()),
                format!("`{name}` takes {} arguments", arity(f)),
                format!("its signature is `{sig}`"),
            ),
            _ => {}
        }
    }
    let server = read_server(file, &items, problems);
    let (alias_of, alias_line) = match alias_target(&source.ast, &source.mount, &source.module) {
        None => (None, 0),
        Some(Ok((target, line))) => (Some(target), line),
        Some(Err(line)) => {
            problems.push(
                file,
                line,
                "`Model` aliases another module's `Model` by a path codegen cannot follow to a page of this mount",
                "spell the alias from this module (`pub type Model = super::games::Model;` or `crate::<mount>::pages::games::Model`), not through a `use`; or define `pub struct Model`",
            );
            (None, line)
        }
    };
    if alias_of.is_some() && server.is_some() {
        problems.push(
            file,
            alias_line,
            "an alias page (its `Model` is another page's) also defines `ServerMsg`",
            "remove `ServerMsg`: an alias page loads with the page it aliases",
        );
    }
    let navigations = match items.ty("Message") {
        Some((_, _, Some(e), _)) => navigations(e),
        _ => Vec::new(),
    };
    if problems.0.len() > before {
        return None;
    }
    Some(Page {
        mount: source.mount.clone(),
        module: source.module.clone(),
        file: file.clone(),
        init_args,
        init_line: init.map_or(0, |f| line_of(f.sig.ident.span())),
        server,
        subscription_args: items.func("broadcast_subscriptions").map_or(0, arity),
        apply_broadcast: items.func("apply_broadcast").is_some(),
        navigations,
        alias_of,
        alias_line,
    })
}

/// The module a `pub type Model = <module>::Model;` alias points into, resolved against the
/// page's own module (`super::games` from `home_` is `games`), with the alias's line.
/// `Err(line)`: it names a `Model` in a module path that leads outside the mount's pages.
fn alias_target(
    ast: &syn::File,
    mount: &str,
    module: &[String],
) -> Option<Result<(Vec<String>, usize), usize>> {
    let alias = ast.items.iter().find_map(|item| match item {
        Item::Type(t) if t.ident == "Model" => Some(t),
        _ => None,
    })?;
    let line = line_of(alias.ident.span());
    let Type::Path(path) = alias.ty.as_ref() else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    // Only `…::Model` with a module path is an alias of a page; other aliases are plain models.
    let (last, parents) = segments.split_last()?;
    if last != "Model" || parents.is_empty() {
        return None;
    }
    let mut resolved: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let mut rest = parents;
    if rest[0] == "crate" {
        // `crate::<mount>::pages::…`
        if rest.len() < 4 || rest[1] != mount || rest[2] != "pages" {
            return Some(Err(line));
        }
        resolved.clear();
        rest = &rest[3..];
    } else if rest[0] == "super" {
        // `resolved` is already the parent: the first `super`; each further one goes up.
        rest = &rest[1..];
        while rest.first().is_some_and(|s| s == "super") {
            if resolved.pop().is_none() {
                return Some(Err(line));
            }
            rest = &rest[1..];
        }
    } else {
        // `games::Model` through a `use`: codegen reads paths, not imports.
        return Some(Err(line));
    }
    if rest.is_empty() {
        return Some(Err(line));
    }
    resolved.extend(rest.iter().cloned());
    Some(Ok((resolved, line)))
}

fn navigations(message: &ItemEnum) -> Vec<(String, Vec<(String, Type)>)> {
    message
        .variants
        .iter()
        .filter(|v| v.ident.to_string().starts_with("Navigate") && v.ident != "Navigate")
        .map(|v| {
            let fields = match &v.fields {
                Fields::Named(n) => n
                    .named
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                    .collect(),
                _ => Vec::new(),
            };
            (v.ident.to_string(), fields)
        })
        .collect()
}

fn read_server(file: &Path, items: &Items<'_>, problems: &mut Problems) -> Option<ServerSide> {
    let (_, line, server_msg, attrs) = items.ty("ServerMsg")?;
    let (line, server_msg, attrs) = (*line, *server_msg, *attrs);
    let Some(server_msg) = server_msg else {
        problems.push(
            file,
            line,
            "`ServerMsg` is not an enum",
            "make it `pub enum ServerMsg { Load, … }`",
        );
        return None;
    };
    if !derives(attrs, "Serialize") || !derives(attrs, "Deserialize") {
        problems.push(
            file,
            line,
            "`ServerMsg` does not derive `Serialize` and `Deserialize`",
            "add `#[derive(Serialize, Deserialize)]` (serde) to `ServerMsg`",
        );
    }
    let load_variant = server_msg.variants.iter().find(|v| v.ident == "Load");
    let mut load = None;
    let mut load_is_unit = false;
    if let Some(v) = load_variant {
        match &v.fields {
            Fields::Unit => {
                load = Some(Vec::new());
                load_is_unit = true;
            }
            Fields::Named(named) => {
                load = Some(
                    named
                        .named
                        .iter()
                        .filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone())))
                        .collect(),
                );
            }
            Fields::Unnamed(_) => problems.push(
                file,
                line_of(v.ident.span()),
                "`ServerMsg::Load` has unnamed fields",
                "name them after the route's parameters: `Load { id: i64 }`",
            ),
        }
        if items.ty("LoadResult").is_none() {
            problems.push(file, line_of(v.ident.span()), "`ServerMsg::Load` but no `LoadResult`", "define `pub struct LoadResult` (or `pub type LoadResult = …`), the data `load` returns");
        }
        let (_, _, message, _) = items.ty("Message")?;
        if let Some(message) = message
            && !message.variants.iter().any(|v| v.ident == "Loaded")
        {
            problems.push(file, line_of(message.ident.span()), "`Message` has no `Loaded` variant", "add `Loaded(Result<LoadResult, LoadError>)`: Rally delivers the load's result with it");
        }
        check_server_fn(
            file,
            items,
            "load",
            load.as_ref().map_or(0, Vec::len) + 1,
            "pub fn load(db: &Db, <Load's fields in order>) -> Result<LoadResult, LoadError>",
            problems,
        );
    }
    let saves = server_msg.variants.iter().any(|v| v.ident != "Load");
    let mut save_ok = None;
    if saves {
        check_server_fn(
            file,
            items,
            "handle_save",
            2,
            "pub fn handle_save(db: &Db, msg: ServerMsg) -> Result<SaveOk, SaveError>",
            problems,
        );
        if let Some(f) = items.func("handle_save") {
            save_ok = ok_type(f);
            if save_ok.is_none() {
                problems.push(
                    file,
                    line_of(f.sig.output.span()),
                    "`handle_save` does not return `Result<…, SaveError>`",
                    "return `Result<YourSaveResult, SaveError>`",
                );
            }
        }
    }
    let after_save = items.func("after_save").is_some();
    if after_save {
        check_server_fn(
            file,
            items,
            "after_save",
            2,
            "pub fn after_save(db: &Db, ok: &SaveOk) -> Option<TargetedEvent>",
            problems,
        );
    }
    Some(ServerSide {
        load,
        load_is_unit,
        save_ok,
        after_save,
        server_msg: server_msg.clone(),
    })
}

fn check_server_fn(
    file: &Path,
    items: &Items<'_>,
    name: &str,
    args: usize,
    sig: &str,
    problems: &mut Problems,
) {
    match items.func(name) {
        None => problems.push(
            file,
            0,
            format!("missing `{name}`"),
            format!("add `#[cfg(feature = \"server\")] {sig}`"),
        ),
        Some(f) => {
            let line = line_of(f.sig.ident.span());
            if arity(f) != args {
                problems.push(
                    file,
                    line,
                    format!("`{name}` takes {} arguments, expected {args}", arity(f)),
                    format!("its signature is `{sig}`"),
                );
            }
            if !is_server_cfg(&f.attrs) {
                problems.push(
                    file,
                    line,
                    format!("`{name}` is compiled into the browser bundle"),
                    "put `#[cfg(feature = \"server\")]` on it: it runs on the server only",
                );
            }
        }
    }
}
