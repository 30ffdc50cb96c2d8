//! The runtime the generated route modules call: path splitting and decoding, encoding, typed
//! parameters, query strings.

use std::borrow::Cow;

use proptest::prelude::*;
use rally_routes::{
    FromParam, QueryParams, ToParam, encode_param, encode_segment, path_part, split_path,
};

fn segments(raw: &str) -> Option<Vec<String>> {
    split_path(raw).map(|segments| segments.into_iter().map(Cow::into_owned).collect())
}

#[test]
fn splits_and_drops_empty_segments() {
    assert_eq!(segments("/"), Some(vec![]));
    assert_eq!(segments(""), Some(vec![]));
    assert_eq!(segments("/games"), Some(vec!["games".to_owned()]));
    assert_eq!(segments("/games/"), segments("/games"));
    assert_eq!(
        segments("games//12"),
        Some(vec!["games".to_owned(), "12".to_owned()])
    );
}

#[test]
fn query_and_fragment_are_dropped_before_splitting() {
    assert_eq!(path_part("/a?b#c"), "/a");
    assert_eq!(path_part("/a#b?c"), "/a");
    assert_eq!(
        segments("/games?next=/teams/x"),
        Some(vec!["games".to_owned()])
    );
    assert_eq!(segments("/games#/teams"), Some(vec!["games".to_owned()]));
    assert_eq!(segments("?a=1"), Some(vec![]));
}

#[test]
fn each_segment_is_decoded_after_splitting() {
    assert_eq!(
        segments("/teams/a%2Fb"),
        Some(vec!["teams".to_owned(), "a/b".to_owned()])
    );
    assert_eq!(
        segments("/teams/a%3Fb%23c"),
        Some(vec!["teams".to_owned(), "a?b#c".to_owned()])
    );
    assert_eq!(
        segments("/a%20b/c+d"),
        Some(vec!["a b".to_owned(), "c+d".to_owned()])
    );
    assert_eq!(
        segments("/teams/montr%C3%A9al-meteors"),
        Some(vec!["teams".to_owned(), "montréal-meteors".to_owned()])
    );
    // Raw non-ASCII (as some clients send it) is taken as it is.
    assert_eq!(
        segments("/teams/montréal"),
        Some(vec!["teams".to_owned(), "montréal".to_owned()])
    );
}

#[test]
fn segments_without_escapes_are_borrowed() {
    let split = split_path("/teams/montr%C3%A9al").unwrap();
    assert!(matches!(split[0], Cow::Borrowed("teams")));
    assert!(matches!(split[1], Cow::Owned(_)));
}

#[test]
fn invalid_encoding_is_none() {
    assert_eq!(segments("/teams/%"), None);
    assert_eq!(segments("/teams/%4"), None);
    assert_eq!(segments("/teams/%G1"), None);
    assert_eq!(segments("/teams/%C3"), None); // a lone UTF-8 lead byte
    assert_eq!(segments("/teams/%FF"), None);
    assert_eq!(segments("/%/games"), None);
    // An invalid escape after `?` or `#` is not part of the path.
    assert_eq!(segments("/games?q=%"), Some(vec!["games".to_owned()]));
}

#[test]
fn encoding_keeps_only_unreserved_characters() {
    assert_eq!(encode_segment("montréal-meteors"), "montr%C3%A9al-meteors");
    assert_eq!(encode_segment("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(encode_segment("a/b?c#d%e f+g"), "a%2Fb%3Fc%23d%25e%20f%2Bg");
    assert_eq!(encode_segment("🏒"), "%F0%9F%8F%92");
    assert_eq!(encode_segment(""), "");
}

#[test]
fn typed_params() {
    assert_eq!(i64::from_param("12"), Some(12));
    assert_eq!(i64::from_param("abc"), None);
    assert_eq!(i64::from_param(""), None);
    assert_eq!(i64::from_param("9223372036854775808"), None);
    assert_eq!(i32::from_param("2147483648"), None);
    assert_eq!(u32::from_param("-1"), None);
    assert_eq!(u64::from_param("42"), Some(42));
    assert_eq!(String::from_param("a b"), Some("a b".to_owned()));
    assert_eq!(12_i64.to_param(), "12");
    assert_eq!(encode_param(&u32::MAX), "4294967295");
    assert_eq!(encode_param("a/b"), "a%2Fb");
    assert_eq!(encode_param(&"montréal".to_owned()), "montr%C3%A9al");
}

#[test]
fn query_params_parse_tolerantly() {
    let query = QueryParams::parse(
        "return_to=%2Fadmin%2Fgames&error=Bad+code&sent&&tag=a&tag=b&bad=%ZZ&=v",
    );
    assert_eq!(query.get("return_to"), Some("/admin/games"));
    assert_eq!(query.get("error"), Some("Bad code"));
    assert_eq!(query.get("sent"), Some(""));
    assert_eq!(query.get_all("tag").collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(query.get("tag"), Some("a"));
    assert_eq!(query.get("bad"), None); // undecodable pair dropped
    assert_eq!(query.get(""), Some("v"));
    assert_eq!(query.get("missing"), None);
    assert_eq!(query.len(), 6);
    assert!(QueryParams::parse("").is_empty());
    assert!(QueryParams::parse("?").is_empty());
    assert_eq!(QueryParams::parse("?a=1").get("a"), Some("1"));
    assert_eq!(QueryParams::parse("a=1=2").get("a"), Some("1=2"));
    assert_eq!(QueryParams::parse("q=caf%C3%A9").get("q"), Some("café"));
}

#[test]
fn query_params_from_a_url() {
    let query = QueryParams::from_url("/games?team=TOR&team=MTL#standings");
    assert_eq!(query.get_all("team").collect::<Vec<_>>(), ["TOR", "MTL"]);
    assert!(QueryParams::from_url("/games").is_empty());
    assert!(QueryParams::from_url("/games#x?y=1").is_empty());
}

#[test]
fn query_params_print() {
    let mut query = QueryParams::new();
    query.push("return_to", "/games?x=1");
    query.push("name", "Montréal Meteors");
    query.push("name", "a+b&c=d");
    assert_eq!(
        query.to_query_string(),
        "return_to=%2Fgames%3Fx%3D1&name=Montr%C3%A9al+Meteors&name=a%2Bb%26c%3Dd"
    );
    assert_eq!(query.to_string(), query.to_query_string());
    assert_eq!(QueryParams::parse(&query.to_string()), query);
    assert_eq!(QueryParams::new().to_string(), "");
    let collected: QueryParams = [("a", "1"), ("b", "2")].into_iter().collect();
    assert_eq!(
        collected.iter().collect::<Vec<_>>(),
        [("a", "1"), ("b", "2")]
    );
}

proptest! {
    #[test]
    fn segments_round_trip(value in ".+") {
        let path = format!("/x/{}", encode_segment(&value));
        prop_assert_eq!(segments(&path), Some(vec!["x".to_owned(), value]));
    }

    #[test]
    fn encoded_segments_are_unreserved_or_escapes(value in ".*") {
        let encoded = encode_segment(&value);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
    }

    #[test]
    fn query_params_round_trip(pairs in proptest::collection::vec(("\\PC*", "\\PC*"), 0..5)) {
        let query: QueryParams = pairs.clone().into_iter().collect();
        let reparsed = QueryParams::parse(&query.to_query_string());
        // An empty name with an empty value prints as `=`, which parses back as that pair.
        prop_assert_eq!(reparsed.into_pairs(), pairs);
    }

    #[test]
    fn integers_round_trip(value in any::<i64>()) {
        prop_assert_eq!(i64::from_param(&encode_param(&value)), Some(value));
    }
}
