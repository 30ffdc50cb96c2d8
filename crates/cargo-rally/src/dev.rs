//! `cargo rally dev`: watch the app, and on every change regenerate, rebuild the server and the
//! browser bundles, restart the server and reload the open tabs (docs/adr/0014-dev-loop.md).
//!
//! The loop is [`Dev`], over [`Steps`] (gen and build) so tests can drive it with a fake
//! build. Watching is [`Watcher`]: file-system events (`notify`: inotify, FSEvents, …) say when
//! to look, and a comparison of modification times and sizes says what changed, so every
//! editor's way of saving counts once and reads never do; where events are unavailable (an
//! exhausted inotify limit, some network file systems) it polls. Reloading is [`Reloader`]: a tiny Server-Sent Events
//! endpoint on its own port, which the dev bundle's JS subscribes to.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::signal::{self, Stop};

/// What `cargo rally dev` watches, relative to the app root (`src/generated` excepted).
pub const WATCHED: &[&str] = &["src", "db/migrations", "assets", "Cargo.toml", ".env"];

/// The reload endpoint's port unless `RALLY_RELOAD_PORT` says otherwise (livereload's).
pub const DEFAULT_RELOAD_PORT: u16 = 35729;

// ---------------------------------------------------------------------------------------------
// Watching

/// What a changed file asks for, least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `assets/**`: served from disk, so the tabs only reload.
    Reload,
    /// `.env`: read when the server starts, so it restarts (no rebuild).
    Restart,
    /// Anything else: gen, build, restart, reload.
    Rebuild,
}

/// What a change to `path` (relative to the app root) asks for.
pub fn action(path: &Path) -> Action {
    if path.starts_with("assets") {
        Action::Reload
    } else if path == Path::new(".env") {
        Action::Restart
    } else {
        Action::Rebuild
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// Finds changed files: woken by file-system events, or polling where there are none.
pub struct Watcher {
    root: PathBuf,
    files: BTreeMap<PathBuf, Stamp>,
    events: Option<Events>,
    /// Why file-system events could not be had, when the watcher polls because of it.
    fallback: Option<String>,
    last_scan: Instant,
}

/// The event source; dropping it stops watching.
struct Events {
    _watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
}

/// How often the watcher also compares everything while events are on: a directory created
/// after the start (`db/migrations`, say) is not watched yet, and events can be dropped when
/// the kernel's queue overflows.
const RESCAN: Duration = Duration::from_secs(2);

impl Watcher {
    /// Watches the app at `root` from its current state, by events where the platform has
    /// them, else by polling.
    pub fn new(root: &Path) -> Self {
        let mut watcher = Watcher::polling(root);
        match Events::start(root) {
            Ok(events) => watcher.events = Some(events),
            Err(e) => watcher.fallback = Some(e.to_string()),
        }
        watcher
    }

    /// Watches the app at `root` by polling alone.
    pub fn polling(root: &Path) -> Self {
        Watcher {
            root: root.to_path_buf(),
            files: snapshot(root),
            events: None,
            fallback: None,
            last_scan: Instant::now(),
        }
    }

    /// Whether this watcher polls (no file-system events).
    pub fn is_polling(&self) -> bool {
        self.events.is_none()
    }

    /// Why it polls although events were asked for (`Watcher::new`), if it does.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// Waits up to `timeout` for changes; returns them as [`Watcher::scan`] does (empty when
    /// nothing changed).
    pub fn wait(&mut self, timeout: Duration) -> Vec<PathBuf> {
        let Some(events) = &self.events else {
            thread::sleep(timeout);
            return self.scan();
        };
        let woken = match events.rx.recv_timeout(timeout) {
            Ok(event) => {
                let mut woken = relevant(&event);
                while let Ok(event) = events.rx.try_recv() {
                    woken |= relevant(&event);
                }
                woken
            }
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                self.events = None;
                self.fallback = Some("the file-system event stream ended".into());
                true
            }
        };
        if woken || self.last_scan.elapsed() >= RESCAN {
            self.scan()
        } else {
            Vec::new()
        }
    }

    /// The files added, changed or removed since the last scan, sorted, relative to the root.
    pub fn scan(&mut self) -> Vec<PathBuf> {
        let now = snapshot(&self.root);
        let mut changed: Vec<PathBuf> = now
            .iter()
            .filter(|(path, stamp)| self.files.get(*path) != Some(stamp))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            self.files
                .keys()
                .filter(|path| !now.contains_key(*path))
                .cloned(),
        );
        changed.sort();
        self.files = now;
        self.last_scan = Instant::now();
        changed
    }
}

impl Events {
    /// Watches the root itself (for `Cargo.toml` and `.env`, which editors replace by renaming)
    /// and each watched directory below it.
    fn start(root: &Path) -> notify::Result<Events> {
        use notify::{RecursiveMode, Watcher as _};
        let (tx, rx) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx)?;
        watcher.watch(root, RecursiveMode::NonRecursive)?;
        for dir in WATCHED.iter().map(|p| root.join(p)).filter(|p| p.is_dir()) {
            watcher.watch(&dir, RecursiveMode::Recursive)?;
        }
        Ok(Events {
            _watcher: watcher,
            rx,
        })
    }
}

/// Whether an event may mean a change: reads (`Access`) do not; errors do (look, to be sure).
fn relevant(event: &notify::Result<notify::Event>) -> bool {
    event.as_ref().map_or(true, |event| !event.kind.is_access())
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Stamp> {
    let mut files = BTreeMap::new();
    for path in WATCHED {
        walk(root, Path::new(path), 0, &mut files);
    }
    files
}

fn walk(root: &Path, rel: &Path, depth: usize, files: &mut BTreeMap<PathBuf, Stamp>) {
    if rel == Path::new("src/generated") || depth > 32 {
        return;
    }
    let Ok(meta) = fs::metadata(root.join(rel)) else {
        return;
    };
    if meta.is_dir() {
        let Ok(entries) = fs::read_dir(root.join(rel)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !ignored(&name.to_string_lossy()) {
                walk(root, &rel.join(name), depth + 1, files);
            }
        }
    } else {
        files.insert(
            rel.to_path_buf(),
            Stamp {
                modified: meta.modified().ok(),
                len: meta.len(),
            },
        );
    }
}

/// Hidden files and editors' scratch files (`.#x.rs`, `x.rs~`, `.x.rs.swp`, vim's `4913`).
fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

// ---------------------------------------------------------------------------------------------
// Reloading the tabs

/// The reload endpoint: `GET /` on its port is a `text/event-stream` whose messages are
/// `<bundle build id> <reload id>`, both increasing. The dev bundle's JS ([`reload_script`])
/// reloads its tab when the served bundle is newer than its own, or when the reload id grows
/// past both its own build and the first reload id it saw (an asset or `.env` change).
pub struct Reloader {
    port: u16,
    tabs: Arc<Mutex<Tabs>>,
}

#[derive(Default)]
struct Tabs {
    bundle: u64,
    reload: u64,
    streams: Vec<TcpStream>,
}

impl Reloader {
    /// Listens on `addr` (port 0: any free port).
    pub fn bind(addr: SocketAddr) -> io::Result<Reloader> {
        let listener = TcpListener::bind(addr)?;
        let port = listener.local_addr()?.port();
        let tabs = Arc::new(Mutex::new(Tabs::default()));
        let accepted = Arc::clone(&tabs);
        thread::Builder::new()
            .name("rally-reload".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let tabs = Arc::clone(&accepted);
                    let _ = thread::Builder::new()
                        .name("rally-reload-tab".into())
                        .spawn(move || subscribe(stream, &tabs));
                }
            })?;
        Ok(Reloader { port, tabs })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Announces `reload`, and `bundle` as the newest bundle if given; returns the number of
    /// tabs told.
    pub fn send(&self, bundle: Option<u64>, reload: u64) -> usize {
        let mut tabs = self.tabs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bundle) = bundle {
            tabs.bundle = bundle;
        }
        tabs.reload = reload;
        let message = format!("data: {} {}\n\n", tabs.bundle, tabs.reload);
        let streams = std::mem::take(&mut tabs.streams);
        tabs.streams = streams
            .into_iter()
            .filter_map(|mut s| {
                (is_open(&s) && s.write_all(message.as_bytes()).is_ok()).then_some(s)
            })
            .collect();
        tabs.streams.len()
    }
}

/// Answers one connection: an event stream for `GET`, an empty CORS answer otherwise.
fn subscribe(mut stream: TcpStream, tabs: &Mutex<Tabs>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 16 * 1024 {
            return;
        }
    }
    if !head.starts_with(b"GET ") {
        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    let mut tabs = tabs.lock().unwrap_or_else(PoisonError::into_inner);
    let hello = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nAccess-Control-Allow-Origin: *\r\n\r\nretry: 1000\ndata: {} {}\n\n",
        tabs.bundle, tabs.reload
    );
    if stream.write_all(hello.as_bytes()).is_ok() {
        tabs.streams.push(stream);
    }
}

/// Whether the tab is still there: a browser never writes on an event stream, so a read of
/// zero bytes means it closed.
fn is_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let open = match stream.peek(&mut [0u8; 1]) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).is_ok() && open
}

/// What `cargo rally dev` appends to each bundle's JS: subscribe to the reload endpoint on
/// `port` (same host name as the page), and reload when a build newer than `build` is served
/// or an asset changed.
pub fn reload_script(port: u16, build: u64) -> String {
    format!(
        r#"
// Added by `cargo rally dev` (docs/adr/0014-dev-loop.md): reloads this tab when a newer build
// is served or an asset changes, keeping the page's state. `cargo rally build` writes the
// bundle without it.
// The runtime keeps the page's state across the reload (serde models with unchanged types).
globalThis.__rallyDev = true;
(() => {{
  const build = {build};
  let floor = null;
  const source = new EventSource(`http://${{location.hostname}}:{port}/`);
  source.onmessage = (event) => {{
    const [latest, reload] = event.data.split(" ").map(Number);
    if (latest > build || (floor !== null && reload > floor)) {{
      source.close();
      location.reload();
    }} else if (floor === null) {{
      floor = Math.max(reload, build);
    }}
  }};
}})();
"#
    )
}

// ---------------------------------------------------------------------------------------------
// The loop

/// How to run the server a build produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The work of one rebuild. [`CargoSteps`] is the real one.
pub trait Steps: Send {
    /// Regenerates `src/generated` (SQL and pages).
    fn generate(&mut self) -> Result<(), String>;
    /// Builds the server and the browser bundles, stamped with build id `build`.
    fn build(&mut self, build: u64) -> Result<ServerCommand, String>;
}

/// Timings of the loop.
#[derive(Clone, Debug)]
pub struct Options {
    /// How often to look for changes.
    pub poll: Duration,
    /// How long the files must stay unchanged before a rebuild starts.
    pub debounce: Duration,
    /// How long the server has after SIGTERM before it is killed.
    pub stop_timeout: Duration,
    /// Wait until the server accepts connections on its address (`PORT`…) before reloading
    /// the tabs.
    pub wait_for_port: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            poll: Duration::from_millis(100),
            debounce: Duration::from_millis(200),
            stop_timeout: Duration::from_secs(5),
            wait_for_port: true,
        }
    }
}

/// What the loop did; the CLI prints each as a `rally: …` line ([`describe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The loop started, before the first build.
    Watching,
    /// Files changed (relative to the app root) and what that asks for.
    Changed {
        /// The files.
        paths: Vec<PathBuf>,
        /// The most any of them asks for.
        action: Action,
    },
    /// A migration was added or changed; dev does not apply it.
    MigrationsChanged,
    /// gen succeeded.
    Generated {
        /// How long it took.
        elapsed: Duration,
    },
    /// gen failed: nothing was built, the old server (if any) keeps running.
    GenFailed {
        /// The problems, one a line.
        error: String,
        /// Whether a server from an earlier build is still up.
        server_running: bool,
    },
    /// The build succeeded.
    Built {
        /// Its id (milliseconds since the Unix epoch, increasing).
        build: u64,
        /// How long it took.
        elapsed: Duration,
    },
    /// The build failed: the old server (if any) keeps running.
    BuildFailed {
        /// Why.
        error: String,
        /// How long it ran.
        elapsed: Duration,
        /// Whether a server from an earlier build is still up.
        server_running: bool,
    },
    /// The previous server stopped.
    Stopped {
        /// Its process id.
        pid: u32,
        /// How it ended.
        status: String,
        /// Whether it had to be killed after not stopping on SIGTERM.
        killed: bool,
    },
    /// Something else listens on the server's address.
    PortBusy {
        /// The address.
        addr: SocketAddr,
    },
    /// The server could not be started.
    CannotStart {
        /// Why.
        error: String,
    },
    /// The server process started.
    Started {
        /// Its process id.
        pid: u32,
    },
    /// The server accepts connections.
    Listening {
        /// Its address.
        addr: SocketAddr,
        /// From stopping the old server to this.
        elapsed: Duration,
    },
    /// The server did not accept connections in time; the tabs reload anyway.
    NotListening {
        /// Its address.
        addr: SocketAddr,
    },
    /// The server exited by itself.
    Exited {
        /// Its process id.
        pid: u32,
        /// How it ended.
        status: String,
    },
    /// The tabs were told to reload.
    Reloaded {
        /// How many tabs are subscribed.
        tabs: usize,
    },
    /// The loop ended (Ctrl-C); the server is stopped.
    Done,
}

/// The dev loop over an app.
pub struct Dev<S: Steps> {
    root: PathBuf,
    steps: S,
    options: Options,
    watcher: Watcher,
    reloader: Option<Reloader>,
    /// The server of the last successful build.
    command: Option<ServerCommand>,
    child: Option<Child>,
    last_id: u64,
    sink: Box<dyn FnMut(Event) + Send>,
}

/// How long changes may keep coming before a rebuild starts anyway.
const MAX_SETTLE: Duration = Duration::from_secs(2);
/// How long a starting server has to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl<S: Steps> Dev<S> {
    /// A loop over the app at `root`, reporting to `sink`; watching starts now.
    pub fn new(
        root: &Path,
        steps: S,
        options: Options,
        reloader: Option<Reloader>,
        sink: Box<dyn FnMut(Event) + Send>,
    ) -> Self {
        Dev {
            root: root.to_path_buf(),
            steps,
            options,
            watcher: Watcher::new(root),
            reloader,
            command: None,
            child: None,
            last_id: 0,
            sink,
        }
    }

    /// Why the watcher polls instead of following file-system events, if it does.
    pub fn watcher_fallback(&self) -> Option<&str> {
        self.watcher.fallback()
    }

    /// Builds and starts the app, then rebuilds on every change until `stop` is set; stops the
    /// server before returning.
    pub fn run(&mut self, stop: &AtomicBool) {
        (self.sink)(Event::Watching);
        self.rebuild(stop);
        loop {
            let changes = self.watcher.wait(self.options.poll);
            // Before looking at the server: on Ctrl-C in a terminal it gets SIGINT too.
            if stop.load(Ordering::SeqCst) {
                break;
            }
            self.check_server();
            if changes.is_empty() {
                continue;
            }
            let changes = self.settle(changes, stop);
            if stop.load(Ordering::SeqCst) {
                break;
            }
            self.changed(changes, stop);
        }
        self.stop_server();
        (self.sink)(Event::Done);
    }

    /// Waits until no file changed for the debounce time (at most [`MAX_SETTLE`]).
    fn settle(&mut self, mut changes: Vec<PathBuf>, stop: &AtomicBool) -> Vec<PathBuf> {
        let start = Instant::now();
        let mut last = start;
        while !stop.load(Ordering::SeqCst) && start.elapsed() < MAX_SETTLE {
            let quiet = last.elapsed();
            if quiet >= self.options.debounce {
                break;
            }
            let more = self
                .watcher
                .wait(self.options.poll.min(self.options.debounce - quiet));
            if !more.is_empty() {
                changes.extend(more);
                last = Instant::now();
            }
        }
        changes.sort();
        changes.dedup();
        changes
    }

    fn changed(&mut self, paths: Vec<PathBuf>, stop: &AtomicBool) {
        let action = paths
            .iter()
            .map(|p| action(p))
            .max()
            .unwrap_or(Action::Reload);
        let migrations = paths.iter().any(|p| p.starts_with("db/migrations"));
        (self.sink)(Event::Changed { paths, action });
        if migrations {
            (self.sink)(Event::MigrationsChanged);
        }
        match (action, self.command.clone()) {
            (Action::Reload, _) => self.reload(None),
            (Action::Restart, Some(command)) => self.restart(&command, None, stop),
            _ => self.rebuild(stop),
        }
    }

    fn server_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn rebuild(&mut self, stop: &AtomicBool) {
        let started = Instant::now();
        if let Err(error) = self.steps.generate() {
            if !stop.load(Ordering::SeqCst) {
                let server_running = self.server_running();
                (self.sink)(Event::GenFailed {
                    error,
                    server_running,
                });
            }
            return;
        }
        (self.sink)(Event::Generated {
            elapsed: started.elapsed(),
        });
        let build = self.next_id();
        let started = Instant::now();
        match self.steps.build(build) {
            Ok(command) => {
                (self.sink)(Event::Built {
                    build,
                    elapsed: started.elapsed(),
                });
                self.command = Some(command.clone());
                self.restart(&command, Some(build), stop);
            }
            Err(error) => {
                if !stop.load(Ordering::SeqCst) {
                    let server_running = self.server_running();
                    (self.sink)(Event::BuildFailed {
                        error,
                        elapsed: started.elapsed(),
                        server_running,
                    });
                }
            }
        }
    }

    /// Stops the old server, starts `command`, waits until it listens, reloads the tabs.
    fn restart(&mut self, command: &ServerCommand, bundle: Option<u64>, stop: &AtomicBool) {
        let started = Instant::now();
        self.stop_server();
        // A bad address is the server's to report when it starts; then there is no port to wait for.
        let addr = self
            .options
            .wait_for_port
            .then(|| server_addr(&self.root).ok())
            .flatten();
        let connect = addr.map(connect_addr);
        if let Some(addr) = connect
            && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        {
            (self.sink)(Event::PortBusy { addr });
        }
        let child = Command::new(&command.program)
            .args(&command.args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .spawn();
        let pid = match child {
            Ok(child) => {
                let pid = child.id();
                self.child = Some(child);
                pid
            }
            Err(e) => {
                (self.sink)(Event::CannotStart {
                    error: format!("cannot start {}: {e}", command.program.display()),
                });
                return;
            }
        };
        (self.sink)(Event::Started { pid });
        if let Some(addr) = connect {
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(status) = self.exited() {
                    (self.sink)(Event::Exited { pid, status });
                    return;
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                    (self.sink)(Event::Listening {
                        addr,
                        elapsed: started.elapsed(),
                    });
                    break;
                }
                if Instant::now() > deadline {
                    (self.sink)(Event::NotListening { addr });
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
        self.reload(bundle);
    }

    /// Tells the tabs: with `bundle`, that build is served (its id is the reload id too, so
    /// a tab already running it stays); without, to reload whatever they run.
    fn reload(&mut self, bundle: Option<u64>) {
        let id = bundle.unwrap_or_else(|| self.next_id());
        if let Some(reloader) = &self.reloader {
            let tabs = reloader.send(bundle, id);
            (self.sink)(Event::Reloaded { tabs });
        }
    }

    /// The server's exit status if it ended (the child is then forgotten).
    fn exited(&mut self) -> Option<String> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(describe_status(status))
    }

    /// Reports a server that ended by itself.
    fn check_server(&mut self) {
        let pid = self.child.as_ref().map(Child::id);
        if let (Some(pid), Some(status)) = (pid, self.exited()) {
            (self.sink)(Event::Exited { pid, status });
        }
    }

    /// SIGTERM, then wait (killing it after `stop_timeout`).
    fn stop_server(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id();
        if let Ok(Some(status)) = child.try_wait() {
            // Already ended (on the terminal's Ctrl-C, say): stopped all the same.
            (self.sink)(Event::Stopped {
                pid,
                status: describe_status(status),
                killed: false,
            });
            return;
        }
        let deadline = Instant::now() + self.options.stop_timeout;
        let mut killed = !signal::terminate(pid);
        if killed {
            let _ = child.kill();
        }
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    killed = true;
                    let _ = child.kill();
                    break child.wait().ok();
                }
            }
        };
        (self.sink)(Event::Stopped {
            pid,
            status: status.map_or_else(|| "unknown".into(), describe_status),
            killed,
        });
    }

    /// A new build or reload id: milliseconds since the Unix epoch, always increasing (so a
    /// later `cargo rally dev` session's builds are newer too).
    fn next_id(&mut self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.last_id = now.max(self.last_id + 1);
        self.last_id
    }
}

fn describe_status(status: ExitStatus) -> String {
    status.to_string()
}

// ---------------------------------------------------------------------------------------------
// The server's address

/// The address the app's server binds, as it reads it (see [`crate::app_env`]).
pub fn server_addr(root: &Path) -> Result<SocketAddr, String> {
    crate::app_env(root)?
        .server_addr()
        .map_err(|e| e.to_string())
}

/// Where to connect to reach a server bound to `addr` (0.0.0.0 → 127.0.0.1).
fn connect_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI

/// gen and `cargo rally build`'s steps in the dev profile, with the reload script appended to
/// each bundle's JS.
pub struct CargoSteps {
    root: PathBuf,
    reload_port: Option<u16>,
    stop: Stop,
}

impl CargoSteps {
    /// The steps for the app at `root`; bundles subscribe to the reload endpoint on
    /// `reload_port` if given; a build between mounts stops once `stop` is requested.
    pub fn new(root: &Path, reload_port: Option<u16>, stop: Stop) -> Self {
        CargoSteps {
            root: root.to_path_buf(),
            reload_port,
            stop,
        }
    }
}

impl Steps for CargoSteps {
    fn generate(&mut self) -> Result<(), String> {
        crate::gen_all(&self.root, false)
    }

    fn build(&mut self, build: u64) -> Result<ServerCommand, String> {
        let server = crate::build_server(&self.root, false)?;
        let bundles = crate::build_bundles(&self.root, false, || self.stop.requested())?;
        if let Some(port) = self.reload_port {
            for (_, out) in &bundles {
                append(&out.js, &reload_script(port, build))?;
            }
        }
        Ok(ServerCommand {
            program: server,
            args: Vec::new(),
        })
    }
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot add the reload script to {}: {e}", path.display()))
}

/// `cargo rally dev`.
pub fn run_cli(root: &Path) -> Result<(), String> {
    crate::package(root)?;
    let stop = Stop::install()?;
    let host = server_addr(root)?.ip();
    let reloader = match std::env::var("RALLY_RELOAD_PORT") {
        Ok(port) => {
            let port: u16 = port.trim().parse().map_err(|_| {
                format!("RALLY_RELOAD_PORT={port} is not a port — set it to a number (0 picks a free port)")
            })?;
            Some(Reloader::bind(SocketAddr::new(host, port)).map_err(|e| {
                format!("cannot listen on {host}:{port} for tab reloads: {e} — set RALLY_RELOAD_PORT to another port, or 0")
            })?)
        }
        Err(_) => Reloader::bind(SocketAddr::new(host, DEFAULT_RELOAD_PORT))
            .or_else(|_| Reloader::bind(SocketAddr::new(host, 0)))
            .map_err(|e| {
                crate::step(&format!(
                    "cannot listen for tab reloads ({e}); reload tabs by hand"
                ))
            })
            .ok(),
    };
    if let Some(r) = &reloader {
        crate::step(&format!(
            "tabs reload through http://{host}:{}/ (the dev bundle subscribes to it)",
            r.port()
        ));
    }
    let port = reloader.as_ref().map(Reloader::port);
    let mut dev = Dev::new(
        root,
        CargoSteps::new(root, port, stop.clone()),
        Options::default(),
        reloader,
        Box::new(|event| {
            crate::step(&describe(&event));
        }),
    );
    if let Some(why) = dev.watcher_fallback() {
        crate::step(&format!(
            "no file-system events ({why}); polling every 100 ms instead — raise fs.inotify.max_user_watches if it says the limit is reached"
        ));
    }
    dev.run(stop.flag());
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The progress line for `event` (without the `rally: ` prefix).
pub fn describe(event: &Event) -> String {
    let keeps = |running: bool| {
        if running {
            "the previous server keeps running"
        } else {
            "no server is running"
        }
    };
    match event {
        Event::Watching => format!(
            "dev: watching {} (not src/generated); Ctrl-C stops. Building…",
            WATCHED.join(", ")
        ),
        Event::Changed { paths, action } => {
            let mut names: Vec<String> = paths.iter().take(3).map(|p| p.display().to_string()).collect();
            if paths.len() > 3 {
                names.push(format!("{} more", paths.len() - 3));
            }
            let what = match action {
                Action::Reload => "reloading tabs…",
                Action::Restart => "restarting the server…",
                Action::Rebuild => "rebuilding…",
            };
            format!("change in {}; {what}", names.join(", "))
        }
        Event::MigrationsChanged => "db/migrations changed: apply it with `cargo rally migrate` (or `cargo rally reset`); dev does not touch the database".into(),
        Event::Generated { elapsed } => format!("generated in {}", secs(*elapsed)),
        Event::GenFailed { error, server_running } => format!(
            "gen failed:\n{error}\nrally: {} — fix the file and save to try again",
            keeps(*server_running)
        ),
        Event::Built { elapsed, .. } => format!("built in {}", secs(*elapsed)),
        Event::BuildFailed { error, elapsed, server_running } => format!(
            "build failed after {}: {error}\nrally: {} — fix the error and save to try again",
            secs(*elapsed),
            keeps(*server_running)
        ),
        Event::Stopped { pid, status, killed: false } => format!("stopped the server (pid {pid}, {status})"),
        Event::Stopped { pid, status, killed: true } => format!("killed the server (pid {pid}, {status}): it did not stop in time after SIGTERM"),
        Event::PortBusy { addr } => format!("something else already listens on {addr}, so the server cannot — stop it, or set PORT in .env"),
        Event::CannotStart { error } => error.clone(),
        Event::Started { pid } => format!("started the server (pid {pid})"),
        Event::Listening { addr, elapsed } => format!("server up in {}: http://{addr}", secs(*elapsed)),
        Event::NotListening { addr } => format!("the server does not accept connections on {addr} after {}; reloading tabs anyway", secs(START_TIMEOUT)),
        Event::Exited { pid, status } => format!("the server (pid {pid}) exited: {status} — save a change to rebuild and start it again"),
        Event::Reloaded { tabs } => format!("reloading {tabs} open tab(s)"),
        Event::Done => "dev stopped".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_change_asks_for() {
        assert_eq!(action(Path::new("assets/app.css")), Action::Reload);
        assert_eq!(action(Path::new(".env")), Action::Restart);
        for path in [
            "src/lib.rs",
            "Cargo.toml",
            "db/migrations/002_x.sql",
            "src/public/pages/home_/sql/get.sql",
        ] {
            assert_eq!(action(Path::new(path)), Action::Rebuild, "{path}");
        }
        for name in [".#home_.rs", "home_.rs~", ".home_.rs.swp", "4913", "x.tmp"] {
            assert!(ignored(name), "{name}");
        }
        assert!(!ignored("home_.rs"));
    }

    /// Waits up to 5 s for the watcher to report `rel`.
    fn sees(watcher: &mut Watcher, rel: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if watcher
                .wait(Duration::from_millis(100))
                .contains(&PathBuf::from(rel))
            {
                return true;
            }
        }
        false
    }

    #[test]
    fn the_watcher_reports_writes_once_and_ignores_reads_and_generated_code() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src/generated")).unwrap();
        fs::write(dir.path().join("src/lib.rs"), "// one\n").unwrap();
        for mut watcher in [Watcher::new(dir.path()), Watcher::polling(dir.path())] {
            let polling = watcher.is_polling();
            // Events are available on this machine (inotify); the fallback is tested alike.
            fs::write(dir.path().join("src/lib.rs"), format!("// two {polling}\n")).unwrap();
            assert!(sees(&mut watcher, "src/lib.rs"), "polling: {polling}");
            // A read, and a write below src/generated, report nothing.
            fs::read(dir.path().join("src/lib.rs")).unwrap();
            fs::write(dir.path().join("src/generated/x.rs"), "// gen\n").unwrap();
            assert_eq!(
                watcher.wait(Duration::from_millis(300)),
                Vec::<PathBuf>::new()
            );
            // Replacing a file by renaming (as editors save) counts, in the root too.
            fs::write(
                dir.path().join(".env.new"),
                format!("PORT={}\n", 9000 + u16::from(polling)),
            )
            .unwrap();
            fs::rename(dir.path().join(".env.new"), dir.path().join(".env")).unwrap();
            assert!(sees(&mut watcher, ".env"), "polling: {polling}");
        }
        assert!(
            !Watcher::new(dir.path()).is_polling(),
            "no file-system events here"
        );
    }

    #[test]
    fn the_cli_reads_the_address_and_database_as_the_server_does() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(".env"),
            "# comment\n\nexport PORT=9001\nHOST = \"0.0.0.0\"\nDATABASE_PATH='data/app.db'\n",
        )
        .unwrap();
        assert_eq!(server_addr(dir.path()), Ok("0.0.0.0:9001".parse().unwrap()));
        assert_eq!(crate::serve::port(dir.path()), Some(9001));
        assert_eq!(
            crate::database(dir.path()),
            Ok(dir.path().join("data/app.db"))
        );
        // A broken line is an error that names the file, not a silent default.
        fs::write(dir.path().join(".env"), "PORT=9001\nBROKEN LINE\n").unwrap();
        let error = server_addr(dir.path()).unwrap_err();
        assert!(error.contains(".env"), "{error}");
        assert_eq!(crate::serve::port(dir.path()), None);
        assert_eq!(
            connect_addr("0.0.0.0:9001".parse().unwrap()),
            "127.0.0.1:9001".parse().unwrap()
        );
        assert_eq!(
            connect_addr("[::]:9001".parse().unwrap()),
            "[::1]:9001".parse().unwrap()
        );
    }
}
