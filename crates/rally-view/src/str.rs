//! [`Str`]: the strings of a view, made so that building a view copies as little as possible.
//!
//! A view is rebuilt on every render, on the server for every request. Most of its strings
//! are literals (tags, class names), numbers (ids, counts, keys) or text the model already
//! holds (a row's label). `Cow<'static, str>` served the first case only: a number was
//! formatted into a fresh `String`, a model's label copied into one. `Str` keeps each case
//! without an allocation:
//!
//! - [`Str::Borrowed`]: a literal. The browser renderer also caches these by address (ADR 0006).
//! - [`Str::Inline`]: up to [`Inline::CAPACITY`] bytes in place. Integers convert to it with a
//!   hand-written conversion, so neither a heap string nor `core::fmt` is involved (numbers of
//!   more than 15 characters become [`Str::Owned`]).
//! - [`Str::Shared`]: an `Arc<str>` the model holds; cloning it into the view is a count.
//! - [`Str::Owned`]: anything else built at run time.
//!
//! Every variant reads as a `&str` ([`Str::as_str`], `Deref`); equality, ordering and hashing
//! are those of the text, whichever variant holds it.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

/// A string in a view: a literal, a short text in place, a shared text or an owned one.
#[derive(Clone)]
pub enum Str {
    /// A `&'static str`, usually a literal.
    Borrowed(&'static str),
    /// Built at run time.
    Owned(String),
    /// Shared with the model; cloning it costs a reference count, not a copy.
    Shared(Arc<str>),
    /// A short text stored in place, such as a formatted number.
    Inline(Inline),
}

/// A string of at most [`Inline::CAPACITY`] bytes stored without a heap allocation.
#[derive(Clone, Copy)]
pub struct Inline {
    len: u8,
    bytes: [u8; Inline::CAPACITY],
}

impl Inline {
    /// The most bytes an inline string holds. 15 keeps [`Str`] as small as a `String` (24
    /// bytes): any id below 10¹⁵ fits.
    pub const CAPACITY: usize = 15;

    /// `s` in place, when it fits.
    pub fn new(s: &str) -> Option<Self> {
        if s.len() > Self::CAPACITY {
            return None;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Inline {
            len: s.len() as u8,
            bytes,
        })
    }

    /// Builds from ASCII bytes that fit.
    fn from_ascii(ascii: &[u8]) -> Self {
        debug_assert!(ascii.is_ascii() && ascii.len() <= Self::CAPACITY);
        let mut bytes = [0; Self::CAPACITY];
        bytes[..ascii.len()].copy_from_slice(ascii);
        Inline {
            len: ascii.len() as u8,
            bytes,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let bytes = &self.bytes[..usize::from(self.len).min(Self::CAPACITY)];
        // SAFETY: the bytes are only ever written by `new`, from a whole `&str`, and by
        // `from_ascii`, from ASCII digits, and never changed after; both are valid UTF-8.
        // (Validating them again on every read showed up in the renderer's profile.)
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

impl Str {
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match self {
            Str::Borrowed(s) => s,
            Str::Owned(s) => s,
            Str::Shared(s) => s,
            Str::Inline(s) => s.as_str(),
        }
    }

    /// The literal, when this is one: the browser renderer caches literals by address.
    #[inline]
    pub fn as_static(&self) -> Option<&'static str> {
        match self {
            Str::Borrowed(s) => Some(s),
            _ => None,
        }
    }

    /// An owned `String` to append to, converting this `Str` in place first when needed.
    pub fn make_mut(&mut self) -> &mut String {
        if !matches!(self, Str::Owned(_)) {
            *self = Str::Owned(self.as_str().to_owned());
        }
        match self {
            Str::Owned(s) => s,
            _ => unreachable!("converted to Owned above"),
        }
    }

    /// The text as a `String`, reusing an owned one.
    pub fn into_string(self) -> String {
        match self {
            Str::Owned(s) => s,
            other => other.as_str().to_owned(),
        }
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::Borrowed("")
    }
}

impl Deref for Str {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Keys of integer ids: compared as two words, without a `memcmp` call. Bytes past
            // `len` are always zero (`new`, `from_ascii`), so equal texts have equal arrays.
            (Str::Inline(a), Str::Inline(b)) => a.len == b.len && a.bytes == b.bytes,
            // The same literal (a class, an attribute name) or the same shared text on both
            // sides of a diff, most of what it compares: no `memcmp` call.
            (Str::Borrowed(a), Str::Borrowed(b)) if std::ptr::eq(*a, *b) => true,
            (Str::Shared(a), Str::Shared(b)) if std::sync::Arc::ptr_eq(a, b) => true,
            _ => self.as_str() == other.as_str(),
        }
    }
}
impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Str {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&'static str> for Str {
    #[inline]
    fn from(s: &'static str) -> Self {
        Str::Borrowed(s)
    }
}

impl From<String> for Str {
    #[inline]
    fn from(s: String) -> Self {
        Str::Owned(s)
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Self {
        Str::from(s.as_str().to_owned())
    }
}

impl From<Cow<'static, str>> for Str {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Str::Borrowed(s),
            Cow::Owned(s) => Str::Owned(s),
        }
    }
}

impl From<Arc<str>> for Str {
    #[inline]
    fn from(s: Arc<str>) -> Self {
        Str::Shared(s)
    }
}

impl From<&Arc<str>> for Str {
    #[inline]
    fn from(s: &Arc<str>) -> Self {
        Str::Shared(Arc::clone(s))
    }
}

/// An `Rc<str>` cannot be shared across the `Arc`: its text is copied (in place when short).
impl From<&Rc<str>> for Str {
    fn from(s: &Rc<str>) -> Self {
        Inline::new(s).map_or_else(|| Str::Owned(s.to_string()), Str::Inline)
    }
}

impl From<char> for Str {
    fn from(c: char) -> Self {
        let mut buf = [0u8; 4];
        // A char is at most 4 bytes: always fits.
        Inline::new(c.encode_utf8(&mut buf)).map_or_else(|| Str::Owned(c.to_string()), Str::Inline)
    }
}

/// The decimal digits of `n`, with a `-` when `negative`: in place when they fit.
fn digits(mut n: u64, negative: bool) -> Str {
    // Two digits per division: integer keys are formatted for every row on every render.
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut buf = [0u8; 21];
    let mut at = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    let ascii = &buf[at..];
    if ascii.len() <= Inline::CAPACITY {
        Str::Inline(Inline::from_ascii(ascii))
    } else {
        // Byte by byte, as they are ASCII: `from_utf8_lossy` would link its lossy decoder
        // (~0.5 KB of wasm) into every bundle that formats an integer key.
        Str::Owned(ascii.iter().map(|&b| char::from(b)).collect())
    }
}

impl From<Str> for String {
    fn from(s: Str) -> Self {
        s.into_string()
    }
}

macro_rules! str_from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Str {
            /// The number's decimal digits, in place.
            #[inline]
            fn from(n: $t) -> Self {
                digits(n as u64, false)
            }
        }
    )*};
}
macro_rules! str_from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Str {
            /// The number's decimal digits, in place.
            #[inline]
            fn from(n: $t) -> Self {
                digits((n as i64).unsigned_abs(), n < 0)
            }
        }
    )*};
}
str_from_unsigned!(u8, u16, u32, u64, usize);
str_from_signed!(i8, i16, i32, i64, isize);

/// `parts` one after the other, in one allocation: for the runtime's warnings, where
/// `format!` or `[&str]::concat` would bring kilobytes of generic code into every bundle.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_their_decimal_digits_in_place() {
        for (n, s) in [
            (0i64, "0"),
            (7, "7"),
            (-7, "-7"),
            (1_000, "1000"),
            (999_999_999_999_999, "999999999999999"),
            (-99_999_999_999_999, "-99999999999999"),
        ] {
            let v = Str::from(n);
            assert!(matches!(v, Str::Inline(_)), "{n}");
            assert_eq!(v, s);
        }
        // Longer numbers are still right, on the heap.
        assert_eq!(Str::from(i64::MAX), "9223372036854775807");
        assert_eq!(Str::from(i64::MIN), "-9223372036854775808");
        assert_eq!(Str::from(u64::MAX), "18446744073709551615");
        assert_eq!(Str::from(0u8), "0");
        assert_eq!(Str::from(usize::MAX), usize::MAX.to_string().as_str());
        // Every length and every digit pair, both signs, as `to_string` writes them.
        for n in (0..100_000i64).chain((0..63).map(|shift| (1i64 << shift) - 1)) {
            assert_eq!(Str::from(n), n.to_string().as_str(), "{n}");
            assert_eq!(Str::from(-n), (-n).to_string().as_str(), "{}", -n);
        }
    }

    #[test]
    fn inline_texts_are_equal_only_when_their_text_is() {
        let pairs = [
            (1u32, 1u32, true),
            (1, 10, false),
            (12, 21, false),
            (100, 100, true),
        ];
        for (a, b, equal) in pairs {
            assert_eq!(Str::from(a) == Str::from(b), equal, "{a} {b}");
        }
        let word = Str::Inline(Inline::new("row").unwrap());
        assert_eq!(word, Str::Inline(Inline::new("row").unwrap()));
        assert_ne!(word, Str::Inline(Inline::new("rows").unwrap()));
        assert_ne!(word, Str::Inline(Inline::new("").unwrap()));
    }

    #[test]
    fn variants_compare_and_hash_by_text() {
        use std::collections::HashSet;
        let all = [
            Str::Borrowed("12"),
            Str::Owned("12".into()),
            Str::Shared(Arc::from("12")),
            Str::from(12u32),
        ];
        for a in &all {
            for b in &all {
                assert_eq!(a, b);
            }
        }
        let set: HashSet<Str> = all.into_iter().collect();
        assert_eq!(set.len(), 1);
        let (a, b) = (Str::Borrowed("a"), Str::from(String::from("b")));
        assert!(a < b);
    }

    #[test]
    fn make_mut_turns_any_variant_into_an_owned_string() {
        for mut s in [
            Str::Borrowed("ab"),
            Str::Shared(Arc::from("ab")),
            Str::from(&Rc::<str>::from("ab")),
        ] {
            s.make_mut().push('c');
            assert_eq!(s, "abc");
            assert!(matches!(s, Str::Owned(_)));
        }
    }

    #[test]
    fn short_texts_fit_in_place_and_long_ones_do_not() {
        assert_eq!(
            Inline::new("x".repeat(15).as_str()).map(|i| i.as_str().len()),
            Some(15)
        );
        assert!(Inline::new("x".repeat(16).as_str()).is_none());
        assert_eq!(Str::from('é'), "é");
        let long: Rc<str> = Rc::from("a label longer than twenty-two bytes");
        assert!(matches!(Str::from(&long), Str::Owned(_)));
    }

    #[test]
    fn a_str_is_no_larger_than_a_string() {
        assert_eq!(std::mem::size_of::<Str>(), std::mem::size_of::<String>());
    }

    #[test]
    fn a_shared_text_is_not_copied() {
        let label: Arc<str> = Arc::from("pretty red table");
        let s = Str::from(&label);
        assert_eq!(Arc::strong_count(&label), 2);
        assert_eq!(s.as_str().as_ptr(), label.as_ptr());
    }
}
