//! Writes filling in a new `view!` instance, batched into one call (docs/adr/0047).
//!
//! A row cloned from its template's DOM copy used to be filled in through a handle per node:
//! nine reads of `firstChild`/`nextSibling` for a table row, each a call into JS and a slot in
//! the externref table, before its two texts and two listener tags were written with four
//! more calls. Hand-written JavaScript reads only the nodes it writes to, inline. So the
//! renderer writes what a new row needs into a [`TemplateOps`] instead: each write names its
//! node by number (document order within the instance, as [`Skeleton`] numbers them), the
//! batch says how each node is reached from an earlier one (first child or next sibling), and
//! the backend clones the template and applies the batch in one call, reaching only the nodes
//! written to. The browser's backend does that in JavaScript; the default does it handle by
//! handle. [`memory::MemoryDom`](super::memory::MemoryDom) counts one batch per call.
//!
//! Strings travel in one buffer, each with its length in bytes (read by Rust) and in UTF-16
//! code units (read by JavaScript, whose string offsets count those).
//!
//! A later patch writes to single nodes through the backend's usual methods; it reaches a
//! node with [`Backend::node_at`] (one call in the browser) the first time, by the same
//! links, and keeps its handle.
//!
//! [`Skeleton`]: crate::compiled

use super::Backend;
use crate::compiled::SKIPPED;
use crate::vdom::{PropValue, Str};

/// A batch of writes filling in one new template instance.
#[derive(Debug, Default)]
pub struct TemplateOps {
    /// The instance's number of nodes `n`, its nodes' links (`codes[k]` for node `k` in
    /// `1..n`: `2j + 1` for the first child of node `j`, `2j` for the next sibling of node
    /// `j`, `0` for a node not reached), then the writes: an opcode, a node's number, and the
    /// write's operands.
    codes: Vec<u32>,
    texts: String,
}

const TEXT: u32 = 0;
const SET_ATTRIBUTE: u32 = 1;
const SLOT: u32 = 2;
const SET_BOOL_PROPERTY: u32 = 3;
const SET_STRING_PROPERTY: u32 = 4;

/// One write of a [`TemplateOps`], decoded. `node` is the node's number in document order
/// within the instance, the root being 0.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateOp<'a> {
    /// Sets a text node's text.
    Text {
        /// The text node.
        node: u32,
        /// Its new text.
        text: &'a str,
    },
    /// Sets an attribute.
    SetAttribute {
        /// The element.
        node: u32,
        /// The attribute's name.
        name: &'a str,
        /// Its value.
        value: &'a str,
    },
    /// Sets a property (`checked`, `value`): a clone carries none.
    SetProperty {
        /// The element.
        node: u32,
        /// The property's name.
        name: &'a str,
        /// Its value.
        value: PropValue,
    },
    /// Tags an element with its listener slot.
    Slot {
        /// The element.
        node: u32,
        /// The slot.
        slot: u32,
    },
}

impl TemplateOp<'_> {
    /// The node written to.
    pub fn node(&self) -> u32 {
        match self {
            TemplateOp::Text { node, .. }
            | TemplateOp::SetAttribute { node, .. }
            | TemplateOp::SetProperty { node, .. }
            | TemplateOp::Slot { node, .. } => *node,
        }
    }
}

impl TemplateOps {
    /// Empties the batch for an instance whose nodes after the root are reached by `links`,
    /// keeping its allocations.
    pub(crate) fn start(&mut self, links: &[u32]) {
        self.codes.clear();
        self.texts.clear();
        self.codes.push(links.len() as u32 + 1);
        self.codes.extend_from_slice(links);
    }

    /// Whether the batch writes anything.
    pub fn is_empty(&self) -> bool {
        self.codes.len() == self.links_end()
    }

    pub(crate) fn text(&mut self, node: u32, text: &str) {
        self.codes.extend([TEXT, node]);
        self.string(text);
    }

    pub(crate) fn set_attribute(&mut self, node: u32, name: &str, value: &str) {
        self.codes.extend([SET_ATTRIBUTE, node]);
        self.string(name);
        self.string(value);
    }

    pub(crate) fn set_property(&mut self, node: u32, name: &str, value: &PropValue) {
        match value {
            PropValue::Bool(on) => {
                self.codes.extend([SET_BOOL_PROPERTY, node]);
                self.string(name);
                self.codes.push(u32::from(*on));
            }
            PropValue::Str(value) => {
                self.codes.extend([SET_STRING_PROPERTY, node]);
                self.string(name);
                self.string(value);
            }
        }
    }

    pub(crate) fn slot(&mut self, node: u32, slot: u32) {
        self.codes.extend([SLOT, node, slot]);
    }

    fn string(&mut self, s: &str) {
        // Each character is one code unit but for those of four bytes, which are two; counted
        // from the bytes, without the UTF-8 decoder `encode_utf16` brings into the bundle.
        let utf16 = s
            .bytes()
            .map(|b| usize::from(b & 0xc0 != 0x80) + usize::from(b >= 0xf0))
            .sum::<usize>();
        self.codes.extend([s.len() as u32, utf16 as u32]);
        self.texts.push_str(s);
    }

    fn links_end(&self) -> usize {
        self.codes.first().map_or(1, |&n| n.max(1) as usize)
    }

    /// The codes as the browser's backend reads them: the number of nodes, their links,
    /// then each write's opcode, node and operands (two lengths per string).
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The strings, one after another.
    pub fn texts(&self) -> &str {
        &self.texts
    }

    /// How each node after the root is reached: `links()[k - 1]` is node `k`'s link, `2j + 1`
    /// for the first child of node `j`, `2j` for the next sibling of node `j` (`j < k`), or
    /// `0` for a node not written to nor on the way to one.
    pub fn links(&self) -> &[u32] {
        self.codes.get(1..self.links_end()).unwrap_or(&[])
    }

    /// The writes, in order.
    pub fn iter(&self) -> impl Iterator<Item = TemplateOp<'_>> {
        let mut codes = self.codes.get(self.links_end()..).unwrap_or(&[]).iter();
        let mut at = 0;
        let texts = &self.texts;
        std::iter::from_fn(move || {
            let mut next = || codes.next().copied();
            let mut string = |len: Option<u32>, _utf16: Option<u32>| {
                let end = at + len? as usize;
                let s = texts.get(at..end)?;
                at = end;
                Some(s)
            };
            let op = next()?;
            let node = next()?;
            Some(match op {
                TEXT => TemplateOp::Text {
                    node,
                    text: string(next(), next())?,
                },
                SET_ATTRIBUTE => TemplateOp::SetAttribute {
                    node,
                    name: string(next(), next())?,
                    value: string(next(), next())?,
                },
                SLOT => TemplateOp::Slot {
                    node,
                    slot: next()?,
                },
                SET_BOOL_PROPERTY => TemplateOp::SetProperty {
                    node,
                    name: string(next(), next())?,
                    value: PropValue::Bool(next()? != 0),
                },
                SET_STRING_PROPERTY => TemplateOp::SetProperty {
                    node,
                    name: string(next(), next())?,
                    value: PropValue::Str(Str::from(string(next(), next())?.to_owned())),
                },
                _ => return None,
            })
        })
    }
}

/// The nodes of a `view!` instance, reached from its root by their links
/// ([`TemplateOps::links`]) when first asked for.
pub(crate) struct Linked<'l, N> {
    links: &'l [u32],
    nodes: Vec<Option<N>>,
}

impl<'l, N: Clone> Linked<'l, N> {
    pub(crate) fn new(root: N, links: &'l [u32]) -> Self {
        let mut nodes = vec![None; links.len() + 1];
        nodes[0] = Some(root);
        Linked { links, nodes }
    }

    /// Node `k`; `None` only for a number the links do not reach.
    pub(crate) fn get<B: Backend<Node = N> + ?Sized>(&mut self, backend: &B, k: u32) -> Option<N> {
        let k = k as usize;
        if let Some(node) = self.nodes.get(k)? {
            return Some(node.clone());
        }
        let link = *self.links.get(k.checked_sub(1)?)?;
        if link == SKIPPED {
            return None;
        }
        // Links point to earlier nodes, so this recursion ends.
        let from = self.get(backend, (link >> 1).min(k as u32 - 1))?;
        let node = match link & 1 {
            1 => backend.present_first_child(&from),
            _ => backend.present_next_sibling(&from),
        }?;
        self.nodes[k] = Some(node.clone());
        Some(node)
    }
}

/// Applies `ops` through `backend`'s single-node methods, finding each write's node with
/// `node_at` (which may read handles through `backend`).
pub(super) fn apply<B: Backend + ?Sized>(
    backend: &mut B,
    ops: &TemplateOps,
    mut node_at: impl FnMut(&B, u32) -> Option<B::Node>,
) {
    for op in ops.iter() {
        let Some(node) = node_at(backend, op.node()) else {
            continue;
        };
        match op {
            TemplateOp::Text { text, .. } => backend.set_text(&node, text),
            TemplateOp::SetAttribute { name, value, .. } => {
                let (name, value) = (Str::from(name.to_owned()), Str::from(value.to_owned()));
                backend.set_attribute(&node, &name, &value);
            }
            TemplateOp::SetProperty { name, value, .. } => {
                backend.set_property(&node, name, &value)
            }
            TemplateOp::Slot { slot, .. } => backend.set_listener_slot(&node, Some(slot)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_come_back_as_written_with_their_strings() {
        let mut ops = TemplateOps::default();
        // A root with two children, the second with one.
        ops.start(&[1, 2, 5]);
        assert!(ops.is_empty());
        ops.text(1, "1");
        ops.set_attribute(0, "class", "danger");
        ops.slot(2, 7);
        ops.text(3, "héllo ✓");
        ops.set_property(2, "checked", &PropValue::Bool(true));
        ops.set_property(2, "value", &PropValue::Str("typed".into()));
        assert!(!ops.is_empty());
        assert_eq!(ops.links(), [1, 2, 5]);
        assert_eq!(
            ops.iter().collect::<Vec<_>>(),
            [
                TemplateOp::Text { node: 1, text: "1" },
                TemplateOp::SetAttribute {
                    node: 0,
                    name: "class",
                    value: "danger"
                },
                TemplateOp::Slot { node: 2, slot: 7 },
                TemplateOp::Text {
                    node: 3,
                    text: "héllo ✓"
                },
                TemplateOp::SetProperty {
                    node: 2,
                    name: "checked",
                    value: PropValue::Bool(true)
                },
                TemplateOp::SetProperty {
                    node: 2,
                    name: "value",
                    value: PropValue::Str("typed".into())
                },
            ]
        );
    }

    #[test]
    fn strings_carry_their_length_in_utf16_code_units_for_javascript() {
        let mut ops = TemplateOps::default();
        ops.start(&[]);
        // 'é' is 2 bytes and 1 unit, '✓' 3 bytes and 1 unit, '😀' 4 bytes and 2 units.
        ops.text(0, "é✓😀");
        assert_eq!(ops.codes(), [1, TEXT, 0, 9, 4]);
        assert_eq!(ops.texts(), "é✓😀");
    }

    #[test]
    fn starting_again_forgets_the_previous_instance() {
        let mut ops = TemplateOps::default();
        ops.start(&[1]);
        ops.text(1, "old");
        ops.start(&[]);
        assert!(ops.is_empty());
        assert_eq!(ops.iter().count(), 0);
        assert_eq!(ops.texts(), "");
    }
}
