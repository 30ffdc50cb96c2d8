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

#[test]
fn arrays_vecs_iterators_and_options_build_the_same_element() {
    use rally_view::attribute::class;
    use rally_view::html::{li, ul};
    let items = ["a", "b"];
    let from_arrays = ul::<()>([class("list")], [li([], [text("a")]), li([], [text("b")])]);
    let from_vecs = ul::<()>(
        vec![class("list")],
        vec![li(vec![], vec![text("a")]), li(vec![], vec![text("b")])],
    );
    let from_iter = ul::<()>(
        Some(class("list")),
        items.iter().map(|&i| li(None, [text(i)])),
    );
    let html = r#"<ul class="list"><li>a</li><li>b</li></ul>"#;
    for e in [from_arrays, from_vecs, from_iter] {
        assert_eq!(to_html(&e), html);
    }
}

#[test]
fn numbers_and_shared_strings_are_text_without_formatting() {
    use std::sync::Arc;
    let label: Arc<str> = Arc::from("<shared>");
    let e = element::<()>("p", [], [text(-42i64), text(" "), text(&label)]);
    assert_eq!(to_html(&e), "<p>-42 &lt;shared&gt;</p>");
}

#[test]
fn a_lone_text_and_a_list_of_children_patch_into_each_other_in_place() {
    use rally_view::html::{b, button};
    let one = || button::<()>([], [text("Save")]);
    let two = || button::<()>([], [text("Save"), b([], [text("!")])]);
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    let mut dom = Dom::mount(backend, root, one());
    let the_button = dom.backend().children(root)[0];
    let the_text = dom.backend().children(the_button)[0];

    dom.update(two());
    assert_eq!(dom.backend().children(root), [the_button]);
    assert_eq!(dom.backend().children(the_button)[0], the_text);
    assert_eq!(dom.backend().inner_state(root), to_html(&two()));

    dom.update(one());
    assert_eq!(dom.backend().children(the_button), [the_text]);
    assert_eq!(dom.backend().inner_state(root), to_html(&one()));

    dom.update(button([], [text("Saved")]));
    assert_eq!(dom.backend().children(the_button), [the_text]);
    assert_eq!(dom.backend().inner_state(root), "<button>Saved</button>");
}
