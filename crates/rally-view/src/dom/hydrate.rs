//! Hydration: adopt server-rendered DOM by walking it alongside the view.
//!
//! When the markup matches, nothing is written to the DOM: nodes are adopted, listener slots
//! tagged and properties synced (neither is a DOM mutation). Where it does not match, the
//! smallest wrong part — an attribute, a text, an element's subtree — is rebuilt and a warning
//! names its path. Hydration never panics.

use super::{Backend, Dom, Mounted, NodeKind};
use crate::render::{escape_raw_text, is_raw_text, is_reflected_prop};
use crate::str::concat;
use crate::vdom::{AnyElement, Attr, AttrValue, Children, Element, Node, PropValue, Str};

/// Whether mismatch warnings show the values that differ (`text differs: server "3", client
/// "4"`). Debug builds only, as React does: the quoting and describing is ~0.3 KiB of every
/// release bundle (gzip) for a warning that should never print, and the same page in a debug
/// build (`cargo rally dev`) says it all. Release warnings still name the path and what
/// differs.
const DETAILS: bool = cfg!(debug_assertions);

/// Where hydration is: each step a tag (`#text` for a text, empty for a node the view does
/// not have) and its index among its siblings. Kept as the view's own strings and turned into
/// text only for a warning: most pages have none.
type Path = Vec<(Str, usize)>;

/// What hydration had to repair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HydrationReport {
    /// Mismatches found and repaired; zero means the DOM was adopted untouched.
    pub mismatches: usize,
}

impl<Msg: Clone + 'static, B: Backend> Dom<Msg, B> {
    /// Adopts the server-rendered children of `root` for `view`.
    pub fn hydrate(backend: B, root: B::Node, view: Element<Msg>) -> (Self, HydrationReport) {
        let mut dom = Self::empty(backend, root.clone());
        let view = super::root_children(view.into_any());
        let mut report = HydrationReport::default();
        let mut path = Path::new();
        let mounted =
            dom.hydrate_children(&root, "", &mut view.iter(), None, &mut path, &mut report);
        dom.view = view;
        dom.mounted = mounted;
        (dom, report)
    }

    /// Children arrive as a trait object: plain, keyed and lazy-list children are three
    /// iterator types, and one copy of this function in every bundle is enough for a pass
    /// that runs once per page.
    ///
    /// `mark`: a lazy list's marked row and the class the list puts on it.
    fn hydrate_children(
        &mut self,
        parent: &B::Node,
        parent_tag: &str,
        children: &mut dyn Iterator<Item = &AnyElement>,
        mark: Option<(usize, &Str)>,
        path: &mut Path,
        report: &mut HydrationReport,
    ) -> Vec<Mounted<B::Node>> {
        let mut cursor = self.backend.first_child(parent);
        let mut mounted = Vec::new();
        for (index, child) in children.enumerate() {
            path.push((step(child), index));
            let mark = listed(mark)
                .filter(|&(at, _)| at == index)
                .map(|(_, class)| class);
            let m = match cursor.take() {
                None => {
                    self.mismatch(
                        report,
                        path,
                        "node missing from the server HTML; creating it",
                    );
                    let m = self.create(parent_tag, child);
                    if let Some(class) = mark {
                        self.toggle_mark(&m.node, class, true);
                    }
                    self.backend.insert_before(parent, &m.node, None);
                    m
                }
                Some(dom) => {
                    cursor = self.backend.next_sibling(&dom);
                    self.hydrate_node((parent, parent_tag), dom, child, mark, path, report)
                }
            };
            path.pop();
            mounted.push(m);
        }
        while let Some(extra) = cursor {
            cursor = self.backend.next_sibling(&extra);
            path.push((Str::Borrowed(""), mounted.len()));
            self.mismatch(report, path, "extra node in the server HTML; removing it");
            path.pop();
            self.backend.remove_child(parent, &extra);
        }
        mounted
    }

    /// Adopts `dom` for `child`, a child of `parent` (an element `parent_tag`).
    fn hydrate_node(
        &mut self,
        (parent, parent_tag): (&B::Node, &str),
        dom: B::Node,
        child: &AnyElement,
        mark: Option<&Str>,
        path: &mut Path,
        report: &mut HydrationReport,
    ) -> Mounted<B::Node> {
        if let AnyElement::Lazy(l) = child {
            let parent = (parent, parent_tag);
            return self.hydrate_node(parent, dom, &l.force(), mark, path, report);
        }
        match (child, self.backend.kind(&dom)) {
            (AnyElement::Text(expected), NodeKind::Text(actual)) => {
                let expected = if is_raw_text(parent_tag) {
                    escape_raw_text(parent_tag, expected)
                } else {
                    std::borrow::Cow::Borrowed(expected.as_ref())
                };
                if actual != *expected {
                    let msg = if DETAILS {
                        concat(&[
                            "text differs: server ",
                            &quoted(&actual),
                            ", client ",
                            &quoted(&expected),
                        ])
                    } else {
                        "text differs".into()
                    };
                    self.mismatch(report, path, &msg);
                    self.backend.set_text(&dom, &expected);
                }
                Mounted::leaf(dom)
            }
            (AnyElement::Node(n), NodeKind::Element(tag)) if *tag == *n.tag => {
                self.hydrate_element(dom, n, mark, path, report)
            }
            (_, found) => {
                let msg = if DETAILS {
                    concat(&[
                        "expected ",
                        &describe(child),
                        ", found ",
                        &describe_kind(&found),
                        "; rebuilding this subtree",
                    ])
                } else {
                    "another node in the server HTML; rebuilding this subtree".into()
                };
                self.mismatch(report, path, &msg);
                let fresh = self.create(parent_tag, child);
                if let Some(class) = listed(mark) {
                    self.toggle_mark(&fresh.node, class, true);
                }
                self.backend.replace_child(parent, &fresh.node, &dom);
                fresh
            }
        }
    }

    fn hydrate_element(
        &mut self,
        dom: B::Node,
        n: &Node,
        mark: Option<&Str>,
        path: &mut Path,
        report: &mut HydrationReport,
    ) -> Mounted<B::Node> {
        self.hydrate_attributes(&dom, n, mark, path, report);
        let mut has_value_prop = false;
        for attr in &n.attrs {
            if let Attr::Prop { name, value } = attr {
                has_value_prop |= *name == "value";
                if self.backend.get_property(&dom, name).as_ref() != Some(value) {
                    self.backend.set_property(&dom, name, value);
                }
            }
        }
        let slot = self.bind_listeners(&dom, None, &n.listeners);
        let children = match &n.children {
            // The markup is the app's; Rally adopts it whole.
            Children::RawHtml(_) => Vec::new(),
            // A textarea's text is its value, already synced as a property.
            _ if n.tag == "textarea" && has_value_prop => Vec::new(),
            plain @ (Children::Plain(_) | Children::Text(_)) => {
                let mut scratch = None;
                let c = plain.as_plain(&mut scratch);
                self.hydrate_children(&dom, &n.tag, &mut c.iter(), None, path, report)
            }
            #[cfg(rally_lists)]
            Children::Keyed(c) => {
                let c = &mut c.iter().map(|(_, c)| c);
                self.hydrate_children(&dom, &n.tag, c, None, path, report)
            }
            #[cfg(rally_lazy_lists)]
            Children::LazyKeyed(list) => {
                let rows = list.force_all();
                self.hydrate_children(
                    &dom,
                    &n.tag,
                    &mut rows.iter().flatten().map(|row| &**row),
                    list.class_mark(),
                    path,
                    report,
                )
            }
            #[cfg(not(rally_lists))]
            Children::Keyed(_) | Children::LazyKeyed(_) => super::no_lists(),
            #[cfg(all(rally_lists, not(rally_lazy_lists)))]
            Children::LazyKeyed(_) => super::no_lazy_lists(),
        };
        Mounted::new(dom, slot, children)
    }

    /// Compares attributes with what the renderer would have written; fixes only the ones that
    /// differ.
    fn hydrate_attributes(
        &mut self,
        dom: &B::Node,
        n: &Node,
        mark: Option<&Str>,
        path: &[(Str, usize)],
        report: &mut HydrationReport,
    ) {
        let expected = expected_attributes(n, mark);
        let mut actual_count = None;
        for (name, value) in &expected {
            let actual = self.backend.get_attribute(dom, name);
            if actual.as_deref() != Some(value.as_str()) {
                let msg = if DETAILS {
                    concat(&[
                        "attribute ",
                        &quoted(name),
                        " differs: server ",
                        &actual.as_deref().map_or("none".into(), quoted),
                        ", client ",
                        &quoted(value),
                    ])
                } else {
                    concat(&["attribute \"", name, "\" differs"])
                };
                self.mismatch(report, path, &msg);
                let (name, value) = (Str::Owned(name.to_string()), Str::Owned(value.clone()));
                self.backend.set_attribute(dom, &name, &value);
            }
        }
        let names = self.backend.attribute_names(dom);
        if names.len() != expected.len() {
            actual_count = Some(names);
        }
        if let Some(names) = actual_count {
            for name in names {
                if !expected.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                    let msg =
                        concat(&["attribute \"", &name, "\" only on the server; removing it"]);
                    self.mismatch(report, path, &msg);
                    self.backend.remove_attribute(dom, &name);
                }
            }
        }
    }

    fn mismatch(&mut self, report: &mut HydrationReport, path: &[(Str, usize)], what: &str) {
        report.mismatches += 1;
        // Written piece by piece: `[String]::join` is a kilobyte of generic code in the bundle.
        let mut message = String::from("rally: hydration mismatch at ");
        for (i, (tag, index)) in path.iter().enumerate() {
            if i > 0 {
                message.push_str(" > ");
            }
            message.push_str(tag);
            message.push('[');
            message.push_str(&number(*index));
            message.push(']');
        }
        message.push_str(": ");
        message.push_str(what);
        self.backend.warn(&message);
    }
}

/// The attributes the HTML renderer writes for a node, as name/value pairs; with a lazy list's
/// `mark` class joined to its `class`.
fn expected_attributes<'n>(n: &'n Node, mark: Option<&Str>) -> Vec<(&'n str, String)> {
    let mut out = Vec::with_capacity(n.attrs.len());
    for attr in &n.attrs {
        match attr {
            Attr::Attr {
                name,
                value: AttrValue::Str(v),
            } => out.push((name.as_ref(), v.to_string())),
            Attr::Attr {
                name,
                value: AttrValue::Bool(true),
            } => out.push((name.as_ref(), String::new())),
            Attr::Prop { name, value } if is_reflected_prop(name) => match value {
                PropValue::Str(_) if n.tag == "textarea" || n.tag == "select" => {}
                PropValue::Str(v) => out.push((name, v.to_string())),
                PropValue::Bool(true) => out.push((name, String::new())),
                PropValue::Bool(false) => {}
            },
            _ => {}
        }
    }
    if let Some(mark) = listed(mark) {
        match out.iter_mut().find(|(name, _)| *name == "class") {
            Some((_, own)) if !own.is_empty() => {
                own.push(' ');
                own.push_str(mark);
            }
            Some((_, own)) => *own = mark.to_string(),
            None => out.push(("class", mark.to_string())),
        }
    }
    out
}

/// A lazy list's mark where lazy lists can exist; elsewhere `None`, so that a bundle without
/// them carries none of the code that handles one.
fn listed<T>(mark: Option<T>) -> Option<T> {
    mark.filter(|_| cfg!(rally_lazy_lists))
}

fn step(child: &AnyElement) -> Str {
    match child {
        AnyElement::Node(n) => n.tag.clone(),
        AnyElement::Lazy(l) => step(&l.force()),
        _ => Str::Borrowed("#text"),
    }
}

fn describe(child: &AnyElement) -> String {
    match child {
        AnyElement::Node(n) => concat(&["<", &n.tag, ">"]),
        AnyElement::Text(t) => concat(&["text ", &quoted(t)]),
        AnyElement::Fragment(_) => "a fragment".to_string(),
        AnyElement::Lazy(l) => describe(&l.force()),
    }
}

fn describe_kind(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Element(tag) => concat(&["<", tag, ">"]),
        NodeKind::Text(t) => concat(&["text ", &quoted(t)]),
        NodeKind::Other => "a comment or other node".to_string(),
    }
}

// Messages are assembled by hand (`crate::str::concat`): `format!` and `Debug` would pull
// Rust's formatting machinery and Unicode tables into every browser bundle for a warning that
// should never print.

/// `"text"`, shortened to 60 characters, with quotes and control characters made visible.
fn quoted(text: &str) -> String {
    let mut s = String::with_capacity(text.len().min(64) + 2);
    s.push('"');
    for (i, c) in text.chars().enumerate() {
        if i == 60 {
            s.push('…');
            break;
        }
        match c {
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c if c.is_control() => s.push('�'),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

fn number(mut n: usize) -> String {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits[i..].iter().map(|&d| d as char).collect()
}
