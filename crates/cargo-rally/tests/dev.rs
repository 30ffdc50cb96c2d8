//! The `cargo rally dev` loop against a copy of the starter app, with the real gen and a fake
//! build whose "server" is `sleep`: change → debounce → gen → build → SIGTERM the old server →
//! start the new one → tell the tabs; failures keep the old server; Ctrl-C stops it.

#![cfg(target_os = "linux")] // `/proc` and `sleep`

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cargo_rally::dev::{Action, Dev, Event, Options, Reloader, ServerCommand, Steps};

/// Copies what the loop reads of `examples/starter` into `to`.
fn starter(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/starter");
    for dir in ["src", "db/migrations", "db/seeds", "assets"] {
        copy_dir(&from.join(dir), &to.join(dir));
    }
    fs::copy(from.join("Cargo.toml"), to.join("Cargo.toml")).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Real gen; a build that records itself and "builds" a `sleep` server, or fails on demand.
struct Fake {
    root: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    fail: Arc<AtomicBool>,
}

impl Steps for Fake {
    fn generate(&mut self) -> Result<(), String> {
        self.log.lock().unwrap().push("gen".into());
        cargo_rally::gen_all(&self.root, false)
    }

    fn build(&mut self, build: u64) -> Result<ServerCommand, String> {
        self.log.lock().unwrap().push(format!("build {build}"));
        if self.fail.load(Ordering::SeqCst) {
            return Err("the server build failed (see cargo's errors above)".into());
        }
        Ok(ServerCommand {
            program: "sleep".into(),
            args: vec!["600".into()],
        })
    }
}

struct Running {
    dir: tempfile::TempDir,
    events: Receiver<Event>,
    log: Arc<Mutex<Vec<String>>>,
    fail: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    reload_port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    fn start() -> Running {
        let dir = tempfile::tempdir().unwrap();
        starter(dir.path());
        let log = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let reloader = Reloader::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let reload_port = reloader.port();
        let (tx, events) = channel();
        let mut dev = Dev::new(
            dir.path(),
            Fake {
                root: dir.path().to_path_buf(),
                log: Arc::clone(&log),
                fail: Arc::clone(&fail),
            },
            Options {
                poll: Duration::from_millis(20),
                debounce: Duration::from_millis(150),
                stop_timeout: Duration::from_secs(2),
                wait_for_port: false,
            },
            Some(reloader),
            Box::new(move |event| {
                eprintln!("rally: {}", cargo_rally::dev::describe(&event));
                let _ = tx.send(event);
            }),
        );
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || dev.run(&stop_flag));
        Running {
            dir,
            events,
            log,
            fail,
            stop,
            reload_port,
            thread: Some(thread),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The events up to and including the first that `until` accepts.
    fn until(&self, what: &str, until: impl Fn(&Event) -> bool) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    let done = until(&event);
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no {what} within 30 s; saw {seen:#?}");
    }

    /// Asserts nothing happens for a while.
    fn quiet(&self, why: &str) {
        if let Ok(event) = self.events.recv_timeout(Duration::from_millis(600)) {
            panic!("{why}, yet: {event:?}");
        }
    }

    fn started(&self) -> u32 {
        let events = self.until("server start", |e| matches!(e, Event::Started { .. }));
        match events.last() {
            Some(Event::Started { pid }) => *pid,
            _ => unreachable!(),
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn write(&self, path: &str, text: &str) {
        fs::write(self.root().join(path), text).unwrap();
    }

    fn append(&self, path: &str, text: &str) {
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(self.root().join(path))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn stop(mut self) -> Vec<Event> {
        self.stop.store(true, Ordering::SeqCst);
        let events = self.until("the end", |e| *e == Event::Done);
        self.thread.take().unwrap().join().unwrap();
        events
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed test still stops its `sleep` servers.
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// A tab: an event-stream subscriber of the reload endpoint.
struct Tab(BufReader<TcpStream>);

impl Tab {
    fn open(port: u16) -> Tab {
        let mut stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nOrigin: http://127.0.0.1:8080\r\n\r\n")
            .unwrap();
        let mut tab = Tab(BufReader::new(stream));
        let mut head = String::new();
        loop {
            let mut line = String::new();
            tab.0.read_line(&mut line).unwrap();
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("Content-Type: text/event-stream\r\n"),
            "{head}"
        );
        assert!(
            head.contains("Access-Control-Allow-Origin: *\r\n"),
            "{head}"
        );
        tab
    }

    /// The next message: (bundle build id, reload id).
    fn next(&mut self) -> (u64, u64) {
        loop {
            let mut line = String::new();
            assert!(
                self.0.read_line(&mut line).unwrap() > 0,
                "the stream closed"
            );
            if let Some(data) = line.trim_end().strip_prefix("data: ") {
                let (a, b) = data.split_once(' ').unwrap();
                return (a.parse().unwrap(), b.parse().unwrap());
            }
        }
    }
}

const ABOUT: &str = r#"//! `/about`.

use rally::routes::QueryParams;
use rally::view::html::{h1, text};
use rally::view::{Effect, Element};

use crate::public::SharedState;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model;

#[derive(Debug, Clone, PartialEq)]
pub enum Message {}

pub fn initial_model(_shared: &SharedState, _query: &QueryParams) -> Model {
    Model
}

pub fn update(_model: &mut Model, msg: Message) -> Effect<Message> {
    match msg {}
}

pub fn view(_model: &Model) -> Element<Message> {
    h1(vec![], vec![text("About")])
}
"#;

#[test]
fn a_change_regenerates_rebuilds_restarts_the_server_and_reloads_the_tabs() {
    let dev = Running::start();
    let first = dev.started();
    assert!(alive(first));
    let built = |events: &[Event]| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Built { build, .. } => Some(*build),
                _ => None,
            })
            .expect("a build")
    };
    let events = dev.until("the first reload", |e| matches!(e, Event::Reloaded { .. }));
    assert_eq!(events, vec![Event::Reloaded { tabs: 0 }]);
    let first_build: u64 = dev.log()[1]
        .strip_prefix("build ")
        .and_then(|b| b.parse().ok())
        .expect("the first build");
    let mut tab = Tab::open(dev.reload_port);
    assert_eq!(
        tab.next(),
        (first_build, first_build),
        "a new tab learns the current build"
    );

    // A new page: two files saved within the debounce time are one rebuild.
    dev.write("src/public/pages/about.rs", ABOUT);
    thread::sleep(Duration::from_millis(50));
    dev.append("src/public/pages/mod.rs", "pub mod about;\n");
    let events = dev.until("the reload", |e| matches!(e, Event::Reloaded { .. }));
    let changed = Event::Changed {
        paths: vec![
            PathBuf::from("src/public/pages/about.rs"),
            PathBuf::from("src/public/pages/mod.rs"),
        ],
        action: Action::Rebuild,
    };
    assert_eq!(events[0], changed, "{events:#?}");
    assert!(matches!(events[1], Event::Generated { .. }), "{events:#?}");
    let second_build = built(&events);
    assert!(second_build > first_build);
    // The old server was stopped with SIGTERM before the new one started.
    let stopped = events
        .iter()
        .position(|e| matches!(e, Event::Stopped { pid, killed: false, status } if *pid == first && status.contains("signal: 15")))
        .unwrap_or_else(|| panic!("the first server stopped: {events:#?}"));
    let second = match &events[stopped + 1] {
        Event::Started { pid } => *pid,
        other => panic!("expected the start, got {other:?}"),
    };
    assert!(!alive(first) && alive(second));
    assert_eq!(events.last(), Some(&Event::Reloaded { tabs: 1 }));
    // gen really ran: the route exists.
    let routes = fs::read_to_string(dev.root().join("src/generated/routes/public.rs")).unwrap();
    assert!(routes.contains("About"), "{routes}");
    // The tab hears of the newer bundle (its page reloads: docs/adr/0014-dev-loop.md).
    assert_eq!(tab.next(), (second_build, second_build));
    assert_eq!(dev.log().len(), 4, "{:?}", dev.log());

    // Ctrl-C: the server is stopped and the loop ends.
    let events = dev.stop();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Stopped { pid, .. } if *pid == second)),
        "{events:#?}"
    );
    assert!(!alive(second));
}

#[test]
fn failures_keep_the_old_server_and_ignored_files_do_nothing() {
    let dev = Running::start();
    let server = dev.started();
    dev.until("the first reload", |e| matches!(e, Event::Reloaded { .. }));

    // A compile error: the build fails, the old server stays up.
    dev.fail.store(true, Ordering::SeqCst);
    dev.append("src/public/pages/home_.rs", "\n// edited\n");
    let events = dev.until("the failed build", |e| {
        matches!(e, Event::BuildFailed { .. })
    });
    assert!(
        matches!(events.last(), Some(Event::BuildFailed { server_running: true, error, .. }) if error.contains("server build failed")),
        "{events:#?}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Stopped { .. })));
    assert!(alive(server));
    dev.quiet("nothing else happens after a failed build");

    // A contract error: gen fails with the file and line, nothing is built.
    let builds = dev.log().iter().filter(|l| l.starts_with("build")).count();
    let home = fs::read_to_string(dev.root().join("src/public/pages/home_.rs")).unwrap();
    dev.write(
        "src/public/pages/home_.rs",
        &home.replace("pub fn view(", "pub fn render("),
    );
    let events = dev.until("the failed gen", |e| matches!(e, Event::GenFailed { .. }));
    match events.last() {
        Some(Event::GenFailed {
            error,
            server_running: true,
        }) => assert_eq!(
            error,
            "src/public/pages/home_.rs:1: missing `pub fn view` — add `pub fn view(model: &Model) -> Element<Message>`"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        dev.log().iter().filter(|l| l.starts_with("build")).count(),
        builds
    );
    assert!(alive(server));

    // The fix rebuilds, and the server restarts.
    dev.fail.store(false, Ordering::SeqCst);
    dev.write("src/public/pages/home_.rs", &home);
    let events = dev.until("the restart", |e| matches!(e, Event::Started { .. }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Stopped { pid, .. } if *pid == server))
    );
    dev.until("the reload", |e| matches!(e, Event::Reloaded { .. }));

    // Generated code, hidden files and editor scratch files are not watched.
    fs::write(dev.root().join("src/generated/scratch.rs"), "// x\n").unwrap();
    dev.write("src/public/pages/.#home_.rs", "lock");
    dev.write("src/public/pages/home_.rs~", "backup");
    dev.write("README.md", "not watched");
    dev.quiet("unwatched files changed");
    // (codegen itself reads `.#x.rs` as a page, so they go before the next gen)
    fs::remove_file(dev.root().join("src/public/pages/.#home_.rs")).unwrap();
    fs::remove_file(dev.root().join("src/public/pages/home_.rs~")).unwrap();
    dev.quiet("removing unwatched files");

    // An asset: the tabs reload, nothing is built or restarted.
    let builds = dev.log().len();
    dev.write("assets/app.css", "body { color: red }\n");
    let events = dev.until("the reload", |e| matches!(e, Event::Reloaded { .. }));
    assert_eq!(
        events,
        vec![
            Event::Changed {
                paths: vec![PathBuf::from("assets/app.css")],
                action: Action::Reload
            },
            Event::Reloaded { tabs: 0 }
        ]
    );
    assert_eq!(dev.log().len(), builds);

    // A burst of saves is one rebuild.
    for i in 0..5 {
        dev.append("src/public/pages/home_.rs", &format!("// save {i}\n"));
        thread::sleep(Duration::from_millis(40));
    }
    let events = dev.until("the reload", |e| matches!(e, Event::Reloaded { .. }));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Changed { .. }))
            .count(),
        1,
        "{events:#?}"
    );
    dev.quiet("one burst, one rebuild");

    // A new migration: rebuilt, and dev says to migrate (it does not touch the database).
    dev.write(
        "db/migrations/002_more.sql",
        "CREATE TABLE more (id INTEGER PRIMARY KEY);\n",
    );
    let events = dev.until("the reload", |e| matches!(e, Event::Reloaded { .. }));
    assert!(events.contains(&Event::MigrationsChanged), "{events:#?}");
    dev.stop();
}

#[test]
fn the_reload_endpoint_counts_only_open_tabs() {
    let reloader = Reloader::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut kept = Tab::open(reloader.port());
    assert_eq!(kept.next(), (0, 0));
    let gone = Tab::open(reloader.port());
    drop(gone);
    thread::sleep(Duration::from_millis(50));
    assert_eq!(reloader.send(Some(7), 8), 1);
    assert_eq!(kept.next(), (7, 8));
    assert_eq!(reloader.send(None, 9), 1);
    assert_eq!(kept.next(), (7, 9));
    // Not GET: an empty answer (a CORS preflight, say), and no subscription.
    let mut other =
        TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], reloader.port()))).unwrap();
    other
        .write_all(b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    BufReader::new(other).read_line(&mut answer).unwrap();
    assert_eq!(answer, "HTTP/1.1 204 No Content\r\n");
    assert_eq!(reloader.send(None, 10), 1);
}

/// The script the dev bundle gets, run in Node with a stand-in `EventSource` and `location`.
#[test]
fn the_bundle_script_reloads_on_a_newer_build_or_a_changed_asset() {
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("node is not installed; skipping");
        return;
    }
    let script = cargo_rally::dev::reload_script(35729, 100);
    let harness = format!(
        r#"
const out = [];
globalThis.location = {{ hostname: "localhost", reload() {{ out.push("reload"); }} }};

let source;
globalThis.EventSource = class {{ constructor(url) {{ out.push(url); source = this; }} close() {{ out.push("close"); }} }};
const run = (...messages) => {{
  {script}
  for (const data of messages) source.onmessage({{ data }});
  out.push("|");
}};
run("0 0", "100 100", "100 100");    // the first build, which is this tab's: no reload
run("100 100", "100 105");           // an asset changed: reload
run("99 99", "150 150");             // a newer bundle: reload
run("150 150");                      // this tab's bundle is older than the served one: reload
run("100 105", "100 105", "160 160"); // after an asset reload, a rebuild: reload
out.push(`dev=${{globalThis.__rallyDev}}`); // the runtime keeps state when this is set
console.log(out.join(" "));
"#
    );
    let output = std::process::Command::new("node")
        .args(["-e", &harness])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        [
            "http://localhost:35729/ |",
            "http://localhost:35729/ close reload |",
            "http://localhost:35729/ close reload |",
            "http://localhost:35729/ close reload |",
            "http://localhost:35729/ close reload |",
            "dev=true",
        ]
        .join(" ")
    );
}
