//! The browser lifecycle of a mount: hydrate the server's page with its embedded load result
//! (no request), go live over the WebSocket, keep the topic set in step with the page, hand
//! pushes to the page, re-load after a reconnect, and navigate between the mount's pages
//! without reloading the document (links, back/forward, `Navigate…` messages).
//!
//! Every navigation starts a new *visit*. A load's answer carries the visit it was asked for,
//! and an answer for an earlier visit is dropped: a slow load for `/games/1` that arrives
//! after the tab moved on to `/games/2` would otherwise fill the new page (same page type,
//! other params) with the wrong game.

use std::marker::PhantomData;

use rally_view::{App, Effect, Element};
use rally_wire::Fingerprint;
use wasm_bindgen::prelude::*;

use super::{document_js, live, read_payload, report_error};
use crate::mount::{Hydration, Mount};
use crate::routes::QueryParams;
use crate::shell::{Chrome, dark_mode_cookie, theme_choice_from_cookies, theme_name};

/// The mount's state: the active route and page, the shared state, and the shell's theme.
pub struct MountModel<M: Mount> {
    route: M::Route,
    /// The path and query the page shows.
    location: String,
    page: M::Page,
    shared: M::Shared,
    dark_mode: bool,
    /// Counts navigations: the visit a load's answer belongs to.
    visit: u64,
}

/// The mount's messages.
pub enum MountMsg<M: Mount> {
    /// A message for the active page.
    Page(M::Msg),
    /// A load's answer, for the visit that asked for it.
    Loaded {
        /// The visit (navigation count) the load was sent in.
        visit: u64,
        /// The page's `Loaded` message.
        msg: M::Msg,
    },
    /// Go to a path of this mount; `push` adds a history entry (links), else it replaces
    /// nothing (back/forward already moved).
    Navigate {
        /// Path and query.
        path: String,
        /// Whether to push a history entry.
        push: bool,
    },
    /// A broadcast event, encoded.
    Pushed(Vec<u8>),
    /// The socket came back: re-load the page's data.
    Reconnected,
    /// The shell's theme switch: shows and records the user's choice.
    DarkMode(bool),
    /// The system's colour scheme, shown while the user has chosen none (nothing recorded).
    SystemTheme(bool),
    /// `cargo rally dev`: the page's model kept across a rebuild (key and encoded model).
    RestoreState(String, Vec<u8>),
}

/// Wraps the page's view into the mount program's messages in one pass over the tree (the
/// mount's `view` would wrap it into the mount's `Msg` first: two rebuilds per render).
struct IntoMountMsg<M>(std::marker::PhantomData<M>);

impl<M: Mount> crate::mount::PageView<M::Msg> for IntoMountMsg<M> {
    type Output = Element<MountMsg<M>>;

    fn page<P, W>(self, view: Element<P>, wrap: W) -> Self::Output
    where
        P: Clone + 'static,
        W: Fn(P) -> M::Msg + Copy + 'static,
    {
        view.map(move |msg| MountMsg::Page(wrap(msg)))
    }
}

impl<M: Mount> Clone for MountMsg<M> {
    fn clone(&self) -> Self {
        match self {
            MountMsg::Page(m) => MountMsg::Page(m.clone()),
            MountMsg::Loaded { visit, msg } => MountMsg::Loaded {
                visit: *visit,
                msg: msg.clone(),
            },
            MountMsg::Navigate { path, push } => MountMsg::Navigate {
                path: path.clone(),
                push: *push,
            },
            MountMsg::Pushed(e) => MountMsg::Pushed(e.clone()),
            MountMsg::Reconnected => MountMsg::Reconnected,
            MountMsg::DarkMode(dark) => MountMsg::DarkMode(*dark),
            MountMsg::SystemTheme(dark) => MountMsg::SystemTheme(*dark),
            MountMsg::RestoreState(key, bytes) => {
                MountMsg::RestoreState(key.clone(), bytes.clone())
            }
        }
    }
}

struct Lifecycle<M>(PhantomData<M>);

impl<M: Mount> Lifecycle<M> {
    fn update(model: &mut MountModel<M>, msg: MountMsg<M>) -> Effect<MountMsg<M>> {
        match msg {
            MountMsg::Page(msg) => match M::navigation(&msg) {
                Some(path) => Self::navigate(model, &path, true),
                None => M::update(&model.shared, &mut model.page, msg).map(MountMsg::Page),
            },
            // An answer for a page the tab has left (or left and came back to) is stale.
            MountMsg::Loaded { visit, .. } if visit != model.visit => Effect::none(),
            MountMsg::Loaded { msg, .. } => {
                M::update(&model.shared, &mut model.page, msg).map(MountMsg::Page)
            }
            // Back or forward within one page's URL: an in-page anchor (a fragment
            // navigation fires `popstate` too) keeps the page as it is.
            MountMsg::Navigate { path, push: false } if path == model.location => Effect::none(),
            MountMsg::Navigate { path, push } => Self::navigate(model, &path, push),
            MountMsg::Pushed(event) => {
                M::apply_broadcast(&mut model.page, &event).map(MountMsg::Page)
            }
            MountMsg::Reconnected => Self::load(&model.route, model.visit),
            MountMsg::DarkMode(dark) => {
                model.dark_mode = dark;
                Effect::from(move |_| apply_dark_mode(dark))
            }
            MountMsg::SystemTheme(dark) => {
                model.dark_mode = dark;
                Effect::from(move |_| set_theme_attribute(dark))
            }
            // Sent only by dev-profile bundles (see `start`).
            MountMsg::RestoreState(_, _) if !cfg!(debug_assertions) => Effect::none(),
            MountMsg::RestoreState(key, bytes) => {
                match M::restore_state(&model.route, &key, &bytes) {
                    Some(page) => {
                        model.page = page;
                        dev_note("kept the page's state across the rebuild");
                    }
                    None => dev_note(
                        "the page's model types changed (or it is not serde): it starts fresh",
                    ),
                }
                Effect::none()
            }
        }
    }

    fn view(model: &MountModel<M>) -> Element<MountMsg<M>> {
        let chrome = Chrome {
            path: M::path(&model.route),
            dark_mode: model.dark_mode,
            on_dark_mode: MountMsg::DarkMode,
        };
        M::shell(
            &model.shared,
            &chrome,
            M::with_view(&model.page, IntoMountMsg(std::marker::PhantomData)),
        )
    }

    fn navigate(model: &mut MountModel<M>, path: &str, push: bool) -> Effect<MountMsg<M>> {
        let route = M::parse(path);
        let query = QueryParams::from_url(path);
        let (page, started) = M::init(&model.shared, &route, &query);
        model.page = page;
        model.route = route;
        model.location = path.to_owned();
        model.visit += 1;
        if push {
            push_history(path);
        }
        Effect::batch([
            started.map(MountMsg::Page),
            Self::load(&model.route, model.visit),
        ])
    }

    /// The route's load, answered into `visit`.
    fn load(route: &M::Route, visit: u64) -> Effect<MountMsg<M>> {
        M::load(route).map_or_else(Effect::none, |e| {
            e.map(move |msg| MountMsg::Loaded { visit, msg })
        })
    }
}

/// Starts mount `M` on the server-rendered page: hydrate, connect with `contract`, and run
/// for the life of the document. Failures are reported on the console.
pub fn start<M: Mount>(contract: Fingerprint) {
    let hydration = match read_payload::<Hydration<M::Shared>>() {
        Ok(h) => h,
        Err(e) => return report_error(&e),
    };
    let path = current_path();
    let route = M::parse(&path);
    let query = QueryParams::from_url(&path);
    let (mut page, started) = M::init(&hydration.shared, &route, &query);
    // The server's load result replays through update: the first render needs no request.
    let first_effect = match hydration
        .load
        .as_deref()
        .and_then(|b| M::hydrate(&route, b))
    {
        Some(loaded) => M::update(&hydration.shared, &mut page, loaded).map(MountMsg::Page),
        None => Lifecycle::<M>::load(&route, 0),
    };
    let model = MountModel {
        route,
        location: path,
        page,
        shared: hydration.shared,
        dark_mode: rendered_dark_mode(),
        visit: 0,
    };
    let app = App::new(Lifecycle::<M>::update, Lifecycle::<M>::view);
    let program = match super::hydrate(app, model) {
        Ok((program, _report)) => program,
        Err(e) => return report_error(&e),
    };
    live::connect(contract);
    let weak = program.downgrade();
    live::on_push(move |_topic, event| {
        if let Some(p) = weak.upgrade() {
            p.dispatch(MountMsg::Pushed(event.to_vec()));
        }
    });
    let weak = program.downgrade();
    live::on_reconnect(move || {
        if let Some(p) = weak.upgrade() {
            p.dispatch(MountMsg::Reconnected);
        }
    });
    let app_title = document_title();
    program.with_model(|m| live::set_topics(M::subscriptions(&m.route, &m.page)));
    program.on_render(move |m: &MountModel<M>| {
        live::set_topics(M::subscriptions(&m.route, &m.page));
        set_document_title(M::head(&m.page).title.as_deref().unwrap_or(&app_title));
    });
    intercept_links::<M>(&program);
    // Only `cargo rally dev` keeps state, and it builds in the dev profile: release bundles
    // leave out this code and every page's model encoding with it.
    if cfg!(debug_assertions) {
        keep_state_in_dev::<M>(&program);
        let path = M::path(&program.with_model(|m| m.route.clone()));
        if let Some((key, bytes)) = take_dev_state(&path) {
            program.dispatch(MountMsg::RestoreState(key, bytes));
        }
    }
    // Without a chosen theme, the system's preference (the server may not have known it).
    if let Some(dark) = system_theme_correction() {
        program.dispatch(MountMsg::SystemTheme(dark));
    }
    program.run_effect(Effect::batch([started.map(MountMsg::Page), first_effect]));
    // The program lives as long as the document.
    std::mem::forget(program);
}

/// Where the dev reload script keeps the page's state while the tab reloads.
const DEV_STATE_KEY: &str = "rally.dev-state";

/// Under `cargo rally dev` (its reload script sets `window.__rallyDev`), keeps the page's state
/// in `sessionStorage` as `path\nkey\nbase64url` when the page goes away (a reload, a
/// rebuild's reload), for [`take_dev_state`] to restore. Called by dev-profile bundles only.
fn keep_state_in_dev<M: Mount>(program: &super::WebProgram<MountModel<M>, MountMsg<M>>) {
    let Some(window) = rally_view::web::window() else {
        return;
    };
    let dev = js_sys::Reflect::get(&window, &"__rallyDev".into()).is_ok_and(|v| v.is_truthy());
    if !dev {
        return;
    }
    let weak = program.downgrade();
    // The same closure type as the link and history listeners': no new import for
    // wasm-bindgen to describe (a pre-bindgen wasm-opt pass cannot renumber it away).
    let save = Closure::<dyn Fn()>::new(move || {
        let Some(program) = weak.upgrade() else {
            return;
        };
        let state = program.with_model(|m| {
            M::save_state(&m.page).map(|(key, bytes)| {
                format!(
                    "{}\n{key}\n{}",
                    M::path(&m.route),
                    crate::payload::base64url_encode(&bytes)
                )
            })
        });
        let storage = rally_view::web::window().and_then(|w| w.session_storage().ok().flatten());
        if let (Some(state), Some(storage)) = (state, storage) {
            let _ = storage.set_item(DEV_STATE_KEY, &state);
        }
    });
    rally_view::web::add_event_listener(&window, "pagehide", save.as_ref());
    // Lives as long as the document.
    save.forget();
}

/// The state the dev reload script stored for this path, removed as it is read (a state is
/// restored once, and only where it was saved).
fn take_dev_state(path: &str) -> Option<(String, Vec<u8>)> {
    let storage = rally_view::web::window()?.session_storage().ok()??;
    let saved = storage.get_item(DEV_STATE_KEY).ok()??;
    let _ = storage.remove_item(DEV_STATE_KEY);
    let mut parts = saved.splitn(3, '\n');
    let (saved_path, key, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    if saved_path != path {
        return None;
    }
    let bytes = crate::payload::base64url_decode(encoded.as_bytes()).ok()?;
    Some((key.to_owned(), bytes))
}

/// A line on the console for the developer (only `cargo rally dev` ever stores a state).
fn dev_note(what: &str) {
    web_sys::console::info_1(&format!("rally dev: {what}").into());
}

/// The app's title, for pages without their own: the server's
/// `<meta name="application-name">`, else the title it rendered.
fn document_title() -> String {
    document_js::app_name()
}

/// Sets the document's title when it changed.
fn set_document_title(title: &str) {
    document_js::set_title(title);
}

/// The theme the server rendered with (`<html data-theme>`), which hydration must match; a
/// custom document without the attribute rendered the `dark` cookie's.
fn rendered_dark_mode() -> bool {
    match document_js::theme() {
        Some(theme) => theme == theme_name(true),
        None => theme_choice_from_cookies(&document_js::cookies()).unwrap_or(false),
    }
}

/// The system's theme when the user chose none (no `dark` cookie) and it differs from what
/// the server rendered (a first visit, or a browser that sends no colour-scheme hint).
fn system_theme_correction() -> Option<bool> {
    if theme_choice_from_cookies(&document_js::cookies()).is_some() {
        return None;
    }
    let prefers_dark = document_js::prefers_dark();
    (prefers_dark != rendered_dark_mode()).then_some(prefers_dark)
}

/// Shows the theme now, without recording a choice.
fn set_theme_attribute(dark: bool) {
    document_js::set_theme(theme_name(dark));
}

/// Keeps the theme across reloads (the cookie the server reads) and applies it now.
fn apply_dark_mode(dark: bool) {
    set_theme_attribute(dark);
    document_js::set_cookie(&dark_mode_cookie(dark));
}

fn current_path() -> String {
    super::location::path_and_query()
}

fn push_history(path: &str) {
    if current_path() != path {
        super::location::push(path);
    }
}

/// Whether `path` belongs to mount `M` (the prefix is a whole segment: `/administrator` is
/// not the `/admin` mount).
fn owns<M: Mount>(path: &str) -> bool {
    M::PREFIX.is_empty()
        || path == M::PREFIX
        || path
            .strip_prefix(M::PREFIX)
            .is_some_and(|rest| rest.starts_with(['/', '?', '#']))
}

/// Same-origin links into this mount navigate inside the page; others (other mounts, other
/// origins, `target`, `download`, modifier keys, `data-rally-document-nav`) load a document.
/// Back and forward re-render the page they land on.
fn intercept_links<M: Mount>(program: &rally_view::web::WebProgram<MountModel<M>, MountMsg<M>>) {
    let Some(window) = rally_view::web::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let weak = program.downgrade();
    let click = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let Some(target) = document_js::link_target(&e) else {
            return;
        };
        let path = target.split('?').next().unwrap_or_default();
        if !owns::<M>(path) {
            return;
        }
        e.prevent_default();
        if let Some(p) = weak.upgrade() {
            p.dispatch(MountMsg::Navigate {
                path: target,
                push: true,
            });
        }
    });
    rally_view::web::add_event_listener(&document, "click", click.as_ref());
    click.forget();
    let weak = program.downgrade();
    let popstate = Closure::<dyn Fn()>::new(move || {
        if let Some(p) = weak.upgrade() {
            p.dispatch(MountMsg::Navigate {
                path: current_path(),
                push: false,
            });
        }
    });
    rally_view::web::add_event_listener(&window, "popstate", popstate.as_ref());
    popstate.forget();
}
