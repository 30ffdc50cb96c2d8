//! Ctrl-C and SIGTERM for `cargo rally dev` and `server`, and SIGTERM to their server.
//!
//! `signal-hook` turns both signals into a flag the loops poll (a flag store is all a signal
//! handler may safely do); `nix` sends SIGTERM. Where signals do not exist, [`terminate`] says
//! so and the caller kills the process instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first SIGINT or SIGTERM after [`Stop::install`].
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Turns SIGINT and SIGTERM into this flag instead of ending the process.
    pub fn install() -> Result<Stop, String> {
        let stop = Stop::default();
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&stop.0))
                .map_err(|e| format!("cannot handle signal {signal}: {e}"))?;
        }
        Ok(stop)
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for loops that take an `&AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// Sends SIGTERM to the process `pid`; false where that is not possible (the caller then
/// kills it).
#[cfg(unix)]
pub fn terminate(pid: u32) -> bool {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Callers pass their own unreaped child, or a recorded server whose /proc/<pid>/exe they
    // just checked, so the pid names the process they mean.
    kill(Pid::from_raw(pid), Signal::SIGTERM).is_ok()
}

/// Sends SIGTERM to the process `pid`; false where that is not possible (the caller then
/// kills it).
#[cfg(not(unix))]
pub fn terminate(_pid: u32) -> bool {
    false
}
