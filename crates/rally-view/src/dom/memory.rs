//! An in-memory DOM implementing [`Backend`], for native tests of diffing and hydration.
//!
//! It counts mutations the way a `MutationObserver` on each container would (child lists,
//! attributes, text of nodes inside a container; building a detached subtree is not seen) and
//! can parse the HTML this crate renders, so "render on the server, hydrate in the browser" can
//! be checked without a browser.

use super::{Backend, NodeKind};
use crate::render::is_void;
use crate::vdom::{Namespace, PropValue, Str};

/// A node handle: an index into the arena.
pub type NodeId = usize;

#[derive(Clone, Debug)]
enum Data {
    Element {
        tag: String,
        attrs: Vec<(String, String)>,
        props: Vec<(String, PropValue)>,
    },
    Text(String),
    Comment(String),
}

#[derive(Clone, Debug)]
struct MemNode {
    data: Data,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    slot: Option<u32>,
    /// A container: mutations in its subtree are observed.
    observed: bool,
}

/// The in-memory DOM.
#[derive(Clone, Debug, Default)]
pub struct MemoryDom {
    nodes: Vec<MemNode>,
    /// Mutations a `MutationObserver` on the containers would have recorded.
    pub mutations: usize,
    /// Warnings the renderer printed.
    pub warnings: Vec<String>,
    /// Event types the renderer asked to listen to.
    pub listening: Vec<String>,
    /// Nodes copied with `clone_node` (list items made from a template).
    pub clones: usize,
    /// Calls of `first_child` and `next_sibling`: in a browser, each is a call into JS and a
    /// slot in wasm-bindgen's externref table.
    pub handle_reads: std::cell::Cell<usize>,
    /// `view!` instances cloned and filled in with one batch of writes (`clone_with`): in a
    /// browser, one call into JS each.
    pub batches: usize,
    /// Tasks waiting for a paint (see [`MemoryDom::paint`]).
    after_paint: AfterPaint,
}

/// Tasks the renderer asked to run after the next paint. A copy of the DOM starts without
/// them: they belong to the program that scheduled them.
#[derive(Default)]
struct AfterPaint(Vec<Box<dyn FnOnce()>>);

impl Clone for AfterPaint {
    fn clone(&self) -> Self {
        AfterPaint(Vec::new())
    }
}

impl std::fmt::Debug for AfterPaint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} task(s) after paint", self.0.len())
    }
}

impl MemoryDom {
    /// An empty DOM.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the tasks waiting for the next paint, for the caller to run as the browser would
    /// once it has painted (outside any borrow of the program).
    pub fn paint(&mut self) -> Vec<Box<dyn FnOnce()>> {
        std::mem::take(&mut self.after_paint.0)
    }

    /// How many tasks wait for the next paint.
    pub fn waiting_for_paint(&self) -> usize {
        self.after_paint.0.len()
    }

    /// A detached `<div>` to render into, observed for mutations.
    pub fn create_container(&mut self) -> NodeId {
        let node = self.alloc(Data::Element {
            tag: "div".into(),
            attrs: Vec::new(),
            props: Vec::new(),
        });
        self.nodes[node].observed = true;
        node
    }

    /// Counts a mutation of `target` if it is inside a container, as an observer would.
    fn record(&mut self, target: NodeId) {
        let mut cur = Some(target);
        while let Some(n) = cur {
            if self.nodes[n].observed {
                self.mutations += 1;
                return;
            }
            cur = self.nodes[n].parent;
        }
    }

    fn alloc(&mut self, data: Data) -> NodeId {
        self.nodes.push(MemNode {
            data,
            parent: None,
            children: Vec::new(),
            slot: None,
            observed: false,
        });
        self.nodes.len() - 1
    }

    /// A detached deep copy of `node`, as `cloneNode(true)` makes it: attributes and texts are
    /// copied; properties and listener slots are not.
    fn deep_copy(&mut self, node: NodeId) -> NodeId {
        let mut data = self.nodes[node].data.clone();
        if let Data::Element { props, .. } = &mut data {
            props.clear();
        }
        let copy = self.alloc(data);
        for child in self.nodes[node].children.clone() {
            let child = self.deep_copy(child);
            self.nodes[child].parent = Some(copy);
            self.nodes[copy].children.push(child);
        }
        copy
    }

    fn detach(&mut self, child: NodeId) {
        if let Some(p) = self.nodes[child].parent.take() {
            self.nodes[p].children.retain(|&c| c != child);
        }
    }

    /// The children of a node.
    pub fn children(&self, node: NodeId) -> &[NodeId] {
        &self.nodes[node].children
    }

    /// The parent of a node.
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        self.nodes[node].parent
    }

    /// The listener slot an element is tagged with.
    pub fn slot(&self, node: NodeId) -> Option<u32> {
        self.nodes[node].slot
    }

    /// The slots of `node` and its ancestors up to (not including) `root`, innermost first —
    /// what the browser's delegated listener collects.
    pub fn slots_to_root(&self, node: NodeId, root: NodeId) -> Vec<Option<u32>> {
        let mut out = Vec::new();
        let mut cur = Some(node);
        while let Some(n) = cur {
            if n == root {
                break;
            }
            out.push(self.nodes[n].slot);
            cur = self.nodes[n].parent;
        }
        out
    }

    /// Finds the first element with this tag under `node`, depth first.
    pub fn find(&self, node: NodeId, tag: &str) -> Option<NodeId> {
        for &c in &self.nodes[node].children {
            if matches!(&self.nodes[c].data, Data::Element { tag: t, .. } if t == tag) {
                return Some(c);
            }
            if let Some(found) = self.find(c, tag) {
                return Some(found);
            }
        }
        None
    }

    /// Parses HTML as rendered by this crate and appends it to `parent` (no mutations counted:
    /// this is the page the server sent).
    pub fn load_html(&mut self, parent: NodeId, html: &str) {
        let before = self.mutations;
        self.parse_into(parent, html);
        self.mutations = before;
    }

    /// The inner HTML of a node, as the browser would serialise it, with DOM properties folded in
    /// (`value`, `checked`, `selected` shown as their current state, as `.value="..."`) and
    /// attributes sorted by name, so two DOMs that look and behave the same compare equal.
    pub fn inner_state(&self, node: NodeId) -> String {
        let mut out = String::new();
        for &c in &self.nodes[node].children {
            self.write_state(c, &mut out);
        }
        out
    }

    fn write_state(&self, node: NodeId, out: &mut String) {
        match &self.nodes[node].data {
            Data::Text(t) => crate::render::escape_text(t, out),
            Data::Comment(c) => {
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
            }
            Data::Element { tag, attrs, .. } => {
                out.push('<');
                out.push_str(tag);
                let mut shown: Vec<(String, String)> = attrs
                    .iter()
                    .filter(|(n, _)| !crate::render::is_reflected_prop(n))
                    .cloned()
                    .collect();
                for name in ["value", "checked", "selected"] {
                    if let Some(v) = self.effective_prop(node, name) {
                        match v {
                            PropValue::Str(s) if tag != "textarea" => {
                                shown.push((format!(".{name}"), s.to_string()))
                            }
                            PropValue::Bool(true) => {
                                shown.push((format!(".{name}"), String::new()))
                            }
                            _ => {}
                        }
                    }
                }
                // Attribute order means nothing to the DOM; a patch may append what a fresh
                // render writes first.
                shown.sort();
                for (n, v) in shown {
                    out.push(' ');
                    out.push_str(&n);
                    out.push_str("=\"");
                    crate::render::escape_attr(&v, out);
                    out.push('"');
                }
                out.push('>');
                if is_void(tag) {
                    return;
                }
                if tag == "textarea" {
                    if let Some(PropValue::Str(v)) = self.effective_prop(node, "value") {
                        crate::render::escape_text(&v, out);
                    }
                } else {
                    for &c in &self.nodes[node].children {
                        self.write_state(c, out);
                    }
                }
                out.push_str("</");
                out.push_str(tag);
                out.push('>');
            }
        }
    }

    /// A property's current value: set explicitly, or else derived from the markup as the
    /// browser derives it.
    fn effective_prop(&self, node: NodeId, name: &str) -> Option<PropValue> {
        let Data::Element { tag, attrs, props } = &self.nodes[node].data else {
            return None;
        };
        if let Some((_, v)) = props.iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        let attr = attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        match (name, tag.as_str()) {
            ("value", "textarea") => Some(PropValue::Str(self.text_content(node).into())),
            ("value", "input") => Some(PropValue::Str(attr.unwrap_or_default().into())),
            ("checked", "input") => Some(PropValue::Bool(attr.is_some())),
            ("selected", "option") => Some(PropValue::Bool(attr.is_some())),
            _ => None,
        }
    }

    fn text_content(&self, node: NodeId) -> String {
        let mut s = String::new();
        for &c in &self.nodes[node].children {
            match &self.nodes[c].data {
                Data::Text(t) => s.push_str(t),
                Data::Element { .. } => s.push_str(&self.text_content(c)),
                Data::Comment(_) => {}
            }
        }
        s
    }

    // A small parser for the HTML this crate renders: double-quoted or bare boolean
    // attributes, the five entities the renderer writes plus numeric ones, void elements,
    // raw-text `script`/`style`, the newline rule of `pre`/`textarea`, and — as the browser
    // does before it tokenizes — `\r\n` and a lone `\r` read as `\n`.
    fn parse_into(&mut self, parent: NodeId, html: &str) {
        let normalized;
        let html = if html.contains('\r') {
            normalized = html.replace("\r\n", "\n").replace('\r', "\n");
            normalized.as_str()
        } else {
            html
        };
        let mut stack = vec![parent];
        let mut i = 0;
        let bytes = html.as_bytes();
        while i < bytes.len() {
            let top = *stack.last().unwrap_or(&parent);
            if bytes[i] == b'<' && html[i..].starts_with("<!--") {
                let end = html[i + 4..].find("-->").map_or(html.len(), |e| i + 4 + e);
                let c = self.alloc(Data::Comment(html[i + 4..end].to_string()));
                self.append(top, c);
                i = (end + 3).min(html.len());
            } else if bytes[i] == b'<' && html[i..].starts_with("</") {
                let end = html[i..].find('>').map_or(html.len(), |e| i + e);
                if stack.len() > 1 {
                    stack.pop();
                }
                i = end + 1;
            } else if bytes[i] == b'<' {
                let (tag, attrs, end) = parse_tag(&html[i..]);
                i += end;
                let el = self.alloc(Data::Element {
                    tag: tag.clone(),
                    attrs,
                    props: Vec::new(),
                });
                self.append(top, el);
                if is_void(&tag) {
                    continue;
                }
                if tag == "script" || tag == "style" {
                    let close = format!("</{tag}");
                    let end = html[i..]
                        .to_ascii_lowercase()
                        .find(&close)
                        .map_or(html.len(), |e| i + e);
                    if end > i {
                        let t = self.alloc(Data::Text(html[i..end].to_string()));
                        self.append(el, t);
                    }
                    i = html[end..].find('>').map_or(html.len(), |e| end + e + 1);
                    continue;
                }
                if matches!(tag.as_str(), "pre" | "textarea" | "listing")
                    && html[i..].starts_with('\n')
                {
                    i += 1;
                }
                stack.push(el);
            } else {
                let end = html[i..].find('<').map_or(html.len(), |e| i + e);
                let t = self.alloc(Data::Text(decode_entities(&html[i..end])));
                self.append(top, t);
                i = end;
            }
        }
    }

    fn append(&mut self, parent: NodeId, child: NodeId) {
        self.nodes[child].parent = Some(parent);
        self.nodes[parent].children.push(child);
    }
}

fn parse_tag(s: &str) -> (String, Vec<(String, String)>, usize) {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
        i += 1;
    }
    let tag = s[1..i].to_string();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            return (tag, attrs, (i + 1).min(s.len()));
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
            i += 1;
        }
        let name = s[start..i].to_string();
        if i < b.len() && b[i] == b'=' && i + 1 < b.len() && b[i + 1] == b'"' {
            let vstart = i + 2;
            let vend = s[vstart..].find('"').map_or(s.len(), |e| vstart + e);
            let value = decode_entities(&s[vstart..vend]);
            i = vend + 1;
            push_new_attr(&mut attrs, name, value);
        } else {
            push_new_attr(&mut attrs, name, String::new());
        }
    }
}

/// The parser keeps the first of repeated attributes and drops the others.
fn push_new_attr(attrs: &mut Vec<(String, String)>, name: String, value: String) {
    if !attrs.iter().any(|(n, _)| *n == name) {
        attrs.push((name, value));
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(semi) = rest.find(';') else { break };
        let ent = &rest[1..semi];
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| ent.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl MemoryDom {
    /// `node` and its descendants, in document order.
    #[cfg(rally_templates)]
    fn in_document_order(&self, node: NodeId, out: &mut Vec<NodeId>) {
        out.push(node);
        for &c in &self.nodes[node].children {
            self.in_document_order(c, out);
        }
    }
}

impl Backend for MemoryDom {
    type Node = NodeId;

    fn create_element(&mut self, tag: &Str, _namespace: Namespace) -> NodeId {
        self.alloc(Data::Element {
            tag: tag.to_string(),
            attrs: Vec::new(),
            props: Vec::new(),
        })
    }

    fn create_text(&mut self, text: &Str) -> NodeId {
        self.alloc(Data::Text(text.to_string()))
    }

    fn set_text(&mut self, node: &NodeId, text: &str) {
        if let Data::Text(t) = &mut self.nodes[*node].data {
            *t = text.to_string();
            self.record(*node);
        }
    }

    fn set_attribute(&mut self, element: &NodeId, name: &Str, value: &Str) {
        if let Data::Element { attrs, .. } = &mut self.nodes[*element].data {
            match attrs.iter_mut().find(|(n, _)| n.as_str() == name.as_ref()) {
                Some((_, v)) => *v = value.to_string(),
                None => attrs.push((name.to_string(), value.to_string())),
            }
            self.record(*element);
        }
    }

    fn remove_attribute(&mut self, element: &NodeId, name: &str) {
        if let Data::Element { attrs, .. } = &mut self.nodes[*element].data
            && attrs.iter().any(|(n, _)| n == name)
        {
            attrs.retain(|(n, _)| n != name);
            self.record(*element);
        }
    }

    fn set_property(&mut self, element: &NodeId, name: &str, value: &PropValue) {
        if let Data::Element { props, .. } = &mut self.nodes[*element].data {
            match props.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => *v = value.clone(),
                None => props.push((name.to_string(), value.clone())),
            }
        }
    }

    fn get_property(&self, element: &NodeId, name: &str) -> Option<PropValue> {
        self.effective_prop(*element, name)
    }

    fn set_inner_html(&mut self, element: &NodeId, html: &str) {
        for c in std::mem::take(&mut self.nodes[*element].children) {
            self.nodes[c].parent = None;
        }
        self.parse_into(*element, html);
        self.record(*element);
    }

    fn insert_before(&mut self, parent: &NodeId, child: &NodeId, before: Option<&NodeId>) {
        self.detach(*child);
        let kids = &mut self.nodes[*parent].children;
        let at = before
            .and_then(|b| kids.iter().position(|c| c == b))
            .unwrap_or(kids.len());
        kids.insert(at, *child);
        self.nodes[*child].parent = Some(*parent);
        self.record(*parent);
    }

    fn remove_child(&mut self, parent: &NodeId, child: &NodeId) {
        if self.nodes[*child].parent == Some(*parent) {
            self.detach(*child);
            self.record(*parent);
        }
    }

    fn replace_child(&mut self, parent: &NodeId, new: &NodeId, old: &NodeId) {
        self.detach(*new);
        if let Some(at) = self.nodes[*parent].children.iter().position(|c| c == old) {
            self.nodes[*parent].children[at] = *new;
            self.nodes[*new].parent = Some(*parent);
            self.nodes[*old].parent = None;
            self.record(*parent);
        }
    }

    fn clear_children(&mut self, parent: &NodeId) {
        let kids = std::mem::take(&mut self.nodes[*parent].children);
        if !kids.is_empty() {
            self.record(*parent);
        }
        for c in kids {
            self.nodes[c].parent = None;
        }
    }

    fn after_paint(&mut self, task: Box<dyn FnOnce()>) {
        self.after_paint.0.push(task);
    }

    /// The browser's version in one call: the nodes are found without handle reads, and the
    /// copy must have the nodes and links the renderer numbered it by.
    #[cfg(rally_templates)]
    fn clone_with(&mut self, copy: &NodeId, ops: &super::TemplateOps) -> NodeId {
        self.batches += 1;
        let root = self.clone_node(copy);
        let mut nodes = Vec::new();
        self.in_document_order(root, &mut nodes);
        let number = |m: NodeId| nodes.iter().position(|&x| x == m).unwrap_or(0) as u32;
        let links = nodes[1..].iter().map(|&n| {
            let parent = self.nodes[n].parent.unwrap_or(root);
            let kids = &self.nodes[parent].children;
            match kids.iter().position(|&c| c == n) {
                Some(0) | None => 2 * number(parent) + 1,
                Some(i) => 2 * number(kids[i - 1]),
            }
        });
        let given = ops.links();
        assert!(
            nodes.len() == given.len() + 1
                && links
                    .zip(given)
                    .all(|(link, &g)| g == crate::compiled::SKIPPED || g == link),
            "the copy has the nodes its writes number"
        );
        super::ops::apply(self, ops, |_, k| nodes.get(k as usize).copied());
        root
    }

    fn clone_node(&mut self, node: &NodeId) -> NodeId {
        self.clones += 1;
        self.deep_copy(*node)
    }

    fn set_listener_slot(&mut self, element: &NodeId, slot: Option<u32>) {
        self.nodes[*element].slot = slot;
    }

    fn listen(&mut self, event: &Str) {
        self.listening.push(event.to_string());
    }

    fn first_child(&self, node: &NodeId) -> Option<NodeId> {
        self.handle_reads.set(self.handle_reads.get() + 1);
        self.nodes[*node].children.first().copied()
    }

    fn next_sibling(&self, node: &NodeId) -> Option<NodeId> {
        self.handle_reads.set(self.handle_reads.get() + 1);
        let parent = self.nodes[*node].parent?;
        let kids = &self.nodes[parent].children;
        let at = kids.iter().position(|c| c == node)?;
        kids.get(at + 1).copied()
    }

    // The browser's versions skip the check for none; these assert that the renderer asks
    // only where the node is there, as it must.
    fn present_first_child(&self, node: &NodeId) -> Option<NodeId> {
        present(self.first_child(node), "present_first_child", *node)
    }

    fn present_next_sibling(&self, node: &NodeId) -> Option<NodeId> {
        present(self.next_sibling(node), "present_next_sibling", *node)
    }

    fn kind(&self, node: &NodeId) -> NodeKind {
        match &self.nodes[*node].data {
            Data::Element { tag, .. } => NodeKind::Element(tag.clone()),
            Data::Text(t) => NodeKind::Text(t.clone()),
            Data::Comment(_) => NodeKind::Other,
        }
    }

    fn attribute_names(&self, element: &NodeId) -> Vec<String> {
        match &self.nodes[*element].data {
            Data::Element { attrs, .. } => attrs.iter().map(|(n, _)| n.clone()).collect(),
            _ => Vec::new(),
        }
    }

    fn get_attribute(&self, element: &NodeId, name: &str) -> Option<String> {
        match &self.nodes[*element].data {
            Data::Element { attrs, .. } => attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    fn warn(&mut self, message: &str) {
        self.warnings.push(message.to_string());
    }
}

/// `found`, asserted to be a node: `read` of `node` was asked where one must be.
fn present(found: Option<NodeId>, read: &str, node: NodeId) -> Option<NodeId> {
    assert!(found.is_some(), "{read} of {node} found no node");
    found
}
