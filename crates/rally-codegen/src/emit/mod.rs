//! Writing the generated Rust: token streams formatted with prettyplease, each file opening
//! with a header that says where it came from.

pub mod dispatch;
pub mod mount;

use proc_macro2::TokenStream;

/// Formats a generated file with its header.
pub fn file(header: &str, tokens: TokenStream) -> String {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Unreachable for well-formed generators; keep the text so the failure is visible.
        Err(e) => format!("// rally-codegen produced invalid Rust ({e}):\n{tokens}\n"),
    };
    let header: String = header.lines().map(|l| format!("// {l}\n")).collect();
    format!("{header}\n{body}")
}

/// `foo_bar_` → `FooBar`.
pub use rally_idents::pascal_case as pascal;

/// An identifier token.
pub fn ident(name: &str) -> syn::Ident {
    syn::Ident::new(name, proc_macro2::Span::call_site())
}

/// The path of a page module from the crate root: `crate::public::pages::games::id_`.
pub fn page_path(mount: &str, module: &[String]) -> TokenStream {
    let parts = module.iter().map(|m| ident(m));
    let mount = ident(mount);
    quote::quote!(crate::#mount::pages #(::#parts)*)
}
