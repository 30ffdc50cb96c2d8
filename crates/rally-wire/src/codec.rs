//! Encoding and bounded decoding.
//!
//! postcard alone already refuses lengths that run past the input, so strings and byte buffers
//! cannot allocate more than the frame holds. What it does not bound is nesting (a recursive
//! type nested a million times overflows the stack) and element counts of zero-sized elements
//! (a five-byte frame can claim four billion `()`s). [`decode_with`] adds both bounds and refuses
//! trailing bytes.

use serde::{Serialize, de::DeserializeOwned};

use crate::message::{FormatterOut, Message, MessageOut};

use crate::limited::{Budget, Limited};

/// Bounds applied while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input.
    pub max_bytes: usize,
    /// Deepest accepted nesting of sequences, maps, options, structs and enums.
    pub max_depth: usize,
    /// Most elements accepted in one sequence or map.
    pub max_len: usize,
}

impl Limits {
    /// 1 MiB frames, nesting depth 128, 1,048,576 elements per collection.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 1 << 20,
        max_depth: 128,
        max_len: 1 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why bytes did not decode.
///
/// Its message is written by [`Message`] (`Display` included), so a browser bundle can show
/// it without `core::fmt` (ADR 0065).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is larger than [`Limits::max_bytes`].
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nesting went deeper than [`Limits::max_depth`].
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A collection claimed more than [`Limits::max_len`] elements.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The input ended in the middle of a value.
    Truncated,
    /// Bytes were left over after the value.
    TrailingBytes(usize),
    /// The bytes do not describe a value of the expected type.
    Malformed(String),
}

impl Message for DecodeError {
    fn write_message(&self, out: &mut dyn MessageOut) {
        match self {
            DecodeError::TooLarge { len, max } => {
                out.text("frame of ");
                out.number(*len);
                out.text(" bytes exceeds the limit of ");
                out.number(*max);
                out.text(" bytes");
            }
            DecodeError::TooDeep { max } => {
                out.text("value nested deeper than ");
                out.number(*max);
                out.text(" levels");
            }
            DecodeError::TooLong { max } => {
                out.text("collection longer than ");
                out.number(*max);
                out.text(" elements");
            }
            DecodeError::Truncated => out.text("input ended unexpectedly"),
            DecodeError::TrailingBytes(n) => {
                out.number(*n);
                out.text(" unexpected bytes after the value");
            }
            DecodeError::Malformed(what) => {
                out.text("malformed input: ");
                out.text(what);
            }
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FormatterOut::write(f, self)
    }
}

impl std::error::Error for DecodeError {}

/// Encodes a value with postcard.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing into a Vec only fails for types serde cannot represent (maps with unknown
    // length are fine in postcard); such a type is a programming error, not bad input. The
    // message is static: `expect` would link postcard's error `Debug` into every browser bundle.
    match postcard::to_allocvec(value) {
        Ok(bytes) => bytes,
        Err(_) => panic!("a wire type does not serialize with postcard (a serde feature it lacks)"),
    }
}

/// Decodes a value with [`Limits::DEFAULT`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_with(bytes, Limits::DEFAULT)
}

/// Decodes a value within `limits`; the whole input must be one value.
pub fn decode_with<T: DeserializeOwned>(bytes: &[u8], limits: Limits) -> Result<T, DecodeError> {
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let budget = Budget::new(limits);
    let mut de = postcard::Deserializer::from_bytes(bytes);
    let value = T::deserialize(Limited::new(&mut de, &budget))
        .map_err(|e| budget.exceeded().unwrap_or_else(|| from_postcard(e)))?;
    let rest = de.finalize().map_err(from_postcard)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes(rest.len()))
    }
}

/// Decodes a value a browser page got from its own origin (what its server sent, or what it
/// stored itself in `sessionStorage`): the whole input must be one value, with none of the
/// [`Limits`] of [`decode_with`] (no size cap, no depth or count budget).
///
/// The limits protect a server from its clients: a frame nesting a million levels overflows
/// the stack, a five-byte frame claiming four billion `()`s spins. A page trusts the origin it
/// was loaded from, which can send it any script anyway, and the budget's wrappers are
/// instantiated for every decoded type: in the Scoreboard's `public` bundle they were a few
/// KiB of wasm (bench/README.md, "Bundle sizes"). Servers decode with [`decode_with`].
///
/// Its errors do not carry postcard's description (which byte was wrong): that text, for every
/// kind of error, would be in every browser bundle (~0.3 KiB gzip), for a message that only
/// ever says the two ends were built from different code.
pub fn decode_from_server<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = postcard::Deserializer::from_bytes(bytes);
    let value = T::deserialize(&mut de).map_err(from_postcard_briefly)?;
    let rest = de.finalize().map_err(from_postcard_briefly)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::TrailingBytes(rest.len()))
    }
}

fn from_postcard_briefly(e: postcard::Error) -> DecodeError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated,
        _ => DecodeError::Malformed("not a value of the expected type".to_owned()),
    }
}

fn from_postcard(e: postcard::Error) -> DecodeError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated,
        other => DecodeError::Malformed(other.to_string()),
    }
}
