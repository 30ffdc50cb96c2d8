//! Rewrites of wasm-bindgen's output (ADR 0043): short ASCII strings read in JS
//! ([`read_short_strings_in_js`]), imports with short names ([`shorten_import_names`]),
//! function snippets pasted into the glue ([`inline_snippets`]) and a loader of what Rally's
//! pages call only ([`lean_loader`]).
//!
//! wasm-bindgen has no hooks for these. The version the glue comes from is pinned
//! (`WASM_BINDGEN_VERSION`), so its text is known; glue of another shape is an error rather
//! than a silently slower or broken bundle.

use std::borrow::Cow;

use wasm_encoder::reencode::Reencode;

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
    /// The wasm module did not parse.
    #[error("the wasm module does not parse: {0}")]
    Wasm(String),
    /// The wasm imports a function the glue's import object does not list once.
    #[error(
        "the wasm imports `{0}`, which the glue does not list as a key of its import object; \
         this Rally's glue rewrite no longer matches its embedded wasm-bindgen: please report it"
    )]
    UnknownImport(String),
    /// The wasm imports from a module with the name a snippet's module would get.
    #[error(
        "the wasm imports from a module named `{0}`, the short name this rewrite gives an \
         inline_js snippet's module; build with `--profile dev` to skip the rewrite, and please \
         report it"
    )]
    ModuleNameTaken(String),
    /// The glue reads strings, but not with the reader this rewrite knows.
    #[error(
        "its string reader (getStringFromWasm0) is not the one wasm-bindgen {version} writes; \
         this Rally's glue rewrite no longer matches its embedded wasm-bindgen: please report it"
    )]
    UnknownReader {
        /// The wasm-bindgen version the rewrite was written for.
        version: &'static str,
    },
    /// The glue's loader (`__wbg_init`, `initSync`) is not the one this rewrite knows.
    #[error(
        "its loader (__wbg_init) is not the one wasm-bindgen {version} writes; this Rally's glue \
         rewrite no longer matches its embedded wasm-bindgen: please report it"
    )]
    UnknownLoader {
        /// The wasm-bindgen version the rewrite was written for.
        version: &'static str,
    },
    /// The glue, as rewritten, is not an ES module the minifier can parse.
    #[error(
        "it does not parse as a JavaScript module before minifying ({0}); \
         RALLY_WASM_NAMES=1 builds without minifying; please report it"
    )]
    Unparsable(String),
}

/// The glue with short ASCII strings read in JS. Glue that reads no strings is returned as
/// it is.
///
/// Every string the wasm hands to the DOM goes through the glue's `getStringFromWasm0`, which
/// makes a `subarray` view of the wasm memory and calls `TextDecoder.decode` on it. For the
/// short strings a view is made of, that call costs more than the decoding: ~1.3 ms of the
/// ~12 ms Rally spent creating 1,000 rows in the js-framework-benchmark. Strings of up to
/// [`SHORT`] bytes are read byte by byte while they are ASCII; anything else still goes to the
/// `TextDecoder`.
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

/// wasm-bindgen 0.2.130's loader for `--target web`, from its instantiation helper to its
/// exports; `WASM_FILE` stands for the wasm's file name.
const LOADER: &str = r#"async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('WASM_FILE', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };"#;

/// The loader Rally's pages need: `init()` or `init(url)`, once, streaming.
const LEAN_LOADER: &str = r#"let __wbg_init_promise;
function __wbg_init(module_or_path) {
    if (module_or_path === undefined) {
        module_or_path = new URL('WASM_FILE', import.meta.url);
    }
    return __wbg_init_promise ??= WebAssembly.instantiateStreaming(fetch(module_or_path), __wbg_get_imports())
        .then(({ instance, module }) => __wbg_finalize_init(instance, module));
}

export { __wbg_init as default };"#;

/// The glue with wasm-bindgen's loader replaced by the one Rally's pages call: `init()` (or
/// `init(url)`), which streams the wasm from the URL next to the glue.
///
/// wasm-bindgen's loader also accepts a `Response`, bytes or a compiled module, falls back to
/// `WebAssembly.instantiate` when a server sends the wasm with another MIME type (warning
/// that it is slower), warns about deprecated argument shapes, and exports `initSync`. A
/// Rally page only ever calls `init()` on a bundle its own server sends as
/// `application/wasm`, so that is ~0.5 KiB (gzip) of every bundle it never runs. Glue without
/// a loader is returned as it is.
pub fn lean_loader<'a>(js: &'a str, wasm_file: &str) -> Result<Cow<'a, str>, GlueError> {
    let Some(start) = js.find("async function __wbg_load(") else {
        return Ok(Cow::Borrowed(js));
    };
    let known = LOADER.replace("WASM_FILE", wasm_file);
    if !js[start..].starts_with(&known) {
        return Err(GlueError::UnknownLoader {
            version: crate::WASM_BINDGEN_VERSION,
        });
    }
    let lean = LEAN_LOADER.replace("WASM_FILE", wasm_file);
    Ok(Cow::Owned(
        [&js[..start], &lean, &js[start + known.len()..]].concat(),
    ))
}

/// The module name the wasm imports the glue's functions from, once renamed.
const SHORT_MODULE: &str = "a";

/// How the modules of `inline_js` snippets start (`./snippets/<crate>-<hash>/inline<N>.js`);
/// [`shorten_import_names`] renames them `b`, `c`, … (the import object's keys too).
const SNIPPETS: &str = "./snippets/";

/// The wasm module and its glue with the glue's imports renamed to short names (`a`, `b`, …,
/// `ba`, …) and imported from module `a`; the snippets' modules are named `b`, `c`, ….
///
/// wasm-bindgen names each import after the JS function it wraps plus a 16-digit hash
/// (`__wbg_addEventListener_70e3766f6252144d`), imported from `./<name>_bg.js`, and writes
/// each name twice: in the wasm's import section and as a key of the glue's import object.
/// The hashes do not compress; the counter's ~95 imports carried ~2 KiB of them (gzip, both
/// files). `module` is the import module wasm-bindgen used (`./<name>_bg.js`).
pub fn shorten_import_names(
    wasm: &[u8],
    js: &str,
    module: &str,
) -> Result<(Vec<u8>, String), GlueError> {
    let mut names = Vec::new();
    let mut snippets: Vec<(String, String)> = Vec::new();
    // Modules that keep their names: a snippet's short name must not be one of them.
    let others = other_import_modules(wasm, module)?;
    let mut out = wasm_encoder::Module::new();
    let mut js = js.to_owned();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| GlueError::Wasm(e.to_string()))?;
        if let wasmparser::Payload::ImportSection(reader) = payload {
            let mut section = wasm_encoder::ImportSection::new();
            for import in reader.into_imports() {
                let import = import.map_err(|e| GlueError::Wasm(e.to_string()))?;
                let ty = wasm_encoder::reencode::RoundtripReencoder
                    .entity_type(import.ty)
                    .map_err(|e| GlueError::Wasm(e.to_string()))?;
                if import.module == module {
                    let short = short_name(names.len());
                    names.push((import.name.to_owned(), short));
                    let short = &names[names.len() - 1].1;
                    section.import(SHORT_MODULE, short, ty);
                } else if import.module.starts_with(SNIPPETS) {
                    // A snippet's functions keep their names; its module's path goes.
                    let short = match snippets.iter().find(|(long, _)| long == import.module) {
                        Some((_, short)) => short.clone(),
                        None => {
                            let short = short_name(snippets.len() + 1);
                            if others.contains(&short.as_str()) {
                                return Err(GlueError::ModuleNameTaken(short));
                            }
                            snippets.push((import.module.to_owned(), short.clone()));
                            short
                        }
                    };
                    section.import(&short, import.name, ty);
                } else {
                    section.import(import.module, import.name, ty);
                }
            }
            out.section(&section);
        } else if let Some((id, range)) = payload.as_section() {
            out.section(&wasm_encoder::RawSection {
                id,
                data: &wasm[range],
            });
        }
    }
    for (long, short) in &names {
        let key = format!("\n        {long}: ");
        if js.matches(&key).count() != 1 {
            return Err(GlueError::UnknownImport(long.clone()));
        }
        js = js.replacen(&key, &format!("\n        {short}: "), 1);
    }
    for (long, short) in &snippets {
        let key = format!("\n        \"{long}\": ");
        if js.matches(&key).count() != 1 {
            return Err(GlueError::UnknownImport(long.clone()));
        }
        js = js.replacen(&key, &format!("\n        {short}: "), 1);
    }
    let object = format!("\n        \"{module}\": import0,");
    if !names.is_empty() {
        if js.matches(&object).count() != 1 {
            return Err(GlueError::UnknownImport(module.to_owned()));
        }
        js = js.replacen(&object, &format!("\n        {SHORT_MODULE}: import0,"), 1);
    }
    Ok((out.finish(), js))
}

/// Custom sections that only tools read, which [`strip_tool_sections`] removes.
///
/// `target_features` tells a linker or wasm-bindgen which proposals rustc used (wasm-bindgen
/// reads it to decide on externref, so it goes only after bindgen); `producers` names the
/// compilers. Browsers ignore both: ~0.1 KiB of every bundle (gzip) sent for nothing.
const TOOL_SECTIONS: [&str; 2] = ["target_features", "producers"];

/// The wasm module without the custom sections only tools read ([`TOOL_SECTIONS`]).
pub fn strip_tool_sections(wasm: &[u8]) -> Result<Vec<u8>, GlueError> {
    let mut out = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| GlueError::Wasm(e.to_string()))?;
        if let wasmparser::Payload::CustomSection(section) = &payload
            && TOOL_SECTIONS.contains(&section.name())
        {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            out.section(&wasm_encoder::RawSection {
                id,
                data: &wasm[range],
            });
        }
    }
    Ok(out.finish())
}

/// The import modules of `wasm` that [`shorten_import_names`] leaves as they are.
fn other_import_modules<'w>(wasm: &'w [u8], glue: &str) -> Result<Vec<&'w str>, GlueError> {
    let mut modules = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ImportSection(reader) =
            payload.map_err(|e| GlueError::Wasm(e.to_string()))?
        {
            for import in reader.into_imports() {
                let import = import.map_err(|e| GlueError::Wasm(e.to_string()))?;
                if import.module != glue && !import.module.starts_with(SNIPPETS) {
                    modules.push(import.module);
                }
            }
        }
    }
    Ok(modules)
}

/// The glue without the import-object entries of `names`: functions the wasm no longer
/// imports (`table_gc` removed their only callers).
///
/// wasm-bindgen writes each entry as `        name: function(…) {`, its body indented further,
/// and `        },`. An entry of another shape is an error, not a guess.
pub fn drop_imports(js: &str, names: &[String]) -> Result<String, GlueError> {
    const CLOSE: &str = "\n        },";
    let mut js = js.to_owned();
    for name in names {
        let key = format!("\n        {name}: function(");
        let unknown = || GlueError::UnknownImport(name.clone());
        if js.matches(&key).count() != 1 {
            return Err(unknown());
        }
        let start = js.find(&key).ok_or_else(unknown)?;
        let end = js[start + 1..]
            .find(CLOSE)
            .map(|i| start + 1 + i + CLOSE.len())
            .ok_or_else(unknown)?;
        // Only the entry's own body in between: no line back at the entries' indentation.
        let body = &js[start + key.len()..end - CLOSE.len()];
        if body
            .split('\n')
            .skip(1)
            .any(|l| !l.starts_with("            "))
        {
            return Err(unknown());
        }
        js.replace_range(start..end, "");
    }
    Ok(js)
}

/// `a`…`z`, then `ba`…`zz`, `baa`…: base 26 without leading `a`s, so every name is distinct.
fn short_name(mut n: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// The glue with the JS snippets it imports pasted in, and the snippets pasted (paths
/// relative to the bundle's directory, as the glue names them).
///
/// Rally's own JS (`#[wasm_bindgen(inline_js = …)]` in rally-view) is written by wasm-bindgen
/// to `snippets/<crate>-<hash>/inline<n>.js` and imported by the glue. Pasted in, it ships
/// with the glue: one file to serve, cache and hash, and one request fewer. A snippet is pasted
/// only when it declares nothing but exported functions (`export function name(`); any other
/// snippet stays a file beside the glue, and `cargo rally build` publishes it with the bundle.
/// `read` gives a snippet's text.
///
/// The glue imports a snippet in one of two ways: by name (`import { a, b } from '…';`) when
/// it wraps the functions, or as a namespace (`import * as import1 from "…"`) that it hands
/// to the wasm, which then calls the functions directly (their arguments and results need no
/// conversion). The namespace becomes an object of the pasted functions.
pub fn inline_snippets(js: &str, read: impl Fn(&str) -> Option<String>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(js.len());
    let mut inlined: Vec<String> = Vec::new();
    for line in js.split_inclusive('\n') {
        let pasted = match snippet_import(line) {
            Some((SnippetImport::Names(names), path)) => read(path)
                .filter(|text| pasteable(text, &names))
                .map(|text| (text, None, path)),
            Some((SnippetImport::Namespace(binding), path)) => read(path)
                .filter(|text| {
                    let names = exported_functions(text);
                    names.iter().all(|n| is_identifier(n)) && pasteable(text, &names)
                })
                .map(|text| (text, Some(binding), path)),
            None => None,
        };
        match pasted {
            Some((text, namespace, path)) => {
                // wasm-bindgen imports a snippet twice when the wasm calls some of its
                // functions directly and others through a JS wrapper: by name and as a
                // namespace. Its functions are pasted once; a module cannot declare a
                // function twice.
                let pasted_before = inlined.iter().any(|p| p == path);
                if !pasted_before {
                    out.push_str(&text.replace("export function ", "function "));
                    if !text.ends_with('\n') {
                        out.push('\n');
                    }
                    inlined.push(path.to_owned());
                }
                if let Some(binding) = namespace {
                    out.push_str(&format!("const {binding} = {{ __proto__: null"));
                    for name in exported_functions(&text) {
                        out.push_str(&format!(", {name}: {name}"));
                    }
                    out.push_str(" };\n");
                }
            }
            None => out.push_str(line),
        }
    }
    (out, inlined)
}

/// The snippet files (`snippets/…`, relative to the glue) the glue still imports.
pub fn imported_snippets(js: &str) -> Vec<&str> {
    js.lines()
        .filter_map(snippet_import)
        .map(|(_, path)| path)
        .collect()
}

/// How the glue imports a snippet's functions.
enum SnippetImport<'a> {
    /// `import { a, b } from …`: these names.
    Names(Vec<&'a str>),
    /// `import * as binding from …`: the whole module, bound to this name.
    Namespace(&'a str),
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// `import { a, b } from './snippets/…';` or `import * as x from "./snippets/…"` as what it
/// imports and the snippet's path.
fn snippet_import(line: &str) -> Option<(SnippetImport<'_>, &str)> {
    let line = line.trim_end();
    let line = line.strip_suffix(';').unwrap_or(line);
    let (what, quoted) = line.strip_prefix("import ")?.split_once(" from ")?;
    let path = quoted
        .strip_prefix('\'')
        .and_then(|p| p.strip_suffix('\''))
        .or_else(|| quoted.strip_prefix('"').and_then(|p| p.strip_suffix('"')))?
        .strip_prefix("./")?;
    if !path.starts_with("snippets/") || path.contains("..") {
        return None;
    }
    let import = if let Some(binding) = what.strip_prefix("* as ") {
        SnippetImport::Namespace(is_identifier(binding).then_some(binding)?)
    } else {
        let names: Vec<&str> = what
            .strip_prefix("{ ")?
            .strip_suffix(" }")?
            .split(", ")
            .collect();
        SnippetImport::Names(names.iter().all(|n| is_identifier(n)).then_some(names)?)
    };
    Some((import, path))
}

/// What follows `export function ` up to `(` on each of a snippet's lines: the names of the
/// functions it exports (a generator's `* name` is not a name).
fn exported_functions(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("export function ")?
                .split_once('(')
                .map(|(n, _)| n)
        })
        .collect()
}

/// Whether a snippet only declares exported functions, among them every one of `names`: at
/// its top level (lines that do not start with a space) only `export function`s, their closing
/// braces and comments, so that pasting it declares nothing else in the glue's scope.
fn pasteable(text: &str, names: &[&str]) -> bool {
    let declarations_only = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '\t']))
        .all(|l| l.starts_with("export function ") || l.starts_with('}') || l.starts_with("//"));
    declarations_only
        && names
            .iter()
            .all(|n| text.contains(&format!("export function {n}(")))
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

    /// A module importing `names` from `./app_bg.js` and `other` from `env`, whose one
    /// function calls them all.
    fn module(names: &[&str]) -> Vec<u8> {
        module_with(names, &[("env", "other")])
    }

    /// As [`module`], with `others` (module, name) imported after `names`.
    fn module_with(names: &[&str], others: &[(&str, &str)]) -> Vec<u8> {
        use wasm_encoder::{
            CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection,
            ImportSection, Instruction, Module, TypeSection,
        };
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut imports = ImportSection::new();
        for name in names {
            imports.import("./app_bg.js", name, EntityType::Function(0));
        }
        for (module, name) in others {
            imports.import(module, name, EntityType::Function(0));
        }
        let count = (names.len() + others.len()) as u32;
        let mut functions = FunctionSection::new();
        functions.function(0);
        let mut exports = ExportSection::new();
        exports.export("start", ExportKind::Func, count);
        let mut body = Function::new([]);
        for i in 0..count {
            body.instruction(&Instruction::Call(i));
        }
        body.instruction(&Instruction::End);
        let mut code = CodeSection::new();
        code.function(&body);
        let mut module = Module::new();
        module
            .section(&types)
            .section(&imports)
            .section(&functions)
            .section(&exports)
            .section(&code);
        module.finish()
    }

    fn import_object(names: &[&str]) -> String {
        let mut js = String::from(
            "function __wbg_get_imports() {\n    const import0 = {\n        __proto__: null,",
        );
        for name in names {
            js.push_str(&format!(
                "\n        {name}: function() {{ calls.push('{name}'); }},"
            ));
        }
        js.push_str("\n    };\n    return {\n        __proto__: null,\n        \"./app_bg.js\": import0,\n    };\n}\n");
        js
    }

    fn imports_of(wasm: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let Ok(wasmparser::Payload::ImportSection(reader)) = payload {
                for import in reader.into_imports() {
                    let import = import.expect("an import");
                    out.push((import.module.to_owned(), import.name.to_owned()));
                }
            }
        }
        out
    }

    const NAMES: [&str; 3] = [
        "__wbg_addEventListener_70e3766f6252144d",
        "__wbg_set_textContent_0177b2a6d9293c2c",
        "__wbindgen_init_externref_table",
    ];

    #[test]
    fn imports_from_the_glue_get_short_names_in_the_module_and_the_glue_alike() {
        let wasm = module(&NAMES);
        let (short_wasm, js) =
            shorten_import_names(&wasm, &import_object(&NAMES), "./app_bg.js").expect("renamed");
        wasmparser::validate(&short_wasm).expect("still a valid module");
        assert_eq!(
            imports_of(&short_wasm),
            [("a", "a"), ("a", "b"), ("a", "c"), ("env", "other")]
                .map(|(m, n)| (m.to_owned(), n.to_owned()))
        );
        // The glue's keys follow, each to the function it named, and the object's module.
        assert!(js.contains(
            "\n        a: function() { calls.push('__wbg_addEventListener_70e3766f6252144d'); },"
        ));
        assert!(js.contains(
            "\n        c: function() { calls.push('__wbindgen_init_externref_table'); },"
        ));
        assert!(js.contains("\n        a: import0,"));
        assert!(!js.contains("\"./app_bg.js\""));
        assert!(short_wasm.len() < wasm.len());
    }

    #[test]
    fn snippet_modules_get_short_names_in_the_module_and_the_glue_alike() {
        const ONE: &str = "./snippets/rally-a9ac8f80cdf90f48/inline1.js";
        const TWO: &str = "./snippets/rally-a9ac8f80cdf90f48/inline2.js";
        let wasm = module_with(
            &NAMES[..1],
            &[
                (ONE, "rallyFocus"),
                (TWO, "rallyReload"),
                (ONE, "rallyTheme"),
            ],
        );
        let js = format!(
            "{}\n        \"{ONE}\": import1,\n        \"{TWO}\": import2,",
            import_object(&NAMES[..1])
        );
        let (short_wasm, js) = shorten_import_names(&wasm, &js, "./app_bg.js").expect("renamed");
        wasmparser::validate(&short_wasm).expect("still a valid module");
        assert_eq!(
            imports_of(&short_wasm),
            [
                ("a", "a"),
                ("b", "rallyFocus"),
                ("c", "rallyReload"),
                ("b", "rallyTheme")
            ]
            .map(|(m, n)| (m.to_owned(), n.to_owned()))
        );
        assert!(js.contains("\n        b: import1,\n        c: import2,"));
        assert!(!js.contains("./snippets/"));
    }

    #[test]
    fn a_snippet_module_is_not_renamed_onto_a_module_the_wasm_imports_from() {
        const ONE: &str = "./snippets/rally-a9ac8f80cdf90f48/inline1.js";
        let wasm = module_with(&NAMES[..1], &[("b", "other"), (ONE, "rallyFocus")]);
        let js = format!(
            "{}\n        \"{ONE}\": import1,",
            import_object(&NAMES[..1])
        );
        let err = shorten_import_names(&wasm, &js, "./app_bg.js").unwrap_err();
        assert_eq!(err, GlueError::ModuleNameTaken("b".to_owned()));
    }

    #[test]
    fn a_snippet_module_the_glue_does_not_list_is_an_error_naming_it() {
        const ONE: &str = "./snippets/rally-a9ac8f80cdf90f48/inline1.js";
        let wasm = module_with(&NAMES[..1], &[(ONE, "rallyFocus")]);
        let err =
            shorten_import_names(&wasm, &import_object(&NAMES[..1]), "./app_bg.js").unwrap_err();
        assert_eq!(err, GlueError::UnknownImport(ONE.to_owned()));
    }

    #[test]
    fn an_import_the_glue_does_not_list_is_an_error_naming_it() {
        let wasm = module(&NAMES);
        let err =
            shorten_import_names(&wasm, &import_object(&NAMES[..2]), "./app_bg.js").unwrap_err();
        assert_eq!(err, GlueError::UnknownImport(NAMES[2].to_owned()));
        assert!(err.to_string().contains("please report it"));
    }

    #[test]
    fn tool_sections_go_and_the_name_section_stays() {
        let mut module = wasm_encoder::Module::new();
        for name in ["target_features", "producers", "name"] {
            module.section(&wasm_encoder::CustomSection {
                name: name.into(),
                data: b"\x00".as_slice().into(),
            });
        }
        let stripped = strip_tool_sections(&module.finish()).expect("stripped");
        wasmparser::validate(&stripped).expect("still a valid module");
        let customs: Vec<String> = wasmparser::Parser::new(0)
            .parse_all(&stripped)
            .filter_map(|p| match p.expect("a payload") {
                wasmparser::Payload::CustomSection(c) => Some(c.name().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(customs, ["name"]);
        assert!(strip_tool_sections(b"not wasm").is_err());
    }

    /// An import object as wasm-bindgen writes it: one multi-line function per entry.
    fn multi_line_import_object(names: &[&str]) -> String {
        let mut js = String::from("    const import0 = {\n        __proto__: null,");
        for name in names {
            js.push_str(&format!(
                "\n        {name}: function(arg0) {{\n            const ret = arg0.{name};\n            return ret;\n        }},"
            ));
        }
        js.push_str("\n    };\n");
        js
    }

    #[test]
    fn imports_the_wasm_no_longer_has_leave_the_glue() {
        let js = multi_line_import_object(&NAMES);
        let out = drop_imports(&js, &[NAMES[1].to_owned()]).expect("dropped");
        assert_eq!(out, multi_line_import_object(&[NAMES[0], NAMES[2]]));
        // The last entry too, and none at all.
        let out = drop_imports(&js, &[NAMES[2].to_owned()]).expect("dropped");
        assert_eq!(out, multi_line_import_object(&NAMES[..2]));
        assert_eq!(drop_imports(&js, &[]).expect("nothing to drop"), js);
    }

    #[test]
    fn an_import_to_drop_of_another_shape_is_an_error_not_a_guess() {
        let name = NAMES[0].to_owned();
        // Not in the glue.
        let js = multi_line_import_object(&NAMES[1..]);
        assert_eq!(
            drop_imports(&js, std::slice::from_ref(&name)),
            Err(GlueError::UnknownImport(name.clone()))
        );
        // On one line: its end cannot be told apart from the next entry's.
        let js = import_object(&NAMES).replace("__proto__: null,", "__proto__: null,\n");
        assert_eq!(
            drop_imports(&js, std::slice::from_ref(&name)),
            Err(GlueError::UnknownImport(name))
        );
    }

    /// wasm-bindgen's glue around its loader: the finaliser before it, nothing after.
    fn with_loader(loader: &str) -> String {
        format!(
            "let wasm;\nfunction __wbg_get_imports() {{ return {{}}; }}\n\
             function __wbg_finalize_init(instance, module) {{ wasm = instance.exports; return wasm; }}\n\n\
             {loader}\n"
        )
    }

    #[test]
    fn the_loader_streams_from_the_file_beside_the_glue_and_nothing_else_is_kept() {
        let js = with_loader(&LOADER.replace("WASM_FILE", "app_bg.wasm"));
        let out = lean_loader(&js, "app_bg.wasm").expect("the known loader");
        assert!(out.starts_with("let wasm;\nfunction __wbg_get_imports()"));
        assert!(out.contains("new URL('app_bg.wasm', import.meta.url)"));
        assert!(out.contains("WebAssembly.instantiateStreaming(fetch(module_or_path)"));
        assert!(out.contains("__wbg_finalize_init(instance, module)"));
        assert!(
            out.trim_end()
                .ends_with("export { __wbg_init as default };")
        );
        for gone in [
            "initSync",
            "__wbg_load",
            "console.warn",
            "WebAssembly.instantiate(",
        ] {
            assert!(!out.contains(gone), "{gone} is left:\n{out}");
        }
        // Still a module the minifier reads.
        crate::minify::minify_module(&out).expect("the rewritten glue parses");
    }

    #[test]
    fn glue_without_a_loader_is_left_as_it_is() {
        let js = glue(READER);
        assert!(matches!(
            lean_loader(&js, "app_bg.wasm"),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn a_loader_of_another_shape_or_for_another_file_is_an_error() {
        let changed = LOADER
            .replace("WASM_FILE", "app_bg.wasm")
            .replace("if (!module.ok)", "if (module.status !== 200)");
        let other_file = LOADER.replace("WASM_FILE", "other_bg.wasm");
        for js in [with_loader(&changed), with_loader(&other_file)] {
            assert_eq!(
                lean_loader(&js, "app_bg.wasm"),
                Err(GlueError::UnknownLoader {
                    version: crate::WASM_BINDGEN_VERSION
                })
            );
        }
    }

    #[test]
    fn bytes_that_are_not_wasm_are_an_error() {
        let err = shorten_import_names(b"not wasm", "", "./app_bg.js").unwrap_err();
        assert!(matches!(err, GlueError::Wasm(_)), "{err:?}");
    }

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..2000).map(short_name).collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(&names[..3], ["a", "b", "c"]);
        assert_eq!(names[26], "ba");
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    const SNIPPET: &str = "export function rallyEventSlots(event, root, out) {\n  return 0;\n}\n";

    #[test]
    fn a_snippet_of_functions_is_pasted_into_the_glue() {
        let js =
            "import { rallyEventSlots } from './snippets/rally-view-1/inline0.js';\n\nlet wasm;\n";
        let (out, inlined) = inline_snippets(js, |path| {
            (path == "snippets/rally-view-1/inline0.js").then(|| SNIPPET.to_owned())
        });
        assert_eq!(
            out,
            "function rallyEventSlots(event, root, out) {\n  return 0;\n}\n\nlet wasm;\n"
        );
        assert_eq!(inlined, ["snippets/rally-view-1/inline0.js"]);
    }

    #[test]
    fn a_snippet_the_wasm_imports_as_a_module_is_pasted_as_an_object() {
        let two = "export function f(a) {\n  return a;\n}\nexport function g() {\n  return 1;\n}";
        let js = "import * as import1 from \"./snippets/rally-view-1/inline1.js\"\nlet wasm;\n\
                  const imports = { \"./snippets/rally-view-1/inline1.js\": import1 };\n";
        let (out, inlined) = inline_snippets(js, |path| {
            (path == "snippets/rally-view-1/inline1.js").then(|| two.to_owned())
        });
        assert_eq!(
            out,
            "function f(a) {\n  return a;\n}\nfunction g() {\n  return 1;\n}\n\
             const import1 = { __proto__: null, f: f, g: g };\nlet wasm;\n\
             const imports = { \"./snippets/rally-view-1/inline1.js\": import1 };\n"
        );
        assert_eq!(inlined, ["snippets/rally-view-1/inline1.js"]);
        // A module of anything but plain functions stays a file.
        let generator = "export function* f() {\n  yield 1;\n}\n";
        let (out, inlined) = inline_snippets(js, |_| Some(generator.to_owned()));
        assert_eq!(out, js);
        assert!(inlined.is_empty());
    }

    #[test]
    fn a_snippet_imported_by_name_and_as_a_module_is_pasted_once() {
        // The wasm calls `g` directly and `f` through a JS wrapper (an argument to convert).
        let two = "export function f(a) {\n  return a;\n}\nexport function g() {\n  return 1;\n}";
        let js = "import { f } from './snippets/rally-1/inline0.js';\n\
                  import * as import1 from \"./snippets/rally-1/inline0.js\"\nlet wasm;\n";
        let (out, inlined) = inline_snippets(js, |path| {
            (path == "snippets/rally-1/inline0.js").then(|| two.to_owned())
        });
        assert_eq!(
            out,
            "function f(a) {\n  return a;\n}\nfunction g() {\n  return 1;\n}\n\
             const import1 = { __proto__: null, f: f, g: g };\nlet wasm;\n"
        );
        assert_eq!(inlined, ["snippets/rally-1/inline0.js"]);
        crate::minify::minify_module(&out).expect("one declaration of each function");
    }

    #[test]
    fn other_snippets_stay_files() {
        let with_state = "export const cache = new Map();\nexport function f() {}\n";
        let importing = "import { g } from './other.js';\nexport function f() {}\n";
        let with_private_state = "let wasm;\nexport function f() {}\n";
        for (snippet, import) in [
            (
                with_private_state,
                "import { f } from './snippets/app-1/inline0.js';\n",
            ),
            (
                with_state,
                "import { f } from './snippets/app-1/inline0.js';\n",
            ),
            (
                importing,
                "import { f } from './snippets/app-1/inline0.js';\n",
            ),
            // A name the snippet does not declare as a function.
            (
                SNIPPET,
                "import { other } from './snippets/app-1/inline0.js';\n",
            ),
            // Not a snippet.
            (SNIPPET, "import { f } from './elsewhere.js';\n"),
            (SNIPPET, "import { f } from './snippets/../../etc.js';\n"),
        ] {
            let (out, inlined) = inline_snippets(import, |_| Some(snippet.to_owned()));
            assert_eq!(out, import);
            assert!(inlined.is_empty(), "{import}");
        }
        // A snippet that cannot be read stays an import too.
        let import = "import { f } from './snippets/app-1/inline0.js';\n";
        assert_eq!(inline_snippets(import, |_| None).0, import);
    }
}
