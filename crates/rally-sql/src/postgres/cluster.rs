//! A throwaway Postgres server for tests and tools: `initdb` into a temporary directory, `pg_ctl
//! start` on a free port of 127.0.0.1, stopped and deleted on drop (docs/adr/0022).
//!
//! Cleanup does not depend on `Drop` alone. A test binary keeps its shared cluster in a
//! `static`, which is never dropped, and a test run can be killed outright. So `start` also
//! spawns a small watchdog shell, in its own process group, that blocks reading a pipe whose
//! only writer is this process. When the pipe closes — on drop, on a normal exit, on a panic
//! or on `SIGKILL` — the watchdog stops the server (`pg_ctl stop -m immediate`) and deletes
//! the directory. `Drop` closes the pipe and waits for the watchdog, so the one cleanup path
//! is the one the drop test exercises.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where Debian's `postgresql` packages put the server binaries, one directory per major version.
const DEBIAN_LIB_DIR: &str = "/usr/lib/postgresql";

/// How many times `start` picks another port when the one it chose was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// Seconds `pg_ctl` waits for the server to accept connections or to stop.
const PG_CTL_TIMEOUT_SECS: &str = "60";

/// Why a [`TempCluster`] could not start or could not create a database.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `initdb` and `pg_ctl` are on neither PATH nor Debian's versioned directories.
    #[error(
        "Postgres is not installed: initdb and pg_ctl were found neither on PATH nor under {DEBIAN_LIB_DIR}/<version>/bin — install it (apt-get install postgresql) or put its bin directory on PATH"
    )]
    NotInstalled,
    /// Running as root, which `initdb` refuses, and there is no unprivileged user to switch to.
    #[error(
        "running as root, which initdb refuses, and neither the `postgres` nor the `nobody` user exists to run Postgres as — create a `postgres` user (apt-get install postgresql does) or run as a normal user"
    )]
    NoUnprivilegedUser,
    /// Running as root, and neither `runuser` nor `setpriv` is there to drop privileges.
    #[error(
        "running as root, which initdb refuses, and neither runuser nor setpriv was found to run Postgres as the `{user}` user — install util-linux (apt-get install util-linux) or run as a normal user"
    )]
    NoUserSwitch {
        /// The user Postgres would have run as.
        user: String,
    },
    /// A file-system step failed (temporary directory, ownership, configuration).
    #[error("could not {action} {}: {source} — check that the temporary directory (TMPDIR) is writable and has space", path.display())]
    Io {
        /// What was being done, e.g. `create the temporary directory in`.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run {}: {source} — check the Postgres installation (apt-get install --reinstall postgresql)", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A Postgres program ran and failed; `output` holds what it (and the server log) said.
    #[error("{} failed while {step}: {output}\n— the output above is Postgres's own; fix what it names (a full disk, a missing locale, a permission) and try again", program.display())]
    Command {
        /// What `start` was doing, e.g. `initialising the data directory`.
        step: &'static str,
        /// The program that failed.
        program: PathBuf,
        /// Its exit status, stdout and stderr, and the server log when there is one.
        output: String,
    },
    /// No free TCP port on 127.0.0.1 could be found.
    #[error(
        "could not find a free port on 127.0.0.1: {source} — check that the loopback interface is up"
    )]
    NoFreePort {
        /// The I/O error.
        source: io::Error,
    },
    /// A database name that is not a plain lowercase identifier.
    #[error(
        "`{name}` is not a usable database name — use lowercase ASCII letters, digits and `_`, starting with a letter, at most 63 bytes"
    )]
    InvalidDatabaseName {
        /// The name given.
        name: String,
    },
    /// Connecting to the cluster or creating a database in it failed.
    #[error("could not create database `{name}` on the temporary server at {url}: {source} — the server may have stopped; see its log in {}", log.display())]
    CreateDatabase {
        /// The database.
        name: String,
        /// The maintenance URL used.
        url: String,
        /// The server log.
        log: PathBuf,
        /// The client's error.
        source: ::postgres::Error,
    },
}

/// How the Postgres programs are run: directly, or as an unprivileged user when we are root.
#[derive(Debug, Clone)]
enum Runner {
    /// Not root: run the programs as ourselves.
    Direct,
    /// Root: `runuser -u <user> --` or `setpriv` with the user's ids.
    As {
        /// The prefix program and its arguments, before the Postgres program.
        prefix: Vec<OsString>,
        /// The user's numeric ids, for `chown`.
        uid: u32,
        gid: u32,
    },
}

impl Runner {
    /// Decides how to run Postgres from our effective user id.
    fn detect() -> Result<Runner, ClusterError> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(Runner::Direct);
        }
        // Debian's package creates `postgres`; `nobody` exists nearly everywhere else.
        let (user, uid, gid) = ["postgres", "nobody"]
            .into_iter()
            .find_map(|user| Some((user, user_id(user, "-u")?, user_id(user, "-g")?)))
            .ok_or(ClusterError::NoUnprivilegedUser)?;
        let prefix: Vec<OsString> = if let Some(runuser) = find_program("runuser") {
            vec![runuser.into(), "-u".into(), user.into(), "--".into()]
        } else if let Some(setpriv) = find_program("setpriv") {
            vec![
                setpriv.into(),
                format!("--reuid={uid}").into(),
                format!("--regid={gid}").into(),
                "--clear-groups".into(),
            ]
        } else {
            return Err(ClusterError::NoUserSwitch { user: user.into() });
        };
        Ok(Runner::As { prefix, uid, gid })
    }

    /// A command that runs `program` as the right user.
    fn command(&self, program: &Path) -> Command {
        match self {
            Runner::Direct => Command::new(program),
            Runner::As { prefix, .. } => {
                let mut command = Command::new(&prefix[0]);
                command.args(&prefix[1..]).arg(program);
                command
            }
        }
    }

    /// Gives `path` to the user Postgres runs as (nothing to do when it runs as us).
    fn chown(&self, path: &Path) -> Result<(), ClusterError> {
        if let Runner::As { uid, gid, .. } = self {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(|source| {
                ClusterError::Io {
                    action: "give the Postgres user ownership of",
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        }
        Ok(())
    }
}

/// A numeric user or group id (`flag` is `-u` or `-g`) from `id`, so NSS sources count too.
fn user_id(user: &str, flag: &str) -> Option<u32> {
    let output = Command::new("id").arg(flag).arg(user).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// `name` on PATH, then in the sbin directories root's PATH may lack under a test runner.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The directory holding `initdb` and `pg_ctl`: on PATH, else Debian's highest version.
fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    find_bin_dir_in(&path, Path::new(DEBIAN_LIB_DIR))
}

/// [`find_bin_dir`] with the search path and the versioned directory given.
fn find_bin_dir_in(path: &OsStr, lib_dir: &Path) -> Result<PathBuf, ClusterError> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::split_paths(path).find(|dir| has_both(dir)) {
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(lib_dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            // Directories are major versions: `15`, `16`, or `9.6` for old ones.
            let name = entry.file_name().into_string().ok()?;
            let major = name.split('.').next()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::NotInstalled)
}

/// A port on 127.0.0.1 that was free a moment ago. Another process may take it before the
/// server binds it, so `start` retries on "address in use".
fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|source| ClusterError::NoFreePort { source })?;
    let port = listener
        .local_addr()
        .map_err(|source| ClusterError::NoFreePort { source })?
        .port();
    Ok(port)
}

/// A string literal for `postgresql.conf`.
fn conf_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// Exit status, stdout and stderr of a finished program, for error messages.
fn describe(output: &Output) -> String {
    let mut text = format!("{}", output.status);
    for stream in [&output.stdout, &output.stderr] {
        let stream = String::from_utf8_lossy(stream);
        let stream = stream.trim();
        if !stream.is_empty() {
            text.push('\n');
            text.push_str(stream);
        }
    }
    text
}

/// A Postgres server of its own, in a temporary directory, listening on 127.0.0.1 only.
///
/// The superuser is `postgres` with `trust` authentication, so [`url`](Self::url) needs no
/// password. The server runs with `fsync=off` and `synchronous_commit=off`: fast, and the data
/// is thrown away anyway. Dropping the value stops the server and deletes the directory; so does
/// the end of the process, however it ends (see the module documentation).
///
/// ```no_run
/// let cluster = rally_sql::postgres::TempCluster::start()?;
/// let url = cluster.create_database("my_test")?;
/// let mut client = rally_sql::postgres::connect(&url)?;
/// client.batch_execute("CREATE TABLE t (n bigint)")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TempCluster {
    dir: PathBuf,
    port: u16,
    /// The write end of the watchdog's pipe; closing it makes the watchdog clean up.
    watchdog_pipe: Option<ChildStdin>,
    watchdog: Child,
    /// Makes [`create_unique_database`](Self::create_unique_database) names unique.
    next_database: AtomicU32,
}

impl fmt::Debug for TempCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempCluster")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl TempCluster {
    /// Whether Postgres's server programs are installed, so that [`TempCluster::start`] can
    /// find them.
    pub fn installed() -> bool {
        find_bin_dir().is_ok()
    }

    /// Creates a cluster in a new temporary directory and starts it; returns once it accepts
    /// connections (about a second).
    ///
    /// Finds `initdb` and `pg_ctl` on PATH or under `/usr/lib/postgresql/<version>/bin`. As root
    /// (which `initdb` refuses) the programs run as the `postgres` user, or `nobody`, through
    /// `runuser` or `setpriv`.
    pub fn start() -> Result<TempCluster, ClusterError> {
        let bin = find_bin_dir()?;
        let runner = Runner::detect()?;
        let tmp = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix("rally-pg-")
            .tempdir_in(&tmp)
            .map_err(|source| ClusterError::Io {
                action: "create a temporary directory in",
                path: tmp,
                source,
            })?;
        runner.chown(dir.path())?;

        let data = dir.path().join("data");
        let pg_ctl = bin.join("pg_ctl");
        let (watchdog, watchdog_pipe) = spawn_watchdog(&runner, &pg_ctl, dir.path(), &data)?;
        // From here the watchdog owns the cleanup of the directory, also on the error paths
        // below: returning drops the cluster, whose pipe closing makes the watchdog stop
        // whatever started and delete the directory.
        let dir = dir.keep();
        let mut cluster = TempCluster {
            dir,
            port: 0,
            watchdog_pipe: Some(watchdog_pipe),
            watchdog,
            next_database: AtomicU32::new(1),
        };

        let initdb = bin.join("initdb");
        let mut command = runner.command(&initdb);
        command
            .arg("--pgdata")
            .arg(&data)
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
            // `C` sorts and compares bytes, needs no generated locale, and is the same everywhere.
            .args(["--locale=C", "--no-sync", "--no-instructions"]);
        cluster.run(command, &initdb, "initialising the data directory", None)?;

        let conf = data.join("postgresql.conf");
        let log = cluster.log_path();
        let mut attempt = 1;
        loop {
            let port = free_port()?;
            // Later lines win in postgresql.conf, so a retry only appends another port.
            let settings = format!(
                "\n# rally-sql TempCluster: loopback only, a private socket, speed over durability.\n\
                 listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = {socket}\n\
                 fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
                socket = conf_literal(&cluster.dir.to_string_lossy()),
            );
            append(&conf, &settings)?;
            let mut command = runner.command(&pg_ctl);
            command
                .arg("start")
                .arg("--pgdata")
                .arg(&data)
                .arg("--log")
                .arg(&log)
                .args(["--wait", "--timeout", PG_CTL_TIMEOUT_SECS, "--silent"]);
            match cluster.run(command, &pg_ctl, "starting the server", Some(&log)) {
                Ok(()) => {
                    cluster.port = port;
                    return Ok(cluster);
                }
                // Another process took the port between `free_port` and the server's bind.
                Err(ClusterError::Command { output, .. })
                    if attempt < PORT_ATTEMPTS && output.contains("already in use") =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Runs a Postgres program to completion inside the cluster directory; a failure carries
    /// its output and, when given, the server log.
    fn run(
        &self,
        mut command: Command,
        program: &Path,
        step: &'static str,
        log: Option<&Path>,
    ) -> Result<(), ClusterError> {
        // The programs run as another user when we are root, and may not enter our directory.
        command.current_dir(&self.dir).stdin(Stdio::null());
        let output = command.output().map_err(|source| ClusterError::Spawn {
            program: program.to_path_buf(),
            source,
        })?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = describe(&output);
        if let Some(log) = log.and_then(|log| fs::read_to_string(log).ok()) {
            text.push_str("\nserver log:\n");
            text.push_str(log.trim());
        }
        Err(ClusterError::Command {
            step,
            program: program.to_path_buf(),
            output: text,
        })
    }

    /// The server's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory holding the data directory, the server log and the socket; it is
    /// deleted on drop.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server log, for diagnosing a failing test.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The URL of the `postgres` maintenance database, as the superuser `postgres`.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of `database` on this server, as the superuser `postgres`.
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database `name` and returns its URL. Fails if it exists.
    pub fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        let valid = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ClusterError::InvalidDatabaseName { name: name.into() });
        }
        let url = self.url();
        let failed = |source| ClusterError::CreateDatabase {
            name: name.into(),
            url: url.clone(),
            log: self.log_path(),
            source,
        };
        let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).map_err(failed)?;
        // The name was checked above to be a plain identifier, so it needs no quoting.
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(failed)?;
        Ok(self.url_for(name))
    }

    /// Creates an empty database with a name unique to this cluster, `<prefix>_<n>`, and returns
    /// its URL.
    pub fn create_unique_database(&self, prefix: &str) -> Result<String, ClusterError> {
        let n = self.next_database.fetch_add(1, Ordering::Relaxed);
        self.create_database(&format!("{prefix}_{n}"))
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        // Closing the pipe is the signal; waiting makes the cleanup finished when drop returns.
        drop(self.watchdog_pipe.take());
        let _ = self.watchdog.wait();
    }
}

/// Appends `text` to the file at `path`.
fn append(path: &Path, text: &str) -> Result<(), ClusterError> {
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|source| ClusterError::Io {
            action: "write the server configuration",
            path: path.to_path_buf(),
            source,
        })
}

/// Starts the watchdog: a shell that waits for its stdin to close, then stops the server (if it
/// runs) and deletes `dir`. It gets its own process group so that Ctrl-C on the test run, which
/// signals the foreground group, does not kill it before it has cleaned up.
fn spawn_watchdog(
    runner: &Runner,
    pg_ctl: &Path,
    dir: &Path,
    data: &Path,
) -> Result<(Child, ChildStdin), ClusterError> {
    use std::os::unix::process::CommandExt;
    let stop = runner.command(pg_ctl);
    let mut command = Command::new("/bin/sh");
    // Arguments go through "$@", never through the script text, so no path needs quoting.
    // `read` returns at end of input, i.e. when the last writer, this process, is gone. The
    // `pg_ctl stop` fails harmlessly when the server never started.
    command
        .arg("-c")
        .arg(
            "read -r _ignored\n\
             dir=$1\n\
             shift\n\
             [ -f \"$dir/data/postmaster.pid\" ] && \"$@\" >/dev/null 2>&1\n\
             rm -rf -- \"$dir\"",
        )
        .arg("rally-pg-watchdog")
        .arg(dir)
        .arg(stop.get_program())
        .args(stop.get_args())
        .arg("stop")
        .arg("--pgdata")
        .arg(data)
        .args([
            "--mode=immediate",
            "--wait",
            "--timeout",
            PG_CTL_TIMEOUT_SECS,
        ])
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = command.spawn().map_err(|source| ClusterError::Spawn {
        program: PathBuf::from("/bin/sh"),
        source,
    })?;
    let Some(pipe) = child.stdin.take() else {
        unreachable!("stdin was configured as a pipe")
    };
    Ok((child, pipe))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(bin: &Path) {
        fs::create_dir_all(bin).unwrap();
        for program in ["initdb", "pg_ctl"] {
            fs::write(bin.join(program), "").unwrap();
        }
    }

    #[test]
    fn binaries_come_from_path_then_the_highest_debian_version() {
        let tmp = tempfile::tempdir().unwrap();
        let lib = tmp.path().join("lib/postgresql");
        let on_path = tmp.path().join("local/bin");
        let empty = tmp.path().join("empty");
        fs::create_dir_all(&empty).unwrap();

        assert!(matches!(
            find_bin_dir_in(empty.as_os_str(), &lib),
            Err(ClusterError::NotInstalled)
        ));
        // A version directory without both programs does not count.
        fs::create_dir_all(lib.join("17/bin")).unwrap();
        fs::write(lib.join("17/bin/initdb"), "").unwrap();
        install(&lib.join("9.6/bin"));
        install(&lib.join("15/bin"));
        assert_eq!(
            find_bin_dir_in(empty.as_os_str(), &lib).unwrap(),
            lib.join("15/bin")
        );
        install(&on_path);
        let path = std::env::join_paths([&empty, &on_path]).unwrap();
        assert_eq!(find_bin_dir_in(&path, &lib).unwrap(), on_path);

        let message = ClusterError::NotInstalled.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
    }

    #[test]
    fn conf_literals_are_quoted() {
        assert_eq!(conf_literal("/tmp/a"), "'/tmp/a'");
        assert_eq!(conf_literal("/tmp/it's"), "'/tmp/it''s'");
        assert_eq!(conf_literal("C:\\x"), "'C:\\\\x'");
    }
}
