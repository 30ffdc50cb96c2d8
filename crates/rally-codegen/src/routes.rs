//! A mount's routes from its pages, through `rally-routes`: the route parameters take the
//! types of the page load's fields of the same name.

use quote::ToTokens;
use rally_routes::codegen::{
    GenerateOptions, Mount, PageFile, RouteKind, Segment, generate, route_table,
};

use crate::Route;
use crate::page::Page;

/// The routes of `mount` and the source of its route module.
pub fn routes(mount: &str, prefix: &str, pages: &[&Page]) -> Result<(Vec<Route>, String), String> {
    let mut description = Mount::new(mount).with_url_prefix(prefix);
    if prefix.is_empty() {
        description = description.with_constructor_prefix("");
    }
    // First untyped, to learn each page's parameters; then typed by the load fields that name
    // them (a load field that names no parameter is reported by the contract check).
    let untyped: Vec<PageFile> = pages.iter().map(|p| PageFile::new(file_of(p))).collect();
    let params = route_table(&description, &untyped).map_err(|e| e.to_string())?;
    let files: Vec<PageFile> = pages
        .iter()
        .map(|page| {
            let module = page.module.join("::");
            let route_params: Vec<&str> = params
                .routes
                .iter()
                .filter(|r| r.module_path == module)
                .flat_map(|r| r.params.iter().map(|p| p.name.as_str()))
                .collect();
            let mut file = PageFile::new(file_of(page));
            let fields = page.server.as_ref().and_then(|s| s.load.as_ref());
            for (name, ty) in fields.into_iter().flatten() {
                if route_params.contains(&name.as_str()) {
                    file = file
                        .with_param_type(name, &ty.to_token_stream().to_string().replace(' ', ""));
                }
            }
            file
        })
        .collect();
    let table = route_table(&description, &files).map_err(|e| e.to_string())?;
    let options = GenerateOptions::default()
        .with_runtime_path("::rally::routes")
        .map_err(|e| e.to_string())?;
    let source = generate(&table, &options);
    let routes = table
        .routes
        .iter()
        .map(|info| Route {
            variant: info.variant.clone(),
            params: info
                .params
                .iter()
                .map(|p| (p.name.clone(), p.ty.as_str().to_owned()))
                .collect(),
            not_found: info.kind == RouteKind::NotFound,
            helper: info.helper.trim_end_matches("_path").to_owned(),
            nav_names: nav_names(&info.segments),
            module: info.module_path.split("::").map(str::to_owned).collect(),
        })
        .collect();
    Ok((routes, source))
}

fn file_of(page: &Page) -> String {
    format!("{}.rs", page.module.join("/"))
}

/// The `T`s of the `Navigate<T>` messages that lead to a dynamic route, from its last static
/// segment PascalCased: the segment as written (`categories` → `Categories`), and its singular
/// where English spelling makes it certain (`games` → `Game`, `categories` → `Category`,
/// `boxes` → `Box`). Words whose singular a rule would get wrong (`status`, `address`,
/// `analysis`) only have their written form.
fn nav_names(segments: &[Segment]) -> Vec<String> {
    let Some(last) = segments.iter().rev().find_map(|s| match s {
        Segment::Static(s) => Some(s.as_str()),
        Segment::Param(_) => None,
    }) else {
        return Vec::new();
    };
    let mut names = vec![crate::emit::pascal(last)];
    if let Some(singular) = singular(last) {
        names.push(crate::emit::pascal(&singular));
    }
    names
}

/// The singular of an English plural, when spelling alone tells it.
pub(crate) fn singular(word: &str) -> Option<String> {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.len() > 1
    {
        return Some(format!("{stem}y"));
    }
    for ending in ["sses", "xes", "ches", "shes", "zzes"] {
        if let Some(stem) = word.strip_suffix(ending) {
            return Some(format!("{stem}{}", &ending[..ending.len() - 2]));
        }
    }
    if ["ss", "us", "is", "ies"].iter().any(|e| word.ends_with(e)) {
        return None;
    }
    word.strip_suffix('s')
        .filter(|stem| !stem.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::singular;

    #[test]
    fn plurals_are_singularised_only_where_spelling_is_certain() {
        for (plural, one) in [
            ("games", Some("game")),
            ("teams", Some("team")),
            ("categories", Some("category")),
            ("addresses", Some("address")),
            ("boxes", Some("box")),
            ("matches", Some("match")),
            ("wishes", Some("wish")),
            ("status", None),
            ("address", None),
            ("analysis", None),
            ("news", Some("new")),
            ("s", None),
            ("me", None),
        ] {
            assert_eq!(singular(plural).as_deref(), one, "{plural}");
        }
    }
}
