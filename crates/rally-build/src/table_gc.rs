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
//! table. Two rules find entries no such call can reach; a dead entry is pointed at a stub
//! that traps, indices do not move, and walrus's garbage collection removes what nothing else
//! uses. Tables that are exported, imported, or read or written by other instructions than
//! `call_indirect` are left as they are.
//!
//! - **Signature.** A `call_indirect` traps unless the entry's signature is the one it names,
//!   so an entry whose signature no `call_indirect` on its table names is dead, whatever its
//!   index: a rule of wasm itself.
//! - **Address.** A call reaches an entry through its index, a function pointer, and a
//!   function pointer is a linker constant: rustc and wasm-ld write it into code or data, and
//!   Rust does no arithmetic on it. So an entry whose index appears in no constant is dead.
//!   The constants are every 32-bit word of every constant in code (`i32.const`, and each half
//!   of an `i64.const`: optimisers merge two stores of constants into one), of global
//!   initialisers, and of linear memory as the active data segments initialise it, read from
//!   a memory image rather than segment by segment: wasm-opt drops runs of zeros from segments
//!   (memory starts zeroed), which can cut a pointer word in two. That was the first version's
//!   mistake; it made the view-demo bundle trap. Passive segments, whose addresses are known
//!   only when they are copied, count at every byte offset; if an active segment's address is
//!   not a constant, or a global is computed by an extended constant, the address rule is not
//!   applied at all. An index that equals some other number in code or data only keeps its
//!   entry; rally-build starts the table at `TABLE_BASE` so that few do.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Instr, InstrLocId, Value, Visitor};
use walrus::{
    ConstExpr, ElementItems, ElementKind, FunctionBuilder, FunctionId, Module, TableId, TypeId,
    ValType,
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

    // `None` (the address rule off) if some address is computed rather than constant: a
    // data segment placed at run time, or a global initialised by an extended constant.
    let computed_global = module
        .globals
        .iter()
        .any(|g| matches!(g.kind, walrus::GlobalKind::Local(ConstExpr::Extended(_))));
    let addresses = data_words(&module)
        .filter(|_| !computed_global)
        .map(|mut words| {
            words.extend(uses.constants.iter().copied());
            for global in module.globals.iter() {
                if let walrus::GlobalKind::Local(ConstExpr::Value(v)) = global.kind {
                    add_words(&mut words, v);
                }
            }
            words
        });
    let mut stub: Option<FunctionId> = None;
    let mut pruned = Pruned::default();
    let segments: Vec<walrus::ElementId> = module.elements.iter().map(|e| e.id()).collect();
    for id in segments {
        let element = module.elements.get(id);
        let (signatures, base) = match &element.kind {
            ElementKind::Active { table, offset } => match called.get(table) {
                Some(signatures) => (signatures, offset),
                None => continue,
            },
            // Passive or declared: `table.init` (which marks its table as kept) or `ref.func`.
            _ => continue,
        };
        let base = match base {
            ConstExpr::Value(Value::I32(b)) => Some(*b as u32),
            _ => None,
        };
        let ElementItems::Functions(functions) = &element.items else {
            continue;
        };
        let named = |i: usize| match (base, &addresses) {
            (Some(base), Some(addresses)) => addresses.contains(&base.wrapping_add(i as u32)),
            _ => true,
        };
        let dead: Vec<usize> = functions
            .iter()
            .enumerate()
            .filter(|&(i, &f)| {
                !signatures.contains(&signature(&module, module.funcs.get(f).ty())) || !named(i)
            })
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
    /// Every 32-bit word a constant in code holds: an `i32.const`, and each half of a wider
    /// one (the optimisers merge adjacent stores of constants into one `i64.store`).
    constants: HashSet<u32>,
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
            Instr::Const(c) => add_words(&mut self.constants, c.value),
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

/// The 32-bit words of a constant.
fn add_words(words: &mut HashSet<u32>, value: Value) {
    let bits: u128 = match value {
        Value::I32(v) => u128::from(v as u32),
        Value::I64(v) => u128::from(v as u64),
        Value::F32(v) => u128::from(v.to_bits()),
        Value::F64(v) => u128::from(v.to_bits()),
        Value::V128(v) => v,
    };
    for k in 0..4 {
        words.insert((bits >> (32 * k)) as u32);
    }
}

/// Every word the module's data can hold where a function pointer could be: the 4-aligned
/// words of linear memory as its active segments initialise it (memory starts as zeros, so a
/// word split by a run of zeros wasm-opt dropped from a segment is whole again), and every
/// 4-byte window of passive segments, whose addresses are only known when they are copied.
/// `None` if an active segment's address is not a constant.
///
/// Memory is read where segments lie, not copied into an image of its whole extent: Rust's
/// data starts at 1 MiB, and a segment's address may be anywhere below 4 GiB.
fn data_words(module: &Module) -> Option<HashSet<u32>> {
    let mut words = HashSet::new();
    // (address, bytes) of the active segments, in the order they are written.
    let mut active: Vec<(u64, &[u8])> = Vec::new();
    for data in module.data.iter() {
        match &data.kind {
            walrus::DataKind::Active { offset, .. } => {
                let ConstExpr::Value(Value::I32(at)) = offset else {
                    return None;
                };
                active.push((u64::from(*at as u32), &data.value));
            }
            walrus::DataKind::Passive => {
                words.extend(
                    data.value
                        .windows(4)
                        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])),
                );
            }
        }
    }
    // The byte at `address` once every segment is written: the last one covering it wins.
    let byte_at = |address: u64| {
        active
            .iter()
            .rev()
            .find_map(|&(at, bytes)| {
                let i = usize::try_from(address.checked_sub(at)?).ok()?;
                bytes.get(i).copied()
            })
            .unwrap_or(0)
    };
    for &(at, bytes) in &active {
        let end = at + bytes.len() as u64;
        for word in (at & !3..end).step_by(4) {
            words.insert(u32::from_le_bytes([
                byte_at(word),
                byte_at(word + 1),
                byte_at(word + 2),
                byte_at(word + 3),
            ]));
        }
    }
    Some(words)
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
    use walrus::{DataKind, ExportItem, FunctionKind, ModuleConfig};

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
        // `called`'s address is a constant here, as a function pointer is.
        b.func_body().i32_const(1).call_indirect(unit, table);
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

    /// Where the test module holds the address (table index 2) of `target`.
    #[derive(Clone, Copy, Debug)]
    enum Address {
        Nowhere,
        Code,
        /// One half of an `i64.const`, as merged stores of two constants write it.
        CodeWide,
        Global,
        /// A word of an active data segment.
        Data,
        /// A word whose zero bytes are not in the segment: wasm-opt drops runs of zeros
        /// from segments, as memory starts zeroed.
        DataCut,
        /// Anywhere in a passive segment, whose address is known only when it is copied.
        Passive,
        /// Nowhere, but an active segment lies at an address known only at run time.
        NowhereButDataPlacedAtRunTime,
        /// A global computed by an extended constant expression (1 + 1).
        ComputedGlobal,
    }

    /// A table of `kept` (index 1, its address a constant in `main`) and `target` (index 2),
    /// both of the signature `main`'s `call_indirect` names, with `target`'s address held as
    /// `address` says.
    fn pointers(address: Address) -> Vec<u8> {
        let mut m = Module::with_config(ModuleConfig::new());
        let unit = m.types.add(&[], &[]);
        let memory = m.memories.add_local(false, false, 1, None, None);
        let function = |m: &mut Module, name: &str| {
            let mut b = FunctionBuilder::new(&mut m.types, &[], &[]);
            b.name(name.to_owned());
            b.func_body().i32_const(0).drop();
            b.finish(Vec::new(), &mut m.funcs)
        };
        let kept = function(&mut m, "kept");
        let target = function(&mut m, "target");
        let table = m
            .tables
            .add_local(false, 3, Some(3), walrus::RefType::FUNCREF);
        m.elements.add(
            ElementKind::Active {
                table,
                offset: ConstExpr::Value(Value::I32(1)),
            },
            ElementItems::Functions(vec![kept, target]),
        );
        let mut b = FunctionBuilder::new(&mut m.types, &[ValType::I32], &[]);
        b.name("main".to_owned());
        let index = m.locals.add(ValType::I32);
        b.func_body().i32_const(1).drop();
        b.func_body().local_get(index).call_indirect(unit, table);
        match address {
            Address::Code => {
                b.func_body().i32_const(2).drop();
            }
            Address::CodeWide => {
                b.func_body().i64_const((2 << 32) | 7).drop();
            }
            _ => {}
        }
        let main = b.finish(vec![index], &mut m.funcs);
        m.exports.add("main", main);
        let active = |at: i32| DataKind::Active {
            memory,
            offset: ConstExpr::Value(Value::I32(at)),
        };
        // Words that are not the address around it: lengths, other pointers.
        m.data.add(active(8), vec![5, 0, 0, 0, 1, 0, 0, 0]);
        match address {
            Address::Global => {
                m.globals
                    .add_local(ValType::I32, false, false, ConstExpr::Value(Value::I32(2)));
            }
            Address::Data => {
                m.data
                    .add(active(16), vec![9, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0]);
            }
            Address::DataCut => {
                m.data.add(active(16), vec![9, 0, 0, 0, 2]);
                m.data.add(active(64), vec![9]);
            }
            Address::Passive => {
                m.data.add(DataKind::Passive, vec![7, 2, 0, 0, 0, 7]);
            }
            Address::NowhereButDataPlacedAtRunTime => {
                let (at, _) = m.add_import_global("env", "at", ValType::I32, false, false);
                m.data.add(
                    DataKind::Active {
                        memory,
                        offset: ConstExpr::Global(at),
                    },
                    vec![9],
                );
            }
            Address::ComputedGlobal => {
                m.globals.add_local(
                    ValType::I32,
                    false,
                    false,
                    ConstExpr::Extended(vec![
                        walrus::ConstOp::I32Const(1),
                        walrus::ConstOp::I32Const(1),
                        walrus::ConstOp::I32Add,
                    ]),
                );
            }
            Address::Nowhere | Address::Code | Address::CodeWide => {}
        }
        m.emit_wasm()
    }

    #[test]
    fn an_entry_whose_address_no_constant_holds_goes() {
        let (wasm, pruned) = prune_function_table(&pointers(Address::Nowhere)).expect("prunes");
        wasmparser::validate(&wasm).expect("still a valid module");
        assert_eq!(pruned.entries, 1);
        assert_eq!(names(&wasm), ["kept", "main"]);
    }

    #[test]
    fn an_address_in_code_globals_or_data_keeps_its_entry() {
        for address in [
            Address::Code,
            Address::CodeWide,
            Address::Global,
            Address::Data,
            Address::DataCut,
            Address::Passive,
            Address::NowhereButDataPlacedAtRunTime,
            Address::ComputedGlobal,
        ] {
            let (wasm, pruned) = prune_function_table(&pointers(address)).expect("reads");
            assert_eq!(pruned, Pruned::default(), "{address:?}");
            assert_eq!(names(&wasm), ["kept", "main", "target"], "{address:?}");
        }
    }

    #[test]
    fn a_module_that_does_not_parse_is_an_error() {
        let err = prune_function_table(b"\0asm\x01\0\0\0\x07garbage").unwrap_err();
        assert!(err.starts_with("cannot read the module"), "{err}");
    }
}
