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
            nav_name: nav_name(&info.segments),
            module: info.module_path.split("::").map(str::to_owned).collect(),
        })
        .collect();
    Ok((routes, source))
}

fn file_of(page: &Page) -> String {
    format!("{}.rs", page.module.join("/"))
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
