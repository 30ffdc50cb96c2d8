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
        drop(shutdown.trigger_on(signal()));
        shutdown
    }

    /// Spawns a task that triggers this shutdown when `event` completes, and ends as soon as
    /// the shutdown starts either way (so it never outlives it).
    fn trigger_on(
        &self,
        event: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let trigger = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = event => {
                    tracing::info!("shutting down");
                    trigger.trigger();
                }
                () = trigger.wait() => {}
            }
        })
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
    async fn the_listener_ends_with_the_shutdown() {
        let s = Shutdown::new();
        let listener = s.trigger_on(std::future::pending());
        tokio::task::yield_now().await;
        assert!(!listener.is_finished());
        s.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(5), listener)
            .await
            .expect("the signal listener outlived the shutdown")
            .unwrap();
    }

    #[tokio::test]
    async fn the_event_triggers_the_shutdown() {
        let s = Shutdown::new();
        let (fire, fired) = tokio::sync::oneshot::channel::<()>();
        let listener = s.trigger_on(async move {
            let _ = fired.await;
        });
        tokio::task::yield_now().await;
        assert!(!s.is_triggered());
        fire.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), s.wait())
            .await
            .expect("the event did not trigger the shutdown");
        listener.await.unwrap();
    }
}
