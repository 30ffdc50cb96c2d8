//! The contract: a canonical description of every type that crosses the wire, and its
//! [`Fingerprint`].
//!
//! Codegen feeds it what it finds in the page modules: each page's message and result types
//! ([`Contract::page`]), the broadcast event ([`Contract::push`]) and the definition of every
//! type they reach ([`Contract::define`]). The canonical text sorts everything by name, so the
//! fingerprint does not depend on discovery order, machine or run. It covers names, field
//! order and field types: anything whose change could make one side misread the other.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::PROTOCOL_VERSION;
use crate::fingerprint::Fingerprint;

/// A type as it appears in a field or an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// `()`.
    Unit,
    /// `bool`.
    Bool,
    /// An integer: `i8`…`i128`, `u8`…`u128` (the Rust name).
    Int(&'static str),
    /// `f32` or `f64` (the Rust name).
    Float(&'static str),
    /// `char`.
    Char,
    /// `String`.
    String,
    /// A byte buffer encoded as bytes (`serde_bytes`).
    Bytes,
    /// `Option<T>`.
    Option(Box<Ty>),
    /// `Vec<T>` and other sequences.
    List(Box<Ty>),
    /// A map (`BTreeMap`, `HashMap`).
    Map(Box<Ty>, Box<Ty>),
    /// A tuple.
    Tuple(Vec<Ty>),
    /// `[T; N]`.
    Array(Box<Ty>, usize),
    /// `Result<T, E>`.
    Result(Box<Ty>, Box<Ty>),
    /// A user type, by its path (e.g. `public::pages::games::ServerMsg`), defined with
    /// [`Contract::define`].
    Named(String),
}

impl Ty {
    /// A named type.
    pub fn named(path: impl Into<String>) -> Self {
        Ty::Named(path.into())
    }

    fn named_refs<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Ty::Named(name) => out.push(name),
            Ty::Option(t) | Ty::List(t) | Ty::Array(t, _) => t.named_refs(out),
            Ty::Map(a, b) | Ty::Result(a, b) => {
                a.named_refs(out);
                b.named_refs(out);
            }
            Ty::Tuple(ts) => ts.iter().for_each(|t| t.named_refs(out)),
            _ => {}
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Unit => f.write_str("()"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int(name) | Ty::Float(name) => f.write_str(name),
            Ty::Char => f.write_str("char"),
            Ty::String => f.write_str("string"),
            Ty::Bytes => f.write_str("bytes"),
            Ty::Option(t) => write!(f, "option<{t}>"),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Map(k, v) => write!(f, "map<{k},{v}>"),
            Ty::Tuple(ts) => {
                f.write_str("tuple<")?;
                write_list(f, ts.iter())?;
                f.write_str(">")
            }
            Ty::Array(t, n) => write!(f, "array<{t};{n}>"),
            Ty::Result(t, e) => write!(f, "result<{t},{e}>"),
            Ty::Named(name) => write!(f, "<{name}>"),
        }
    }
}

/// The fields of a struct or an enum variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    /// No fields.
    Unit,
    /// Positional fields.
    Tuple(Vec<Ty>),
    /// Named fields, in declaration order.
    Named(Vec<(String, Ty)>),
}

/// The definition of a user type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDef {
    /// A struct.
    Struct(Fields),
    /// An enum: variants in declaration order (postcard encodes the variant's index).
    Enum(Vec<(String, Fields)>),
}

/// A contract that cannot be fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ContractError {
    /// A type is used but never defined.
    #[error(
        "wire type `{name}` is used by `{used_by}` but not defined; add its definition to the contract"
    )]
    Undefined {
        /// The missing type.
        name: String,
        /// Where it is used.
        used_by: String,
    },
    /// A type was defined twice, differently.
    #[error("wire type `{0}` is defined twice with different shapes")]
    Conflict(String),
}

/// The wire contract of an app.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contract {
    pages: BTreeMap<String, (Ty, Vec<Ty>)>,
    push: Option<Ty>,
    types: BTreeMap<String, TypeDef>,
}

impl Contract {
    /// An empty contract.
    pub fn new() -> Self {
        Contract::default()
    }

    /// A page that accepts `message` and answers with one of `results`.
    pub fn page(&mut self, page: impl Into<String>, message: Ty, results: Vec<Ty>) -> &mut Self {
        self.pages.insert(page.into(), (message, results));
        self
    }

    /// The broadcast event type.
    pub fn push(&mut self, event: Ty) -> &mut Self {
        self.push = Some(event);
        self
    }

    /// Defines a user type; defining the same type twice identically is allowed.
    pub fn define(
        &mut self,
        path: impl Into<String>,
        def: TypeDef,
    ) -> Result<&mut Self, ContractError> {
        let path = path.into();
        match self.types.get(&path) {
            Some(existing) if *existing != def => Err(ContractError::Conflict(path)),
            _ => {
                self.types.insert(path, def);
                Ok(self)
            }
        }
    }

    /// The canonical text: one line per page, the push type, then one line per type, sorted.
    pub fn canonical(&self) -> Result<String, ContractError> {
        self.check_defined()?;
        let mut out = format!("rally-wire/{PROTOCOL_VERSION}\n");
        for (page, (message, results)) in &self.pages {
            let _ = write!(out, "page {page} {message} -> ");
            let _ = write_list(&mut out, results.iter());
            out.push('\n');
        }
        if let Some(push) = &self.push {
            let _ = writeln!(out, "push {push}");
        }
        for (path, def) in &self.types {
            let _ = writeln!(out, "type {path} = {}", DefText(def));
        }
        Ok(out)
    }

    /// SHA-256 of [`Contract::canonical`].
    pub fn fingerprint(&self) -> Result<Fingerprint, ContractError> {
        let digest = Sha256::digest(self.canonical()?.as_bytes());
        Ok(Fingerprint::from_bytes(digest.into()))
    }

    fn check_defined(&self) -> Result<(), ContractError> {
        let mut uses: Vec<(String, &Ty)> = Vec::new();
        for (page, (message, results)) in &self.pages {
            uses.push((format!("page {page}"), message));
            uses.extend(results.iter().map(|r| (format!("page {page}"), r)));
        }
        if let Some(push) = &self.push {
            uses.push(("push".to_owned(), push));
        }
        for (path, def) in &self.types {
            for ty in def_types(def) {
                uses.push((path.clone(), ty));
            }
        }
        for (used_by, ty) in uses {
            let mut refs = Vec::new();
            ty.named_refs(&mut refs);
            if let Some(missing) = refs.into_iter().find(|r| !self.types.contains_key(*r)) {
                return Err(ContractError::Undefined {
                    name: missing.to_owned(),
                    used_by,
                });
            }
        }
        Ok(())
    }
}

fn def_types(def: &TypeDef) -> Vec<&Ty> {
    match def {
        TypeDef::Struct(f) => field_types(f),
        TypeDef::Enum(vs) => vs.iter().flat_map(|(_, f)| field_types(f)).collect(),
    }
}

fn field_types(fields: &Fields) -> Vec<&Ty> {
    match fields {
        Fields::Unit => Vec::new(),
        Fields::Tuple(ts) => ts.iter().collect(),
        Fields::Named(ns) => ns.iter().map(|(_, t)| t).collect(),
    }
}

fn write_list<W: fmt::Write, T: fmt::Display>(
    w: &mut W,
    items: impl Iterator<Item = T>,
) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            w.write_char(',')?;
        }
        write!(w, "{item}")?;
    }
    Ok(())
}

struct FieldsText<'a>(&'a Fields);

impl fmt::Display for FieldsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Fields::Unit => Ok(()),
            Fields::Tuple(ts) => {
                f.write_char('(')?;
                write_list(f, ts.iter())?;
                f.write_char(')')
            }
            Fields::Named(ns) => {
                f.write_char('{')?;
                write_list(f, ns.iter().map(|(n, t)| format!("{n}:{t}")))?;
                f.write_char('}')
            }
        }
    }
}

struct DefText<'a>(&'a TypeDef);

impl fmt::Display for DefText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            TypeDef::Struct(fields) => write!(f, "struct{}", FieldsText(fields)),
            TypeDef::Enum(variants) => {
                f.write_str("enum[")?;
                write_list(
                    f,
                    variants
                        .iter()
                        .map(|(n, fs)| format!("{n}{}", FieldsText(fs))),
                )?;
                f.write_char(']')
            }
        }
    }
}
