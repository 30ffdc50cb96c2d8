//! Jobs on several server nodes: each node opens the same database file and claims from the
//! same queue, and every job runs once — the claim is one `UPDATE … RETURNING` in a write
//! transaction, so two nodes never both take a job.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rally_system::jobs::{JobQueue, now_unix};

#[test]
fn two_nodes_claiming_from_one_database_file_take_each_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.db");
    let jobs = 400;
    {
        let queue = JobQueue::open(&path).unwrap();
        for i in 0..jobs {
            queue.enqueue_now("send_email", &[i as u8]).unwrap();
        }
    }
    let start = Arc::new(Barrier::new(2));
    // Batches each node has finished, and whether it is done. A node more than one batch ahead
    // waits (up to a second) for the other: on a loaded machine one thread could otherwise
    // drain the queue before the other is scheduled, and the test would show nothing about two
    // nodes at once. The waiting only orders the claims; it does not make them safe.
    let progress = Arc::new([const { AtomicUsize::new(0) }; 2]);
    let done = Arc::new([const { AtomicBool::new(false) }; 2]);
    let nodes: Vec<_> = (0..2)
        .map(|node| {
            let (path, start) = (path.clone(), Arc::clone(&start));
            let (progress, done) = (Arc::clone(&progress), Arc::clone(&done));
            std::thread::spawn(move || {
                // Each node has its own connection to the file, as two processes would.
                let queue = JobQueue::open(&path).unwrap();
                start.wait();
                let mut claimed = Vec::new();
                loop {
                    let batch = queue.claim_at(now_unix(), 10).unwrap();
                    if batch.is_empty() {
                        done[node].store(true, Ordering::SeqCst);
                        return claimed;
                    }
                    for job in batch {
                        queue.complete(job.id).unwrap();
                        claimed.push(job.id);
                    }
                    let mine = progress[node].fetch_add(1, Ordering::SeqCst) + 1;
                    let deadline = Instant::now() + Duration::from_secs(1);
                    while mine > progress[1 - node].load(Ordering::SeqCst) + 1
                        && !done[1 - node].load(Ordering::SeqCst)
                        && Instant::now() < deadline
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    let claimed: Vec<Vec<i64>> = nodes.into_iter().map(|n| n.join().unwrap()).collect();
    let all: Vec<i64> = claimed.iter().flatten().copied().collect();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), jobs, "every job was claimed once in total");
    assert_eq!(unique.len(), jobs, "no job was claimed by both nodes");
    assert!(
        claimed.iter().all(|c| !c.is_empty()),
        "both nodes took part: {} and {}",
        claimed[0].len(),
        claimed[1].len()
    );
}
