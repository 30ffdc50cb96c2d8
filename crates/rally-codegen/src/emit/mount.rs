//! One mount's glue: the `Page` and `Msg` enums over its pages and the `Mount` / `ServerMount`
//! implementations the runtime drives, plus the browser entry point.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::{ident, page_path, pascal};
use crate::Route;
use crate::page::Page;

/// A route and the page it shows.
pub struct Entry<'a> {
    /// The route.
    pub route: &'a Route,
    /// The page module's contract.
    pub page: &'a Page,
}

impl Entry<'_> {
    /// The module that owns the route's load: the page, or for an alias page the page it
    /// aliases.
    fn load_owner(&self) -> TokenStream {
        page_path(
            &self.page.mount,
            self.page.alias_of.as_ref().unwrap_or(&self.page.module),
        )
    }

    /// The load owner's name on the wire.
    fn load_wire_name(&self) -> String {
        let module = self.page.alias_of.as_ref().unwrap_or(&self.page.module);
        format!("{}/pages/{}", self.page.mount, module.join("/"))
    }
}

/// What the app around a mount defines, which changes the mount's glue.
#[derive(Debug, Clone, Copy)]
pub struct MountParts {
    /// The mount module defines `shell`.
    pub shell: bool,
    /// The app defines `src/context.rs`: pages receive `crate::context::Context`.
    pub context: bool,
}

/// The type pages receive as their context.
pub fn context_type(context: bool) -> TokenStream {
    if context {
        quote!(crate::context::Context)
    } else {
        quote!(rally::glue::Db)
    }
}

/// `save_state`/`restore_state` for the pages whose model is serde, so `cargo rally dev` keeps
/// their state across a rebuild; nothing (the defaults: no state) when no page's model is.
fn dev_state(entries: &[Entry<'_>]) -> Option<TokenStream> {
    let stateful: Vec<_> = entries
        .iter()
        .filter_map(|e| {
            let fingerprint = e.page.state.as_ref()?;
            Some((
                ident(&e.route.variant),
                route_pattern(e),
                format!("{}@{fingerprint}", e.page.wire_name()),
            ))
        })
        .collect();
    if stateful.is_empty() {
        return None;
    }
    let saves = stateful
        .iter()
        .map(|(v, _, key)| quote!(Page::#v(m) => Some((#key.to_owned(), rally::glue::encode(m))),));
    let restores = stateful.iter().map(|(v, pattern, key)| {
        quote!(#pattern if key == #key => rally::glue::decode_from_server(bytes).ok().map(Page::#v),)
    });
    Some(quote! {
        fn save_state(page: &Page) -> Option<(String, Vec<u8>)> {
            match page {
                #(#saves)*
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }

        fn restore_state(route: &Route, key: &str, bytes: &[u8]) -> Option<Page> {
            match route {
                #(#restores)*
                _ => None,
            }
        }
    })
}

/// The generated `src/generated/rally/<mount>.rs`.
pub fn mount(mount: &str, prefix: &str, entries: &[Entry<'_>], parts: MountParts) -> TokenStream {
    let MountParts { shell, context } = parts;
    let context = context_type(context);
    let mount_ty = ident(&pascal(mount));
    let mount_mod = ident(mount);
    let feature = format!("mount-{mount}");
    let variants: Vec<_> = entries.iter().map(|e| ident(&e.route.variant)).collect();
    let paths: Vec<_> = entries
        .iter()
        .map(|e| page_path(mount, &e.page.module))
        .collect();
    let inits = entries.iter().map(init_call);
    let init = entries.iter().any(|e| e.page.init).then(|| {
        let starts = entries.iter().map(start_call);
        quote! {
            fn init(shared: &Self::Shared, route: &Route, query: &QueryParams) -> (Page, Effect<Msg>) {
                match route { #(#starts)* }
            }
        }
    });
    let updates = entries.iter().map(|e| {
        let v = ident(&e.route.variant);
        let p = page_path(mount, &e.page.module);
        if e.page.update_shared {
            quote!((Page::#v(m), Msg::#v(msg)) => #p::update(shared, m, msg).map(Msg::#v),)
        } else {
            quote!((Page::#v(m), Msg::#v(msg)) => #p::update(m, msg).map(Msg::#v),)
        }
    });
    let any_shared_update = entries.iter().any(|e| e.page.update_shared);
    let shared_arg = if any_shared_update {
        quote!(shared)
    } else {
        quote!(_shared)
    };
    let head = entries.iter().any(|e| e.page.head).then(|| {
        let arms = entries.iter().map(|e| {
            let v = ident(&e.route.variant);
            let p = page_path(mount, &e.page.module);
            if e.page.head {
                quote!(Page::#v(m) => #p::head(m),)
            } else {
                quote!(Page::#v(_) => rally::glue::Head::default(),)
            }
        });
        quote! {
            fn head(page: &Page) -> rally::glue::Head {
                match page { #(#arms)* }
            }
        }
    });
    let state = dev_state(entries);
    let authorize = entries
        .iter()
        .any(|e| e.page.access.is_restricted())
        .then(|| {
            let arms = entries.iter().map(|e| authorize_arm(mount, e));
            quote! {
                fn authorize(
                    ctx: &#context,
                    caller: &rally::glue::Caller<'_>,
                    route: &Route,
                ) -> Result<(), rally::glue::Denied> {
                    // Only pages with an `authorize` predicate read the context.
                    let _ = ctx;
                    match route { #(#arms)* }
                }
            }
        });
    let loads = entries.iter().map(|e| load_effect(mount, e));
    let hydrates = entries.iter().map(hydrate_arm);
    let subscriptions = entries.iter().map(|e| subscriptions_arm(mount, e));
    let any_broadcast = entries.iter().any(|e| e.page.apply_broadcast);
    let apply = entries.iter().map(|e| {
        let v = ident(&e.route.variant);
        let p = page_path(mount, &e.page.module);
        if e.page.apply_broadcast {
            quote!(Page::#v(m) => #p::apply_broadcast(m, &event).map(Msg::#v),)
        } else {
            quote!(Page::#v(_) => Effect::none(),)
        }
    });
    let apply_body = if any_broadcast {
        quote! {
            let Ok(event) = rally::glue::decode_from_server::<crate::broadcasts::Event>(event) else {
                return Effect::none();
            };
            match page { #(#apply)* }
        }
    } else {
        quote! { let _ = (page, event); Effect::none() }
    };
    let navigation = navigation(mount, entries);
    let server_loads = entries.iter().map(|e| server_load(mount, e));
    let save_pages: Vec<TokenStream> = entries
        .iter()
        .filter(|e| e.page.server.as_ref().is_some_and(|s| s.save_ok.is_some()))
        .map(|e| {
            let pat = route_pattern(e);
            let wire = e.page.wire_name();
            quote!(#pat => Some(#wire),)
        })
        .collect();
    let save_page = (!save_pages.is_empty()).then(|| {
        quote! {
            fn save_page(route: &Route) -> Option<&'static str> {
                match route {
                    #(#save_pages)*
                    _ => None,
                }
            }
        }
    });
    let not_found = entries
        .iter()
        .find(|e| e.route.not_found)
        .map(|e| ident(&e.route.variant))
        .unwrap_or_else(|| ident("NotFound"));
    let doc = format!("The `{mount}` mount: its pages as one state and one message type.");
    let shell = shell.then(|| {
        quote! {
            fn shell<M: Clone + 'static>(
                shared: &Self::Shared,
                chrome: &rally::glue::Chrome<M>,
                content: Element<M>,
            ) -> Element<M> {
                crate::#mount_mod::shell(shared, chrome, content)
            }
        }
    });
    quote! {
        #![doc = #doc]
        use rally::glue::{Effect, Element, LoadError, Mount, QueryParams};

        use crate::generated::routes::#mount_mod::Route;

        /// The active page's state.
        pub enum Page { #(#variants(#paths::Model),)* }

        /// A message for one of the mount's pages.
        #[derive(Clone)]
        pub enum Msg { #(#variants(#paths::Message),)* }

        /// The mount, as the runtime drives it.
        pub struct #mount_ty;

        impl Mount for #mount_ty {
            type Route = Route;
            type Shared = crate::#mount_mod::SharedState;
            type Page = Page;
            type Msg = Msg;

            const NAME: &'static str = #mount;
            const PREFIX: &'static str = #prefix;

            fn parse(path: &str) -> Route { Route::parse(path) }

            fn path(route: &Route) -> String { route.to_path() }

            fn is_not_found(route: &Route) -> bool { matches!(route, Route::#not_found) }

            fn initial_model(shared: &Self::Shared, route: &Route, query: &QueryParams) -> Page {
                match route { #(#inits)* }
            }

            #init

            fn update(#shared_arg: &Self::Shared, page: &mut Page, msg: Msg) -> Effect<Msg> {
                match (page, msg) {
                    #(#updates)*
                    // A late message for a page that is no longer active.
                    #[allow(unreachable_patterns)]
                    _ => Effect::none(),
                }
            }

            fn view(page: &Page) -> Element<Msg> {
                match page { #(Page::#variants(m) => #paths::view(m).map(Msg::#variants),)* }
            }

            fn with_view<V: rally::glue::PageView<Msg>>(page: &Page, visitor: V) -> V::Output {
                match page { #(Page::#variants(m) => visitor.page(#paths::view(m), Msg::#variants),)* }
            }

            #head

            #shell

            #state

            fn load(route: &Route) -> Option<Effect<Msg>> {
                match route { #(#loads)* }
            }

            fn hydrate(route: &Route, load: &[u8]) -> Option<Msg> {
                match route { #(#hydrates)* }
            }

            fn subscriptions(route: &Route, page: &Page) -> Vec<String> {
                match (route, page) {
                    #(#subscriptions)*
                    // The page is always the route's; this arm is never taken.
                    #[allow(unreachable_patterns)]
                    _ => Vec::new(),
                }
            }

            fn apply_broadcast(page: &mut Page, event: &[u8]) -> Effect<Msg> {
                #apply_body
            }

            fn navigation(msg: &Msg) -> Option<String> {
                #navigation
            }
        }

        #[cfg(feature = "server")]
        impl rally::glue::ServerMount for #mount_ty {
            type Context = #context;

            #authorize

            #save_page

            fn load_data(
                ctx: &#context,
                caller: &rally::glue::Caller<'_>,
                route: &Route,
            ) -> Option<rally::glue::Loaded<Msg>> {
                let _ = caller;
                match route { #(#server_loads)* }
            }
        }

        /// Browser entry point of the mount's bundle (built with feature `mount-…`).
        #[cfg(all(target_arch = "wasm32", feature = #feature))]
        #[wasm_bindgen::prelude::wasm_bindgen(start)]
        pub fn start() {
            rally::glue::start::<#mount_ty>(super::contract::CONTRACT);
        }
    }
}

/// Route parameter types that are `Copy` (bound by reference in a `match`, passed by value),
/// by the same rule the route generator uses for its path helpers.
pub(crate) fn is_copy(ty: &str) -> bool {
    rally_routes::codegen::ParamType::new(ty).is_some_and(|t| t.is_copy())
}

/// An owned copy of a field bound by reference: `*id` for integers, `slug.clone()` otherwise.
fn owned(name: &str, ty: &str) -> TokenStream {
    let n = ident(name);
    if is_copy(ty) {
        quote!(*#n)
    } else {
        quote!(#n.clone())
    }
}

fn route_pattern(e: &Entry<'_>) -> TokenStream {
    let v = ident(&e.route.variant);
    if e.route.params.is_empty() {
        quote!(Route::#v)
    } else {
        quote!(Route::#v { .. })
    }
}

fn params_binding(e: &Entry<'_>) -> TokenStream {
    let v = ident(&e.route.variant);
    if e.route.params.is_empty() {
        quote!(Route::#v)
    } else {
        let names = e.route.params.iter().map(|(n, _)| ident(n));
        quote!(Route::#v { #(#names),* })
    }
}

/// The route's params as the page's `…Params` struct.
fn params_value(e: &Entry<'_>) -> TokenStream {
    let params_ty = ident(&format!("{}Params", e.route.variant));
    let names: Vec<_> = e.route.params.iter().map(|(n, _)| ident(n)).collect();
    let values = e.route.params.iter().map(|(n, ty)| owned(n, ty));
    let mount_mod = ident(&e.page.mount);
    quote!(crate::generated::routes::#mount_mod::#params_ty { #(#names: #values),* })
}

/// The browser's start of a route's page: its `init`, or `initial_model` and no effect.
fn start_call(e: &Entry<'_>) -> TokenStream {
    let v = ident(&e.route.variant);
    let p = page_path(&e.page.mount, &e.page.module);
    let pat = params_binding(e);
    let args = if e.page.init_args == 3 {
        let params = params_value(e);
        quote!(shared, &#params, query)
    } else {
        quote!(shared, query)
    };
    if e.page.init {
        quote! {
            #pat => {
                let (model, effect) = #p::init(#args);
                (Page::#v(model), effect.map(Msg::#v))
            }
        }
    } else {
        quote!(#pat => (Page::#v(#p::initial_model(#args)), Effect::none()),)
    }
}

/// The page's access rule for a route: its `ACCESS` (else public) and its `authorize`, with
/// the route's params when it takes them.
fn authorize_arm(mount: &str, e: &Entry<'_>) -> TokenStream {
    let access = &e.page.access;
    if !access.is_restricted() {
        let pat = route_pattern(e);
        return quote!(#pat => Ok(()),);
    }
    let owner = page_path(mount, access_owner(e));
    let constant = access_constant(access, &owner);
    match access.authorize {
        None => {
            let pat = route_pattern(e);
            quote!(#pat => rally::glue::allow(#constant, caller, None),)
        }
        Some(3) => {
            let pat = params_binding(e);
            let params = params_value(e);
            quote! {
                #pat => {
                    let params = #params;
                    rally::glue::allow(#constant, caller, Some(&|user| #owner::authorize(ctx, user, &params)))
                }
            }
        }
        Some(_) => {
            let pat = route_pattern(e);
            quote!(#pat => rally::glue::allow(#constant, caller, Some(&|user| #owner::authorize(ctx, user))),)
        }
    }
}

/// The `Access` a page's rule starts from: its `ACCESS` (in module `owner`), else public.
pub(super) fn access_constant(access: &crate::page::Access, owner: &TokenStream) -> TokenStream {
    if access.constant {
        quote!(#owner::ACCESS)
    } else {
        quote!(rally::glue::Access::Public)
    }
}

/// The module whose `ACCESS`/`authorize` rule a route follows: the page's own, or for an
/// alias page without one, the aliased page's.
pub fn access_owner<'a>(e: &'a Entry<'_>) -> &'a [String] {
    e.page.access_from.as_deref().unwrap_or(&e.page.module)
}

fn init_call(e: &Entry<'_>) -> TokenStream {
    let v = ident(&e.route.variant);
    let p = page_path(&e.page.mount, &e.page.module);
    let pat = params_binding(e);
    if e.page.init_args == 3 {
        let params_ty = ident(&format!("{}Params", e.route.variant));
        let names: Vec<_> = e.route.params.iter().map(|(n, _)| ident(n)).collect();
        let values = e.route.params.iter().map(|(n, ty)| owned(n, ty));
        let mount_mod = ident(&e.page.mount);
        quote!(#pat => Page::#v(#p::initial_model(shared, &crate::generated::routes::#mount_mod::#params_ty { #(#names: #values),* }, query)),)
    } else {
        quote!(#pat => Page::#v(#p::initial_model(shared, query)),)
    }
}

/// The `ServerMsg::Load` value for a route, from its params.
fn load_message(e: &Entry<'_>) -> Option<TokenStream> {
    let server = e.page.server.as_ref()?;
    let fields = server.load.as_ref()?;
    let p = e.load_owner();
    if server.load_is_unit {
        return Some(quote!(#p::ServerMsg::Load));
    }
    let names = fields.iter().map(|(n, _)| ident(n));
    let values = fields
        .iter()
        .map(|(n, ty)| owned(n, &ty.to_token_stream().to_string()));
    Some(quote!(#p::ServerMsg::Load { #(#names: #values),* }))
}

fn load_effect(mount: &str, e: &Entry<'_>) -> TokenStream {
    let pat = params_binding(e);
    let v = ident(&e.route.variant);
    match load_message(e) {
        Some(message) => {
            let _ = mount;
            let p = e.load_owner();
            let wire = e.load_wire_name();
            quote! {
                #[allow(unused_variables)]
                #pat => Some(rally::glue::load(#wire, &#message, |r: Result<#p::LoadResult, _>| {
                    Msg::#v(#p::Message::Loaded(r.map_err(LoadError::from_api)))
                })),
            }
        }
        None => quote!(#[allow(unused_variables)] #pat => None,),
    }
}

fn hydrate_arm(e: &Entry<'_>) -> TokenStream {
    let pat = route_pattern(e);
    let v = ident(&e.route.variant);
    let has_load = e.page.server.as_ref().is_some_and(|s| s.load.is_some());
    if has_load {
        let p = e.load_owner();
        quote! {
            #pat => rally::glue::decode_from_server::<Result<#p::LoadResult, LoadError>>(load)
                .ok()
                .map(|r| Msg::#v(#p::Message::Loaded(r))),
        }
    } else {
        quote!(#pat => { let _ = load; None })
    }
}

fn server_load(mount: &str, e: &Entry<'_>) -> TokenStream {
    let pat = params_binding(e);
    let v = ident(&e.route.variant);
    let Some(fields) = e.page.server.as_ref().and_then(|s| s.load.as_ref()) else {
        return quote!(#[allow(unused_variables)] #pat => None,);
    };
    let _ = mount;
    let p = e.load_owner();
    let args = fields
        .iter()
        .map(|(n, ty)| owned(n, &ty.to_token_stream().to_string()));
    let caller = e
        .page
        .server
        .as_ref()
        .is_some_and(|s| s.load_caller)
        .then(|| quote!(caller,));
    quote! {
        #pat => Some(rally::glue::Loaded::new(#p::load(ctx, #caller #(#args),*), |r| Msg::#v(#p::Message::Loaded(r)))),
    }
}

/// The route's topics: from the model, or on a dynamic route from its params and the model.
fn subscriptions_arm(mount: &str, e: &Entry<'_>) -> TokenStream {
    let v = ident(&e.route.variant);
    let p = page_path(mount, &e.page.module);
    let to_names = quote!(.iter().map(rally::glue::Topic::name).collect());
    match e.page.subscription_args {
        0 => quote!((_, Page::#v(_)) => Vec::new(),),
        2 if !e.route.params.is_empty() => {
            let pat = params_binding(e);
            let params_ty = ident(&format!("{}Params", e.route.variant));
            let names: Vec<_> = e.route.params.iter().map(|(n, _)| ident(n)).collect();
            let values = e.route.params.iter().map(|(n, ty)| owned(n, ty));
            let mount_mod = ident(mount);
            quote! {
                (#pat, Page::#v(m)) => {
                    let params = crate::generated::routes::#mount_mod::#params_ty { #(#names: #values),* };
                    #p::broadcast_subscriptions(&params, m) #to_names
                }
            }
        }
        _ => quote!((_, Page::#v(m)) => #p::broadcast_subscriptions(m) #to_names,),
    }
}

/// `Navigate<T>` messages: the target page is the dynamic route whose last static segment,
/// singular and PascalCased, is `T` (`games/id_` ← `NavigateGame { id }`).
fn navigation(mount: &str, entries: &[Entry<'_>]) -> TokenStream {
    let mut arms = Vec::new();
    for e in entries {
        for (variant, fields) in &e.page.navigations {
            let target_name = &variant["Navigate".len()..];
            let Some(target) = entries.iter().find(|t| {
                !t.route.params.is_empty() && t.route.nav_names.iter().any(|n| n == target_name)
            }) else {
                continue;
            };
            let v = ident(&e.route.variant);
            let p = page_path(mount, e.page.alias_of.as_ref().unwrap_or(&e.page.module));
            let nv = ident(variant);
            let names: Vec<_> = fields.iter().map(|(n, _)| ident(n)).collect();
            let helper = ident(&format!("{}_path", target.route.helper));
            // Path helpers take `String` params as `&str`, integers by value, others by `&T`.
            let args = target.route.params.iter().map(|(n, ty)| {
                let n = ident(n);
                if is_copy(ty) { quote!(*#n) } else { quote!(#n) }
            });
            let mount_mod = ident(mount);
            arms.push(quote! {
                Msg::#v(#p::Message::#nv { #(#names),* }) => Some(crate::generated::routes::#mount_mod::#helper(#(#args),*)),
            });
        }
    }
    if arms.is_empty() {
        quote! { let _ = msg; None }
    } else {
        quote! { match msg { #(#arms)* _ => None } }
    }
}
