//! Everything the generated page glue (`src/generated/rally/`) uses of the runtime, in one
//! module: `cargo rally gen` writes `rally::glue::…` and nothing else of `rally`, so the
//! runtime and the code generator agree by construction — moving an item inside `rally` means
//! changing its re-export here, never the generator. The generated route modules use
//! `rally::routes` alone in the same way.
//!
//! Apps do not need to name this module; their pages use the documented paths (`rally::page`,
//! `rally::view`, …), which are the same items.

pub use crate::broadcast::Topic;
pub use crate::form::{FormError, save_form};
pub use crate::mount::{Loaded, Mount, PageView};
pub use crate::page::{Access, Head, LoadError, SaveError};
pub use crate::remote::{load, save};
pub use crate::routes::QueryParams;
pub use crate::shell::Chrome;
pub use crate::view::{Attribute, Effect, Element};
pub use crate::wire::{ApiError, Fingerprint, decode, decode_from_server, encode};

#[cfg(feature = "server")]
pub use crate::auth_http::{Auth, RequestAuth};
#[cfg(feature = "server")]
pub use crate::db::Db;
#[cfg(feature = "server")]
pub use crate::env::Env;
#[cfg(feature = "server")]
pub use crate::form::form_message;
#[cfg(feature = "server")]
pub use crate::mount::ServerMount;
#[cfg(feature = "server")]
pub use crate::server::app::{App, AppBuilder, SetupError};
#[cfg(feature = "server")]
pub use crate::server::caller::{allow, for_request};
#[cfg(feature = "server")]
pub use crate::server::ssr::with_root;
#[cfg(feature = "server")]
pub use crate::server::{
    Caller, ConnectionInfo, Denied, Dispatch, Endpoint, Reply, Request, WsConfig,
};

#[cfg(feature = "browser")]
pub use crate::browser::app::start;
