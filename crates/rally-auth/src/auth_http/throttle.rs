//! Sign-in throttling: how fast anyone may guess a login code.
//!
//! A login code has 31⁵ ≈ 28.6 million values, so it is only as strong as the number of guesses
//! an attacker gets. Three independent brakes apply, and a request must pass all of them:
//!
//! - **Per client address** (token bucket, `governor`): every sign-in post from one address,
//!   whatever the email. Stops one machine from spraying guesses over many accounts.
//! - **Per email** (token bucket): code requests and guesses each have their own bucket, shared
//!   by every address. Stops a botnet from pooling its addresses against one account, and code
//!   requests from mail-bombing a user.
//! - **Lockout with exponential back-off**: guesses for an email are counted here, in Rally,
//!   not in the app's code store, so asking for a new code does not reset them. Each guess
//!   counts as wrong from the moment it is admitted until it proves right, so guesses sent
//!   together cannot all slip past the lock. After
//!   [`SignInLimits::lock_after`] wrong guesses the email is locked for
//!   [`SignInLimits::first_lock`], doubling with each further wrong guess up to
//!   [`SignInLimits::max_lock`]; while locked even the right code is refused. A sign-in clears
//!   the count.
//!
//! Unknown emails are counted exactly like known ones, so neither the answers nor the lockout
//! reveal which emails have accounts. Every map here is bounded ([`SignInLimits::max_tracked`]):
//! stale entries go first, then the ones that are not locked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How fast sign-in may be attempted. The defaults allow a person plenty (a typo or two, a few
/// code requests) and an attacker about five guesses per email in the first minute, then fewer
/// than one per hour.
#[derive(Clone, Debug)]
pub struct SignInLimits {
    /// Sign-in posts (both routes) one client address may make in a burst.
    pub per_address_burst: u32,
    /// How often one more post is allowed per address once the burst is spent.
    pub per_address_every: Duration,
    /// Guesses (`POST /sign_in`) for one email in a burst, from all addresses together.
    pub guesses_per_email_burst: u32,
    /// How often one more guess is allowed per email once the burst is spent.
    pub guesses_per_email_every: Duration,
    /// Code requests (`POST /sign_in/code`) for one email in a burst.
    pub codes_per_email_burst: u32,
    /// How often one more code request is allowed per email.
    pub codes_per_email_every: Duration,
    /// Wrong guesses for an email before it is locked.
    pub lock_after: u32,
    /// The first lock; each further wrong guess doubles it.
    pub first_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
    /// Wrong guesses are forgotten after this long without another.
    pub forget_after: Duration,
    /// Most addresses and emails each map tracks; the oldest state goes first beyond it.
    pub max_tracked: usize,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_address_burst: 30,
            per_address_every: Duration::from_secs(2),
            guesses_per_email_burst: 10,
            guesses_per_email_every: Duration::from_secs(6),
            codes_per_email_burst: 5,
            codes_per_email_every: Duration::from_secs(60),
            lock_after: 5,
            first_lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(60 * 60),
            forget_after: Duration::from_secs(24 * 60 * 60),
            max_tracked: 100_000,
        }
    }
}

/// Why a sign-in post was refused before its code was looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A rate limit: the address or the email is going too fast.
    TooFast(Duration),
    /// Too many wrong guesses for this email; the lock ends after this long.
    LockedOut(Duration),
}

impl Refusal {
    fn retry_after(self) -> Duration {
        match self {
            Refusal::TooFast(wait) | Refusal::LockedOut(wait) => wait,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Refusal::TooFast(_) => "rate limit",
            Refusal::LockedOut(_) => "too many wrong codes",
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // Whole seconds, rounded up, at least one: what `Retry-After` can say.
        let seconds =
            self.retry_after().as_secs() + u64::from(self.retry_after().subsec_nanos() > 0);
        let seconds = seconds.max(1);
        let body = match self {
            Refusal::TooFast(_) => {
                format!("Too many sign-in attempts. Try again in {seconds} s.")
            }
            Refusal::LockedOut(_) => format!(
                "Too many wrong codes for this email. Try again in {seconds} s, with a new code."
            ),
        };
        let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        response
    }
}

/// Which sign-in route a post is for: each has its own per-email bucket.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Route {
    /// `POST /sign_in/code`.
    RequestCode,
    /// `POST /sign_in`.
    Guess,
}

/// The sign-in brakes of one app (see the module docs).
pub(crate) struct Throttle {
    limits: SignInLimits,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    guesses_by_email: DefaultKeyedRateLimiter<String>,
    codes_by_email: DefaultKeyedRateLimiter<String>,
    failures: Mutex<Failures>,
    refusals: Mutex<LogBudget>,
}

impl Throttle {
    pub(crate) fn new(limits: SignInLimits) -> Self {
        Throttle {
            by_address: RateLimiter::dashmap(quota(
                limits.per_address_burst,
                limits.per_address_every,
            )),
            guesses_by_email: RateLimiter::dashmap(quota(
                limits.guesses_per_email_burst,
                limits.guesses_per_email_every,
            )),
            codes_by_email: RateLimiter::dashmap(quota(
                limits.codes_per_email_burst,
                limits.codes_per_email_every,
            )),
            failures: Mutex::new(Failures::default()),
            refusals: Mutex::new(LogBudget::new(Duration::from_secs(10))),
            limits,
        }
    }

    /// Takes one post for `route` from the address's and the email's buckets; for a guess,
    /// checks the email's lock and counts the guess as wrong until [`Throttle::succeeded`]
    /// says otherwise — counting only after the check would let guesses that arrive together
    /// all pass the lock. An address is unknown only when the server did not record one.
    pub(crate) fn admit(
        &self,
        route: Route,
        address: Option<IpAddr>,
        email: &str,
    ) -> Result<(), Refusal> {
        let now = Instant::now();
        if let Some(address) = address {
            take(&self.by_address, &address, self.limits.max_tracked)?;
        }
        if email.is_empty() {
            return Ok(());
        }
        let email_key = email.to_owned();
        match route {
            Route::RequestCode => take(&self.codes_by_email, &email_key, self.limits.max_tracked),
            Route::Guess => {
                let mut failures = self.failures();
                if let Some(wait) = failures.locked(email, now) {
                    return Err(Refusal::LockedOut(wait));
                }
                take(&self.guesses_by_email, &email_key, self.limits.max_tracked)?;
                failures.record(email, now, &self.limits);
                Ok(())
            }
        }
    }

    /// A sign-in succeeded: its email starts afresh.
    pub(crate) fn succeeded(&self, email: &str) {
        self.failures().clear(email);
    }

    /// Logs a refused post at most once per 10 s, with how many were refused meanwhile; the
    /// address is logged, the code never.
    pub(crate) fn log_refusal(&self, route: Route, address: Option<IpAddr>, reason: &str) {
        let held = self
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take_if_ready(Instant::now());
        if let Some(refused) = held {
            let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
            tracing::info!(
                ?route,
                address,
                reason,
                refused,
                "sign-in refused ({refused} since the last line like this)"
            );
        }
    }

    /// As [`Throttle::log_refusal`] for a [`Refusal`].
    pub(crate) fn log(&self, route: Route, address: Option<IpAddr>, refusal: Refusal) {
        self.log_refusal(route, address, refusal.reason());
    }

    fn failures(&self) -> MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Takes a token for `key`, bounding the limiter's map first.
fn take<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K, max: usize) -> Result<(), Refusal>
where
    K: std::hash::Hash + Eq + Clone,
{
    if limiter.len() >= max {
        // Keys whose bucket has refilled hold no information; dropping them is free.
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
    limiter.check_key(key).map_err(|not_until| {
        Refusal::TooFast(not_until.wait_time_from(DefaultClock::default().now()))
    })
}

/// Wrong guesses per email.
#[derive(Default)]
struct Failures {
    by_email: HashMap<String, Failure>,
}

#[derive(Clone, Copy, Debug)]
struct Failure {
    wrong: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl Failures {
    /// How long `email` stays locked, if it is.
    fn locked(&self, email: &str, now: Instant) -> Option<Duration> {
        let until = self.by_email.get(email)?.locked_until?;
        (until > now).then(|| until - now)
    }

    fn record(&mut self, email: &str, now: Instant, limits: &SignInLimits) {
        if !self.by_email.contains_key(email) {
            self.make_room(now, limits);
        }
        let failure = self.by_email.entry(email.to_owned()).or_insert(Failure {
            wrong: 0,
            last: now,
            locked_until: None,
        });
        if now.saturating_duration_since(failure.last) >= limits.forget_after {
            failure.wrong = 0;
        }
        failure.wrong = failure.wrong.saturating_add(1);
        failure.last = now;
        if failure.wrong >= limits.lock_after.max(1) {
            let doublings = (failure.wrong - limits.lock_after.max(1)).min(31);
            let lock = limits
                .first_lock
                .saturating_mul(1 << doublings)
                .min(limits.max_lock);
            failure.locked_until = Some(now + lock);
        }
    }

    fn clear(&mut self, email: &str) {
        self.by_email.remove(email);
    }

    /// Keeps the map under `max_tracked`: forgotten entries go, then unlocked ones, then the
    /// lock that ends soonest.
    fn make_room(&mut self, now: Instant, limits: &SignInLimits) {
        if self.by_email.len() < limits.max_tracked.max(1) {
            return;
        }
        self.by_email
            .retain(|_, f| now.saturating_duration_since(f.last) < limits.forget_after);
        if self.by_email.len() < limits.max_tracked {
            return;
        }
        self.by_email
            .retain(|_, f| f.locked_until.is_some_and(|until| until > now));
        if self.by_email.len() < limits.max_tracked {
            return;
        }
        let soonest = self
            .by_email
            .iter()
            .min_by_key(|(_, f)| f.locked_until)
            .map(|(email, _)| email.clone());
        if let Some(email) = soonest {
            self.by_email.remove(&email);
        }
    }
}

/// At most one log line per period, counting what it held back.
struct LogBudget {
    period: Duration,
    last: Option<Instant>,
    held: u64,
}

impl LogBudget {
    fn new(period: Duration) -> Self {
        LogBudget {
            period,
            last: None,
            held: 0,
        }
    }

    /// Counts an event; `Some(events since the last line)` when a line may be written now.
    fn take_if_ready(&mut self, now: Instant) -> Option<u64> {
        self.held += 1;
        if self.last.is_some_and(|last| now - last < self.period) {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> SignInLimits {
        SignInLimits::default()
    }

    #[test]
    fn five_wrong_guesses_lock_for_a_minute_and_each_further_one_doubles_it() {
        let limits = limits();
        let mut failures = Failures::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            failures.record("a@x", t0, &limits);
        }
        assert_eq!(
            failures.locked("a@x", t0),
            None,
            "four wrong guesses lock nothing"
        );
        failures.record("a@x", t0, &limits);
        assert_eq!(failures.locked("a@x", t0), Some(Duration::from_secs(60)));
        assert_eq!(failures.locked("a@x", t0 + Duration::from_secs(60)), None);

        let t1 = t0 + Duration::from_secs(61);
        failures.record("a@x", t1, &limits);
        assert_eq!(failures.locked("a@x", t1), Some(Duration::from_secs(120)));
        let t2 = t1 + Duration::from_secs(121);
        failures.record("a@x", t2, &limits);
        assert_eq!(failures.locked("a@x", t2), Some(Duration::from_secs(240)));
    }

    #[test]
    fn the_lock_stops_growing_at_an_hour() {
        let limits = limits();
        let mut failures = Failures::default();
        let now = Instant::now();
        for _ in 0..200 {
            failures.record("a@x", now, &limits);
        }
        assert_eq!(failures.locked("a@x", now), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn a_sign_in_clears_the_count_and_a_quiet_day_forgets_it() {
        let limits = limits();
        let mut failures = Failures::default();
        let now = Instant::now();
        for _ in 0..4 {
            failures.record("a@x", now, &limits);
        }
        failures.clear("a@x");
        failures.record("a@x", now, &limits);
        assert_eq!(failures.locked("a@x", now), None);

        for _ in 0..4 {
            failures.record("b@x", now, &limits);
        }
        let next_day = now + limits.forget_after;
        failures.record("b@x", next_day, &limits);
        assert_eq!(failures.locked("b@x", next_day), None);
    }

    #[test]
    fn the_map_is_bounded_and_keeps_locked_emails_over_others() {
        let limits = SignInLimits {
            max_tracked: 4,
            ..limits()
        };
        let mut failures = Failures::default();
        let now = Instant::now();
        for _ in 0..5 {
            failures.record("locked@x", now, &limits);
        }
        for n in 0..50 {
            failures.record(&format!("user{n}@x"), now, &limits);
            assert!(failures.by_email.len() <= 4);
        }
        assert!(failures.locked("locked@x", now).is_some());
    }

    #[test]
    fn rate_limits_answer_how_long_to_wait() {
        let throttle = Throttle::new(SignInLimits {
            per_address_burst: 2,
            per_address_every: Duration::from_secs(30),
            ..limits()
        });
        let address = Some(IpAddr::from([127, 0, 0, 2]));
        assert_eq!(throttle.admit(Route::Guess, address, "a@x"), Ok(()));
        assert_eq!(throttle.admit(Route::RequestCode, address, "b@x"), Ok(()));
        let Err(Refusal::TooFast(wait)) = throttle.admit(Route::Guess, address, "c@x") else {
            panic!("the third post from one address in a burst of two is refused");
        };
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        // Another address has its own bucket.
        let other = Some(IpAddr::from([127, 0, 0, 3]));
        assert_eq!(throttle.admit(Route::Guess, other, "c@x"), Ok(()));
    }

    #[test]
    fn guesses_count_when_admitted_so_simultaneous_ones_cannot_pass_the_lock() {
        let throttle = Throttle::new(limits());
        // Eight guesses admitted before any is answered: the sixth already meets the lock.
        let admitted: Vec<_> = (0..8)
            .map(|_| throttle.admit(Route::Guess, None, "a@x"))
            .collect();
        assert_eq!(admitted.iter().filter(|a| a.is_ok()).count(), 5);
        assert!(matches!(admitted[5], Err(Refusal::LockedOut(_))));
        // A right code among the five clears the count and the lock.
        throttle.succeeded("a@x");
        assert_eq!(throttle.admit(Route::Guess, None, "a@x"), Ok(()));
    }

    #[test]
    fn a_refusal_says_when_to_retry_in_whole_seconds() {
        let response = Refusal::LockedOut(Duration::from_millis(59_100)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        let response = Refusal::TooFast(Duration::ZERO).into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn the_log_budget_writes_one_line_per_period_with_the_count() {
        let mut budget = LogBudget::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(budget.take_if_ready(t0), Some(1));
        for _ in 0..99 {
            assert_eq!(budget.take_if_ready(t0 + Duration::from_secs(1)), None);
        }
        assert_eq!(
            budget.take_if_ready(t0 + Duration::from_secs(10)),
            Some(100)
        );
    }
}
