//! The native property tests of rally-view (`crates/rally-view/tests/diff_properties.rs`),
//! repeated on Chromium's real DOM and HTML parser, plus a fixture for event decoding.
//! `e2e/view-props.test.mjs` loads this bundle and calls the exported functions.

#![cfg(target_arch = "wasm32")]

use rally_view::attribute::{self as attr, id, name, type_};
use rally_view::dom::Dom;
use rally_view::event::{self, on_check, on_click, on_input, on_keydown, on_submit};
use rally_view::html::{self, button, div, form, input, li, option, select, span, text};
use rally_view::render::to_html;
use rally_view::testing::{
    FakeEvent, Rng, TestMsg, element_paths, expected_event, has_raw_html, mix, related_view, tag_at,
};
use rally_view::web::{self, WebBackend};
use rally_view::{App, Effect, Element, Key};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Node};

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a page")
}

fn container() -> web_sys::Element {
    let el = document().create_element("div").expect("div");
    document()
        .body()
        .expect("body")
        .append_child(&el)
        .expect("append");
    el
}

fn parsed(html: &str) -> web_sys::Element {
    let el = container();
    el.set_inner_html(html);
    el
}

/// The DOM's visible state: markup with sorted attributes, and the live `value`/`checked`/
/// `selected` properties in place of their attributes.
fn state(node: &Node) -> String {
    let mut out = String::new();
    let children = node.child_nodes();
    for i in 0..children.length() {
        if let Some(c) = children.item(i) {
            write_state(&c, &mut out);
        }
    }
    out
}

fn prop(node: &Node, name: &str) -> JsValue {
    js_sys::Reflect::get(node, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn write_state(node: &Node, out: &mut String) {
    match node.node_type() {
        Node::TEXT_NODE => {
            out.push('"');
            out.push_str(&node.node_value().unwrap_or_default());
            out.push('"');
        }
        Node::ELEMENT_NODE => {
            let el: &web_sys::Element = node.unchecked_ref();
            let tag = el.local_name();
            out.push('<');
            out.push_str(&tag);
            let mut attrs: Vec<(String, String)> = el
                .get_attribute_names()
                .iter()
                .filter_map(|n| n.as_string())
                .filter(|n| !matches!(n.as_str(), "value" | "checked" | "selected"))
                .map(|n| {
                    let v = el.get_attribute(&n).unwrap_or_default();
                    (n, v)
                })
                .collect();
            attrs.sort();
            for (n, v) in attrs {
                out.push_str(&format!(" {n}={v:?}"));
            }
            match tag.as_str() {
                "input" => out.push_str(&format!(
                    " .value={:?} .checked={:?}",
                    prop(node, "value").as_string().unwrap_or_default(),
                    prop(node, "checked").as_bool().unwrap_or(false)
                )),
                "option" => out.push_str(&format!(
                    " .selected={:?}",
                    prop(node, "selected").as_bool()
                )),
                "textarea" => {
                    out.push_str(&format!(" .value={:?}", prop(node, "value").as_string()))
                }
                _ => {}
            }
            out.push('>');
            if tag != "textarea" {
                out.push_str(&state(node));
            }
            out.push_str("</");
            out.push_str(&tag);
            out.push('>');
        }
        _ => out.push_str("<!---->"),
    }
}

fn fail(case: u32, seed: u64, what: &str, expected: &str, actual: &str) -> JsValue {
    JsValue::from_str(&format!(
        "case {case} (seed {seed}): {what}\n  expected: {expected}\n  actual:   {actual}"
    ))
}

/// Observes mutations under a node; `take()` returns how many happened so far.
struct Observer(web_sys::MutationObserver);

impl Observer {
    fn new(node: &Node) -> Self {
        let callback = js_sys::Function::new_no_args("");
        let observer = web_sys::MutationObserver::new(&callback).expect("observer");
        let init = web_sys::MutationObserverInit::new();
        init.set_subtree(true);
        init.set_child_list(true);
        init.set_attributes(true);
        init.set_character_data(true);
        observer.observe_with_options(node, &init).expect("observe");
        Observer(observer)
    }

    fn take(&self) -> u32 {
        self.0.take_records().length()
    }
}

/// For `cases` random pairs of related views A, B, C on the real DOM: patching A into B gives
/// what the parser builds from B's HTML; hydrating B's HTML causes zero mutations and
/// zero mismatches; the hydrated DOM then patches into C correctly; hydrating A's HTML with
/// view B repairs it into B. Returns the number of cases run, or throws the first failure.
#[wasm_bindgen]
pub fn run_dom_properties(seed: u64, cases: u32, max_nodes: usize) -> Result<u32, JsValue> {
    for case in 0..cases {
        let s = mix(seed, u64::from(case));
        let view = |variant| related_view(s, variant, max_nodes);
        let (html_a, html_b, html_c) = (to_html(&view(0)), to_html(&view(1)), to_html(&view(2)));

        // Patch A → B.
        let root = container();
        let mut dom = Dom::mount(
            WebBackend::without_events(root.clone()),
            root.clone().into(),
            view(0),
        );
        let expected_a = state(&parsed(&html_a));
        if state(&root) != expected_a {
            return Err(fail(
                case,
                s,
                "mounting A differs from parsing A's HTML",
                &expected_a,
                &state(&root),
            ));
        }
        dom.update(view(1));
        let expected_b = state(&parsed(&html_b));
        if state(&root) != expected_b {
            return Err(fail(
                case,
                s,
                "patching A into B differs from parsing B's HTML",
                &expected_b,
                &state(&root),
            ));
        }

        // Hydrate B's HTML with B: nothing may change.
        let host = parsed(&html_b);
        let observer = Observer::new(&host);
        let (mut hydrated, report) = Dom::hydrate(
            WebBackend::without_events(host.clone()),
            host.clone().into(),
            view(1),
        );
        let mutations = observer.take();
        if report.mismatches != 0 || mutations != 0 {
            return Err(fail(
                case,
                s,
                "hydrating B's own HTML",
                "0 mismatches, 0 mutations",
                &format!("{} mismatches, {mutations} mutations", report.mismatches),
            ));
        }
        if state(&host) != expected_b {
            return Err(fail(
                case,
                s,
                "hydration changed the DOM",
                &expected_b,
                &state(&host),
            ));
        }
        hydrated.update(view(2));
        let expected_c = state(&parsed(&html_c));
        if state(&host) != expected_c {
            return Err(fail(
                case,
                s,
                "patching the hydrated DOM into C",
                &expected_c,
                &state(&host),
            ));
        }

        // Hydrate A's HTML with view B: repaired into B.
        let wrong = parsed(&html_a);
        let (_, report) = Dom::hydrate(
            WebBackend::without_events(wrong.clone()),
            wrong.clone().into(),
            view(1),
        );
        if html_a != html_b && report.mismatches == 0 {
            return Err(fail(
                case,
                s,
                "hydrating A's HTML with B found no mismatch",
                ">0",
                "0",
            ));
        }
        if !has_raw_html(&view(1)) && state(&wrong) != expected_b {
            return Err(fail(
                case,
                s,
                "mismatch repair did not end at B",
                &expected_b,
                &state(&wrong),
            ));
        }
        for el in [root, host, wrong] {
            el.remove();
        }
    }
    let body = document().body().expect("body");
    body.set_inner_html("");
    Ok(cases)
}

// ---- keyed lists of lazy rows ------------------------------------------------------------------

/// A row of a lazy list: its id and a version that changes what it shows.
type Row = (u64, u8);

fn lazy_row(&(id, version): &Row) -> Element<TestMsg> {
    li(
        [
            attr::class(format!("v{version}")),
            on_click(TestMsg::Click(id as u32)),
        ],
        [
            text(format!("row {id} v{version}")),
            button([on_click(TestMsg::Remove(id as u32))], [text("x")]),
        ],
    )
}

fn lazy_rows(rows: &[Row]) -> Element<TestMsg> {
    html::keyed_lazy(
        "ul",
        [attr::class("rows")],
        rows.iter().map(|&r| (r.0, r)),
        lazy_row,
    )
}

/// What `lazy_rows` must render and diff like.
fn keyed_rows_of(rows: &[Row]) -> Element<TestMsg> {
    html::keyed(
        "ul",
        [attr::class("rows")],
        rows.iter().map(|r| (Key::from(r.0), lazy_row(r))),
    )
}

/// A random edit: rows shuffled or kept in order, some dropped, some new, some changed; a
/// third of the edits only change rows, as a selection does (the keys stay in place), and
/// some swap two rows or remove one run, which the list finds by comparing rows (ADR 0067).
fn edited(rng: &mut Rng, rows: &[Row], next_id: &mut u64) -> Vec<Row> {
    if !rows.is_empty() && rng.chance(25) {
        let mut out = rows.to_vec();
        if rng.chance(50) {
            out.swap(rng.below(rows.len()), rng.below(rows.len()));
        } else {
            let at = rng.below(rows.len());
            out.drain(at..(at + 1 + rng.below(3)).min(rows.len()));
        }
        for row in &mut out {
            if rng.chance(10) {
                row.1 = row.1.wrapping_add(1);
            }
        }
        return out;
    }
    if rng.chance(33) {
        let bump = |(id, v): Row, rng: &mut Rng| (id, v.wrapping_add(u8::from(rng.chance(20))));
        return rows.iter().map(|&r| bump(r, rng)).collect();
    }
    let mut out: Vec<Row> = rows.iter().copied().filter(|_| !rng.chance(15)).collect();
    if rng.chance(40) {
        for i in (1..out.len()).rev() {
            out.swap(i, rng.below(i + 1));
        }
    }
    for row in &mut out {
        if rng.chance(20) {
            row.1 = row.1.wrapping_add(1);
        }
    }
    for _ in 0..rng.below(4) {
        let at = rng.below(out.len() + 1);
        out.insert(at, (*next_id, 0));
        *next_id += 1;
    }
    out
}

/// The `<li>` nodes under the list in `root`.
fn row_nodes(root: &web_sys::Element) -> Vec<Node> {
    let Some(ul) = root.first_child() else {
        return Vec::new();
    };
    let children = ul.child_nodes();
    (0..children.length())
        .filter_map(|i| children.item(i))
        .collect()
}

/// For `cases` random edits of a `keyed_lazy` list on the real DOM: the patched list is what
/// the parser builds from the edited list's HTML, rows that stay keep their DOM nodes, and
/// hydrating the server's HTML changes nothing and patches on correctly. Returns the number of
/// cases run, or throws the first failure.
#[wasm_bindgen]
pub fn run_lazy_list_properties(seed: u64, cases: u32) -> Result<u32, JsValue> {
    for case in 0..cases {
        let s = mix(seed, u64::from(case));
        let mut rng = Rng::new(s);
        let mut next_id = 1000;
        let old: Vec<Row> = (0..rng.below(30) as u64).map(|id| (id, 0)).collect();
        let new = edited(&mut rng, &old, &mut next_id);
        let expected = |rows: &[Row]| state(&parsed(&to_html(&keyed_rows_of(rows))));

        let root = container();
        let mut dom = Dom::mount(
            WebBackend::without_events(root.clone()),
            root.clone().into(),
            lazy_rows(&old),
        );
        let before: Vec<(u64, Node)> = old.iter().map(|r| r.0).zip(row_nodes(&root)).collect();
        dom.update(lazy_rows(&new));
        if state(&root) != expected(&new) {
            let what = format!("patching {old:?} into {new:?}");
            return Err(fail(case, s, &what, &expected(&new), &state(&root)));
        }
        for (row, node) in new.iter().zip(row_nodes(&root)) {
            if let Some((_, was)) = before.iter().find(|(id, _)| *id == row.0)
                && !was.is_same_node(Some(&node))
            {
                return Err(fail(
                    case,
                    s,
                    "a kept row was recreated",
                    &row.0.to_string(),
                    "",
                ));
            }
        }

        let host = parsed(&to_html(&keyed_rows_of(&new)));
        let observer = Observer::new(&host);
        let (mut hydrated, report) = Dom::hydrate(
            WebBackend::without_events(host.clone()),
            host.clone().into(),
            lazy_rows(&new),
        );
        let mutations = observer.take();
        if report.mismatches != 0 || mutations != 0 {
            return Err(fail(
                case,
                s,
                "hydrating the list's own HTML",
                "0 mismatches, 0 mutations",
                &format!("{} mismatches, {mutations} mutations", report.mismatches),
            ));
        }
        hydrated.update(lazy_rows(&old));
        if state(&host) != expected(&old) {
            return Err(fail(
                case,
                s,
                "patching the hydrated list back",
                &expected(&old),
                &state(&host),
            ));
        }
        root.remove();
        host.remove();
    }
    document().body().expect("body").set_inner_html("");
    Ok(cases)
}

// ---- a shared lazy list that marks its row with a class ----------------------------------------

/// Rows whose view has a class of its own: the mark's class joins it.
fn marked_rows(rows: &std::sync::Arc<Vec<Row>>, mark: Option<u64>) -> Element<TestMsg> {
    html::keyed_lazy_shared_class(
        "ul",
        [attr::class("rows")],
        std::sync::Arc::clone(rows),
        |row: &Row| row.0,
        mark,
        "on",
        lazy_row,
    )
}

/// What `marked_rows` must render and diff like: the marked row's own class with `on` after it.
fn keyed_marked_rows_of(rows: &[Row], mark: Option<u64>) -> Element<TestMsg> {
    html::keyed(
        "ul",
        [attr::class("rows")],
        rows.iter().map(|r| {
            let row = li(
                [
                    attr::class(format!("v{}", r.1)),
                    if Some(r.0) == mark {
                        attr::class("on")
                    } else {
                        attr::none()
                    },
                    on_click(TestMsg::Click(r.0 as u32)),
                ],
                [
                    text(format!("row {} v{}", r.0, r.1)),
                    button([on_click(TestMsg::Remove(r.0 as u32))], [text("x")]),
                ],
            );
            (Key::from(r.0), row)
        }),
    )
}

/// For `cases` random edits and moves of the mark of a `keyed_lazy_shared_class` list on the
/// real DOM (`classList.toggle`): the patched list is what the parser builds from the plain
/// keyed list's HTML, kept rows keep their nodes, the server's HTML hydrates without a
/// mutation, and a move of the mark over the very same rows changes two class attributes.
#[wasm_bindgen]
pub fn run_class_mark_properties(seed: u64, cases: u32) -> Result<u32, JsValue> {
    for case in 0..cases {
        let s = mix(seed, u64::from(case));
        let mut rng = Rng::new(s);
        let mut next_id = 1000;
        let old: Vec<Row> = (0..rng.below(30) as u64).map(|id| (id, 0)).collect();
        let new = std::sync::Arc::new(edited(&mut rng, &old, &mut next_id));
        let old = std::sync::Arc::new(old);
        let mut mark = || rng.chance(80).then(|| rng.below(40) as u64);
        let (old_mark, new_mark, moved_mark) = (mark(), mark(), mark());
        let expected =
            |rows: &[Row], mark| state(&parsed(&to_html(&keyed_marked_rows_of(rows, mark))));
        // `classList` leaves `class=""` on an element whose last class it removed.
        let seen = |root: &web_sys::Element| state(root).replace(" class=\"\"", "");

        let root = container();
        let mut dom = Dom::mount(
            WebBackend::without_events(root.clone()),
            root.clone().into(),
            marked_rows(&old, old_mark),
        );
        let before: Vec<(u64, Node)> = old.iter().map(|r| r.0).zip(row_nodes(&root)).collect();
        dom.update(marked_rows(&new, new_mark));
        if seen(&root) != expected(&new, new_mark) {
            let what =
                format!("patching {old:?} marked {old_mark:?} into {new:?} marked {new_mark:?}");
            return Err(fail(
                case,
                s,
                &what,
                &expected(&new, new_mark),
                &seen(&root),
            ));
        }
        for (row, node) in new.iter().zip(row_nodes(&root)) {
            if let Some((_, was)) = before.iter().find(|(id, _)| *id == row.0)
                && !was.is_same_node(Some(&node))
            {
                return Err(fail(
                    case,
                    s,
                    "a kept row was recreated",
                    &row.0.to_string(),
                    "",
                ));
            }
        }
        let observer = Observer::new(&root);
        dom.update(marked_rows(&new, moved_mark));
        let mutations = observer.take();
        let marked = |mark: Option<u64>| u32::from(new.iter().any(|r| Some(r.0) == mark));
        let exact = if new_mark == moved_mark {
            0
        } else {
            marked(new_mark) + marked(moved_mark)
        };
        if seen(&root) != expected(&new, moved_mark) || mutations != exact {
            let what = format!(
                "moving the mark from {new_mark:?} to {moved_mark:?} ({mutations} mutations, {exact} expected)"
            );
            return Err(fail(
                case,
                s,
                &what,
                &expected(&new, moved_mark),
                &seen(&root),
            ));
        }

        let host = parsed(&to_html(&marked_rows(&new, new_mark)));
        let observer = Observer::new(&host);
        let (mut hydrated, report) = Dom::hydrate(
            WebBackend::without_events(host.clone()),
            host.clone().into(),
            marked_rows(&new, new_mark),
        );
        let mutations = observer.take();
        if report.mismatches != 0 || mutations != 0 {
            return Err(fail(
                case,
                s,
                "hydrating the list's own HTML",
                "0 mismatches, 0 mutations",
                &format!("{} mismatches, {mutations} mutations", report.mismatches),
            ));
        }
        hydrated.update(marked_rows(&old, old_mark));
        if seen(&host) != expected(&old, old_mark) {
            return Err(fail(
                case,
                s,
                "patching the hydrated list back",
                &expected(&old, old_mark),
                &seen(&host),
            ));
        }
        root.remove();
        host.remove();
    }
    document().body().expect("body").set_inner_html("");
    Ok(cases)
}

fn node_at(root: &Node, path: &[usize]) -> Option<Node> {
    let mut node = root.clone();
    for &i in path {
        node = node.child_nodes().item(i as u32)?;
    }
    Some(node)
}

/// For `cases` random views, hydrated into a running program: a real click on every element
/// dispatches exactly the messages the view attaches from the target outwards, and
/// `preventDefault()` exactly when a listener asks for it.
#[wasm_bindgen]
pub fn run_event_properties(seed: u64, cases: u32, max_nodes: usize) -> Result<u32, JsValue> {
    for case in 0..cases {
        let s = mix(seed, u64::from(case));
        let host = parsed(&to_html(&related_view(s, 1, max_nodes)));
        let app = App::new(
            |log: &mut Vec<TestMsg>, msg| {
                log.push(msg);
                Effect::none()
            },
            move |_: &Vec<TestMsg>| related_view(s, 1, max_nodes),
        );
        let (program, report) = web::hydrate(host.clone(), app, Vec::new());
        if report.mismatches != 0 {
            return Err(fail(
                case,
                s,
                "hydration before events",
                "0 mismatches",
                &report.mismatches.to_string(),
            ));
        }
        let view = related_view(s, 1, max_nodes);
        for path in element_paths(&view) {
            // A click inside a <label> is re-dispatched by the browser to the labelled control
            // (label activation), which the oracle does not model.
            if (1..=path.len()).any(|k| tag_at(&view, &path[..k]) == Some("label")) {
                continue;
            }
            let Some(target) = node_at(&host, &path) else {
                return Err(fail(
                    case,
                    s,
                    "element missing",
                    &format!("{path:?}"),
                    "none",
                ));
            };
            let before = program.with_model(Vec::len);
            let init = web_sys::MouseEventInit::new();
            init.set_bubbles(true);
            init.set_cancelable(true);
            let event =
                web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).expect("event");
            // The page records each `preventDefault()` call in `window.__prevented`.
            let window = web_sys::window().expect("window");
            let _ = js_sys::Reflect::set(&window, &"__prevented".into(), &JsValue::FALSE);
            target.dispatch_event(&event).expect("dispatch");
            let prevented = js_sys::Reflect::get(&window, &"__prevented".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let got: Vec<TestMsg> = program.with_model(|log| log[before..].to_vec());
            let (expected, prevent, _) = expected_event(&view, &path, &FakeEvent::new("click"));
            if got != expected || prevented != prevent {
                return Err(fail(
                    case,
                    s,
                    &format!("click on {path:?}"),
                    &format!("{expected:?}, preventDefault {prevent}"),
                    &format!("{got:?}, preventDefault {prevented}"),
                ));
            }
        }
        host.remove();
    }
    Ok(cases)
}

/// A form exercising every event decoder. Each decoded message is appended, as text, to
/// `window.__events` for the test to read.
#[wasm_bindgen]
pub fn mount_event_fixture() {
    #[derive(Clone, Debug)]
    enum Ev {
        Click,
        Input(String),
        Check(bool),
        Key(String, bool, bool),
        Submit(Vec<(String, String)>),
        Change(String),
        Inner,
        Outer,
    }
    let view = |_: &()| -> Element<Ev> {
        div(
            vec![],
            vec![
                button(vec![id("click"), on_click(Ev::Click)], vec![text("click")]),
                input(vec![
                    id("text"),
                    on_input(Ev::Input),
                    on_keydown(|k| Some(Ev::Key(k.key, k.modifiers.shift, k.modifiers.ctrl))),
                ]),
                input(vec![id("check"), type_("checkbox"), on_check(Ev::Check)]),
                select(
                    vec![id("select"), event::on_change(Ev::Change)],
                    vec![
                        option(vec![attr::value("a")], vec![text("A")]),
                        option(vec![attr::value("b")], vec![text("B")]),
                    ],
                ),
                form(
                    vec![id("form"), on_submit(|v| Ev::Submit(v.0))],
                    vec![
                        input(vec![name("title"), attr::value("first")]),
                        input(vec![name("tag"), attr::value("x")]),
                        input(vec![name("tag"), attr::value("y")]),
                        button(vec![id("submit"), type_("submit")], vec![text("go")]),
                    ],
                ),
                div(
                    vec![id("outer"), on_click(Ev::Outer)],
                    vec![
                        span(
                            vec![id("inner"), on_click(Ev::Inner).stop_propagation()],
                            vec![text("inner")],
                        ),
                        span(vec![id("plain")], vec![text("plain")]),
                    ],
                ),
            ],
        )
    };
    let root = container();
    root.set_id("fixture");
    let events = js_sys::Array::new();
    let _ = js_sys::Reflect::set(
        &web_sys::window().expect("window"),
        &"__events".into(),
        &events,
    );
    let app = App::new(
        move |_: &mut (), ev: Ev| {
            events.push(&JsValue::from_str(&format!("{ev:?}")));
            Effect::none()
        },
        view,
    );
    std::mem::forget(web::mount(root, app, ()));
}
