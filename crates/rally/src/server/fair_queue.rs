//! The handler queue's order: one job per connection in turn, not first come, first served.
//!
//! With one FIFO queue, a client that keeps 32 loads in flight on each of 40 sockets puts 1,280
//! jobs ahead of everyone else's next request: a legitimate client's loads took 0.4–0.8 s
//! (issue 14). Taking turns bounds a request's wait by the number of connections with work
//! queued, not by how much work they queued: a connection's next job waits for at most one job
//! of each other busy connection.

use std::collections::{HashMap, VecDeque};

use super::hub::ConnectionId;

/// Jobs queued per connection, served round-robin.
#[derive(Debug)]
pub(crate) struct FairQueue<T> {
    /// Each connection's jobs, oldest first; only connections with at least one.
    queued: HashMap<ConnectionId, VecDeque<T>>,
    /// Connections with queued jobs, in the order of their next turn.
    turns: VecDeque<ConnectionId>,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        FairQueue {
            queued: HashMap::new(),
            turns: VecDeque::new(),
        }
    }
}

impl<T> FairQueue<T> {
    /// Queues `job` behind `connection`'s earlier jobs; a connection with none joins the end
    /// of the turns.
    pub fn push(&mut self, connection: ConnectionId, job: T) {
        let jobs = self.queued.entry(connection).or_default();
        if jobs.is_empty() {
            self.turns.push_back(connection);
        }
        jobs.push_back(job);
    }

    /// The oldest job of the connection whose turn it is; that connection goes to the end of
    /// the turns if it has more.
    pub fn pop(&mut self) -> Option<T> {
        let connection = self.turns.pop_front()?;
        let jobs = self.queued.get_mut(&connection)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            self.queued.remove(&connection);
        } else {
            self.turns.push_back(connection);
        }
        job
    }

    /// Whether no job is queued.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut FairQueue<(u64, u32)>) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| queue.pop()).collect()
    }

    #[test]
    fn connections_take_turns_and_each_keeps_its_order() {
        let mut queue = FairQueue::default();
        for n in 0..3 {
            queue.push(ConnectionId(1), (1, n));
        }
        queue.push(ConnectionId(2), (2, 0));
        queue.push(ConnectionId(3), (3, 0));
        queue.push(ConnectionId(2), (2, 1));
        assert_eq!(
            drain(&mut queue),
            [(1, 0), (2, 0), (3, 0), (1, 1), (2, 1), (1, 2)]
        );
        assert!(queue.is_empty());
    }

    #[test]
    fn a_flooding_connection_delays_a_newcomer_by_one_job() {
        let mut queue = FairQueue::default();
        for n in 0..1000 {
            queue.push(ConnectionId(7), (7, n));
        }
        queue.pop();
        queue.push(ConnectionId(8), (8, 0));
        assert_eq!(queue.pop(), Some((7, 1)));
        assert_eq!(queue.pop(), Some((8, 0)));
    }

    #[test]
    fn a_connection_that_ran_dry_joins_at_the_end() {
        let mut queue = FairQueue::default();
        queue.push(ConnectionId(1), (1, 0));
        queue.push(ConnectionId(2), (2, 0));
        queue.push(ConnectionId(2), (2, 1));
        assert_eq!(queue.pop(), Some((1, 0)));
        queue.push(ConnectionId(1), (1, 1));
        assert_eq!(drain(&mut queue), [(2, 0), (1, 1), (2, 1)]);
    }
}
