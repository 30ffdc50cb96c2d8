//! Fixtures for the SSR benchmark: the same 1,000 rows the browser benchmark creates, and the
//! table view built from them.

use jsfb_rally::{Model, Msg, Row};
use rally_view::attribute::{class, id};
use rally_view::{Element, Key, html};

/// The 1,000 rows of js-framework-benchmark's "create rows", from the shared label generator.
pub fn rows_1k() -> Vec<Row> {
    Model::default().build_rows(1_000)
}

/// The view being measured: `table > tbody` with 1,000 keyed `tr > td, td > a[on_click],
/// td > a[on_click] > span, td`, the browser app's `row_view` called for each row (the app
/// itself wraps rows in `lazy`, which only defers the same work to the renderer). `row_view`
/// is a `view!` template: natively each row is its holes (the id, the label and two
/// listeners) and the renderer writes the row's constant markup around them (ADR 0035). Its
/// `<tr>` has no class hole since the app's list marks the selected row itself (ADR 0069).
pub fn build(rows: &[Row]) -> Element<Msg> {
    html::table(
        [class("table table-hover table-striped test-data")],
        [html::keyed(
            "tbody",
            [id("tbody")],
            rows.iter()
                .map(|r| (Key::from(r.id), jsfb_rally::row_view(r))),
        )],
    )
}

/// Build and render to an HTML string.
pub fn build_and_render(rows: &[Row]) -> String {
    rally_view::render::to_html(&build(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_row() {
        let html = build_and_render(&rows_1k());
        assert_eq!(html.matches("<tr>").count(), 1_000);
        assert!(html.starts_with("<table class=\"table table-hover table-striped test-data\"><tbody id=\"tbody\"><tr><td class=\"col-md-1\">1</td>"));
        assert!(html.ends_with("</tbody></table>"));
    }
}
