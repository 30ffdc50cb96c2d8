//! The HTML renderer: an [`Element`] tree to a string, natively, with no web-sys.
//!
//! The output is exactly what the hydrator expects to find once the browser has parsed it:
//! one DOM node per virtual child, text escaped, raw-text elements made unable to close early.

#[cfg(not(target_arch = "wasm32"))]
use crate::vdom::AnyAttribute;
use crate::vdom::{AnyElement, Attr, AttrValue, Children, Element, Node, PropValue, Str};

/// Renders a tree to an HTML string.
pub fn to_html<Msg>(element: &Element<Msg>) -> String {
    any_to_html(element.any())
}

/// Renders a tree of any message type to an HTML string.
pub fn any_to_html(element: &AnyElement) -> String {
    let mut out = String::with_capacity(4096);
    render_any_into(element, &mut out);
    out
}

/// Appends a tree's HTML to `out`.
pub fn render_into<Msg>(element: &Element<Msg>, out: &mut String) {
    render_any_into(element.any(), out);
}

/// Appends the HTML of a tree of any message type to `out`.
pub fn render_any_into(element: &AnyElement, out: &mut String) {
    Renderer::appending_to(out).element(element);
}

/// Appends one attribute as the renderer writes it on an element other than `textarea` and
/// `select` (a compiled template's constant attributes).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn render_attribute_into(attr: &AnyAttribute, out: &mut String) {
    Renderer::appending_to(out).attribute("", attr);
}

/// Appends one merged attribute or property, as [`render_attribute_into`] does.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn render_attr_into(attr: &Attr, out: &mut String) {
    Renderer::appending_to(out).attr_or_prop("", attr);
}

/// The output while rendering: a `String`'s bytes, appended to in short pieces.
///
/// A page is mostly tags, attribute names, class names and short texts, so the renderer makes
/// ~15 appends of a few bytes per element. Through `String::push_str` each one cost a call to
/// the C library's `memcpy`, about a sixth of the renderer's time in the SSR profile; short
/// pieces are copied here with at most two word-sized moves instead.
///
/// Invariant: only whole `&str`s and ASCII bytes are appended, so the bytes are valid UTF-8.
struct Html<'a>(&'a mut Vec<u8>);

/// Renders a tree into [`Html`].
///
/// Most attribute values are literals (`class("col-md-1")`), checked for characters that need
/// entities on every element of every render: a fifth of the renderer's instructions. A literal
/// never changes, so one found clean is remembered for the rest of the render by its address
/// and length (a small table in the renderer, nothing global), and later copied without a
/// scan: 13 % fewer instructions per render under callgrind, ~20 % less time in alternating
/// runs of the SSR benchmark's `spin` example.
pub(crate) struct Renderer<'a> {
    html: Html<'a>,
    /// Literals (`&'static str`, by address and length) already found to need no escaping in
    /// this render: class names and other constant values are then copied without a scan.
    clean: [(usize, usize); CLEAN_SLOTS],
}

/// Slots of [`Renderer::clean`]: a page has a few dozen distinct literal values.
const CLEAN_SLOTS: usize = 32;

impl Html<'_> {
    #[inline(always)]
    fn str(&mut self, s: &str) {
        let (src, n) = (s.as_ptr(), s.len());
        self.0.reserve(n);
        // SAFETY: `reserve` made room for `n` more bytes after `len`, and `copy_short` writes
        // exactly `n` bytes there from the `n` readable bytes of `s`.
        unsafe {
            let len = self.0.len();
            copy_short(src, self.0.as_mut_ptr().add(len), n);
            self.0.set_len(len + n);
        }
    }

    #[inline(always)]
    fn ascii(&mut self, b: u8) {
        debug_assert!(b.is_ascii());
        self.0.push(b);
    }

    #[inline]
    fn escape(&mut self, s: &str, quotes: bool) {
        // Most text has nothing to escape: it is then copied whole.
        if !needs_escaping(s.as_bytes(), quotes) {
            self.str(s);
            return;
        }
        let mut start = 0;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            let Some(entity) = entity(b, quotes) else {
                continue;
            };
            self.str(&s[start..i]);
            self.str(entity);
            start = i + 1;
        }
        self.str(&s[start..]);
    }
}

impl<'a> Renderer<'a> {
    /// A renderer appending to `out`.
    fn appending_to(out: &'a mut String) -> Self {
        // SAFETY: the renderer appends only whole `&str`s and ASCII bytes (see `Html`), so the
        // bytes stay valid UTF-8.
        Renderer {
            html: Html(unsafe { out.as_mut_vec() }),
            clean: [(0, 0); CLEAN_SLOTS],
        }
    }
}

impl Renderer<'_> {
    pub(crate) fn element(&mut self, element: &AnyElement) {
        match element {
            AnyElement::Text(t) => self.escape_str(t, false),
            AnyElement::Fragment(children) => {
                for c in children {
                    self.element(c);
                }
            }
            AnyElement::Lazy(l) => {
                // A compiled template writes its markup without building its tree.
                #[cfg(not(target_arch = "wasm32"))]
                if l.render_html(self) {
                    return;
                }
                self.element(&l.force())
            }
            AnyElement::Node(node) => self.node(node),
        }
    }

    fn node(&mut self, node: &Node) {
        self.node_with_class(node, None);
    }

    /// An element, with `extra` joined to its `class` (a lazy list's mark).
    fn node_with_class(&mut self, node: &Node, extra: Option<&Str>) {
        let tag: &str = &node.tag;
        self.html.ascii(b'<');
        self.html.str(tag);
        let mut textarea_value = None;
        let mut extra = extra;
        for attr in &node.attrs {
            if let (Some(class), Attr::Attr { name, value }) = (extra, attr)
                && name == "class"
            {
                self.joined_class(value, class);
                extra = None;
            } else if let Some(value) = self.attr_or_prop(tag, attr) {
                textarea_value = Some(value);
            }
        }
        if let Some(class) = extra {
            self.attr("class", &AttrValue::Str(class.clone()));
        }
        self.html.ascii(b'>');
        // Void elements never have children; only a childless node needs the check.
        if matches!(&node.children, Children::Plain(c) if c.is_empty()) && is_void(tag) {
            return;
        }
        if let Some(value) = textarea_value {
            self.leading_newline(tag, value);
            self.escape_str(value, false);
        } else {
            match &node.children {
                Children::RawHtml(html) => self.html.str(html),
                Children::Plain(children) => self.children(tag, children.iter()),
                Children::Text(t) => self.text(tag, t, true),
                Children::Keyed(children) => self.children(tag, children.iter().map(|(_, c)| c)),
                Children::LazyKeyed(list) => {
                    let rows = list.force_all();
                    let rows = rows.iter().flatten().map(|row| &**row);
                    match list.class_mark() {
                        None => self.children(tag, rows),
                        Some((at, class)) => {
                            for (i, row) in rows.enumerate() {
                                self.row(row, Some(class).filter(|_| i == at));
                            }
                        }
                    }
                }
            }
        }
        self.html.str("</");
        self.html.str(tag);
        self.html.ascii(b'>');
    }

    /// A lazy list's row (an element, see `lazy::one_node`), with the list's mark class.
    fn row(&mut self, row: &AnyElement, mark: Option<&Str>) {
        match (row, mark) {
            (AnyElement::Lazy(l), Some(_)) => self.row(&l.force(), mark),
            (AnyElement::Node(n), Some(_)) => self.node_with_class(n, mark),
            (other, _) => self.element(other),
        }
    }

    /// A `class` attribute of `value` (the root's own) and `mark` after it.
    fn joined_class(&mut self, value: &AttrValue, mark: &Str) {
        match value {
            AttrValue::Str(own) if !own.is_empty() => {
                self.html.str(" class=\"");
                self.escape_str(own, true);
                self.html.ascii(b' ');
                self.escape_str(mark, true);
                self.html.ascii(b'"');
            }
            _ => self.attr("class", &AttrValue::Str(mark.clone())),
        }
    }

    /// One attribute of an element `tag`; a `textarea`'s value is returned, to be written
    /// as its text. (A compiled template's holes; a tree's attributes are merged first.)
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn attribute<'v>(&mut self, tag: &str, attr: &'v AnyAttribute) -> Option<&'v Str> {
        match attr {
            AnyAttribute::Attr { name, value } => self.attr(name, value),
            AnyAttribute::Prop { name, value } => return self.prop(tag, name, value),
            AnyAttribute::Event(_) | AnyAttribute::None => {}
        }
        None
    }

    /// One merged attribute or property of an element `tag`, as [`Renderer::attribute`].
    #[inline(always)]
    pub(crate) fn attr_or_prop<'v>(&mut self, tag: &str, attr: &'v Attr) -> Option<&'v Str> {
        match attr {
            Attr::Attr { name, value } => {
                self.attr(name, value);
                None
            }
            Attr::Prop { name, value } => self.prop(tag, name, value),
        }
    }

    /// A property as the markup shows it: reflected ones as attributes; a `textarea`'s value
    /// is returned, to be written as its text.
    #[inline(always)]
    fn prop<'v>(&mut self, tag: &str, name: &'static str, value: &'v PropValue) -> Option<&'v Str> {
        match (name, value) {
            ("value", PropValue::Str(v)) if tag == "textarea" => return Some(v),
            ("value", PropValue::Str(_)) if tag == "select" => {}
            (name, PropValue::Str(v)) if is_reflected_prop(name) => {
                self.attr(name, &AttrValue::Str(v.clone()))
            }
            (name, PropValue::Bool(b)) if is_reflected_prop(name) => {
                self.attr(name, &AttrValue::Bool(*b))
            }
            _ => {}
        }
        None
    }

    /// Markup copied as it is (a compiled template's constant part).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn markup(&mut self, markup: &str) {
        self.html.str(markup);
    }

    fn children<'a>(&mut self, tag: &str, children: impl Iterator<Item = &'a AnyElement>) {
        for (i, child) in children.enumerate() {
            match child {
                AnyElement::Text(t) => self.text(tag, t, i == 0),
                other => self.element(other),
            }
        }
    }

    /// A text child of `tag`: raw inside `<script>` and `<style>`, escaped elsewhere.
    fn text(&mut self, tag: &str, text: &Str, first: bool) {
        if is_raw_text(tag) {
            self.html.str(&escape_raw_text(tag, text));
            return;
        }
        if first {
            self.leading_newline(tag, text);
        }
        self.escape_str(text, false);
    }

    /// The HTML parser drops one newline right after `<pre>`, `<textarea>` and `<listing>`; a
    /// second one keeps the text's own.
    fn leading_newline(&mut self, tag: &str, text: &str) {
        if matches!(tag, "pre" | "textarea" | "listing") && text.starts_with('\n') {
            self.html.ascii(b'\n');
        }
    }

    fn attr(&mut self, name: &str, value: &AttrValue) {
        match value {
            AttrValue::Bool(false) => {}
            AttrValue::Bool(true) => {
                self.html.ascii(b' ');
                self.html.str(name);
            }
            AttrValue::Str(v) => {
                self.html.ascii(b' ');
                self.html.str(name);
                self.html.str("=\"");
                self.escape_str(v, true);
                self.html.ascii(b'"');
            }
        }
    }

    /// Escapes a view string, skipping the scan for a literal already found clean.
    #[inline(always)]
    fn escape_str(&mut self, s: &Str, quotes: bool) {
        let Str::Borrowed(literal) = s else {
            return self.html.escape(s, quotes);
        };
        let key = (literal.as_ptr() as usize, literal.len());
        let slot = &mut self.clean[(key.0 >> 3 ^ key.1) % CLEAN_SLOTS];
        if *slot == key {
            return self.html.str(literal);
        }
        // Clean for an attribute value means clean as text too.
        if !needs_escaping(literal.as_bytes(), true) {
            *slot = key;
            return self.html.str(literal);
        }
        self.html.escape(literal, quotes)
    }
}

/// Copies `n` bytes from `src` to `dst` inline when `n` is small (the common case), through
/// `copy_nonoverlapping` (`memcpy`) otherwise.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes, and the two must not overlap.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    use std::ptr::{read_unaligned, write_unaligned};
    // SAFETY (every branch): the two moves of each size cover `[0, n)` exactly, possibly
    // overlapping each other, and stay inside it because `n` is at least that size.
    unsafe {
        if n >= 8 {
            if n > 16 {
                std::ptr::copy_nonoverlapping(src, dst, n);
                return;
            }
            let head = read_unaligned(src.cast::<u64>());
            let tail = read_unaligned(src.add(n - 8).cast::<u64>());
            write_unaligned(dst.cast::<u64>(), head);
            write_unaligned(dst.add(n - 8).cast::<u64>(), tail);
        } else if n >= 4 {
            let head = read_unaligned(src.cast::<u32>());
            let tail = read_unaligned(src.add(n - 4).cast::<u32>());
            write_unaligned(dst.cast::<u32>(), head);
            write_unaligned(dst.add(n - 4).cast::<u32>(), tail);
        } else if n > 0 {
            // 1 to 3 bytes: first, middle and last (some of them the same byte).
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
    }
}

/// The entity that stands for `b`, if it takes one.
#[inline]
fn entity(b: u8, quotes: bool) -> Option<&'static str> {
    match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' if quotes => Some("&quot;"),
        b'\r' => Some("&#13;"),
        _ => None,
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
    // SAFETY: `Html` appends only whole `&str`s and ASCII bytes.
    Html(unsafe { out.as_mut_vec() }).escape(s, quotes)
}

/// Makes the text of a `<script>` or `<style>` unable to end its element early.
///
/// Entities are not decoded there, so `</script` and `<!--` are broken with a backslash
/// (`<\/script`, `<\!--`), which means the same inside JavaScript and CSS strings, and `\r\n`
/// or `\r` become `\n`, as the parser would read them. The DOM renderer writes the same text,
/// so server- and client-built DOMs agree.
pub fn escape_raw_text<'a>(tag: &str, text: &'a str) -> std::borrow::Cow<'a, str> {
    let bytes = text.as_bytes();
    // `</tag` (any case) or `<!--` at byte `i`. Line breaks never take part in one, so
    // reading them in the same pass as the text's own breaks are rewritten is the same as
    // rewriting the breaks first.
    let breaks_out = |i: usize| {
        let rest = &bytes[i..];
        rest.starts_with(b"<!--")
            || (rest.len() >= tag.len() + 2
                && rest[1] == b'/'
                && rest[2..2 + tag.len()].eq_ignore_ascii_case(tag.as_bytes()))
    };
    let special = |i: usize| bytes[i] == b'\r' || (bytes[i] == b'<' && breaks_out(i));
    let Some(first) = (0..bytes.len()).find(|&i| special(i)) else {
        return std::borrow::Cow::Borrowed(text);
    };
    // One byte loop rather than `str` searching and splitting: this runs in every browser
    // bundle, where `str`'s pattern machinery costs ~1 KB. Runs of `text` are copied with
    // `get`: each cut is at an ASCII byte, so on a character boundary, and `get` does not
    // link the boundary-error formatting that indexing a `str` does (~4 KB).
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    let mut i = first;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                out.push_str(text.get(copied..i).unwrap_or_default());
                out.push('\n');
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                copied = i;
            }
            b'<' if breaks_out(i) => {
                // `<` + `\` + the rest: `<\/script`, `<\!--`.
                out.push_str(text.get(copied..=i).unwrap_or_default());
                out.push('\\');
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
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
    fn raw_text_line_breaks_are_read_as_the_parser_reads_them() {
        // `\r\n` and a lone `\r` are each one `\n`; a `\n` after `\n` stays its own.
        assert_eq!(
            escape_raw_text("style", "a\r\nb\rc\r\r\nd\n\re\r"),
            "a\nb\nc\n\nd\n\ne\n"
        );
        assert_eq!(escape_raw_text("style", "\r\n"), "\n");
        assert_eq!(escape_raw_text("script", "x\r</script>"), "x\n<\\/script>");
        // Cuts next to text that is not ASCII keep it whole.
        assert_eq!(
            escape_raw_text("style", "é</StYlE>ü\r\n€<!--ß\r"),
            "é<\\/StYlE>ü\n€<\\!--ß\n"
        );
        // `</` of another element, and a tag that only starts like this one's, are left.
        assert_eq!(escape_raw_text("script", "</b></scrip"), "</b></scrip");
        assert!(matches!(
            escape_raw_text("style", "a\nb"),
            std::borrow::Cow::Borrowed("a\nb")
        ));
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
        match e.any() {
            AnyElement::Node(n) => match &n.children {
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
    fn strings_of_every_length_are_copied_exactly() {
        // The short copies take different paths for 0, 1–3, 4–7, 8–16 and longer strings.
        let source = "aé€𝄞<b>&\"".repeat(8);
        let mut expected = String::from("x");
        let mut out = String::from("x");
        for (end, _) in source.char_indices().chain([(source.len(), ' ')]) {
            let piece = &source[..end];
            for quotes in [false, true] {
                for c in piece.chars() {
                    match (c, quotes) {
                        ('&', _) => expected.push_str("&amp;"),
                        ('<', _) => expected.push_str("&lt;"),
                        ('>', _) => expected.push_str("&gt;"),
                        ('"', true) => expected.push_str("&quot;"),
                        (c, _) => expected.push(c),
                    }
                }
                escape(piece, &mut out, quotes);
                assert_eq!(out, expected, "{} bytes, quotes {quotes}", piece.len());
            }
        }
    }

    /// Literals found clean are remembered per render (by address and length); literals that
    /// need entities, and texts that merely equal a clean literal, are still escaped every time.
    #[test]
    fn remembered_literals_stay_escaped_correctly() {
        use crate::attribute::{attribute, class};
        use crate::html::{div, span, text};
        let row = |i: usize| -> Element<()> {
            div(
                [class("row"), attribute("title", "a \"quoted\" & <b>")],
                [
                    span([class("row")], [text("R&D")]),
                    span([attribute("data-x", "row")], [text(format!("row {i} <x>"))]),
                    span([], [text("plain")]),
                ],
            )
        };
        let page: Element<()> = div([], (0..100).map(row));
        let html = to_html(&page);
        let one = "<div class=\"row\" title=\"a &quot;quoted&quot; &amp; &lt;b&gt;\">\
                   <span class=\"row\">R&amp;D</span><span data-x=\"row\">row 7 &lt;x&gt;</span>\
                   <span>plain</span></div>";
        assert!(html.contains(one), "{html}");
        assert_eq!(html.matches("&quot;quoted&quot;").count(), 100);
        assert_eq!(html.matches("R&amp;D").count(), 100);
        assert!(!html.contains("\"quoted\"") && !html.contains("R&D"));
        // Many distinct literals share the slots: each is still copied exactly.
        let names: Vec<&'static str> = (0..200)
            .map(|i| &*Box::leak(format!("c{i}").into_boxed_str()))
            .collect();
        let many: Element<()> = div([], names.iter().map(|&n| span([class(n)], [text(n)])));
        let expected: String = names
            .iter()
            .map(|n| format!("<span class=\"{n}\">{n}</span>"))
            .collect();
        assert_eq!(to_html(&many), format!("<div>{expected}</div>"));
    }

    #[test]
    fn clean_strings_are_copied_whole() {
        let s = "remove glyphicon glyphicon-remove 0123456789 é ü";
        let mut out = String::new();
        escape_attr(s, &mut out);
        assert_eq!(out, s);
    }
}
