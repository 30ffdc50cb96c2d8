//! The contract fingerprint: SHA-256 of the canonical description of every wire type.
//!
//! Codegen computes it (see `contract`, feature `contract`) and compiles it into both builds as
//! a constant; the browser opens the socket with it and the server answers a different one with
//! [`ServerFrame::Reload`](crate::ServerFrame::Reload).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A contract fingerprint (32 bytes, written as 64 lowercase hex digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

/// The text is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a contract fingerprint is 64 hex digits, got {0:?}")]
pub struct FingerprintError(String);

impl Fingerprint {
    /// Wraps digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }

    /// The digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hex digits in a `const` context (generated code); panics at compile time on
    /// anything else.
    pub const fn from_hex(hex: &str) -> Self {
        match parse(hex.as_bytes()) {
            Some(bytes) => Fingerprint(bytes),
            None => panic!("a contract fingerprint is 64 hex digits"),
        }
    }
}

const fn parse(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        let (Some(hi), Some(lo)) = (nibble(hex[2 * i]), nibble(hex[2 * i + 1])) else {
            return None;
        };
        out[i] = hi << 4 | lo;
        i += 1;
    }
    Some(out)
}

const fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s.as_bytes())
            .map(Fingerprint)
            .ok_or_else(|| FingerprintError(s.chars().take(80).collect()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}
