//! The data a server-rendered page carries for the browser: postcard bytes as base64url text.
//!
//! base64url has no character that needs escaping inside a `<script>` element, so the payload
//! can never end the element early whatever the data holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the page's payload is not base64url: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error(
        "the page's payload does not decode as the expected type (was the server built from the same code?): {0}"
    )]
    Decode(#[from] postcard::Error),
}

/// Encodes a value for embedding in a page.
pub fn encode<T: Serialize>(value: &T) -> Result<String, postcard::Error> {
    Ok(URL_SAFE_NO_PAD.encode(postcard::to_allocvec(value)?))
}

/// Decodes a value embedded with [`encode`].
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, PayloadError> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim())?;
    Ok(postcard::from_bytes(&bytes)?)
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
    fn bad_payloads_are_errors_not_panics() {
        assert!(matches!(
            decode::<Model>("!!!"),
            Err(PayloadError::Base64(_))
        ));
        assert!(matches!(
            decode::<Model>("AAAA"),
            Err(PayloadError::Decode(_))
        ));
        assert!(decode::<Model>("").is_err());
    }
}
