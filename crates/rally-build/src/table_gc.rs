//! Drops function-table entries that no code can call, and the functions only they kept.
//!
//! rustc's linker puts every function whose address is taken into the module's function
//! table, including those whose address only wasm-bindgen's descriptor functions take: the
//! `invoke` shim of every closure type that js-sys and web-sys describe, whether the app
//! creates such a closure or not. wasm-bindgen interprets and then deletes the descriptors,
//! but the table entries stay, and with them the functions (the counter's bundle held 38
//! `invoke` shims, of which JS calls 3). wasm-opt cannot help: it runs before wasm-bindgen, while the
//! descriptors still hold the addresses, and Debian's wasm-opt breaks wasm-bindgen's output
//! when run after it (see `WasmOpt`).
//!
//! An entry of a table that JS cannot see is only ever called by a `call_indirect` on that
//! table, and that traps unless the entry's signature is the one it names. So an entry whose
//! signature no `call_indirect` on its table names is dead, whatever its index: a rule of
//! wasm itself, not of how rustc or wasm-opt write code. A dead entry is pointed at a stub
//! that traps, indices do not move, and walrus's garbage collection removes what nothing else
//! uses. Tables that are exported, imported, or read or written by other instructions than
//! `call_indirect` are left as they are.
//!
//! A sharper rule was measured and dropped: also pruning entries whose index appears as no
//! constant in code or data (a function pointer is a linker constant) saved 150–340 more bytes
//! gzip. But wasm-opt rewrites constants: it drops runs of zeros from data segments, which cut
//! such a word in the view-demo bundle and made it trap, and any other rewrite of a constant
//! would do the same. The signature rule does not depend on how code was written.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Instr, InstrLocId, Visitor};
use walrus::{
    ElementItems, ElementKind, FunctionBuilder, FunctionId, Module, TableId, TypeId, ValType,
};

/// What [`prune_function_table`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Table entries pointed at the trapping stub.
    pub entries: usize,
    /// Imports (module, name) that only the removed functions called: the glue's import
    /// object can lose them too.
    pub imports: Vec<(String, String)>,
}

/// A function signature, compared as `call_indirect` compares them: structurally.
type Signature = (Vec<ValType>, Vec<ValType>);

/// Rewrites `wasm` without the unreachable entries of its private function tables.
pub fn prune_function_table(wasm: &[u8]) -> Result<(Vec<u8>, Pruned), String> {
    let mut module = walrus::ModuleConfig::new()
        .generate_producers_section(false)
        .parse(wasm)
        .map_err(|e| format!("cannot read the module: {e:#}"))?;
    let uses = Uses::of(&module);
    let signature = |module: &Module, ty: TypeId| -> Signature {
        let ty = module.types.get(ty);
        (ty.params().to_vec(), ty.results().to_vec())
    };
    // Per private table, the signatures its `call_indirect`s name.
    let mut called: HashMap<TableId, HashSet<Signature>> = module
        .tables
        .iter()
        .filter(|t| t.import.is_none() && t.element_ty == walrus::RefType::FUNCREF)
        .map(|t| t.id())
        .filter(|id| !uses.other.contains(id))
        .filter(|id| {
            !module
                .exports
                .iter()
                .any(|e| matches!(e.item, walrus::ExportItem::Table(t) if t == *id))
        })
        .map(|id| (id, HashSet::new()))
        .collect();
    for &(table, ty) in &uses.indirect {
        let signature = signature(&module, ty);
        if let Some(signatures) = called.get_mut(&table) {
            signatures.insert(signature);
        }
    }

    let mut stub: Option<FunctionId> = None;
    let mut pruned = Pruned::default();
    let segments: Vec<walrus::ElementId> = module.elements.iter().map(|e| e.id()).collect();
    for id in segments {
        let element = module.elements.get(id);
        let signatures = match &element.kind {
            ElementKind::Active { table, .. } => match called.get(table) {
                Some(signatures) => signatures,
                None => continue,
            },
            // Passive or declared: `table.init` (which marks its table as kept) or `ref.func`.
            _ => continue,
        };
        let ElementItems::Functions(functions) = &element.items else {
            continue;
        };
        let dead: Vec<usize> = functions
            .iter()
            .enumerate()
            .filter(|&(_, &f)| !signatures.contains(&signature(&module, module.funcs.get(f).ty())))
            .map(|(i, _)| i)
            .collect();
        if dead.is_empty() {
            continue;
        }
        let stub = *stub.get_or_insert_with(|| trapping_stub(&mut module));
        if let ElementItems::Functions(functions) = &mut module.elements.get_mut(id).items {
            for i in dead {
                if functions[i] != stub {
                    functions[i] = stub;
                    pruned.entries += 1;
                }
            }
        }
    }
    if pruned.entries == 0 {
        return Ok((wasm.to_vec(), pruned));
    }
    let before = imported_functions(&module);
    walrus::passes::gc::run(&mut module);
    let after = imported_functions(&module);
    pruned.imports = before.into_iter().filter(|i| !after.contains(i)).collect();
    Ok((module.emit_wasm(), pruned))
}

fn imported_functions(module: &Module) -> Vec<(String, String)> {
    module
        .imports
        .iter()
        .filter(|i| matches!(i.kind, walrus::ImportKind::Function(_)))
        .map(|i| (i.module.clone(), i.name.clone()))
        .collect()
}

/// What the module's code does with tables.
#[derive(Default)]
struct Uses {
    /// (table, signature) of every `call_indirect` and `return_call_indirect`.
    indirect: HashSet<(TableId, TypeId)>,
    /// Tables that other instructions read or change: all their entries are kept.
    other: HashSet<TableId>,
}

impl Uses {
    fn of(module: &Module) -> Self {
        let mut uses = Uses::default();
        for (_, function) in module.funcs.iter_local() {
            walrus::ir::dfs_in_order(&mut uses, function, function.entry_block());
        }
        uses
    }
}

impl<'instr> Visitor<'instr> for Uses {
    fn visit_instr(&mut self, instr: &'instr Instr, _: &'instr InstrLocId) {
        match instr {
            Instr::CallIndirect(c) => {
                self.indirect.insert((c.table, c.ty));
            }
            Instr::ReturnCallIndirect(c) => {
                self.indirect.insert((c.table, c.ty));
            }
            Instr::TableGet(t) => {
                self.other.insert(t.table);
            }
            Instr::TableSet(t) => {
                self.other.insert(t.table);
            }
            Instr::TableGrow(t) => {
                self.other.insert(t.table);
            }
            Instr::TableFill(t) => {
                self.other.insert(t.table);
            }
            Instr::TableInit(t) => {
                self.other.insert(t.table);
            }
            Instr::TableCopy(t) => {
                self.other.insert(t.src);
                self.other.insert(t.dst);
            }
            _ => {}
        }
    }
}

/// `() -> ()` that traps: what a pruned entry points at. No `call_indirect` had the entry's
/// signature, so any call of it trapped already; a table slot must hold something, and a
/// null could not be expressed in a segment of plain function indices.
fn trapping_stub(module: &mut Module) -> FunctionId {
    let mut builder = FunctionBuilder::new(&mut module.types, &[], &[]);
    builder.func_body().unreachable();
    builder.finish(Vec::new(), &mut module.funcs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::ir::Value;
    use walrus::{ConstExpr, ExportItem, FunctionKind, ModuleConfig};

    /// How the test module's table is used besides `main`'s `call_indirect`.
    #[derive(Clone, Copy, PartialEq)]
    enum Table {
        Private,
        Exported,
        /// Also read by `table.get`, which could hand any entry to JS or to `call_ref`.
        Read,
    }

    /// A table of three entries: `called` (`() -> ()`, the signature of `main`'s
    /// `call_indirect`), and `uncalled` and `uncalled_too` (`(i32) -> ()`, which no
    /// `call_indirect` names; `uncalled` calls the import `env.only_uncalled_calls`).
    fn module(table_use: Table) -> Vec<u8> {
        let mut m = Module::with_config(ModuleConfig::new());
        let unit = m.types.add(&[], &[]);
        let (only_uncalled_calls, _) = m.add_import_func("env", "only_uncalled_calls", unit);
        let (used, _) = m.add_import_func("env", "used", unit);
        let function =
            |m: &mut Module, name: &str, params: &[ValType], calls: Option<FunctionId>| {
                let mut b = FunctionBuilder::new(&mut m.types, params, &[]);
                b.name(name.to_owned());
                if let Some(f) = calls {
                    b.func_body().call(f);
                }
                let args = params.iter().map(|&t| m.locals.add(t)).collect();
                b.finish(args, &mut m.funcs)
            };
        let called = function(&mut m, "called", &[], Some(used));
        let uncalled = function(
            &mut m,
            "uncalled",
            &[ValType::I32],
            Some(only_uncalled_calls),
        );
        let uncalled_too = function(&mut m, "uncalled_too", &[ValType::I32], None);
        let table = m
            .tables
            .add_local(false, 4, Some(4), walrus::RefType::FUNCREF);
        m.elements.add(
            ElementKind::Active {
                table,
                offset: ConstExpr::Value(Value::I32(1)),
            },
            ElementItems::Functions(vec![called, uncalled, uncalled_too]),
        );
        let mut b = FunctionBuilder::new(&mut m.types, &[ValType::I32], &[]);
        b.name("main".to_owned());
        let index = m.locals.add(ValType::I32);
        b.func_body().local_get(index).call_indirect(unit, table);
        if table_use == Table::Read {
            b.func_body().local_get(index).table_get(table).drop();
        }
        let main = b.finish(vec![index], &mut m.funcs);
        m.exports.add("main", main);
        if table_use == Table::Exported {
            m.exports.add("table", table);
        }
        m.emit_wasm()
    }

    fn names(wasm: &[u8]) -> Vec<String> {
        let m = Module::from_buffer(wasm).expect("parses");
        let mut names: Vec<String> = m.funcs.iter().filter_map(|f| f.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn entries_no_call_can_reach_go_with_their_functions_and_imports() {
        let (wasm, pruned) = prune_function_table(&module(Table::Private)).expect("prunes");
        wasmparser::validate(&wasm).expect("still a valid module");
        assert_eq!(pruned.entries, 2);
        assert_eq!(
            pruned.imports,
            vec![("env".to_owned(), "only_uncalled_calls".to_owned())]
        );
        assert_eq!(names(&wasm), ["called", "main"]);
        // The slots stay (indices must not move), both holding one stub that traps.
        let m = Module::from_buffer(&wasm).expect("parses");
        let element = m.elements.iter().next().expect("the segment");
        let ElementItems::Functions(items) = &element.items else {
            panic!("function indices");
        };
        assert_eq!(items.len(), 3);
        assert_eq!(m.funcs.get(items[0]).name.as_deref(), Some("called"));
        assert_eq!(items[1], items[2], "one stub");
        let FunctionKind::Local(stub) = &m.funcs.get(items[1]).kind else {
            panic!("a local stub");
        };
        let body = stub.block(stub.entry_block());
        assert!(matches!(
            body.instrs.as_slice(),
            [(walrus::ir::Instr::Unreachable(_), _)]
        ));
    }

    #[test]
    fn a_table_js_can_see_or_code_can_read_is_left_alone() {
        for table_use in [Table::Exported, Table::Read] {
            let wasm = module(table_use);
            let (out, pruned) = prune_function_table(&wasm).expect("reads");
            assert_eq!(pruned, Pruned::default());
            assert_eq!(out, wasm);
            assert_eq!(names(&out), ["called", "main", "uncalled", "uncalled_too"]);
        }
        let m = Module::from_buffer(&module(Table::Exported)).expect("parses");
        assert!(
            m.exports
                .iter()
                .any(|e| matches!(e.item, ExportItem::Table(_)))
        );
    }

    #[test]
    fn a_module_that_does_not_parse_is_an_error() {
        let err = prune_function_table(b"\0asm\x01\0\0\0\x07garbage").unwrap_err();
        assert!(err.starts_with("cannot read the module"), "{err}");
    }
}
