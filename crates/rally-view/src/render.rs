//! The HTML renderer: an [`Element`] tree to a string, natively, with no web-sys.
//!
//! The output is exactly what the hydrator expects to find once the browser has parsed it:
//! one DOM node per virtual child, text escaped, raw-text elements made unable to close early.

use crate::vdom::{AttrValue, Attribute, Children, Element, Node, PropValue};

/// Renders a tree to an HTML string.
pub fn to_html<Msg>(element: &Element<Msg>) -> String {
    let mut out = String::with_capacity(256);
    render_into(element, &mut out);
    out
}

/// Appends a tree's HTML to `out`.
pub fn render_into<Msg>(element: &Element<Msg>, out: &mut String) {
    match element {
        Element::Text(t) => escape_text(t, out),
        Element::Fragment(children) => {
            for c in children {
                render_into(c, out);
            }
        }
        Element::Lazy(l) => render_into(&l.force(), out),
        Element::Node(node) => render_node(node, out),
    }
}

fn render_node<Msg>(node: &Node<Msg>, out: &mut String) {
    let tag: &str = &node.tag;
    out.push('<');
    out.push_str(tag);
    let mut textarea_value = None;
    for attr in &node.attrs {
        match attr {
            Attribute::Attr { name, value } => push_attr(out, name, value),
            Attribute::Prop { name, value } => match (*name, value) {
                ("value", PropValue::Str(v)) if tag == "textarea" => textarea_value = Some(v),
                ("value", PropValue::Str(_)) if tag == "select" => {}
                (name, PropValue::Str(v)) if is_reflected_prop(name) => {
                    push_attr(out, name, &AttrValue::Str(v.clone()))
                }
                (name, PropValue::Bool(b)) if is_reflected_prop(name) => {
                    push_attr(out, name, &AttrValue::Bool(*b))
                }
                _ => {}
            },
            Attribute::Event(_) | Attribute::None => {}
        }
    }
    out.push('>');
    // Void elements never have children; only a childless node needs the check.
    if matches!(&node.children, Children::Plain(c) if c.is_empty()) && is_void(tag) {
        return;
    }
    if let Some(value) = textarea_value {
        push_leading_newline(tag, value, out);
        escape_text(value, out);
    } else {
        match &node.children {
            Children::RawHtml(html) => out.push_str(html),
            Children::Plain(children) => render_children(tag, children.iter(), out),
            Children::Text(t) => render_text(tag, t, true, out),
            Children::Keyed(children) => render_children(tag, children.iter().map(|(_, c)| c), out),
        }
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn render_children<'a, Msg: 'a>(
    tag: &str,
    children: impl Iterator<Item = &'a Element<Msg>>,
    out: &mut String,
) {
    for (i, child) in children.enumerate() {
        match child {
            Element::Text(t) => render_text(tag, t, i == 0, out),
            other => render_into(other, out),
        }
    }
}

/// A text child of `tag`: raw inside `<script>` and `<style>`, escaped elsewhere.
fn render_text(tag: &str, text: &str, first: bool, out: &mut String) {
    if is_raw_text(tag) {
        out.push_str(&escape_raw_text(tag, text));
        return;
    }
    if first {
        push_leading_newline(tag, text, out);
    }
    escape_text(text, out);
}

/// The HTML parser drops one newline right after `<pre>`, `<textarea>` and `<listing>`; a
/// second one keeps the text's own.
fn push_leading_newline(tag: &str, text: &str, out: &mut String) {
    if matches!(tag, "pre" | "textarea" | "listing") && text.starts_with('\n') {
        out.push('\n');
    }
}

fn push_attr(out: &mut String, name: &str, value: &AttrValue) {
    match value {
        AttrValue::Bool(false) => {}
        AttrValue::Bool(true) => {
            out.push(' ');
            out.push_str(name);
        }
        AttrValue::Str(v) => {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_attr(v, out);
            out.push('"');
        }
    }
}

/// Properties that have a matching attribute the server can render.
pub(crate) fn is_reflected_prop(name: &str) -> bool {
    matches!(name, "value" | "checked" | "selected")
}

/// Elements that never have children or a closing tag.
pub fn is_void(tag: &str) -> bool {
    matches!(
        tag,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Elements whose text is not entity-decoded by the parser.
pub(crate) fn is_raw_text(tag: &str) -> bool {
    matches!(tag, "script" | "style")
}

/// Escapes text content: `&`, `<` and `>`, and `\r` as `&#13;` (the parser reads a raw `\r`
/// or `\r\n` as `\n`, so the text would not survive hydration otherwise).
pub fn escape_text(s: &str, out: &mut String) {
    escape(s, out, false)
}

/// Escapes a double-quoted attribute value: `&`, `"`, `<`, `>` and `\r`.
pub fn escape_attr(s: &str, out: &mut String) {
    escape(s, out, true)
}

/// The bytes that take an entity: `&`, `<`, `>` and `\r`, plus `"` in attribute values.
const fn special_bytes(quotes: bool) -> [bool; 256] {
    let mut table = [false; 256];
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'\r' as usize] = true;
    table[b'"' as usize] = quotes;
    table
}
static TEXT_SPECIAL: [bool; 256] = special_bytes(false);
static ATTR_SPECIAL: [bool; 256] = special_bytes(true);

/// Whether any byte takes an entity: eight bytes at a time (SWAR), then a table for the rest.
/// Views are made of short strings (class names, labels, ids), where a vectorised scan never
/// gets going; this cut the renderer's escaping time by half.
#[inline]
fn needs_escaping(bytes: &[u8], quotes: bool) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    // A byte of `v` is zero iff the same byte of the result has its high bit set (exact when
    // used as a yes/no for the whole word).
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let equal = |v: u64, b: u8| zero_byte(v ^ (ONES * u64::from(b)));
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        let mut hit = equal(v, b'&') | equal(v, b'<') | equal(v, b'>') | equal(v, b'\r');
        if quotes {
            hit |= equal(v, b'"');
        }
        if hit != 0 {
            return true;
        }
    }
    let special = if quotes { &ATTR_SPECIAL } else { &TEXT_SPECIAL };
    chunks.remainder().iter().any(|&b| special[usize::from(b)])
}

fn escape(s: &str, out: &mut String, quotes: bool) {
    let bytes = s.as_bytes();
    // Most text has nothing to escape: it is then copied whole.
    if !needs_escaping(bytes, quotes) {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' if quotes => "&quot;",
            b'\r' => "&#13;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Makes the text of a `<script>` or `<style>` unable to end its element early.
///
/// Entities are not decoded there, so `</script` and `<!--` are broken with a backslash
/// (`<\/script`, `<\!--`), which means the same inside JavaScript and CSS strings, and `\r\n`
/// or `\r` become `\n`, as the parser would read them. The DOM renderer writes the same text,
/// so server- and client-built DOMs agree.
pub fn escape_raw_text<'a>(tag: &str, text: &'a str) -> std::borrow::Cow<'a, str> {
    if text.contains('\r') {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        return std::borrow::Cow::Owned(escape_raw_text(tag, &text).into_owned());
    }
    let bytes = text.as_bytes();
    // `</tag` (any case) or `<!--` at byte `i`.
    let breaks_out = |i: usize| {
        let rest = &bytes[i..];
        rest.starts_with(b"<!--")
            || (rest.len() >= tag.len() + 2
                && rest[1] == b'/'
                && rest[2..2 + tag.len()].eq_ignore_ascii_case(tag.as_bytes()))
    };
    let positions = (0..bytes.len()).filter(|&i| bytes[i] == b'<' && breaks_out(i));
    let mut out = String::new();
    let mut copied = 0;
    for i in positions {
        out.push_str(&text[copied..=i]);
        // `<` + `\` + the rest: `<\/script`, `<\!--`.
        out.push('\\');
        copied = i + 1;
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{attribute, checked, class, disabled, value};
    use crate::html::{self, div, input, p, script, style, text, textarea};

    type E = Element<()>;

    #[test]
    fn escapes_hostile_text_and_attributes() {
        let e: E = div(
            vec![attribute("title", "\"><script>alert(1)</script>&")],
            vec![text("<script>alert('x')</script> & \"q\"")],
        );
        assert_eq!(
            to_html(&e),
            "<div title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;\">&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"q\"</div>"
        );
    }

    #[test]
    fn textarea_cannot_be_closed_by_its_value() {
        let e: E = textarea(vec![value("</textarea><script>x()</script>")], vec![]);
        assert_eq!(
            to_html(&e),
            "<textarea>&lt;/textarea&gt;&lt;script&gt;x()&lt;/script&gt;</textarea>"
        );
    }

    #[test]
    fn script_and_style_cannot_be_closed_by_their_text() {
        let s: E = script(
            vec![],
            vec![text("var s = \"</SCRIPT><img src=x>\"; <!-- x")],
        );
        assert_eq!(
            to_html(&s),
            "<script>var s = \"<\\/SCRIPT><img src=x>\"; <\\!-- x</script>"
        );
        let st: E = style(vec![], vec![text("a::after{content:\"</style><b>\"}")]);
        assert_eq!(
            to_html(&st),
            "<style>a::after{content:\"<\\/style><b>\"}</style>"
        );
        // Text that is harmless is left exactly as written, `&` included.
        let ok: E = script(vec![], vec![text("if (a < b && c > d) {}")]);
        assert_eq!(to_html(&ok), "<script>if (a < b && c > d) {}</script>");
    }

    #[test]
    fn carriage_returns_survive_parsing() {
        let e: E = div(vec![attribute("title", "a\r\nb")], vec![text("c\r\nd\re")]);
        assert_eq!(
            to_html(&e),
            "<div title=\"a&#13;\nb\">c&#13;\nd&#13;e</div>"
        );
        let s: E = style(vec![], vec![text("a{}\r\nb{}\r")]);
        assert_eq!(to_html(&s), "<style>a{}\nb{}\n</style>");
    }

    #[test]
    fn void_and_boolean_attributes() {
        let e: E = input(vec![
            disabled(true),
            checked(true),
            value("a\"b"),
            attribute("x", ""),
        ]);
        assert_eq!(
            to_html(&e),
            "<input disabled checked value=\"a&quot;b\" x=\"\">"
        );
        let off: E = input(vec![disabled(false), checked(false)]);
        assert_eq!(to_html(&off), "<input>");
    }

    #[test]
    fn adjacent_text_is_merged_and_empty_text_dropped() {
        let e: E = p(
            vec![],
            vec![
                text("Value: "),
                text(""),
                html::fragment(vec![text("1")]),
                text("!"),
            ],
        );
        assert_eq!(to_html(&e), "<p>Value: 1!</p>");
        // One text node, held as a lone text.
        match &e {
            Element::Node(n) => match &n.children {
                Children::Text(t) => assert_eq!(t, "Value: 1!"),
                _ => panic!("one merged text expected"),
            },
            _ => panic!("node expected"),
        }
    }

    #[test]
    fn repeated_class_attributes_join() {
        let e: E = div(
            vec![
                class("a"),
                class("b"),
                attribute("id", "x"),
                attribute("id", "y"),
            ],
            vec![],
        );
        assert_eq!(to_html(&e), "<div class=\"a b\" id=\"y\"></div>");
    }

    #[test]
    fn leading_newline_in_pre_survives_parsing() {
        let e: E = html::pre(vec![], vec![text("\nindented")]);
        assert_eq!(to_html(&e), "<pre>\n\nindented</pre>");
    }

    #[test]
    fn raw_html_is_verbatim() {
        let e: E = html::unsafe_raw_html("div", vec![], "<b>bold</b>");
        assert_eq!(to_html(&e), "<div><b>bold</b></div>");
    }
}

#[cfg(test)]
mod escaping {
    use super::*;

    #[test]
    fn every_special_byte_is_found_at_every_position() {
        for special in ['&', '<', '>', '"', '\r'] {
            for len in 1..20 {
                for at in 0..len {
                    let s: String = (0..len)
                        .map(|i| if i == at { special } else { 'a' })
                        .collect();
                    let mut attr = String::new();
                    escape_attr(&s, &mut attr);
                    assert_ne!(attr, s, "{special:?} at {at} of {len} in an attribute");
                    let mut text = String::new();
                    escape_text(&s, &mut text);
                    assert_eq!(
                        text == s,
                        special == '"',
                        "{special:?} at {at} of {len} in text"
                    );
                }
            }
        }
    }

    #[test]
    fn clean_strings_are_copied_whole() {
        let s = "remove glyphicon glyphicon-remove 0123456789 é ü";
        let mut out = String::new();
        escape_attr(s, &mut out);
        assert_eq!(out, s);
    }
}
