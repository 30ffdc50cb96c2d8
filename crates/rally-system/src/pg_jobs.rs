//! Background jobs in Postgres, for nodes on several machines sharing the app's database
//! (issue 16), with the SQLite [`JobQueue`](crate::JobQueue)'s semantics: the same statuses,
//! back-off, dead after [`MAX_ATTEMPTS`], lease reclaim after [`LEASE_SECONDS`], and times
//! passed in as arguments.
//!
//! The table is `rally_jobs` (not upstream's `jobs`): it lives in the app's own database, next
//! to the app's tables, where `jobs` may well be taken. A claim selects the ready rows `FOR
//! UPDATE SKIP LOCKED` and marks them `running` in the same statement: a row another node is
//! claiming is locked, so it is skipped rather than waited for or taken twice, and a row that
//! node has just claimed no longer matches when Postgres re-checks it. Each job therefore runs
//! once per claim whichever node takes it, and nodes do not queue behind each other's claims.
//!
//! ```no_run
//! use rally_system::{Job, JobRunner, PgJobQueue};
//!
//! # fn main() -> Result<(), rally_system::JobError> {
//! let queue = PgJobQueue::open("postgres://app@db.internal/app")?;
//! queue.enqueue_now("email", b"to=a@b.c")?;
//! let runner = JobRunner::new(queue, |job: Job| async move { Ok::<(), String>(()) });
//! # drop(runner);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use postgres::Row;
use postgres::types::{ToSql, Type};
use rally_sql::postgres::{Connection, Executor, Pool, PoolError, describe};

use crate::jobs::{
    Failure, Job, JobError, JobRecord, JobStatus, JobStore, LEASE_SECONDS, MAX_ATTEMPTS,
    backoff_seconds, now_unix,
};

/// Idle connections kept for reuse: a runner uses one at a time; request handlers enqueuing
/// jobs may use a few more.
const POOL: usize = 8;
/// The longest one statement may run (including waiting for a lock) before Postgres cancels it.
/// Claims skip locked rows, so only a stuck server or a huge table gets near it.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// The advisory lock taken while creating the table, so nodes starting together do not race
/// on `CREATE TABLE IF NOT EXISTS`. Arbitrary but fixed: "rally_jo" as bytes.
const SCHEMA_LOCK: i64 = 0x7261_6c6c_795f_6a6f;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rally_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    payload bytea NOT NULL,
    run_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'completed', 'dead')),
    last_error text,
    claimed_at bigint,
    created_at bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint
);
CREATE INDEX IF NOT EXISTS rally_jobs_status_run_at ON rally_jobs (status, run_at);
";

/// Why the Postgres job queue failed.
#[derive(Debug, thiserror::Error)]
pub enum PgJobError {
    /// The URL is not a Postgres connection string.
    #[error(
        "the job queue URL is not a valid Postgres connection string: {} — use postgres://user:password@host:5432/database",
        describe(.0)
    )]
    InvalidUrl(#[source] postgres::Error),
    /// The URL asks for TLS, which the job queue's connections do not support.
    #[error(
        "the job queue URL is not usable: {}",
        rally_sql::postgres::TLS_UNSUPPORTED
    )]
    TlsRequired,
    /// No connection could be opened.
    #[error(
        "cannot connect to the job database: {} — check that Postgres is running and reachable, and the URL's host, port, user and password",
        describe(.0)
    )]
    Connect(#[source] postgres::Error),
    /// Creating the `rally_jobs` table or its index failed.
    #[error(
        "cannot create the rally_jobs table: {} — the database user needs the CREATE privilege on the schema, or create the table beforehand",
        describe(.0)
    )]
    Schema(#[source] postgres::Error),
    /// A statement failed.
    #[error(
        "job database statement failed: {} — if this repeats, check the Postgres server and its log",
        describe(.0)
    )]
    Query(#[source] postgres::Error),
}

impl From<PoolError> for PgJobError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::InvalidUrl(e) => PgJobError::InvalidUrl(e),
            PoolError::TlsRequired => PgJobError::TlsRequired,
            PoolError::Connect(e) => PgJobError::Connect(e),
            PoolError::Query(e) => PgJobError::Query(e),
        }
    }
}

/// The `rally_jobs` table in a Postgres database. Cheap to clone (the clones share one
/// [`Pool`] of connections); calls are short, synchronous and blocking, and the
/// [`JobRunner`](crate::JobRunner) makes them on blocking threads. Called from an async task
/// (a request handler enqueuing a job) they block it briefly, as the SQLite queue's do.
#[derive(Clone)]
pub struct PgJobQueue {
    pool: Arc<Pool>,
}

impl PgJobQueue {
    /// A queue in the database at `url` (`postgres://user:password@host/db`; unencrypted, for
    /// a private network). Connects once and creates the `rally_jobs` table when missing.
    pub fn open(url: &str) -> Result<Self, JobError> {
        let pool = Pool::new(url, POOL, STATEMENT_TIMEOUT).map_err(PgJobError::from)?;
        pool.with(create_schema).map_err(|e| match e {
            PoolError::Query(e) => PgJobError::Schema(e),
            other => other.into(),
        })?;
        Ok(PgJobQueue {
            pool: Arc::new(pool),
        })
    }

    /// Runs `f` on a pooled connection. [`Pool::with`] may run it twice when a pooled
    /// connection turns out closed; every statement here is then harmless: updates set absolute
    /// values, a repeated claim leaves the first claim's jobs to the lease, and a repeated
    /// enqueue is a duplicate job, which at-least-once handlers tolerate.
    fn with<T: Send>(
        &self,
        f: impl FnMut(&mut Connection) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, JobError> {
        Ok(self.pool.with(f).map_err(PgJobError::from)?)
    }

    /// Adds a job due at `run_at` (Unix seconds); returns its id.
    pub fn enqueue(&self, name: &str, payload: &[u8], run_at: i64) -> Result<i64, JobError> {
        self.with(|c| {
            c.query_one_static(
                "INSERT INTO rally_jobs (name, payload, run_at) VALUES ($1, $2, $3) RETURNING id",
                &[
                    (&name as &(dyn ToSql + Sync), Type::TEXT),
                    (&payload, Type::BYTEA),
                    (&run_at, Type::INT8),
                ],
            )
            .map(|row| row.get(0))
        })
    }

    /// Adds a job due `delay` from now.
    pub fn enqueue_in(&self, name: &str, payload: &[u8], delay: Duration) -> Result<i64, JobError> {
        let delay = i64::try_from(delay.as_secs()).unwrap_or(i64::MAX);
        self.enqueue(name, payload, now_unix().saturating_add(delay))
    }

    /// Adds a job due at once (`run_at` 0, as the SQLite queue).
    pub fn enqueue_now(&self, name: &str, payload: &[u8]) -> Result<i64, JobError> {
        self.enqueue(name, payload, 0)
    }

    /// Claims up to `limit` jobs ready at `now` (see [`JobStore::claim_at`]); concurrent
    /// claimers on other connections or nodes never get the same job.
    pub fn claim_at(&self, now: i64, limit: usize) -> Result<Vec<Job>, JobError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.with(|c| {
            c.query_static(
                "WITH ready AS (
                     SELECT id FROM rally_jobs
                     WHERE run_at <= $1
                       AND (status = 'pending'
                            OR (status = 'running' AND (claimed_at IS NULL OR claimed_at <= $1 - $2)))
                     ORDER BY run_at, id
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE rally_jobs AS j SET status = 'running', claimed_at = $1
                 FROM ready WHERE j.id = ready.id
                 RETURNING j.id, j.name, j.payload, j.attempts, j.run_at",
                &[
                    (&now as &(dyn ToSql + Sync), Type::INT8),
                    (&LEASE_SECONDS, Type::INT8),
                    (&limit, Type::INT8),
                ],
            )
        })?;
        // RETURNING does not keep the CTE's order.
        let mut jobs: Vec<(i64, Job)> = rows.iter().map(|row| (row.get(4), job(row))).collect();
        jobs.sort_by_key(|(run_at, job)| (*run_at, job.id));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    /// Marks a job completed.
    pub fn complete(&self, id: i64) -> Result<(), JobError> {
        self.with(|c| {
            c.execute_static(
                "UPDATE rally_jobs SET status = 'completed', claimed_at = NULL WHERE id = $1",
                &[(&id as &(dyn ToSql + Sync), Type::INT8)],
            )
        })
        .map(drop)
    }

    /// Records a failure of `job` at `now`: retried after the back-off, or dead after the
    /// [`MAX_ATTEMPTS`]th failure.
    pub fn fail_at(&self, job: &Job, error: &str, now: i64) -> Result<Failure, JobError> {
        let attempts = job.attempts + 1;
        let stored_attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        if attempts >= MAX_ATTEMPTS {
            self.with(|c| {
                c.execute_static(
                    "UPDATE rally_jobs SET status = 'dead', attempts = $2, last_error = $3,
                         claimed_at = NULL
                     WHERE id = $1",
                    &[
                        (&job.id as &(dyn ToSql + Sync), Type::INT8),
                        (&stored_attempts, Type::INT4),
                        (&error, Type::TEXT),
                    ],
                )
            })?;
            tracing::warn!(job = job.id, name = %job.name, attempts, error, "job is dead");
            return Ok(Failure::Dead);
        }
        let run_at = now.saturating_add(backoff_seconds(attempts));
        self.with(|c| {
            c.execute_static(
                "UPDATE rally_jobs SET status = 'pending', attempts = $2, last_error = $3,
                     run_at = $4, claimed_at = NULL
                 WHERE id = $1",
                &[
                    (&job.id as &(dyn ToSql + Sync), Type::INT8),
                    (&stored_attempts, Type::INT4),
                    (&error, Type::TEXT),
                    (&run_at, Type::INT8),
                ],
            )
        })?;
        Ok(Failure::Retry { run_at })
    }

    /// Puts claimed jobs back to `pending` without counting an attempt (a runner stopping
    /// before it started them).
    pub fn release(&self, ids: &[i64]) -> Result<(), JobError> {
        self.with(|c| {
            c.execute_static(
                "UPDATE rally_jobs SET status = 'pending', claimed_at = NULL
                 WHERE id = ANY($1) AND status = 'running'",
                &[(&ids as &(dyn ToSql + Sync), Type::INT8_ARRAY)],
            )
        })
        .map(drop)
    }

    /// One job as stored.
    pub fn job(&self, id: i64) -> Result<Option<JobRecord>, JobError> {
        let row = self.with(|c| {
            c.query_opt_static(
                "SELECT id, name, payload, attempts, status, run_at, claimed_at, last_error
                 FROM rally_jobs WHERE id = $1",
                &[(&id as &(dyn ToSql + Sync), Type::INT8)],
            )
        })?;
        Ok(row.map(|row| {
            let status: String = row.get(4);
            JobRecord {
                job: job(&row),
                // The CHECK constraint allows only the four names.
                status: JobStatus::parse(&status).unwrap_or(JobStatus::Pending),
                run_at: row.get(5),
                claimed_at: row.get(6),
                last_error: row.get(7),
            }
        }))
    }
}

/// The job in a row starting `id, name, payload, attempts`.
fn job(row: &Row) -> Job {
    Job {
        id: row.get(0),
        name: row.get(1),
        payload: row.get(2),
        // Only this module writes attempts, counting up from 0.
        attempts: u32::try_from(row.get::<_, i32>(3)).unwrap_or(0),
    }
}

/// Creates the table and index under a transaction-level advisory lock.
fn create_schema(client: &mut Connection) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(SCHEMA)?;
    tx.commit()
}

impl JobStore for PgJobQueue {
    fn claim_at(&self, now: i64, limit: usize) -> Result<Vec<Job>, JobError> {
        PgJobQueue::claim_at(self, now, limit)
    }

    fn complete(&self, id: i64) -> Result<(), JobError> {
        PgJobQueue::complete(self, id)
    }

    fn fail_at(&self, job: &Job, error: &str, now: i64) -> Result<Failure, JobError> {
        PgJobQueue::fail_at(self, job, error, now)
    }

    fn release(&self, ids: &[i64]) -> Result<(), JobError> {
        PgJobQueue::release(self, ids)
    }
}
