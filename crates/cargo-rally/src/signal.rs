//! Ctrl-C and SIGTERM for `cargo rally dev`, and SIGTERM to its server: the two libc calls
//! this needs, declared here rather than adding a dependency.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first SIGINT or SIGTERM once [`install`] ran.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Whether a stop was requested.
pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

#[cfg(unix)]
mod imp {
    use std::ffi::c_int;
    use std::sync::atomic::Ordering;

    // Linux and the BSDs (macOS included) agree on these two numbers.
    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;

    unsafe extern "C" {
        fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
        fn kill(pid: c_int, sig: c_int) -> c_int;
    }

    extern "C" fn on_signal(_: c_int) {
        // Only an atomic store: async-signal-safe.
        super::STOP.store(true, Ordering::SeqCst);
    }

    pub fn install() {
        // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe.
        unsafe {
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
        }
    }

    pub fn terminate(pid: u32) -> bool {
        let Ok(pid) = c_int::try_from(pid) else {
            return false;
        };
        // SAFETY: `kill` has no memory-safety preconditions. Callers pass their own unreaped
        // child, or a recorded server whose /proc/<pid>/exe they just checked.
        unsafe { kill(pid, SIGTERM) == 0 }
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn install() {}

    pub fn terminate(_pid: u32) -> bool {
        false
    }
}

/// Turns SIGINT and SIGTERM into [`STOP`] instead of ending the process.
pub fn install() {
    imp::install();
}

/// Sends SIGTERM to the process `pid`; false where that is not possible (the caller then
/// kills it).
pub fn terminate(pid: u32) -> bool {
    imp::terminate(pid)
}
