//! Builder edge cases users meet: odd tag and attribute names.

use rally_view::attribute::attribute;
use rally_view::dom::Dom;
use rally_view::dom::memory::MemoryDom;
use rally_view::html::{element, text};
use rally_view::render::to_html;

#[test]
fn custom_tags_are_lowercased_so_they_hydrate() {
    let view = || element::<()>("My-Widget", vec![], vec![text("hi")]);
    assert_eq!(to_html(&view()), "<my-widget>hi</my-widget>");
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, &to_html(&view()));
    let (dom, report) = Dom::hydrate(backend, root, view());
    assert_eq!(report.mismatches, 0);
    assert_eq!(dom.backend().mutations, 0);
}

#[test]
fn invalid_names_never_reach_the_markup() {
    let e = element::<()>(
        "div><script>alert(1)</script",
        vec![
            attribute("onclick=\"alert(1)\"", "x"),
            attribute("title", "ok"),
        ],
        vec![],
    );
    assert_eq!(
        to_html(&e),
        "<rally-invalid-tag title=\"ok\"></rally-invalid-tag>"
    );
}
