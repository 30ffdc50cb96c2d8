//! Static files (`/assets`, the browser bundles under `/pkg`) served from memory, with their
//! brotli and gzip encodings made once.
//!
//! tower-http's `ServeDir` opened, stat'ed and read each file on every request through tokio's
//! blocking pool: 105–160 µs of server CPU per request for an 8 KB stylesheet, 8–15× a bare
//! handler (issue 19), and it did not compress at all outside the compression layer. Here a file
//! is read on its first request and kept: the response is a copy of a reference-counted buffer.
//!
//! - **Encodings.** A compressible file (text, JavaScript, JSON, wasm, SVG) gets a brotli and a
//!   gzip copy when they are smaller. `cargo rally build` writes them beside the bundles at the
//!   highest levels (`app_bg.wasm.br`, `.gz`); for other files (or stale copies) they are made on
//!   load. The client's `Accept-Encoding` (with q-values) picks one; `Vary: Accept-Encoding`.
//! - **Validators.** Each encoding has its own strong `ETag` (content hash), and `Last-Modified`
//!   comes from the file: `If-None-Match`, else `If-Modified-Since`, answer 304.
//! - **Freshness.** A cached file is compared with the disk (mtime, length) at most once a
//!   second, so edits in development show up (`cargo rally dev` only reloads the tabs for them).
//! - **Safety.** Only `GET` and `HEAD`; the path is decoded and every `.`/`..`/empty segment or
//!   backslash refused, then the file is resolved with symlinks followed and served only if it
//!   is still inside the directory. Files over [`StaticFiles::MAX_FILE_BYTES`], or past the
//!   memory budget, are streamed from disk instead of cached.

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::encoding::{Encoding, Offer, choose};

/// Marks a response whose encoding is already chosen ([`StaticFiles`]' files, rendered pages),
/// so the compression layer leaves it alone (an uncompressed answer means compressing it did
/// not pay, or the client does not take it).
#[derive(Debug, Clone, Copy)]
pub struct Precompressed;

/// A directory served from memory. Cheap to clone.
#[derive(Clone)]
pub struct StaticFiles {
    inner: Arc<Inner>,
}

struct Inner {
    /// The directory as given (it may not exist yet: bundles are built after the server starts).
    root: PathBuf,
    cache: RwLock<HashMap<String, Arc<Entry>>>,
    /// Bytes held by `cache`, all encodings counted.
    cached_bytes: Mutex<usize>,
    budget: usize,
}

/// One file, in every encoding worth having.
struct Entry {
    /// The resolved path (inside the root).
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
    content_type: HeaderValue,
    /// The content's hash and length, the `ETag` of the identity encoding.
    tag: String,
    last_modified: Option<HeaderValue>,
    identity: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    /// When the disk was last compared with this entry.
    checked: Mutex<Instant>,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len()
            + self.br.as_ref().map_or(0, Bytes::len)
            + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

/// The `ETag` suffix of an encoding: each has its own validator.
fn suffix(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Identity => "",
        Encoding::Gzip => ".gz",
        Encoding::Br => ".br",
    }
}

/// How often a cached file is compared with the disk.
const RECHECK: Duration = Duration::from_secs(1);
/// Files below this size are not compressed: the headers would cost more than the saving.
const MIN_COMPRESS_BYTES: usize = 256;
/// Up to this size a file compressed on load gets the slowest, smallest levels; larger ones
/// (development bundles of a few MB) a middle level, so their first request stays quick.
const MAX_SLOW_COMPRESS_BYTES: usize = 256 * 1024;

impl StaticFiles {
    /// Files larger than this are streamed from disk on each request instead of cached.
    pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
    /// Memory all cached files may take, encodings included; files past it are streamed.
    pub const DEFAULT_BUDGET_BYTES: usize = 256 * 1024 * 1024;

    /// Serves the files under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StaticFiles {
            inner: Arc::new(Inner {
                root: root.into(),
                cache: RwLock::new(HashMap::new()),
                cached_bytes: Mutex::new(0),
                budget: Self::DEFAULT_BUDGET_BYTES,
            }),
        }
    }

    /// The service: `GET`/`HEAD` of any path below the root (mount it with `nest_service`).
    pub fn router(self) -> Router {
        Router::new().fallback(serve).with_state(self)
    }

    /// The cached entry for `rel`, loading (or reloading) it when needed. `Ok(None)`: no such
    /// file inside the root, or one too large to cache (then `Err(path)` streams it).
    async fn entry(&self, rel: &str) -> Result<Option<Arc<Entry>>, PathBuf> {
        let cached = self
            .inner
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(rel)
            .cloned();
        if let Some(entry) = &cached {
            let mut checked = entry.checked.lock().unwrap_or_else(|p| p.into_inner());
            if checked.elapsed() < RECHECK {
                drop(checked);
                return Ok(cached);
            }
            // One request re-checks; the others keep serving the entry meanwhile.
            *checked = Instant::now();
        }
        let inner = Arc::clone(&self.inner);
        let rel_owned = rel.to_owned();
        let loaded = tokio::task::spawn_blocking(move || load(&inner, &rel_owned, cached))
            .await
            .map_err(std::io::Error::other)
            .and_then(|loaded| loaded);
        match loaded {
            Ok(Loaded::Cached(entry)) => Ok(Some(entry)),
            Ok(Loaded::Fresh(entry)) => {
                self.insert(rel, &entry);
                Ok(Some(entry))
            }
            Ok(Loaded::TooLarge(path)) => Err(path),
            Ok(Loaded::Missing) => {
                self.remove(rel);
                Ok(None)
            }
            Err(e) => {
                tracing::error!("loading the static file {rel} failed: {e}");
                Ok(None)
            }
        }
    }

    fn insert(&self, rel: &str, entry: &Arc<Entry>) {
        let mut cache = self.inner.cache.write().unwrap_or_else(|p| p.into_inner());
        let mut bytes = self
            .inner
            .cached_bytes
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let old = cache.get(rel).map_or(0, |e| e.size());
        if *bytes - old + entry.size() > self.inner.budget {
            // Served this once from the loaded copy, not kept.
            return;
        }
        *bytes = *bytes - old + entry.size();
        cache.insert(rel.to_owned(), Arc::clone(entry));
    }

    fn remove(&self, rel: &str) {
        let mut cache = self.inner.cache.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = cache.remove(rel) {
            let mut bytes = self
                .inner
                .cached_bytes
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            *bytes -= old.size();
        }
    }
}

enum Loaded {
    /// The cached entry is still what the disk holds.
    Cached(Arc<Entry>),
    Fresh(Arc<Entry>),
    TooLarge(PathBuf),
    Missing,
}

/// The file `rel` under the root with symlinks resolved, if it is a regular file still inside
/// the root (a symlink may not lead out of it).
fn resolve(root: &Path, rel: &str) -> Option<(PathBuf, std::fs::Metadata)> {
    let root = root.canonicalize().ok()?;
    let path = root.join(rel).canonicalize().ok()?;
    if !path.starts_with(&root) {
        tracing::warn!("refused a static file outside its directory: {rel}");
        return None;
    }
    let meta = std::fs::metadata(&path).ok()?;
    meta.is_file().then_some((path, meta))
}

/// Reads `rel` and makes its encodings, unless `cached` still matches the disk. Blocking.
fn load(inner: &Inner, rel: &str, cached: Option<Arc<Entry>>) -> std::io::Result<Loaded> {
    let Some((path, meta)) = resolve(&inner.root, rel) else {
        return Ok(Loaded::Missing);
    };
    let modified = meta.modified().ok();
    if let Some(entry) = cached
        && entry.path == path
        && entry.modified == modified
        && entry.len == meta.len()
    {
        return Ok(Loaded::Cached(entry));
    }
    if meta.len() > StaticFiles::MAX_FILE_BYTES {
        return Ok(Loaded::TooLarge(path));
    }
    let identity = std::fs::read(&path)?;
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let compressible = compressible(mime.essence_str());
    let content_type = if mime.type_() == mime_guess::mime::TEXT
        || mime.essence_str() == "application/javascript"
    {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    };
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let (br, gzip) = if compressible && identity.len() >= MIN_COMPRESS_BYTES {
        let slow = identity.len() <= MAX_SLOW_COMPRESS_BYTES;
        let br =
            sibling(&inner.root, rel, "br", modified).unwrap_or_else(|| brotli(&identity, slow));
        let gzip =
            sibling(&inner.root, rel, "gz", modified).unwrap_or_else(|| gzip(&identity, slow));
        // An encoding that saves less than 5 % is not worth the client's decoding.
        let worth = |c: Vec<u8>| (c.len() < identity.len() / 20 * 19).then(|| Bytes::from(c));
        (worth(br), worth(gzip))
    } else {
        (None, None)
    };
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(&identity);
    let tag = format!("{:016x}-{:x}", hasher.finish(), identity.len());
    let last_modified =
        modified.and_then(|m| HeaderValue::from_str(&httpdate::fmt_http_date(m)).ok());
    Ok(Loaded::Fresh(Arc::new(Entry {
        path,
        modified,
        len: meta.len(),
        content_type,
        tag,
        last_modified,
        identity: Bytes::from(identity),
        br,
        gzip,
        checked: Mutex::new(Instant::now()),
    })))
}

/// The precompressed copy `rel.<ext>` that `cargo rally build` wrote, if it is no older than
/// the file itself.
fn sibling(root: &Path, rel: &str, ext: &str, modified: Option<SystemTime>) -> Option<Vec<u8>> {
    let (path, meta) = resolve(root, &format!("{rel}.{ext}"))?;
    if meta.len() > StaticFiles::MAX_FILE_BYTES || meta.modified().ok()? < modified? {
        return None;
    }
    std::fs::read(path).ok()
}

/// Whether a type is worth compressing (images, fonts in woff2, archives already are).
fn compressible(essence: &str) -> bool {
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript"
                | "application/json"
                | "application/wasm"
                | "application/xml"
                | "application/manifest+json"
                | "image/svg+xml"
                | "font/ttf"
                | "font/otf"
        )
}

fn brotli(data: &[u8], slow: bool) -> Vec<u8> {
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: if slow { 11 } else { 5 },
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3);
    let mut input = data;
    match ::brotli::BrotliCompress(&mut input, &mut out, &params) {
        Ok(_) => out,
        // Compressing into memory does not fail; if it did, the file goes out uncompressed.
        Err(_) => data.to_vec(),
    }
}

fn gzip(data: &[u8], slow: bool) -> Vec<u8> {
    let level = flate2::Compression::new(if slow { 9 } else { 6 });
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
    match encoder.write_all(data).and_then(|()| encoder.finish()) {
        Ok(out) => out,
        Err(_) => data.to_vec(),
    }
}

/// The relative path of a request below the root, decoded; `None` for anything that could
/// leave it or name a directory (`..`, `.`, empty segments, backslashes, NUL).
fn relative_path(path: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        if segment.is_empty() {
            continue;
        }
        if segment == "." || segment == ".." || segment.contains(['\\', '\0']) {
            return None;
        }
        segments.push(segment);
    }
    if segments.is_empty() || decoded.ends_with('/') {
        return None;
    }
    Some(segments.join("/"))
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as for GET; `*` matches any).
fn none_match(headers: &HeaderMap, etag: &str) -> Option<bool> {
    let mut present = false;
    for value in headers.get_all(header::IF_NONE_MATCH) {
        present = true;
        let Ok(value) = value.to_str() else { continue };
        for tag in value.split(',') {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            if tag == "*" || tag == etag {
                return Some(true);
            }
        }
    }
    present.then_some(false)
}

async fn serve(State(files): State<StaticFiles>, request: Request) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let Some(rel) = relative_path(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let entry = match files.entry(&rel).await {
        Ok(Some(entry)) => entry,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(path) => return stream(path, request).await,
    };
    let headers = request.headers();
    let encoding = choose(
        headers,
        Offer {
            br: entry.br.is_some(),
            gzip: entry.gzip.is_some(),
        },
    );
    let etag = format!("\"{}{}\"", entry.tag, suffix(encoding));
    let body = match encoding {
        Encoding::Identity => &entry.identity,
        Encoding::Br => entry.br.as_ref().unwrap_or(&entry.identity),
        Encoding::Gzip => entry.gzip.as_ref().unwrap_or(&entry.identity),
    };
    let not_modified = match none_match(headers, &etag) {
        Some(matched) => matched,
        None => modified_since(headers, entry.modified),
    };
    let mut response = if not_modified {
        status(StatusCode::NOT_MODIFIED)
    } else {
        let mut response = Response::new(if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body.clone())
        });
        let out = response.headers_mut();
        out.insert(header::CONTENT_TYPE, entry.content_type.clone());
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if let Some(coding) = encoding.header() {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    };
    let out = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, etag);
    }
    if let Some(last_modified) = &entry.last_modified {
        out.insert(header::LAST_MODIFIED, last_modified.clone());
    }
    if entry.br.is_some() || entry.gzip.is_some() {
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response.extensions_mut().insert(Precompressed);
    response
}

/// Whether `If-Modified-Since` is at or after the file's time (HTTP dates have whole seconds).
fn modified_since(headers: &HeaderMap, modified: Option<SystemTime>) -> bool {
    let (Some(since), Some(modified)) = (
        headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok()),
        modified,
    ) else {
        return false;
    };
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    secs(modified) <= secs(since)
}

/// A file too large to keep in memory, from disk (already resolved inside the root).
async fn stream(path: PathBuf, request: Request) -> Response {
    use tower::ServiceExt;
    match tower_http::services::ServeFile::new(path)
        .oneshot(request)
        .await
    {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

fn status(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_directory_are_refused() {
        assert_eq!(relative_path("/app.css").as_deref(), Some("app.css"));
        assert_eq!(relative_path("/a//b.js").as_deref(), Some("a/b.js"));
        assert_eq!(relative_path("/a%20b.css").as_deref(), Some("a b.css"));
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/a/%2E%2E/%2E%2E/x",
            "/..%2fx",
            "/a%5c..%5cx",
            "/a%00",
            "/",
            "/dir/",
            "/./app.css",
            "/%ff",
        ] {
            assert_eq!(relative_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn if_none_match_lists() {
        let mut headers = HeaderMap::new();
        assert_eq!(none_match(&headers, "\"a\""), None);
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"b\", W/\"a\""),
        );
        assert_eq!(none_match(&headers, "\"a\""), Some(true));
        assert_eq!(none_match(&headers, "\"c\""), Some(false));
    }
}
