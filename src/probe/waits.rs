//! The checks that take time: the session cookie's lifetime as sent, and the idle and absolute
//! timeouts waited out — but only as long as `--max-wait` allows; a longer drawn timeout is
//! reported as not checked, with the wait it would need.

use std::time::Duration;

use super::{Check, Jar, ProbeError, Session, Verdict};
use crate::compile::{self, Setting, human};
use crate::engine::{self as e};
use crate::model::NodeId;
use crate::report::{Finding, Gap};

/// How long past a drawn timeout the probe waits before asking again: a tenth of it, at least a
/// second (a server checks expiry to the second).
fn margin(d: Duration) -> Duration {
    (d / 10).max(Duration::from_secs(1))
}

/// The session cookie's lifetime as sent against the drawn `Max-Age`.
pub(super) fn cookie_lifetime(
    drawn: Option<Duration>,
    sent: Option<Duration>,
    node: &NodeId,
) -> Check {
    let text = |d: Option<Duration>| {
        d.map_or_else(
            || "until the browser closes (no Max-Age or Expires)".to_owned(),
            |d| format!("kept for {}", human(d)),
        )
    };
    let close = match (drawn, sent) {
        (None, None) => true,
        (Some(a), Some(b)) => a.abs_diff(b) <= Duration::from_secs(2).max(a / 100),
        _ => false,
    };
    Check {
        setting: "cookie lifetime".to_owned(),
        drawn: text(drawn),
        observed: text(sent),
        verdict: if close {
            Verdict::Matches
        } else {
            Verdict::Drifts
        },
        node: Some(node.clone()),
        covers: Vec::new(),
    }
}

/// Which timeout a wait is for.
#[derive(Clone, Copy)]
enum Timer {
    Idle,
    Absolute,
}

/// Waits out the drawn idle and absolute timeouts the wait allows: a fresh sign-in left alone
/// past the idle timeout, and one kept busy past the absolute timeout, each asked again.
pub(super) fn timeouts(
    s: &mut Session<'_>,
    flow: &compile::Flow,
    max_wait: Duration,
    profile: &compile::Profile,
    checks: &mut Vec<Check>,
    findings: &mut Vec<Finding>,
) -> Result<(), ProbeError> {
    let t = &flow.policy.timeouts;
    for (timer, drawn, enforced, setting, limit) in [
        (
            Timer::Idle,
            t.idle,
            t.idle_enforcement,
            Setting::IdleTimeout,
            profile.idle_max,
        ),
        (
            Timer::Absolute,
            t.absolute,
            t.absolute_enforcement,
            Setting::AbsoluteTimeout,
            profile.absolute_max,
        ),
    ] {
        let Some(drawn) = drawn else { continue };
        let node = flow
            .sources
            .of(setting)
            .first()
            .cloned()
            .unwrap_or_else(|| flow.create.clone());
        let server = enforced == e::ExpiryEnforcement::Server;
        let drawn_text = format!(
            "{}{}",
            human(drawn),
            if server {
                ", enforced by the server"
            } else {
                ", enforced only by the page"
            }
        );
        let wait = drawn + margin(drawn);
        if wait > max_wait {
            checks.push(Check {
                setting: setting.to_string(),
                drawn: drawn_text,
                observed: format!(
                    "not waited out: it needs --max-wait {}s (allowed: {}s)",
                    wait.as_secs(),
                    max_wait.as_secs()
                ),
                verdict: Verdict::NotChecked,
                node: Some(node),
                covers: Vec::new(),
            });
            continue;
        }
        let from = s.log.len();
        let (jar, _) = s.sign_in(&Jar::new())?;
        if !s.signed_in(&jar)? {
            return Err(s.not_signed_in());
        }
        let jar = match timer {
            Timer::Idle => {
                std::thread::sleep(wait);
                jar
            }
            Timer::Absolute => keep_busy(s, jar, wait, t.idle)?,
        };
        let still = s.signed_in(&jar)?;
        let gap = match timer {
            Timer::Idle => Gap::SessIdleTooLong,
            Timer::Absolute => Gap::SessAbsTooLong,
        };
        // Only a wait past the profile's limit can show the session outlives it.
        let proves = limit.is_some_and(|l| wait > l);
        let what = match timer {
            Timer::Idle => "left idle",
            Timer::Absolute => "kept busy",
        };
        let observed = if still {
            format!("still signed in after {} {what}", human(wait))
        } else {
            format!("signed out after {} {what}", human(wait))
        };
        // A page-enforced timeout leaves the server's session alive, which is what the drawing
        // says; a server-enforced one must end it.
        checks.push(Check {
            setting: setting.to_string(),
            drawn: drawn_text,
            observed: observed.clone(),
            verdict: if still != server {
                Verdict::Matches
            } else {
                Verdict::Drifts
            },
            node: Some(node.clone()),
            covers: if proves { vec![gap] } else { Vec::new() },
        });
        if still && proves {
            let mut f = Finding::new(
                gap,
                vec![node.clone()],
                format!(
                    "Observed on the running application: {observed}, longer than profile {} \
                     allows ({}).",
                    profile.name,
                    limit.map(human).unwrap_or_default()
                ),
            );
            f.evidence = s.evidence(from, &node);
            findings.push(f);
        }
    }
    Ok(())
}

/// Asks the protected page at intervals well inside the idle timeout until `wait` has passed,
/// taking any cookie the application renews on the way; returns the jar at the end.
fn keep_busy(
    s: &mut Session<'_>,
    mut jar: Jar,
    wait: Duration,
    idle: Option<Duration>,
) -> Result<Jar, ProbeError> {
    let step = idle
        .map_or(wait / 4, |i| (i / 3).min(wait / 4))
        .max(Duration::from_millis(200));
    let start = std::time::Instant::now();
    while start.elapsed() + step < wait {
        std::thread::sleep(step);
        let protected = s.target.protected.clone();
        let r = s.send(&protected, &jar)?;
        super::merge(&mut jar, &super::set_cookies(&r));
    }
    std::thread::sleep(wait.saturating_sub(start.elapsed()));
    Ok(jar)
}
