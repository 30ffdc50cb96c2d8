//! Panics in a bundle trap at once, without formatting a message no one reads (ADR 0065).
//!
//! On `wasm32-unknown-unknown` a panic formats its message (`core::fmt`, the `Display` of its
//! arguments), hands it to the panic hook, whose default prints it to a standard error that
//! goes nowhere on this target, and then traps. The formatting is linked into every bundle
//! through the panics it can never skip (bounds checks, `RefCell` borrows, `unwrap`): about
//! 5 KB of the counter's wasm, for output that is thrown away.
//!
//! So in release bundles the functions only a panic runs (`core::panicking::*`, std's panic
//! handler and its payloads, `rust_begin_unwind`, and the helpers that format a panic's
//! arguments; all of them never return) become a single `unreachable`: the page sees the same
//! trap, and the linker's reachability (walrus's, then `wasm-opt`'s) drops what only they
//! used. A bundle that installs a panic hook (`std::panic::set_hook`, as
//! `console_error_panic_hook` does) wants the message and keeps it all, when the module shows
//! it ([`is_set_hook`]) or when `RALLY_PANIC_MESSAGES=1` says so.
//!
//! This is what `wasm-snip --snip-rust-panicking-code` does, with the hook rule added; written
//! here on the walrus rally-build already uses (for `table_gc`) rather than adding that tool.

use walrus::FunctionKind;
use walrus::ir::{Instr, Unreachable};

/// What [`snip_panics`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Snipped {
    /// Functions that now only trap.
    Functions(usize),
    /// The module installs a panic hook, which needs the messages: nothing changed.
    KeptForPanicHook,
}

/// Functions that never return and exist only to panic (or to abort on a failed allocation):
/// std's panic handler and hook runner, and the helpers that format a panic's arguments. By
/// path, without disambiguators and hash; the closures inside them count as them.
///
/// A list, not a prefix such as `std::panicking::`: that module also has functions that
/// return on ordinary paths (`panicking()`, which `Mutex` asks; the panic count), and a
/// function that returns must never become a trap.
const DIVERGING: [&str; 28] = [
    "rust_begin_unwind",
    "__rustc::rust_begin_unwind",
    "std::panicking::begin_panic",
    "std::panicking::begin_panic_handler",
    "std::panicking::panic_handler",
    "std::panicking::rust_panic_with_hook",
    "std::panicking::panic_with_hook",
    "std::panicking::rust_panic",
    "std::panicking::rust_panic_without_hook",
    "__rustc::__rust_alloc_error_handler",
    "std::alloc::rust_oom",
    // Returns, but only `rust_oom` calls it, which aborts right after.
    "std::alloc::default_alloc_error_hook",
    "alloc::alloc::handle_alloc_error",
    "alloc::raw_vec::capacity_overflow",
    "alloc::raw_vec::handle_error",
    "core::result::unwrap_failed",
    "core::option::unwrap_failed",
    "core::option::expect_failed",
    "core::slice::index::slice_index_fail",
    "core::slice::index::slice_start_index_len_fail",
    "core::slice::index::slice_end_index_len_fail",
    "core::slice::index::slice_index_order_fail",
    "core::slice::copy_from_slice_impl::len_mismatch_fail",
    "core::str::slice_error_fail",
    "core::cell::panic_already_borrowed",
    "core::cell::panic_already_mutably_borrowed",
    "core::cell::panic_already_borrowed::do_panic",
    "core::cell::panic_already_mutably_borrowed::do_panic",
];

/// Whether a function, by its demangled path without hash, is one only a panic runs.
fn is_panic_path(path: &str) -> bool {
    // std's own items carry the crate's disambiguator (`core[c5930c85a12de822]::…`).
    let path = strip_disambiguators(path);
    // Every function of `core::panicking` panics (`panic`, `panic_bounds_check`,
    // `assert_failed`, `panic_const_*`, …).
    if path.starts_with("core::panicking::") {
        return true;
    }
    // The payloads of std's panics: private types only the panic machinery calls, reachable
    // otherwise only through their vtables in the data.
    if path.starts_with("<std::panicking::") {
        return true;
    }
    // The frame std wraps around its panic handler (`…, !>`: a call that never returns).
    if path.starts_with("std::sys::backtrace::__rust_end_short_backtrace::<") {
        return path.ends_with(", !>");
    }
    // `Vec::insert`'s and `remove`'s out-of-line index failures.
    if path.starts_with("<alloc::vec::Vec<") && path.ends_with("::assert_failed") {
        return true;
    }
    let function = path.split("::{").next().unwrap_or(&path);
    DIVERGING.contains(&function)
}

/// Whether a function, by its demangled path, shows the bundle installs a panic hook, whose
/// messages then have a reader.
///
/// Fat LTO inlines `set_hook` into its one caller, so its name is often gone: the crate that
/// most apps use for this (`console_error_panic_hook`) is recognised by name too, and
/// `RALLY_PANIC_MESSAGES=1` keeps the messages whatever the module holds.
fn is_set_hook(path: &str) -> bool {
    let path = strip_disambiguators(path);
    path.starts_with("std::panicking::set_hook")
        || path.starts_with("std::panic::set_hook")
        || path.starts_with("std::panicking::update_hook")
        || path.contains("console_error_panic_hook::")
}

/// `core[c5930c85a12de822]::fmt` → `core::fmt`.
fn strip_disambiguators(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => skipping = true,
            ']' => skipping = false,
            c if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

/// The demangled path of a symbol, without its hash.
fn demangled(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// Rewrites rustc's module (which still has its name section) so that panics trap at once, and
/// removes what only the panic path used. A module that installs a panic hook is returned as
/// it was.
pub fn snip_panics(wasm: &[u8]) -> Result<(Vec<u8>, Snipped), String> {
    let mut module = walrus::ModuleConfig::new()
        .generate_producers_section(false)
        .parse(wasm)
        .map_err(|e| format!("cannot read the module: {e:#}"))?;
    let paths: Vec<(walrus::FunctionId, String)> = module
        .funcs
        .iter()
        .filter_map(|f| f.name.as_deref().map(|n| (f.id(), demangled(n))))
        .collect();
    if paths.iter().any(|(_, path)| is_set_hook(path)) {
        return Ok((wasm.to_vec(), Snipped::KeptForPanicHook));
    }
    let mut snipped = 0;
    for (id, path) in &paths {
        if !is_panic_path(path) {
            continue;
        }
        if let FunctionKind::Local(local) = &mut module.funcs.get_mut(*id).kind {
            let mut body = local.builder_mut().func_body();
            let instrs = body.instrs_mut();
            instrs.clear();
            instrs.push((Instr::Unreachable(Unreachable {}), Default::default()));
            snipped += 1;
        }
    }
    walrus::passes::gc::run(&mut module);
    Ok((module.emit_wasm(), Snipped::Functions(snipped)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::{FunctionBuilder, Module, ModuleConfig};

    #[test]
    fn the_paths_panics_take_are_recognised_and_nothing_else() {
        for path in [
            "core::panicking::panic_fmt",
            "core[c5930c85a12de822]::panicking::panic_bounds_check",
            "core[c5930c85a12de822]::panicking::panic_const::panic_const_async_fn_resumed",
            "std[a543996e6e7dbf1e]::panicking::panic_with_hook",
            "std[a543996e6e7dbf1e]::panicking::panic_handler::{closure#0}",
            "std[a543996e6e7dbf1e]::sys::backtrace::__rust_end_short_backtrace::<std[a543996e6e7dbf1e]::panicking::panic_handler::{closure#0}, !>",
            "__rustc[b7974e8690430dd9]::rust_begin_unwind",
            "<std[a543996e6e7dbf1e]::panicking::panic_handler::FormatStringPayload as core[c5930c85a12de822]::panic::PanicPayload>::take_box",
            "core[c5930c85a12de822]::result::unwrap_failed",
            "core::option::expect_failed",
            "core[c5930c85a12de822]::slice::index::slice_index_fail",
            "core[c5930c85a12de822]::cell::panic_already_borrowed",
            "std[a543996e6e7dbf1e]::alloc::rust_oom::{closure#0}",
            "alloc[3ca501edff3f0c7c]::raw_vec::capacity_overflow",
            "<alloc[3ca501edff3f0c7c]::vec::Vec<_, _>>::remove::assert_failed",
        ] {
            assert!(is_panic_path(path), "{path}");
        }
        for path in [
            "core::fmt::write",
            "core[c5930c85a12de822]::fmt::Formatter::pad",
            "rally_view::dom::patch",
            // Functions of std's panic module that return on ordinary paths.
            "std[a543996e6e7dbf1e]::panicking::panicking",
            "std[a543996e6e7dbf1e]::panicking::panic_count::count_is_zero",
            "std[a543996e6e7dbf1e]::panicking::panic_count::increase",
            "std[a543996e6e7dbf1e]::panicking::take_hook",
            "std[a543996e6e7dbf1e]::sys::backtrace::__rust_end_short_backtrace::<app::work, u32>",
            "app::panicking::report",
            "app::assert_failed",
            "core::result::unwrap_failed_not_really",
        ] {
            assert!(!is_panic_path(path), "{path}");
        }
        assert!(is_set_hook("std[a543996e6e7dbf1e]::panicking::set_hook"));
        assert!(is_set_hook("std::panic::set_hook"));
        assert!(is_set_hook("console_error_panic_hook::hook"));
        assert!(!is_set_hook("std::panicking::take_hook"));
    }

    #[test]
    fn mangled_names_are_read_both_ways() {
        assert_eq!(
            demangled("_ZN4core9panicking9panic_fmt17h0123456789abcdefE"),
            "core::panicking::panic_fmt"
        );
        assert_eq!(
            demangled("_RNvCsfLfy6EI15iL_7___rustc17rust_begin_unwind"),
            "__rustc::rust_begin_unwind"
        );
    }

    /// A module shaped like rustc's: `start` → `panic_bounds_check` → `panic_fmt` →
    /// `fmt_write` (only panics use it), and `start` → `format` → `fmt_write` when `format`
    /// is in use; optionally a `set_hook`.
    fn module(uses_format: bool, with_hook: bool) -> Vec<u8> {
        let mut module = Module::with_config(ModuleConfig::new());
        let func = |module: &mut Module, name: &str, calls: &[walrus::FunctionId]| {
            let mut b = FunctionBuilder::new(&mut module.types, &[], &[]);
            let mut body = b.func_body();
            body.i32_const(1).drop();
            for &c in calls {
                body.call(c);
            }
            let id = b.finish(vec![], &mut module.funcs);
            module.funcs.get_mut(id).name = Some(name.to_owned());
            id
        };
        let write = func(&mut module, "_ZN4core3fmt5write17h0000000000000001E", &[]);
        let panic_fmt = func(
            &mut module,
            "_ZN4core9panicking9panic_fmt17h0000000000000002E",
            &[write],
        );
        let bounds = func(
            &mut module,
            "_ZN4core9panicking18panic_bounds_check17h0000000000000003E",
            &[panic_fmt],
        );
        let mut calls = vec![bounds];
        if uses_format {
            calls.push(func(
                &mut module,
                "_ZN5alloc3fmt6format17h0000000000000004E",
                &[write],
            ));
        }
        if with_hook {
            calls.push(func(
                &mut module,
                "_ZN3std9panicking8set_hook17h0000000000000005E",
                &[],
            ));
        }
        let start = func(&mut module, "start", &calls);
        module.exports.add("start", start);
        module.emit_wasm()
    }

    fn function_names(wasm: &[u8]) -> Vec<String> {
        let module = Module::from_buffer(wasm).expect("a module");
        let mut names: Vec<String> = module
            .funcs
            .iter()
            .filter_map(|f| f.name.as_deref().map(demangled))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn panics_trap_and_what_only_they_used_is_gone() {
        let (wasm, snipped) = snip_panics(&module(false, false)).expect("snipped");
        wasmparser::validate(&wasm).expect("still a valid module");
        assert_eq!(snipped, Snipped::Functions(2));
        assert_eq!(
            function_names(&wasm),
            ["core::panicking::panic_bounds_check", "start"],
            "panic_fmt and fmt::write are no longer reachable"
        );
    }

    #[test]
    fn formatting_the_app_uses_stays() {
        let (wasm, _) = snip_panics(&module(true, false)).expect("snipped");
        assert!(function_names(&wasm).contains(&"core::fmt::write".to_owned()));
    }

    #[test]
    fn a_module_that_installs_a_panic_hook_keeps_its_messages() {
        let input = module(false, true);
        let (wasm, snipped) = snip_panics(&input).expect("read");
        assert_eq!(snipped, Snipped::KeptForPanicHook);
        assert_eq!(wasm, input);
    }

    #[test]
    fn what_is_not_wasm_is_an_error() {
        assert!(snip_panics(b"not wasm").is_err());
    }
}
