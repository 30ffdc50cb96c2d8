//! The wire boundary: walks every type a page's `ServerMsg`, `LoadResult` and save result
//! reach, checks each comes from where the browser can share it (the page itself, `src/wire/**`,
//! `src/broadcasts.rs`, primitives and standard containers), and describes them for the
//! contract fingerprint.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use quote::ToTokens;
use rally_wire::contract::{Contract, Fields as WireFields, Ty, TypeDef};
use syn::spanned::Spanned;
use syn::{Fields, GenericArgument, Item, PathArguments, Type, UseTree};

use crate::error::{Problems, line_of};

/// A module whose types may cross the wire.
pub struct Module {
    /// Its path below the crate (`public::pages::games`, `wire::teams`, `broadcasts`).
    pub path: String,
    /// The file, relative to the app root.
    pub file: PathBuf,
    /// Its syntax tree.
    pub ast: syn::File,
}

/// Every module wire types may come from.
pub struct Modules {
    modules: HashMap<String, Module>,
}

impl Modules {
    /// Indexes `modules` by path.
    pub fn new(modules: Vec<Module>) -> Self {
        Modules {
            modules: modules.into_iter().map(|m| (m.path.clone(), m)).collect(),
        }
    }

    fn allowed(&self, path: &str) -> bool {
        self.modules.contains_key(path)
    }

    /// Whether module `path` defines a type `name`.
    pub fn defines(&self, path: &str, name: &str) -> bool {
        self.modules
            .get(path)
            .is_some_and(|m| defines(&m.ast, name))
    }
}

/// Walks types into a contract.
pub struct Walker<'a> {
    modules: &'a Modules,
    /// Definitions found so far, by full path.
    pub defs: BTreeMap<String, TypeDef>,
}

impl<'a> Walker<'a> {
    /// A walker over `modules`.
    pub fn new(modules: &'a Modules) -> Self {
        Walker {
            modules,
            defs: BTreeMap::new(),
        }
    }

    /// Describes the type named `name` defined in module `module`, walking what it reaches.
    pub fn named(&mut self, module: &str, name: &str, problems: &mut Problems) -> Ty {
        let full = format!("{module}::{name}");
        if self.defs.contains_key(&full) {
            return Ty::Named(full);
        }
        let Some(m) = self.modules.modules.get(module) else {
            return Ty::Named(full);
        };
        let file = m.file.clone();
        let item = m.ast.items.iter().find_map(|i| match i {
            Item::Struct(s) if s.ident == name => {
                Some(Def::Struct(s.fields.clone(), line_of(s.ident.span())))
            }
            Item::Enum(e) if e.ident == name => Some(Def::Enum(
                e.variants
                    .iter()
                    .map(|v| (v.ident.to_string(), v.fields.clone()))
                    .collect(),
                line_of(e.ident.span()),
            )),
            Item::Type(t) if t.ident == name => {
                Some(Def::Alias(t.ty.clone(), line_of(t.ident.span())))
            }
            _ => None,
        });
        match item {
            None => {
                problems.push(
                    &file,
                    0,
                    format!("wire type `{name}` is not defined in this module"),
                    "define it here, or import it from `crate::wire` or `crate::broadcasts`",
                );
                Ty::Named(full)
            }
            Some(Def::Alias(ty, line)) => self.ty(module, &ty, &file, line, &full, problems),
            Some(Def::Struct(fields, line)) => {
                // Insert first so recursive types terminate.
                self.defs
                    .insert(full.clone(), TypeDef::Struct(WireFields::Unit));
                let fields = self.fields(module, &fields, &file, line, &full, problems);
                self.defs.insert(full.clone(), TypeDef::Struct(fields));
                Ty::Named(full)
            }
            Some(Def::Enum(variants, line)) => {
                self.defs.insert(full.clone(), TypeDef::Enum(Vec::new()));
                let variants = variants
                    .into_iter()
                    .map(|(n, f)| {
                        let at = format!("{full}::{n}");
                        (n, self.fields(module, &f, &file, line, &at, problems))
                    })
                    .collect();
                self.defs.insert(full.clone(), TypeDef::Enum(variants));
                Ty::Named(full)
            }
        }
    }

    fn fields(
        &mut self,
        module: &str,
        fields: &Fields,
        file: &PathBuf,
        line: usize,
        at: &str,
        problems: &mut Problems,
    ) -> WireFields {
        match fields {
            Fields::Unit => WireFields::Unit,
            Fields::Unnamed(u) => WireFields::Tuple(
                u.unnamed
                    .iter()
                    .map(|f| {
                        self.ty(
                            module,
                            &f.ty,
                            file,
                            line_of(f.ty.span()).max(line),
                            at,
                            problems,
                        )
                    })
                    .collect(),
            ),
            Fields::Named(n) => WireFields::Named(
                n.named
                    .iter()
                    .map(|f| {
                        let name = f
                            .ident
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        let line = f.ident.as_ref().map_or(line, |i| line_of(i.span()));
                        let ty =
                            self.ty(module, &f.ty, file, line, &format!("{at}.{name}"), problems);
                        (name, ty)
                    })
                    .collect(),
            ),
        }
    }

    /// Describes a type written in `module`.
    pub fn ty(
        &mut self,
        module: &str,
        ty: &Type,
        file: &PathBuf,
        line: usize,
        at: &str,
        problems: &mut Problems,
    ) -> Ty {
        match ty {
            Type::Tuple(t) if t.elems.is_empty() => Ty::Unit,
            Type::Tuple(t) => Ty::Tuple(
                t.elems
                    .iter()
                    .map(|e| self.ty(module, e, file, line, at, problems))
                    .collect(),
            ),
            Type::Array(a) => {
                let len = a.len.to_token_stream().to_string().parse().unwrap_or(0);
                Ty::Array(
                    Box::new(self.ty(module, &a.elem, file, line, at, problems)),
                    len,
                )
            }
            Type::Paren(p) => self.ty(module, &p.elem, file, line, at, problems),
            Type::Group(g) => self.ty(module, &g.elem, file, line, at, problems),
            Type::Path(p) if p.qself.is_none() => {
                self.path(module, &p.path, file, line, at, problems)
            }
            other => {
                let text = other.to_token_stream().to_string();
                problems.push(file, line, format!("`{at}` has type `{text}`, which cannot cross the wire"), "use owned data: primitives, String, Vec, Option, maps, tuples, or a struct/enum from the page, src/wire or src/broadcasts.rs");
                Ty::Unit
            }
        }
    }

    fn path(
        &mut self,
        module: &str,
        path: &syn::Path,
        file: &PathBuf,
        line: usize,
        at: &str,
        problems: &mut Problems,
    ) -> Ty {
        let Some(last) = path.segments.last() else {
            return Ty::Unit;
        };
        let args: Vec<Type> = match &last.arguments {
            PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let arg = |i: usize, w: &mut Self, problems: &mut Problems| {
            args.get(i)
                .map_or(Ty::Unit, |t| w.ty(module, t, file, line, at, problems))
        };
        let name = last.ident.to_string();
        if path.segments.len() == 1 || is_std(path) {
            let prim = match name.as_str() {
                "bool" => Some(Ty::Bool),
                "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128"
                | "isize" | "usize" => Some(Ty::Int(int_name(&name))),
                "f32" => Some(Ty::Float("f32")),
                "f64" => Some(Ty::Float("f64")),
                "char" => Some(Ty::Char),
                "String" => Some(Ty::String),
                "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => {
                    Some(Ty::List(Box::new(arg(0, self, problems))))
                }
                "Option" => Some(Ty::Option(Box::new(arg(0, self, problems)))),
                "Box" | "Rc" | "Arc" => Some(arg(0, self, problems)),
                "HashMap" | "BTreeMap" => Some(Ty::Map(
                    Box::new(arg(0, self, problems)),
                    Box::new(arg(1, self, problems)),
                )),
                "Result" => Some(Ty::Result(
                    Box::new(arg(0, self, problems)),
                    Box::new(arg(1, self, problems)),
                )),
                _ => None,
            };
            if let Some(t) = prim {
                return t;
            }
        }
        if let Some(rally) = rally_type(path) {
            return rally;
        }
        let Some(target) = self.resolve(module, path) else {
            let text = path.to_token_stream().to_string().replace(' ', "");
            problems.push(file, line, format!("`{at}` references `{text}`, which Rally cannot find"), "define the type in this page, in src/wire/**, or in src/broadcasts.rs and import it with `use crate::…`");
            return Ty::Unit;
        };
        let (target_module, target_name) = target;
        if !self.modules.allowed(&target_module) {
            problems.push(file, line, format!("`{at}` references `{target_module}::{target_name}`, outside the wire boundary"), "wire types may come from the page itself, src/wire/**, src/broadcasts.rs, primitives and standard containers; move the type or convert it into a page-local one");
            return Ty::Unit;
        }
        self.named(&target_module, &target_name, problems)
    }

    /// The module and name a path refers to, from module `module`.
    fn resolve(&self, module: &str, path: &syn::Path) -> Option<(String, String)> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let name = segments.last()?.clone();
        if segments.len() == 1 {
            if let Some(m) = self.modules.modules.get(module) {
                if defines(&m.ast, &name) {
                    return Some((module.to_owned(), name));
                }
                if let Some(full) = imported(&m.ast, &name) {
                    return absolute(module, &full);
                }
            }
            return None;
        }
        // `alias::Type` where `alias` is an imported module.
        if let Some(m) = self.modules.modules.get(module)
            && segments[0] != "crate"
            && segments[0] != "super"
            && segments[0] != "self"
            && let Some(mut full) = imported(&m.ast, &segments[0])
        {
            full.extend(segments[1..].iter().cloned());
            return absolute(module, &full);
        }
        absolute(module, &segments)
    }
}

enum Def {
    Struct(Fields, usize),
    Enum(Vec<(String, Fields)>, usize),
    Alias(Box<Type>, usize),
}

fn int_name(name: &str) -> &'static str {
    match name {
        "i8" => "i8",
        "i16" => "i16",
        "i32" => "i32",
        "i64" => "i64",
        "i128" => "i128",
        "u8" => "u8",
        "u16" => "u16",
        "u32" => "u32",
        "u64" => "u64",
        "u128" => "u128",
        "isize" => "i64",
        _ => "u64",
    }
}

fn is_std(path: &syn::Path) -> bool {
    path.segments
        .first()
        .is_some_and(|s| s.ident == "std" || s.ident == "alloc" || s.ident == "core")
}

/// Rally's own wire types: the page error types.
fn rally_type(path: &syn::Path) -> Option<Ty> {
    let last = path.segments.last()?.ident.to_string();
    let from_rally =
        path.segments.len() == 1 || path.segments.first().is_some_and(|s| s.ident == "rally");
    match last.as_str() {
        "LoadError" if from_rally => Some(Ty::named("rally::page::LoadError")),
        "SaveError" if from_rally => Some(Ty::named("rally::page::SaveError")),
        _ => None,
    }
}

fn defines(ast: &syn::File, name: &str) -> bool {
    ast.items.iter().any(|i| match i {
        Item::Struct(s) => s.ident == name,
        Item::Enum(e) => e.ident == name,
        Item::Type(t) => t.ident == name,
        _ => false,
    })
}

/// The full path `use` gives `name` in this file.
fn imported(ast: &syn::File, name: &str) -> Option<Vec<String>> {
    fn walk(tree: &UseTree, prefix: &mut Vec<String>, name: &str) -> Option<Vec<String>> {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                let found = walk(&p.tree, prefix, name);
                prefix.pop();
                found
            }
            UseTree::Name(n) if n.ident == name => {
                Some([prefix.clone(), vec![n.ident.to_string()]].concat())
            }
            UseTree::Rename(r) if r.rename == name => {
                Some([prefix.clone(), vec![r.ident.to_string()]].concat())
            }
            UseTree::Group(g) => g.items.iter().find_map(|t| walk(t, prefix, name)),
            _ => None,
        }
    }
    ast.items.iter().find_map(|i| match i {
        Item::Use(u) => walk(&u.tree, &mut Vec::new(), name),
        _ => None,
    })
}

/// Turns `crate::…`, `super::…`, `self::…` into (module, name) below the crate.
fn absolute(module: &str, segments: &[String]) -> Option<(String, String)> {
    let (name, dirs) = segments.split_last()?;
    let mut base: Vec<String> = module.split("::").map(str::to_owned).collect();
    let mut rest = dirs.iter().peekable();
    match rest.peek().map(|s| s.as_str()) {
        Some("crate") => {
            base.clear();
            rest.next();
        }
        Some("self") => {
            rest.next();
        }
        Some("super") => {
            while rest.peek().map(|s| s.as_str()) == Some("super") {
                base.pop();
                rest.next();
            }
        }
        _ => return None,
    }
    base.extend(rest.cloned());
    Some((base.join("::"), name.clone()))
}

/// Adds Rally's own wire types to the contract.
pub fn define_rally_types(contract: &mut Contract) {
    let load = TypeDef::Struct(WireFields::Named(vec![
        ("message".into(), Ty::String),
        ("status".into(), Ty::Int("u16")),
    ]));
    let save = TypeDef::Struct(WireFields::Named(vec![
        ("field".into(), Ty::Option(Box::new(Ty::String))),
        ("message".into(), Ty::String),
    ]));
    // Fresh names in a fresh contract cannot conflict.
    let _ = contract.define("rally::page::LoadError", load);
    let _ = contract.define("rally::page::SaveError", save);
}
