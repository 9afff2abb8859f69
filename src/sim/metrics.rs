//! The numbers a policy owner reads: how often each attack worked, how long a stolen credential
//! stays usable, how long revocation takes, and what the policy costs legitimate users.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Attempts and successes of one attack strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AttackStat {
    pub attempts: u64,
    pub succeeded: u64,
}

impl AttackStat {
    /// Successes per attempt, 0 to 1.
    pub fn rate(&self) -> f64 {
        if self.attempts == 0 {
            0.0
        } else {
            self.succeeded as f64 / self.attempts as f64
        }
    }
}

/// A distribution of durations (milliseconds of virtual time), summarised.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Window {
    pub samples: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    /// Samples cut short by the end of the scenario: the true value is at least `max_ms`.
    pub open_ended: u64,
}

impl Window {
    /// Summarises samples; `open` counts those still running when observation stopped.
    pub(crate) fn of(mut samples: Vec<u64>, open: u64) -> Self {
        if samples.is_empty() {
            return Window::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[i.min(samples.len() - 1)]
        };
        Window {
            samples: samples.len() as u64,
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: samples[samples.len() - 1],
            open_ended: open,
        }
    }
}

/// Everything measured in a run. Identical for identical map, population and seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub users: u64,
    pub days: u32,
    pub seed: u64,
    /// Attack strategy name → attempts and successes.
    pub attack_success: BTreeMap<String, AttackStat>,
    /// How long a stolen session credential stayed usable by an attacker who kept using it.
    pub exposure_window: Window,
    /// From a revocation (logout, password change, disable, admin kill) to the first time a
    /// replay of the revoked credential was refused.
    pub revocation_latency: Window,
    /// Mid-task logouts users did not ask for (idle expiry during a pause, eviction by another
    /// device, a refused refresh), per 100 user-days.
    pub unexpected_logouts_per_100_user_days: f64,
    /// Times a user was asked to prove the password again, per 100 user-days.
    pub reauth_prompts_per_100_user_days: f64,
    /// User-days with at least one unexpected logout, as a fraction of all active user-days
    /// (reports print it as a percentage).
    pub user_days_with_unexpected_logout: f64,
    /// User-days with at least one logout by the idle timeout during a normal pause, as a
    /// fraction of all active user-days: the figure USAB-IDLE-FRICTION quotes.
    pub user_days_with_idle_logout: f64,
    /// Most sessions alive at once (sampled hourly over the population horizon).
    pub peak_concurrent_sessions: u64,
    /// Most bytes held by the engines' session tables at once (sampled hourly).
    pub peak_store_bytes: u64,
    /// Engine operations performed (logins, validations, refreshes, ...).
    pub events: u64,
    /// Flows whose derived policy the engine refused to run (named by their create stage).
    pub flows_not_simulated: Vec<String>,
}

impl Metrics {
    /// The metrics as the JSON object of a report (rates rounded so output compares byte for
    /// byte across platforms).
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            for key in [
                "unexpected_logouts_per_100_user_days",
                "reauth_prompts_per_100_user_days",
                "user_days_with_unexpected_logout",
                "user_days_with_idle_logout",
            ] {
                if let Some(Value::Number(n)) = map.get(key)
                    && let Some(f) = n.as_f64()
                {
                    map.insert(key.to_owned(), round(f).into());
                }
            }
            return std::mem::take(map);
        }
        serde_json::Map::new()
    }
}

fn round(f: f64) -> f64 {
    (f * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_reports_median_tail_and_max() {
        let w = Window::of((1..=100).collect(), 3);
        assert_eq!(
            (w.samples, w.p50_ms, w.p95_ms, w.max_ms),
            (100, 51, 95, 100)
        );
        assert_eq!(w.open_ended, 3);
        assert_eq!(Window::of(Vec::new(), 0), Window::default());
    }
}
