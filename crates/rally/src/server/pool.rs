//! The render pool: a fixed set of threads, fed by a bounded queue, for the blocking part of
//! HTTP requests (a page's session lookup, access rule, loads and render; a form's save).
//!
//! `tokio::task::spawn_blocking` grew to one thread per request in flight (50 threads at 16
//! connections, 170–200 at 64; issue 19), each page paid for a thread hand-off into a pool
//! that kept growing, and nothing bounded the backlog. Here the threads are as many as the
//! cores, and a request that finds the queue full is answered `503` at once: under overload
//! the server sheds load instead of queueing without end (docs/adr/0020).

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// One queued job: it runs the caller's closure and sends the result back itself.
type Task = Box<dyn FnOnce() + Send>;

/// Why a job did not give a result.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// Every thread was busy and the queue full: the server is overloaded, and the request is
    /// refused rather than queued without end.
    #[error("the server is busy: {queued} requests are already waiting")]
    Busy {
        /// The queue's capacity, all taken.
        queued: usize,
    },
    /// The job panicked. The thread survives and goes on with the next job.
    #[error("the job panicked: {0}")]
    Panicked(String),
}

/// How large the pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Threads that run jobs (at least 1).
    pub threads: usize,
    /// Jobs that may wait for a thread (at least 1); one more is refused with
    /// [`PoolError::Busy`].
    pub queue: usize,
}

impl Default for PoolConfig {
    /// One thread per core (at least 2, so that one slow load does not hold every page), and
    /// room for 256 waiting jobs per thread: with pages taking 0.1–1 ms, a full queue is a wait
    /// of 25–250 ms, past which answering `503` serves users better than waiting longer.
    fn default() -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2);
        PoolConfig {
            threads,
            queue: 256 * threads,
        }
    }
}

/// A fixed set of threads for blocking request work, with a bounded queue. Cheap to clone; the
/// threads start with the first job and end once every clone is dropped and the queue is empty.
#[derive(Clone)]
pub struct RenderPool {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for RenderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPool")
            .field("config", &self.handle.config)
            .finish_non_exhaustive()
    }
}

/// Owned by the pool's clones only (not by its threads), so that dropping the last clone closes
/// the queue.
struct Handle {
    shared: Arc<Shared>,
    config: PoolConfig,
    /// Held while threads are being started.
    starting: Mutex<()>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job is queued while a thread sleeps, and on close.
    ready: Condvar,
    /// Threads started and not yet ended.
    running: AtomicUsize,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Task>,
    /// Threads asleep on `ready` (or woken and not yet back to the queue).
    idle: usize,
    closed: bool,
}

impl RenderPool {
    /// A pool of `config.threads` threads with room for `config.queue` waiting jobs.
    pub fn new(config: PoolConfig) -> Self {
        let config = PoolConfig {
            threads: config.threads.max(1),
            queue: config.queue.max(1),
        };
        RenderPool {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared {
                    queue: Mutex::new(Queue::default()),
                    ready: Condvar::new(),
                    running: AtomicUsize::new(0),
                }),
                config,
                starting: Mutex::new(()),
            }),
        }
    }

    /// The pool's size.
    pub fn config(&self) -> PoolConfig {
        self.handle.config
    }

    /// Runs `job` on one of the pool's threads and waits for its result without blocking the
    /// async thread. Refused at once with [`PoolError::Busy`] when the queue is full; a panic
    /// in `job` is caught and returned as [`PoolError::Panicked`].
    ///
    /// If the caller stops waiting (the client went away), a job already queued still runs: it
    /// may be a save.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let task: Task = Box::new(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job))
                .map_err(|payload| PoolError::Panicked(panic_message(payload)));
            // Nobody may be waiting any more; then the result is dropped.
            let _ = done.send(outcome);
        });
        self.submit(task)?;
        match result.await {
            Ok(outcome) => outcome,
            // The task is dropped unrun only if the pool closes with it queued.
            Err(_) => Err(PoolError::Panicked("the pool closed".into())),
        }
    }

    fn submit(&self, task: Task) -> Result<(), PoolError> {
        self.handle.start();
        let shared = &self.handle.shared;
        let mut queue = shared.lock();
        if queue.jobs.len() >= self.handle.config.queue {
            return Err(PoolError::Busy {
                queued: queue.jobs.len(),
            });
        }
        queue.jobs.push_back(task);
        // Wake a sleeper only if there is one: a busy thread takes the job when it is done.
        let wake = queue.idle > 0;
        drop(queue);
        if wake {
            shared.ready.notify_one();
        }
        Ok(())
    }
}

impl Handle {
    /// Starts the threads that are missing (on the first job, or after a failed start).
    fn start(&self) {
        if self.shared.running.load(Ordering::Acquire) >= self.config.threads {
            return;
        }
        let _starting = self
            .starting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Jobs run inside the runtime, as under `spawn_blocking`: app code may use
        // `Handle::current()`.
        let runtime = tokio::runtime::Handle::try_current().ok();
        while self.shared.running.load(Ordering::Acquire) < self.config.threads {
            let n = self.shared.running.fetch_add(1, Ordering::AcqRel);
            let shared = Arc::clone(&self.shared);
            let runtime = runtime.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rally-render-{n}"))
                .spawn(move || {
                    let _entered = runtime.as_ref().map(|r| r.enter());
                    shared.work();
                });
            if let Err(e) = spawned {
                self.shared.running.fetch_sub(1, Ordering::AcqRel);
                tracing::error!("cannot start a render thread (retried on the next request): {e}");
                break;
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every change of the queue is one step and jobs run outside the lock, so it stays
        // consistent even if a thread panicked while holding it.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A pool thread: runs jobs in order until the pool is closed and the queue empty.
    fn work(&self) {
        struct Running<'a>(&'a AtomicUsize);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _running = Running(&self.running);
        loop {
            let task = {
                let mut queue = self.lock();
                loop {
                    if let Some(task) = queue.jobs.pop_front() {
                        break task;
                    }
                    if queue.closed {
                        return;
                    }
                    // Counted by the sleeper itself, under the lock, so that a submitter never
                    // misses a sleeping thread (extra wake-ups are harmless).
                    queue.idle += 1;
                    queue = self
                        .ready
                        .wait(queue)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    queue.idle -= 1;
                }
            };
            // The task catches its job's panic itself; this guard is for the send.
            let _ = catch_unwind(AssertUnwindSafe(task));
        }
    }
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    fn pool(threads: usize, queue: usize) -> RenderPool {
        RenderPool::new(PoolConfig { threads, queue })
    }

    #[tokio::test]
    async fn runs_jobs_on_its_own_threads() {
        let pool = pool(2, 8);
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("rally-render-"));
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_the_thread_lives_on() {
        let pool = pool(1, 8);
        let error = pool.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(error, PoolError::Panicked("boom".into()));
        // The one thread is still there.
        assert_eq!(pool.run(|| 1).await, Ok(1));
        assert_eq!(pool.handle.shared.running.load(Ordering::Acquire), 1);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let pool = pool(1, 2);
        // Hold the one thread until the queue has been filled.
        let hold = Arc::new(Barrier::new(2));
        let started = Arc::new(Barrier::new(2));
        let (h, s) = (Arc::clone(&hold), Arc::clone(&started));
        let first = tokio::spawn({
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    s.wait();
                    h.wait();
                })
                .await
            }
        });
        let wait_started = Arc::clone(&started);
        tokio::task::spawn_blocking(move || wait_started.wait())
            .await
            .unwrap();
        // The thread is busy: two jobs fit in the queue, the third does not.
        let queued: Vec<_> = (0..2)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.run(move || i).await })
            })
            .collect();
        // Wait until both are queued (the spawned tasks run concurrently with this one).
        while pool.handle.shared.lock().jobs.len() < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| 9).await, Err(PoolError::Busy { queued: 2 }));
        let release = Arc::clone(&hold);
        tokio::task::spawn_blocking(move || release.wait())
            .await
            .unwrap();
        first.await.unwrap().unwrap();
        for (i, job) in queued.into_iter().enumerate() {
            assert_eq!(job.await.unwrap(), Ok(i));
        }
    }

    #[tokio::test]
    async fn the_threads_end_when_the_pool_is_dropped() {
        let pool = pool(2, 8);
        pool.run(|| ()).await.unwrap();
        let shared = Arc::clone(&pool.handle.shared);
        drop(pool);
        while shared.running.load(Ordering::Acquire) > 0 {
            tokio::task::yield_now().await;
        }
    }
}
