//! Paths: splitting into decoded segments, percent-decoding and percent-encoding.

use std::borrow::Cow;

/// The path of `raw`: everything before the first `?` (the query) and the first `#` (the
/// fragment).
///
/// ```
/// assert_eq!(rally_routes::path_part("/games/12?tab=box#score"), "/games/12");
/// ```
pub fn path_part(raw: &str) -> &str {
    match raw.find(['?', '#']) {
        Some(end) => &raw[..end],
        None => raw,
    }
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

/// Shared by paths (`plus_is_space == false`) and query strings.
pub(crate) fn decode(encoded: &str, plus_is_space: bool) -> Option<Cow<'_, str>> {
    let special = |b: u8| b == b'%' || (plus_is_space && b == b'+');
    if !encoded.bytes().any(special) {
        return Some(Cow::Borrowed(encoded));
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let high = hex_value(*bytes.get(i + 1)?)?;
                let low = hex_value(*bytes.get(i + 2)?)?;
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

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
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else if space_as_plus && byte == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
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
