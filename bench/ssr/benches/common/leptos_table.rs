//! The peer: the same 1,000-row table written with Leptos 0.8's `view!` macro and rendered with
//! its plain SSR `to_html` (issue 19). Included by both bench binaries and by
//! `tests/leptos_peer.rs`, which checks its HTML against Rally's before anything is timed.
//!
//! The rows are an iterator over the slice collected with `.collect_view()`, what Leptos users
//! write for a list rendered once on the server (`<For>` is for keyed updates in the browser and
//! renders the same HTML). Like Rally's rows, both anchors carry a click handler; with the `ssr`
//! feature Leptos drops them and renders nothing for them. The page runs under its own reactive
//! `Owner`, as a Leptos server integration does per request, and that owner's signals are what
//! the handlers would set. The label is the row's `Arc<str>`, cloned by reference count into
//! the view on both sides (`text(&row.label)` in Rally), so neither copies it.

use jsfb_rally::Row;
use leptos::prelude::*;

/// Leptos's `to_html` writes this placeholder comment after the children of an iterator (the
/// anchor its hydration and updates use); nothing in `to_html` turns it off. It is the only
/// difference from Rally's HTML.
pub const LIST_MARKER: &str = "<!>";

/// Build and render the table to an HTML string with Leptos.
pub fn build_and_render(rows: &[Row]) -> String {
    let owner = Owner::new();
    owner.with(|| {
        let (_, set_selected) = signal(None::<usize>);
        let (_, set_removed) = signal(None::<usize>);
        view! {
            <table class="table table-hover table-striped test-data">
                <tbody id="tbody">
                    {rows
                        .iter()
                        .map(|row| {
                            let id = row.id;
                            view! {
                                <tr>
                                    <td class="col-md-1">{id}</td>
                                    <td class="col-md-4">
                                        <a class="lbl" on:click=move |_| set_selected.set(Some(id))>
                                            {row.label.clone()}
                                        </a>
                                    </td>
                                    <td class="col-md-1">
                                        <a class="remove" on:click=move |_| set_removed.set(Some(id))>
                                            <span
                                                class="remove glyphicon glyphicon-remove"
                                                aria-hidden="true"
                                            ></span>
                                        </a>
                                    </td>
                                    <td class="col-md-6"></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .to_html()
    })
}

/// Leptos's HTML with its one list marker removed, which must equal Rally's byte for byte.
/// Panics (before anything is timed) if it does not.
pub fn assert_same_html(rally: &str, leptos: &str) {
    assert_eq!(
        leptos.matches(LIST_MARKER).count(),
        1,
        "Leptos's HTML should hold exactly one list marker"
    );
    let stripped = leptos.replacen(LIST_MARKER, "", 1);
    assert!(
        stripped == rally,
        "Leptos's and Rally's HTML differ (lengths {} and {}); first difference at byte {}",
        stripped.len(),
        rally.len(),
        stripped
            .bytes()
            .zip(rally.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(stripped.len().min(rally.len()))
    );
}
