//! Sets the cfgs of code a browser bundle carries only when asked for, and natively always:
//! `rally_templates` where `view!` compiles templates (the server renders their markup; in
//! the browser with the `dom-templates` feature, docs/adr/0046), and `rally_lists` where
//! keyed lists can be diffed (in the browser with the `lists` feature, docs/adr/0049), and
//! `rally_lazy_lists` where lazy keyed lists can (with `lazy-lists`, docs/adr/0064).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rally_templates)");
    println!("cargo::rustc-check-cfg=cfg(rally_lists)");
    println!("cargo::rustc-check-cfg=cfg(rally_lazy_lists)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if !wasm || std::env::var_os("CARGO_FEATURE_DOM_TEMPLATES").is_some() {
        println!("cargo::rustc-cfg=rally_templates");
    }
    if !wasm || std::env::var_os("CARGO_FEATURE_LISTS").is_some() {
        println!("cargo::rustc-cfg=rally_lists");
    }
    if !wasm || std::env::var_os("CARGO_FEATURE_LAZY_LISTS").is_some() {
        println!("cargo::rustc-cfg=rally_lazy_lists");
    }
}
