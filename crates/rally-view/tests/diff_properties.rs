//! Property tests of the diff and the hydrator against the in-memory DOM.
//!
//! Views come from `rally_view::testing`: a seed, a variant and a size. Proptest shrinks the size
//! (smaller trees) and the variant (towards `0`, the unchanged tree), which keeps failures small.

use proptest::prelude::*;
use proptest::sample::Index;
use rally_view::dom::memory::{MemoryDom, NodeId};
use rally_view::dom::{Backend, Dom, HydrationReport, NodeKind};
use rally_view::render::to_html;
use rally_view::testing::FakeEvent;
use rally_view::testing::{
    TestMsg, element_paths, expected_event, has_raw_html, keyed_rows, related_view, tag_at,
};
use rally_view::{Element, Modifiers};

type TestDom = Dom<TestMsg, MemoryDom>;

/// How to generate one view.
#[derive(Clone, Copy, Debug)]
struct Spec {
    seed: u64,
    variant: u64,
    size: usize,
}

impl Spec {
    fn view(self) -> Element<TestMsg> {
        related_view(self.seed, self.variant, self.size)
    }
}

const MAX_NODES: usize = 64;

/// The largest tree: [`MAX_NODES`], or `RALLY_MAX_NODES` for a longer run.
fn max_nodes() -> usize {
    std::env::var("RALLY_MAX_NODES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MAX_NODES)
}

fn variant() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1..u64::MAX]
}

/// One random view.
fn spec() -> impl Strategy<Value = Spec> {
    (any::<u64>(), variant(), 0..=max_nodes()).prop_map(|(seed, variant, size)| Spec {
        seed,
        variant,
        size,
    })
}

/// Two views: mostly variants of one seed (so the diff patches and moves keyed rows),
/// sometimes unrelated ones (so whole subtrees are replaced).
fn pair() -> impl Strategy<Value = (Spec, Spec)> {
    let related =
        (any::<u64>(), variant(), variant(), 0..=max_nodes()).prop_map(|(seed, a, b, n)| {
            (
                Spec {
                    seed,
                    variant: a,
                    size: n,
                },
                Spec {
                    seed,
                    variant: b,
                    size: n,
                },
            )
        });
    prop_oneof![3 => related, 1 => (spec(), spec())]
}

// ---- helpers -----------------------------------------------------------------------------------

fn mount(view: Element<TestMsg>) -> TestDom {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    Dom::mount(backend, root, view)
}

fn state(dom: &TestDom) -> String {
    dom.backend().inner_state(*dom.root())
}

/// A DOM as the browser builds it from server HTML.
fn server_dom(html: &str) -> (MemoryDom, NodeId) {
    let mut backend = MemoryDom::new();
    let root = backend.create_container();
    backend.load_html(root, html);
    (backend, root)
}

/// The state of a fresh container the HTML was loaded into.
fn loaded(html: &str) -> String {
    let (backend, root) = server_dom(html);
    backend.inner_state(root)
}

fn hydrate(html: &str, view: Element<TestMsg>) -> (TestDom, HydrationReport) {
    let (backend, root) = server_dom(html);
    Dom::hydrate(backend, root, view)
}

/// The same view must render the same, whether built fresh or parsed from its HTML, and a fresh
/// mount has its listeners bound.
fn fresh_state(spec: Spec) -> Result<String, TestCaseError> {
    let html = to_html(&spec.view());
    let dom = mount(spec.view());
    check_listeners(&dom, &spec.view())?;
    let mounted = state(&dom);
    let parsed = loaded(&html);
    prop_assert_eq!(
        &mounted,
        &parsed,
        "mount and parsed HTML differ for {}",
        html
    );
    Ok(mounted)
}

/// An event as tests fire it.
fn events() -> [FakeEvent; 4] {
    let shift_click = FakeEvent {
        modifiers: Modifiers {
            shift: true,
            ..Modifiers::default()
        },
        ..FakeEvent::new("click")
    };
    let input = FakeEvent {
        value: Some("typed".into()),
        ..FakeEvent::new("input")
    };
    [
        FakeEvent::new("click"),
        shift_click,
        input,
        FakeEvent::new("mouseenter"),
    ]
}

/// Fires every test event on every element of `view` in `dom` and compares what the delegated
/// listeners produce with what the view attaches.
fn check_listeners(dom: &TestDom, view: &Element<TestMsg>) -> Result<(), TestCaseError> {
    let backend = dom.backend();
    let root = *dom.root();
    for path in element_paths(view) {
        let node = path
            .iter()
            .try_fold(root, |n, &i| backend.children(n).get(i).copied());
        prop_assert!(node.is_some(), "no DOM node at {:?}", path);
        let node = node.unwrap_or(root);
        let expected_tag = tag_at(view, &path).map(str::to_string);
        prop_assert_eq!(
            Some(backend.kind(&node)),
            expected_tag.map(NodeKind::Element),
            "wrong node at {:?}",
            &path
        );
        for event in &events() {
            let outcome = dom.resolve_event(backend.slots_to_root(node, root), event);
            let (messages, prevent, stop) = expected_event(view, &path, event);
            prop_assert_eq!(
                &outcome.messages,
                &messages,
                "{} at {:?} in {:?}",
                event.kind,
                &path,
                view
            );
            prop_assert_eq!(outcome.prevent_default, prevent);
            prop_assert_eq!(outcome.stop_propagation, stop);
            if !messages.is_empty() || stop || prevent {
                prop_assert!(
                    backend.listening.iter().any(|l| l == event.kind),
                    "the root does not listen to {}",
                    event.kind
                );
            }
        }
    }
    Ok(())
}

/// `cases` unless `PROPTEST_CASES` asks for more (or fewer) in a longer run.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---- patching ----------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// Mount A, update to B: the DOM is what a fresh render of B builds, and what the browser
    /// parses from B's HTML; B's listeners are bound; rendering B again changes nothing.
    #[test]
    fn update_matches_a_fresh_render((a, b) in pair()) {
        let expected = fresh_state(b)?;
        let mut dom = mount(a.view());
        dom.update(b.view());
        prop_assert_eq!(
            state(&dom),
            expected,
            "\nA = {:?}\nB = {:?}",
            a.view(),
            b.view()
        );
        check_listeners(&dom, &b.view())?;

        let before = dom.backend().mutations;
        dom.update(b.view());
        prop_assert_eq!(dom.backend().mutations, before, "re-rendering {:?} mutated", b.view());
        check_listeners(&dom, &b.view())?;
    }

    /// A chain of updates keeps the DOM and the listeners in step with the latest view.
    #[test]
    fn chained_updates_stay_in_step(seed in any::<u64>(), variants in prop::collection::vec(variant(), 1..5), size in 0..=max_nodes()) {
        let mut dom = mount(related_view(seed, 0, size));
        for &v in &variants {
            let spec = Spec { seed, variant: v, size };
            dom.update(spec.view());
            prop_assert_eq!(state(&dom), fresh_state(spec)?, "variant {}", v);
            check_listeners(&dom, &spec.view())?;
        }
    }
}

// ---- hydration ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(384))]

    /// Server HTML of B hydrated with B: adopted as is, no mutation, no warning; the adopted
    /// nodes carry B's listeners and patch correctly to any C.
    #[test]
    fn hydration_adopts_matching_html((b, c) in pair()) {
        let html = to_html(&b.view());
        let before = loaded(&html);
        let (mut dom, report) = hydrate(&html, b.view());
        prop_assert_eq!(report, HydrationReport { mismatches: 0 }, "{}", html);
        prop_assert_eq!(dom.backend().mutations, 0, "{}", html);
        prop_assert!(dom.backend().warnings.is_empty(), "{:?}", dom.backend().warnings);
        prop_assert_eq!(state(&dom), before);
        check_listeners(&dom, &b.view())?;

        dom.update(c.view());
        prop_assert_eq!(state(&dom), fresh_state(c)?, "\nB = {}\nC = {:?}", html, c.view());
        check_listeners(&dom, &c.view())?;
    }

    /// Server HTML of A hydrated with B: never panics, ends as a fresh render of B, warns once
    /// per mismatch it reports, and the result patches like any rendered DOM.
    ///
    /// Raw inner HTML is adopted without being compared (documented on `unsafe_raw_html`), so
    /// when B has some, only the rest of the properties are checked.
    #[test]
    fn hydration_repairs_mismatches((a, b) in pair(), c in spec()) {
        let html_a = to_html(&a.view());
        let html_b = to_html(&b.view());
        let (mut dom, report) = hydrate(&html_a, b.view());
        let exact = !has_raw_html(&b.view());
        if exact {
            prop_assert_eq!(state(&dom), fresh_state(b)?, "\nserver = {}\nclient = {}", html_a, html_b);
        }
        let warnings = dom.backend().warnings.len();
        prop_assert_eq!(warnings, report.mismatches, "{:?}", dom.backend().warnings);
        prop_assert_eq!(report.mismatches > 0, dom.backend().mutations > 0);
        if html_a == html_b {
            prop_assert_eq!(report.mismatches, 0);
        }
        check_listeners(&dom, &b.view())?;

        dom.update(c.view());
        if exact {
            prop_assert_eq!(state(&dom), fresh_state(c)?);
        }
        check_listeners(&dom, &c.view())?;
    }
}

// ---- keyed moves -------------------------------------------------------------------------------

fn keyed(keys: &[u64]) -> TestDom {
    mount(keyed_rows(keys))
}

/// The `<li>` of each row, by key order in `keys`.
fn rows(dom: &TestDom) -> Vec<NodeId> {
    let ul = dom.backend().children(*dom.root())[0];
    dom.backend().children(ul).to_vec()
}

/// Updates to `new` and returns the mutations it took; checks the result against a fresh render
/// and that every surviving row kept its DOM node.
fn reorder(old: &[u64], new: &[u64]) -> Result<usize, TestCaseError> {
    let mut dom = keyed(old);
    let before: Vec<(u64, NodeId)> = old.iter().copied().zip(rows(&dom)).collect();
    let mutations = dom.backend().mutations;
    dom.update(keyed_rows(new));
    let cost = dom.backend().mutations - mutations;
    prop_assert_eq!(state(&dom), state(&keyed(new)));
    let after: Vec<(u64, NodeId)> = new.iter().copied().zip(rows(&dom)).collect();
    for (key, node) in &before {
        if let Some((_, now)) = after.iter().find(|(k, _)| k == key) {
            prop_assert_eq!(now, node, "row {} was rebuilt", key);
        }
    }
    check_listeners(&dom, &keyed_rows(new))?;
    Ok(cost)
}

/// The length of a longest increasing subsequence, the simple way.
fn lis_len(seq: &[usize]) -> usize {
    let mut best = vec![1; seq.len()];
    for i in 0..seq.len() {
        for j in 0..i {
            if seq[j] < seq[i] {
                best[i] = best[i].max(best[j] + 1);
            }
        }
    }
    best.into_iter().max().unwrap_or(0)
}

/// The fewest mutations that turn `old` rows into `new` when unchanged rows are kept: one per
/// removed or inserted row, one per row that must move (those off a longest run already in
/// order), or clearing the list at once when nothing survives.
fn minimal_cost(old: &[u64], new: &[u64]) -> usize {
    let kept: Vec<usize> = new
        .iter()
        .filter_map(|k| old.iter().position(|o| o == k))
        .collect();
    let inserted = new.len() - kept.len();
    let removed = old.len() - kept.len();
    if new.is_empty() {
        usize::from(!old.is_empty())
    } else if kept.is_empty() && !old.is_empty() {
        1 + inserted
    } else {
        removed + inserted + kept.len() - lis_len(&kept)
    }
}

/// Old keys `0..n`; new keys: the old ones reordered (shuffled or a few swaps), some dropped,
/// some new ones inserted.
fn key_edit() -> impl Strategy<Value = (Vec<u64>, Vec<u64>)> {
    (0..40usize)
        .prop_flat_map(|n| {
            let old: Vec<u64> = (0..n as u64).collect();
            let reordered = prop_oneof![
                Just(old.clone()),
                Just(old.clone()).prop_shuffle(),
                prop::collection::vec((any::<Index>(), any::<Index>()), 1..3).prop_map({
                    let old = old.clone();
                    move |swaps| {
                        let mut keys = old.clone();
                        if !keys.is_empty() {
                            for (a, b) in swaps {
                                let (a, b) = (a.index(keys.len()), b.index(keys.len()));
                                keys.swap(a, b);
                            }
                        }
                        keys
                    }
                })
            ];
            (
                Just(old),
                reordered,
                prop::collection::vec(prop::bool::weighted(0.85), n),
                prop::collection::vec(any::<Index>(), 0..5),
            )
        })
        .prop_map(|(old, reordered, keep, inserts)| {
            let mut new: Vec<u64> = reordered
                .into_iter()
                .zip(keep)
                .filter_map(|(k, keep)| keep.then_some(k))
                .collect();
            for (j, at) in inserts.into_iter().enumerate() {
                let at = at.index(new.len() + 1);
                new.insert(at, 1000 + j as u64);
            }
            (old, new)
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// Any edit of a keyed list costs exactly the minimal number of mutations, and surviving rows
    /// keep their DOM nodes.
    #[test]
    fn keyed_edits_are_minimal((old, new) in key_edit()) {
        let cost = reorder(&old, &new)?;
        prop_assert_eq!(cost, minimal_cost(&old, &new), "{:?} -> {:?}", old, new);
    }
}

fn thousand() -> Vec<u64> {
    (0..1000).collect()
}

#[test]
fn swapping_two_of_a_thousand_rows_is_two_inserts() {
    let old = thousand();
    let mut new = old.clone();
    new.swap(1, 998);
    assert_eq!(reorder(&old, &new).unwrap(), 2);
}

#[test]
fn swapping_the_first_and_last_of_a_thousand_rows_is_two_inserts() {
    let old = thousand();
    let mut new = old.clone();
    new.swap(0, 999);
    assert_eq!(reorder(&old, &new).unwrap(), 2);
    // With nothing kept between the two ends, one of them stays: one move.
    assert_eq!(
        reorder(&[0, 1, 2], &[2, 0]).unwrap(),
        2,
        "a removal and a move"
    );
}

#[test]
fn removing_one_row_is_one_mutation() {
    let old = thousand();
    for at in [0, 500, 999] {
        let mut new = old.clone();
        new.remove(at);
        assert_eq!(reorder(&old, &new).unwrap(), 1, "removing row {at}");
    }
}

#[test]
fn appending_costs_one_mutation_per_row() {
    let old = thousand();
    let mut new = old.clone();
    new.extend(1000..1010);
    assert_eq!(reorder(&old, &new).unwrap(), 10);
    let mut prepended: Vec<u64> = (1000..1003).collect();
    prepended.extend(&old);
    assert_eq!(reorder(&old, &prepended).unwrap(), 3);
}

#[test]
fn moving_one_row_is_one_insert() {
    let old = thousand();
    let mut new = old.clone();
    let row = new.remove(10);
    new.insert(900, row);
    assert_eq!(reorder(&old, &new).unwrap(), 1);
}

#[test]
fn reversing_moves_all_but_one_row() {
    let old: Vec<u64> = (0..100).collect();
    let new: Vec<u64> = old.iter().rev().copied().collect();
    assert_eq!(reorder(&old, &new).unwrap(), 99);
}

#[test]
fn replacing_every_row_clears_once() {
    let old = thousand();
    let new: Vec<u64> = (1000..1010).collect();
    assert_eq!(reorder(&old, &new).unwrap(), 11);
    assert_eq!(reorder(&old, &[]).unwrap(), 1);
}

// ---- keyed children are one DOM node each --------------------------------------------------------

/// Keyed children that are not one element: server HTML, a fresh mount and hydration agree.
#[test]
fn keyed_children_are_normalised() {
    use rally_view::html::{fragment, keyed, li, none, span, text};
    let views: Vec<fn() -> Element<TestMsg>> = vec![
        // Was mounted as `<ul></ul>`: the fragment became an empty placeholder text.
        || {
            keyed(
                "ul",
                vec![],
                vec![("a".into(), fragment(vec![li(vec![], vec![text("a")])]))],
            )
        },
        || {
            keyed(
                "ul",
                vec![],
                vec![
                    (
                        "a".into(),
                        fragment(vec![li(vec![], vec![text("a")]), li(vec![], vec![])]),
                    ),
                    ("b".into(), none()),
                    ("c".into(), li(vec![], vec![text("c")])),
                ],
            )
        },
        // Integer keys: a fragment's later nodes get text keys of their own.
        || {
            keyed(
                "ul",
                vec![],
                vec![
                    (
                        1.into(),
                        fragment(vec![
                            li(vec![], vec![text("1a")]),
                            li(vec![], vec![text("1b")]),
                        ]),
                    ),
                    (2.into(), li(vec![], vec![text("2")])),
                    // A text key of the same digits is another key.
                    ("1".into(), li(vec![], vec![text("text key")])),
                ],
            )
        },
        // Was hydrated with two mismatches: an empty text has no node in the server HTML.
        || {
            keyed(
                "ul",
                vec![],
                vec![("a".into(), text("")), ("b".into(), li(vec![], vec![]))],
            )
        },
        // Was hydrated with two mismatches: the parser merges the two texts.
        || {
            keyed(
                "span",
                vec![],
                vec![
                    ("a".into(), text("x")),
                    ("b".into(), text("y")),
                    ("c".into(), span(vec![], vec![])),
                    ("d".into(), text("z")),
                ],
            )
        },
    ];
    for view in views {
        let html = to_html(&view());
        let expected = loaded(&html);
        assert_eq!(state(&mount(view())), expected, "{html}");
        let (dom, report) = hydrate(&html, view());
        assert_eq!(report.mismatches, 0, "{html}: {:?}", dom.backend().warnings);
        assert_eq!(state(&dom), expected);
    }
}

// ---- regressions ------------------------------------------------------------------------------

/// A property set twice: the later value wins on the server as on the client. (The renderer
/// wrote both as attributes and the parser keeps the first, so `checked(true), checked(false)`
/// was checked on the server and unchecked on the client.)
#[test]
fn repeated_properties_last_one_wins() {
    use rally_view::attribute::{checked, value};
    use rally_view::html::input;
    let views: Vec<fn() -> Element<TestMsg>> =
        vec![|| input(vec![checked(true), checked(false)]), || {
            input(vec![value("first"), value("second")])
        }];
    for view in views {
        let html = to_html(&view());
        assert_eq!(state(&mount(view())), loaded(&html), "{html}");
        let (dom, report) = hydrate(&html, view());
        assert_eq!(report.mismatches, 0, "{html}: {:?}", dom.backend().warnings);
    }
}

/// Text and attributes with carriage returns hydrate without a mismatch: the parser reads a raw
/// `\r\n` as `\n`, so the renderer writes `\r` as `&#13;`.
#[test]
fn carriage_returns_hydrate() {
    use rally_view::attribute::title;
    use rally_view::html::{div, style, text};
    let view = || {
        div(
            vec![title("a\r\nb\rc")],
            vec![text("d\r\ne\rf"), style(vec![], vec![text("a{}\r\nb{}")])],
        )
    };
    let html = to_html(&view());
    let (dom, report) = hydrate(&html, view());
    assert_eq!(report.mismatches, 0, "{:?}", dom.backend().warnings);
    assert_eq!(state(&dom), state(&mount(view())));
}

/// A controlled input shows the view's value again after the user typed, on the next render.
#[test]
fn controlled_inputs_follow_the_view() {
    use rally_view::PropValue;
    use rally_view::attribute::{checked, type_, value};
    use rally_view::html::{div, input};
    let view = || {
        div(
            vec![],
            vec![
                input(vec![value("model")]),
                input(vec![type_("checkbox"), checked(true)]),
            ],
        )
    };
    let mut dom = mount(view());
    let expected = state(&dom);
    let root = *dom.root();
    let div = dom.backend().children(root)[0];
    let [text_box, check_box] = dom.backend().children(div) else {
        panic!("two inputs expected");
    };
    let (text_box, check_box) = (*text_box, *check_box);
    // The user types and unticks: properties change, not attributes.
    dom.backend_mut()
        .set_property(&text_box, "value", &PropValue::Str("typed".into()));
    dom.backend_mut()
        .set_property(&check_box, "checked", &PropValue::Bool(false));
    assert_ne!(state(&dom), expected);
    dom.update(view());
    assert_eq!(state(&dom), expected);
}

/// A mismatch's warning names where it is: each step a tag (`#text` for a text, nothing for a
/// node the view does not have) and its index among its siblings.
#[test]
fn mismatch_warnings_name_the_path() {
    use rally_view::html::{div, p, span, text};
    let html = "<div><p>a</p><span>old</span></div><i>extra</i>";
    let view = div(
        vec![],
        vec![p(vec![], vec![text("a")]), span(vec![], vec![text("new")])],
    );
    let (dom, report) = hydrate(html, view);
    assert_eq!(report.mismatches, 2);
    assert_eq!(
        dom.backend().warnings,
        [
            "rally: hydration mismatch at div[0] > span[1] > #text[0]: text differs: server \"old\", client \"new\"",
            "rally: hydration mismatch at [1]: extra node in the server HTML; removing it",
        ]
    );
    assert_eq!(state(&dom), loaded("<div><p>a</p><span>new</span></div>"));
}
