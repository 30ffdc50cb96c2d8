//! Content-hashed bundles: `cargo rally build` copies each mount's `app.js` and `app_bg.wasm`
//! into `target/rally/pkg/<mount>/<hash>/` and names that directory in
//! `target/rally/pkg/<mount>/current`. The server links the hashed script and serves hashed
//! paths as immutable, so browsers cache a bundle until it changes. The wasm-bindgen script
//! loads `app_bg.wasm` and imports any JS snippet it still needs (`snippets/…`, those rally-build
//! could not paste into it) relative to itself, so they move together.

use std::fs;
use std::path::Path;

/// The file naming the current hashed directory of a mount's bundle.
pub const CURRENT: &str = "current";

/// The file naming the hashed directory a running server links, and that server's pid.
pub const SERVED: &str = "served";

/// How many hashed builds to keep per mount: the current one and the one before, for tabs
/// that loaded the page just before a deploy.
const KEEP: usize = 2;

/// FNV-1a, 64 bits: stable across runs and machines, and enough to tell builds apart.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The content hash of a bundle (its script, its wasm and the snippets the script imports, as
/// (path, bytes)), as 16 hex digits.
pub fn bundle_hash(js: &[u8], wasm: &[u8], snippets: &[(String, Vec<u8>)]) -> String {
    let h = fnv1a(0xcbf2_9ce4_8422_2325, js);
    // Lengths separate the parts, so moving bytes between them changes the hash.
    let h = fnv1a(h, &(js.len() as u64).to_le_bytes());
    let h = fnv1a(h, wasm);
    let h = snippets.iter().fold(h, |h, (path, bytes)| {
        let h = fnv1a(h, &(path.len() as u64).to_le_bytes());
        let h = fnv1a(h, path.as_bytes());
        let h = fnv1a(h, &(bytes.len() as u64).to_le_bytes());
        fnv1a(h, bytes)
    });
    format!("{h:016x}")
}

/// Every file under `mount_dir/snippets`, as (path relative to `mount_dir`, bytes), in path
/// order.
fn snippet_files(mount_dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut dirs = vec![mount_dir.join("snippets")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(mount_dir) {
                let bytes =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                files.push((relative.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Forgets the hashed bundle of a mount: a build that is not published (`dev`) must not leave
/// the server linking an older one.
pub fn unpublish(mount_dir: &Path) {
    let _ = fs::remove_file(mount_dir.join(CURRENT));
}

/// Copies `app.js`, `app_bg.wasm` and any `snippets/` of `mount_dir` into `<hash>/` (the hash
/// covers them all), with brotli and gzip copies of the script and the wasm at the highest
/// levels when `precompress` (release builds; the server compresses dev bundles itself, faster,
/// on their first request), records it as current, and removes older hashed directories beyond
/// the last [`KEEP`]. Returns the hash.
pub fn publish(mount_dir: &Path, precompress: bool) -> Result<String, String> {
    let read = |name: &str| {
        fs::read(mount_dir.join(name))
            .map_err(|e| format!("cannot read {}: {e}", mount_dir.join(name).display()))
    };
    let (js, wasm) = (read("app.js")?, read("app_bg.wasm")?);
    let snippets = snippet_files(mount_dir)?;
    let hash = bundle_hash(&js, &wasm, &snippets);
    let dir = mount_dir.join(&hash);
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("app.js", &js)?;
    write("app_bg.wasm", &wasm)?;
    for (path, bytes) in &snippets {
        write(path, bytes)?;
    }
    if precompress {
        for name in ["app.js", "app_bg.wasm"] {
            rally_build::precompress(&dir.join(name)).map_err(|e| e.to_string())?;
        }
    }
    fs::write(mount_dir.join(CURRENT), format!("{hash}\n"))
        .map_err(|e| format!("cannot write {}: {e}", mount_dir.join(CURRENT).display()))?;
    prune(mount_dir, &hash);
    Ok(hash)
}

/// Bytes a browser downloads for the published bundle `hash` of `mount_dir`: its `.gz` and `.br`
/// copies (JS + wasm), if [`publish`] precompressed it.
pub fn served_sizes(mount_dir: &Path, hash: &str) -> Option<(u64, u64)> {
    let size = |name: &str| fs::metadata(mount_dir.join(hash).join(name)).map(|m| m.len());
    let gzip = size("app.js.gz").ok()? + size("app_bg.wasm.gz").ok()?;
    let brotli = size("app.js.br").ok()? + size("app_bg.wasm.br").ok()?;
    Some((gzip, brotli))
}

/// Records that process `pid` (a server just started) links the current bundle of each mount
/// under `pkg_dir`, so later builds keep that bundle while the process runs.
pub fn pin(pkg_dir: &Path, pid: u32) {
    let Ok(mounts) = fs::read_dir(pkg_dir) else {
        return;
    };
    for mount in mounts.filter_map(Result::ok).map(|e| e.path()) {
        if let Ok(current) = fs::read_to_string(mount.join(CURRENT)) {
            let _ = fs::write(mount.join(SERVED), format!("{} {pid}\n", current.trim()));
        }
    }
}

/// The hash a live server links, from [`SERVED`].
fn served(mount_dir: &Path) -> Option<String> {
    let record = fs::read_to_string(mount_dir.join(SERVED)).ok()?;
    let (hash, pid) = record.trim().split_once(' ')?;
    alive(pid.parse().ok()?).then(|| hash.to_owned())
}

/// Whether process `pid` runs (where that cannot be told, it is assumed to).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

fn is_hash(name: &str) -> bool {
    name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes hashed directories except `current`, the one a live server links, and the newest
/// others, up to [`KEEP`] in all.
fn prune(mount_dir: &Path, current: &str) {
    let Ok(entries) = fs::read_dir(mount_dir) else {
        return;
    };
    let served = served(mount_dir);
    let mut old: Vec<(std::time::SystemTime, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            is_hash(&name) && name != current && Some(&name) != served.as_ref() && e.path().is_dir()
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    old.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    for (_, dir) in old.into_iter().skip(KEEP - 1) {
        let _ = fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(dir: &Path, js: &str, wasm: &[u8]) {
        fs::write(dir.join("app.js"), js).unwrap();
        fs::write(dir.join("app_bg.wasm"), wasm).unwrap();
    }

    #[test]
    fn snippets_the_glue_imports_are_published_with_it_and_change_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        bundle(dir.path(), "js", b"\0asm");
        let plain = publish(dir.path(), false).unwrap();
        let snippet = dir.path().join("snippets/app-1/inline0.js");
        fs::create_dir_all(snippet.parent().unwrap()).unwrap();
        fs::write(
            &snippet,
            "let n = 0; export function next() { return ++n; }\n",
        )
        .unwrap();
        let with_snippet = publish(dir.path(), false).unwrap();
        assert_ne!(with_snippet, plain);
        assert_eq!(
            fs::read_to_string(
                dir.path()
                    .join(&with_snippet)
                    .join("snippets/app-1/inline0.js")
            )
            .unwrap(),
            "let n = 0; export function next() { return ++n; }\n"
        );
        fs::write(
            &snippet,
            "let n = 1; export function next() { return ++n; }\n",
        )
        .unwrap();
        assert_ne!(publish(dir.path(), false).unwrap(), with_snippet);
    }

    #[test]
    fn a_bundle_is_published_under_its_content_hash() {
        let dir = tempfile::tempdir().unwrap();
        bundle(dir.path(), "js", b"\0asm");
        let hash = publish(dir.path(), false).unwrap();
        assert!(is_hash(&hash));
        assert_eq!(
            fs::read_to_string(dir.path().join(CURRENT)).unwrap(),
            format!("{hash}\n")
        );
        assert_eq!(
            fs::read(dir.path().join(&hash).join("app_bg.wasm")).unwrap(),
            b"\0asm"
        );
        assert!(!dir.path().join(&hash).join("app.js.br").exists());
        assert_eq!(served_sizes(dir.path(), &hash), None);
        // Release builds publish brotli and gzip copies beside each file.
        publish(dir.path(), true).unwrap();
        let mut sum = [0, 0];
        for name in ["app.js.br", "app.js.gz", "app_bg.wasm.br", "app_bg.wasm.gz"] {
            let path = dir.path().join(&hash).join(name);
            sum[usize::from(name.ends_with(".gz"))] += fs::metadata(&path).unwrap().len();
        }
        assert_eq!(served_sizes(dir.path(), &hash), Some((sum[1], sum[0])));
        // Same content, same name; any change, a new name.
        assert_eq!(publish(dir.path(), false).unwrap(), hash);
        bundle(dir.path(), "js", b"\0asn");
        assert_ne!(publish(dir.path(), false).unwrap(), hash);
        assert_ne!(bundle_hash(b"ab", b"c", &[]), bundle_hash(b"a", b"bc", &[]));
    }

    #[test]
    fn only_the_current_and_the_previous_build_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut hashes = Vec::new();
        for i in 0..4 {
            bundle(dir.path(), &format!("build {i}"), b"wasm");
            hashes.push(publish(dir.path(), false).unwrap());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let kept: Vec<_> = hashes
            .iter()
            .filter(|h| dir.path().join(h).is_dir())
            .collect();
        assert_eq!(kept, vec![&hashes[2], &hashes[3]]);
        unpublish(dir.path());
        assert!(!dir.path().join(CURRENT).exists());
    }

    #[test]
    fn the_bundle_a_running_server_links_is_kept_until_it_exits() {
        let pkg = tempfile::tempdir().unwrap();
        let mount = pkg.path().join("public");
        fs::create_dir_all(&mount).unwrap();
        let build = |i: usize| {
            bundle(&mount, &format!("build {i}"), b"wasm");
            let hash = publish(&mount, false).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
            hash
        };
        let linked = build(0);
        // This test process stands in for the running server.
        pin(pkg.path(), std::process::id());
        let later: Vec<String> = (1..4).map(build).collect();
        assert!(
            mount.join(&linked).is_dir(),
            "the served bundle was deleted"
        );
        assert!(mount.join(&later[2]).is_dir() && mount.join(&later[1]).is_dir());
        assert!(!mount.join(&later[0]).exists());
        // Once that server is gone (a pid that cannot exist), it is pruned like any other.
        fs::write(mount.join(SERVED), format!("{linked} {}\n", u32::MAX)).unwrap();
        build(4);
        assert!(!mount.join(&linked).exists());
    }
}
