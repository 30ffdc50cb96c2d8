//! Shutdown with a job in flight: the job finishes and is recorded, claimed jobs not yet started
//! go back to `pending`, nothing is lost. Synchronised with channels, not sleeps.

use std::sync::Arc;
use std::time::Duration;

use rally_system::jobs::JobStatus;
use rally_system::{Job, JobQueue, JobRunner, Shutdown};
use tokio::sync::{Notify, mpsc};

#[tokio::test]
async fn shutdown_lets_the_job_in_flight_finish_and_loses_nothing() {
    let queue = JobQueue::open_in_memory().unwrap();
    let first = queue.enqueue_now("save", b"1").unwrap();
    let second = queue.enqueue_now("save", b"2").unwrap();

    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let gate = release.clone();
    let runner = JobRunner::new(queue.clone(), move |job: Job| {
        let started_tx = started_tx.clone();
        let gate = gate.clone();
        async move {
            started_tx.send(job.id).unwrap();
            gate.notified().await;
            Ok::<(), String>(())
        }
    })
    .poll_interval(Duration::from_secs(3600));

    let shutdown = Shutdown::new();
    let handle = runner.spawn(shutdown.clone());

    // The first job is running; shut down while it is in flight, then let it finish.
    assert_eq!(started.recv().await, Some(first));
    shutdown.trigger();
    release.notify_one();
    handle.await.unwrap();

    assert_eq!(
        queue.job(first).unwrap().unwrap().status,
        JobStatus::Completed
    );
    let record = queue.job(second).unwrap().unwrap();
    assert_eq!(record.status, JobStatus::Pending, "released, not lost");
    assert_eq!(record.job.attempts, 0);
    assert_eq!(record.claimed_at, None);
    assert!(started.try_recv().is_err(), "the second job never started");

    // The next runner picks it up.
    let next = JobRunner::new(queue.clone(), |_job: Job| async { Ok::<(), String>(()) });
    assert_eq!(next.run_once().await.unwrap().completed, 1);
}

#[tokio::test]
async fn a_runner_stops_promptly_when_idle() {
    let queue = JobQueue::open_in_memory().unwrap();
    let runner = JobRunner::new(queue, |_job: Job| async { Ok::<(), String>(()) })
        .poll_interval(Duration::from_secs(3600));
    let shutdown = Shutdown::new();
    let handle = runner.spawn(shutdown.clone());
    shutdown.trigger();
    handle.await.unwrap();
}
