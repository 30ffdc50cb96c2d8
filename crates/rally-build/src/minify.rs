//! The release glue, minified: comments, whitespace and local names go (ADR 0044).
//!
//! wasm-bindgen writes readable JS: long helper names (`getUint8ArrayMemory0`), comments and
//! indentation, 4.4 KiB of the counter's 45 KiB gzip. oxc parses it as an ES module, renames
//! every binding that is not exported to a short name, and prints it without whitespace.
//! Mangling and whitespace are all it does: oxc's compressor, which rewrites expressions, is
//! not used (not even linked), so what runs is the code wasm-bindgen wrote, renamed.

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions, CommentOptions};
use oxc_mangler::{MangleOptions, Mangler};
use oxc_parser::Parser;
use oxc_span::SourceType;

use crate::glue::GlueError;

/// `js`, an ES module, with its local names shortened and without comments or whitespace.
pub fn minify_module(js: &str) -> Result<String, GlueError> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, js, SourceType::mjs()).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        let first = parsed
            .diagnostics
            .first()
            .map_or_else(|| "the parser gave up".to_string(), |d| d.to_string());
        return Err(GlueError::Unparsable(first));
    }
    let program = parsed.program;
    let mangled = Mangler::new()
        .with_options(MangleOptions {
            // A module's top-level names are its own: only the exports are seen outside.
            top_level: Some(true),
            ..MangleOptions::default()
        })
        .build(&program);
    let code = Codegen::new()
        .with_options(CodegenOptions {
            minify: true,
            comments: CommentOptions::disabled(),
            ..CodegenOptions::default()
        })
        .with_scoping(Some(mangled.scoping))
        .build(&program)
        .code;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of wasm-bindgen's glue: helpers and state at the top level, an import object
    /// of functions, named and default exports, a comment.
    const GLUE: &str = r#"
let wasm;
/** Where the wasm's memory is seen from JS. */
let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        a: function(arg0) { return arg0.firstChild; },
        __wbg_set_textContent: function(arg0, value) { arg0.textContent = value; },
    };
    return { __proto__: null, "./app_bg.js": import0 };
}
export function start() {
    wasm.start();
}
function initSync(module) {
    const instance = new WebAssembly.Instance(module, __wbg_get_imports());
    wasm = instance.exports;
    return getUint8ArrayMemory0().length;
}
async function __wbg_init(module_or_path) {
    if (module_or_path === undefined) {
        module_or_path = new URL('app_bg.wasm', import.meta.url);
    }
    return initSync(await WebAssembly.compileStreaming(fetch(module_or_path)));
}
export { initSync };
export default __wbg_init;
"#;

    #[test]
    fn local_names_comments_and_whitespace_go() {
        let out = minify_module(GLUE).expect("the glue parses");
        assert!(
            out.len() * 2 < GLUE.len(),
            "{} of {} bytes left",
            out.len(),
            GLUE.len()
        );
        for local in [
            "getUint8ArrayMemory0",
            "cachedUint8ArrayMemory0",
            "__wbg_get_imports",
        ] {
            assert!(!out.contains(local), "{local} was not renamed:\n{out}");
        }
        assert!(!out.contains("Where the wasm"), "a comment is left:\n{out}");
        assert!(!out.contains("\n    "), "indentation is left:\n{out}");
    }

    #[test]
    fn what_the_outside_sees_keeps_its_name() {
        let out = minify_module(GLUE).expect("the glue parses");
        // Exports, the import object's keys (the wasm imports by them), properties of the
        // wasm's exports and of DOM objects, and globals.
        for kept in [
            "export function start",
            "initSync",
            "export default",
            "a:",
            "__wbg_set_textContent:",
            ".start()",
            ".memory.buffer",
            ".firstChild",
            ".textContent",
            "WebAssembly.Instance",
            "import.meta.url",
            "\"./app_bg.js\"",
        ] {
            assert!(out.contains(kept), "{kept} is gone:\n{out}");
        }
    }

    #[test]
    fn the_result_parses_and_minifies_to_itself() {
        let once = minify_module(GLUE).expect("the glue parses");
        let twice = minify_module(&once).expect("minified glue parses");
        assert_eq!(once.len(), twice.len(), "{once}\n{twice}");
    }

    #[test]
    fn glue_that_does_not_parse_is_an_error_naming_the_problem() {
        let err = minify_module("export function start( {").expect_err("not a module");
        let GlueError::Unparsable(message) = &err else {
            panic!("another error: {err:?}");
        };
        assert!(!message.is_empty());
        assert!(err.to_string().contains("RALLY_WASM_NAMES=1"), "{err}");
    }
}
