//! Rally's system runtime: [`startup`] hooks run in order before serving, [`jobs`] persisted in
//! SQLite with retries and back-off, and [`shutdown`] on SIGTERM/SIGINT shared by the server and
//! the job runner.
//!
//! Re-exported by `rally` (feature `server`) as `rally::system`. See `docs/auth.md` (jobs).

pub mod jobs;
#[cfg(feature = "postgres")]
pub mod pg_jobs;
pub mod shutdown;
pub mod startup;

pub use jobs::{Job, JobError, JobHandler, JobQueue, JobRunner, JobStatus, JobStore};
#[cfg(feature = "postgres")]
pub use pg_jobs::PgJobQueue;
pub use shutdown::Shutdown;
pub use startup::{Startup, StartupError};
