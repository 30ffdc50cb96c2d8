//! Naming a page's types from the crate root, for generated code that lives elsewhere
//! (`src/generated/rally/server.rs` names a page's save types).
//!
//! A page writes `GameUpdate`, `Vec<Change>` or `wire::Note` as its own scope sees them: a type
//! of the page, a name it imported with `use`, a prelude type. Generated code must name the
//! same types from another module, so every path is made absolute: imported names through
//! their `use` (a private import cannot be named from outside: E0603), names of the page
//! through the page's module, prelude and primitive types as written, recursively through
//! generic arguments, tuples, arrays and references.

use syn::visit_mut::{self, VisitMut};
use syn::{Ident, PathSegment, Type, TypePath};

/// Names that need no path: primitives and the prelude's types.
const BUILTIN: &[&str] = &[
    "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
    "u128", "usize", "f32", "f64", "String", "Vec", "Option", "Result", "Box",
];

/// `ty` as written in page `module` of `mount`, with every path made absolute.
pub fn absolute_type(
    ty: &Type,
    uses: &[(String, Vec<String>)],
    mount: &str,
    module: &[String],
) -> Type {
    let mut here: Vec<String> = ["crate", mount, "pages"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    here.extend(module.iter().cloned());
    let mut ty = ty.clone();
    Absolute { uses, here }.visit_type_mut(&mut ty);
    ty
}

struct Absolute<'a> {
    uses: &'a [(String, Vec<String>)],
    /// The page's module from the crate root.
    here: Vec<String>,
}

impl Absolute<'_> {
    /// A `use` path or a written path's leading `self`/`super`s, from the crate root; `None`
    /// for a path into another crate (`rally::page::Head`), which is already absolute.
    fn rooted(&self, path: &[String]) -> Option<Vec<String>> {
        match path.first().map(String::as_str) {
            Some("crate") => Some(path.to_vec()),
            Some("self") => Some(self.here.iter().chain(&path[1..]).cloned().collect()),
            Some("super") => {
                let mut base = self.here.clone();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            _ => None,
        }
    }
}

impl VisitMut for Absolute<'_> {
    fn visit_type_path_mut(&mut self, ty: &mut TypePath) {
        // Generic arguments first: `Vec<GameUpdate>` names `GameUpdate` from the root too.
        visit_mut::visit_type_path_mut(self, ty);
        if ty.qself.is_some() || ty.path.leading_colon.is_some() {
            return;
        }
        let segments: Vec<String> = ty
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let first = segments[0].as_str();
        let imported = self.uses.iter().find(|(name, _)| name == first);
        let prefix = match imported {
            // `use crate::broadcasts::GameUpdate;` or `use crate::wire;` then `wire::Note`.
            Some((_, path)) => match self.rooted(path) {
                Some(path) => path,
                None => path.clone(),
            },
            None if segments.len() == 1 && BUILTIN.contains(&first) => return,
            None if matches!(first, "crate" | "self" | "super") => match self.rooted(&segments) {
                Some(path) if first != "crate" => {
                    replace_prefix(ty, segments.len(), &path);
                    return;
                }
                _ => return,
            },
            // A type of the page itself.
            None if segments.len() == 1 => {
                let mut path = self.here.clone();
                path.push(first.to_owned());
                path
            }
            // `std::…`, `rally::…`: another crate's path.
            None => return,
        };
        replace_prefix(ty, 1, &prefix);
    }
}

/// Replaces the first `count` segments of `ty`'s path with `prefix`, keeping the last replaced
/// segment's generic arguments on the last segment of `prefix`.
fn replace_prefix(ty: &mut TypePath, count: usize, prefix: &[String]) {
    let old: Vec<PathSegment> = ty.path.segments.iter().cloned().collect();
    let arguments = old[count - 1].arguments.clone();
    let span = proc_macro2::Span::call_site();
    let mut segments: Vec<PathSegment> = prefix
        .iter()
        .map(|name| PathSegment::from(Ident::new(name, span)))
        .collect();
    if let Some(last) = segments.last_mut() {
        last.arguments = arguments;
    }
    segments.extend(old.into_iter().skip(count));
    ty.path.segments = segments.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn absolute(ty: &str, uses: &[(&str, &[&str])]) -> String {
        let uses: Vec<(String, Vec<String>)> = uses
            .iter()
            .map(|(n, p)| ((*n).to_owned(), p.iter().map(|s| (*s).to_owned()).collect()))
            .collect();
        let ty: Type = syn::parse_str(ty).unwrap();
        absolute_type(&ty, &uses, "admin", &["games".to_owned()])
            .to_token_stream()
            .to_string()
            .replace(' ', "")
    }

    #[test]
    fn a_pages_own_types_are_named_through_its_module() {
        assert_eq!(
            absolute("GameUpdate", &[]),
            "crate::admin::pages::games::GameUpdate"
        );
        assert_eq!(
            absolute("Vec<Change>", &[]),
            "Vec<crate::admin::pages::games::Change>"
        );
        assert_eq!(
            absolute("(u8, Option<Note>)", &[]),
            "(u8,Option<crate::admin::pages::games::Note>)"
        );
    }

    #[test]
    fn imported_types_are_named_through_their_use() {
        let uses: &[(&str, &[&str])] = &[
            ("GameUpdate", &["crate", "broadcasts", "GameUpdate"]),
            ("Saved", &["super", "shared", "Note"]),
            ("wire", &["crate", "wire"]),
        ];
        assert_eq!(
            absolute("Vec<GameUpdate>", uses),
            "Vec<crate::broadcasts::GameUpdate>"
        );
        assert_eq!(absolute("Saved", uses), "crate::admin::pages::shared::Note");
        assert_eq!(absolute("wire::Note", uses), "crate::wire::Note");
    }

    #[test]
    fn primitives_prelude_types_and_other_crates_stay_as_written() {
        for ty in [
            "u8",
            "usize",
            "String",
            "Option<i64>",
            "rally::page::Head",
            "crate::wire::Note",
        ] {
            assert_eq!(absolute(ty, &[]), ty.replace(' ', ""));
        }
        assert_eq!(
            absolute("self::Note", &[]),
            "crate::admin::pages::games::Note"
        );
        assert_eq!(
            absolute("super::shared::Note", &[]),
            "crate::admin::pages::shared::Note"
        );
    }
}
