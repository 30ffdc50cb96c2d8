//! Startup hooks: named steps (migrations, seeds, cache warm-up) run once, in order, before the
//! server listens. The first failure stops startup and names the hook.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use rally_system::Startup;
//!
//! let result = Startup::new()
//!     .hook("migrate", || Ok(()))
//!     .hook_async("warm cache", || async { Err("cache server unreachable".into()) })
//!     .run()
//!     .await;
//! assert_eq!(
//!     result.unwrap_err().to_string(),
//!     "startup hook `warm cache` failed: cache server unreachable"
//! );
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;

/// A hook's error.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

type HookFuture = Pin<Box<dyn Future<Output = Result<(), HookError>> + Send>>;
type Hook = Box<dyn FnOnce() -> HookFuture + Send>;

/// A hook failed; startup stops.
#[derive(Debug, thiserror::Error)]
#[error("startup hook `{hook}` failed: {source}")]
pub struct StartupError {
    /// The hook's name.
    pub hook: String,
    /// What went wrong.
    pub source: HookError,
}

/// Hooks to run in order at startup.
#[derive(Default)]
pub struct Startup {
    hooks: Vec<(String, Hook)>,
}

impl Startup {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a synchronous hook.
    pub fn hook(
        self,
        name: impl Into<String>,
        hook: impl FnOnce() -> Result<(), HookError> + Send + 'static,
    ) -> Self {
        self.hook_async(name, move || std::future::ready(hook()))
    }

    /// Adds an asynchronous hook.
    pub fn hook_async<F>(
        mut self,
        name: impl Into<String>,
        hook: impl FnOnce() -> F + Send + 'static,
    ) -> Self
    where
        F: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.hooks.push((
            name.into(),
            Box::new(move || Box::pin(hook()) as HookFuture),
        ));
        self
    }

    /// Runs the hooks in the order added, stopping at the first failure.
    pub async fn run(self) -> Result<(), StartupError> {
        for (name, hook) in self.hooks {
            tracing::info!(hook = %name, "startup");
            hook()
                .await
                .map_err(|source| StartupError { hook: name, source })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn hooks_run_in_order_and_stop_at_the_first_failure() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let (a, b, c) = (log.clone(), log.clone(), log.clone());
        let result = Startup::new()
            .hook("one", move || {
                a.lock().unwrap().push("one");
                Ok(())
            })
            .hook_async("two", move || async move {
                b.lock().unwrap().push("two");
                Err("boom".into())
            })
            .hook("three", move || {
                c.lock().unwrap().push("three");
                Ok(())
            })
            .run()
            .await;
        let err = result.unwrap_err();
        assert_eq!(err.hook, "two");
        assert_eq!(*log.lock().unwrap(), ["one", "two"]);
        assert!(Startup::new().run().await.is_ok());
    }
}
