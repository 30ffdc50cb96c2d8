//! A mount (`public` at `/`, `admin` at `/admin`) as the runtime sees it: the pages' states and
//! messages gathered into one enum each, with the functions that route between them.
//!
//! Codegen implements [`Mount`] (and, on the server, `ServerMount`) for every mount of an
//! app with plain `match`es over the route; the generic runtime does the rest: server rendering
//! ([`crate::server::ssr`]) and the browser lifecycle ([`crate::browser::app`]).

use rally_view::{Effect, Element};
use serde::{Deserialize, Serialize};

use crate::page::{Head, LoadError};
use crate::routes::QueryParams;
use crate::shell::Chrome;

/// What to do with the active page's view; see [`Mount::with_view`].
pub trait PageView<Msg> {
    /// What the visit returns.
    type Output;
    /// Called once, with the page's view in its own message type and the function that wraps
    /// those messages into the mount's `Msg` (a variant's constructor, such as `Msg::Games`:
    /// a function item, so a view mapped with it keeps its lazy nodes comparable).
    fn page<P, W>(self, view: Element<P>, wrap: W) -> Self::Output
    where
        P: Clone + 'static,
        W: Fn(P) -> Msg + Copy + 'static;
}

/// A mount's pages.
pub trait Mount: Sized + 'static {
    /// The mount's route enum.
    type Route: Clone + PartialEq + std::fmt::Debug + 'static;
    /// What every page of the mount receives in `initial_model` (built from the request on the
    /// server and from the page's boot data in the browser).
    type Shared: Clone + Serialize + for<'de> Deserialize<'de> + 'static;
    /// The active page's state: one variant per route.
    type Page: 'static;
    /// A page's message: one variant per route.
    type Msg: Clone + 'static;

    /// The mount's name.
    const NAME: &'static str;
    /// Its path prefix: `""` for the mount at `/`, `"/admin"` for `admin`.
    const PREFIX: &'static str;

    /// The route of a path (query and fragment ignored); unknown paths are the not-found route.
    fn parse(path: &str) -> Self::Route;
    /// The canonical path of a route.
    fn path(route: &Self::Route) -> String;
    /// Whether the route is the mount's not-found page.
    fn is_not_found(route: &Self::Route) -> bool;
    /// The page of a route in its initial state (the page's `initial_model`): what the server
    /// renders, and what the browser hydrates.
    fn initial_model(shared: &Self::Shared, route: &Self::Route, query: &QueryParams)
    -> Self::Page;
    /// The page of a route as the browser starts it, on boot and on every navigation: the
    /// page's `init` (its model and start-up effect) where it has one, else `initial_model`.
    fn init(
        shared: &Self::Shared,
        route: &Self::Route,
        query: &QueryParams,
    ) -> (Self::Page, Effect<Self::Msg>) {
        (Self::initial_model(shared, route, query), Effect::none())
    }
    /// Applies a message to the active page; a message for another page is ignored.
    fn update(shared: &Self::Shared, page: &mut Self::Page, msg: Self::Msg) -> Effect<Self::Msg>;
    /// Renders the active page.
    fn view(page: &Self::Page) -> Element<Self::Msg>;
    /// Hands the active page's view to `visitor` as the page built it, in the page's own
    /// message type, with the function that wraps those messages into the mount's.
    ///
    /// [`Mount::view`] returns the view already wrapped, and wrapping rebuilds the whole tree
    /// (`Element::map`). The server renders the page's own tree without wrapping it, and the
    /// browser wraps it once into its final message type instead of twice. Codegen implements
    /// this with one arm per page; the default wraps through `view`.
    fn with_view<V: PageView<Self::Msg>>(page: &Self::Page, visitor: V) -> V::Output {
        visitor.page(Self::view(page), std::convert::identity)
    }
    /// The active page's title and description (its `head` function); by default none, so
    /// the app's title stays.
    fn head(page: &Self::Page) -> Head {
        let _ = page;
        Head::default()
    }
    /// Wraps the rendered page in the mount's chrome (its `shell` function); by default the
    /// page is the whole view.
    fn shell<Msg: Clone + 'static>(
        shared: &Self::Shared,
        chrome: &Chrome<Msg>,
        content: Element<Msg>,
    ) -> Element<Msg> {
        let _ = (shared, chrome);
        content
    }
    /// The effect that loads the route's data over the WebSocket, if the page has a load.
    fn load(route: &Self::Route) -> Option<Effect<Self::Msg>>;
    /// The page's `Loaded` message from the encoded load result the server embedded.
    fn hydrate(route: &Self::Route, load: &[u8]) -> Option<Self::Msg>;
    /// The topics the active page wants pushes for (route-backed pages may derive them from
    /// the route's params, so they are known before the data loads).
    fn subscriptions(route: &Self::Route, page: &Self::Page) -> Vec<String>;
    /// Hands a pushed event (encoded) to the active page.
    fn apply_broadcast(page: &mut Self::Page, event: &[u8]) -> Effect<Self::Msg>;
    /// The path a navigation message leads to (`Navigate…` messages), instead of `update`.
    fn navigation(msg: &Self::Msg) -> Option<String>;
    /// For `cargo rally dev`: the active page's model, encoded, under a key naming the page and
    /// a fingerprint of its types; `None` (the default) when the page's model is not serde.
    fn save_state(page: &Self::Page) -> Option<(String, Vec<u8>)> {
        let _ = page;
        None
    }
    /// The page of `route` from what [`Mount::save_state`] gave, when `key` is this route's
    /// page with the same fingerprint and the bytes decode; `None` otherwise (start fresh).
    fn restore_state(route: &Self::Route, key: &str, bytes: &[u8]) -> Option<Self::Page> {
        let _ = (route, key, bytes);
        None
    }
}

/// A route's data loaded on the server: the page's `Loaded` message and the encoded result the
/// browser replays instead of asking again.
pub struct Loaded<Msg> {
    /// The page's `Loaded(..)` message.
    pub msg: Msg,
    /// The encoded `Result<LoadResult, LoadError>`.
    pub payload: Vec<u8>,
    /// The HTTP status: 200, or the load error's status.
    pub status: u16,
}

impl<Msg> Loaded<Msg> {
    /// Wraps a page's load result.
    pub fn new<T: Serialize>(
        result: Result<T, LoadError>,
        to_msg: impl FnOnce(Result<T, LoadError>) -> Msg,
    ) -> Self {
        let payload = rally_wire::encode(&result);
        let status = result.as_ref().map_or_else(|e| e.status, |_| 200);
        Loaded {
            msg: to_msg(result),
            payload,
            status,
        }
    }
}

/// A mount's server side: who may open a route, and loading its data.
#[cfg(feature = "server")]
pub trait ServerMount: Mount {
    /// What loads receive: the app's context (`src/context.rs`), or the database.
    type Context: Send + Sync + 'static;

    /// Whether `caller` may open the route: the page's `ACCESS` and `authorize` (the mount's
    /// own gate has already let the caller in). By default everyone may.
    fn authorize(
        ctx: &Self::Context,
        caller: &crate::server::Caller<'_>,
        route: &Self::Route,
    ) -> Result<(), crate::server::Denied> {
        let _ = (ctx, caller, route);
        Ok(())
    }

    /// The page (its name on the wire) that takes form saves posted to the route, if its page
    /// saves. By default no route does.
    fn save_page(route: &Self::Route) -> Option<&'static str> {
        let _ = route;
        None
    }

    /// Loads the route's data for `caller`, if its page has a load. A route parameter that does
    /// not parse never reaches here: it is the not-found route.
    fn load_data(
        ctx: &Self::Context,
        caller: &crate::server::Caller<'_>,
        route: &Self::Route,
    ) -> Option<Loaded<Self::Msg>>;
}

/// What the server embeds for the browser: the path it rendered and the encoded load result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hydration<Shared> {
    /// The page's shared state as the server built it.
    pub shared: Shared,
    /// The encoded load result, if the page has a load.
    #[serde(with = "serde_bytes_opt")]
    pub load: Option<Vec<u8>>,
}

mod serde_bytes_opt {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|b| serde_bytes::Bytes::new(b)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Ok(Option::<serde_bytes::ByteBuf>::deserialize(d)?.map(serde_bytes::ByteBuf::into_vec))
    }
}
