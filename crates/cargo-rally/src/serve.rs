//! `cargo rally server`: build the server, free its port if a previous server of this same app
//! still holds it, and run it in the foreground.
//!
//! The running server is recorded in `target/rally/server.pid` (`<pid> <executable>`). A busy
//! port is freed only when that record names a live process whose executable is this app's
//! server binary; anything else holding the port is left alone and reported.
//!
//! `cargo rally server` stays the server's parent until it exits: a SIGINT or SIGTERM sent to
//! the CLI alone (not its process group) is passed on as SIGTERM, so the server never outlives
//! it re-parented to pid 1. The bundles the server links are pinned ([`publish::pin`]) so
//! that builds made while it runs do not delete them.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::signal::{self, Stop};
use crate::{publish, step};

/// The port the server will listen on (`ADDR`, else `PORT`, else 8080; the environment over
/// `.env`). `None` when a value does not parse; the server reports it.
pub fn port(root: &Path) -> Option<u16> {
    let addr = crate::app_env(root).ok()?.server_addr().ok()?;
    Some(addr.port())
}

fn pid_file(root: &Path) -> PathBuf {
    root.join("target/rally/server.pid")
}

fn port_is_free(port: u16) -> bool {
    // The server binds HOST (default 127.0.0.1); probing the wildcard address also catches a
    // server bound to 0.0.0.0.
    [Ipv4Addr::LOCALHOST, Ipv4Addr::UNSPECIFIED]
        .iter()
        .all(|ip| TcpListener::bind((*ip, port)).is_ok())
}

/// The recorded previous server, if that process still runs the executable recorded for it
/// and that is this app's server binary (the debug or the release build).
fn previous_server(root: &Path, executable: &Path) -> Option<u32> {
    let record = std::fs::read_to_string(pid_file(root)).ok()?;
    let (pid, recorded) = record.trim().split_once(' ')?;
    let pid: u32 = pid.parse().ok()?;
    let running = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    // A rebuilt binary shows as "<path> (deleted)" while the old process runs.
    let running = running.to_string_lossy();
    let running = running.trim_end_matches(" (deleted)");
    let recorded = Path::new(recorded);
    let same = Path::new(running) == recorded && recorded.file_name() == executable.file_name();
    same.then_some(pid)
}

/// Stops `pid` with SIGTERM and waits up to 10 s for it to exit.
fn stop_and_wait(pid: u32, gone: impl Fn() -> bool) -> Result<(), String> {
    signal::terminate(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if gone() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the previous server (pid {pid}) did not stop within 10 s; stop it (kill {pid}) and try again"
    ))
}

/// `server restart`: stops this app's recorded server, whatever port it holds.
fn stop_previous(root: &Path, executable: &Path) -> Result<(), String> {
    let Some(pid) = previous_server(root, executable) else {
        step("no running server of this app is recorded; starting one");
        return Ok(());
    };
    step(&format!("stopping this app's running server (pid {pid})"));
    stop_and_wait(pid, || !Path::new(&format!("/proc/{pid}")).exists())?;
    let _ = std::fs::remove_file(pid_file(root));
    Ok(())
}

/// Frees `port` if this app's previous server holds it; an error naming what to do otherwise.
pub fn free_port(root: &Path, executable: &Path, port: u16) -> Result<(), String> {
    if port == 0 || port_is_free(port) {
        return Ok(());
    }
    let Some(pid) = previous_server(root, executable) else {
        return Err(format!(
            "port {port} is in use by another program (not a server of this app that cargo rally started). Stop it, or set PORT to another port (PORT=8081 cargo rally server)"
        ));
    };
    step(&format!(
        "port {port} is held by this app's previous server (pid {pid}); stopping it"
    ));
    stop_and_wait(pid, || port_is_free(port))?;
    let _ = std::fs::remove_file(pid_file(root));
    Ok(())
}

/// `cargo rally server [--release] [restart]`: builds, then runs the server in the foreground
/// until it exits.
pub fn server(root: &Path, release: bool, restart: bool) -> Result<(), String> {
    let executable = crate::build(root, release)?.server;
    if restart {
        stop_previous(root, &executable)?;
    }
    if let Some(port) = port(root) {
        free_port(root, &executable, port)?;
    }
    run(root, &executable)
}

/// Runs the built server at `executable` in the foreground until it exits.
pub fn run(root: &Path, executable: &Path) -> Result<(), String> {
    step("starting the server (PORT from the environment or .env, default 8080)");
    // Installed only now: during the build, Ctrl-C should end the CLI and cargo at once.
    let stop = Stop::install()?;
    let mut child = Command::new(executable)
        .current_dir(root)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", executable.display()))?;
    let record = pid_file(root);
    if let Some(dir) = record.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(
        &record,
        format!("{} {}\n", child.id(), executable.display()),
    );
    publish::pin(&root.join("target/rally/pkg"), child.id());
    let status = wait_passing_on_stop(&mut child, &stop)
        .map_err(|e| format!("cannot wait for the server: {e}"))?;
    // A newer `cargo rally server` that stopped this one has recorded its own server.
    let ours = std::fs::read_to_string(&record)
        .is_ok_and(|r| r.split_whitespace().next() == Some(&child.id().to_string()));
    if ours {
        let _ = std::fs::remove_file(&record);
    }
    if status.success() || stop.requested() && signalled(&status) {
        Ok(())
    } else {
        Err(format!("the server exited with {status}"))
    }
}

/// How long the server has to shut down after the SIGTERM passed on to it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for `child`; once a stop is requested, sends it SIGTERM, and kills it if it has not
/// exited [`STOP_TIMEOUT`] later. (Ctrl-C in a terminal reaches the server by itself too;
/// a second SIGTERM only asks again.)
fn wait_passing_on_stop(child: &mut Child, stop: &Stop) -> std::io::Result<ExitStatus> {
    let mut asked: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if stop.requested() {
            match asked {
                None => {
                    if !signal::terminate(child.id()) {
                        child.kill()?;
                    }
                    asked = Some(Instant::now());
                }
                Some(at) if at.elapsed() > STOP_TIMEOUT => {
                    step("the server did not stop within 10 s of SIGTERM; killing it");
                    child.kill()?;
                    return child.wait();
                }
                Some(_) => {}
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the process ended by a signal (the one a stop passed on, or the terminal's).
fn signalled(status: &ExitStatus) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal().is_some()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_held_by_another_program_is_left_alone_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let holder = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = holder.local_addr().unwrap().port();
        let err = free_port(dir.path(), Path::new("/nonexistent/app"), port).unwrap_err();
        assert!(
            err.contains(&format!("port {port} is in use by another program")),
            "{err}"
        );
        assert!(err.contains("PORT="), "{err}");
        // A stale record naming a process that runs something else changes nothing.
        std::fs::create_dir_all(dir.path().join("target/rally")).unwrap();
        std::fs::write(
            pid_file(dir.path()),
            format!("{} /nonexistent/app\n", std::process::id()),
        )
        .unwrap();
        assert!(free_port(dir.path(), Path::new("/nonexistent/app"), port).is_err());
        assert!(
            TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err(),
            "still held"
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_previous_server_of_this_app_is_stopped_to_free_its_port() {
        // Stand-in server: python3 listening on a port, recorded as cargo rally records it.
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let Ok(python) = which("python3") else {
            eprintln!("python3 not found; skipping");
            return;
        };
        let mut child = Command::new(&python)
            .args([
                "-c",
                &format!(
                    "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); time.sleep(60)"
                ),
            ])
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while port_is_free(port) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let exe = std::fs::read_link(format!("/proc/{}/exe", child.id())).unwrap();
        std::fs::create_dir_all(dir.path().join("target/rally")).unwrap();
        std::fs::write(
            pid_file(dir.path()),
            format!("{} {}\n", child.id(), exe.display()),
        )
        .unwrap();
        free_port(dir.path(), &exe, port).unwrap();
        assert!(port_is_free(port));
        let _ = child.wait();
        assert!(!pid_file(dir.path()).exists());
    }

    fn which(name: &str) -> Result<PathBuf, ()> {
        std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
            .ok_or(())
    }

    /// Stands in for `cargo rally server` in a child process (see the test below).
    #[test]
    fn serve_as_a_child_process() {
        if let Some(dir) = std::env::var_os("RALLY_TEST_SERVE_DIR") {
            let dir = PathBuf::from(dir);
            run(&dir, &dir.join("server.sh")).unwrap();
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_stop_sent_to_the_cli_alone_stops_its_server() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("server.sh");
        // `exec`: the recorded pid is the stand-in server itself.
        std::fs::write(&script, "#!/bin/sh\nexec sleep 60\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut cli = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "serve::tests::serve_as_a_child_process",
                "--nocapture",
            ])
            .env("RALLY_TEST_SERVE_DIR", dir.path())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let server = loop {
            if let Some(pid) = std::fs::read_to_string(pid_file(dir.path()))
                .ok()
                .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
            {
                break pid;
            }
            assert!(Instant::now() < deadline, "the server was never recorded");
            std::thread::sleep(Duration::from_millis(20));
        };
        // Wait until the handler is installed (it is, before the spawn), then signal the CLI only.
        assert!(signal::terminate(cli.id()));
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = cli.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the CLI did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{status}");
        assert!(
            !Path::new(&format!("/proc/{server}")).exists(),
            "the server outlived the CLI"
        );
        assert!(!pid_file(dir.path()).exists());
    }

    #[test]
    fn the_port_comes_from_addr_then_port_then_8080() {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var_os("PORT").is_none() && std::env::var_os("ADDR").is_none() {
            assert_eq!(port(dir.path()), Some(8080));
            std::fs::write(dir.path().join(".env"), "PORT=9123\n").unwrap();
            assert_eq!(port(dir.path()), Some(9123));
            std::fs::write(dir.path().join(".env"), "ADDR=127.0.0.1:9124\nPORT=1\n").unwrap();
            assert_eq!(port(dir.path()), Some(9124));
        }
    }
}
