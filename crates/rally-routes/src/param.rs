//! Typed route parameters.

use std::borrow::Cow;

use crate::path::{encode_segment, is_unreserved, push_encoded};

/// A type a dynamic route segment can hold: the generated `Route::parse` calls
/// [`from_param`](FromParam::from_param) on the decoded segment, and a `None` makes the whole
/// path the mount's 404 (`/games/abc` when `id` is an `i64`).
///
/// Implemented for `String` (any segment) and the integer types (what [`str::parse`] accepts,
/// so `/games/007` is game 7 and its canonical path is `/games/7`). Implement it, together with
/// [`ToParam`], `Debug`, `Clone`, `PartialEq` and `Eq`, to use another type as a parameter.
pub trait FromParam: Sized {
    /// The value of a decoded segment, or `None` when it does not parse.
    fn from_param(segment: &str) -> Option<Self>;
}

/// A type that prints as a route segment (before percent-encoding): the generated path helpers
/// call it through [`push_param`]. `parse(to_path(route)) == route` needs
/// `T::from_param(&value.to_param()) == Some(value)`.
pub trait ToParam {
    /// The segment's text, not yet percent-encoded.
    fn to_param(&self) -> Cow<'_, str>;
}

impl FromParam for String {
    fn from_param(segment: &str) -> Option<Self> {
        Some(segment.to_owned())
    }
}

impl ToParam for str {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ToParam for String {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Cow<'_, str> {
        (**self).to_param()
    }
}

macro_rules! integer_params {
    ($($ty:ty),*) => {$(
        impl FromParam for $ty {
            fn from_param(segment: &str) -> Option<Self> {
                segment.parse().ok()
            }
        }

        impl ToParam for $ty {
            fn to_param(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}

integer_params!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// `value` as a percent-encoded path segment ([`crate::encode_segment`] of its
/// [`to_param`](ToParam::to_param)); copies nothing more when no character needs encoding.
///
/// ```
/// assert_eq!(rally_routes::encode_param(&12_i64), "12");
/// assert_eq!(rally_routes::encode_param("montréal-meteors"), "montr%C3%A9al-meteors");
/// ```
pub fn encode_param<T: ToParam + ?Sized>(value: &T) -> String {
    let text = value.to_param();
    if text.bytes().all(is_unreserved) {
        text.into_owned()
    } else {
        encode_segment(&text)
    }
}

/// Appends `value` to `path` as a percent-encoded segment, as [`encode_param`] writes it: what
/// the generated path helpers call, so a link costs one string and no formatting.
///
/// ```
/// let mut path = String::from("/teams/");
/// rally_routes::push_param(&mut path, "montréal-meteors");
/// assert_eq!(path, "/teams/montr%C3%A9al-meteors");
/// ```
pub fn push_param<T: ToParam + ?Sized>(path: &mut String, value: &T) {
    let text = value.to_param();
    if text.bytes().all(is_unreserved) {
        path.push_str(&text);
    } else {
        push_encoded(path, &text, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_or_refuse() {
        assert_eq!(i64::from_param("12"), Some(12));
        assert_eq!(i64::from_param("-3"), Some(-3));
        assert_eq!(i64::from_param("abc"), None);
        assert_eq!(i64::from_param(""), None);
        assert_eq!(i64::from_param("1.5"), None);
        assert_eq!(i32::from_param("99999999999"), None);
        assert_eq!(u32::from_param("-1"), None);
        assert_eq!(u64::from_param("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn strings_take_any_segment() {
        assert_eq!(String::from_param("a/b c").as_deref(), Some("a/b c"));
        assert_eq!(encode_param(&String::from("a/b c")), "a%2Fb%20c");
        assert_eq!(encode_param(&&"x"), "x");
        let mut path = String::from("/a/");
        push_param(&mut path, "b c/d");
        path.push('/');
        push_param(&mut path, &-7_i64);
        push_param(&mut path, "");
        assert_eq!(path, "/a/b%20c%2Fd/-7");
        assert_eq!(encode_param(&-7_i32), "-7");
    }
}
