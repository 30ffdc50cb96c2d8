//! The data a server-rendered page carries for the browser: postcard bytes as base64url text.
//!
//! base64url has no character that needs escaping inside a `<script>` element, so the payload
//! can never end the element early whatever the data holds.

use rally_wire::message::{FormatterOut, Message, MessageOut};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a payload could not be read.
///
/// The browser reports it without `core::fmt` ([`Message`], ADR 0065).
#[derive(Debug)]
pub enum PayloadError {
    /// Not base64url at this byte.
    Base64(usize),
    /// Not one value of the expected type's postcard encoding (or bytes left over after it).
    Decode(rally_wire::DecodeError),
}

impl Message for PayloadError {
    fn write_message(&self, out: &mut dyn MessageOut) {
        match self {
            PayloadError::Base64(byte) => {
                out.text("the page's payload is not base64url (byte ");
                out.number(*byte);
                out.text("); was the page altered?");
            }
            PayloadError::Decode(e) => {
                out.text(
                    "the page's payload does not decode as the expected type (was the server built from the same code?): ",
                );
                e.write_message(out);
            }
        }
    }
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FormatterOut::write(f, self)
    }
}

impl std::error::Error for PayloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PayloadError::Decode(e) => Some(e),
            PayloadError::Base64(_) => None,
        }
    }
}

impl From<rally_wire::DecodeError> for PayloadError {
    fn from(e: rally_wire::DecodeError) -> Self {
        PayloadError::Decode(e)
    }
}

/// Encodes a value for embedding in a page.
pub fn encode<T: Serialize>(value: &T) -> Result<String, postcard::Error> {
    // Sized for a page's data: an empty vector grew several times per `/games` payload.
    let bytes = postcard::to_extend(value, Vec::with_capacity(1024))?;
    Ok(encode_bytes(&bytes))
}

/// The server encodes with the `base64` crate: a fifth of the instructions of the hand-written
/// encoder, which the browser bundle keeps for its size (issue 19).
#[cfg(feature = "server")]
fn encode_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(not(feature = "server"))]
fn encode_bytes(bytes: &[u8]) -> String {
    base64url_encode(bytes)
}

/// Decodes a value embedded with [`encode`].
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, PayloadError> {
    // ASCII whitespace only: `trim` would link Unicode's whitespace table into every bundle.
    let bytes = base64url_decode(text.as_bytes().trim_ascii())?;
    // The browser's decoder: postcard's own error texts would cost every bundle ~0.3 KiB.
    Ok(rally_wire::decode_from_server(&bytes)?)
}

// base64url without padding (RFC 4648 §5), by hand: the general-purpose crate costs the browser
// bundle ~4 KB for the few lines needed here.

#[cfg(any(not(feature = "server"), feature = "browser", test))]
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[cfg(any(not(feature = "server"), feature = "browser", test))]
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    let sextet = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    // Whole groups write four bytes at once: pushing a `char` at a time cost ~22 instructions
    // per input byte, 5 % of rendering `/games` (issue 19).
    let mut groups = bytes.chunks_exact(3);
    for g in &mut groups {
        let n = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
        out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *groups.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12)]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6)]);
        }
        _ => {}
    }
    // The alphabet is ASCII, so this never falls back; `expect` would link `FromUtf8Error`'s
    // `Debug` (and the byte-list formatting under it) into every browser bundle.
    String::from_utf8(out).unwrap_or_default()
}

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    }))
}

pub(crate) fn base64url_decode(text: &[u8]) -> Result<Vec<u8>, PayloadError> {
    if text.len() % 4 == 1 {
        return Err(PayloadError::Base64(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for (c, chunk) in text.chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, &ch) in chunk.iter().enumerate() {
            n |= sextet(ch).ok_or(PayloadError::Base64(c * 4 + i))? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Model {
        name: String,
        items: Vec<(u32, String)>,
    }

    #[test]
    fn round_trips_and_is_script_safe() {
        let m = Model {
            name: "</script><b>&\"'".into(),
            items: vec![(1, "é".into())],
        };
        let text = encode(&m).unwrap();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode::<Model>(&text).unwrap(), m);
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_encode(raw.as_bytes()), enc);
            assert_eq!(base64url_decode(enc.as_bytes()).unwrap(), raw.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(
            base64url_decode(base64url_encode(&all).as_bytes()).unwrap(),
            all
        );
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
    }

    /// The server's encoder and the browser's agree on every length and byte value.
    #[cfg(feature = "server")]
    #[test]
    fn both_encoders_write_the_same_text() {
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for end in 0..bytes.len() {
            let start = end / 3;
            let slice = &bytes[start..end];
            assert_eq!(
                encode_bytes(slice),
                base64url_encode(slice),
                "bytes {start}..{end}"
            );
        }
    }

    #[test]
    fn bad_payloads_are_errors_not_panics() {
        assert!(matches!(
            decode::<Model>("!!!"),
            Err(PayloadError::Base64(_))
        ));
        assert!(matches!(
            decode::<Model>("AAAA"),
            Err(PayloadError::Decode(
                rally_wire::DecodeError::TrailingBytes(1)
            ))
        ));
        assert!(matches!(
            decode::<Model>("_w"),
            Err(PayloadError::Decode(_))
        ));
        assert!(decode::<Model>("").is_err());
    }
}
