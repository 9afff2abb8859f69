//! Attackers (and the probing users that go with them): each strategy is a short scene played
//! against the shard's real engine for a flow — a victim signs in, something happens (a logout,
//! a password change, a pause), an attacker tries something — and every step goes into a trace.
//! A gap is observed only when the engine really accepted the attacker's attempt (or really
//! kept a user's session alive past what the profile allows); the trace is the evidence.
//!
//! Scenes run after the shard's population, on the same engines and clock, one after another,
//! each starting on a fresh morning. A strategy is only tried where the drawing offers what it
//! needs: no logout drawn, no replay after logout.

use std::net::{IpAddr, Ipv4Addr};

use rand::{Rng as _, RngExt as _};
use rand_chacha::ChaCha8Rng;

use super::cause;
use super::findings::Observation;
use super::shard::{DAY, Engine, FlowInfo, HOUR, MINUTE, ShardResult, World, ms};
use super::users::human_ms;
use super::{Control, SHARD_USERS};
use crate::compile::{Op, Setting};
use crate::engine::{
    Accepted, AccountSetup, AdminScope, Claims, Client, CredentialChange, CredentialStorage,
    DeviceCategory, DeviceId, DisableEffect, ExpiryEnforcement, Geo, Grounds, IdpLogout,
    IdpSessionId, Issued, LoggedOut, LoginRequest, LogoutEndpoint, LogoutScope, ManualClock,
    Mechanism, MfaStatus, RefreshOnLogout, Rejection, RememberMe, RequestKind, Role, SetCookie,
    Timestamp, UserId,
};
use crate::model::NodeId;
use crate::report::{Gap, Step};

mod access;
mod identity;
mod lab;
mod remember;
mod revocation;
mod theft;
mod timeouts;
mod tokens;

use lab::{Lab, accepted_as, copied};

const SECOND: u64 = 1_000;
/// How often an attacker who keeps a stolen session uses it.
const KEEP_USING_EVERY: u64 = 15 * MINUTE;
/// How long an attacker keeps trying a stolen credential.
const KEEP_USING_FOR: u64 = 30 * DAY;
/// After a revocation, when the attacker tries the revoked credential again.
const PROBES: [u64; 14] = [
    SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    3 * MINUTE,
    4 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    HOUR,
    6 * HOUR,
    DAY,
    7 * DAY,
    30 * DAY,
];
/// Guesses an id-predicting attacker makes per attempt.
const GUESS_BUDGET: usize = 20_000;

const LONDON: Geo = Geo {
    lat: 51.51,
    lon: -0.13,
};
const NEW_YORK: Geo = Geo {
    lat: 40.71,
    lon: -74.01,
};
const VICTIM_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0";

const LAPTOP: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
    user_agent: VICTIM_UA,
    geo: Some(LONDON),
    device: DeviceId(1_000_001),
    category: DeviceCategory::Desktop,
};
const PHONE: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)),
    user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/605.1",
    geo: Some(LONDON),
    device: DeviceId(1_000_002),
    category: DeviceCategory::Mobile,
};
/// An attacker on the victim's network with the victim's browser: replays test what the server
/// does with the credential, not its client binding.
const NEARBY: Client<'static> = Client {
    device: DeviceId(6_660_001),
    ..LAPTOP
};
/// An injected script in the victim's own browser: the victim's address and user agent.
const XSS: Client<'static> = Client {
    device: DeviceId(6_660_003),
    ..LAPTOP
};
/// An attacker elsewhere, with its own address and tools (its location unknown to the server).
const ELSEWHERE: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 66)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
    geo: None,
    device: DeviceId(6_660_002),
    category: DeviceCategory::Desktop,
};
/// An attacker far away who copied the victim's user agent.
const FAR_SAME_UA: Client<'static> = Client {
    user_agent: VICTIM_UA,
    geo: Some(NEW_YORK),
    ..ELSEWHERE
};

#[derive(Default)]
struct SignIn<'s> {
    remember: bool,
    mfa: MfaStatus,
    presented: Option<&'s str>,
    idp: Option<IdpSessionId>,
    at: Option<NodeId>,
    device: Option<&'static str>,
    /// Who the trace says signs in, where it is not simply the victim or another account
    /// (an attacker with the victim's password signs in as the victim).
    by: Option<&'static str>,
}

struct Probe {
    accepted: bool,
    /// Why the engine accepted the first replay, if it did.
    grounds: Option<Grounds>,
    /// From the revocation to the first refusal; `None` if never refused.
    latency: Option<u64>,
    revoked_later: bool,
}

/// What one attempt produced.
#[derive(Default)]
struct Attempt {
    succeeded: bool,
    observations: Vec<Observation>,
    exposure: Option<(u64, bool)>,
    latency: Option<Option<u64>>,
}

impl Attempt {
    fn found(o: Observation) -> Self {
        Attempt {
            succeeded: true,
            observations: vec![o],
            ..Attempt::default()
        }
    }
}

type Scene = fn(&mut Lab<'_, '_>) -> Option<Attempt>;

/// The usual end of a scene: the gap is proven when the engine accepted the decisive attempt.
fn proven(
    lab: &Lab<'_, '_>,
    accepted: bool,
    id: Gap,
    nodes: Vec<NodeId>,
    explanation: impl Into<String>,
) -> Option<Attempt> {
    Some(if accepted {
        Attempt::found(lab.observe(id, nodes, explanation))
    } else {
        Attempt::default()
    })
}

/// Which drawn nodes a scene is played at. Most scenes play once per flow; a scene about a
/// logout, an account disable, a sensitive action or a password change plays once for each such
/// node of the flow
/// that does something different (a client-only "start over" beside a server-side sign-out is
/// its own attempt, and its own finding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Each {
    Flow,
    Logout,
    Disable,
    Sensitive,
    PasswordChange,
}

/// The strategies: name (the metrics key), whether it is an attack (counted in attack success)
/// or a probe of what legitimate use allows, which nodes it is played at, and the scene. A scene
/// returns `None` when the drawing does not offer what it needs.
const SCENES: &[(&str, bool, Each, Scene)] = &[
    ("predict-id", true, Each::Flow, identity::predict_id),
    ("made-up-id", true, Each::Flow, identity::made_up_id),
    ("plant-id", true, Each::Flow, identity::plant_id),
    (
        "stale-privileges",
        true,
        Each::Flow,
        identity::stale_privileges,
    ),
    (
        "skip-verification",
        true,
        Each::Flow,
        identity::skip_verification,
    ),
    ("skip-mfa", true, Each::Flow, identity::skip_mfa),
    ("skip-reset", true, Each::Flow, identity::skip_reset),
    ("idle-user", false, Each::Flow, timeouts::idle_user),
    ("always-active", false, Each::Flow, timeouts::always_active),
    ("pinging-tab", false, Each::Flow, timeouts::pinging_tab),
    (
        "replay-expired-cookie",
        true,
        Each::Flow,
        timeouts::replay_expired_cookie,
    ),
    (
        "remember-me-late",
        true,
        Each::Flow,
        remember::remember_me_late,
    ),
    (
        "remember-me-other-device",
        true,
        Each::Flow,
        remember::remember_me_other_device,
    ),
    (
        "remember-me-after-logout",
        true,
        Each::Logout,
        remember::remember_me_after_logout,
    ),
    (
        "remember-me-sensitive",
        true,
        Each::Sensitive,
        remember::remember_me_sensitive,
    ),
    (
        "replay-after-logout",
        true,
        Each::Logout,
        revocation::replay_after_logout,
    ),
    (
        "refresh-after-logout",
        true,
        Each::Logout,
        revocation::refresh_after_logout,
    ),
    (
        "logout-everywhere",
        false,
        Each::Flow,
        revocation::logout_everywhere,
    ),
    (
        "replay-after-password-change",
        true,
        Each::PasswordChange,
        revocation::replay_after_password_change,
    ),
    (
        "replay-after-disable",
        true,
        Each::Disable,
        revocation::replay_after_disable,
    ),
    (
        "race-admin-kill",
        true,
        Each::Flow,
        revocation::race_admin_kill,
    ),
    (
        "replay-after-idp-logout",
        true,
        Each::Flow,
        revocation::replay_after_idp_logout,
    ),
    ("steal-xss", true, Each::Flow, theft::steal_xss),
    ("steal-network", true, Each::Flow, theft::steal_network),
    (
        "replay-from-elsewhere",
        true,
        Each::Flow,
        theft::replay_from_elsewhere,
    ),
    ("replay-far-away", true, Each::Flow, theft::replay_far_away),
    (
        "replay-days-later",
        true,
        Each::Flow,
        theft::replay_days_later,
    ),
    (
        "replay-expired-token",
        true,
        Each::Flow,
        tokens::replay_expired_token,
    ),
    ("forge-alg-none", true, Each::Flow, tokens::forge_alg_none),
    (
        "replay-hours-later",
        true,
        Each::Flow,
        tokens::replay_hours_later,
    ),
    (
        "reuse-refresh-token",
        true,
        Each::Flow,
        tokens::reuse_refresh_token,
    ),
    (
        "refresh-for-a-year",
        false,
        Each::Flow,
        tokens::refresh_for_a_year,
    ),
    (
        "stuff-credentials",
        true,
        Each::Flow,
        access::stuff_credentials,
    ),
    ("evict-victim", true, Each::Flow, access::evict_victim),
    (
        "hijack-sensitive-action",
        true,
        Each::Sensitive,
        access::hijack_sensitive_action,
    ),
];

/// One attempt per strategy for this many users.
const ATTACKER_EVERY: u64 = 4_096;

/// Plays every strategy against every flow of the shard, after its population.
#[allow(clippy::too_many_arguments)]
pub(super) fn play(
    world: &World<'_>,
    shard: u64,
    first: u64,
    users: u64,
    clock: &ManualClock,
    engines: &mut [Option<Engine>],
    rng: &mut ChaCha8Rng,
    result: &mut ShardResult,
    control: &Control,
) -> Option<()> {
    // More users, more attackers: one attempt per strategy for every 4,096 users of the
    // population, made by the shard that holds user 0, 4,096, 8,192, ... (so at least one,
    // and as many whatever the shards' size).
    let attempts = (first + users).div_ceil(ATTACKER_EVERY) - first.div_ceil(ATTACKER_EVERY);
    if attempts == 0 {
        return Some(());
    }
    let mut now = clock_now(clock);
    // Scene accounts are numbered above every population id.
    let mut next_user = (1 << 40) + shard * SHARD_USERS * 64;
    for (flow, info) in world.flows.iter().enumerate() {
        let Some(engine) = engines.get_mut(flow).and_then(Option::as_mut) else {
            continue;
        };
        for &(name, is_attack, each, scene) in SCENES {
            for variant in variants(world, info, each) {
                let info = variant.as_ref().unwrap_or(info);
                for _ in 0..attempts {
                    if control.is_cancelled() {
                        return None;
                    }
                    // Each scene starts on a fresh morning.
                    let origin = (now / DAY + 1) * DAY;
                    let start = origin + 9 * HOUR + rng.random_range(0..HOUR);
                    let mut lab = Lab::new(
                        world,
                        flow,
                        info,
                        &mut *engine,
                        clock,
                        &mut *rng,
                        (origin, start),
                        next_user,
                    );
                    let attempt = scene(&mut lab);
                    now = lab.now;
                    next_user = lab.next_user;
                    result.events += lab.events() + 1;
                    let Some(attempt) = attempt else {
                        break; // not offered by this flow's drawing: no further attempts
                    };
                    if is_attack {
                        let stat = result.attacks.entry(name).or_default();
                        stat.attempts += 1;
                        stat.succeeded += u64::from(attempt.succeeded);
                    }
                    result.observations.extend(attempt.observations);
                    if let Some((window, open)) = attempt.exposure {
                        if open {
                            result.exposure_open += 1;
                        }
                        result.exposure.push(window);
                    }
                    match attempt.latency {
                        Some(Some(l)) => result.latency.push(l),
                        Some(None) => result.latency_open += 1,
                        None => {}
                    }
                }
            }
        }
    }
    Some(())
}

/// The flows a scene is played in: the flow as it is (its first node of each kind), then, for a
/// scene about one kind of node, the flow with each further node of that kind that does
/// something different from those before it.
fn variants(world: &World<'_>, info: &FlowInfo, each: Each) -> Vec<Option<FlowInfo>> {
    let (nodes, current): (&[NodeId], &Option<NodeId>) = match each {
        Each::Flow => return vec![None],
        Each::Logout => (&info.logouts, &info.logout),
        Each::Disable => (&info.disables, &info.account_disable),
        Each::Sensitive => (&info.sensitives, &info.sensitive),
        Each::PasswordChange => (&info.password_changes, &info.password_change),
    };
    let mut out = vec![None];
    let mut seen: Vec<crate::compile::Op> = current.iter().map(|n| world.op(n)).collect();
    for node in nodes {
        let op = world.op(node);
        if seen.contains(&op) {
            continue;
        }
        seen.push(op);
        let mut variant = info.clone();
        let slot = match each {
            Each::Flow => unreachable!("returned above"),
            Each::Logout => &mut variant.logout,
            Each::Disable => &mut variant.account_disable,
            Each::Sensitive => &mut variant.sensitive,
            Each::PasswordChange => &mut variant.password_change,
        };
        *slot = Some(node.clone());
        out.push(Some(variant));
    }
    out
}

fn clock_now(clock: &ManualClock) -> u64 {
    use crate::engine::Clock as _;
    clock.now().as_millis()
}

fn victim_session(lab: &mut Lab<'_, '_>) -> Option<Issued> {
    let victim = lab.victim;
    lab.sign_in(victim, LAPTOP, SignIn::default()).ok()
}
