//! Sets `rally_templates` where `view!` compiles templates: natively always (the server
//! renders their markup), in the browser with the `dom-templates` feature (docs/adr/0046).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rally_templates)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if !wasm || std::env::var_os("CARGO_FEATURE_DOM_TEMPLATES").is_some() {
        println!("cargo::rustc-cfg=rally_templates");
    }
}
