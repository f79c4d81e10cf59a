//! Retry policy: bounded attempts, exponential backoff with full jitter, `Retry-After`.

use std::time::Duration;

use rand::Rng;

/// How failed requests are retried.
///
/// Retried: HTTP 429, 500, 502, 503, 504, connection errors, timeouts, and truncated or
/// undecodable bodies of reads. The delay before retry `n` (1-based) is a uniformly random
/// duration in `[0, min(max_backoff, initial_backoff * 2^(n-1))]` ("full jitter", which spreads
/// clients that failed together), or the server's `Retry-After` when it sent one (capped at
/// `max_retry_after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff ceiling of the first retry.
    pub initial_backoff: Duration,
    /// Backoff ceiling of any retry.
    pub max_backoff: Duration,
    /// The longest `Retry-After` that is honoured; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// When false, retries happen immediately (tests); the attempt count is unchanged.
    pub delays: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            delays: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy without any waiting, for tests.
    #[must_use]
    pub fn no_delay() -> Self {
        Self {
            delays: false,
            ..Self::default()
        }
    }

    /// No retries at all: every request is tried once.
    #[must_use]
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts (the first included).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The upper bound of the jittered delay before retry number `retry` (1-based).
    #[must_use]
    pub(crate) fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let factor = 1u32 << exponent;
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The delay before retry number `retry` (1-based), given the server's `Retry-After`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        if !self.delays {
            return Duration::ZERO;
        }
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let ceiling = self.backoff_ceiling(retry);
        if ceiling.is_zero() {
            return Duration::ZERO;
        }
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.gen_range(0..=nanos))
    }
}

/// Whether an HTTP status is worth retrying.
#[must_use]
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date (relative to `now`).
/// Dates in the past mean "now"; anything unparseable is ignored.
#[must_use]
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Some gateways send fractional seconds although the RFC does not allow them.
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is an RFC 2822 date.
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;

    #[test]
    fn ceilings_double_then_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(500));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_secs(2));
        assert_eq!(policy.backoff_ceiling(7), Duration::from_secs(20));
        assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_secs(20));
    }

    #[test]
    fn jitter_stays_within_ceiling_and_varies() {
        let policy = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| policy.delay(3, None, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "full jitter should spread delays");
        // Full jitter: some delays fall in the lower half of the range.
        assert!(delays.iter().any(|d| *d < Duration::from_secs(1)));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3)), &mut rng),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600)), &mut rng),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn no_delay_removes_every_wait() {
        let policy = RetryPolicy::no_delay();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(policy.max_attempts, RetryPolicy::default().max_attempts);
        assert_eq!(
            policy.delay(4, Some(Duration::from_secs(30)), &mut rng),
            Duration::ZERO
        );
        assert_eq!(policy.delay(4, None, &mut rng), Duration::ZERO);
    }

    #[test]
    fn retry_after_forms() {
        let now = chrono::Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
            .unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 400, 401, 403, 404, 501, 505] {
            assert!(!is_retryable_status(s));
        }
    }
}
