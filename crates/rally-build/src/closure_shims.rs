//! Finds the closure entry points of a wasm-bindgen module that can only trap.
//!
//! wasm-bindgen exports one function per closure type the page creates
//! (`__wasm_bindgen_func_elem_<n>`): JS calls it whenever the closure runs. Such a function
//! always calls into Rust; if its whole body is `unreachable`, every call of the closure traps.
//! That is what `wasm-opt -Oz`, run on the panic-snipped module before wasm-bindgen, once made
//! of an event listener's closure (docs/adr/0068): the bundle built, and every click trapped.
//! A build that finds one rebuilds without wasm-opt rather than ship it.

use walrus::FunctionKind;
use walrus::ir::Instr;

/// What wasm-bindgen names the closure entry points it exports.
const SHIM_PREFIX: &str = "__wasm_bindgen_func_elem_";

/// The exported closure entry points of `wasm` whose body is only `unreachable`, by export
/// name.
pub fn trapping_closure_shims(wasm: &[u8]) -> Result<Vec<String>, String> {
    let module = walrus::ModuleConfig::new()
        .generate_producers_section(false)
        .parse(wasm)
        .map_err(|e| format!("cannot read the module: {e:#}"))?;
    let mut trapping = Vec::new();
    for export in module.exports.iter() {
        let walrus::ExportItem::Function(id) = export.item else {
            continue;
        };
        if !export.name.starts_with(SHIM_PREFIX) {
            continue;
        }
        if let FunctionKind::Local(local) = &module.funcs.get(id).kind {
            let body = local.block(local.entry_block());
            if matches!(body.instrs.as_slice(), [(Instr::Unreachable(_), _)]) {
                trapping.push(export.name.clone());
            }
        }
    }
    Ok(trapping)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, Module,
        TypeSection,
    };

    /// A module exporting one `(i32) -> ()` function per (name, traps) pair: a trap, or a
    /// body that drops its argument.
    fn module(exports: &[(&str, bool)]) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([wasm_encoder::ValType::I32], []);
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        let mut names = ExportSection::new();
        for (i, (name, traps)) in exports.iter().enumerate() {
            functions.function(0);
            let mut f = Function::new([]);
            if *traps {
                f.instruction(&Instruction::Unreachable);
            } else {
                f.instruction(&Instruction::LocalGet(0));
                f.instruction(&Instruction::Drop);
            }
            f.instruction(&Instruction::End);
            code.function(&f);
            names.export(name, ExportKind::Func, i as u32);
        }
        let mut m = Module::new();
        m.section(&types)
            .section(&functions)
            .section(&names)
            .section(&code);
        m.finish()
    }

    #[test]
    fn a_closure_entry_point_that_only_traps_is_found() {
        let wasm = module(&[
            ("__wasm_bindgen_func_elem_12", true),
            ("__wasm_bindgen_func_elem_40", false),
        ]);
        assert_eq!(
            trapping_closure_shims(&wasm).unwrap(),
            ["__wasm_bindgen_func_elem_12"]
        );
    }

    #[test]
    fn other_exports_may_trap() {
        // An app's own export that panics at once is its business, not an optimiser's doing.
        let wasm = module(&[("start", true), ("__wasm_bindgen_func_elem_3", false)]);
        assert!(trapping_closure_shims(&wasm).unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_module_is_an_error() {
        let err = trapping_closure_shims(b"not wasm").unwrap_err();
        assert!(err.starts_with("cannot read the module"), "{err}");
    }
}
