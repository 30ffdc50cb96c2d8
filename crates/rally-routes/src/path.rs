//! Paths: splitting into decoded segments, percent-decoding and percent-encoding.

use std::borrow::Cow;

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

/// Shared by paths (`plus_is_space == false`) and query strings. A `%` not followed by two hex
/// digits makes the whole text `None` (such a path has no route), where the `percent-encoding`
/// crate would pass it through unchanged.
///
/// Written here rather than taken from that crate (docs/adr/0061): this runs in every browser
/// bundle, where the crate's lookup table of all 256 escapes and its lossy-decoding paths
/// were ~2.7 KB of the Scoreboard's wasm, and the rules fit in these few lines.
pub(crate) fn decode(encoded: &str, plus_is_space: bool) -> Option<Cow<'_, str>> {
    let changes = |b: &u8| *b == b'%' || (plus_is_space && *b == b'+');
    if !encoded.as_bytes().iter().any(changes) {
        return Some(Cow::Borrowed(encoded));
    }
    let mut bytes = encoded.bytes();
    let mut out = Vec::with_capacity(encoded.len());
    while let Some(byte) = bytes.next() {
        out.push(match byte {
            // `+` is a space only as written; an encoded `%2B` stays a `+`.
            b'+' if plus_is_space => b' ',
            b'%' => hex_digit(bytes.next()?)? << 4 | hex_digit(bytes.next()?)?,
            other => other,
        });
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex_digit(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
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
    for byte in value.bytes() {
        if is_unreserved(byte) {
            out.push(byte as char);
        } else if space_as_plus && byte == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 0xF)] as char);
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

    /// What the `percent-encoding` crate escapes for a segment: all but the unreserved set.
    const CRATE_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    proptest::proptest! {
        #[test]
        fn encoding_agrees_with_the_percent_encoding_crate(value in "\\PC*") {
            let expected = percent_encoding::utf8_percent_encode(&value, CRATE_SET).to_string();
            proptest::prop_assert_eq!(encode_segment(&value), expected.clone());
            let mut query = String::new();
            push_encoded(&mut query, &value, true);
            proptest::prop_assert_eq!(query, expected.replace("%20", "+"));
        }

        #[test]
        fn decoding_agrees_with_the_crate_where_the_escapes_are_well_formed(
            text in "([a-z+ /]|%[0-9a-fA-F]{2}|%C3%A9|%E2%82%AC)*",
        ) {
            let expected = percent_encoding::percent_decode_str(&text).decode_utf8().ok();
            proptest::prop_assert_eq!(percent_decode(&text).map(Cow::into_owned), expected.map(Cow::into_owned));
            let spaced = text.replace('+', " ");
            let expected = percent_encoding::percent_decode_str(&spaced).decode_utf8().ok();
            proptest::prop_assert_eq!(decode(&text, true).map(Cow::into_owned), expected.map(Cow::into_owned));
        }

        #[test]
        fn whatever_is_encoded_decodes_back(value in "\\PC*") {
            let encoded = encode_segment(&value);
            let decoded = percent_decode(&encoded);
            proptest::prop_assert_eq!(decoded.as_deref(), Some(value.as_str()));
        }
    }

    #[test]
    fn plus_is_a_space_only_in_query_strings_and_an_encoded_plus_stays_a_plus() {
        assert_eq!(decode("a+b%2B", true).as_deref(), Some("a b+"));
        assert_eq!(decode("a+b%2B", false).as_deref(), Some("a+b+"));
        assert!(matches!(decode("a+b", false), Some(Cow::Borrowed("a+b"))));
    }

    #[test]
    fn escapes_of_bytes_that_are_not_utf8_are_rejected() {
        assert_eq!(percent_decode("%E9"), None);
        assert_eq!(percent_decode("%C3"), None);
        assert_eq!(percent_decode("%FF%FE"), None);
    }

    #[test]
    fn truncated_or_non_hex_escapes_are_rejected() {
        for bad in ["%", "%2", "a%2", "%zz", "%2g", "%%41"] {
            assert_eq!(percent_decode(bad), None, "{bad}");
        }
    }
}
