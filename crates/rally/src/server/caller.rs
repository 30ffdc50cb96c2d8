//! Who is asking: the caller a page render, a load or a save runs for, and the per-page access
//! rule applied to it.
//!
//! The caller is read afresh for every request: on the socket, each load and save
//! re-authenticates the upgrade request's cookie against the session store, so a sign-out in
//! another tab takes effect on an open socket at the next request.

use std::sync::LazyLock;

use axum::http::HeaderMap;
use rally_auth::auth_http::RequestAuth;
use rally_auth::session::{Identity, SessionId};
use rally_wire::ApiError;

use crate::page::Access;

/// The request's caller, as `load`, `handle_save` and `after_save` may receive it
/// (`caller: &Caller`): the signed-in identity, if any, and the request's headers.
#[derive(Debug, Clone)]
pub struct Caller<'a> {
    identity: Option<Identity>,
    headers: &'a HeaderMap,
}

static NO_HEADERS: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);

impl<'a> Caller<'a> {
    /// The caller of a request with these headers, signed in as `identity`.
    pub fn new(identity: Option<Identity>, headers: &'a HeaderMap) -> Self {
        Caller { identity, headers }
    }

    /// Nobody signed in, no headers (tests, jobs).
    pub fn anonymous() -> Caller<'static> {
        Caller::new(None, &NO_HEADERS)
    }

    /// User `user_id`, signed in with a made-up session and no headers (tests, jobs).
    pub fn user(user_id: i64) -> Caller<'static> {
        let session_id = SessionId::parse("00000000000000000000000000000000")
            .unwrap_or_else(|| unreachable!("32 hex digits are a session id"));
        Caller::new(
            Some(Identity {
                user_id,
                session_id,
                expires_at: u64::MAX,
            }),
            &NO_HEADERS,
        )
    }

    /// The signed-in identity, if any.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// The signed-in user's id, if any.
    pub fn user_id(&self) -> Option<i64> {
        self.identity.as_ref().map(|i| i.user_id)
    }

    /// Whether someone is signed in.
    pub fn is_signed_in(&self) -> bool {
        self.identity.is_some()
    }

    /// The request's headers (on the socket: the upgrade request's).
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }
}

/// Why a caller may not open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Nobody is signed in and the page needs a user: SSR redirects to the sign-in page.
    #[error("this page needs a signed-in user")]
    SignInRequired,
    /// The signed-in user may not open the page: SSR answers 403.
    #[error("the signed-in user may not open this page")]
    Forbidden,
}

/// The caller of a socket request for a page of `mount`: authenticated now against the session
/// store, and let in by the mount's gate (`public` lets everyone in; other mounts need the
/// app's auth to accept the caller). `Unauthorized` otherwise.
pub fn for_request<'a>(
    auth: Option<&dyn RequestAuth>,
    mount: &str,
    headers: &'a HeaderMap,
) -> Result<Caller<'a>, ApiError> {
    match auth {
        Some(auth) => auth
            .authorize_blocking(mount, headers)
            .map(|identity| Caller::new(identity, headers))
            .map_err(|_| ApiError::Unauthorized),
        None if mount == crate::routes::PUBLIC_MOUNT => Ok(Caller::new(None, headers)),
        None => Err(ApiError::Unauthorized),
    }
}

/// Applies a page's rule: `access`, and `authorize` (the page's predicate over the signed-in
/// identity, if it has one, which implies [`Access::SignedIn`]).
pub fn allow(
    access: Access,
    caller: &Caller<'_>,
    authorize: Option<&dyn Fn(&Identity) -> bool>,
) -> Result<(), Denied> {
    let needs_user = access == Access::SignedIn || authorize.is_some();
    match (caller.identity(), authorize) {
        (None, _) if needs_user => Err(Denied::SignInRequired),
        (Some(identity), Some(authorize)) if !authorize(identity) => Err(Denied::Forbidden),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_pages_let_everyone_in() {
        assert_eq!(allow(Access::Public, &Caller::anonymous(), None), Ok(()));
        assert_eq!(allow(Access::Public, &Caller::user(1), None), Ok(()));
    }

    #[test]
    fn signed_in_pages_send_anonymous_callers_to_sign_in() {
        assert_eq!(
            allow(Access::SignedIn, &Caller::anonymous(), None),
            Err(Denied::SignInRequired)
        );
        assert_eq!(allow(Access::SignedIn, &Caller::user(1), None), Ok(()));
    }

    #[test]
    fn a_predicate_needs_a_user_and_forbids_the_ones_it_refuses() {
        let only_one = |identity: &Identity| identity.user_id == 1;
        let only_one: &dyn Fn(&Identity) -> bool = &only_one;
        for access in [Access::Public, Access::SignedIn] {
            assert_eq!(
                allow(access, &Caller::anonymous(), Some(only_one)),
                Err(Denied::SignInRequired)
            );
            assert_eq!(allow(access, &Caller::user(1), Some(only_one)), Ok(()));
            assert_eq!(
                allow(access, &Caller::user(2), Some(only_one)),
                Err(Denied::Forbidden)
            );
        }
    }

    #[test]
    fn the_caller_says_who_is_signed_in() {
        assert_eq!(Caller::anonymous().user_id(), None);
        assert!(!Caller::anonymous().is_signed_in());
        assert_eq!(Caller::user(7).user_id(), Some(7));
        assert!(Caller::user(7).headers().is_empty());
    }
}
