//! Small wrappers over the RustCrypto primitives: OS randomness, base64url, and an AES-256-GCM
//! sealed-box text format shared by the session cookie and the Google sign-in cookie.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A cryptographic operation that could not run.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Random(#[from] getrandom::Error),
    /// AES-GCM refused to encrypt (only possible for inputs of many gigabytes).
    #[error("AES-256-GCM encryption failed")]
    Encrypt,
}

/// `N` bytes from the operating system's random number generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

/// Base64url without padding.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; `None` for anything else.
pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Encrypts and authenticates short texts as `v1.<iv>.<ciphertext>.<tag>` (base64url, no
/// padding), AES-256-GCM with a fresh 12-byte IV and a caller-chosen associated data string, the
/// format of upstream Rally's `__rally_auth` cookie.
#[derive(Clone)]
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Sealer {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `plaintext` bound to `aad`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<String, CryptoError> {
        let iv = random_bytes::<IV_LEN>()?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&iv),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        let (ciphertext, tag) = sealed.split_at(sealed.len().saturating_sub(TAG_LEN));
        Ok(format!(
            "v1.{}.{}.{}",
            b64_encode(&iv),
            b64_encode(ciphertext),
            b64_encode(tag)
        ))
    }

    /// Decrypts a value made by [`Sealer::seal`] with the same key and `aad`; `None` when the
    /// value is malformed, was made with another key or `aad`, or was changed.
    pub(crate) fn open(&self, aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(iv), Some(ciphertext), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let iv = b64_decode(iv).filter(|iv| iv.len() == IV_LEN)?;
        let mut msg = b64_decode(ciphertext)?;
        let tag = b64_decode(tag).filter(|tag| tag.len() == TAG_LEN)?;
        msg.extend_from_slice(&tag);
        self.cipher
            .decrypt(Nonce::from_slice(&iv), Payload { msg: &msg, aad })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_rejections() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(b"aad", b"hello").unwrap();
        assert!(sealed.starts_with("v1."));
        assert_eq!(sealer.open(b"aad", &sealed).as_deref(), Some(&b"hello"[..]));
        assert_eq!(sealer.open(b"other", &sealed), None);
        assert_eq!(Sealer::new(&[8; 32]).open(b"aad", &sealed), None);
        assert_eq!(sealer.open(b"aad", "v1.a.b"), None);
        assert_eq!(sealer.open(b"aad", &format!("{sealed}.x")), None);
        assert_eq!(sealer.open(b"aad", &sealed.replacen("v1", "v2", 1)), None);
        // Two seals of the same text differ (fresh IV).
        assert_ne!(sealer.seal(b"aad", b"hello").unwrap(), sealed);
    }
}
