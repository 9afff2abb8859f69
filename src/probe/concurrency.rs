//! Concurrent sessions: signing in one more time than the drawn limit allows (or, with no limit
//! drawn, more times than any common limit) and asking each session whether it is still signed
//! in, to see who is evicted or refused.

use super::{Check, Jar, ProbeError, Session, Verdict};
use crate::compile::{self, Setting};
use crate::engine::{self as e};
use crate::report::{Finding, Gap};

/// Sign-ins that show "no limit": more than the 3-5 sessions common limits allow.
const UNLIMITED_PROOF: u32 = 6;
/// The largest drawn limit the probe plays (each sign-in is two requests).
const MOST: u32 = 10;

pub(super) fn concurrency(
    s: &mut Session<'_>,
    flow: &compile::Flow,
    checks: &mut Vec<Check>,
    findings: &mut Vec<Finding>,
) -> Result<(), ProbeError> {
    let c = &flow.policy.concurrency;
    let node = flow
        .sources
        .of(Setting::Concurrency)
        .first()
        .cloned()
        .unwrap_or_else(|| flow.create.clone());
    let drawn_max = match c.limit {
        e::SessionLimit::Unlimited => None,
        e::SessionLimit::Single => Some(1),
        e::SessionLimit::Limited { max } => Some(max.get()),
    };
    let drawn = match (drawn_max, c.on_limit) {
        (None, _) => "no limit".to_owned(),
        (Some(n), e::OnLimit::EvictOldestInactive) => {
            format!("at most {n}; a sign-in over it ends the oldest")
        }
        (Some(n), e::OnLimit::RejectNew) => format!("at most {n}; a sign-in over it is refused"),
    };
    let setting = Setting::Concurrency.to_string();
    let sign_ins = drawn_max.map_or(UNLIMITED_PROOF, |n| n + 1);
    if sign_ins > MOST || c.scope == e::LimitScope::PerDeviceCategory {
        checks.push(Check {
            setting,
            drawn,
            observed: if sign_ins > MOST {
                format!("a limit over {} sign-ins is not played", MOST - 1)
            } else {
                "a limit per device category is not played (the probe is one client)".to_owned()
            },
            verdict: Verdict::NotChecked,
            node: Some(node),
            covers: Vec::new(),
        });
        return Ok(());
    }
    let from = s.log.len();
    let mut jars: Vec<Jar> = Vec::new();
    for _ in 0..sign_ins {
        jars.push(s.sign_in(&Jar::new())?.0);
    }
    let mut alive = Vec::new();
    for jar in &jars {
        alive.push(s.signed_in(jar)?);
    }
    let live = alive.iter().filter(|a| **a).count();
    let observed = match (alive.first(), alive.last()) {
        _ if live == alive.len() => format!("{sign_ins} sign-ins, all still signed in"),
        (Some(false), Some(true)) => {
            format!("{sign_ins} sign-ins, {live} still signed in: the oldest sessions were ended")
        }
        (Some(true), Some(false)) => {
            format!("{sign_ins} sign-ins, {live} still signed in: the newest was refused")
        }
        _ => format!("{sign_ins} sign-ins, {live} still signed in"),
    };
    let matches = match (drawn_max, c.on_limit) {
        (None, _) => live == alive.len(),
        (Some(n), e::OnLimit::EvictOldestInactive) => {
            live == n as usize && alive.last() == Some(&true) && alive.first() == Some(&false)
        }
        (Some(n), e::OnLimit::RejectNew) => {
            live == n as usize && alive.first() == Some(&true) && alive.last() == Some(&false)
        }
    };
    checks.push(Check {
        setting,
        drawn,
        observed: observed.clone(),
        verdict: if matches {
            Verdict::Matches
        } else {
            Verdict::Drifts
        },
        node: Some(node.clone()),
        covers: if sign_ins >= UNLIMITED_PROOF {
            vec![Gap::ConcUnlimited]
        } else {
            Vec::new()
        },
    });
    if live == alive.len() && sign_ins >= UNLIMITED_PROOF {
        let mut f = Finding::new(
            Gap::ConcUnlimited,
            vec![node.clone()],
            format!(
                "Observed on the running application: {observed}. Someone holding the password \
                 can keep sessions open beside the user's without a limit."
            ),
        );
        f.evidence = s.evidence(from, &node);
        findings.push(f);
    }
    Ok(())
}
