//! The simulator: virtual users and attackers run through a compiled map, in virtual time,
//! against real [`SessionEngine`](crate::engine::SessionEngine)s, and what the engines really
//! accepted (or really refused a legitimate user) becomes findings with the trace that proves
//! them, plus the metrics a policy owner needs.
//!
//! A [`Builder`] (documented fields, `Default`) makes a [`Simulation`] from a map; `run` plays
//! it. The population is cut into fixed-size shards, each with its own engines (one per flow),
//! scheduler, clock and seeded RNG; attackers live in their victim's shard. Threads take shards
//! in any order, and results are merged in shard order, so the report depends on the map,
//! population and seed only — never on thread count or timing. Nothing here reads the wall clock
//! or a global RNG inside a run (the wall time of the whole run is measured outside, for `run`).

mod attacks;
mod cause;
mod findings;
mod metrics;
mod queue;
mod shard;
mod users;

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::compile::{Plan, Profile};
use crate::model::Map;
use crate::report::{Finding, Report};

pub use metrics::{AttackStat, Metrics, Window};

/// The largest population `simulate` accepts: beyond it a run would not fit in memory.
pub const MAX_USERS: u64 = 5_000_000;
/// The longest horizon in days.
pub const MAX_DAYS: u32 = 3_650;
/// The most user-days in one run (users × days): bounds the run's time.
pub const MAX_USER_DAYS: u64 = 50_000_000;
/// The most users in one shard.
pub const SHARD_USERS: u64 = 4_096;
/// The fewest users in one shard (unless the population is smaller).
const SHARD_USERS_MIN: u64 = 512;
/// A population small enough to fit a few shards is still cut into this many, so that they
/// spread evenly over the cores (3 shards on 2 cores leave one idle for a third of the run).
const SHARDS_AT_LEAST: u64 = 8;

/// Users per shard for a population: set by the population alone, never by the thread count,
/// so the same seed gives the same shards and the same report on any machine.
pub(crate) fn shard_users(users: u64) -> u64 {
    users
        .div_ceil(SHARDS_AT_LEAST)
        .clamp(SHARD_USERS_MIN, SHARD_USERS)
}

/// How to run a simulation. `Default` is what `sessionmap simulate` runs without options.
#[derive(Clone, Debug)]
pub struct Builder {
    /// Virtual users, spread over the map's personas by their shares.
    pub users: u64,
    /// Simulated days of the population (attack scenarios may look further ahead, e.g. a
    /// remember-me token at day 400).
    pub days: u32,
    /// Seeds every random choice; the same map, population and seed give the same report.
    pub seed: u64,
    /// Whose thresholds decide what is too long (idle, absolute, remember-me).
    pub profile: Profile,
    /// Worker threads; 0 = one per core. Does not change the result.
    pub threads: usize,
    /// Send every background ping through the engine one by one, rather than a run of pings
    /// that can change nothing in one call ([`crate::engine::SessionEngine::background_run`]).
    /// Does not change the result, only the time it takes; the tests compare the two.
    pub exact_pings: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            users: 10_000,
            days: 1,
            seed: 1,
            profile: Profile::default_profile(),
            threads: 0,
            exact_pings: false,
        }
    }
}

/// Why a simulation cannot run.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SimError {
    #[error("{what} is {value}, more than the limit of {limit}; {hint}")]
    TooLarge {
        what: &'static str,
        value: u64,
        limit: u64,
        hint: &'static str,
    },
    #[error("the population is empty: ask for at least one user")]
    NoUsers,
    #[error("the simulation was cancelled")]
    Cancelled,
    /// A worker thread panicked: a bug in SessionMap, never a partial report.
    #[error(
        "the simulation failed in shard {shard} (the users from number {first_user}): {message}. \
         This is a bug in SessionMap; no report was made. Please report it with the map."
    )]
    Crashed {
        shard: u64,
        first_user: u64,
        message: String,
    },
}

/// Shared between a running simulation and whoever watches it: progress, and a cancel switch
/// (Ctrl-C in the CLI, the cancel button or a map edit in the UI).
#[derive(Debug, Default)]
pub struct Control {
    cancel: AtomicBool,
    shards_done: AtomicU64,
    shards_total: AtomicU64,
}

impl Control {
    /// Asks the run to stop at its next event boundary.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Fraction of the run done, 0 to 1.
    pub fn progress(&self) -> f32 {
        let total = self.shards_total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        self.shards_done.load(Ordering::Relaxed) as f32 / total as f32
    }
}

/// A simulation ready to run: the compiled map and the population.
pub struct Simulation<'a> {
    map: &'a Map,
    plan: &'a Plan,
    config: Builder,
}

/// What a run found and measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Simulated findings only (static ones come from `compile::lint`), one per gap and flow,
    /// each with the shortest trace seen.
    pub findings: Vec<Finding>,
    pub metrics: Metrics,
    /// Time series for plots (not part of the report).
    pub series: Series,
    /// What varies between identical runs.
    pub wall: Duration,
    pub threads: usize,
}

/// What a run measured over time, for plots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Live sessions at each hour of the population horizon.
    pub sessions_per_hour: Vec<u64>,
    /// Unexpected logouts on each simulated day.
    pub unexpected_per_day: Vec<u64>,
    /// Every exposure window measured, sorted (milliseconds).
    pub exposure_ms: Vec<u64>,
}

impl Builder {
    /// Checks the population against the limits and prepares the run.
    pub fn build<'a>(self, map: &'a Map, plan: &'a Plan) -> Result<Simulation<'a>, SimError> {
        if self.users == 0 {
            return Err(SimError::NoUsers);
        }
        if self.users > MAX_USERS {
            return Err(SimError::TooLarge {
                what: "the population (--users)",
                value: self.users,
                limit: MAX_USERS,
                hint: "simulate a sample: findings do not need more users, and metrics are per 100 user-days",
            });
        }
        if self.days > MAX_DAYS {
            return Err(SimError::TooLarge {
                what: "the horizon (--days)",
                value: u64::from(self.days),
                limit: u64::from(MAX_DAYS),
                hint: "choose a shorter horizon",
            });
        }
        let user_days = self.users.saturating_mul(u64::from(self.days.max(1)));
        if user_days > MAX_USER_DAYS {
            return Err(SimError::TooLarge {
                what: "users × days",
                value: user_days,
                limit: MAX_USER_DAYS,
                hint: "reduce --users or --days",
            });
        }
        Ok(Simulation {
            map,
            plan,
            config: self,
        })
    }
}

impl Simulation<'_> {
    /// Plays the whole population and every attacker, on all threads, and merges the shards.
    pub fn run(&self, control: &Control) -> Result<Outcome, SimError> {
        let started = Instant::now();
        let world = shard::World::new(self.map, self.plan, &self.config);
        let shards = world.shard_count();
        let threads = match self.config.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .clamp(1, usize::try_from(shards).unwrap_or(usize::MAX).max(1));

        let results = on_threads(threads, shards, control, |i| world.run_shard(i, control))
            .map_err(|e| match e {
                SimError::Crashed { shard, message, .. } => SimError::Crashed {
                    shard,
                    first_user: shard * world.shard_users(),
                    message,
                },
                e => e,
            })?;
        if control.is_cancelled() {
            return Err(SimError::Cancelled);
        }
        let (findings, metrics, series) = world.merge(results.into_iter().map(|(_, r)| r));
        Ok(Outcome {
            findings,
            metrics,
            series,
            wall: started.elapsed(),
            threads,
        })
    }
}

/// Runs `shard(i)` for every `i` in `0..shards` on `threads` threads, handing shards out in
/// order, and returns the results in shard order. A panic in any shard stops the others and
/// becomes [`SimError::Crashed`] naming the shard: a report with shards missing would be wrong
/// without saying so. `None` from a shard means it saw the cancel switch.
fn on_threads<T: Send>(
    threads: usize,
    shards: u64,
    control: &Control,
    shard: impl Fn(u64) -> Option<T> + Sync,
) -> Result<Vec<(u64, T)>, SimError> {
    control.shards_total.store(shards, Ordering::Relaxed);
    control.shards_done.store(0, Ordering::Relaxed);
    let next = AtomicU64::new(0);
    let crashed: Mutex<Option<(u64, String)>> = Mutex::new(None);
    let mut results: Vec<(u64, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        if control.is_cancelled() {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= shards {
                            break;
                        }
                        match std::panic::catch_unwind(AssertUnwindSafe(|| shard(i))) {
                            Ok(Some(result)) => done.push((i, result)),
                            Ok(None) => {}
                            Err(payload) => {
                                let message = panic_message(payload.as_ref());
                                let mut first = crashed.lock().unwrap_or_else(|e| e.into_inner());
                                if first.as_ref().is_none_or(|(j, _)| i < *j) {
                                    *first = Some((i, message));
                                }
                                control.cancel();
                                break;
                            }
                        }
                        control.shards_done.fetch_add(1, Ordering::Relaxed);
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    if let Some((shard, message)) = crashed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(SimError::Crashed {
            shard,
            first_user: shard * SHARD_USERS,
            message,
        });
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results)
}

/// What a panic said, when it said it with a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

impl Outcome {
    /// The report of a simulation: the static findings given, then the simulated ones, with the
    /// metrics, and the run's varying figures apart under `run`.
    pub fn report(
        &self,
        map: &Map,
        file: &str,
        profile: &Profile,
        static_findings: Vec<Finding>,
    ) -> Report {
        let mut findings = static_findings;
        findings.extend(self.findings.iter().cloned());
        let mut report = Report::new(&map.title, file, profile.name, findings).with_labels(map);
        report.metrics = self.metrics.to_json();
        let secs = self.wall.as_secs_f64();
        report
            .run
            .insert("wall_ms".into(), (self.wall.as_millis() as u64).into());
        report.run.insert(
            "events_per_second".into(),
            if secs > 0.0 {
                ((self.metrics.events as f64 / secs).round() as u64).into()
            } else {
                serde_json::Value::Null
            },
        );
        report
            .run
            .insert("threads".into(), (self.threads as u64).into());
        report
    }
}

/// The report a document needs without watching a run: the static findings plus a simulation
/// of `builder`'s population (the Markdown export, the app's export dialog).
pub fn report_with_simulation(
    map: &Map,
    plan: &Plan,
    file: &str,
    builder: Builder,
) -> Result<Report, SimError> {
    let profile = builder.profile;
    let static_findings = crate::compile::lint(map, plan, profile);
    let outcome = builder.build(map, plan)?.run(&Control::default())?;
    Ok(outcome.report(map, file, &profile, static_findings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_shard_fails_the_run_with_an_error_naming_it_instead_of_dropping_its_users() {
        let control = Control::default();
        let result = on_threads(2, 8, &control, |i| {
            assert!(i != 5, "shard five went wrong");
            Some(i * 10)
        });
        let err = result.expect_err("a crash is an error");
        assert_eq!(
            err,
            SimError::Crashed {
                shard: 5,
                first_user: 5 * SHARD_USERS,
                message: "shard five went wrong".to_owned(),
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("shard 5") && text.contains("no report was made"),
            "{text}"
        );
    }

    #[test]
    fn shards_come_back_in_order_whatever_thread_ran_them() {
        let control = Control::default();
        let results = on_threads(3, 20, &control, Some).expect("no crash");
        assert_eq!(results, (0..20).map(|i| (i, i)).collect::<Vec<_>>());
        assert!((control.progress() - 1.0).abs() < f32::EPSILON);
    }
}
