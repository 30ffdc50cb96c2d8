//! `PgJobQueue` against a real Postgres: one throwaway cluster (127.0.0.1) for the test binary,
//! one database per test. The SQLite queue's behaviours through the same `JobRunner`, and
//! several claimers on separate connections never taking the same job.
#![cfg(feature = "postgres")]

use std::collections::HashSet;
use std::sync::{Arc, Barrier, LazyLock, Mutex};

use rally_sql::postgres::{self, ClusterError, TempCluster};
use rally_system::jobs::{BATCH_SIZE, Failure, LEASE_SECONDS, now_unix};
use rally_system::{Job, JobRunner, JobStatus, PgJobQueue};

const T0: i64 = 1_800_000_000;

/// Shared by every test; its watchdog stops it when the test process exits.
static CLUSTER: LazyLock<Result<TempCluster, ClusterError>> = LazyLock::new(TempCluster::start);

/// A new, empty database for one test; returns its URL.
fn database() -> String {
    match &*CLUSTER {
        Ok(cluster) => cluster
            .create_unique_database("jobs")
            .unwrap_or_else(|e| panic!("{e}")),
        Err(error) => panic!("could not start the test cluster: {error}"),
    }
}

fn queue() -> PgJobQueue {
    PgJobQueue::open(&database()).unwrap()
}

/// Runs `f` on a new current-thread runtime. The tests create their database first: the
/// cluster's helpers use the sync client, which cannot start inside a runtime.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn failing() -> impl Fn(Job) -> std::future::Ready<Result<(), String>> + Send + Sync + 'static {
    |_| std::future::ready(Err("nope".to_string()))
}

#[test]
fn runs_due_jobs_in_run_at_order() {
    let queue = queue();
    block_on(async move {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let later = queue.enqueue("later", b"3", T0 + 10).unwrap();
        let second = queue.enqueue("second", b"2", T0).unwrap();
        let first = queue.enqueue_now("first", b"1").unwrap();
        let log = seen.clone();
        let runner = JobRunner::new(queue.clone(), move |job: Job| {
            log.lock()
                .unwrap()
                .push((job.name.clone(), job.payload.clone()));
            std::future::ready(Ok::<(), String>(()))
        });
        let report = runner.run_once_at(T0).await.unwrap();
        assert_eq!(report.completed, 2);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("first".into(), b"1".to_vec()),
                ("second".into(), b"2".to_vec())
            ]
        );
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
        assert_eq!(queue.job(later + 1000).unwrap(), None, "no such job");
    });
}

#[test]
fn failures_retry_with_backoff_then_die_after_five() {
    let queue = queue();
    block_on(async move {
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
        assert_eq!(runner.run_once_at(now).await.unwrap().dead, 1);
        let record = queue.job(id).unwrap().unwrap();
        assert_eq!(record.status, JobStatus::Dead);
        assert_eq!(record.job.attempts, 5);
        assert_eq!(runner.run_once_at(now + 10_000).await.unwrap().ran, 0);
    });
}

#[test]
fn a_panicking_handler_fails_the_job_not_the_runner() {
    let queue = queue();
    block_on(async move {
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
        // The runner goes on: the retry runs (and fails) at its time.
        assert_eq!(runner.run_once_at(T0 + 5).await.unwrap().retried, 1);
    });
}

#[test]
fn jobs_of_a_dead_worker_are_reclaimed_after_the_lease() {
    let queue = queue();
    let id = queue.enqueue("work", b"x", T0).unwrap();
    // A worker claims the job and dies without recording anything.
    assert_eq!(queue.claim_at(T0, 10).unwrap().len(), 1);
    let record = queue.job(id).unwrap().unwrap();
    assert_eq!(
        (record.status, record.claimed_at),
        (JobStatus::Running, Some(T0))
    );
    assert!(
        queue
            .claim_at(T0 + LEASE_SECONDS - 1, 10)
            .unwrap()
            .is_empty()
    );
    let reclaimed = queue.claim_at(T0 + LEASE_SECONDS, 10).unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].attempts, 0);
    assert_eq!(
        queue.job(id).unwrap().unwrap().claimed_at,
        Some(T0 + LEASE_SECONDS)
    );
}

#[test]
fn claims_at_most_a_batch_and_released_jobs_come_back() {
    let queue = queue();
    for i in 0..12 {
        queue.enqueue("n", &[i], T0).unwrap();
    }
    let first = queue.claim_at(T0, BATCH_SIZE).unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(
        first.iter().map(|j| j.payload[0]).collect::<Vec<_>>(),
        (0..10).collect::<Vec<u8>>(),
        "oldest first, then by id"
    );
    assert_eq!(queue.claim_at(T0, BATCH_SIZE).unwrap().len(), 2);
    let ids: Vec<i64> = first[5..].iter().map(|j| j.id).collect();
    queue.release(&ids).unwrap();
    let again = queue.claim_at(T0, BATCH_SIZE).unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
    assert!(
        again.iter().all(|j| j.attempts == 0),
        "a release is no attempt"
    );
    // Releasing a completed job leaves it completed.
    queue.complete(ids[0]).unwrap();
    queue.release(&ids[..1]).unwrap();
    assert_eq!(
        queue.job(ids[0]).unwrap().unwrap().status,
        JobStatus::Completed
    );
}

#[test]
fn failing_directly_reports_the_retry_time_and_death() {
    let queue = queue();
    let id = queue.enqueue("direct", b"", T0).unwrap();
    let mut job = queue.claim_at(T0, 1).unwrap().remove(0);
    assert_eq!(
        queue.fail_at(&job, "e1", T0).unwrap(),
        Failure::Retry { run_at: T0 + 5 }
    );
    job.attempts = 4;
    assert_eq!(queue.fail_at(&job, "last", T0).unwrap(), Failure::Dead);
    let record = queue.job(id).unwrap().unwrap();
    assert_eq!(
        (record.status, record.last_error.as_deref()),
        (JobStatus::Dead, Some("last"))
    );
}

#[test]
fn reopening_keeps_jobs_and_several_nodes_open_at_once() {
    let url = database();
    let id = PgJobQueue::open(&url)
        .unwrap()
        .enqueue("kept", b"\x01", 5)
        .unwrap();
    // Nodes starting together each create the table if missing, without tripping each other.
    let start = Arc::new(Barrier::new(4));
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let (url, start) = (url.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                PgJobQueue::open(&url).map(drop)
            })
        })
        .collect();
    for node in opened {
        node.join().unwrap().unwrap();
    }
    let queue = PgJobQueue::open(&url).unwrap();
    assert_eq!(queue.job(id).unwrap().unwrap().job.payload, [1]);
    assert_eq!(queue.claim_at(5, 10).unwrap().len(), 1);
}

#[test]
fn concurrent_claimers_on_separate_connections_never_take_the_same_job() {
    let url = database();
    let jobs = 400;
    {
        let queue = PgJobQueue::open(&url).unwrap();
        for i in 0..jobs {
            queue
                .enqueue_now("send_email", &i32::to_be_bytes(i))
                .unwrap();
        }
    }
    let nodes = 3;
    let start = Arc::new(Barrier::new(nodes));
    let claimers: Vec<_> = (0..nodes)
        .map(|_| {
            let (url, start) = (url.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                // Each node has its own pool and connections, as separate processes would.
                let queue = PgJobQueue::open(&url).unwrap();
                start.wait();
                let mut claimed = Vec::new();
                loop {
                    let batch = queue.claim_at(now_unix(), 10).unwrap();
                    if batch.is_empty() {
                        return claimed;
                    }
                    for job in batch {
                        queue.complete(job.id).unwrap();
                        claimed.push(job.id);
                    }
                    // Lets the others run between batches: on a loaded machine one thread
                    // could drain the queue before they are scheduled, showing nothing.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            })
        })
        .collect();
    let claimed: Vec<Vec<i64>> = claimers.into_iter().map(|n| n.join().unwrap()).collect();
    let all: Vec<i64> = claimed.iter().flatten().copied().collect();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), jobs as usize, "every job was claimed");
    assert_eq!(all.len(), jobs as usize, "no job was claimed twice");
    assert!(
        claimed.iter().filter(|c| !c.is_empty()).count() >= 2,
        "several claimers took part: {:?}",
        claimed.iter().map(Vec::len).collect::<Vec<_>>()
    );
}

#[test]
fn a_claim_skips_rows_another_node_holds_instead_of_waiting() {
    let url = database();
    let queue = PgJobQueue::open(&url).unwrap();
    let held = queue.enqueue("held", b"", T0).unwrap();
    let free = queue.enqueue("free", b"", T0 + 1).unwrap();
    // Another node is in the middle of claiming `held`: its row is locked.
    let mut other = postgres::connect(&url).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "SELECT 1 FROM rally_jobs WHERE id = $1 FOR UPDATE",
        &[&held],
    )
    .unwrap();
    let claimed: Vec<i64> = queue
        .claim_at(T0 + 1, 10)
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(claimed, [free], "the locked row is skipped, not waited for");
    tx.rollback().unwrap();
    let claimed: Vec<i64> = queue
        .claim_at(T0 + 1, 10)
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(claimed, [held]);
}

#[test]
fn an_unreachable_server_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = PgJobQueue::open(&format!("postgres://postgres@127.0.0.1:{port}/app"))
        .err()
        .expect("nothing listens there");
    assert!(
        error
            .to_string()
            .contains("cannot connect to the job database"),
        "{error}"
    );
    assert!(PgJobQueue::open("not a url").is_err());
}
