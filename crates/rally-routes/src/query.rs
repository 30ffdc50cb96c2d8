//! The query string as a bag of pairs.

use std::fmt;

use crate::path::{decode, push_encoded};

/// A URL's query parameters: decoded `(name, value)` pairs in their order, names may repeat.
///
/// Pages read what they need ([`get`](Self::get) for the first value of a name,
/// [`get_all`](Self::get_all) for all of them); there are no typed query fields. Parsing is
/// tolerant, like a browser's `URLSearchParams`: `+` is a space, `%XX` is decoded, a pair
/// without `=` has an empty value, empty pieces (`a=1&&b=2`) are skipped, and a pair that is not
/// valid percent-encoded UTF-8 is dropped rather than failing the whole query.
///
/// ```
/// use rally_routes::QueryParams;
///
/// let query = QueryParams::from_url("/sign_in?return_to=%2Fgames&tag=a&tag=b+c#top");
/// assert_eq!(query.get("return_to"), Some("/games"));
/// assert_eq!(query.get_all("tag").collect::<Vec<_>>(), ["a", "b c"]);
/// assert_eq!(query.to_string(), "return_to=%2Fgames&tag=a&tag=b+c");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parameters of a query string (`a=1&b=2`; a leading `?` is allowed).
    pub fn parse(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        let pairs = query
            .split('&')
            .filter(|piece| !piece.is_empty())
            .filter_map(|piece| {
                let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
                Some((
                    decode(name, true)?.into_owned(),
                    decode(value, true)?.into_owned(),
                ))
            })
            .collect();
        Self { pairs }
    }

    /// The parameters of a path or URL: the part between the first `?` and the fragment (`#`);
    /// none when there is no `?` before the fragment.
    pub fn from_url(url: &str) -> Self {
        let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
        match without_fragment.split_once('?') {
            Some((_, query)) => Self::parse(query),
            None => Self::new(),
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.pairs
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// How many pairs there are (repeated names count each time).
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Every pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Appends a pair (an existing `name` is kept; see [`get`](Self::get)).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// The pairs as a query string without the leading `?` (empty when there are none): names
    /// and values percent-encoded except unreserved characters, spaces as `+`, so that
    /// [`parse`](Self::parse) gives the same pairs back.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            push_encoded(&mut out, name, true);
            out.push('=');
            push_encoded(&mut out, value, true);
        }
        out
    }

    /// The pairs as a `Vec`.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }
}

/// Writes [`to_query_string`](QueryParams::to_query_string).
impl fmt::Display for QueryParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_query_string())
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for QueryParams {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self {
            pairs: iter
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }
}

impl From<Vec<(String, String)>> for QueryParams {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }
}

impl IntoIterator for QueryParams {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_iter()
    }
}
