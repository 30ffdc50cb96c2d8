//! Paths: splitting into decoded segments, percent-decoding and percent-encoding.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The path of `raw`: everything before the first `?` (the query) and the first `#` (the
/// fragment).
///
/// ```
/// assert_eq!(rally_routes::path_part("/games/12?tab=box#score"), "/games/12");
/// ```
pub fn path_part(raw: &str) -> &str {
    // `split` rather than slicing at `find`'s index: indexing a `str` links core's
    // boundary-error formatting (`char`'s `Debug` and its Unicode tables, ~4 KB) into every
    // browser bundle, and the first piece of a split is the same text.
    raw.split(['?', '#']).next().unwrap_or(raw)
}

/// The segments of a request path, each percent-decoded, or `None` when a segment is not
/// valid percent-encoded UTF-8 (such a path has no route: it is the mount's 404).
///
/// The query and fragment are dropped first ([`path_part`]); the path is then split on `/`
/// and empty segments are dropped, so `/games/` and `//games` are `["games"]` and `/` is `[]`.
/// Each segment is decoded *after* splitting, so `%2F` stays inside its segment: `/teams/a%2Fb`
/// is `["teams", "a/b"]`. `.` and `..` are ordinary segments (browsers resolve them before a
/// path reaches Rally). Segments that contain no `%` are borrowed from `raw`.
///
/// ```
/// let segments = rally_routes::split_path("/teams/montr%C3%A9al-meteors/?tab=1").unwrap();
/// assert_eq!(segments, ["teams", "montréal-meteors"]);
/// assert_eq!(rally_routes::split_path("/teams/%E9"), None); // not UTF-8
/// ```
pub fn split_path(raw: &str) -> Option<Vec<Cow<'_, str>>> {
    path_part(raw)
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(percent_decode)
        .collect()
}

/// `encoded` with every `%XX` replaced by the byte it stands for; `None` when a `%` is not
/// followed by two hex digits or the bytes are not UTF-8. Nothing else is changed (`+` stays
/// `+`; see [`crate::QueryParams`] for query strings). Borrows when there is no `%`.
pub fn percent_decode(encoded: &str) -> Option<Cow<'_, str>> {
    decode(encoded, false)
}

/// Shared by paths (`plus_is_space == false`) and query strings. The `percent-encoding` crate
/// passes a malformed `%` through unchanged; Rally refuses it (such a path has no route), so
/// the escapes are checked first.
pub(crate) fn decode(encoded: &str, plus_is_space: bool) -> Option<Cow<'_, str>> {
    if !escapes_are_well_formed(encoded) {
        return None;
    }
    if plus_is_space && encoded.contains('+') {
        // `+` becomes a space before decoding, so an encoded `%2B` stays a `+`.
        let spaced = encoded.replace('+', " ");
        let decoded = percent_decode_str(&spaced).decode_utf8().ok()?;
        return Some(Cow::Owned(decoded.into_owned()));
    }
    percent_decode_str(encoded).decode_utf8().ok()
}

/// Whether every `%` is followed by two hex digits.
fn escapes_are_well_formed(encoded: &str) -> bool {
    let bytes = encoded.as_bytes();
    bytes.iter().enumerate().all(|(i, &byte)| {
        byte != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// What a segment or query value escapes: everything but the RFC 3986 unreserved characters.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// As [`ESCAPED`], with spaces left for `+`.
const ESCAPED_BUT_SPACE: &AsciiSet = &ESCAPED.remove(b' ');

/// RFC 3986 unreserved characters: the only ones a segment keeps as they are.
pub(crate) fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// `value` as one path segment: every byte of its UTF-8 except the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (uppercase hex), so `/`, `?`, `#`, `%`,
/// spaces and non-ASCII text survive a round trip through [`split_path`].
///
/// ```
/// assert_eq!(rally_routes::encode_segment("montréal-meteors"), "montr%C3%A9al-meteors");
/// assert_eq!(rally_routes::encode_segment("a/b c"), "a%2Fb%20c");
/// ```
pub fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_encoded(&mut out, value, false);
    out
}

/// Appends `value` percent-encoded to `out`; with `space_as_plus`, a space becomes `+` (query
/// strings, as `application/x-www-form-urlencoded` and `URLSearchParams` write them).
pub(crate) fn push_encoded(out: &mut String, value: &str, space_as_plus: bool) {
    if space_as_plus {
        for chunk in utf8_percent_encode(value, ESCAPED_BUT_SPACE) {
            out.push_str(&chunk.replace(' ', "+"));
        }
    } else {
        out.extend(utf8_percent_encode(value, ESCAPED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_borrows_when_there_is_nothing_to_decode() {
        assert!(matches!(
            percent_decode("games"),
            Some(Cow::Borrowed("games"))
        ));
        assert!(matches!(percent_decode("a%20b"), Some(Cow::Owned(s)) if s == "a b"));
    }

    #[test]
    fn lowercase_hex_decodes() {
        assert_eq!(percent_decode("montr%c3%a9al").as_deref(), Some("montréal"));
    }

    #[test]
    fn truncated_or_non_hex_escapes_are_rejected() {
        for bad in ["%", "%2", "a%2", "%zz", "%2g", "%%41"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
