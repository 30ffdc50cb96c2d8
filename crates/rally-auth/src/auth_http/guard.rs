//! Request checks shared by the routes: same-origin checks, local return paths, redirects.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use cookie::Cookie;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded (`/admin/games` →
/// `%2Fadmin%2Fgames`, as upstream).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query component.
pub(crate) fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Whether `path` is a path on this site that a browser cannot read as another host: it starts
/// with one `/`, and has only visible ASCII and no backslash (browsers read `/\evil` as
/// `//evil`, and drop tabs and newlines, so `/<TAB>/evil` would become `//evil`).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// `candidate` when it is a local path ([`is_local_path`]), else `default`.
pub fn safe_local_path(candidate: Option<&str>, default: &str) -> String {
    match candidate {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => default.to_owned(),
    }
}

/// The sign-in page with the return path: `/sign_in?return_to=%2Fadmin%2Fgames`.
pub fn sign_in_redirect_url(sign_in_path: &str, return_to: &str) -> String {
    format!("{sign_in_path}?return_to={}", percent_encode(return_to))
}

/// A `302 Found` to `location` (a local path or the provider's URL) setting `cookies`.
pub(crate) fn redirect(location: &str, cookies: &[Cookie<'_>]) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    headers.insert(header::LOCATION, location);
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The refusal of a cross-origin (or origin-less) state-changing request.
pub(crate) fn cross_origin_refused() -> Response {
    (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response()
}

/// Where a request says it comes from: `Origin`, else the origin of `Referer`.
fn claimed_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().ok().map(str::to_owned);
    }
    let referer: Uri = headers.get(header::REFERER)?.to_str().ok()?.parse().ok()?;
    Some(format!(
        "{}://{}",
        referer.scheme_str()?,
        referer.authority()?
    ))
}

/// Whether `origin` (`scheme://host[:port]`) is this site: one of `allowed` when configured,
/// else the request's own `Host`.
fn origin_matches(origin: &str, headers: &HeaderMap, allowed: &[String]) -> bool {
    let Ok(uri) = origin.parse::<Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    if !matches!(uri.path(), "" | "/") {
        return false;
    }
    if !allowed.is_empty() {
        let origin = format!("{scheme}://{authority}");
        return allowed
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin));
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(authority.as_str()))
}

/// The check on every state-changing `POST`: its `Origin` (or, without one, its `Referer`) must
/// be this site. A request with neither is refused too: browsers send `Origin` on every `POST`,
/// so only non-browser clients lack both, and they can send one.
pub(crate) fn same_origin_post(headers: &HeaderMap, allowed: &[String]) -> bool {
    claimed_origin(headers).is_some_and(|origin| origin_matches(&origin, headers, allowed))
}

/// The check on `GET /sign_out`: refused when the browser says the request comes from another
/// site (`Sec-Fetch-Site`), or its `Origin`/`Referer` names another origin. A request without
/// any of these (a typed URL, a bookmark, an old browser) is allowed.
pub(crate) fn same_origin_navigation(headers: &HeaderMap, allowed: &[String]) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none");
    if matches!(fetch_site, "cross-site" | "same-site") {
        return false;
    }
    claimed_origin(headers).is_none_or(|origin| origin_matches(&origin, headers, allowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn local_paths_only() {
        for ok in ["/", "/admin/games", "/games?x=1&y=%2F", "/a/b#c"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "admin",
            "//evil.example",
            "///evil.example",
            "/\\evil",
            "/\\/evil.example",
            "https://evil.example",
            "http:/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil",
            "/caf\u{e9}",
            "javascript:alert(1)",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert_eq!(safe_local_path(Some("//evil.example"), "/home"), "/home");
        assert_eq!(safe_local_path(None, "/home"), "/home");
        assert_eq!(safe_local_path(Some("/games"), "/home"), "/games");
    }

    #[test]
    fn sign_in_redirect_encodes_like_upstream() {
        assert_eq!(
            sign_in_redirect_url("/sign_in", "/admin/games"),
            "/sign_in?return_to=%2Fadmin%2Fgames"
        );
    }

    #[test]
    fn origin_checks() {
        let host = ("host", "app.example:8080");
        assert!(same_origin_post(
            &headers(&[host, ("origin", "http://app.example:8080")]),
            &[]
        ));
        assert!(!same_origin_post(
            &headers(&[host, ("origin", "https://evil.example")]),
            &[]
        ));
        assert!(!same_origin_post(
            &headers(&[host, ("origin", "null")]),
            &[]
        ));
        assert!(!same_origin_post(&headers(&[host]), &[]));
        assert!(same_origin_post(
            &headers(&[host, ("referer", "http://app.example:8080/sign_in?x=1")]),
            &[]
        ));
        assert!(!same_origin_post(
            &headers(&[host, ("referer", "http://evil.example/app.example:8080")]),
            &[]
        ));
        let allowed = vec!["https://scores.example".to_string()];
        assert!(same_origin_post(
            &headers(&[host, ("origin", "https://scores.example")]),
            &allowed
        ));
        assert!(!same_origin_post(
            &headers(&[host, ("origin", "http://app.example:8080")]),
            &allowed
        ));
        assert!(same_origin_navigation(&headers(&[host]), &[]));
        assert!(!same_origin_navigation(
            &headers(&[host, ("sec-fetch-site", "cross-site")]),
            &[]
        ));
        assert!(!same_origin_navigation(
            &headers(&[host, ("referer", "https://evil.example/")]),
            &[]
        ));
    }
}
