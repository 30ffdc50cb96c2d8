//! Pages that repeat are compressed once.
//!
//! A page is rendered per request, yet most requests for it get the bytes the previous one
//! got: `/games` changes when a score does, not from one visitor to the next. Compressing
//! each copy anyway cost as much as rendering it once `view!` templates made rendering cheap
//! (~306 k instructions at libdeflate's fastest level against ~311 k for the whole request;
//! issue 19). So the gzip of a page is kept, by content, and reused while the page stays the
//! same.
//!
//! What differs between two copies of a page is its CSP nonce, which must be new in every
//! response. A page is therefore kept as the runs of bytes between its nonces, each compressed
//! on its own and ended by a sync flush (a byte-aligned, non-final block boundary), so the
//! runs can be joined with the response's nonce between them as stored blocks. The result is a
//! valid gzip member of exactly the page; its CRC-32 is computed over the page as sent
//! (~1.5 k instructions for 10 KB). Runs are compressed with fresh windows: a back-reference
//! never crosses a nonce the compressor did not see.
//!
//! Caching costs something only for pages seen twice: the first sighting of some content
//! records a 64-bit digest, and the second builds the entry (zlib-rs, whose flushes libdeflate
//! does not have). A page made for one visitor, or a flood of distinct pages, never pays for
//! more than the digest. The cache holds a few entries of bounded size; the oldest goes first.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use flate2::{Compress, Compression, FlushCompress, Status};

/// Entries kept; a mount's popular pages in their few variants.
const ENTRIES: usize = 16;
/// Digests of content seen once, waiting for a second sighting.
const SEEN: usize = 64;
/// Larger pages are compressed per request: copying them to compare costs more than it saves.
pub(crate) const MAX_CACHED_BYTES: usize = 256 * 1024;

/// Compressed pages by content, for one server.
#[derive(Default)]
pub(crate) struct PageCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: Vec<Arc<Entry>>,
    seen: Vec<u64>,
    next_seen: usize,
    #[cfg(test)]
    hits: usize,
}

/// One page's runs (the bytes between its nonces) and their compressed forms.
struct Entry {
    digest: u64,
    runs: Vec<Box<[u8]>>,
    deflated: Vec<Box<[u8]>>,
}

impl PageCache {
    /// `page` as gzip if its content (all but `nonce`) has been compressed before; `None`
    /// when it has to be compressed now (the first and second time some content is seen, and
    /// pages the cache does not take).
    pub(crate) fn gzip(&self, page: &[u8], nonce: &[u8]) -> Option<Vec<u8>> {
        if page.len() > MAX_CACHED_BYTES || nonce.len() > usize::from(u16::MAX) {
            return None;
        }
        let runs = split(page, nonce);
        let digest = digest(&runs);
        let found = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let found = state.entries.iter().find(|e| e.digest == digest).cloned();
            if found.is_none() && !state.seen_before(digest) {
                return None;
            }
            found
        };
        let entry = match found {
            Some(entry) if entry.holds(&runs) => {
                #[cfg(test)]
                {
                    self.state
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .hits += 1;
                }
                entry
            }
            // A digest collision, with content of its own: compressed per request.
            Some(_) => return None,
            None => {
                let entry = Arc::new(Entry::new(digest, &runs).ok()?);
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                if state.entries.len() == ENTRIES {
                    state.entries.remove(0);
                }
                state.entries.push(Arc::clone(&entry));
                entry
            }
        };
        Some(entry.gzip(page, nonce))
    }

    #[cfg(test)]
    fn hits(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hits
    }
}

impl State {
    /// Whether `digest` was seen before; records it otherwise.
    fn seen_before(&mut self, digest: u64) -> bool {
        if self.seen.contains(&digest) {
            return true;
        }
        if self.seen.len() < SEEN {
            self.seen.push(digest);
        } else {
            self.seen[self.next_seen] = digest;
            self.next_seen = (self.next_seen + 1) % SEEN;
        }
        false
    }
}

impl Entry {
    fn new(digest: u64, runs: &[&[u8]]) -> io::Result<Entry> {
        // Built once per content, so at zlib's default level rather than the fastest: the
        // repeated responses come out ~20 % smaller than libdeflate's level 1.
        let mut compress = Compress::new(Compression::default(), false);
        let deflated = runs
            .iter()
            .map(|run| {
                compress.reset();
                deflate_flushed(&mut compress, run)
            })
            .collect::<io::Result<_>>()?;
        Ok(Entry {
            digest,
            runs: runs.iter().map(|r| Box::from(*r)).collect(),
            deflated,
        })
    }

    fn holds(&self, runs: &[&[u8]]) -> bool {
        self.runs.len() == runs.len() && self.runs.iter().zip(runs).all(|(a, b)| **a == **b)
    }

    /// The gzip member of `page`: the runs' blocks with `nonce` stored between them.
    fn gzip(&self, page: &[u8], nonce: &[u8]) -> Vec<u8> {
        let nonces = self.deflated.len().saturating_sub(1);
        let size = self.deflated.iter().map(|d| d.len()).sum::<usize>()
            + nonces * (5 + nonce.len())
            + GZIP_HEADER.len()
            + 2
            + 8;
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&GZIP_HEADER);
        let len = nonce.len() as u16;
        for (i, deflated) in self.deflated.iter().enumerate() {
            out.extend_from_slice(deflated);
            if i < nonces {
                // A stored block (BFINAL 0, BTYPE 00) at a byte boundary: LEN, NLEN, bytes.
                out.push(0);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&(!len).to_le_bytes());
                out.extend_from_slice(nonce);
            }
        }
        // An empty final block with the fixed codes: BFINAL 1, BTYPE 01, end-of-block.
        out.extend_from_slice(&[0x03, 0x00]);
        out.extend_from_slice(&libdeflater::crc32(page).to_le_bytes());
        out.extend_from_slice(&(page.len() as u32).to_le_bytes());
        out
    }
}

/// Magic, deflate, no flags, no time, no extra flags, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// `run` as raw deflate blocks ended by a sync flush.
fn deflate_flushed(compress: &mut Compress, run: &[u8]) -> io::Result<Box<[u8]>> {
    let mut out = Vec::with_capacity(run.len() / 2 + 64);
    let mut input = run;
    loop {
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, &mut out, FlushCompress::Sync)
            .map_err(io::Error::other)?;
        let read = usize::try_from(compress.total_in() - before).unwrap_or(input.len());
        input = &input[read.min(input.len())..];
        // Done once all input is in and the flush had room to finish.
        if input.is_empty() && out.len() < out.capacity() {
            return Ok(out.into_boxed_slice());
        }
        if status == Status::BufError && out.len() < out.capacity() {
            return Err(io::Error::other("deflate made no progress"));
        }
        out.reserve(out.capacity().max(64));
    }
}

/// The runs of `page` between the occurrences of `nonce`.
fn split<'a>(page: &'a [u8], nonce: &[u8]) -> Vec<&'a [u8]> {
    if nonce.is_empty() {
        return vec![page];
    }
    let mut runs = Vec::with_capacity(3);
    let mut start = 0;
    for at in memchr::memmem::find_iter(page, nonce) {
        // Occurrences do not overlap: a nonce is base64 of random bytes, and one that did
        // would only make the cache miss.
        if at < start {
            continue;
        }
        runs.push(&page[start..at]);
        start = at + nonce.len();
    }
    runs.push(&page[start..]);
    runs
}

/// The content's CRC-32 and length, with the number of runs.
fn digest(runs: &[&[u8]]) -> u64 {
    let mut crc = libdeflater::Crc::new();
    let mut len = 0u64;
    for run in runs {
        crc.update(run);
        len += run.len() as u64;
    }
    (u64::from(crc.sum()) << 32) ^ (len << 8) ^ runs.len() as u64
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip member");
        out
    }

    fn page(nonce: &str, games: usize) -> String {
        let cards: String = (0..games)
            .map(|i| {
                format!("<article class=\"game-card\"><a href=\"/games/{i}\">Details</a></article>")
            })
            .collect();
        format!(
            "<!doctype html><head><script nonce=\"{nonce}\">boot()</script></head><body>{cards}\
             <script type=\"module\" nonce=\"{nonce}\">init()</script></body>"
        )
    }

    #[test]
    fn a_page_seen_twice_is_served_from_its_compressed_runs_with_each_new_nonce() {
        let cache = PageCache::default();
        let nonces = [
            "n0nceAAAAAAAAAAAAAAAA1",
            "n0nceBBBBBBBBBBBBBBBB2",
            "n0nceC3",
            "x",
        ];
        // First sighting: compressed by the caller. Second: the entry is built.
        assert!(
            cache
                .gzip(page(nonces[0], 40).as_bytes(), nonces[0].as_bytes())
                .is_none()
        );
        for nonce in nonces {
            let page = page(nonce, 40);
            let gz = cache
                .gzip(page.as_bytes(), nonce.as_bytes())
                .expect("a repeated page");
            assert_eq!(gunzip(&gz), page.as_bytes(), "nonce {nonce}");
            assert!(gz.len() < page.len() / 3, "{} of {}", gz.len(), page.len());
        }
        assert_eq!(cache.hits(), 3);
    }

    #[test]
    fn changed_content_is_never_served_from_an_older_entry() {
        let cache = PageCache::default();
        let nonce = "abcdefghijklmnopqrstuv";
        for games in [40, 40, 41, 40, 41, 41] {
            let page = page(nonce, games);
            if let Some(gz) = cache.gzip(page.as_bytes(), nonce.as_bytes()) {
                assert_eq!(gunzip(&gz), page.as_bytes(), "{games} games");
            }
        }
        assert_eq!(cache.hits(), 2, "the third 40 and the third 41");
    }

    #[test]
    fn nonces_anywhere_and_pages_without_one_decode_exactly() {
        let cache = PageCache::default();
        let nonce = "NONCE";
        for page in [
            "NONCE at the start, NONCE in the middle and at the end NONCE".repeat(30),
            "NONCENONCE back to back".repeat(50),
            "no nonce at all ".repeat(100),
            String::new(),
        ] {
            for _ in 0..3 {
                if let Some(gz) = cache.gzip(page.as_bytes(), nonce.as_bytes()) {
                    assert_eq!(gunzip(&gz), page.as_bytes());
                }
            }
            // Without a CSP there is no nonce: the page is one run.
            cache.gzip(page.as_bytes(), b"");
            let gz = cache.gzip(page.as_bytes(), b"").expect("seen before");
            assert_eq!(gunzip(&gz), page.as_bytes());
        }
    }

    #[test]
    fn the_cache_keeps_a_bounded_number_of_pages() {
        let cache = PageCache::default();
        for games in 0..(ENTRIES + 8) {
            let page = page("n", games + 20);
            cache.gzip(page.as_bytes(), b"n");
            cache.gzip(page.as_bytes(), b"n");
        }
        let state = cache.state.lock().unwrap();
        assert_eq!(state.entries.len(), ENTRIES);
        assert!(state.seen.len() <= SEEN);
        // The oldest pages went first.
        let oldest = page("n", 20);
        drop(state);
        assert!(
            cache.gzip(oldest.as_bytes(), b"n").is_some(),
            "seen again, rebuilt"
        );
        let huge = "x".repeat(MAX_CACHED_BYTES + 1);
        cache.gzip(huge.as_bytes(), b"n");
        assert!(
            cache.gzip(huge.as_bytes(), b"n").is_none(),
            "too large to keep"
        );
    }
}
