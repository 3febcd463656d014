//! Client-side request budgets: one token bucket per profile (the provider account it
//! reaches), shared by every client built for that profile during a run, so a fleet of any
//! size stays under the provider's rate limit instead of running into 429s. A provider's
//! `Retry-After` still wins: it pauses the whole profile.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::model::ProviderKind;

/// A profile's budget of requests per minute (none: the provider publishes no limit and the
/// profile sets no `rate_limit`), and how many it has sent.
pub struct Budget {
    per_minute: Option<u32>,
    bucket: Mutex<Bucket>,
    sent: AtomicU64,
}

/// The token bucket behind a [`Budget`], on a clock the caller passes in. A tenth of the
/// budget may go at once; the rest refills evenly over the minute, so no 60-second window
/// ever holds more requests than the budget (burst + refill·60 s = per minute).
#[derive(Debug, Clone)]
pub struct Bucket {
    capacity: f64,
    /// Tokens per second.
    rate: f64,
    /// Below zero while requests wait: each has reserved its token already.
    tokens: f64,
    at: Instant,
    /// Nothing is sent before this (the provider's `Retry-After`).
    paused_until: Option<Instant>,
}

impl Bucket {
    pub fn new(per_minute: u32, now: Instant) -> Bucket {
        let per_minute = per_minute.max(1);
        let burst = (per_minute / 10).max(1);
        let refill = per_minute.saturating_sub(burst).max(1);
        Bucket {
            capacity: f64::from(burst),
            rate: f64::from(refill) / 60.0,
            tokens: f64::from(burst),
            at: now,
            paused_until: None,
        }
    }

    /// Takes the token of a request that wants to go at `now`, and says how long it waits.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let start = now.max(self.at).max(self.paused_until.unwrap_or(now));
        let refilled = (start - self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refilled).min(self.capacity) - 1.0;
        self.at = start;
        let debt = if self.tokens < 0.0 {
            Duration::from_secs_f64(-self.tokens / self.rate)
        } else {
            Duration::ZERO
        };
        (start - now) + debt
    }

    /// The provider asked for a pause until `until`: nothing goes before it, and no burst
    /// builds up meanwhile.
    pub fn pause(&mut self, until: Instant) {
        if self.paused_until.is_none_or(|p| p < until) {
            self.paused_until = Some(until);
        }
        self.tokens = self.tokens.min(0.0);
        self.at = self.at.max(until);
    }

    /// A reserved token given back: its request was given up before it went.
    fn refund(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.capacity);
    }

    fn paused_at(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| until > now)
    }
}

/// The bucket of a profile without a budget: far above what any run sends, so it only ever
/// holds requests back for a provider's `Retry-After`.
const UNBOUNDED: u32 = 10_000_000;

impl Budget {
    fn new(per_minute: Option<u32>) -> Budget {
        Budget {
            per_minute,
            bucket: Mutex::new(Bucket::new(per_minute.unwrap_or(UNBOUNDED), Instant::now())),
            sent: AtomicU64::new(0),
        }
    }

    fn bucket(&self) -> MutexGuard<'_, Bucket> {
        self.bucket.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's turn. One that reserved before a pause and wakes inside it
    /// queues again behind the pause; one given up while it waits (a deadline) gives its
    /// token back.
    pub async fn take(&self) {
        loop {
            let wait = self.bucket().reserve(Instant::now());
            let reserved = Reserved(self);
            tokio::time::sleep(wait).await;
            std::mem::forget(reserved);
            if !self.bucket().paused_at(Instant::now()) {
                return;
            }
        }
    }

    /// The provider's `Retry-After`: the profile sends nothing for `wait`.
    pub fn pause(&self, wait: Duration) {
        self.bucket().pause(Instant::now() + wait);
    }

    pub fn per_minute(&self) -> Option<u32> {
        self.per_minute
    }

    /// Counts a request that went out.
    pub fn count(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// A token reserved by a request still waiting; dropped unused, it goes back.
struct Reserved<'a>(&'a Budget);

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        self.0.bucket().refund();
    }
}

type Budgets = BTreeMap<(ProviderKind, String), Arc<Budget>>;

/// Every profile's budget for this run.
static BUDGETS: Mutex<Budgets> = Mutex::new(BTreeMap::new());

fn budgets() -> MutexGuard<'static, Budgets> {
    BUDGETS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The budget of one profile: made on first use with `per_minute`, then shared by every
/// client built for the profile.
pub fn budget(provider: ProviderKind, profile: &str, per_minute: Option<u32>) -> Arc<Budget> {
    budgets()
        .entry((provider, profile.to_string()))
        .or_insert_with(|| Arc::new(Budget::new(per_minute)))
        .clone()
}

/// Requests each profile has sent so far, as (provider, profile, requests).
pub fn requests_sent() -> Vec<(ProviderKind, String, u64)> {
    budgets()
        .iter()
        .map(|((kind, profile), budget)| {
            (*kind, profile.clone(), budget.sent.load(Ordering::Relaxed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Send times of requests arriving at `arrivals` (seconds after the start).
    fn sends(per_minute: u32, arrivals: &[f64]) -> Vec<f64> {
        let t0 = Instant::now();
        let mut bucket = Bucket::new(per_minute, t0);
        arrivals
            .iter()
            .map(|at| {
                let now = t0 + Duration::from_secs_f64(*at);
                (now + bucket.reserve(now) - t0).as_secs_f64()
            })
            .collect()
    }

    /// The most sends in any closed window of `window` seconds.
    fn busiest(sends: &[f64], window: f64) -> usize {
        let mut sorted = sends.to_vec();
        sorted.sort_by(f64::total_cmp);
        (0..sorted.len())
            .map(|i| {
                sorted[i..]
                    .iter()
                    .take_while(|t| **t <= sorted[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_thousand_requests_at_once_never_exceed_the_budget_in_any_minute() {
        let sent = sends(400, &[0.0; 1000]);
        assert_eq!(busiest(&sent, 60.0), 400);
        // A tenth goes at once, the rest at 6 per second: the last after 160 s.
        assert_eq!(sent.iter().filter(|t| **t == 0.0).count(), 40);
        let last = sent.iter().copied().fold(0.0, f64::max);
        assert!((last - 160.0).abs() < 0.01, "{last}");
        // Within any shorter window: the burst plus the refill.
        for window in [1.0, 10.0, 30.0] {
            assert!(busiest(&sent, window) as f64 <= 40.0 + 6.0 * window + 1e-9);
        }
    }

    #[test]
    fn arrivals_spread_over_ten_minutes_stay_under_the_budget() {
        // Waves of 300 every 20 s, plus a trickle: far more than 400 a minute asked for.
        let mut arrivals: Vec<f64> = (0..30)
            .flat_map(|wave| std::iter::repeat_n(f64::from(wave) * 20.0, 300))
            .collect();
        arrivals.extend((0..600).map(f64::from));
        arrivals.sort_by(f64::total_cmp);
        let sent = sends(400, &arrivals);
        assert!(busiest(&sent, 60.0) <= 400, "{}", busiest(&sent, 60.0));
        // A request never goes before it was asked for.
        assert!(sent.iter().zip(&arrivals).all(|(s, a)| s >= a));
    }

    #[test]
    fn a_quiet_profile_sends_its_burst_without_waiting() {
        let sent = sends(400, &[0.0, 0.1, 0.2, 120.0, 120.0]);
        assert_eq!(sent, vec![0.0, 0.1, 0.2, 120.0, 120.0]);
        // The smallest budgets still move.
        let one = sends(1, &[0.0, 0.0]);
        assert_eq!(one[0], 0.0);
        assert!((one[1] - 60.0).abs() < 1e-6);
    }

    /// The README's table of default budgets lists each provider's own.
    #[test]
    fn the_readme_lists_every_default_budget() {
        use crate::provider::registry::Registered;
        let readme = include_str!("../../README.md");
        let start = readme.find("<!-- request-budgets -->").expect("the table");
        let end = readme.find("<!-- /request-budgets -->").expect("its end");
        let listed: Vec<(String, Option<u32>)> = readme[start..end]
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| provider"))
            .map(|row| {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let budget = match cells[2] {
                    "none" => None,
                    number => Some(number.parse().expect("a number or none")),
                };
                (cells[1].to_string(), budget)
            })
            .collect();
        let budgets: Vec<(String, Option<u32>)> = ProviderKind::all()
            .iter()
            .map(|k| (k.to_string(), k.spec().requests_per_minute))
            .collect();
        assert_eq!(listed, budgets);
        assert_eq!(
            ProviderKind::RedisCloud.spec().requests_per_minute,
            Some(400)
        );
    }

    #[test]
    fn a_request_given_up_gives_its_token_back() {
        let t0 = Instant::now();
        let mut bucket = Bucket::new(60, t0);
        // The burst (6), then 0.9 a second: the 20th waits 14 / 0.9 s.
        let waits: Vec<Duration> = (0..20).map(|_| bucket.reserve(t0)).collect();
        assert!(waits[19] > Duration::from_secs(15));
        // Nine of the fourteen waiting given up: the next goes after the five still waiting.
        for _ in 0..9 {
            bucket.refund();
        }
        let next = bucket.reserve(t0);
        assert!(
            next > Duration::from_secs(5) && next < Duration::from_secs(7),
            "{next:?}"
        );
    }

    #[test]
    fn retry_after_pauses_the_profile_and_allows_no_burst_after_it() {
        let t0 = Instant::now();
        let mut bucket = Bucket::new(400, t0);
        bucket.pause(t0 + Duration::from_secs(30));
        // Nothing before the pause ends, then one at a time at the refill rate.
        let first = bucket.reserve(t0);
        let second = bucket.reserve(t0);
        assert!(first >= Duration::from_secs(30), "{first:?}");
        assert!(second > first, "{second:?}");
        assert!(bucket.paused_at(t0 + Duration::from_secs(29)));
        assert!(!bucket.paused_at(t0 + Duration::from_secs(31)));
    }
}
