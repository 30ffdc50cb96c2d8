//! `rally-build <package> <out_dir> [--name NAME] [--features F,..] [--profile P] [--no-wasm-opt]
//! [--precompress]`
//!
//! Builds a browser bundle and prints its sizes; with `--precompress`, also writes the `.br` and
//! `.gz` copies a release server sends (as `cargo rally build --release` does) and their sizes.

use std::path::PathBuf;
use std::process::ExitCode;

use rally_build::{WasmBuild, WasmOpt, build_wasm};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let usage = "usage: rally-build <package> <out_dir> [--name NAME] [--features F,..] [--profile P] [--no-wasm-opt] [--precompress]";
    let mut precompress = false;
    let mut args = std::env::args().skip(1);
    let package = args.next().ok_or(usage)?;
    let out_dir = PathBuf::from(args.next().ok_or(usage)?);
    let mut build = WasmBuild {
        workspace: std::env::current_dir().map_err(|e| e.to_string())?,
        out_name: package.replace('-', "_"),
        package,
        features: Vec::new(),
        profile: "wasm-release".into(),
        out_dir,
        wasm_opt: WasmOpt::IfAvailable,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--name" => build.out_name = args.next().ok_or(usage)?,
            "--features" => {
                build.features = args
                    .next()
                    .ok_or(usage)?
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "--profile" => build.profile = args.next().ok_or(usage)?,
            "--no-wasm-opt" => build.wasm_opt = WasmOpt::Off,
            "--precompress" => precompress = true,
            other => return Err(format!("unknown argument {other:?}\n{usage}")),
        }
    }
    let output = build_wasm(&build).map_err(|e| e.to_string())?;
    let sizes = output.sizes().map_err(|e| e.to_string())?;
    println!(
        "built {} ({} B, {} B gzip) and {} ({} B, {} B gzip); wasm-opt {}; total gzip {} B = {:.1} KiB",
        output.js.display(),
        sizes.js_raw,
        sizes.js_gzip,
        output.wasm.display(),
        sizes.wasm_raw,
        sizes.wasm_gzip,
        match (output.wasm_opt_ran, output.wasm_opt_after_bindgen) {
            (true, true) => "ran before and after wasm-bindgen",
            (true, false) => "ran",
            (false, _) => "skipped",
        },
        sizes.total_gzip(),
        sizes.total_gzip() as f64 / 1024.0
    );
    if precompress {
        let js = rally_build::precompress(&output.js).map_err(|e| e.to_string())?;
        let wasm = rally_build::precompress(&output.wasm).map_err(|e| e.to_string())?;
        println!(
            "served: gzip (zopfli) {} + {} = {} B = {:.1} KiB; brotli {} + {} = {} B = {:.1} KiB",
            js.gzip,
            wasm.gzip,
            js.gzip + wasm.gzip,
            (js.gzip + wasm.gzip) as f64 / 1024.0,
            js.br,
            wasm.br,
            js.br + wasm.br,
            (js.br + wasm.br) as f64 / 1024.0
        );
    }
    Ok(())
}
