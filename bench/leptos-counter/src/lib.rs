//! The Leptos 0.8 peer of `examples/counter`: the same markup (`div > button#dec, span#count,
//! button#inc`) and the same two messages, written as Leptos users write it. Built for the
//! browser by `bench/bundles/run.sh` with `rally-build` (same profile, wasm-bindgen and wasm-opt
//! as Rally's counter), in two variants:
//!
//! - feature `csr`: `mount_to_body`, the count starts at 0 in the browser;
//! - feature `hydrate`: `hydrate_body` over the server-rendered counter, whose initial model the
//!   server hands over in a [`SharedValue`] (serialised with serde, as Rally's payload is), the
//!   Leptos equivalent of Rally's `boot` reading the page's payload.

use leptos::prelude::*;
use leptos::server::SharedValue;
use serde::{Deserialize, Serialize};

/// The count, as the server sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The current count.
    pub count: i64,
}

/// The counter, starting at `initial`.
#[component]
pub fn Counter(initial: i64) -> impl IntoView {
    let count = RwSignal::new(initial);
    view! {
        <div>
            <button id="dec" on:click=move |_| *count.write() -= 1>"−"</button>
            <span id="count">{count}</span>
            <button id="inc" on:click=move |_| *count.write() += 1>"+"</button>
        </div>
    }
}

/// The hydrating page: the initial model comes from the server (on the server, `model` is
/// called and its result serialised into the page; in the browser, it is read back).
#[component]
pub fn HydratedCounter(model: fn() -> Model) -> impl IntoView {
    let model = SharedValue::new(model).into_inner();
    view! { <Counter initial=model.count /> }
}

/// Browser entry of the `csr` variant.
#[cfg(all(target_arch = "wasm32", feature = "csr", not(feature = "hydrate")))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(|| view! { <Counter initial=0 /> });
}

/// Browser entry of the `hydrate` variant.
#[cfg(all(target_arch = "wasm32", feature = "hydrate"))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::hydrate_body(|| view! { <HydratedCounter model=Model::default /> });
}
