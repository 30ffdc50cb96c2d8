//! The Leptos peer renders the same HTML as Rally (apart from Leptos's list marker), so the
//! benchmark compares like with like.

#[path = "../benches/common/leptos_table.rs"]
mod leptos_table;

use rally_bench_ssr::{build_and_render, rows_1k};

#[test]
fn leptos_renders_the_same_table_as_rally() {
    let rows = rows_1k();
    let rally = build_and_render(&rows);
    let leptos = leptos_table::build_and_render(&rows);
    leptos_table::assert_same_html(&rally, &leptos);
    assert_eq!(leptos.len(), rally.len() + leptos_table::LIST_MARKER.len());
    assert!(leptos.ends_with("</tr><!></tbody></table>"));
}
