//! Reading one page module: which parts of the page contract it defines, checked against the
//! rules in `docs/pages.md`.

use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::{Fields, Item, ItemEnum, ItemFn, Type};

use crate::error::{Problems, line_of};
use crate::signature::{self, Arg};

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
    /// Whether the page defines `init` (same arguments as `initial_model`, returns the model
    /// and a start-up effect).
    pub init: bool,
    /// Whether `update` takes the shared state first (3 arguments).
    pub update_shared: bool,
    /// Whether the page defines `head(model) -> Head`.
    pub head: bool,
    /// Who may open the page: whether it defines `ACCESS`, and `authorize`'s arguments (2:
    /// context and identity, 3: also the route's params), if it defines it.
    pub access: Access,
    /// The variant of the page's route (`GamesId`), once the routes are known.
    pub route_variant: Option<String>,
    /// For an alias page without a rule of its own: the aliased page, whose rule it follows.
    pub access_from: Option<Vec<String>>,
    /// Line of `initial_model`, for errors found later.
    pub init_line: usize,
    /// The server side, if the page defines `ServerMsg`.
    pub server: Option<ServerSide>,
    /// Arguments of `broadcast_subscriptions`: 0 (not defined), 1 (model) or 2 (params, model).
    pub subscription_args: usize,
    /// Line of `broadcast_subscriptions`, for errors found later.
    pub subscriptions_line: usize,
    /// Whether `apply_broadcast` is defined.
    pub apply_broadcast: bool,
    /// Line of `Message`, for errors about its variants.
    pub message_line: usize,
    /// `Navigate…` variants of `Message`: name and named fields.
    pub navigations: Vec<(String, Vec<(String, Type)>)>,
    /// For an alias page (`pub type Model = super::games::Model;`), the module of the page it
    /// aliases, whose load it shares.
    pub alias_of: Option<Vec<String>>,
    /// Line of the `Model` alias, for errors found later.
    pub alias_line: usize,
    /// The alias is the whole page (`pub use super::games::*;`): its functions are the aliased
    /// page's, so it follows that page's contract in every respect.
    pub whole_alias: bool,
    /// For a page whose `Model` derives `Serialize` and `Deserialize`: a fingerprint of the
    /// types the page file defines, so `cargo rally dev` restores a model after a rebuild only
    /// while those types are unchanged.
    pub state: Option<String>,
}

/// A page's access rule, as declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// The page defines `pub const ACCESS: Access`.
    pub constant: bool,
    /// `authorize`'s arguments, if the page defines it.
    pub authorize: Option<usize>,
    /// Line of `authorize` (or `ACCESS`), for errors found later.
    pub line: usize,
    /// `owns_topic`, if the page defines it: the topics that follow the page's rule.
    pub owns_topic: Option<OwnsTopic>,
    /// Line of `owns_topic`, for errors found later.
    pub owns_topic_line: usize,
}

/// What a page's `owns_topic(topic: &str)` answers for a topic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnsTopic {
    /// `-> bool`: the topic is the page's; the page's rule (without params) decides.
    Bool,
    /// `-> Option<…Params>`: the route's params the topic stands for, so `authorize` can
    /// judge it as it would the page at those params. Holds the params type as written.
    Params(String),
}

impl Access {
    /// Whether the page has a rule beyond its mount's.
    pub fn is_restricted(&self) -> bool {
        self.constant || self.authorize.is_some()
    }
}

/// A page's server contract.
#[derive(Debug, Clone)]
pub struct ServerSide {
    /// The `Load` variant's named fields (the load's arguments), if there is one.
    pub load: Option<Vec<(String, Type)>>,
    /// Whether `Load` is a unit variant (`ServerMsg::Load`) rather than `Load { .. }`.
    pub load_is_unit: bool,
    /// Line of the `Load` variant, for errors found later.
    pub load_line: usize,
    /// Line of `handle_save`, for errors found later.
    pub save_line: usize,
    /// Whether `load` takes the caller (`&Caller`) after the context.
    pub load_caller: bool,
    /// Whether `handle_save` takes the caller.
    pub save_caller: bool,
    /// Whether `after_save` takes the caller.
    pub after_save_caller: bool,
    /// `T` when the saves are `ServerMsg::Save(T)`: `handle_save` takes the `T`, and the save
    /// helper wraps it.
    pub save_payload: Option<Type>,
    /// The save result type as the page names it, resolved through the page's `use`s to a
    /// path from the crate root where it was imported.
    pub save_ok_path: Option<Type>,
    /// The save result type (`Ok` of `handle_save`), if the page saves.
    pub save_ok: Option<Type>,
    /// Whether `after_save` is defined.
    pub after_save: bool,
    /// The `ServerMsg` enum.
    pub server_msg: ItemEnum,
}

impl Page {
    /// A one-line alias page (`pub use super::games::*;`): everything but its route is the
    /// aliased page's, copied once that page is read.
    fn glob_alias(source: &PageSource, target: Vec<String>, line: usize) -> Page {
        Page {
            mount: source.mount.clone(),
            module: source.module.clone(),
            file: source.file.clone(),
            init_args: 0,
            init: false,
            update_shared: false,
            head: false,
            access: Access::default(),
            access_from: None,
            route_variant: None,
            init_line: line,
            server: None,
            subscription_args: 0,
            subscriptions_line: line,
            apply_broadcast: false,
            message_line: line,
            navigations: Vec::new(),
            alias_of: Some(target),
            alias_line: line,
            whole_alias: true,
            state: None,
        }
    }

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
    /// Every top-level function, public or not (a private contract function is reported).
    fns: Vec<&'a ItemFn>,
    /// Constants' names, lines, and whether they are public.
    consts: Vec<(String, usize, bool)>,
    /// Names imported with `use` and the paths they stand for.
    uses: Vec<(String, Vec<String>)>,
}

fn items(ast: &syn::File) -> Items<'_> {
    let mut out = Items {
        types: Vec::new(),
        fns: Vec::new(),
        consts: Vec::new(),
        uses: Vec::new(),
    };
    for item in &ast.items {
        match item {
            Item::Struct(s) if is_pub(&s.vis) => {
                out.types
                    .push((s.ident.to_string(), line_of(s.ident.span()), None, &s.attrs));
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                out.types.push((
                    e.ident.to_string(),
                    line_of(e.ident.span()),
                    Some(e),
                    &e.attrs,
                ));
            }
            Item::Type(t) if is_pub(&t.vis) => {
                out.types
                    .push((t.ident.to_string(), line_of(t.ident.span()), None, &t.attrs));
            }
            Item::Const(c) => {
                out.consts
                    .push((c.ident.to_string(), line_of(c.ident.span()), is_pub(&c.vis)));
            }
            Item::Fn(f) => out.fns.push(f),
            Item::Use(u) => flatten_use(&u.tree, &mut Vec::new(), &mut out.uses),
            _ => {}
        }
    }
    out
}

fn arity(f: &ItemFn) -> usize {
    signature::args(f).len()
}

/// The `T` of a `Result<T, _>` return type.
fn ok_type(f: &ItemFn) -> Option<Type> {
    (signature::returns(f) == "Result")
        .then(|| signature::returned_arg(f))
        .flatten()
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// `use a::{b::C, D as E};` → `[("C", [a, b, C]), ("E", [a, D])]`.
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((n.ident.to_string(), path));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push((r.rename.to_string(), path));
        }
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                flatten_use(tree, prefix, out);
            }
        }
        syn::UseTree::Glob(_) => {}
    }
}

impl<'a> Items<'a> {
    fn ty(&self, name: &str) -> Option<&(String, usize, Option<&ItemEnum>, &[syn::Attribute])> {
        self.types.iter().find(|t| t.0 == name)
    }

    /// A public function of the contract; a private one with the name is reported (once) as
    /// needing `pub`, and treated as present so no second error follows.
    fn func(&self, name: &str) -> Option<&'a ItemFn> {
        self.fns.iter().copied().find(|f| f.sig.ident == name)
    }

    /// The line of a public constant.
    fn constant(&self, name: &str) -> Option<usize> {
        self.consts.iter().find(|c| c.0 == name && c.2).map(|c| c.1)
    }
}

/// The contract's functions (and `ACCESS`) that must be `pub`; each private one is reported at
/// its line. A private `ACCESS` would leave the page public without a word.
fn check_visibility(file: &Path, items: &Items<'_>, problems: &mut Problems) {
    for (name, line, public) in &items.consts {
        if name == "ACCESS" && !public {
            problems.push(
                file,
                *line,
                "`ACCESS` is not `pub`, so Rally cannot see it and the page would be open to everyone",
                "make it `pub const ACCESS: Access = …;`",
            );
        }
    }
    const CONTRACT: [&str; 12] = [
        "initial_model",
        "init",
        "update",
        "view",
        "head",
        "broadcast_subscriptions",
        "apply_broadcast",
        "load",
        "handle_save",
        "after_save",
        "authorize",
        "owns_topic",
    ];
    for f in &items.fns {
        let name = f.sig.ident.to_string();
        if CONTRACT.contains(&name.as_str()) && !is_pub(&f.vis) {
            problems.push(
                file,
                line_of(f.sig.ident.span()),
                format!("`{name}` is private, so the generated code cannot call it"),
                format!("make it `pub fn {name}`"),
            );
        }
    }
}

/// The context type pages receive, as signatures name it.
#[derive(Debug, Clone, Copy)]
pub struct ContextType {
    /// Accepted last path segments of the type behind `&`.
    pub names: &'static [&'static str],
    /// How the expected signature spells it.
    pub shown: &'static str,
}

impl ContextType {
    /// The app defines `src/context.rs`: `&Context`.
    pub const APP: ContextType = ContextType {
        names: &["Context"],
        shown: "&Context",
    };
    /// No app context: `&Db`.
    pub const DB: ContextType = ContextType {
        names: &["Db"],
        shown: "&Db",
    };
}

/// Checks `f`'s arguments against `expected`, reporting the first misfit at the function with
/// the whole expected signature.
fn check_args(file: &Path, f: &ItemFn, expected: &[Arg], sig: &str, problems: &mut Problems) {
    let name = f.sig.ident.to_string();
    let count = signature::args(f).len();
    if count != expected.len() {
        problems.push(
            file,
            line_of(f.sig.ident.span()),
            format!(
                "`{name}` takes {count} arguments, expected {}",
                expected.len()
            ),
            format!("its signature is `{sig}`"),
        );
    } else if let Some((i, written)) = signature::mismatch(f, expected) {
        problems.push(
            file,
            line_of(f.sig.ident.span()),
            format!(
                "`{name}`'s {} argument is `{written}`, which does not fit the contract",
                signature::ordinal(i)
            ),
            format!("its signature is `{sig}`"),
        );
    }
}

/// Checks that `load`'s arguments after the context (and caller) have the types of
/// `ServerMsg::Load`'s fields, in order: those fields type the route's parameters and are
/// passed to `load` as they are, so a different type would only fail later, in generated code.
fn check_load_params(
    file: &Path,
    f: &ItemFn,
    skip: usize,
    load_fields: &[(String, syn::Type)],
    problems: &mut Problems,
) {
    let spelled = |ty: &syn::Type| {
        quote::ToTokens::to_token_stream(ty)
            .to_string()
            .replace(' ', "")
    };
    let args: Vec<&syn::FnArg> = f.sig.inputs.iter().skip(skip).collect();
    for (arg, (name, field_ty)) in args.into_iter().zip(load_fields) {
        let syn::FnArg::Typed(arg) = arg else {
            continue;
        };
        let (got, want) = (spelled(&arg.ty), spelled(field_ty));
        if got != want {
            problems.push(
                file,
                line_of(syn::spanned::Spanned::span(&arg.ty)),
                format!("`load` takes `{got}` where `ServerMsg::Load` has `{name}: {want}`"),
                format!("give both the same type: `{name}: {want}` (the route parameter's type comes from `Load`)"),
            );
        }
    }
}

/// Checks that `f` returns a type ending in `want` (`"(..)"` for a tuple).
fn check_return(file: &Path, f: &ItemFn, want: &str, sig: &str, problems: &mut Problems) {
    let got = signature::returns(f);
    if got != want {
        let name = f.sig.ident.to_string();
        let want = if want == "(..)" {
            "(Model, Effect<Message>)"
        } else {
            want
        };
        let shown = if got == "()" {
            "nothing".to_owned()
        } else {
            format!(
                "`{}`",
                quote::ToTokens::to_token_stream(&f.sig.output)
                    .to_string()
                    .trim_start_matches("-> ")
                    .to_owned()
            )
        };
        problems.push(
            file,
            line_of(f.sig.output.span()).max(line_of(f.sig.ident.span())),
            format!("`{name}` returns {shown}, expected `{want}`"),
            format!("its signature is `{sig}`"),
        );
    }
}

const SHARED: &[&str] = &["SharedState"];
const MODEL: &[&str] = &["Model"];
const MESSAGE: &[&str] = &["Message"];
const QUERY: &[&str] = &["QueryParams"];

/// `initial_model`'s and `init`'s arguments: `(shared, query)` or `(shared, params, query)`.
fn model_args(count: usize) -> Vec<Arg> {
    if count == 3 {
        vec![Arg::by_ref(SHARED), Arg::by_ref(&[]), Arg::by_ref(QUERY)]
    } else {
        vec![Arg::by_ref(SHARED), Arg::by_ref(QUERY)]
    }
}

/// Reads a page's contract, adding what is wrong to `problems`.
pub fn read(source: &PageSource, context: ContextType, problems: &mut Problems) -> Option<Page> {
    let file = &source.file;
    match glob_alias(&source.ast, &source.mount, &source.module) {
        Some(Ok((target, line))) => return Some(Page::glob_alias(source, target, line)),
        Some(Err(line)) => {
            problems.push(
                file,
                line,
                "`pub use …::*` re-exports a module codegen cannot follow to a page of this mount",
                "name the page this one shows from here: `pub use super::games::*;` (or `crate::<mount>::pages::games::*`)",
            );
            return None;
        }
        None => {}
    }
    let items = items(&source.ast);
    let before = problems.0.len();
    check_visibility(file, &items, problems);
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
    let initial = items.func("initial_model");
    let init_args = initial.map_or(0, arity);
    const INITIAL_SIG: &str = "pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model`, or on a dynamic route `pub fn initial_model(shared: &SharedState, params: &…Params, query: &QueryParams) -> Model";
    match initial {
        None => problems.push(file, 0, "missing `pub fn initial_model`", "add `pub fn initial_model(shared: &SharedState, query: &QueryParams) -> Model` (dynamic routes take `params` second)"),
        Some(f) if !(2..=3).contains(&init_args) => problems.push(file, line_of(f.sig.ident.span()), format!("`initial_model` takes {init_args} arguments"), "take `(shared, query)`, or `(shared, params, query)` on a dynamic route"),
        Some(f) => {
            check_args(file, f, &model_args(init_args), INITIAL_SIG, problems);
            check_return(file, f, "Model", INITIAL_SIG, problems);
        }
    }
    let init = items.func("init");
    if let Some(f) = init {
        let sig = "pub fn init(shared: &SharedState, query: &QueryParams) -> (Model, Effect<Message>)`, with `params` second on a dynamic route, as `initial_model";
        if arity(f) != init_args {
            problems.push(
                file,
                line_of(f.sig.ident.span()),
                format!(
                    "`init` takes {} arguments but `initial_model` takes {init_args}",
                    arity(f)
                ),
                format!("take the same arguments as `initial_model`: `{sig}`"),
            );
        } else {
            check_args(file, f, &model_args(init_args), sig, problems);
            check_return(file, f, "(..)", sig, problems);
        }
    }
    let update = items.func("update");
    let update_shared = update.is_some_and(|f| arity(f) == 3);
    match update {
        None => problems.push(
            file,
            0,
            "missing `pub fn update`",
            "add `pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`",
        ),
        Some(f) => {
            let sig = "pub fn update(model: &mut Model, msg: Message) -> Effect<Message>`, or with the shared state `pub fn update(shared: &SharedState, model: &mut Model, msg: Message) -> Effect<Message>";
            let expected: &[Arg] = if update_shared {
                &[Arg::by_ref(SHARED), Arg::by_mut(MODEL), Arg::owned(MESSAGE)]
            } else {
                &[Arg::by_mut(MODEL), Arg::owned(MESSAGE)]
            };
            check_args(file, f, expected, sig, problems);
            check_return(file, f, "Effect", sig, problems);
        }
    }
    match items.func("view") {
        None => problems.push(
            file,
            0,
            "missing `pub fn view`",
            "add `pub fn view(model: &Model) -> Element<Message>`",
        ),
        Some(f) => {
            let sig = "pub fn view(model: &Model) -> Element<Message>";
            check_args(file, f, &[Arg::by_ref(MODEL)], sig, problems);
            check_return(file, f, "Element", sig, problems);
        }
    }
    let head = items.func("head");
    if let Some(f) = head {
        let sig = "pub fn head(model: &Model) -> rally::page::Head";
        check_args(file, f, &[Arg::by_ref(MODEL)], sig, problems);
        check_return(file, f, "Head", sig, problems);
    }
    let access = read_access(file, &items, context, problems);
    let server = read_server(file, &items, context, problems);
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
    let server = server.map(|mut server| {
        server.save_ok_path = server.save_ok.as_ref().map(|ty| {
            crate::resolve::absolute_type(ty, &items.uses, &source.mount, &source.module)
        });
        server.save_payload = server.save_payload.as_ref().map(|ty| {
            crate::resolve::absolute_type(ty, &items.uses, &source.mount, &source.module)
        });
        server
    });
    Some(Page {
        mount: source.mount.clone(),
        module: source.module.clone(),
        file: file.clone(),
        init_args,
        init: init.is_some(),
        update_shared,
        head: head.is_some(),
        access,
        access_from: None,
        route_variant: None,
        init_line: initial.map_or(0, |f| line_of(f.sig.ident.span())),
        server,
        subscription_args: items.func("broadcast_subscriptions").map_or(0, arity),
        subscriptions_line: items
            .func("broadcast_subscriptions")
            .map_or(0, |f| line_of(f.sig.ident.span())),
        apply_broadcast: items.func("apply_broadcast").is_some(),
        message_line: items.ty("Message").map_or(0, |t| t.1),
        navigations,
        alias_of,
        alias_line,
        whole_alias: false,
        state: model_state(&source.ast, &items),
    })
}

/// The dev-state fingerprint of a page whose `Model` is serde (see [`Page::state`]): FNV-1a
/// over the tokens of every struct, enum and type alias the file defines except `Message`
/// (a changed `view` or `update` keeps it; a changed field does not).
fn model_state(ast: &syn::File, items: &Items<'_>) -> Option<String> {
    let (_, _, _, attrs) = items.ty("Model")?;
    if !derives(attrs, "Serialize") || !derives(attrs, "Deserialize") {
        return None;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for item in &ast.items {
        let tokens = match item {
            syn::Item::Struct(s) => quote::ToTokens::to_token_stream(s),
            syn::Item::Enum(e) if e.ident != "Message" => quote::ToTokens::to_token_stream(e),
            syn::Item::Type(t) => quote::ToTokens::to_token_stream(t),
            _ => continue,
        };
        for byte in tokens.to_string().bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Some(format!("{hash:016x}"))
}

/// `ACCESS` and `authorize`: `authorize(ctx: &Context, user: &Identity) -> bool`, on a
/// dynamic route optionally with `params: &…Params` third.
fn read_access(
    file: &Path,
    items: &Items<'_>,
    context: ContextType,
    problems: &mut Problems,
) -> Access {
    let constant = items.constant("ACCESS");
    let authorize = items.func("authorize");
    if let Some(f) = authorize {
        let sig = format!(
            "#[cfg(feature = \"server\")] pub fn authorize(ctx: {ctx}, user: &Identity) -> bool`, or on a dynamic route `pub fn authorize(ctx: {ctx}, user: &Identity, params: &…Params) -> bool",
            ctx = context.shown
        );
        let expected = [
            Arg::by_ref(context.names),
            Arg::by_ref(&["Identity"]),
            Arg::by_ref(&[]),
        ];
        let n = arity(f);
        if !(2..=3).contains(&n) {
            problems.push(
                file,
                line_of(f.sig.ident.span()),
                format!("`authorize` takes {n} arguments"),
                format!("its signature is `{sig}`"),
            );
        } else {
            check_args(file, f, &expected[..n], &sig, problems);
            check_return(file, f, "bool", &sig, problems);
            server_only(file, f, problems);
        }
    }
    let owns_topic = items.func("owns_topic");
    if let Some(f) = owns_topic {
        let sig = "#[cfg(feature = \"server\")] pub fn owns_topic(topic: &str) -> bool`, or when `authorize` takes the route's params `pub fn owns_topic(topic: &str) -> Option<…Params>";
        check_args(file, f, &[Arg::by_ref(&["str"])], sig, problems);
        if !matches!(signature::returns(f).as_str(), "bool" | "Option") {
            check_return(file, f, "bool", sig, problems);
        }
        server_only(file, f, problems);
    }
    Access {
        constant: constant.is_some(),
        owns_topic: owns_topic.map(|f| {
            if signature::returns(f) == "Option" {
                let inner = signature::returned_arg(f)
                    .map(|t| {
                        quote::ToTokens::to_token_stream(&t)
                            .to_string()
                            .replace(' ', "")
                    })
                    .unwrap_or_default();
                OwnsTopic::Params(inner)
            } else {
                OwnsTopic::Bool
            }
        }),
        owns_topic_line: owns_topic.map_or(0, |f| line_of(f.sig.ident.span())),
        authorize: authorize.map(arity),
        line: authorize
            .map(|f| line_of(f.sig.ident.span()))
            .or(constant)
            .unwrap_or(0),
    }
}

fn server_only(file: &Path, f: &ItemFn, problems: &mut Problems) {
    if !is_server_cfg(&f.attrs) {
        problems.push(
            file,
            line_of(f.sig.ident.span()),
            format!("`{}` is compiled into the browser bundle", f.sig.ident),
            "put `#[cfg(feature = \"server\")]` on it: it runs on the server only",
        );
    }
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
    Some(
        resolve_page_module(parents, mount, module)
            .ok_or(line)
            .map(|m| (m, line)),
    )
}

/// A module path written in page `module` (`super::games`, `crate::<mount>::pages::games`) as
/// a page module of the mount (`["games"]`); `None` when it leads elsewhere.
fn resolve_page_module(parents: &[String], mount: &str, module: &[String]) -> Option<Vec<String>> {
    let mut resolved: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let mut rest = parents;
    match rest.first().map(String::as_str) {
        // `crate::<mount>::pages::…`
        Some("crate") => {
            if rest.len() < 4 || rest[1] != mount || rest[2] != "pages" {
                return None;
            }
            resolved.clear();
            rest = &rest[3..];
        }
        // `resolved` is already the parent: the first `super`; each further one goes up.
        Some("super") => {
            rest = &rest[1..];
            while rest.first().is_some_and(|s| s == "super") {
                resolved.pop()?;
                rest = &rest[1..];
            }
        }
        // `games::Model` through a `use`: codegen reads paths, not imports.
        _ => return None,
    }
    if rest.is_empty() {
        return None;
    }
    resolved.extend(rest.iter().cloned());
    Some(resolved)
}

/// The page a one-line alias page shows: `pub use super::games::*;` in a module that defines
/// no `Model` of its own re-exports that page's whole contract. `Err(line)`: the glob names a
/// module codegen cannot follow to a page of the mount.
fn glob_alias(
    ast: &syn::File,
    mount: &str,
    module: &[String],
) -> Option<Result<(Vec<String>, usize), usize>> {
    let defines_model = ast.items.iter().any(|item| match item {
        Item::Struct(s) => s.ident == "Model",
        Item::Enum(e) => e.ident == "Model",
        Item::Type(t) => t.ident == "Model",
        _ => false,
    });
    if defines_model {
        return None;
    }
    ast.items.iter().find_map(|item| {
        let Item::Use(u) = item else { return None };
        if !is_pub(&u.vis) {
            return None;
        }
        let mut path = Vec::new();
        let mut tree = &u.tree;
        loop {
            match tree {
                syn::UseTree::Path(p) => {
                    path.push(p.ident.to_string());
                    tree = &p.tree;
                }
                syn::UseTree::Glob(_) => break,
                _ => return None,
            }
        }
        let line = line_of(u.use_token.span);
        Some(
            resolve_page_module(&path, mount, module)
                .ok_or(line)
                .map(|m| (m, line)),
        )
    })
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

fn read_server(
    file: &Path,
    items: &Items<'_>,
    context: ContextType,
    problems: &mut Problems,
) -> Option<ServerSide> {
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
    let ctx = context.shown;
    let load_variant = server_msg.variants.iter().find(|v| v.ident == "Load");
    let mut load = None;
    let mut load_is_unit = false;
    let mut load_caller = false;
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
        let fields = load.as_ref().map_or(0, Vec::len);
        let sig = format!(
            "#[cfg(feature = \"server\")] pub fn load(ctx: {ctx}, [caller: &Caller,] <Load's fields in order>) -> Result<LoadResult, LoadError>"
        );
        if let Some(f) = required(
            file,
            items,
            ("load", line_of(v.ident.span())),
            &sig,
            problems,
        ) {
            load_caller = takes_caller(f);
            let mut expected = vec![Arg::by_ref(context.names)];
            if load_caller {
                expected.push(Arg::by_ref(&["Caller"]));
            }
            expected.extend(std::iter::repeat_n(Arg::any(), fields));
            check_args(file, f, &expected, &sig, problems);
            if let Some(load_fields) = &load {
                let skip = expected.len() - fields;
                check_load_params(file, f, skip, load_fields, problems);
            }
            check_return(file, f, "Result", &sig, problems);
        }
    }
    let saves = server_msg.variants.iter().any(|v| v.ident != "Load");
    let save_payload = save_payload(server_msg);
    let mut save_ok = None;
    let mut save_caller = false;
    if saves {
        let (msg, msg_type) = match &save_payload {
            Some(ty) => {
                let name = signature::last_name(ty).unwrap_or_default();
                (format!("save: {name}"), Some(name))
            }
            None => ("msg: ServerMsg".to_owned(), None),
        };
        let sig = format!(
            "#[cfg(feature = \"server\")] pub fn handle_save(ctx: {ctx}, [caller: &Caller,] {msg}) -> Result<SaveOk, SaveError>"
        );
        if let Some(f) = required(file, items, ("handle_save", line), &sig, problems) {
            save_caller = takes_caller(f);
            let message = if msg_type.is_some() {
                Arg::owned(&[])
            } else {
                Arg::owned(&["ServerMsg"])
            };
            let expected: &[Arg] = if save_caller {
                &[
                    Arg::by_ref(context.names),
                    Arg::by_ref(&["Caller"]),
                    message,
                ]
            } else {
                &[Arg::by_ref(context.names), message]
            };
            check_args(file, f, expected, &sig, problems);
            // `ServerMsg::Save(T)`: `handle_save` takes the `T`, not the whole `ServerMsg`.
            if let Some(want) = &msg_type
                && let Some(written) = signature::args(f).last()
                && signature::last_name(written).as_deref() != Some(want.as_str())
            {
                problems.push(
                    file,
                    line_of(f.sig.ident.span()),
                    format!(
                        "`handle_save` takes `{}`, but `ServerMsg::Save` carries `{want}`",
                        quote::ToTokens::to_token_stream(*written)
                    ),
                    format!("its signature is `{sig}`: Rally unwraps `ServerMsg::Save` for it"),
                );
            }
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
    let mut after_save_caller = false;
    let after_save = items.func("after_save");
    if let Some(f) = after_save {
        let sig = format!(
            "#[cfg(feature = \"server\")] pub fn after_save(ctx: {ctx}, [caller: &Caller,] ok: &SaveOk) -> Option<TargetedEvent>"
        );
        after_save_caller = takes_caller(f);
        let expected: &[Arg] = if after_save_caller {
            &[
                Arg::by_ref(context.names),
                Arg::by_ref(&["Caller"]),
                Arg::by_ref(&[]),
            ]
        } else {
            &[Arg::by_ref(context.names), Arg::by_ref(&[])]
        };
        check_args(file, f, expected, &sig, problems);
        check_return(file, f, "Option", &sig, problems);
        server_only(file, f, problems);
    }
    Some(ServerSide {
        load,
        load_is_unit,
        load_line: load_variant.map_or(line, |v| line_of(v.ident.span())),
        save_line: items
            .func("handle_save")
            .map_or(line, |f| line_of(f.sig.ident.span())),
        load_caller,
        save_caller,
        after_save_caller,
        save_ok,
        save_ok_path: None,
        save_payload,
        after_save: after_save.is_some(),
        server_msg: server_msg.clone(),
    })
}

/// `T` when the page's saves are one variant `Save(T)` beside `Load`: `handle_save` then takes
/// the `T` and never sees the load.
fn save_payload(server_msg: &ItemEnum) -> Option<Type> {
    let mut saves = server_msg.variants.iter().filter(|v| v.ident != "Load");
    let save = saves.next()?;
    if saves.next().is_some() || save.ident != "Save" {
        return None;
    }
    match &save.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Some(fields.unnamed[0].ty.clone()),
        _ => None,
    }
}

/// Whether a server function's second argument is the caller.
fn takes_caller(f: &ItemFn) -> bool {
    signature::args(f)
        .get(1)
        .is_some_and(|t| signature::is_caller(t))
}

/// A server function the contract requires: reported when missing or compiled into the
/// browser.
fn required<'a>(
    file: &Path,
    items: &Items<'a>,
    (name, line): (&str, usize),
    sig: &str,
    problems: &mut Problems,
) -> Option<&'a ItemFn> {
    match items.func(name) {
        None => {
            problems.push(
                file,
                line,
                format!("missing `{name}`"),
                format!("add `{sig}`"),
            );
            None
        }
        Some(f) => {
            server_only(file, f, problems);
            Some(f)
        }
    }
}
