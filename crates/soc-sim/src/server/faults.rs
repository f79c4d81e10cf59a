//! Fault decisions: latency, per-key rate limits, and rate-based response faults.
//!
//! Every random draw comes from a ChaCha stream keyed by the fault seed and a request counter,
//! so a sequential client sees the same faults on every run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::{FaultConfig, PathKind};
use super::log::InjectedFault;

/// Streams of the fault RNG, one per kind of decision.
const LATENCY_STREAM: u64 = 1;
const FAULT_STREAM: u64 = 2;

pub(crate) struct Faults {
    cfg: FaultConfig,
    /// Requests the scope selected so far.
    selected: AtomicU64,
    /// Per-key fixed windows: (window start, requests in it).
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Faults {
    pub(crate) fn new(cfg: FaultConfig) -> Self {
        Self {
            cfg,
            selected: AtomicU64::new(0),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn rng(&self, stream: u64, n: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.cfg.seed);
        rng.set_stream(stream);
        // Each request gets its own position in the stream, independent of arrival races.
        rng.set_word_pos(u128::from(n) * 16);
        rng
    }

    /// Latency for the request with this arrival number.
    pub(crate) fn latency(&self, seq: u64) -> Duration {
        let jitter = self.cfg.jitter;
        if jitter.is_zero() {
            return self.cfg.latency;
        }
        let max = u64::try_from(jitter.as_micros()).unwrap_or(u64::MAX);
        let extra = self.rng(LATENCY_STREAM, seq).gen_range(0..=max);
        self.cfg.latency + Duration::from_micros(extra)
    }

    /// `Some(retry_after)` when `key` is over its rate limit.
    pub(crate) fn rate_limited(&self, key: &str) -> Option<Duration> {
        let limit = self.cfg.rate_limit?;
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= limit.per {
            *entry = (now, 0);
        }
        if entry.1 >= limit.requests {
            return Some(limit.per.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        None
    }

    /// How export requests are answered instead, if set.
    pub(crate) fn export_fault(&self) -> Option<super::config::ExportFault> {
        self.cfg.export_fault
    }

    /// How many workflows the workflow list's `total` claims beyond those it has.
    pub(crate) fn list_total_surplus(&self) -> usize {
        usize::try_from(self.cfg.list_total_surplus).unwrap_or(usize::MAX)
    }

    /// Whether the versions list leaves out `taskflow` and `taskconfig`.
    pub(crate) fn versions_without_content(&self) -> bool {
        self.cfg.versions_without_content
    }

    pub(crate) fn playbook_details_separate(&self) -> bool {
        self.cfg.playbook_details_separate
    }

    /// The limit (requests per window) for the 429 message.
    pub(crate) fn rate_limit_requests(&self) -> u32 {
        self.cfg.rate_limit.map_or(0, |l| l.requests)
    }

    /// The rate-based fault for a request of this kind, if any.
    pub(crate) fn pick(&self, kind: PathKind) -> Option<InjectedFault> {
        let c = &self.cfg;
        let total = c.error_rate + c.drop_rate + c.truncate_rate + c.malformed_rate;
        if total.is_nan() || total <= 0.0 {
            return None;
        }
        if !c.only.is_empty() && !c.only.contains(&kind) {
            return None;
        }
        let n = self.selected.fetch_add(1, Ordering::SeqCst);
        if c.first_requests.is_some_and(|k| n >= k) {
            return None;
        }
        let mut rng = self.rng(FAULT_STREAM, n);
        let draw: f64 = rng.r#gen();
        let mut edge = 0.0;
        for (rate, fault) in [
            (c.error_rate, None),
            (c.drop_rate, Some(InjectedFault::Dropped)),
            (c.truncate_rate, Some(InjectedFault::Truncated)),
            (c.malformed_rate, Some(InjectedFault::Malformed)),
        ] {
            edge += if rate.is_finite() { rate.max(0.0) } else { 0.0 };
            if draw < edge {
                return Some(fault.unwrap_or_else(|| {
                    InjectedFault::ServerError([500, 502, 503][rng.gen_range(0..3usize)])
                }));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::RateLimit;

    #[test]
    fn faults_are_deterministic_under_the_seed_and_scoped() {
        let cfg = FaultConfig {
            seed: 42,
            error_rate: 0.3,
            drop_rate: 0.2,
            ..FaultConfig::default()
        };
        let run = || {
            let f = Faults::new(cfg.clone());
            (0..200)
                .map(|_| f.pick(PathKind::Export))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let errors = a
            .iter()
            .filter(|f| matches!(f, Some(InjectedFault::ServerError(_))))
            .count();
        let drops = a
            .iter()
            .filter(|f| matches!(f, Some(InjectedFault::Dropped)))
            .count();
        assert!((40..80).contains(&errors), "{errors}");
        assert!((20..60).contains(&drops), "{drops}");
        assert!(a.contains(&Some(InjectedFault::ServerError(502))));

        let scoped = Faults::new(FaultConfig {
            error_rate: 1.0,
            only: vec![PathKind::Export],
            first_requests: Some(2),
            ..FaultConfig::default()
        });
        assert_eq!(scoped.pick(PathKind::ListWorkflows), None);
        assert!(scoped.pick(PathKind::Export).is_some());
        assert!(scoped.pick(PathKind::Export).is_some());
        assert_eq!(scoped.pick(PathKind::Export), None);
    }

    #[test]
    fn latency_has_bounded_jitter() {
        let f = Faults::new(FaultConfig {
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(5),
            ..FaultConfig::default()
        });
        for seq in 0..50 {
            let l = f.latency(seq);
            assert!(
                l >= Duration::from_millis(10) && l <= Duration::from_millis(15),
                "{l:?}"
            );
            assert_eq!(l, f.latency(seq));
        }
    }

    #[test]
    fn rate_limit_is_per_key() {
        let f = Faults::new(FaultConfig {
            rate_limit: Some(RateLimit {
                requests: 2,
                per: Duration::from_secs(60),
            }),
            ..FaultConfig::default()
        });
        assert!(f.rate_limited("a").is_none());
        assert!(f.rate_limited("a").is_none());
        let retry = f.rate_limited("a").unwrap();
        assert!(retry > Duration::from_secs(58));
        assert!(f.rate_limited("b").is_none());
    }
}
