//! `cargo rally server`: build the server, free its port if a previous server of this same app
//! still holds it, and run it in the foreground.
//!
//! The running server is recorded in `target/rally/server.pid` (`<pid> <executable>`). A busy
//! port is freed only when that record names a live process whose executable is this app's
//! server binary; anything else holding the port is left alone and reported.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::{build_server, signal, step};

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

/// The recorded previous server, if that process still runs this app's executable.
fn previous_server(root: &Path, executable: &Path) -> Option<u32> {
    let record = std::fs::read_to_string(pid_file(root)).ok()?;
    let (pid, recorded) = record.trim().split_once(' ')?;
    let pid: u32 = pid.parse().ok()?;
    let running = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    // A rebuilt binary shows as "<path> (deleted)" while the old process runs.
    let running = running.to_string_lossy();
    let running = running.trim_end_matches(" (deleted)");
    let same = Path::new(running) == executable && Path::new(recorded) == executable;
    same.then_some(pid)
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
    signal::terminate(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if port_is_free(port) {
            let _ = std::fs::remove_file(pid_file(root));
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "the previous server (pid {pid}) did not stop within 10 s; stop it (kill {pid}) and try again"
    ))
}

/// Builds and runs the server in the foreground until it exits.
pub fn server(root: &Path) -> Result<(), String> {
    let executable = build_server(root, false)?;
    if let Some(port) = port(root) {
        free_port(root, &executable, port)?;
    }
    step("starting the server (PORT from the environment or .env, default 8080)");
    let mut child = Command::new(&executable)
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
    // Ctrl-C reaches the server too (same process group); wait for it to finish shutting down.
    let status: ExitStatus = child
        .wait()
        .map_err(|e| format!("cannot wait for the server: {e}"))?;
    // A newer `cargo rally server` that stopped this one has recorded its own server.
    let ours = std::fs::read_to_string(&record)
        .is_ok_and(|r| r.split_whitespace().next() == Some(&child.id().to_string()));
    if ours {
        let _ = std::fs::remove_file(&record);
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server exited with {status}"))
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
