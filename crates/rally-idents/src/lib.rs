//! Rust identifiers for Rally's generators.
//!
//! Routes, typed SQL and the page glue all turn user names (file names, column names) into
//! Rust identifiers. They must agree: a page file `sign_in.rs` is the route `SignIn` in the
//! route enum and in the dispatch, and a name that is a keyword must be refused (modules) or
//! escaped (fields) by the same rule everywhere. So there is one copy of each rule, here.

/// Rust's strict and reserved keywords (edition 2024): no module, field or function may be
/// named one of these. Weak keywords (`union`, `raw`, `safe`, `macro_rules`) are identifiers.
pub const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `name` is a strict or reserved keyword.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// `sign_in` → `SignIn`, `id_` → `Id`, `v2` → `V2`: each `_`-separated word capitalised.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `SuperAdmin` → `super_admin`, `V2` → `v2`: a `_` before each capital but the first.
pub fn snake_case(pascal: &str) -> String {
    let mut out = String::new();
    for c in pascal.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_capitalises_each_word_and_drops_underscores() {
        assert_eq!(pascal_case("sign_in"), "SignIn");
        assert_eq!(pascal_case("id_"), "Id");
        assert_eq!(pascal_case("org__id"), "OrgId");
        assert_eq!(pascal_case("v2"), "V2");
        assert_eq!(pascal_case(""), "");
    }

    #[test]
    fn snake_case_undoes_pascal_case_for_page_names() {
        for name in ["sign_in", "games", "super_admin", "v2"] {
            assert_eq!(snake_case(&pascal_case(name)), name);
        }
    }

    #[test]
    fn keywords_of_edition_2024_are_refused_and_weak_ones_are_not() {
        for keyword in ["fn", "gen", "async", "try", "yield", "macro"] {
            assert!(is_keyword(keyword), "{keyword}");
        }
        for name in ["union", "raw", "safe", "games", "r#fn"] {
            assert!(!is_keyword(name), "{name}");
        }
    }
}
