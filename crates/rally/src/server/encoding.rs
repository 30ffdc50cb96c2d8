//! Content encodings: which one a client gets (`Accept-Encoding`), and the compression of
//! rendered pages.
//!
//! Static files come in every encoding, made once at the highest levels ([`super::assets`]).
//! A page is new on every request, so its compression is paid per request, and it used to cost
//! more than the render: the compression layer answered what browsers send
//! (`gzip, deflate, br, zstd`) with brotli at its fastest level, which set up a fresh encoder
//! for every response and took ~55–90 µs for the 10.5 KB `/games` document, against ~55 µs to
//! load and render it (issue 19; figures in bench/README.md, Scoreboard).
//!
//! Pages are therefore compressed where they are rendered, on the render pool, with gzip at
//! libdeflate's fastest level: ~306 k instructions for `/games` where zlib-rs took 425 k with
//! a reused encoder and 679 k with a fresh one, and 17 % smaller output (2,636 against 3,184
//! bytes). libdeflate compresses a whole buffer in one call, which is all a page needs. Each
//! pool thread keeps its compressor (setting one up costs another ~15 % per page): a
//! per-thread cache, with no state that outlives a call. Every browser accepts gzip, so brotli
//! is only used for static files, where its better ratio is paid for once.
//!
//! Once `view!` templates made rendering cheap, compressing a page cost as much as the whole
//! request; a page whose content repeats (all but its nonce) is now gzipped once and served
//! from [`super::page_cache`].

use std::cell::RefCell;

use axum::http::{HeaderMap, header};

use super::page_cache::PageCache;

/// The encodings a response may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
    Br,
}

impl Encoding {
    /// The `Content-Encoding` value; `None` for identity.
    pub(crate) fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Br => Some("br"),
        }
    }
}

/// The encodings a response is available in besides identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offer {
    pub br: bool,
    pub gzip: bool,
}

impl Offer {
    /// What a page is offered in: gzip, made on demand.
    pub(crate) const PAGE: Offer = Offer {
        br: false,
        gzip: true,
    };
}

/// The encoding to send, from the request's `Accept-Encoding` (q-values, `*`, `identity`) and
/// what is on offer. Brotli wins a tie with gzip; identity is acceptable unless refused.
pub(crate) fn choose(accept: &HeaderMap, offer: Offer) -> Encoding {
    let mut best = (Encoding::Identity, 0.0f32);
    let mut identity_q = None;
    let mut star_q = None;
    for value in accept.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            // Codings and parameter names are case-insensitive.
            let q = parts
                .filter_map(|p| {
                    let (key, value) = p.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("q").then_some(value)
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let is = |coding: &str| name.eq_ignore_ascii_case(coding);
            let encoding = if is("br") && offer.br {
                Encoding::Br
            } else if (is("gzip") || is("x-gzip")) && offer.gzip {
                Encoding::Gzip
            } else if is("identity") {
                identity_q = Some(q);
                continue;
            } else if name == "*" {
                star_q = Some(q);
                continue;
            } else {
                continue;
            };
            let better = q > best.1 || (q == best.1 && q > 0.0 && encoding == Encoding::Br);
            if better {
                best = (encoding, q);
            }
        }
    }
    if best.1 == 0.0 {
        // `*` covers the encodings not named: brotli, then gzip.
        if star_q.is_some_and(|q| q > 0.0) {
            if offer.br {
                return Encoding::Br;
            }
            if offer.gzip {
                return Encoding::Gzip;
            }
        }
        return Encoding::Identity;
    }
    match identity_q {
        Some(q) if q > best.1 => Encoding::Identity,
        _ => best.0,
    }
}

/// Dynamic bodies below this are sent as they are: one packet either way (pages here, other
/// responses through the compression layer).
pub(crate) const MIN_COMPRESS_BYTES: usize = 1024;

/// A rendered document as it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageBody {
    pub bytes: Vec<u8>,
    /// `Identity` or `Gzip`.
    pub encoding: Encoding,
}

impl PageBody {
    /// `document` in `encoding` when that pays: gzip for a client that takes it, unless the
    /// page is small or does not get at least 1/16 smaller. A page whose content (all but its
    /// CSP `nonce`) was compressed before comes from `cache`.
    pub(crate) fn new(
        document: String,
        nonce: &str,
        encoding: Encoding,
        cache: Option<&PageCache>,
    ) -> PageBody {
        if encoding == Encoding::Gzip
            && document.len() >= MIN_COMPRESS_BYTES
            && let Some(bytes) = cache
                .and_then(|cache| cache.gzip(document.as_bytes(), nonce.as_bytes()))
                .filter(|gz| gz.len() <= worth_sending(document.len()))
                .or_else(|| gzip_fast(document.as_bytes()))
        {
            return PageBody {
                bytes,
                encoding: Encoding::Gzip,
            };
        }
        PageBody {
            bytes: document.into_bytes(),
            encoding: Encoding::Identity,
        }
    }
}

thread_local! {
    /// This thread's compressor, made on its first page.
    static COMPRESSOR: RefCell<Option<libdeflater::Compressor>> = const { RefCell::new(None) };
}

/// The largest compressed size worth sending for `len` bytes: 15/16 of them.
fn worth_sending(len: usize) -> usize {
    len - len / 16
}

/// `data` as gzip at libdeflate's fastest level, if it comes out at most 15/16 of its size.
fn gzip_fast(data: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        // Level 1: the fastest that compresses (`CompressionLvl::fastest()` is 0, which only
        // stores).
        let compressor = cell.get_or_insert_with(|| {
            libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap_or_default())
        });
        // Room for 15/16 of the input: libdeflate fails on a fuller buffer, which is the
        // answer "not worth it" at no extra cost.
        let mut out = vec![0; worth_sending(data.len())];
        let len = compressor.gzip_compress(data, &mut out).ok()?;
        out.truncate(len);
        Some(out)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::HeaderValue;

    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    const BOTH: Offer = Offer {
        br: true,
        gzip: true,
    };
    const GZIP: Offer = Offer {
        br: false,
        gzip: true,
    };

    #[test]
    fn the_encoding_follows_the_clients_q_values() {
        assert_eq!(choose(&HeaderMap::new(), BOTH), Encoding::Identity);
        assert_eq!(
            choose(&accept("gzip, deflate, br, zstd"), BOTH),
            Encoding::Br
        );
        assert_eq!(choose(&accept("gzip"), BOTH), Encoding::Gzip);
        assert_eq!(
            choose(&accept("br;q=0.5, gzip;q=0.8"), BOTH),
            Encoding::Gzip
        );
        assert_eq!(
            choose(&accept("br;q=0, gzip;q=0"), BOTH),
            Encoding::Identity
        );
        assert_eq!(choose(&accept("*"), BOTH), Encoding::Br);
        assert_eq!(choose(&accept("identity"), BOTH), Encoding::Identity);
        assert_eq!(
            choose(&accept("gzip;q=0.5, identity"), BOTH),
            Encoding::Identity
        );
        assert_eq!(choose(&accept("br"), GZIP), Encoding::Identity);
        assert_eq!(choose(&accept("br, gzip"), GZIP), Encoding::Gzip);
        assert_eq!(choose(&accept("BR;Q=1"), BOTH), Encoding::Br);
        assert_eq!(choose(&accept("X-GZIP ; Q=0.3"), GZIP), Encoding::Gzip);
        assert_eq!(choose(&accept("gzip;q=bogus"), GZIP), Encoding::Gzip);
    }

    #[test]
    fn pages_get_gzip_from_every_browser() {
        // What Chromium and Firefox send, then Safari.
        for sent in ["gzip, deflate, br, zstd", "gzip, deflate, br"] {
            assert_eq!(choose(&accept(sent), Offer::PAGE), Encoding::Gzip, "{sent}");
        }
        assert_eq!(choose(&accept("br"), Offer::PAGE), Encoding::Identity);
        assert_eq!(choose(&accept("*;q=0.1"), Offer::PAGE), Encoding::Gzip);
        assert_eq!(choose(&accept("gzip;q=0"), Offer::PAGE), Encoding::Identity);
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut out = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    /// A page-like document: repeated markup with varying text.
    fn document(rows: usize) -> String {
        let mut html = String::from("<!doctype html><html><body><table>");
        for i in 0..rows {
            html.push_str(&format!(
                "<tr><td class=\"col\">{i}</td><td><a href=\"/teams/{}\">Team ü {i}</a></td></tr>",
                i * 7
            ));
        }
        html.push_str("</table></body></html>");
        html
    }

    #[test]
    fn a_page_is_gzipped_and_decodes_to_the_same_document() {
        for rows in [20, 200, 5_000] {
            let html = document(rows);
            let body = PageBody::new(
                html.clone(),
                "",
                Encoding::Gzip,
                Some(&PageCache::default()),
            );
            assert_eq!(body.encoding, Encoding::Gzip);
            assert!(
                body.bytes.len() < html.len() / 3,
                "{} of {}",
                body.bytes.len(),
                html.len()
            );
            assert_eq!(gunzip(&body.bytes), html);
        }
    }

    #[test]
    fn small_incompressible_or_unaccepted_pages_are_sent_as_they_are() {
        let small = document(3);
        assert!(small.len() < MIN_COMPRESS_BYTES);
        assert_eq!(
            PageBody::new(
                small.clone(),
                "",
                Encoding::Gzip,
                Some(&PageCache::default())
            ),
            PageBody {
                bytes: small.into_bytes(),
                encoding: Encoding::Identity
            }
        );
        let html = document(100);
        assert_eq!(
            PageBody::new(
                html.clone(),
                "",
                Encoding::Identity,
                Some(&PageCache::default())
            )
            .bytes,
            html.as_bytes()
        );
        // Bytes with no pattern (an xorshift's) do not get 1/16 smaller: not worth sending
        // compressed.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..4_096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(gzip_fast(&noise), None);
        assert!(gzip_fast(html.as_bytes()).is_some());
    }

    #[test]
    fn a_repeated_page_decodes_to_itself_with_each_responses_nonce() {
        let cache = PageCache::default();
        for i in 0..5 {
            let nonce = format!("nonce{i}AAAAAAAAAAAAAAAA");
            let html = format!("<script nonce=\"{nonce}\"></script>{}", document(200));
            let body = PageBody::new(html.clone(), &nonce, Encoding::Gzip, Some(&cache));
            assert_eq!(body.encoding, Encoding::Gzip);
            assert!(body.bytes.len() < html.len() / 3);
            assert_eq!(gunzip(&body.bytes), html, "request {i}");
        }
    }

    #[test]
    fn a_page_without_a_cache_is_gzipped_each_time() {
        for i in 0..3 {
            let nonce = format!("nonce{i}AAAAAAAAAAAAAAAA");
            let html = format!("<script nonce=\"{nonce}\"></script>{}", document(200));
            let body = PageBody::new(html.clone(), &nonce, Encoding::Gzip, None);
            assert_eq!(body.encoding, Encoding::Gzip);
            assert_eq!(gunzip(&body.bytes), html, "request {i}");
        }
    }
}
