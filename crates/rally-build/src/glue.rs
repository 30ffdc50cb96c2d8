//! Rewrites of wasm-bindgen's JS glue.
//!
//! Every string the wasm hands to the DOM — a row's label, an id, an attribute value — goes
//! through the glue's `getStringFromWasm0`, which makes a `subarray` view of the wasm memory
//! and calls `TextDecoder.decode` on it. For the short strings a view is made of, that call
//! costs more than the decoding: in the js-framework-benchmark it was ~1.3 ms of the ~12 ms
//! Rally spent creating 1,000 rows (two strings per row), and reading the bytes in JS
//! instead took creating rows from 10.9 to 9.3 ms per 1,000 (`bench/jsfb/clicks.mjs`).
//!
//! So strings of up to [`SHORT`] bytes are read byte by byte while they are ASCII, and
//! anything else (a longer string, a non-ASCII byte) still goes to the `TextDecoder`. The
//! reader is rewritten in the glue's text: wasm-bindgen has no hook for it, and the version
//! it comes from is pinned (`WASM_BINDGEN_VERSION`), so its text is known. A glue whose reader
//! reads differently is an error rather than a silently slower bundle.

use std::borrow::Cow;

/// Strings up to this many bytes are read in JS when they are ASCII.
pub const SHORT: usize = 64;

/// The string reader as wasm-bindgen 0.2.130 writes it.
const READER: &str = "function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}";

/// The same reader with the ASCII fast path; `SHORT` is spliced in below.
const FAST_READER: &str = "const shortStringCodes = [];
function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    if (len <= SHORT) {
        const mem = getUint8ArrayMemory0();
        const codes = shortStringCodes;
        codes.length = len;
        for (let i = 0; i < len; i++) {
            const c = mem[ptr + i];
            if (c > 0x7f) return decodeText(mem.subarray(ptr, ptr + len));
            codes[i] = c;
        }
        return String.fromCharCode.apply(null, codes);
    }
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}";

/// Why the glue could not be rewritten.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GlueError {
    /// The glue reads strings, but not with the reader this rewrite knows.
    #[error(
        "its string reader (getStringFromWasm0) is not the one wasm-bindgen {version} writes; \
         this Rally's glue rewrite no longer matches its embedded wasm-bindgen: please report it"
    )]
    UnknownReader {
        /// The wasm-bindgen version the rewrite was written for.
        version: &'static str,
    },
}

/// The glue with short ASCII strings read in JS. Glue that reads no strings is returned as
/// it is.
pub fn read_short_strings_in_js(js: &str) -> Result<Cow<'_, str>, GlueError> {
    if !js.contains("function getStringFromWasm0(") {
        return Ok(Cow::Borrowed(js));
    }
    if js.matches(READER).count() != 1 {
        return Err(GlueError::UnknownReader {
            version: crate::WASM_BINDGEN_VERSION,
        });
    }
    let fast = FAST_READER.replace("SHORT", &SHORT.to_string());
    Ok(Cow::Owned(js.replacen(READER, &fast, 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glue(reader: &str) -> String {
        format!("let wasm;\n{reader}\n\nfunction decodeText(bytes) {{ return bytes; }}\n")
    }

    #[test]
    fn the_reader_gets_an_ascii_fast_path_and_keeps_the_decoder_for_the_rest() {
        let js = glue(READER);
        let out = read_short_strings_in_js(&js).expect("the known reader");
        assert!(!out.contains(READER));
        assert!(out.contains("if (len <= 64) {"), "{out}");
        assert!(out.contains("if (c > 0x7f) return decodeText("), "{out}");
        // Everything around the reader is as it was.
        assert!(out.starts_with("let wasm;\nconst shortStringCodes = [];"));
        assert!(out.ends_with("function decodeText(bytes) { return bytes; }\n"));
    }

    #[test]
    fn glue_that_reads_no_strings_is_left_alone() {
        let js = "let wasm;\nexport default function init() {}\n";
        assert!(matches!(read_short_strings_in_js(js), Ok(Cow::Borrowed(same)) if same == js));
    }

    #[test]
    fn a_reader_of_another_shape_is_an_error_not_a_slower_bundle() {
        let changed = READER.replace("ptr = ptr >>> 0;", "ptr >>>= 0;");
        let err = read_short_strings_in_js(&glue(&changed)).unwrap_err();
        assert_eq!(
            err,
            GlueError::UnknownReader {
                version: crate::WASM_BINDGEN_VERSION
            }
        );
        assert!(err.to_string().contains("getStringFromWasm0"));
    }
}
