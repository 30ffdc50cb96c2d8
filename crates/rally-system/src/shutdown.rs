//! A shutdown signal shared by everything that must stop gracefully.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let shutdown = rally_system::Shutdown::new();
//! let waiter = shutdown.wait();
//! shutdown.trigger();
//! waiter.await; // returns at once: already triggered
//! # }
//! ```

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// A cloneable "stop now" flag with a future that completes when it is set. Give one clone to
/// `axum::serve(..).with_graceful_shutdown(shutdown.wait())` and one to the job runner: both
/// finish what is in flight and stop.
#[derive(Clone, Debug, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// A shutdown that happens only when [`Shutdown::trigger`] is called.
    pub fn new() -> Self {
        Shutdown(CancellationToken::new())
    }

    /// A shutdown triggered by SIGINT (Ctrl-C) or SIGTERM. Must be called inside a Tokio
    /// runtime (it spawns the signal listener).
    pub fn on_signals() -> Self {
        let shutdown = Self::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal() => {
                    tracing::info!("shutting down");
                    trigger.trigger();
                }
                () = trigger.wait() => {}
            }
        });
        shutdown
    }

    /// Starts the shutdown: every [`Shutdown::wait`] completes.
    pub fn trigger(&self) {
        self.0.cancel();
    }

    /// Whether the shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes when the shutdown starts (at once if it has).
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        self.0.clone().cancelled_owned()
    }
}

/// Completes on SIGINT or SIGTERM (SIGINT only outside Unix). A signal whose handler cannot be
/// installed is logged and never fires — waiting on the other one — rather than completing at
/// once, which would stop a server the moment it started. The one signal listener of Rally: the
/// server's shutdown and [`Shutdown::on_signals`] both use it.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for SIGINT ({e}); stop the server with SIGTERM");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); stop the server with SIGINT");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clones_share_the_flag() {
        let a = Shutdown::new();
        let b = a.clone();
        assert!(!b.is_triggered());
        let waiting = tokio::spawn(b.wait());
        a.trigger();
        waiting.await.unwrap();
        assert!(b.is_triggered());
    }

    #[tokio::test]
    async fn signal_listener_stops_with_the_shutdown() {
        let s = Shutdown::on_signals();
        s.trigger();
        s.wait().await;
    }
}
