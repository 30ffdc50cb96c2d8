//! Builds a browser bundle: compile a crate to `wasm32-unknown-unknown`, optionally shrink it with
//! `wasm-opt`, then run wasm-bindgen in-process (no `wasm-bindgen` binary to install or pin).
//!
//! `cargo rally build` will own this; for now the demo, the browser tests and the benchmarks
//! call it through the `rally-build` binary.

pub mod closure_shims;
pub mod glue;
pub mod minify;
pub mod panic_snip;
pub mod table_gc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The wasm-bindgen version this crate embeds; an app must lock `wasm-bindgen` to the same one.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// What to build.
#[derive(Clone, Debug)]
pub struct WasmBuild {
    /// Directory holding the workspace (where `cargo` runs).
    pub workspace: PathBuf,
    /// The cargo package to build (a `cdylib`).
    pub package: String,
    /// Cargo features to enable (for example `browser`).
    pub features: Vec<String>,
    /// Cargo profile: `dev`, `release`, or a custom one such as `wasm-release`.
    pub profile: String,
    /// Where `<out_name>.js` and `<out_name>_bg.wasm` are written.
    pub out_dir: PathBuf,
    /// Base name of the generated files.
    pub out_name: String,
    /// Run `wasm-opt` (`WASM_OPT_PASSES`) on rustc's output before wasm-bindgen (see `WasmOpt`).
    pub wasm_opt: WasmOpt,
}

/// Whether and how to run Binaryen's `wasm-opt`.
///
/// Debian's wasm-opt 108 corrupts wasm-bindgen's externref table export when run *after*
/// bindgen (binaryen#4711), so Rally runs it *before*, on rustc's single-table module, and
/// after as well only with a Binaryen that has the fix ([`POST_BINDGEN_BINARYEN`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmOpt {
    /// Do not run wasm-opt.
    Off,
    /// Run it if a `wasm-opt` is on PATH (or in `$WASM_OPT`), skip with a note otherwise.
    IfAvailable,
}

/// The files a build wrote and their sizes.
#[derive(Clone, Debug)]
pub struct BuildOutput {
    /// The JS glue (`<out_name>.js`).
    pub js: PathBuf,
    /// The wasm module (`<out_name>_bg.wasm`).
    pub wasm: PathBuf,
    /// Whether wasm-opt ran.
    pub wasm_opt_ran: bool,
    /// Whether it also ran after wasm-bindgen (a Binaryen new enough, see [`POST_BINDGEN_BINARYEN`]).
    pub wasm_opt_after_bindgen: bool,
}

impl BuildOutput {
    /// Raw and gzip (level 9) sizes of the JS and the wasm, in bytes.
    pub fn sizes(&self) -> Result<BundleSizes, BuildError> {
        let js = read(&self.js)?;
        let wasm = read(&self.wasm)?;
        Ok(BundleSizes {
            js_raw: js.len(),
            js_gzip: gzip_len(&js),
            wasm_raw: wasm.len(),
            wasm_gzip: gzip_len(&wasm),
        })
    }
}

/// Sizes of a bundle.
#[derive(Clone, Copy, Debug)]
pub struct BundleSizes {
    /// The JS glue, in bytes.
    pub js_raw: usize,
    /// The JS glue after gzip.
    pub js_gzip: usize,
    /// The wasm module, in bytes.
    pub wasm_raw: usize,
    /// The wasm module after gzip.
    pub wasm_gzip: usize,
}

impl BundleSizes {
    /// JS + wasm after gzip, what a browser downloads.
    pub fn total_gzip(&self) -> usize {
        self.js_gzip + self.wasm_gzip
    }
}

/// Why a build failed; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be started.
    #[error("could not run cargo: {0}. Is cargo on PATH?")]
    CargoNotFound(std::io::Error),
    #[error(
        "`cargo build` for wasm32 failed (see the compiler output above). If it says the target \
         is missing, run `rustup target add wasm32-unknown-unknown`."
    )]
    /// The wasm32 build failed (cargo printed why).
    CargoFailed,
    /// `cargo metadata` failed or printed something unreadable.
    #[error("cargo metadata failed: {0}")]
    Metadata(String),
    /// The package is not a member of the workspace.
    #[error("package `{0}` is not in the workspace at {1}")]
    UnknownPackage(String, PathBuf),
    #[error(
        "cargo built no wasm module at {0}; is `{1}` a library with crate-type [\"cdylib\", \"rlib\"]?"
    )]
    /// cargo produced no `.wasm` for the package.
    NoWasm(PathBuf, String),
    #[error(
        "the app locks wasm-bindgen {found}, but this Rally embeds {WASM_BINDGEN_VERSION}. Pin it in \
         the app's Cargo.toml: wasm-bindgen = \"={WASM_BINDGEN_VERSION}\", then run cargo update -p wasm-bindgen."
    )]
    /// The app locks another wasm-bindgen than the one embedded here.
    BindgenVersion {
        /// The version the app locks.
        found: String,
    },
    /// wasm-bindgen failed.
    #[error("wasm-bindgen failed on {path}: {message}")]
    Bindgen {
        /// The file it ran on.
        path: PathBuf,
        /// What it printed.
        message: String,
    },
    /// wasm-bindgen's output could not be read to check its closures (`closure_shims`).
    #[error(
        "checking the closures of {path}: {message}. This is a bug in rally-build; `--no-wasm-opt` skips this step"
    )]
    CheckClosures {
        /// The module.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The function table of wasm-bindgen's output could not be pruned (`table_gc`).
    #[error(
        "pruning the function table of {path}: {message}. This is a bug in rally-build; a dev build (`--profile dev`) skips this step"
    )]
    PruneTable {
        /// The module.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// rustc's module could not be read to make its panics trap directly (`panic_snip`).
    #[error(
        "making the panics of {path} trap directly: {message}. This is a bug in rally-build; a dev build (`--profile dev`) skips this step"
    )]
    SnipPanics {
        /// The module.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// wasm-bindgen's JS glue could not be rewritten.
    #[error("rewriting the JS glue {path}: {source}")]
    Glue {
        /// The glue file.
        path: PathBuf,
        /// Why.
        source: glue::GlueError,
    },
    /// wasm-opt failed.
    #[error("wasm-opt failed on {path}: {message}. Set WASM_OPT=off to skip it.")]
    WasmOpt {
        /// The file it ran on.
        path: PathBuf,
        /// What it printed.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds the bundle: cargo → (wasm-opt) → wasm-bindgen.
pub fn build_wasm(build: &WasmBuild) -> Result<BuildOutput, BuildError> {
    let metadata = Metadata::read(&build.workspace)?;
    if let Some(found) = metadata.wasm_bindgen_version.as_deref()
        && found != WASM_BINDGEN_VERSION
    {
        return Err(BuildError::BindgenVersion {
            found: found.to_string(),
        });
    }
    let lib_name = metadata.lib_name(&build.package).ok_or_else(|| {
        BuildError::UnknownPackage(build.package.clone(), build.workspace.clone())
    })?;

    progress(&format!(
        "compiling {} for wasm32 ({} profile)",
        build.package, build.profile
    ));
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .current_dir(&build.workspace)
        .args([
            "rustc",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            &build.package,
        ])
        .args(["--profile", &build.profile]);
    if let Some(config) = remapped_registry_paths() {
        cargo.args(["--config", &config]);
    }
    if !build.features.is_empty() {
        cargo.args(["--features", &build.features.join(",")]);
    }
    // For the app's crate only, which links the module; `cargo rustc` adds these to whatever
    // flags the user's configuration sets, where `RUSTFLAGS` would replace them.
    cargo.args(["--", "-C", &format!("link-arg=--table-base={TABLE_BASE}")]);
    let status = cargo.status().map_err(BuildError::CargoNotFound)?;
    if !status.success() {
        return Err(BuildError::CargoFailed);
    }

    let profile_dir = match build.profile.as_str() {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    let wasm_in = metadata
        .target_directory
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join(format!("{lib_name}.wasm"));
    if !wasm_in.exists() {
        return Err(BuildError::NoWasm(wasm_in, build.package.clone()));
    }

    let mut input = wasm_in.clone();
    // Release bundles: panics trap without formatting a message no one reads (panic_snip),
    // unless `RALLY_PANIC_MESSAGES=1` keeps them for a panic hook the module does not show.
    if build.profile != "dev" && !keep_panic_messages() {
        let (snipped, outcome) = panic_snip::snip_panics(&read(&wasm_in)?).map_err(|message| {
            BuildError::SnipPanics {
                path: wasm_in.clone(),
                message,
            }
        })?;
        match outcome {
            panic_snip::Snipped::KeptForPanicHook => {
                progress("a panic hook is installed: keeping the panic messages it formats")
            }
            panic_snip::Snipped::Functions(_) => progress(
                "panics trap without a message (an app with its own panic hook sets RALLY_PANIC_MESSAGES=1)",
            ),
        }
        input = wasm_in.with_extension("snipped.wasm");
        std::fs::write(&input, snipped).map_err(|e| io(&input, e))?;
    }
    // What bindgen falls back to if it cannot read wasm-opt's output.
    let unoptimised = input.clone();
    let mut wasm_opt_ran = false;
    let tool = match build.wasm_opt {
        WasmOpt::IfAvailable => find_wasm_opt(),
        WasmOpt::Off => None,
    };
    if build.wasm_opt == WasmOpt::IfAvailable {
        if let Some(tool) = &tool {
            let optimized = wasm_in.with_extension("opt.wasm");
            progress(&format!("optimising with {}", tool.display()));
            run_wasm_opt(tool, &input, &optimized)?;
            input = optimized;
            wasm_opt_ran = true;
        } else {
            progress(
                "wasm-opt not found; skipping (install Debian's `binaryen` for a smaller bundle)",
            );
        }
    }

    progress("running wasm-bindgen");
    std::fs::create_dir_all(&build.out_dir).map_err(|e| io(&build.out_dir, e))?;
    let wasm_opt_ran = if wasm_opt_ran {
        match optimised_binding_fault(build, &input)? {
            None => true,
            // A bundle without wasm-opt beats no bundle, or one that traps.
            Some(fault) => {
                progress(&format!("{fault}; building without wasm-opt"));
                bindgen(build, &unoptimised)?;
                false
            }
        }
    } else {
        bindgen(build, &input)?;
        false
    };
    let mut output = BuildOutput {
        js: build.out_dir.join(format!("{}.js", build.out_name)),
        wasm: build.out_dir.join(format!("{}_bg.wasm", build.out_name)),
        wasm_opt_ran,
        wasm_opt_after_bindgen: false,
    };
    // Dev builds and profiling builds keep wasm-bindgen's import names, for stack traces and
    // profiles; profiling builds are pruned like the bundles they profile.
    let rewrite = Rewrite {
        prune: build.profile != "dev",
        shorten: build.profile != "dev" && !keep_names(),
    };
    rewrite_glue(&output, &format!("./{}_bg.js", build.out_name), rewrite)?;
    if let Some(tool) = tool.filter(|t| wasm_opt_ran && runs_after_bindgen(t)) {
        output.wasm_opt_after_bindgen = optimise_after_bindgen(&tool, &output.wasm)?;
    }
    Ok(output)
}

/// The oldest Binaryen whose `wasm-opt` keeps wasm-bindgen's externref table export intact
/// (binaryen#4711, fixed after Debian's 108), so that it can run after bindgen too
/// (docs/adr/0060).
pub const POST_BINDGEN_BINARYEN: u32 = 116;

/// Whether `tool` is a Binaryen new enough to optimise wasm-bindgen's output.
fn runs_after_bindgen(tool: &Path) -> bool {
    binaryen_version(tool).is_some_and(|v| v >= POST_BINDGEN_BINARYEN)
}

/// The version `wasm-opt --version` prints (`wasm-opt version 132 (version_132)`).
fn binaryen_version(tool: &Path) -> Option<u32> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    parse_binaryen_version(&String::from_utf8_lossy(&out.stdout))
}

fn parse_binaryen_version(text: &str) -> Option<u32> {
    let rest = text.trim().strip_prefix("wasm-opt version ")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Runs `wasm-opt` again on the finished module: what bindgen added (its externref shims,
/// closure invokers, table helpers) is visible only now. Returns whether it ran; a failure
/// keeps the module as it was, with a note, since that module is already a working bundle.
fn optimise_after_bindgen(tool: &Path, wasm: &Path) -> Result<bool, BuildError> {
    progress(&format!(
        "optimising wasm-bindgen's output with {}",
        tool.display()
    ));
    let optimized = wasm.with_extension("opt.wasm");
    match run_wasm_opt(tool, wasm, &optimized) {
        Ok(()) => {
            std::fs::rename(&optimized, wasm).map_err(|e| io(wasm, e))?;
            Ok(true)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&optimized);
            progress(&format!("{e}; keeping the module as wasm-bindgen wrote it"));
            Ok(false)
        }
    }
}

/// The `inline_js` snippets (`snippets/<crate>/inline<N>.js`) under `dir` that the glue does
/// not import, relative to `dir`.
///
/// wasm-bindgen writes the snippets of every linked crate, used or not (the counter's bundle
/// got rally-view's form reader beside it). Anything left in `snippets/` is published with the
/// bundle (`cargo rally build`), so these go. Only generated `inline<N>.js` files are
/// candidates: a `module = "…"` file may be imported by another one.
fn unimported_inline_snippets(dir: &Path, imported: &[&str]) -> Vec<String> {
    let Ok(crates) = std::fs::read_dir(dir.join("snippets")) else {
        return Vec::new();
    };
    let mut unused = Vec::new();
    for krate in crates.filter_map(Result::ok) {
        let Ok(files) = std::fs::read_dir(krate.path()) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let name = file.file_name().to_string_lossy().into_owned();
            let generated = name
                .strip_prefix("inline")
                .and_then(|n| n.strip_suffix(".js"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let path = format!("snippets/{}/{name}", krate.file_name().to_string_lossy());
            if generated && !imported.contains(&path.as_str()) {
                unused.push(path);
            }
        }
    }
    unused.sort();
    unused
}

/// Where the linker starts the function table: function pointers are this or more.
///
/// The table pruning (`table_gc`) keeps every entry whose index appears as a constant in code
/// or data. From wasm-ld's default of 1, indices are small numbers that lengths, counts and
/// line numbers share, and 20 of the counter's 27 dead closure shims stayed for such a
/// collision. From 1024 up, 3 do (the counter 28,926 → 28,600 B gzip). The table's unused
/// head costs the browser a null entry each, ~20 KB, against the 1 MiB that Rust's data
/// already starts at in linear memory.
pub const TABLE_BASE: u32 = 1024;

/// Which of the optional rewrites [`rewrite_glue`] applies.
#[derive(Clone, Copy)]
struct Rewrite {
    /// Prune the function table ([`table_gc`]) and the glue's imports with it.
    prune: bool,
    /// Rename the imports and minify the glue.
    shorten: bool,
}

/// Applies [`glue`]'s rewrites to the JS and wasm wasm-bindgen wrote; `module` is the name
/// the wasm imports the glue's functions from.
fn rewrite_glue(output: &BuildOutput, module: &str, rewrite: Rewrite) -> Result<(), BuildError> {
    let glue_err = |source| BuildError::Glue {
        path: output.js.clone(),
        source,
    };
    let mut js = std::fs::read_to_string(&output.js).map_err(|e| io(&output.js, e))?;
    let mut wasm = None;
    if rewrite.prune {
        let (pruned_wasm, pruned) =
            table_gc::prune_function_table(&read(&output.wasm)?).map_err(|message| {
                BuildError::PruneTable {
                    path: output.wasm.clone(),
                    message,
                }
            })?;
        let dead: Vec<String> = pruned
            .imports
            .into_iter()
            .filter(|(from, _)| from == module)
            .map(|(_, name)| name)
            .collect();
        js = glue::drop_imports(&js, &dead).map_err(glue_err)?;
        wasm = Some(pruned_wasm);
    }
    if rewrite.shorten {
        let input = match wasm {
            Some(w) => w,
            None => read(&output.wasm)?,
        };
        let (short_wasm, short_js) =
            glue::shorten_import_names(&input, &js, module).map_err(glue_err)?;
        wasm = Some(glue::strip_tool_sections(&short_wasm).map_err(glue_err)?);
        js = short_js;
    }
    let js = glue::read_short_strings_in_js(&js).map_err(glue_err)?;
    let js = if rewrite.shorten {
        let wasm_file = output
            .wasm
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        glue::lean_loader(&js, &wasm_file).map_err(glue_err)?
    } else {
        js
    };
    let dir = output.js.parent().unwrap_or(Path::new("."));
    let (js, mut removed) =
        glue::inline_snippets(&js, |path| std::fs::read_to_string(dir.join(path)).ok());
    // Pasted snippets are no longer imported either: each file once.
    for path in unimported_inline_snippets(dir, &glue::imported_snippets(&js)) {
        if !removed.contains(&path) {
            removed.push(path);
        }
    }
    let js = if rewrite.shorten {
        minify::minify_module(&js).map_err(glue_err)?
    } else {
        js
    };
    std::fs::write(&output.js, js.as_bytes()).map_err(|e| io(&output.js, e))?;
    for path in removed {
        let file = dir.join(&path);
        std::fs::remove_file(&file).map_err(|e| io(&file, e))?;
        // The snippet's directories go too once empty (`remove_dir` keeps a non-empty one).
        let mut parent = file.parent();
        while let Some(d) = parent.filter(|d| *d != dir) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            parent = d.parent();
        }
    }
    if let Some(wasm) = wasm {
        std::fs::write(&output.wasm, wasm).map_err(|e| io(&output.wasm, e))?;
    }
    Ok(())
}

/// wasm-bindgen on `input`, wasm-opt's output; what makes the bundle unusable, if anything.
fn optimised_binding_fault(build: &WasmBuild, input: &Path) -> Result<Option<String>, BuildError> {
    // wasm-bindgen interprets the module's descriptor functions, which a wasm-opt pass run
    // before it can rewrite beyond recognition (it then fails, or panics).
    if let Err(e) = bindgen(build, input) {
        return Ok(Some(format!(
            "wasm-bindgen cannot read the wasm-opt output ({e})"
        )));
    }
    // A bundle whose closures only trap builds and loads, then fails at the first click
    // (docs/adr/0068).
    let bound = build.out_dir.join(format!("{}_bg.wasm", build.out_name));
    let trapping = closure_shims::trapping_closure_shims(&read(&bound)?).map_err(|message| {
        BuildError::CheckClosures {
            path: bound.clone(),
            message,
        }
    })?;
    Ok((!trapping.is_empty()).then(|| {
        format!(
            "wasm-opt made closure entry points trap ({})",
            trapping.join(", ")
        )
    }))
}

/// wasm-bindgen on `input` into the bundle's directory; its panics are errors too.
fn bindgen(build: &WasmBuild, input: &Path) -> Result<(), BuildError> {
    let bindgen_err = |message: String| BuildError::Bindgen {
        path: input.to_path_buf(),
        message,
    };
    let run = || {
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(input)
            .out_name(&build.out_name)
            .web(true)?
            .typescript(false)
            // The library's default is to omit it, which breaks `init()` without arguments.
            .omit_default_module_path(false)
            .debug(build.profile == "dev")
            // Function names are for debugging: 3.5 KB of every optimised bundle (the
            // counter's), shipped to every visitor. Dev builds keep them for stack traces, and
            // `RALLY_WASM_NAMES=1` keeps them in any build, for profiling.
            .remove_name_section(build.profile != "dev" && !keep_names())
            .remove_producers_section(build.profile != "dev")
            .generate(&build.out_dir)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(bindgen_err(e.to_string())),
        Err(panic) => Err(bindgen_err(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "wasm-bindgen panicked".to_owned()),
        )),
    }
}

/// Whether `RALLY_WASM_NAMES` asks for function names in optimised bundles.
fn keep_names() -> bool {
    std::env::var_os("RALLY_WASM_NAMES").is_some_and(|v| v != "0")
}

/// A `--config` value that makes rustc write the cargo registry's source paths relative
/// (`js-sys-0.3.107/src/lib.rs`, not `/home/…/.cargo/registry/src/index.crates.io-…/…`).
///
/// Panic locations name their source file, and the data of a bundle keeps them: the builder's
/// home directory in every bundle, ~0.1 KiB gzip of the counter, and bundles that differ by
/// where they were built. Workspace paths are relative already.
///
/// The flags go into `build.rustflags`, which cargo joins with the user's own `build.rustflags`
/// (with `--target`, they reach only the wasm's crates). A user's
/// `target.wasm32-unknown-unknown.rustflags` or `RUSTFLAGS` takes precedence over
/// `build.rustflags` as a whole: their flags apply and these are dropped, a larger bundle
/// rather than a build that ignores what the user set.
fn remapped_registry_paths() -> Option<String> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    remap_config(&cargo_home)
}

/// [`remapped_registry_paths`] for the cargo home `cargo_home`.
fn remap_config(cargo_home: &Path) -> Option<String> {
    // rustc compares the absolute paths cargo gives it.
    if !cargo_home.is_absolute() {
        return None;
    }
    let sources = std::fs::read_dir(cargo_home.join("registry").join("src")).ok()?;
    let mut flags: Vec<String> = sources
        .filter_map(Result::ok)
        .filter_map(|index| index.path().to_str().map(str::to_owned))
        // A path that would need escaping in TOML is left alone rather than escaped by hand.
        .filter(|path| !path.contains(['"', '\\']) && !path.contains(char::is_control))
        .map(|path| format!("\"--remap-path-prefix={path}/=\""))
        .collect();
    if flags.is_empty() {
        return None;
    }
    flags.sort();
    Some(format!("build.rustflags=[{}]", flags.join(",")))
}

/// `RALLY_PANIC_MESSAGES=1`: panics format their messages for a panic hook (panic_snip).
fn keep_panic_messages() -> bool {
    std::env::var_os("RALLY_PANIC_MESSAGES").is_some_and(|v| v != "0")
}

/// The `wasm-opt` to run: `$WASM_OPT` (`off` for none), else the first on `PATH`.
fn find_wasm_opt() -> Option<PathBuf> {
    match std::env::var_os("WASM_OPT") {
        Some(v) if v == "off" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .map(|d| d.join("wasm-opt"))
                .find(|p| p.is_file())
        }
    }
}

/// What `wasm-opt` runs, in order (docs/adr/0058): `-Oz`, then the control flow flattened and
/// rebuilt by the relooper and `-Oz` twice more over it, which folds what the first round left
/// in shapes it could not merge. `--low-memory-unused` lets it fold constant additions into
/// load and store offsets: Rust's wasm32 layout puts the stack's far end at address 0, which a
/// page reaches only as it overflows its 1 MiB stack.
const WASM_OPT_PASSES: &[&str] = &[
    "-Oz",
    "--low-memory-unused",
    "--flatten",
    "--rereloop",
    "-Oz",
    "-Oz",
];

/// `wasm-opt`'s arguments before the files: the passes, the features, and `-g` when the
/// bundle keeps its function names (`wasm-opt` drops the name section otherwise).
fn wasm_opt_args(keep_names: bool) -> impl Iterator<Item = &'static str> {
    // Old Binaryen does not read rustc's feature section reliably; name the features rustc uses.
    let features = [
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ];
    WASM_OPT_PASSES
        .iter()
        .copied()
        .chain(features)
        .chain(keep_names.then_some("-g"))
}

fn run_wasm_opt(tool: &Path, input: &Path, output: &Path) -> Result<(), BuildError> {
    let out = Command::new(tool)
        .args(wasm_opt_args(keep_names()))
        .arg(input)
        .arg("-o")
        .arg(output)
        .output()
        .map_err(|e| BuildError::WasmOpt {
            path: input.to_path_buf(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(BuildError::WasmOpt {
            path: input.to_path_buf(),
            message,
        });
    }
    Ok(())
}

struct Metadata {
    target_directory: PathBuf,
    packages: Vec<(String, Option<String>)>,
    wasm_bindgen_version: Option<String>,
}

impl Metadata {
    fn read(workspace: &Path) -> Result<Self, BuildError> {
        let mut command = cargo_metadata::MetadataCommand::new();
        command.current_dir(workspace);
        if let Some(cargo) = std::env::var_os("CARGO") {
            command.cargo_path(cargo);
        }
        let metadata = command.exec().map_err(|e| match e {
            cargo_metadata::Error::Io(io) => BuildError::CargoNotFound(io),
            cargo_metadata::Error::CargoMetadata { stderr } => {
                BuildError::Metadata(stderr.trim().to_string())
            }
            other => BuildError::Metadata(other.to_string()),
        })?;
        let wasm_bindgen_version = metadata
            .packages
            .iter()
            .find(|p| p.name.as_str() == "wasm-bindgen")
            .map(|p| p.version.to_string());
        let packages = metadata
            .workspace_packages()
            .into_iter()
            .map(|pkg| {
                let lib = pkg.targets.iter().find(|t| {
                    t.kind.iter().any(|k| {
                        matches!(
                            k,
                            cargo_metadata::TargetKind::CDyLib | cargo_metadata::TargetKind::Lib
                        )
                    })
                });
                let lib_name = lib.map(|t| t.name.replace('-', "_"));
                (pkg.name.to_string(), lib_name)
            })
            .collect();
        Ok(Metadata {
            target_directory: metadata.target_directory.into_std_path_buf(),
            packages,
            wasm_bindgen_version,
        })
    }

    fn lib_name(&self, package: &str) -> Option<String> {
        self.packages
            .iter()
            .find(|(n, _)| n == package)
            .and_then(|(_, lib)| lib.clone())
    }
}

fn progress(step: &str) {
    eprintln!("   rally-build {step}");
}

fn read(path: &Path) -> Result<Vec<u8>, BuildError> {
    std::fs::read(path).map_err(|e| io(path, e))
}

fn io(path: &Path, source: std::io::Error) -> BuildError {
    BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Sizes of a file and of the copies [`precompress`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precompressed {
    /// The file itself.
    pub raw: usize,
    /// `<file>.br`: brotli at quality 11.
    pub br: usize,
    /// `<file>.gz`: gzip written by zopfli.
    pub gzip: usize,
}

/// Writes `<path>.br` (brotli, quality 11, 4 MiB window) and `<path>.gz` beside `path`, for the
/// server to send as they are (`rally::server::StaticFiles`): compressing once at the highest
/// levels here costs a few seconds per release bundle, where compressing on every request would
/// cost the server CPU each time. The `.gz` is zopfli's: a gzip stream any browser reads, ~5 %
/// smaller than zlib's level 9 for wasm (docs/adr/0053).
pub fn precompress(path: &Path) -> Result<Precompressed, BuildError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut br = Vec::with_capacity(bytes.len() / 3);
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params).map_err(|e| io(path, e))?;
    let mut gzip = Vec::with_capacity(bytes.len() / 3);
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        &bytes[..],
        &mut gzip,
    )
    .map_err(|e| io(path, e))?;
    let sibling = |ext: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(ext);
        std::path::PathBuf::from(name)
    };
    for (ext, data) in [(".br", &br), (".gz", &gzip)] {
        let out = sibling(ext);
        std::fs::write(&out, data).map_err(|e| io(&out, e))?;
    }
    Ok(Precompressed {
        raw: bytes.len(),
        br: br.len(),
        gzip: gzip.len(),
    })
}

/// Length of `bytes` after gzip at level 9.
pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_sources_are_remapped_to_relative_paths() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(remap_config(home.path()), None, "no registry yet");
        assert_eq!(remap_config(Path::new("relative/.cargo")), None);
        let src = home.path().join("registry").join("src");
        for index in ["index.crates.io-1949cf8c6b5b557f", "mirror.example-0123"] {
            std::fs::create_dir_all(src.join(index)).unwrap();
        }
        let src = src.display();
        assert_eq!(
            remap_config(home.path()).as_deref(),
            Some(
                format!(
                    "build.rustflags=[\"--remap-path-prefix={src}/index.crates.io-1949cf8c6b5b557f/=\",\"--remap-path-prefix={src}/mirror.example-0123/=\"]"
                )
                .as_str()
            )
        );
    }

    #[test]
    fn wasm_opt_keeps_function_names_only_when_asked() {
        let with: Vec<_> = wasm_opt_args(true).collect();
        let without: Vec<_> = wasm_opt_args(false).collect();
        assert!(with.contains(&"-g"), "{with:?}");
        assert!(!without.contains(&"-g"), "{without:?}");
        assert!(with.starts_with(WASM_OPT_PASSES), "{with:?}");
        assert_eq!(with.len(), without.len() + 1);
    }

    #[test]
    fn binaryen_versions_are_read_from_what_wasm_opt_prints() {
        assert_eq!(parse_binaryen_version("wasm-opt version 108\n"), Some(108));
        assert_eq!(
            parse_binaryen_version("wasm-opt version 132 (version_132)\n"),
            Some(132)
        );
        assert_eq!(
            parse_binaryen_version("wasm-opt version 116-dev"),
            Some(116)
        );
        assert_eq!(parse_binaryen_version("error: unknown option"), None);
        assert_eq!(parse_binaryen_version(""), None);
    }

    #[cfg(unix)]
    #[test]
    fn only_a_binaryen_that_keeps_the_externref_export_runs_after_bindgen() {
        // A stand-in wasm-opt that prints a version, as Debian's 108 and npm's 132 do.
        let dir = tempfile::tempdir().unwrap();
        let tool = |version: u32| {
            let path = dir.path().join(format!("wasm-opt-{version}"));
            std::fs::write(
                &path,
                format!("#!/bin/sh\necho 'wasm-opt version {version} (version_{version})'\n"),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        };
        assert!(!runs_after_bindgen(&tool(108)));
        assert!(runs_after_bindgen(&tool(POST_BINDGEN_BINARYEN)));
        assert!(runs_after_bindgen(&tool(132)));
        assert!(!runs_after_bindgen(&dir.path().join("missing")));
    }

    #[test]
    fn precompress_writes_brotli_and_gzip_copies_that_decode_to_the_file() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.js");
        let js = "export function init() { return 42; }\n".repeat(200);
        std::fs::write(&path, &js).unwrap();
        let sizes = precompress(&path).unwrap();
        assert_eq!(sizes.raw, js.len());
        let br = std::fs::read(dir.path().join("app.js.br")).unwrap();
        let gz = std::fs::read(dir.path().join("app.js.gz")).unwrap();
        assert_eq!((sizes.br, sizes.gzip), (br.len(), gz.len()));
        assert!(br.len() < js.len() / 10 && gz.len() < js.len() / 10);
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, js.as_bytes());
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, js);
    }

    #[test]
    fn generated_snippets_the_glue_does_not_import_are_found() {
        let dir = tempfile::tempdir().unwrap();
        for path in [
            "snippets/rally-view-1/inline0.js",
            "snippets/rally-view-1/inline1.js",
            "snippets/app-2/inline0.js",
            "snippets/app-2/js/interop.js",
            "snippets/app-2/inlineX.js",
        ] {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, "export function f() {}\n").unwrap();
        }
        let imported = ["snippets/rally-view-1/inline1.js"];
        assert_eq!(
            unimported_inline_snippets(dir.path(), &imported),
            [
                "snippets/app-2/inline0.js",
                "snippets/rally-view-1/inline0.js"
            ]
        );
        assert!(unimported_inline_snippets(&dir.path().join("none"), &imported).is_empty());
    }

    #[test]
    fn the_gzip_copy_is_smaller_than_zlib_at_its_best_level() {
        // Varied text, as a bundle is: a repeated line compresses to almost nothing either way.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.js");
        let js: String = (0..3000u32)
            .map(|i| {
                format!(
                    "function f{i}(a){{return a*{}+{};}}\n",
                    i * 7919 % 1013,
                    i % 97
                )
            })
            .collect();
        std::fs::write(&path, &js).unwrap();
        let sizes = precompress(&path).unwrap();
        let zlib_best = gzip_len(js.as_bytes());
        assert!(
            sizes.gzip < zlib_best,
            "zopfli {} B, zlib level 9 {zlib_best} B",
            sizes.gzip
        );
        assert!(sizes.br < sizes.gzip);
    }

    #[test]
    fn a_module_wasm_bindgen_cannot_read_is_an_error_naming_it_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("rally-build-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("broken.wasm");
        // A valid header and a truncated section: what a mangled module looks like.
        std::fs::write(&input, b"\0asm\x01\0\0\0\x01\x05\x01").unwrap();
        let build = WasmBuild {
            workspace: dir.clone(),
            package: "broken".into(),
            features: Vec::new(),
            profile: "wasm-release".into(),
            out_dir: dir.join("out"),
            out_name: "app".into(),
            wasm_opt: WasmOpt::Off,
        };
        match bindgen(&build, &input) {
            Err(BuildError::Bindgen { path, message }) => {
                assert_eq!(path, input);
                assert!(!message.is_empty());
            }
            other => panic!("expected a wasm-bindgen error, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
