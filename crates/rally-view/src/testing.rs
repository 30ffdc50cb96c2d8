//! Random views for property tests, natively and in the browser.
//!
//! [`random_view`] builds a deterministic pseudo-random tree from a seed: texts with hostile
//! content, attributes, properties, listeners, plain and keyed children, fragments and `none()`.
//! Every tree is *valid HTML nesting* (no block inside `<p>` or inline elements, no interactive
//! element inside `<a>` or `<button>`, `<li>` only in `<ul>`, no tables), so a browser's parser
//! builds exactly the DOM the renderer meant — the premise of hydration.
//!
//! [`related_view`] builds a *variant* of the same tree: the same seed gives the same skeleton,
//! and the variant changes a few decisions (a text, an attribute, a tag, a child count) and
//! shuffles, drops and inserts keyed rows. Diffing a view against a related one exercises
//! patches and keyed moves rather than wholesale replacement.
//!
//! Each node draws its decisions from its own generator, seeded from its parent's seed and its
//! index (or, for keyed rows, its key), so a change in one subtree never reshuffles the rest and
//! a keyed row looks the same wherever it moves.
//!
//! [`expected_event`] is an oracle for event delegation worked out from the view alone, and
//! [`element_paths`] lists where the view's elements are, so a test can fire an event on each
//! DOM node and compare. [`keyed_rows`] builds a benchmark-style keyed list.
//!
//! No dependency here: this module builds for wasm32 too, where browser tests use it.

use crate::attribute::{self, class, id, title};
pub use crate::event::FakeEvent;
use crate::event::{self, on_click, on_input};
use crate::html::{self, text};
use crate::vdom::{AnyElement, Attribute, Children, Element, EventData, Handler, Key};

/// The messages generated views produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMsg {
    /// A click on an element carrying this number.
    Click(u32),
    /// A click with Shift held (a decoder that ignores other clicks).
    ShiftClick(u32),
    /// `mouseenter`, which does not bubble.
    Enter(u32),
    /// The `input` event's target value.
    Input(String),
    /// The remove button of a [`keyed_rows`] row.
    Remove(u32),
}

/// A tiny deterministic PRNG (SplitMix64): good enough to drive test data, same on every target.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `0` when `n` is `0`.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with the given probability in percent.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Combines two seeds into a new one.
pub fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.rotate_left(32) ^ 0xD6E8_FEB8_6659_FD93).next_u64()
}

/// A random tree of at most about `max_nodes` nodes (elements and texts).
pub fn random_view(seed: u64, max_nodes: usize) -> Element<TestMsg> {
    related_view(seed, 0, max_nodes)
}

/// A variant of [`random_view`]`(seed, max_nodes)`: variant `0` is that very tree; any other
/// variant changes some texts, attributes, listeners, tags and child counts, and shuffles, drops
/// and inserts keyed rows. Two variants of one seed are related to each other the same way.
pub fn related_view(seed: u64, variant: u64, max_nodes: usize) -> Element<TestMsg> {
    let g = Gen { variant };
    let mut dice = g.dice(seed);
    let flow = Ctx::FLOW;
    match dice.below(20) {
        0 => html::none(),
        1 => text(dice.pick(TEXTS)),
        2..=4 => html::fragment(g.children(seed, &mut dice, flow, max_nodes, 5)),
        _ => {
            let attrs = g.attrs(&mut dice, "div");
            html::div(
                attrs,
                g.children(seed, &mut dice, flow, max_nodes.saturating_sub(1), 6),
            )
        }
    }
}

/// A keyed `<ul>` with one `<li>` per key, each with a listener, a text and a button: the shape
/// of a benchmark table, for keyed-move tests.
pub fn keyed_rows(keys: &[u64]) -> Element<TestMsg> {
    html::keyed(
        "ul",
        vec![class("rows")],
        keys.iter().map(|&k| (Key::from(k), row(k))),
    )
}

fn row(k: u64) -> Element<TestMsg> {
    html::li(
        vec![class("row"), on_click(TestMsg::Click(k as u32))],
        vec![
            html::span(vec![], vec![text(format!("row {k}"))]),
            html::button(vec![on_click(TestMsg::Remove(k as u32))], vec![text("x")]),
        ],
    )
}

/// Texts that try to break the renderer, the parser or the diff. (No NUL: the HTML parser drops
/// or replaces it, `&#0;` included, so no markup round-trips it.)
pub const TEXTS: &[&str] = &[
    "hello",
    "world",
    "",
    " ",
    "  spaced  out  ",
    "<script>alert(1)</script>",
    "</textarea><b>x</b>",
    "</p><div>",
    "&amp;",
    "&lt;not a tag&gt;",
    "a & b",
    "AT&T; &copy &#39;",
    "\"double\" 'single'",
    "<!-- not a comment -->",
    "</style></script>",
    "x > y < z",
    "\nleading newline",
    "line\nbreak",
    "tab\there",
    "windows\r\nline",
    "lone\rcr",
    "héllo wörld",
    "日本語テキスト",
    "emoji 🎉👩‍💻",
    "\u{a0}nbsp\u{a0}",
    "zero\u{200b}width",
    "right-to-left \u{202e}txet",
];

const CLASSES: &[&str] = &["a", "b", "a b", "row selected", "x\"y", "<c>"];
const DATA_NAMES: &[&str] = &["x", "row-id", "state"];
const RAW_HTML: &[&str] = &[
    "<b>bold</b> &amp; <i>italic</i>",
    "plain",
    "<span class=\"raw\">a</span><span>b</span>",
    "",
];

/// Where a node is placed, which limits what may go there.
#[derive(Clone, Copy)]
struct Ctx {
    /// Only phrasing (inline) content: inside `<p>`, `<span>`, `<button>`...
    phrasing: bool,
    /// Inside `<a>` or `<button>`: no interactive content.
    in_interactive: bool,
    /// Inside `<label>`: no other label.
    in_label: bool,
}

impl Ctx {
    const FLOW: Ctx = Ctx {
        phrasing: false,
        in_interactive: false,
        in_label: false,
    };

    fn phrasing(self) -> Ctx {
        Ctx {
            phrasing: true,
            ..self
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    TextRun,
    None,
    Fragment,
    Div,
    Section,
    P,
    Pre,
    Ul,
    KeyedUl,
    KeyedDiv,
    Raw,
    Style,
    Span,
    Strong,
    Em,
    KeyedSpan,
    A,
    Button,
    Label,
    Input,
    Textarea,
    Br,
    Svg,
    Mapped,
}

const FLOW_KINDS: &[Kind] = &[
    Kind::Div,
    Kind::Div,
    Kind::Section,
    Kind::P,
    Kind::P,
    Kind::Pre,
    Kind::Ul,
    Kind::KeyedUl,
    Kind::KeyedUl,
    Kind::KeyedDiv,
    Kind::Raw,
    Kind::Style,
];

const PHRASING_KINDS: &[Kind] = &[
    Kind::Text,
    Kind::Text,
    Kind::Text,
    Kind::TextRun,
    Kind::None,
    Kind::Fragment,
    Kind::Span,
    Kind::Span,
    Kind::Strong,
    Kind::Em,
    Kind::KeyedSpan,
    Kind::A,
    Kind::Button,
    Kind::Label,
    Kind::Input,
    Kind::Input,
    Kind::Textarea,
    Kind::Br,
    Kind::Svg,
    Kind::Mapped,
];

/// The decisions of one node: drawn from the node's seed, and for a variant sometimes replaced
/// by a draw from the variant's generator. The seed's generator is always advanced, so the
/// decisions after a changed one stay the same.
struct Dice {
    base: Rng,
    var: Option<Rng>,
}

impl Dice {
    /// Percent of decisions a variant changes.
    const CHANGE: usize = 6;

    fn below(&mut self, n: usize) -> usize {
        let base = self.base.below(n);
        match &mut self.var {
            Some(var) => {
                if var.chance(Self::CHANGE) {
                    var.below(n)
                } else {
                    base
                }
            }
            None => base,
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

struct Gen {
    variant: u64,
}

impl Gen {
    fn dice(&self, seed: u64) -> Dice {
        Dice {
            base: Rng::new(seed),
            var: (self.variant != 0).then(|| Rng::new(mix(seed, self.variant))),
        }
    }

    /// Up to `max_count` children sharing `budget` nodes: each gets an even share of what its
    /// elder siblings left.
    fn children(
        &self,
        seed: u64,
        dice: &mut Dice,
        ctx: Ctx,
        budget: usize,
        max_count: usize,
    ) -> Vec<Element<TestMsg>> {
        // Mostly some children, now and then none (an empty element).
        let count = if dice.chance(10) {
            0
        } else {
            1 + dice.below(max_count.min(budget))
        };
        let count = count.min(budget);
        let mut left = budget;
        (0..count)
            .map(|i| {
                let child = self.node(mix(seed, i as u64), ctx, left / (count - i));
                left = left.saturating_sub(size(child.any()));
                child
            })
            .collect()
    }

    /// One child of at most `budget` nodes.
    fn node(&self, seed: u64, ctx: Ctx, budget: usize) -> Element<TestMsg> {
        let mut dice = self.dice(seed);
        let mut kinds: Vec<Kind> = PHRASING_KINDS
            .iter()
            .copied()
            .filter(|k| match k {
                Kind::A | Kind::Button | Kind::Input | Kind::Textarea => !ctx.in_interactive,
                Kind::Label => !ctx.in_interactive && !ctx.in_label,
                _ => true,
            })
            .collect();
        if !ctx.phrasing {
            kinds.extend_from_slice(FLOW_KINDS);
        }
        let kind = if budget <= 1 {
            dice.pick(&[Kind::Text, Kind::Text, Kind::None, Kind::Br])
        } else {
            dice.pick(&kinds)
        };
        let inner = budget.saturating_sub(1);
        let phrasing = ctx.phrasing();
        let element =
            |tag: &'static str, dice: &mut Dice, ctx: Ctx, max: usize| -> Element<TestMsg> {
                let attrs = self.attrs(dice, tag);
                html::element(tag, attrs, self.children(seed, dice, ctx, inner, max))
            };
        match kind {
            Kind::Text => text(dice.pick(TEXTS)),
            // Adjacent texts the parser will merge into one node.
            Kind::TextRun => html::fragment(vec![
                text(dice.pick(TEXTS)),
                html::none(),
                text(dice.pick(TEXTS)),
            ]),
            Kind::None => html::none(),
            Kind::Fragment => html::fragment(self.children(seed, &mut dice, ctx, inner, 3)),
            Kind::Div => element("div", &mut dice, ctx, 5),
            Kind::Section => element("section", &mut dice, ctx, 4),
            Kind::P => element("p", &mut dice, phrasing, 5),
            Kind::Pre => element("pre", &mut dice, phrasing, 3),
            Kind::Span => element("span", &mut dice, phrasing, 4),
            Kind::Strong => element("strong", &mut dice, phrasing, 3),
            Kind::Em => element("em", &mut dice, phrasing, 3),
            Kind::A => element(
                "a",
                &mut dice,
                Ctx {
                    in_interactive: true,
                    ..phrasing
                },
                3,
            ),
            Kind::Button => element(
                "button",
                &mut dice,
                Ctx {
                    in_interactive: true,
                    ..phrasing
                },
                3,
            ),
            Kind::Label => element(
                "label",
                &mut dice,
                Ctx {
                    in_label: true,
                    ..phrasing
                },
                3,
            ),
            Kind::Ul => {
                let attrs = self.attrs(&mut dice, "ul");
                let count = dice.below(4.min(inner) + 1);
                let items = (0..count)
                    .map(|i| self.item(mix(seed, i as u64), "li", Ctx::FLOW, inner / count));
                html::ul(attrs, items)
            }
            Kind::KeyedUl => self.keyed(seed, &mut dice, "ul", "li", Ctx::FLOW, inner),
            Kind::KeyedDiv => self.keyed(seed, &mut dice, "div", "p", phrasing, inner),
            Kind::KeyedSpan => self.keyed(seed, &mut dice, "span", "em", phrasing, inner),
            Kind::Raw => {
                let attrs = self.attrs(&mut dice, "div");
                html::unsafe_raw_html("div", attrs, dice.pick(RAW_HTML))
            }
            // Raw text: never entity-decoded, so the renderer must keep `</style` from closing it.
            Kind::Style => html::style(
                vec![],
                vec![
                    text(".rally-test::after{content:\""),
                    text(dice.pick(TEXTS)),
                    text("\"}"),
                ],
            ),
            Kind::Input => {
                let attrs = self.input_attrs(&mut dice);
                html::input(attrs)
            }
            Kind::Textarea => {
                let mut attrs = self.attrs(&mut dice, "textarea");
                attrs.push(attribute::value(dice.pick(TEXTS)));
                if dice.chance(50) {
                    attrs.push(on_input(TestMsg::Input));
                }
                html::textarea(attrs, vec![])
            }
            Kind::Br => html::br(vec![]),
            Kind::Svg => self.svg(seed, &mut dice),
            // A child component: its messages lifted into the parent's.
            Kind::Mapped => self
                .node(mix(seed, 0x006D_6170), ctx, inner)
                .map(|m| match m {
                    TestMsg::Click(n) => TestMsg::Click(n + 1000),
                    other => other,
                }),
        }
    }

    /// A small SVG icon: namespaced, case-sensitive names (`viewBox`, `linearGradient`).
    fn svg(&self, seed: u64, dice: &mut Dice) -> Element<TestMsg> {
        use crate::attribute::{cx, cy, d, fill, r, stroke, view_box};
        use crate::svg;
        let mut attrs = vec![view_box("0 0 24 24")];
        attrs.extend(self.attrs(dice, "svg"));
        let shapes: Vec<_> = (0..dice.below(4))
            .map(|i| {
                let mut shape = Dice {
                    base: Rng::new(mix(seed, i as u64)),
                    var: None,
                };
                match dice.below(5) {
                    0 => svg::circle(
                        vec![
                            cx("12"),
                            cy("12"),
                            r("4"),
                            fill(dice.pick(&["red", "none"])),
                        ],
                        vec![],
                    ),
                    1 => svg::path(vec![d("M0 0L24 24"), stroke("black")], vec![]),
                    2 => svg::g(
                        vec![fill("blue")],
                        vec![svg::rect(self.attrs(&mut shape, "rect"), vec![])],
                    ),
                    3 => svg::text(vec![], vec![text(dice.pick(TEXTS))]),
                    _ => svg::defs(
                        vec![],
                        vec![svg::linear_gradient(
                            vec![id("grad")],
                            vec![svg::stop(vec![], vec![])],
                        )],
                    ),
                }
            })
            .collect();
        svg::svg(attrs, shapes)
    }

    /// An element with a fixed tag whose children are placed in `ctx` (a list item or a row).
    fn item(&self, seed: u64, tag: &'static str, ctx: Ctx, budget: usize) -> Element<TestMsg> {
        let mut dice = self.dice(seed);
        let attrs = self.attrs(&mut dice, tag);
        let children = self.children(seed, &mut dice, ctx, budget.saturating_sub(1), 3);
        html::element(tag, attrs, children)
    }

    /// A keyed list: rows keyed `k0`, `k3`, `k6`..., which a variant shuffles, drops and
    /// inserts (`k1`, `k4`...). A row's content is seeded by its key, so it follows its key.
    fn keyed(
        &self,
        seed: u64,
        dice: &mut Dice,
        tag: &'static str,
        row_tag: &'static str,
        row_ctx: Ctx,
        budget: usize,
    ) -> Element<TestMsg> {
        let attrs = self.attrs(dice, tag);
        let n = dice.base.below(8.min(budget) + 1);
        let mut keys: Vec<u64> = (0..n as u64).map(|i| i * 3).collect();
        if self.variant != 0 {
            let mut var = Rng::new(mix(seed, self.variant ^ 0x6B_6579_6564));
            if var.chance(40) {
                for i in (1..keys.len()).rev() {
                    keys.swap(i, var.below(i + 1));
                }
            } else if var.chance(40) && keys.len() >= 2 {
                let (a, b) = (var.below(keys.len()), var.below(keys.len()));
                keys.swap(a, b);
            }
            keys.retain(|_| !var.chance(15));
            for j in 0..var.below(3) as u64 {
                let at = var.below(keys.len() + 1);
                keys.insert(at, n as u64 * 3 + 1 + j * 3);
            }
        }
        let per_row = budget / keys.len().max(1);
        let rows: Vec<_> = keys
            .iter()
            .map(|&k| {
                let row_seed = mix(seed, 0x726F_7700 ^ k);
                let item = |seed| self.item(seed, row_tag, row_ctx, per_row);
                // Now and then a row `keyed` has to normalise: nothing, a fragment, a text
                // (where text may go) which merges with a text next to it.
                let child = match Rng::new(row_seed ^ 1).below(100) {
                    0..=4 => html::none(),
                    5..=9 => html::fragment(vec![item(row_seed)]),
                    10..=13 => html::fragment(vec![item(row_seed), item(row_seed ^ 2)]),
                    14..=23 if tag != "ul" => text(TEXTS[Rng::new(row_seed).below(TEXTS.len())]),
                    _ => item(row_seed),
                };
                (Key::from(format!("k{k}")), child)
            })
            .collect();
        html::keyed(tag, attrs, rows)
    }

    fn attrs(&self, dice: &mut Dice, tag: &str) -> Vec<Attribute<TestMsg>> {
        let mut attrs = Vec::new();
        if dice.chance(40) {
            attrs.push(class(dice.pick(CLASSES)));
            if dice.chance(20) {
                // A second class joins the first.
                attrs.push(class(dice.pick(CLASSES)));
            }
        }
        if dice.chance(20) {
            attrs.push(id(format!("n{}", dice.below(40))));
        }
        if dice.chance(15) {
            attrs.push(title(dice.pick(TEXTS)));
        }
        if dice.chance(15) {
            attrs.push(attribute::data(dice.pick(DATA_NAMES), dice.pick(TEXTS)));
        }
        if dice.chance(10) {
            attrs.push(attribute::hidden(dice.chance(50)));
        }
        if dice.chance(8) {
            attrs.push(attribute::style("color", dice.pick(&["red", "blue"])));
        }
        if dice.chance(8) {
            attrs.push(attribute::none());
        }
        if tag == "button" && dice.chance(25) {
            attrs.push(attribute::disabled(dice.chance(50)));
        }
        if tag == "a" && dice.chance(60) {
            attrs.push(attribute::href(format!("/page?a=1&b={}", dice.below(9))));
        }
        self.listeners(dice, &mut attrs);
        attrs
    }

    fn listeners(&self, dice: &mut Dice, attrs: &mut Vec<Attribute<TestMsg>>) {
        if dice.chance(35) {
            let mut l = on_click(TestMsg::Click(dice.below(100) as u32));
            if dice.chance(20) {
                l = l.stop_propagation();
            }
            if dice.chance(20) {
                l = l.prevent_default();
            }
            attrs.push(l);
        }
        if dice.chance(10) {
            let n = dice.below(100) as u32;
            let mut l = event::on("click", move |e: &EventData| {
                e.modifiers().shift.then_some(TestMsg::ShiftClick(n))
            });
            if dice.chance(30) {
                l = l.stop_propagation();
            }
            attrs.push(l);
        }
        if dice.chance(10) {
            attrs.push(event::on_mouse_enter(
                TestMsg::Enter(dice.below(100) as u32),
            ));
        }
    }

    fn input_attrs(&self, dice: &mut Dice) -> Vec<Attribute<TestMsg>> {
        let mut attrs = self.attrs(dice, "input");
        if dice.chance(50) {
            attrs.push(attribute::type_("checkbox"));
            if dice.chance(70) {
                attrs.push(attribute::checked(dice.chance(50)));
                if dice.chance(15) {
                    // Set twice: the later one wins, as for attributes.
                    attrs.push(attribute::checked(dice.chance(50)));
                }
            }
        } else {
            if dice.chance(50) {
                attrs.push(attribute::type_("text"));
            }
            if dice.chance(70) {
                attrs.push(attribute::value(dice.pick(TEXTS)));
                if dice.chance(15) {
                    attrs.push(attribute::value(dice.pick(TEXTS)));
                }
            }
            if dice.chance(50) {
                attrs.push(on_input(TestMsg::Input));
            }
        }
        if dice.chance(15) {
            attrs.push(attribute::disabled(dice.chance(50)));
        }
        attrs
    }
}

/// The number of elements and texts in a tree.
fn size(e: &AnyElement) -> usize {
    match e {
        AnyElement::Text(_) | AnyElement::Lazy(_) => 1,
        AnyElement::Fragment(c) => c.iter().map(size).sum(),
        AnyElement::Node(n) => {
            1 + match &n.children {
                Children::Plain(c) => c.iter().map(size).sum(),
                Children::Text(_) => 1,
                Children::Keyed(c) => c.iter().map(|(_, c)| size(c)).sum(),
                Children::LazyKeyed(l) => l.len(),
                Children::RawHtml(_) => 0,
            }
        }
    }
}

// ---- an oracle for event delegation ------------------------------------------------------------

/// A child as the DOM sees it: fragments flattened, adjacent texts one node.
enum Flat<'a> {
    Text,
    Element(&'a AnyElement),
}

fn flatten<'a>(children: impl Iterator<Item = &'a AnyElement>, out: &mut Vec<Flat<'a>>) {
    for child in children {
        match child {
            AnyElement::Fragment(inner) => flatten(inner.iter(), out),
            AnyElement::Text(t) if t.is_empty() => {}
            AnyElement::Text(_) => {
                if !matches!(out.last(), Some(Flat::Text)) {
                    out.push(Flat::Text);
                }
            }
            AnyElement::Node(_) => out.push(Flat::Element(child)),
            AnyElement::Lazy(_) => unreachable!("random views hold no lazy nodes"),
        }
    }
}

/// The DOM children of a node (or of the container, for the root view), in order.
fn dom_children(element: &AnyElement, is_root: bool) -> Vec<Flat<'_>> {
    let mut out = Vec::new();
    match element {
        AnyElement::Node(n) if !is_root => match &n.children {
            Children::Plain(c) => flatten(c.iter(), &mut out),
            Children::Text(_) => out.push(Flat::Text),
            Children::Keyed(c) => flatten(c.iter().map(|(_, c)| c), &mut out),
            Children::LazyKeyed(_) => unreachable!("random views hold no lazy lists"),
            Children::RawHtml(_) => {}
        },
        root => flatten(std::iter::once(root), &mut out),
    }
    out
}

/// The paths (child indices from the container) of every element the view renders, parents
/// before children. Children of raw HTML are not the view's and are left out.
pub fn element_paths<Msg>(view: &Element<Msg>) -> Vec<Vec<usize>> {
    fn walk(e: &AnyElement, is_root: bool, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        for (i, child) in dom_children(e, is_root).into_iter().enumerate() {
            if let Flat::Element(child) = child {
                path.push(i);
                out.push(path.clone());
                walk(child, false, path, out);
                path.pop();
            }
        }
    }
    let mut out = Vec::new();
    walk(view.any(), true, &mut Vec::new(), &mut out);
    out
}

/// Whether the view has an element with raw inner HTML. Hydration adopts such markup without
/// looking inside (see [`crate::html::unsafe_raw_html`]), so after hydrating *different* server
/// HTML its content may legitimately differ from a fresh render.
pub fn has_raw_html<Msg>(view: &Element<Msg>) -> bool {
    any_has_raw_html(view.any())
}

fn any_has_raw_html(view: &AnyElement) -> bool {
    match view {
        AnyElement::Text(_) | AnyElement::Lazy(_) => false,
        AnyElement::Fragment(c) => c.iter().any(any_has_raw_html),
        AnyElement::Node(n) => match &n.children {
            Children::RawHtml(_) => true,
            Children::Text(_) => false,
            Children::Plain(c) => c.iter().any(any_has_raw_html),
            Children::Keyed(c) => c.iter().any(|(_, c)| any_has_raw_html(c)),
            Children::LazyKeyed(l) => l
                .force_all()
                .iter()
                .flatten()
                .any(|row| any_has_raw_html(row)),
        },
    }
}

/// The tag of the element at `path`, if there is one.
pub fn tag_at<'a, Msg>(view: &'a Element<Msg>, path: &[usize]) -> Option<&'a str> {
    element_chain(view.any(), path).last().and_then(|e| e.tag())
}

fn element_chain<'a>(view: &'a AnyElement, path: &[usize]) -> Vec<&'a AnyElement> {
    let mut chain = Vec::new();
    let mut current = view;
    for (depth, &i) in path.iter().enumerate() {
        match dom_children(current, depth == 0).into_iter().nth(i) {
            Some(Flat::Element(e)) => {
                chain.push(e);
                current = e;
            }
            _ => return Vec::new(),
        }
    }
    chain
}

/// What an event on the element at `path` should produce, worked out from the view alone:
/// the messages of matching listeners from the target outwards (non-bubbling events: the
/// target only), stopping after the first element with a `stop_propagation` listener; and
/// whether any listener reached asked for `preventDefault()` / `stopPropagation()`.
pub fn expected_event<'e, Msg: Clone + 'static>(
    view: &Element<Msg>,
    path: &[usize],
    event: impl Into<EventData<'e>>,
) -> (Vec<Msg>, bool, bool) {
    let event = &event.into();
    let kind = event.kind();
    let mut messages = Vec::new();
    let (mut prevent, mut stop) = (false, false);
    let chain = element_chain(view.any(), path);
    for (depth, element) in chain.iter().rev().enumerate() {
        if depth > 0 && crate::dom::is_non_bubbling(kind) {
            break;
        }
        let AnyElement::Node(n) = element else {
            continue;
        };
        for l in &n.listeners {
            if l.event != kind {
                continue;
            }
            prevent |= l.options.prevent_default;
            stop |= l.options.stop_propagation;
            let msg = match &l.handler {
                Handler::Message(m) => m.downcast_ref::<Msg>().cloned(),
                Handler::Decode(f) => f(event).and_then(|m| m.downcast::<Msg>().ok()).map(|m| *m),
            };
            messages.extend(msg);
        }
        if stop {
            break;
        }
    }
    (messages, prevent, stop)
}
