//! Background jobs persisted in SQLite, with upstream Rally's table and semantics.
//!
//! - [`JobQueue::enqueue`] / [`JobQueue::enqueue_in`] / [`JobQueue::enqueue_now`] add a job
//!   (a name and an opaque byte payload) to run at or after a Unix time.
//! - The [`JobRunner`] claims up to 10 ready jobs at a time (oldest `run_at` first), runs them
//!   one after another, and records the outcome: success → `completed`; failure → tried again
//!   after `attempts² · 5` seconds (5, 20, 45, 80 s), and `dead` after the 5th failure.
//! - A job claimed by a worker that died (still `running` 60 s after its claim) is claimed again:
//!   delivery is at least once, so handlers must be idempotent.
//!
//! Every step takes the time as an argument ([`JobRunner::run_once_at`]), so tests need no
//! sleeps.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use rally_system::{Job, JobQueue, JobRunner, JobStatus};
//!
//! let queue = JobQueue::open_in_memory().unwrap();
//! let id = queue.enqueue("email", b"to=a@b.c", 100).unwrap();
//! let runner = JobRunner::new(queue.clone(), |job: Job| async move {
//!     assert_eq!(job.name, "email");
//!     Ok::<(), String>(())
//! });
//! assert_eq!(runner.run_once_at(99).await.unwrap().ran, 0); // not due yet
//! assert_eq!(runner.run_once_at(100).await.unwrap().completed, 1);
//! assert_eq!(queue.job(id).unwrap().unwrap().status, JobStatus::Completed);
//! # }
//! ```

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rally_db::db::{Config as DbConfig, Db};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Shutdown;

/// Failures after which a job is `dead`.
pub const MAX_ATTEMPTS: u32 = 5;
/// Seconds after its claim when a `running` job counts as abandoned.
pub const LEASE_SECONDS: i64 = 60;
/// Jobs claimed per batch.
pub const BATCH_SIZE: usize = 10;

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The delay before retrying a job that has failed `attempts` times: `attempts² · 5` seconds.
pub fn backoff_seconds(attempts: u32) -> i64 {
    i64::from(attempts).pow(2) * 5
}

/// A job queue error.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// SQLite failed.
    #[error("job queue database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The queue's database could not be opened.
    #[error("cannot open the job database: {0}")]
    Open(#[from] rally_db::db::Error),
    /// A background task running a queue operation panicked or was cancelled.
    #[error("job queue task failed: {0}")]
    Task(String),
    /// The Postgres queue failed ([`crate::pg_jobs::PgJobQueue`]).
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    Postgres(#[from] crate::pg_jobs::PgJobError),
}

/// A job's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its `run_at`.
    Pending,
    /// Claimed by a runner.
    Running,
    /// Ran successfully.
    Completed,
    /// Failed [`MAX_ATTEMPTS`] times; not tried again.
    Dead,
}

impl JobStatus {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "completed" => JobStatus::Completed,
            "dead" => JobStatus::Dead,
            _ => return None,
        })
    }
}

/// A job handed to a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// Its name (what kind of work).
    pub name: String,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Failures so far.
    pub attempts: u32,
}

/// A job as stored (for inspection and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// Its state.
    pub status: JobStatus,
    /// When it is due (Unix seconds).
    pub run_at: i64,
    /// When a runner claimed it, while `running`.
    pub claimed_at: Option<i64>,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// What happened to a failed job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It will run again at this time.
    Retry {
        /// Unix seconds.
        run_at: i64,
    },
    /// It failed for the last time.
    Dead,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    payload BLOB NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX IF NOT EXISTS idx_jobs_status_run_at ON jobs(status, run_at);
";

/// The jobs table in a SQLite database, reached through `rally::db` like every other table
/// (upstream keeps it in `db/system.db`, apart from the app's data; the app's own database
/// works as well). Cheap to clone; calls are short, synchronous and blocking, and the
/// [`JobRunner`] makes them on blocking threads.
#[derive(Clone)]
pub struct JobQueue {
    db: Db,
}

impl JobQueue {
    /// Opens (creating when missing) the database at `path` (WAL, 5 s busy timeout).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JobError> {
        Self::new(Db::open(DbConfig::new(path.as_ref()))?)
    }

    /// A queue in a private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, JobError> {
        Self::new(Db::open_in_memory()?)
    }

    /// Uses `db`, creating the table (and upstream's later `claimed_at` column) when missing.
    pub fn new(db: Db) -> Result<Self, JobError> {
        db.write_sync(|tx| {
            tx.execute_batch(SCHEMA)?;
            let has_claimed_at: bool = tx
                .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'claimed_at'")?
                .exists([])?;
            if !has_claimed_at {
                tx.execute_batch("ALTER TABLE jobs ADD COLUMN claimed_at INTEGER")?;
            }
            Ok::<_, rusqlite::Error>(())
        })?;
        Ok(JobQueue { db })
    }

    /// One write transaction.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, JobError> {
        Ok(self.db.write_sync(|tx| f(tx))?)
    }

    /// Adds a job due at `run_at` (Unix seconds); returns its id.
    pub fn enqueue(&self, name: &str, payload: &[u8], run_at: i64) -> Result<i64, JobError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO jobs (name, payload, run_at) VALUES (?1, ?2, ?3)",
                params![name, payload, run_at],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Adds a job due `delay` from now.
    pub fn enqueue_in(&self, name: &str, payload: &[u8], delay: Duration) -> Result<i64, JobError> {
        let delay = i64::try_from(delay.as_secs()).unwrap_or(i64::MAX);
        self.enqueue(name, payload, now_unix().saturating_add(delay))
    }

    /// Adds a job due at once (`run_at` 0, as upstream).
    pub fn enqueue_now(&self, name: &str, payload: &[u8]) -> Result<i64, JobError> {
        self.enqueue(name, payload, 0)
    }

    /// Claims up to `limit` jobs ready at `now`: pending ones due by then, and running ones
    /// whose claim is older than the lease. Oldest `run_at` first, then by id.
    pub fn claim_at(&self, now: i64, limit: usize) -> Result<Vec<Job>, JobError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut jobs = self.with(|c| {
            let mut stmt = c.prepare(
                "UPDATE jobs SET status = 'running', claimed_at = ?1
                 WHERE id IN (
                     SELECT id FROM jobs
                     WHERE run_at <= ?1
                       AND (status = 'pending'
                            OR (status = 'running' AND (claimed_at IS NULL OR claimed_at <= ?1 - ?2)))
                     ORDER BY run_at, id
                     LIMIT ?3)
                 RETURNING id, name, payload, attempts, run_at",
            )?;
            let rows = stmt.query_map(params![now, LEASE_SECONDS, limit], |row| {
                Ok((
                    row.get::<_, i64>(4)?,
                    Job {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        payload: row.get(2)?,
                        attempts: row.get(3)?,
                    },
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        jobs.sort_by_key(|(run_at, job)| (*run_at, job.id));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    /// Marks a job completed.
    pub fn complete(&self, id: i64) -> Result<(), JobError> {
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET status = 'completed', claimed_at = NULL WHERE id = ?1",
                [id],
            )
            .map(drop)
        })
    }

    /// Records a failure of `job` at `now`: retried after the back-off, or dead after the
    /// [`MAX_ATTEMPTS`]th failure.
    pub fn fail_at(&self, job: &Job, error: &str, now: i64) -> Result<Failure, JobError> {
        let attempts = job.attempts + 1;
        if attempts >= MAX_ATTEMPTS {
            self.with(|c| {
                c.execute(
                    "UPDATE jobs SET status = 'dead', attempts = ?2, last_error = ?3, claimed_at = NULL
                     WHERE id = ?1",
                    params![job.id, attempts, error],
                )
            })?;
            tracing::warn!(job = job.id, name = %job.name, attempts, error, "job is dead");
            return Ok(Failure::Dead);
        }
        let run_at = now.saturating_add(backoff_seconds(attempts));
        self.with(|c| {
            c.execute(
                "UPDATE jobs SET status = 'pending', attempts = ?2, last_error = ?3, run_at = ?4,
                     claimed_at = NULL
                 WHERE id = ?1",
                params![job.id, attempts, error, run_at],
            )
        })?;
        Ok(Failure::Retry { run_at })
    }

    /// Puts claimed jobs back to `pending` without counting an attempt (a runner stopping
    /// before it started them).
    pub fn release(&self, ids: &[i64]) -> Result<(), JobError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "UPDATE jobs SET status = 'pending', claimed_at = NULL
                 WHERE id = ?1 AND status = 'running'",
            )?;
            for id in ids {
                stmt.execute([id])?;
            }
            Ok(())
        })
    }

    /// One job as stored.
    pub fn job(&self, id: i64) -> Result<Option<JobRecord>, JobError> {
        self.db
            .read_sync(|c| {
                c.query_row(
                    "SELECT id, name, payload, attempts, status, run_at, claimed_at, last_error
                 FROM jobs WHERE id = ?1",
                    [id],
                    |row| {
                        let status: String = row.get(4)?;
                        Ok(JobRecord {
                            job: Job {
                                id: row.get(0)?,
                                name: row.get(1)?,
                                payload: row.get(2)?,
                                attempts: row.get(3)?,
                            },
                            status: JobStatus::parse(&status).unwrap_or(JobStatus::Pending),
                            run_at: row.get(5)?,
                            claimed_at: row.get(6)?,
                            last_error: row.get(7)?,
                        })
                    },
                )
                .optional()
            })
            .map_err(JobError::from)
    }
}

/// What a [`JobRunner`] needs from a queue: claim ready jobs and record what became of them.
/// Implemented by the SQLite [`JobQueue`] and, with the `postgres` feature, by
/// [`crate::pg_jobs::PgJobQueue`]. Calls block; the runner makes them on blocking threads, so
/// an implementation is cheap to clone (a handle to shared state).
pub trait JobStore: Clone + Send + Sync + 'static {
    /// Claims up to `limit` jobs ready at `now`: pending ones due by then, and running ones
    /// whose claim is older than [`LEASE_SECONDS`]; oldest `run_at` first, then by id. A job is
    /// claimed by one caller only, however many claim at once.
    fn claim_at(&self, now: i64, limit: usize) -> Result<Vec<Job>, JobError>;
    /// Marks a job completed.
    fn complete(&self, id: i64) -> Result<(), JobError>;
    /// Records a failure of `job` at `now`: retried after [`backoff_seconds`], or dead after the
    /// [`MAX_ATTEMPTS`]th failure.
    fn fail_at(&self, job: &Job, error: &str, now: i64) -> Result<Failure, JobError>;
    /// Puts claimed jobs back to `pending` without counting an attempt.
    fn release(&self, ids: &[i64]) -> Result<(), JobError>;
}

impl JobStore for JobQueue {
    fn claim_at(&self, now: i64, limit: usize) -> Result<Vec<Job>, JobError> {
        JobQueue::claim_at(self, now, limit)
    }

    fn complete(&self, id: i64) -> Result<(), JobError> {
        JobQueue::complete(self, id)
    }

    fn fail_at(&self, job: &Job, error: &str, now: i64) -> Result<Failure, JobError> {
        JobQueue::fail_at(self, job, error, now)
    }

    fn release(&self, ids: &[i64]) -> Result<(), JobError> {
        JobQueue::release(self, ids)
    }
}

/// Runs jobs. Implemented for every `Fn(Job) -> impl Future<Output = Result<(), E>>` where `E`
/// displays (the message is stored as the job's `last_error`).
pub trait JobHandler: Send + Sync + 'static {
    /// Runs one job; `Err` schedules a retry.
    fn run(&self, job: Job) -> impl Future<Output = Result<(), String>> + Send + 'static;
}

impl<F, Fut, E> JobHandler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    fn run(&self, job: Job) -> impl Future<Output = Result<(), String>> + Send + 'static {
        let fut = self(job);
        async move { fut.await.map_err(|e| e.to_string()) }
    }
}

/// What one pass of the runner did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Jobs started.
    pub ran: usize,
    /// Jobs that succeeded.
    pub completed: usize,
    /// Jobs scheduled for another try.
    pub retried: usize,
    /// Jobs that failed for the last time.
    pub dead: usize,
    /// Claimed jobs put back unstarted because shutdown began.
    pub released: usize,
}

/// Claims and runs jobs from a queue ([`JobQueue`] unless said otherwise) with one handler.
pub struct JobRunner<H, Q = JobQueue> {
    queue: Q,
    handler: Arc<H>,
    poll_interval: Duration,
}

impl<H: JobHandler, Q: JobStore> JobRunner<H, Q> {
    /// A runner polling every second (upstream's interval).
    pub fn new(queue: Q, handler: H) -> Self {
        JobRunner {
            queue,
            handler: Arc::new(handler),
            poll_interval: Duration::from_secs(1),
        }
    }

    /// Changes how often the runner looks for due jobs.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// One pass at time `now` (Unix seconds): claim up to 10 ready jobs, run them in order,
    /// record each outcome at `now`.
    pub async fn run_once_at(&self, now: i64) -> Result<RunReport, JobError> {
        self.pass(now, None).await
    }

    /// One pass now.
    pub async fn run_once(&self) -> Result<RunReport, JobError> {
        self.run_once_at(now_unix()).await
    }

    /// Runs passes until `shutdown`: the job in flight finishes and is recorded; jobs claimed
    /// but not started go back to `pending`.
    pub async fn run(self, shutdown: Shutdown) {
        while !shutdown.is_triggered() {
            if let Err(e) = self.pass(now_unix(), Some(&shutdown)).await {
                tracing::error!(error = %e, "job runner");
            }
            tokio::select! {
                () = tokio::time::sleep(self.poll_interval) => {}
                () = shutdown.wait() => {}
            }
        }
        tracing::info!("job runner stopped");
    }

    /// Spawns [`JobRunner::run`] on the Tokio runtime; await the handle after triggering
    /// `shutdown` to know the in-flight job was recorded.
    pub fn spawn(self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Q) -> Result<T, JobError> + Send + 'static,
    ) -> Result<T, JobError> {
        let queue = self.queue.clone();
        tokio::task::spawn_blocking(move || f(&queue))
            .await
            .map_err(|e| JobError::Task(e.to_string()))?
    }

    async fn pass(&self, now: i64, shutdown: Option<&Shutdown>) -> Result<RunReport, JobError> {
        let jobs = self.db(move |q| q.claim_at(now, BATCH_SIZE)).await?;
        let mut report = RunReport::default();
        for (i, job) in jobs.iter().enumerate() {
            if shutdown.is_some_and(Shutdown::is_triggered) {
                let rest: Vec<i64> = jobs[i..].iter().map(|j| j.id).collect();
                report.released = rest.len();
                self.db(move |q| q.release(&rest)).await?;
                break;
            }
            report.ran += 1;
            match self.run_job(job.clone()).await {
                Ok(()) => {
                    let id = job.id;
                    self.db(move |q| q.complete(id)).await?;
                    report.completed += 1;
                }
                Err(error) => {
                    let job = job.clone();
                    match self.db(move |q| q.fail_at(&job, &error, now)).await? {
                        Failure::Retry { .. } => report.retried += 1,
                        Failure::Dead => report.dead += 1,
                    }
                }
            }
        }
        Ok(report)
    }

    /// Runs the handler in its own task, so a panic is a failure of that job, not the runner.
    async fn run_job(&self, job: Job) -> Result<(), String> {
        let handler = self.handler.clone();
        match tokio::spawn(async move { handler.run(job).await }).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err("job handler panicked".into()),
            Err(e) => Err(format!("job handler task failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    const T0: i64 = 1_800_000_000;

    fn failing() -> impl Fn(Job) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
        |_| std::future::ready(Err("nope".to_string()))
    }

    #[test]
    fn backoff_schedule_is_5_20_45_80() {
        assert_eq!(
            (1..=4).map(backoff_seconds).collect::<Vec<_>>(),
            [5, 20, 45, 80]
        );
    }

    #[tokio::test]
    async fn runs_due_jobs_in_run_at_order() {
        let queue = JobQueue::open_in_memory().unwrap();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let later = queue.enqueue("later", b"3", T0 + 10).unwrap();
        let second = queue.enqueue("second", b"2", T0).unwrap();
        let first = queue.enqueue_now("first", b"1").unwrap();
        let log = seen.clone();
        let runner = JobRunner::new(queue.clone(), move |job: Job| {
            log.lock().unwrap().push(job.name.clone());
            std::future::ready(Ok::<(), String>(()))
        });
        let report = runner.run_once_at(T0).await.unwrap();
        assert_eq!(report.completed, 2);
        assert_eq!(*seen.lock().unwrap(), ["first", "second"]);
        for id in [first, second] {
            assert_eq!(queue.job(id).unwrap().unwrap().status, JobStatus::Completed);
        }
        assert_eq!(
            queue.job(later).unwrap().unwrap().status,
            JobStatus::Pending
        );
        // Completed jobs do not run again.
        assert_eq!(runner.run_once_at(T0 + 5).await.unwrap().ran, 0);
        assert_eq!(runner.run_once_at(T0 + 10).await.unwrap().completed, 1);
        assert_eq!(*seen.lock().unwrap(), ["first", "second", "later"]);
    }

    #[tokio::test]
    async fn failures_retry_with_backoff_then_die_after_five() {
        let queue = JobQueue::open_in_memory().unwrap();
        let id = queue.enqueue("flaky", b"", T0).unwrap();
        let runner = JobRunner::new(queue.clone(), failing());
        let mut now = T0;
        for (attempt, delay) in [(1, 5), (2, 20), (3, 45), (4, 80)] {
            let report = runner.run_once_at(now).await.unwrap();
            assert_eq!(report.retried, 1, "attempt {attempt}");
            let record = queue.job(id).unwrap().unwrap();
            assert_eq!(record.status, JobStatus::Pending);
            assert_eq!(record.job.attempts, attempt);
            assert_eq!(record.run_at, now + delay);
            assert_eq!(record.last_error.as_deref(), Some("nope"));
            assert_eq!(record.claimed_at, None);
            // Not before its time.
            assert_eq!(runner.run_once_at(now + delay - 1).await.unwrap().ran, 0);
            now += delay;
        }
        let report = runner.run_once_at(now).await.unwrap();
        assert_eq!(report.dead, 1);
        let record = queue.job(id).unwrap().unwrap();
        assert_eq!(record.status, JobStatus::Dead);
        assert_eq!(record.job.attempts, 5);
        assert_eq!(runner.run_once_at(now + 10_000).await.unwrap().ran, 0);
    }

    #[tokio::test]
    async fn a_panicking_handler_fails_the_job_not_the_runner() {
        let queue = JobQueue::open_in_memory().unwrap();
        let id = queue.enqueue("boom", b"", T0).unwrap();
        let runner = JobRunner::new(queue.clone(), |_job: Job| async move {
            if true {
                panic!("handler bug");
            }
            Ok::<(), String>(())
        });
        assert_eq!(runner.run_once_at(T0).await.unwrap().retried, 1);
        let record = queue.job(id).unwrap().unwrap();
        assert_eq!(record.last_error.as_deref(), Some("job handler panicked"));
    }

    #[test]
    fn jobs_of_a_dead_worker_are_reclaimed_after_the_lease() {
        let queue = JobQueue::open_in_memory().unwrap();
        let id = queue.enqueue("work", b"x", T0).unwrap();
        // A worker claims the job and dies without recording anything.
        assert_eq!(queue.claim_at(T0, 10).unwrap().len(), 1);
        assert_eq!(queue.job(id).unwrap().unwrap().status, JobStatus::Running);
        // Not reclaimed while the lease holds.
        assert!(
            queue
                .claim_at(T0 + LEASE_SECONDS - 1, 10)
                .unwrap()
                .is_empty()
        );
        // Reclaimed once it ran out, attempts unchanged.
        let reclaimed = queue.claim_at(T0 + LEASE_SECONDS, 10).unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].attempts, 0);
        assert_eq!(
            queue.job(id).unwrap().unwrap().claimed_at,
            Some(T0 + LEASE_SECONDS)
        );
    }

    #[test]
    fn running_jobs_without_a_claim_time_are_reclaimed() {
        // Rows from before upstream added `claimed_at`.
        let queue = JobQueue::open_in_memory().unwrap();
        let id = queue.enqueue("old", b"", T0).unwrap();
        queue
            .with(|c| c.execute("UPDATE jobs SET status = 'running' WHERE id = ?1", [id]))
            .unwrap();
        assert_eq!(queue.claim_at(T0, 10).unwrap().len(), 1);
    }

    #[test]
    fn claims_at_most_a_batch() {
        let queue = JobQueue::open_in_memory().unwrap();
        for i in 0..12 {
            queue.enqueue("n", &[i], T0).unwrap();
        }
        assert_eq!(queue.claim_at(T0, BATCH_SIZE).unwrap().len(), 10);
        assert_eq!(queue.claim_at(T0, BATCH_SIZE).unwrap().len(), 2);
    }

    #[test]
    fn reopening_keeps_jobs_and_adds_missing_columns() {
        let dir = std::env::temp_dir().join(format!("rally-jobs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("system.db");
        let _ = std::fs::remove_file(&path);
        {
            // A table from before `claimed_at` existed.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
                 payload BLOB NOT NULL, run_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                 status TEXT NOT NULL DEFAULT 'pending', last_error TEXT,
                 created_at INTEGER NOT NULL DEFAULT (unixepoch()));
                 INSERT INTO jobs (name, payload, run_at) VALUES ('kept', x'01', 5);",
            )
            .unwrap();
        }
        let first = JobQueue::open(&path).unwrap();
        let second = JobQueue::open(&path).unwrap();
        assert_eq!(first.job(1).unwrap().unwrap().job.name, "kept");
        assert_eq!(second.claim_at(5, 10).unwrap().len(), 1);
        drop((first, second));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
