//! Checking a page function's signature against the contract by the shape of its types.
//!
//! Codegen reads syntax, not resolved types, so it compares what a user can see in the
//! signature: how many arguments, whether each is a reference (`&` or `&mut`), and the name a
//! type ends with (`&rally::db::Db` and `&Db` both end with `Db`). That catches the mistakes
//! users make — arguments in the wrong order, `Model` where `&mut Model` is needed, the wrong
//! context type — with the page's own line, before rustc would report them in generated code.
//! A `use` that renames a type is not followed; rustc still checks the rest.

use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type};

/// How an argument is passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// `&T`.
    Ref,
    /// `&mut T`.
    RefMut,
    /// `T`.
    Owned,
    /// Any of them (load fields, whose types the route gives).
    Any,
}

/// One expected argument: how it is passed and the names its type may end with (empty: any).
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    /// How it is passed.
    pub pass: Pass,
    /// Accepted last path segments (`["Db"]`); empty accepts any type.
    pub names: &'static [&'static str],
}

impl Arg {
    /// `&T` with `T` ending in one of `names`.
    pub const fn by_ref(names: &'static [&'static str]) -> Self {
        Arg {
            pass: Pass::Ref,
            names,
        }
    }

    /// `&mut T`.
    pub const fn by_mut(names: &'static [&'static str]) -> Self {
        Arg {
            pass: Pass::RefMut,
            names,
        }
    }

    /// `T`.
    pub const fn owned(names: &'static [&'static str]) -> Self {
        Arg {
            pass: Pass::Owned,
            names,
        }
    }

    /// Anything.
    pub const fn any() -> Self {
        Arg {
            pass: Pass::Any,
            names: &[],
        }
    }
}

/// The typed arguments of a function (not `self`).
pub fn args(f: &ItemFn) -> Vec<&Type> {
    f.sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t.ty.as_ref()),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// How `ty` is passed, and the name of the type behind the reference.
fn shape(ty: &Type) -> (Pass, Option<String>) {
    match ty {
        Type::Reference(r) => {
            let pass = if r.mutability.is_some() {
                Pass::RefMut
            } else {
                Pass::Ref
            };
            (pass, last_name(&r.elem))
        }
        other => (Pass::Owned, last_name(other)),
    }
}

/// The last path segment of a path type (`rally::db::Db` → `Db`).
pub fn last_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Paren(p) => last_name(&p.elem),
        Type::Group(g) => last_name(&g.elem),
        _ => None,
    }
}

/// Whether `ty` is `&Caller` (any path, any lifetime).
pub fn is_caller(ty: &Type) -> bool {
    matches!(shape(ty), (Pass::Ref, Some(name)) if name == "Caller")
}

/// The first argument that does not fit: its 0-based position and how it is written.
pub fn mismatch(f: &ItemFn, expected: &[Arg]) -> Option<(usize, String)> {
    for (i, (ty, want)) in args(f).into_iter().zip(expected).enumerate() {
        let (pass, name) = shape(ty);
        let pass_ok = want.pass == Pass::Any || want.pass == pass;
        let name_ok =
            want.names.is_empty() || name.as_deref().is_some_and(|n| want.names.contains(&n));
        if !(pass_ok && name_ok) {
            return Some((i, quote::ToTokens::to_token_stream(ty).to_string()));
        }
    }
    None
}

/// The return type's last path segment (`Effect<Message>` → `Effect`), `"()"` for none, and
/// `"(..)"` for a tuple.
pub fn returns(f: &ItemFn) -> String {
    match &f.sig.output {
        ReturnType::Default => "()".to_owned(),
        ReturnType::Type(_, ty) => match ty.as_ref() {
            Type::Tuple(t) if t.elems.is_empty() => "()".to_owned(),
            Type::Tuple(_) => "(..)".to_owned(),
            other => last_name(other).unwrap_or_default(),
        },
    }
}

/// The first type argument of the return type (`Result<T, E>` → `T`).
pub fn returned_arg(f: &ItemFn) -> Option<Type> {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return None;
    };
    let Type::Path(p) = ty.as_ref() else {
        return None;
    };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    })
}

/// "first", "second", …
pub fn ordinal(i: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"]
        .get(i)
        .copied()
        .unwrap_or("next")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(src: &str) -> ItemFn {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn references_and_names_are_compared() {
        let update = f("pub fn update(model: &mut Model, msg: Message) -> Effect<Message> {}");
        let expected = [Arg::by_mut(&["Model"]), Arg::owned(&["Message"])];
        assert_eq!(mismatch(&update, &expected), None);
        let wrong = f("pub fn update(model: Model, msg: Message) -> Effect<Message> {}");
        assert_eq!(mismatch(&wrong, &expected), Some((0, "Model".into())));
        let swapped = f("pub fn update(msg: Message, model: &mut Model) -> Effect<Message> {}");
        assert_eq!(mismatch(&swapped, &expected), Some((0, "Message".into())));
    }

    #[test]
    fn paths_are_compared_by_their_last_segment() {
        let load = f("pub fn load(db: &rally::db::Db, caller: &rally::server::Caller<'_>) {}");
        assert_eq!(mismatch(&load, &[Arg::by_ref(&["Db", "Context"])]), None);
        assert!(is_caller(args(&load)[1]));
        assert!(!is_caller(args(&load)[0]));
    }

    #[test]
    fn return_types_are_named() {
        assert_eq!(returns(&f("fn a() {}")), "()");
        assert_eq!(returns(&f("fn a() -> (Model, Effect<Message>) {}")), "(..)");
        assert_eq!(
            returns(&f("fn a() -> rally::view::Element<Message> {}")),
            "Element"
        );
        let save = f("fn a() -> Result<GameUpdate, SaveError> {}");
        assert_eq!(
            returned_arg(&save).and_then(|t| last_name(&t)).as_deref(),
            Some("GameUpdate")
        );
    }
}
