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
    let files: Vec<PageFile> = pages
        .iter()
        .map(|page| {
            let mut file = PageFile::new(format!("{}.rs", page.module.join("/")));
            let fields = page.server.as_ref().and_then(|s| s.load.as_ref());
            for (name, ty) in fields.into_iter().flatten() {
                file =
                    file.with_param_type(name, &ty.to_token_stream().to_string().replace(' ', ""));
            }
            file
        })
        .collect();
    let mut description = Mount::new(mount).with_url_prefix(prefix);
    if prefix.is_empty() {
        description = description.with_constructor_prefix("");
    }
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
            nav_name: nav_name(&info.segments),
            module: info.module_path.split("::").map(str::to_owned).collect(),
        })
        .collect();
    Ok((routes, source))
}

/// `T` of the `Navigate<T>` message that leads to a dynamic route: its last static segment,
/// a trailing `s` dropped, PascalCased (`games/id_` → `Game`, `teams/slug_` → `Team`).
fn nav_name(segments: &[Segment]) -> Option<String> {
    let last = segments.iter().rev().find_map(|s| match s {
        Segment::Static(s) => Some(s.as_str()),
        Segment::Param(_) => None,
    })?;
    let singular = last.strip_suffix('s').unwrap_or(last);
    Some(crate::emit::pascal(singular))
}
