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
use crate::report::Step;

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

/// A scene in progress: the engine of one flow, the clock, and the trace so far.
struct Lab<'w, 'a> {
    world: &'w World<'a>,
    flow: usize,
    info: &'w FlowInfo,
    engine: &'w mut Engine,
    clock: &'w ManualClock,
    rng: &'w mut ChaCha8Rng,
    now: u64,
    /// Midnight of the scene's first day: trace times are counted from it.
    origin: u64,
    trace: Vec<Step>,
    events: u64,
    next_user: u64,
    victim: UserId,
}

impl Lab<'_, '_> {
    fn wait(&mut self, d: u64) {
        self.now += d;
        self.clock.set(Timestamp::from_millis(self.now));
    }

    fn account(&mut self, verified: bool, role: Role) -> UserId {
        self.next_user += 1;
        let user = UserId(self.next_user);
        self.engine.add_account(
            user,
            AccountSetup {
                role,
                email_verified: verified,
            },
        );
        user
    }

    fn step(&mut self, actor: &str, action: String, outcome: String, node: &NodeId) {
        self.trace.push(Step {
            at_ms: Some(self.now - self.origin),
            actor: actor.to_owned(),
            action,
            outcome,
            node: Some(node.clone()),
        });
    }

    fn label(&self, node: &NodeId) -> String {
        format!("«{}»", self.world.label(node))
    }

    fn who(&self, user: Option<UserId>) -> &'static str {
        match user {
            Some(u) if u == self.victim => "the victim",
            Some(_) => "another user",
            None => "an anonymous visitor",
        }
    }

    fn said<T>(&self, r: &Result<T, Rejection>, user: impl Fn(&T) -> Option<UserId>) -> String {
        match r {
            Ok(t) => format!("accepted as {}", self.who(user(t))),
            Err(why) => format!("refused: {why}"),
        }
    }

    /// The victim (or another account) signs in at the flow's login.
    fn sign_in(
        &mut self,
        user: UserId,
        client: Client<'_>,
        how: SignIn<'_>,
    ) -> Result<Issued, Rejection> {
        self.events += 1;
        let result = self.engine.login(&LoginRequest {
            user,
            client,
            mfa: how.mfa,
            remember_me: if how.remember {
                RememberMe::Asked
            } else {
                RememberMe::No
            },
            presented_id: how.presented,
            idp_session: how.idp,
        });
        let actor = if user == self.victim {
            "user"
        } else {
            "attacker"
        };
        let node = how
            .at
            .clone()
            .or_else(|| self.info.login.clone())
            .unwrap_or_else(|| self.info.create.clone());
        let mut action = format!("signs in at {}", self.label(&node));
        if how.remember {
            action.push_str(", ticking \"remember me\"");
        }
        if let Some(device) = how.device {
            action.push_str(&format!(" on the {device}"));
        }
        let outcome = self.said(&result, |i| Some(i.user));
        self.step(actor, action, outcome, &node);
        result
    }

    /// Someone presents a credential with a request.
    fn present(
        &mut self,
        actor: &str,
        action: impl Into<String>,
        cred: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Accepted, Rejection> {
        self.events += 1;
        let result = self.engine.validate(cred, client, kind);
        let outcome = self.said(&result, |a| a.user);
        let node = self.info.request.clone();
        self.step(actor, action.into(), outcome, &node);
        result
    }

    /// Presents without recording (a guess among thousands, a keep-alive among hundreds).
    fn quietly(
        &mut self,
        cred: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Accepted, Rejection> {
        self.events += 1;
        self.engine.validate(cred, client, kind)
    }

    /// A user stays active: a request every `every` for `span`; returns the credential in use
    /// (renewed ones replace it) or the refusal that ended it.
    fn stay_active(&mut self, cred: &str, every: u64, span: u64) -> Result<String, Rejection> {
        let mut cred = cred.to_owned();
        let mut done = 0;
        while done + every <= span {
            self.wait(every);
            done += every;
            let a = self.quietly(&cred, &LAPTOP, RequestKind::UserAction)?;
            if let Some(r) = a.renewed {
                cred = r.value;
            }
        }
        Ok(cred)
    }

    /// A pace at which an active user never trips the idle timeout.
    fn active_pace(&self) -> u64 {
        let idle = self.info.policy.timeouts.idle.map_or(u64::MAX, ms);
        (10 * MINUTE)
            .min(idle.saturating_sub(MINUTE).max(idle / 2))
            .max(SECOND)
    }

    fn observe(
        &self,
        id: &'static str,
        nodes: Vec<NodeId>,
        explanation: impl Into<String>,
    ) -> Observation {
        Observation {
            id,
            flow: self.flow,
            nodes,
            explanation: explanation.into(),
            trace: self.trace.clone(),
        }
    }

    /// After a revocation at `self.now`, tries the revoked credential at growing offsets until
    /// refused; records the first and the last try. Returns (first accepted?, latency, open,
    /// refused-as-revoked?).
    fn probe_after_revocation(
        &mut self,
        actor: &str,
        what: &str,
        cred: &str,
        client: &Client<'_>,
    ) -> Probe {
        let start = self.now;
        let mut cred = cred.to_owned();
        let mut first_accepted = None;
        let mut grounds = None;
        let mut last_ok = None;
        for (i, &offset) in PROBES.iter().enumerate() {
            let target = start + offset;
            if target > self.now {
                self.wait(target - self.now);
            }
            let result = if i == 0 {
                self.present(
                    actor,
                    format!("replays {what}"),
                    &cred,
                    client,
                    RequestKind::UserAction,
                )
            } else {
                self.quietly(&cred, client, RequestKind::UserAction)
            };
            match result {
                Ok(a) => {
                    if i == 0 {
                        first_accepted = Some(true);
                        grounds = Some(a.grounds);
                    }
                    if let Some(r) = a.renewed {
                        cred = r.value;
                    }
                    last_ok = Some(offset);
                }
                Err(why) => {
                    if i == 0 {
                        return Probe {
                            accepted: false,
                            grounds,
                            latency: Some(0),
                            revoked_later: false,
                        };
                    }
                    let line = format!("replays {what} again, {} after", human_ms(offset));
                    let outcome = format!("refused: {why}");
                    let node = self.info.request.clone();
                    self.step(actor, line, outcome, &node);
                    return Probe {
                        accepted: first_accepted.unwrap_or(false),
                        grounds,
                        latency: Some(offset),
                        revoked_later: why == Rejection::Revoked,
                    };
                }
            }
        }
        if let Some(offset) = last_ok {
            let node = self.info.request.clone();
            self.step(
                actor,
                format!("still using {what} {} after", human_ms(offset)),
                "accepted".into(),
                &node,
            );
        }
        Probe {
            accepted: first_accepted.unwrap_or(false),
            grounds,
            latency: None,
            revoked_later: false,
        }
    }

    /// An attacker keeps using a stolen credential every few minutes until it stops working;
    /// meanwhile the victim finishes the visit and, half the time, logs out. Returns how long
    /// the credential stayed usable and whether it still was at the end.
    fn keep_using(&mut self, cred: &str, victim_cred: &str, client: &Client<'_>) -> (u64, bool) {
        let start = self.now;
        let visit = self.rng.random_range(5 * MINUTE..60 * MINUTE);
        let logs_out = self.info.logout.is_some() && self.rng.random_bool(0.5);
        let mut victim_done = false;
        let mut cred = cred.to_owned();
        let mut last_ok = start;
        // A bot that has learnt the idle timeout keeps the session just warm enough.
        let every = self.active_pace().min(KEEP_USING_EVERY);
        while self.now - start < KEEP_USING_FOR {
            self.wait(every);
            if !victim_done && self.now - start >= visit {
                victim_done = true;
                if logs_out {
                    self.events += 1;
                    let _ = self
                        .engine
                        .logout(victim_cred, &LAPTOP, LogoutScope::ThisDevice);
                }
            }
            match self.quietly(&cred, client, RequestKind::UserAction) {
                Ok(a) => {
                    last_ok = self.now;
                    if let Some(r) = a.renewed {
                        cred = r.value;
                    }
                }
                Err(_) => return (last_ok - start, false),
            }
        }
        (last_ok - start, true)
    }
}

#[derive(Default)]
struct SignIn<'s> {
    remember: bool,
    mfa: MfaStatus,
    presented: Option<&'s str>,
    idp: Option<IdpSessionId>,
    at: Option<NodeId>,
    device: Option<&'static str>,
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
    id: &'static str,
    nodes: Vec<NodeId>,
    explanation: impl Into<String>,
) -> Option<Attempt> {
    Some(if accepted {
        Attempt::found(lab.observe(id, nodes, explanation))
    } else {
        Attempt::default()
    })
}

/// The strategies: name (the metrics key), whether it is an attack (counted in attack success)
/// or a probe of what legitimate use allows, and the scene. A scene returns `None` when the
/// drawing does not offer what it needs.
const SCENES: &[(&str, bool, Scene)] = &[
    ("predict-id", true, predict_id),
    ("made-up-id", true, made_up_id),
    ("plant-id", true, plant_id),
    ("stale-privileges", true, stale_privileges),
    ("skip-verification", true, skip_verification),
    ("skip-mfa", true, skip_mfa),
    ("skip-reset", true, skip_reset),
    ("idle-user", false, idle_user),
    ("always-active", false, always_active),
    ("pinging-tab", false, pinging_tab),
    ("replay-expired-cookie", true, replay_expired_cookie),
    ("remember-me-late", true, remember_me_late),
    ("remember-me-other-device", true, remember_me_other_device),
    ("remember-me-after-logout", true, remember_me_after_logout),
    ("remember-me-sensitive", true, remember_me_sensitive),
    ("replay-after-logout", true, replay_after_logout),
    ("refresh-after-logout", true, refresh_after_logout),
    ("logout-everywhere", false, logout_everywhere),
    (
        "replay-after-password-change",
        true,
        replay_after_password_change,
    ),
    ("replay-after-disable", true, replay_after_disable),
    ("race-admin-kill", true, race_admin_kill),
    ("replay-after-idp-logout", true, replay_after_idp_logout),
    ("steal-xss", true, steal_xss),
    ("steal-network", true, steal_network),
    ("replay-from-elsewhere", true, replay_from_elsewhere),
    ("replay-far-away", true, replay_far_away),
    ("replay-days-later", true, replay_days_later),
    ("replay-expired-token", true, replay_expired_token),
    ("forge-alg-none", true, forge_alg_none),
    ("replay-hours-later", true, replay_hours_later),
    ("reuse-refresh-token", true, reuse_refresh_token),
    ("refresh-for-a-year", false, refresh_for_a_year),
    ("stuff-credentials", true, stuff_credentials),
    ("evict-victim", true, evict_victim),
    ("hijack-sensitive-action", true, hijack_sensitive_action),
];

/// Plays every strategy against every flow of the shard, after its population.
#[allow(clippy::too_many_arguments)]
pub(super) fn play(
    world: &World<'_>,
    shard: u64,
    users: u64,
    clock: &ManualClock,
    engines: &mut [Option<Engine>],
    rng: &mut ChaCha8Rng,
    result: &mut ShardResult,
    control: &Control,
) -> Option<()> {
    // More users, more attackers: one attempt per strategy for every 4,096 users (at least one).
    let attempts = users.div_ceil(4_096).max(1);
    let mut now = clock_now(clock);
    // Scene accounts are numbered above every population id.
    let mut next_user = (1 << 40) + shard * SHARD_USERS * 64;
    for (flow, info) in world.flows.iter().enumerate() {
        let Some(engine) = engines.get_mut(flow).and_then(Option::as_mut) else {
            continue;
        };
        for &(name, is_attack, scene) in SCENES {
            for _ in 0..attempts {
                if control.is_cancelled() {
                    return None;
                }
                // Each scene starts on a fresh morning.
                let origin = (now / DAY + 1) * DAY;
                let start = origin + 9 * HOUR + rng.random_range(0..HOUR);
                clock.set(Timestamp::from_millis(start));
                engine.sweep();
                let mut lab = Lab {
                    world,
                    flow,
                    info,
                    engine: &mut *engine,
                    clock,
                    rng: &mut *rng,
                    now: start,
                    origin,
                    trace: Vec::new(),
                    events: 0,
                    next_user,
                    victim: UserId(0),
                };
                lab.victim = lab.account(true, Role::USER);
                let attempt = scene(&mut lab);
                now = lab.now;
                next_user = lab.next_user;
                result.events += lab.events + 1;
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
    Some(())
}

fn clock_now(clock: &ManualClock) -> u64 {
    use crate::engine::Clock as _;
    clock.now().as_millis()
}

fn victim_session(lab: &mut Lab<'_, '_>) -> Option<Issued> {
    let victim = lab.victim;
    lab.sign_in(victim, LAPTOP, SignIn::default()).ok()
}

// ----- identifiers and creation -----

fn predict_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    let victim = victim_session(lab)?;
    let pause = lab.rng.random_range(SECOND..5 * SECOND);
    lab.wait(pause);
    let attacker = lab.account(true, Role::USER);
    let mut seen = Vec::new();
    for _ in 0..20 {
        lab.events += 1;
        if let Ok(i) = lab.engine.login(&LoginRequest {
            user: attacker,
            client: FAR_SAME_UA,
            mfa: MfaStatus::NotEnrolled,
            remember_me: RememberMe::No,
            presented_id: None,
            idp_session: None,
        }) {
            seen.push(i.credential.value);
        }
        lab.wait(10);
    }
    let sample = seen.first()?.clone();
    let node = lab.info.create.clone();
    lab.step(
        "attacker",
        "signs in 20 times with its own account and studies its session ids".into(),
        format!("ids like {}", short(&sample)),
        &node,
    );
    let guesses = guesses(&seen, lab.rng);
    let tried = guesses.len();
    for (n, guess) in guesses.into_iter().enumerate() {
        if let Ok(a) = lab.quietly(&guess, &LAPTOP, RequestKind::UserAction)
            && a.user.is_some_and(|u| u != attacker)
        {
            let whom = lab.who(a.user);
            lab.step(
                "attacker",
                format!(
                    "derives candidate ids from its own and tries them ({} {})",
                    n + 1,
                    if n == 0 { "try" } else { "tries" }
                ),
                format!("id {} accepted as {whom}", short(&guess)),
                &node,
            );
            let _ = victim;
            return Some(Attempt::found(lab.observe(
                "SESS-ID-PREDICTABLE",
                lab.info.from(Setting::Ids),
                "Session ids can be predicted: from ids it was given itself, an attacker \
                 worked out a live id of another user and the server accepted it. Ids must come \
                 from a CSPRNG with at least 128 bits.",
            )));
        }
    }
    lab.step(
        "attacker",
        format!("derives candidate ids from its own and tries them ({tried} tries)"),
        "none accepted".into(),
        &node,
    );
    Some(Attempt::default())
}

/// Candidate ids an attacker derives from ids it was given: neighbours of counters, nearby
/// times for timestamp-like numbers, and for short random-looking ids every combination of
/// the characters seen at each position (or a sample when there are too many).
fn guesses(seen: &[String], rng: &mut ChaCha8Rng) -> Vec<String> {
    let numbers: Option<Vec<u128>> = seen.iter().map(|s| s.parse::<u128>().ok()).collect();
    if let Some(mut numbers) = numbers {
        numbers.sort_unstable();
        let first = numbers[0];
        let step = numbers.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1);
        let mut out = Vec::new();
        if step >= 1_000 {
            // Looks like milliseconds × 1000 + a counter: search back in time.
            let ms = first / 1_000;
            for back in 1..=(GUESS_BUDGET as u128 / 3) {
                for c in 1..=3 {
                    out.push(((ms.saturating_sub(back)) * 1_000 + c).to_string());
                }
            }
        } else {
            for back in 1..=GUESS_BUDGET as u128 {
                if back > first {
                    break;
                }
                out.push((first - back).to_string());
            }
        }
        out.truncate(GUESS_BUDGET);
        return out;
    }
    let len = seen[0].len();
    if seen.iter().any(|s| s.len() != len) {
        return Vec::new();
    }
    let hex = seen.iter().all(|s| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    let alphabet: Vec<u8> = if hex {
        b"0123456789abcdef".to_vec()
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
    };
    // Positions that barely vary keep what was seen; the others take the whole alphabet.
    let sets: Vec<Vec<u8>> = (0..len)
        .map(|i| {
            let mut chars: Vec<u8> = seen.iter().map(|s| s.as_bytes()[i]).collect();
            chars.sort_unstable();
            chars.dedup();
            if chars.len() * 4 <= seen.len() {
                chars
            } else {
                alphabet.clone()
            }
        })
        .collect();
    let space = sets
        .iter()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.len()));
    let make = |mut n: usize| -> String {
        let mut s = Vec::with_capacity(len);
        for set in sets.iter().rev() {
            s.push(set[n % set.len()]);
            n /= set.len();
        }
        s.reverse();
        String::from_utf8(s).unwrap_or_default()
    };
    match space {
        Some(space) if space <= GUESS_BUDGET => (0..space).map(make).collect(),
        _ => (0..GUESS_BUDGET)
            .map(|_| {
                // Ten 6-bit picks per random word: sets have at most 64 characters.
                let mut bits = 0u64;
                let s: Vec<u8> = sets
                    .iter()
                    .enumerate()
                    .map(|(i, set)| {
                        if i % 10 == 0 {
                            bits = rng.next_u64();
                        }
                        let pick = (bits & 63) as usize % set.len();
                        bits >>= 6;
                        set[pick]
                    })
                    .collect();
                String::from_utf8(s).unwrap_or_default()
            })
            .collect(),
    }
}

fn short(id: &str) -> String {
    if id.chars().count() > 12 {
        format!("{}…", id.chars().take(10).collect::<String>())
    } else {
        id.to_owned()
    }
}

/// An id in the server's format that the attacker made up.
fn made_up_like(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '0'..='9' => '7',
            'a'..='z' => 'a',
            'A'..='Z' => 'Q',
            other => other,
        })
        .collect()
}

fn made_up_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    lab.events += 1;
    let sample = lab.engine.start_anonymous(&ELSEWHERE, None).ok()?.value;
    let made_up = made_up_like(&sample);
    let node = lab.info.create.clone();
    lab.step(
        "attacker",
        format!(
            "makes up the id {} and sets it as a cookie in the victim's browser",
            short(&made_up)
        ),
        "planted".into(),
        &node,
    );
    lab.events += 1;
    let adopted = lab.engine.start_anonymous(&LAPTOP, Some(&made_up));
    let outcome = match &adopted {
        Ok(c) if c.value == made_up => "the server adopted the made-up id".to_owned(),
        Ok(_) => "the server issued its own id instead".to_owned(),
        Err(why) => format!("refused: {why}"),
    };
    lab.step(
        "user",
        "visits the site with the planted cookie".into(),
        outcome,
        &node,
    );
    let victim = lab.victim;
    let presented = adopted.ok().map(|c| c.value);
    lab.sign_in(
        victim,
        LAPTOP,
        SignIn {
            presented: presented.as_deref(),
            ..SignIn::default()
        },
    )
    .ok()?;
    lab.wait(MINUTE);
    let replay = lab.present(
        "attacker",
        format!("uses its made-up id {}", short(&made_up)),
        &made_up,
        &NEARBY,
        RequestKind::UserAction,
    );
    if replay.is_ok_and(|a| a.user == Some(victim)) {
        let mut nodes = lab.info.from(Setting::Ids);
        nodes.extend(lab.info.from(Setting::LoginRotation));
        return Some(Attempt::found(lab.observe(
            "SESS-ID-PERMISSIVE",
            nodes,
            "The server adopts session ids the client makes up: an attacker planted an id of \
             its own choosing, the victim signed in with it, and the attacker's id became the \
             victim's session. Refuse ids the server did not issue, and rotate at login.",
        )));
    }
    Some(Attempt::default())
}

fn plant_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    lab.events += 1;
    let planted = lab.engine.start_anonymous(&ELSEWHERE, None).ok()?.value;
    let node = lab.info.create.clone();
    lab.step(
        "attacker",
        "gets an anonymous session id from the site and plants it in the victim's browser".into(),
        format!("id {}", short(&planted)),
        &node,
    );
    let victim = lab.victim;
    let issued = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                presented: Some(&planted),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    let replay = lab.present(
        "attacker",
        format!("uses the planted id {}", short(&planted)),
        &planted,
        &NEARBY,
        RequestKind::UserAction,
    );
    if !replay.is_ok_and(|a| a.user == Some(victim)) {
        return Some(Attempt::default());
    }
    let nodes = lab.info.from(Setting::LoginRotation);
    Some(Attempt::found(if issued.credential.value == planted {
        lab.observe(
            "SESS-FIX-NOROTATE",
            nodes,
            "Session fixation: the session id is not rotated at login, so an id the attacker \
             planted before the victim signed in becomes the victim's authenticated session.",
        )
    } else {
        lab.observe(
            "SESS-FIX-OLDID-ALIVE",
            nodes,
            "The session id is rotated at login but the pre-login id keeps working, so an \
             attacker who planted it is signed in as the victim. End the old id when rotating.",
        )
    }))
}

fn stale_privileges(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let change = lab.info.privilege_change.clone()?;
    let admin = lab.account(true, Role::ADMIN);
    lab.victim = admin;
    let session = lab.sign_in(admin, LAPTOP, SignIn::default()).ok()?;
    lab.wait(10 * MINUTE);
    lab.events += 1;
    let demoted = lab.engine.change_role(admin, Role::USER, None, &ELSEWHERE);
    let outcome = lab
        .said(&demoted, |_| None)
        .replace("as an anonymous visitor", "");
    lab.step(
        "admin",
        "removes the victim's administrator role".into(),
        outcome.trim().to_owned(),
        &change,
    );
    lab.wait(MINUTE);
    let used = lab.present(
        "user",
        "uses the session opened as an administrator for an admin action",
        &session.credential.value,
        &LAPTOP,
        RequestKind::StateChange,
    );
    match used {
        Ok(a) if a.role == Role::ADMIN => Some(Attempt::found(lab.observe(
            "SESS-PRIV-STALE",
            lab.info.from(Setting::PrivilegeChange),
            "A demoted administrator's existing session still carries the administrator role: \
             a role change must rotate the session or reload its privileges.",
        ))),
        _ => Some(Attempt::default()),
    }
}

fn skip_verification(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sign_up = lab.info.sign_up.clone()?;
    let user = lab.account(false, Role::USER);
    lab.victim = user;
    before_completion(
        lab,
        SignIn {
            at: Some(sign_up),
            ..SignIn::default()
        },
        MINUTE,
        "skips the emailed verification link and opens a protected page",
        "A full session is issued before the email address is verified: someone can sign \
         up with an address they do not own and use the account at once.",
    )
}

fn skip_mfa(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let login = lab.info.mfa_login.clone()?;
    before_completion(
        lab,
        SignIn {
            mfa: MfaStatus::Pending,
            at: Some(login),
            ..SignIn::default()
        },
        SECOND,
        "has the password but not the second factor, and opens a protected page",
        "A full session exists before the MFA step is completed: a stolen password alone \
         opens the account.",
    )
}

fn skip_reset(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let reset = lab.info.reset.clone()?;
    let victim = lab.victim;
    lab.events += 1;
    let opened = lab.engine.follow_reset_link(&LoginRequest {
        user: victim,
        client: ELSEWHERE,
        mfa: MfaStatus::NotEnrolled,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    });
    let outcome = match &opened {
        Ok(i) if i.access == crate::engine::Access::Full => "a full session is issued".to_owned(),
        Ok(_) => "a session that can only set the new password".to_owned(),
        Err(why) => format!("no session: {why}"),
    };
    lab.step(
        "attacker",
        format!(
            "follows the victim's reset link (leaked from a forwarded email) at {}",
            lab.label(&reset)
        ),
        outcome,
        &reset,
    );
    let Ok(issued) = opened else {
        return Some(Attempt::default());
    };
    lab.wait(SECOND);
    let used = lab.present(
        "attacker",
        "sets no new password and opens a protected page",
        &issued.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    proven(
        lab,
        used.is_ok(),
        "SESS-PREVERIFY",
        vec![reset],
        "The password-reset link opens a full session before the new password is set: whoever \
         gets hold of the link is signed in without ever choosing a password. Give the link a \
         session that can only set the new password.",
    )
}

/// The victim's account is signed in from the attacker's machine with a step still to do
/// (`how`), and after `pause` a protected page is opened: a gap when the engine serves it.
fn before_completion(
    lab: &mut Lab<'_, '_>,
    how: SignIn<'_>,
    pause: u64,
    action: &str,
    explanation: &str,
) -> Option<Attempt> {
    let victim = lab.victim;
    let issued = lab.sign_in(victim, ELSEWHERE, how).ok()?;
    lab.wait(pause);
    let used = lab.present(
        "attacker",
        action,
        &issued.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    proven(
        lab,
        used.is_ok(),
        "SESS-PREVERIFY",
        lab.info.from(Setting::AccountState),
        explanation,
    )
}

// ----- timeouts -----

/// The end of a scene whose gap is a credential that outlived a limit: the cause comes from
/// the engine's grounds for accepting it.
fn outlived(
    lab: &Lab<'_, '_>,
    accepted: Result<Accepted, Rejection>,
    what: &cause::Outlived,
) -> Option<Attempt> {
    let Ok(accepted) = accepted else {
        return Some(Attempt::default());
    };
    let profile = &lab.world.config.profile;
    Some(
        match cause::outlived(lab.info, profile, &accepted.grounds, what) {
            Some(c) => Attempt::found(lab.observe(c.id, c.nodes, c.explanation)),
            None => Attempt::default(),
        },
    )
}

/// Whether a drawn timeout lives only in the browser: the user's own browser then drops the
/// cookie when it runs out, and only a replayed copy (`replay_expired_cookie`) gets past it.
fn client_side_timer(lab: &Lab<'_, '_>, setting: Setting) -> bool {
    lab.info.policy.timeouts.enforcement == ExpiryEnforcement::ClientOnly
        && !lab.info.sources.of(setting).is_empty()
}

fn idle_user(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let limit = ms(lab.world.config.profile.idle_max?);
    if client_side_timer(lab, Setting::IdleTimeout) {
        return None;
    }
    let s = victim_session(lab)?;
    let away = limit + MINUTE;
    lab.wait(away);
    let r = lab.present(
        "user",
        format!(
            "comes back after {} without touching the page",
            human_ms(away)
        ),
        &s.credential.value,
        &LAPTOP,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::Unused { for_ms: away })
}

fn always_active(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let limit = ms(lab.world.config.profile.absolute_max?);
    if client_side_timer(lab, Setting::AbsoluteTimeout) {
        return None;
    }
    let s = victim_session(lab)?;
    let signed_in = lab.now;
    let pace = lab.active_pace();
    let span = limit + HOUR;
    let Ok(cred) = lab.stay_active(&s.credential.value, pace, span - pace) else {
        return Some(Attempt::default());
    };
    let node = lab.info.request.clone();
    lab.step(
        "user",
        format!("stays active, a request every {}", human_ms(pace)),
        "all accepted".into(),
        &node,
    );
    lab.wait((signed_in + span).saturating_sub(lab.now));
    let age = lab.now - signed_in;
    let r = lab.present(
        "user",
        format!("makes a request {} after signing in", human_ms(age)),
        &cred,
        &LAPTOP,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::Busy { age_ms: age })
}

fn pinging_tab(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (ping, every) = lab.info.ping.clone()?;
    let idle = lab.info.policy.timeouts.idle.map(ms)?;
    let s = victim_session(lab)?;
    let span = (2 * idle + MINUTE).min(8 * HOUR).max(every * 2);
    let mut pings = 0u64;
    let mut done = 0;
    let mut cred = s.credential.value.clone();
    while done + every <= span {
        lab.wait(every);
        done += every;
        pings += 1;
        match lab.quietly(&cred, &LAPTOP, RequestKind::Background) {
            Ok(a) => {
                if let Some(r) = a.renewed {
                    cred = r.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    lab.step(
        "user",
        format!(
            "leaves the tab open and does nothing; it pings every {} ({pings} pings)",
            human_ms(every)
        ),
        "all accepted".into(),
        &ping,
    );
    let r = lab.present(
        "user",
        format!(
            "clicks, {} after the last action (the idle timeout is {})",
            human_ms(done),
            human_ms(idle)
        ),
        &cred,
        &LAPTOP,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::Pinged { for_ms: done, ping })
}

fn replay_expired_cookie(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let t = &lab.info.policy.timeouts;
    if t.enforcement != ExpiryEnforcement::ClientOnly {
        return None; // the server checks: nothing for a replay to get past
    }
    let expiry = match (t.idle, t.absolute) {
        (Some(i), _) => ms(i),
        (None, Some(a)) => ms(a),
        (None, None) => return None,
    };
    let s = victim_session(lab)?;
    lab.wait(expiry + MINUTE);
    let node = lab.info.request.clone();
    lab.step(
        "user",
        format!(
            "walks away; after {} the page's timer deletes the cookie",
            human_ms(expiry)
        ),
        "cookie gone from the browser".into(),
        &node,
    );
    let r = lab.present(
        "attacker",
        "replays a copy of the cookie taken earlier",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::ClientTimer)
}

// ----- remember-me -----

fn remembered(lab: &mut Lab<'_, '_>) -> Option<(Issued, String)> {
    lab.info.remember_me.as_ref()?;
    let victim = lab.victim;
    let issued = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                remember: true,
                ..SignIn::default()
            },
        )
        .ok()?;
    let token = issued.remember_me.as_ref()?.value.clone();
    Some((issued, token))
}

fn auto_login(
    lab: &mut Lab<'_, '_>,
    actor: &str,
    action: String,
    token: &str,
    client: &Client<'_>,
) -> Result<Issued, Rejection> {
    lab.events += 1;
    let r = lab.engine.auto_login(token, client);
    let outcome = lab.said(&r, |i| Some(i.user));
    let node = lab
        .info
        .remember_me
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    lab.step(actor, action, outcome, &node);
    r
}

fn remember_me_late(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (_, mut token) = remembered(lab)?;
    let mut nodes = lab.info.from(Setting::RememberMeLifetime);
    nodes.extend(lab.info.from(Setting::RememberMe));
    let mut late_ok = false;
    if let Some(max) = lab.world.config.profile.remember_me_max {
        let late = ms(max) + DAY;
        lab.wait(late);
        let r = auto_login(
            lab,
            "user",
            format!(
                "returns {} later; the browser presents the remember-me token",
                human_ms(late)
            ),
            &token,
            &LAPTOP,
        );
        match r {
            Ok(i) => {
                late_ok = true;
                if let Some(t) = i.remember_me {
                    token = t.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    let at = lab.now;
    let day_400 = lab.origin + 400 * DAY + 9 * HOUR;
    lab.wait(day_400.saturating_sub(at));
    let r = auto_login(
        lab,
        "attacker",
        "at the victim's computer, presents the remember-me token on day 400".into(),
        &token,
        &LAPTOP,
    );
    if r.is_ok() {
        return Some(Attempt::found(lab.observe(
            "REMEMBER-NO-MAX",
            nodes,
            "The remember-me token never expires: it still signs in on day 400. Whoever \
             copies it once has the account for good. Give it a lifetime (30 days at most).",
        )));
    }
    if late_ok {
        let profile = lab.world.config.profile.name;
        lab.trace.pop();
        return Some(Attempt::found(lab.observe(
            "REMEMBER-TOO-LONG",
            nodes,
            format!("The remember-me token outlives what profile {profile} allows."),
        )));
    }
    Some(Attempt::default())
}

fn remember_me_other_device(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (_, token) = remembered(lab)?;
    lab.wait(HOUR);
    let r = auto_login(
        lab,
        "attacker",
        "copies the remember-me cookie to its own machine and opens the site".into(),
        &token,
        &ELSEWHERE,
    );
    proven(
        lab,
        r.is_ok(),
        "REMEMBER-UNBOUND",
        lab.info.from(Setting::RememberMe),
        "The remember-me token is not bound to the device it was issued to: copied to \
         another machine, it signs in there.",
    )
}

fn remember_me_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab.info.logout.clone()?;
    let (issued, token) = remembered(lab)?;
    let node = lab.info.remember_me.clone()?;
    lab.step(
        "attacker",
        "copies the remember-me cookie".into(),
        "copied".into(),
        &node,
    );
    lab.wait(HOUR);
    lab.log_out_at(&logout, &issued.credential.value, "logs out")?;
    lab.wait(DAY);
    let r = auto_login(
        lab,
        "attacker",
        "at the victim's computer, presents the copied remember-me token".into(),
        &token,
        &LAPTOP,
    );
    if r.is_ok() {
        let mut nodes = lab.info.from(Setting::RememberMe);
        nodes.push(logout);
        return Some(Attempt::found(lab.observe(
            "REMEMBER-STATIC",
            nodes,
            "The remember-me token is never rotated and survives logout: a copy keeps signing \
             in after the victim logged out. Rotate it on use and revoke it at logout.",
        )));
    }
    Some(Attempt::default())
}

fn remember_me_sensitive(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sensitive = lab.info.sensitive.clone()?;
    let (_, token) = remembered(lab)?;
    lab.wait(3 * DAY);
    let session = auto_login(
        lab,
        "attacker",
        "opens the victim's browser days later; remember-me signs it in".into(),
        &token,
        &LAPTOP,
    )
    .ok()?;
    lab.events += 1;
    let r = lab
        .engine
        .sensitive_action(&session.credential.value, &LAPTOP);
    let outcome = lab.said(&r, |a| a.user);
    lab.step(
        "attacker",
        format!("changes the email at {}", lab.label(&sensitive)),
        outcome,
        &sensitive,
    );
    if r.is_ok() {
        let mut nodes = lab.info.from(Setting::RememberMe);
        nodes.push(sensitive);
        return Some(Attempt::found(lab.observe(
            "REMEMBER-ESCALATION",
            nodes,
            "A remember-me auto-login grants sensitive actions: whoever holds the token can \
             change the email without proving the password. Ask for re-authentication.",
        )));
    }
    Some(Attempt::default())
}

// ----- logout and revocation -----

/// The victim signs in and uses the site; an attacker has copied the session credential.
fn copied(lab: &mut Lab<'_, '_>, how: &str) -> Option<Issued> {
    let s = victim_session(lab)?;
    lab.wait(30 * SECOND);
    let node = lab.info.request.clone();
    lab.step(
        "attacker",
        format!("copies the session credential ({how})"),
        "copied".into(),
        &node,
    );
    Some(s)
}

impl Lab<'_, '_> {
    /// What a drawn logout node does (its own endpoint, as the plan says).
    fn logout_endpoint(&self, node: &NodeId) -> LogoutEndpoint {
        match self.world.op(node) {
            Op::Logout(endpoint) => endpoint,
            _ => LogoutEndpoint {
                scope: LogoutScope::ThisDevice,
                invalidation: self.info.policy.logout.invalidation,
                refresh: self.info.policy.refresh.on_logout,
            },
        }
    }

    /// The user logs out at `node` with `cred`; the step records the engine's real answer.
    fn log_out_at(&mut self, node: &NodeId, cred: &str, action: &str) -> Option<LoggedOut> {
        let endpoint = self.logout_endpoint(node);
        self.events += 1;
        let out = self.engine.logout_at(cred, &LAPTOP, endpoint);
        let outcome = match &out {
            Ok(o) => format!("logged out; {} session(s) ended on the server", o.ended),
            Err(why) => format!("refused: {why}"),
        };
        self.step("user", action.to_owned(), outcome, node);
        out.ok()
    }

    /// The end of a replay after something that should have ended the credential: a gap when
    /// the engine accepted it, named from its grounds and from what the ending really did.
    fn survived(&self, p: &Probe, ending: &cause::Ending) -> Option<Observation> {
        let grounds = p.grounds.as_ref().filter(|_| p.accepted)?;
        let later = p.latency.filter(|_| p.revoked_later);
        let c = cause::survived(self.info, grounds, ending, later);
        Some(self.observe(c.id, c.nodes, c.explanation))
    }
}

/// A replay probe turned into an attempt: latency always, the finding when it got through.
fn replayed(lab: &Lab<'_, '_>, p: &Probe, ending: &cause::Ending) -> Attempt {
    let observation = lab.survived(p, ending);
    Attempt {
        succeeded: observation.is_some(),
        latency: Some(p.latency),
        observations: observation.into_iter().collect(),
        ..Attempt::default()
    }
}

fn replay_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab
        .info
        .logout
        .clone()
        .or_else(|| lab.info.logout_everywhere.clone())?;
    let s = copied(lab, "malware, a shared computer or a proxy log")?;
    lab.wait(30 * SECOND);
    let out = lab.log_out_at(&logout, &s.credential.value, "logs out")?;
    let p = lab.probe_after_revocation(
        "attacker",
        "the copied credential",
        &s.credential.value,
        &NEARBY,
    );
    let ending = cause::Ending::Logout {
        invalidation: lab.logout_endpoint(&logout).invalidation,
        node: logout,
        ended: out.ended,
    };
    Some(replayed(lab, &p, &ending))
}

fn refresh_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab
        .info
        .logout
        .clone()
        .or_else(|| lab.info.logout_everywhere.clone())?;
    let refresh = lab.info.refresh.clone()?;
    let s = copied(lab, "the refresh token, from a backup of the device")?;
    let token = s.refresh.as_ref()?.value.clone();
    lab.log_out_at(&logout, &s.credential.value, "logs out")?;
    lab.wait(MINUTE);
    lab.events += 1;
    let r = lab.engine.refresh(&token, &NEARBY, RequestKind::Background);
    let outcome = lab.said(&r, |i| Some(i.user));
    lab.step(
        "attacker",
        "exchanges the copied refresh token for a new access token".into(),
        outcome,
        &refresh,
    );
    let keeps = lab.logout_endpoint(&logout).refresh == RefreshOnLogout::Keep;
    if r.is_ok() {
        let mut nodes = vec![logout];
        nodes.push(refresh);
        let why = if keeps {
            "this logout is drawn to keep refresh tokens"
        } else {
            "the refresh token family was not ended"
        };
        return Some(Attempt::found(lab.observe(
            "RT-SURVIVES-LOGOUT",
            nodes,
            format!(
                "Logout does not revoke the refresh token ({why}): after the user logged out, \
                 the token still mints new access tokens."
            ),
        )));
    }
    Some(Attempt::default())
}

fn logout_everywhere(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let victim = lab.victim;
    let laptop = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                device: Some("laptop"),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    let phone = lab
        .sign_in(
            victim,
            PHONE,
            SignIn {
                device: Some("phone"),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    if lab
        .quietly(&laptop.credential.value, &LAPTOP, RequestKind::UserAction)
        .is_err()
    {
        // One session at a time: signing in on the phone already ended the laptop's.
        return Some(Attempt::default());
    }
    let drawn = lab.info.logout_everywhere.clone();
    let Some(everywhere) = drawn else {
        // Nothing to press: the user can only log out of the laptop.
        let logout = lab.info.logout.clone()?;
        lab.log_out_at(
            &logout,
            &laptop.credential.value,
            "looks for \"log out of all devices\" (the phone was lost); finds only this logout",
        )?;
        lab.wait(MINUTE);
        let r = lab.present(
            "user",
            "the phone (in someone else's hands) opens the app",
            &phone.credential.value,
            &PHONE,
            RequestKind::UserAction,
        );
        return proven(
            lab,
            r.is_ok(),
            "LOGOUT-OTHERS-NONE",
            vec![logout],
            "No \"log out of all devices\" is drawn: a user who lost a phone can only log out \
             where they are, and the session on the other device stays valid. Draw a logout \
             with the all-devices scope.",
        );
    };
    let out = lab.log_out_at(
        &everywhere,
        &laptop.credential.value,
        "on the laptop, logs out of all devices (the phone was lost)",
    )?;
    lab.wait(MINUTE);
    let r = lab.present(
        "user",
        "the phone (in someone else's hands) opens the app",
        &phone.credential.value,
        &PHONE,
        RequestKind::UserAction,
    );
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let ending = cause::Ending::Logout {
        invalidation: lab.logout_endpoint(&everywhere).invalidation,
        node: everywhere,
        ended: out.ended,
    };
    let c = cause::survived(lab.info, &accepted.grounds, &ending, None);
    Some(Attempt::found(lab.observe(c.id, c.nodes, c.explanation)))
}

fn replay_after_password_change(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let change = lab.info.password_change.clone()?;
    let endpoint = match lab.world.op(&change) {
        Op::PasswordChange(endpoint) => endpoint,
        _ => return None,
    };
    let victim = lab.victim;
    let stolen = lab.sign_in(victim, ELSEWHERE, SignIn::default()).ok()?;
    if let Some(step) = lab.trace.last_mut() {
        step.action = "signs in as the victim with a phished password".into();
        step.actor = "attacker".into();
    }
    lab.wait(5 * MINUTE);
    let own = lab.sign_in(victim, LAPTOP, SignIn::default()).ok()?;
    lab.wait(MINUTE);
    lab.events += 1;
    let changed =
        lab.engine
            .change_password_at(victim, Some(&own.credential.value), &LAPTOP, endpoint);
    let outcome = match &changed {
        Ok(c) => format!(
            "password changed; {} other session(s) ended",
            c.ended.sessions
        ),
        Err(why) => format!("refused: {why}"),
    };
    lab.step(
        "user",
        "notices, and changes the password".into(),
        outcome,
        &change,
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "its own session",
        &stolen.credential.value,
        &ELSEWHERE,
    );
    let keeps = endpoint.sessions == CredentialChange::KeepAll;
    let ending = cause::Ending::PasswordChange {
        node: change.clone(),
        keeps,
    };
    let mut attempt = replayed(lab, &p, &ending);
    if !p.accepted
        && let (Some(refresh), Some(token)) = (lab.info.refresh.clone(), stolen.refresh.as_ref())
    {
        lab.events += 1;
        let r = lab
            .engine
            .refresh(&token.value, &ELSEWHERE, RequestKind::Background);
        let outcome = lab.said(&r, |i| Some(i.user));
        lab.step(
            "attacker",
            "uses its refresh token".into(),
            outcome,
            &refresh,
        );
        if r.is_ok() {
            attempt.succeeded = true;
            let why = if endpoint.refresh == RefreshOnLogout::Keep {
                "this password change is drawn to keep refresh tokens"
            } else {
                "the refresh token family was not ended"
            };
            attempt.observations.push(lab.observe(
                "CRED-CHANGE-SURVIVE",
                vec![change, refresh],
                format!(
                    "Changing the password leaves refresh tokens alive ({why}): the attacker's \
                     refresh token still mints access tokens after the victim changed the \
                     password."
                ),
            ));
        }
    }
    Some(attempt)
}

fn replay_after_disable(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let disable = lab.info.account_disable.clone()?;
    let effect = match lab.world.op(&disable) {
        Op::Disable(effect) => effect,
        _ => return None,
    };
    let s = copied(lab, "the account is being taken over")?;
    lab.wait(30 * SECOND);
    lab.events += 1;
    let victim = lab.victim;
    let r = lab.engine.disable_account_with(victim, effect);
    let outcome = match &r {
        Ok(e) => format!("account disabled; {} session(s) ended", e.sessions),
        Err(why) => format!("refused: {why}"),
    };
    lab.step(
        "admin",
        format!("disables the account at {}", lab.label(&disable)),
        outcome,
        &disable,
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "the session of the disabled account",
        &s.credential.value,
        &NEARBY,
    );
    let ending = cause::Ending::Disable {
        node: disable,
        keeps: effect == DisableEffect::KeepSessions,
    };
    Some(replayed(lab, &p, &ending))
}

fn race_admin_kill(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let revoke = lab.info.admin_revoke.clone()?;
    let s = copied(lab, "an account takeover the fraud team just spotted")?;
    lab.wait(5 * MINUTE);
    lab.events += 1;
    let victim = lab.victim;
    let ended = lab.engine.admin_revoke(AdminScope::User(victim));
    lab.step(
        "admin",
        "ends all of the victim's sessions".into(),
        format!("{} session(s) ended", ended.sessions),
        &revoke,
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "the hijacked session, racing the kill",
        &s.credential.value,
        &NEARBY,
    );
    Some(replayed(
        lab,
        &p,
        &cause::Ending::AdminKill { node: revoke },
    ))
}

fn replay_after_idp_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let federated = lab.info.federated.clone()?;
    let victim = lab.victim;
    let idp = IdpSessionId(victim.0);
    let s = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                idp: Some(idp),
                at: Some(federated.clone()),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(5 * MINUTE);
    lab.events += 1;
    let ended = lab.engine.idp_logout(&IdpLogout {
        user: victim,
        idp_session: idp,
        browser_credential: Some(&s.credential.value),
    });
    lab.step(
        "idp",
        "the user signs out at the identity provider (or is disabled there)".into(),
        format!("the app ended {} session(s)", ended.sessions),
        &federated,
    );
    lab.wait(MINUTE);
    let r = lab.present(
        "attacker",
        "replays a copy of the app session taken before",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let ending = cause::Ending::IdpLogout {
        node: federated,
        ended: ended.sessions,
    };
    let c = cause::survived(lab.info, &accepted.grounds, &ending, None);
    Some(Attempt::found(lab.observe(c.id, c.nodes, c.explanation)))
}

// ----- theft, binding, tokens -----

/// Where the client keeps a credential, as the browser sees it.
/// Web storage (and a URL) is readable by any script on the page; a token held in the app's
/// memory is not stored anywhere a script can look it up, and an HttpOnly cookie is hidden.
fn readable_by_script(lab: &Lab<'_, '_>, c: &crate::engine::Credential) -> bool {
    match &c.set_cookie {
        Some(header) => SetCookie::parse(header).is_ok_and(|c| !c.http_only),
        None => lab.info.policy.cookie.storage == CredentialStorage::LocalStorage,
    }
}

fn sent_in_clear(c: &crate::engine::Credential) -> bool {
    c.set_cookie
        .as_deref()
        .is_some_and(|h| SetCookie::parse(h).is_ok_and(|c| !c.secure))
}

fn steal_xss(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(3 * MINUTE);
    let node = lab.info.request.clone();
    let readable = readable_by_script(lab, &s.credential);
    let place = if s.credential.set_cookie.is_some() {
        "document.cookie"
    } else {
        "web storage"
    };
    lab.step(
        "attacker",
        format!("an injected script (XSS) reads {place}"),
        if readable {
            "the session credential is readable".into()
        } else {
            "nothing: the credential is not readable by script".to_owned()
        },
        &node,
    );
    if !readable {
        return Some(Attempt::default());
    }
    lab.wait(MINUTE);
    // The injected script runs in the victim's own browser: it sends the stolen credential
    // from the victim's address with the victim's user agent, so client binding cannot tell.
    let r = lab.present(
        "attacker",
        "the script sends the stolen credential with its own requests, from the victim's browser",
        &s.credential.value,
        &XSS,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let mut nodes = lab.info.from(Setting::Cookie);
    nodes.push(lab.info.create.clone());
    let observation = lab.observe(
        "TOKEN-STORAGE",
        nodes,
        "The session credential is readable by script (localStorage, or a cookie without \
         HttpOnly): one XSS bug hands it to an attacker, whose script uses it from the \
         victim's own browser, where no client binding can tell it apart.",
    );
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &XSS);
    Some(Attempt {
        exposure: Some(exposure),
        ..Attempt::found(observation)
    })
}

fn steal_network(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(MINUTE);
    if !sent_in_clear(&s.credential) {
        return Some(Attempt::default());
    }
    let node = lab.info.request.clone();
    lab.step(
        "attacker",
        "on the café Wi-Fi, sees the cookie on a plain-HTTP request (no Secure attribute)".into(),
        "copied".into(),
        &node,
    );
    let r = lab.present(
        "attacker",
        "replays the sniffed cookie",
        &s.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &ELSEWHERE);
    Some(Attempt {
        succeeded: true,
        exposure: Some(exposure),
        ..Attempt::default()
    })
}

fn replay_from_elsewhere(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = copied(lab, "malware on the victim's laptop")?;
    lab.wait(MINUTE);
    let r = lab.present(
        "attacker",
        "replays it from another IP address and another browser",
        &s.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let observation = lab.observe(
        "BIND-NONE",
        lab.info.from(Setting::Binding),
        "The session is not bound to the client: a stolen cookie replayed from another IP \
         address and user agent is accepted without asking for the password.",
    );
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &ELSEWHERE);
    Some(Attempt {
        exposure: Some(exposure),
        ..Attempt::found(observation)
    })
}

fn replay_far_away(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(MINUTE);
    let cred = s.credential.value.clone();
    let _ = lab.present(
        "user",
        "uses the session in London",
        &cred,
        &LAPTOP,
        RequestKind::UserAction,
    );
    lab.wait(10 * MINUTE);
    let r = lab.present("attacker", "uses a copy of the session from New York (5,570 km away) ten minutes later, with the victim's browser string", &cred, &FAR_SAME_UA, RequestKind::UserAction);
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let drawn = lab.info.policy.binding.impossible_travel.is_some();
    if drawn && accepted.grounds.credential == crate::engine::CredentialKind::AccessToken {
        // The check is drawn, but a stateless token carries no location to compare.
        let mut nodes = lab.info.from(Setting::Binding);
        nodes.extend(lab.info.from(Setting::AccessLifetime));
        return Some(Attempt::found(lab.observe(
            "GEO-VELOCITY-NONE",
            nodes,
            format!(
                "The drawn impossible-travel check can only look at what the server keeps: the \
                 stateless access token carries no location, so a copy used from New York ten \
                 minutes after London was accepted, and will be for as long as the token lives \
                 ({}). Keep access tokens short, or check travel where tokens are refreshed.",
                human_ms(ms(lab.info.policy.tokens.access_lifetime))
            ),
        )));
    }
    Some(Attempt::found(lab.observe(
        "GEO-VELOCITY-NONE",
        lab.info.from(Setting::Binding),
        "Impossible travel is not detected (no travel check is drawn): the same session was \
         used from London and, ten minutes later, from New York (5,570 km away), and both were \
         accepted.",
    )))
}

fn replay_days_later(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = copied(lab, "a backup of the laptop")?;
    let start = lab.now;
    let mut ok = 0;
    for days in [1, 7, 30, 400] {
        lab.wait((start + days * DAY).saturating_sub(lab.now));
        let r = lab.present(
            "attacker",
            format!("replays the copy {days} day(s) later"),
            &s.credential.value,
            &NEARBY,
            RequestKind::UserAction,
        );
        if r.is_err() {
            break;
        }
        ok += 1;
    }
    Some(Attempt {
        succeeded: ok > 0,
        ..Attempt::default()
    })
}

fn token_mechanism(lab: &Lab<'_, '_>) -> bool {
    matches!(
        lab.info.policy.mechanism,
        Mechanism::SignedToken | Mechanism::Hybrid
    )
}

fn replay_expired_token(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if !token_mechanism(lab) {
        return None;
    }
    let s = copied(lab, "an access token from a log file")?;
    let expires = s.credential.expires_at?.as_millis();
    if expires.saturating_sub(lab.now) > 30 * DAY {
        return None;
    }
    lab.wait(expires.saturating_sub(lab.now) + MINUTE);
    let r = lab.present(
        "attacker",
        "replays the access token a minute after its exp",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    Some(Attempt::found(lab.observe(
        "JWT-VALIDATION-WEAK",
        lab.info.from(Setting::AccessToken),
        "Token validation is weak: an expired token (past its exp) is accepted.",
    )))
}

fn forge_alg_none(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism == Mechanism::ServerSide {
        return None;
    }
    victim_session(lab)?;
    let attacker = lab.account(true, Role::USER);
    let own = lab.sign_in(attacker, ELSEWHERE, SignIn::default()).ok()?;
    let mut claims = Claims::decode_unverified(&own.credential.value)?;
    claims.sub = lab.victim;
    let forged = claims.to_unsigned_token();
    let r = lab.present(
        "attacker",
        "edits its own token to name the victim, sets alg to none and drops the signature",
        &forged,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_ok_and(|a| a.user == Some(lab.victim)) {
        return Some(Attempt::found(lab.observe(
            "JWT-VALIDATION-WEAK",
            lab.info.from(Setting::AccessToken),
            "Token validation is weak: an unsigned token (alg: none) naming another user is \
             accepted, so anyone can be anyone.",
        )));
    }
    Some(Attempt::default())
}

fn replay_hours_later(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if !token_mechanism(lab) {
        return None;
    }
    let s = copied(lab, "an access token from a log file")?;
    lab.wait(2 * HOUR);
    let r = lab.present(
        "attacker",
        "replays the stolen access token two hours later",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let mut nodes = lab.info.from(Setting::AccessLifetime);
    nodes.extend(lab.info.from(Setting::AccessToken));
    Some(Attempt::found(lab.observe(
        "JWT-LONG-LIVED",
        nodes,
        "The access token lives for hours: a stolen one is usable long after the theft. \
         Keep access tokens to minutes (5–30) and refresh them.",
    )))
}

fn refresh(
    lab: &mut Lab<'_, '_>,
    actor: &str,
    action: String,
    token: &str,
    client: &Client<'_>,
) -> Result<Issued, Rejection> {
    lab.events += 1;
    let r = lab.engine.refresh(token, client, RequestKind::UserAction);
    let outcome = lab.said(&r, |i| Some(i.user));
    let node = lab
        .info
        .refresh
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    lab.step(actor, action, outcome, &node);
    r
}

fn reuse_refresh_token(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    lab.info.refresh.as_ref()?;
    let s = copied(lab, "the refresh token, from a backup")?;
    let r0 = s.refresh.as_ref()?.value.clone();
    lab.wait(5 * MINUTE);
    let g1 = refresh(
        lab,
        "user",
        "the app refreshes its tokens".into(),
        &r0,
        &LAPTOP,
    )
    .ok()?;
    let r1 = g1.refresh.as_ref().map_or(r0.clone(), |c| c.value.clone());
    lab.wait(5 * MINUTE);
    let g2 = refresh(lab, "user", "the app refreshes again".into(), &r1, &LAPTOP).ok()?;
    let r2 = g2.refresh.as_ref().map_or(r1.clone(), |c| c.value.clone());
    lab.wait(MINUTE);
    let stolen = refresh(
        lab,
        "attacker",
        "uses the copied (now two generations old) refresh token".into(),
        &r0,
        &NEARBY,
    );
    if stolen.is_err() {
        return Some(Attempt::default());
    }
    // Refresh tokens carry their issue time, so every answer looks new: whether the server
    // rotated is what the drawing says; that the old token worked is what the engine showed.
    let rotated = lab.info.policy.refresh.rotation == crate::engine::RefreshRotation::Rotate;
    let nodes = lab.info.from(Setting::Refresh);
    if rotated {
        return Some(Attempt::found(lab.observe(
            "RT-GRACE-WIDE",
            nodes,
            "Refresh tokens rotate, but a token two generations old is still accepted: the \
             grace window lets a thief keep refreshing.",
        )));
    }
    lab.wait(5 * MINUTE);
    let again = refresh(lab, "user", "the app refreshes again".into(), &r2, &LAPTOP);
    proven(
        lab,
        again.is_ok(),
        "RT-NO-ROTATION",
        nodes,
        "The refresh token is reusable and reuse is not detected: the attacker and the \
         victim both keep refreshing with the same token. Rotate on use and revoke the \
         family when an old one comes back.",
    )
}

fn refresh_for_a_year(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    lab.info.refresh.as_ref()?;
    let s = victim_session(lab)?;
    let mut token = s.refresh.as_ref()?.value.clone();
    // The shortest limit that could end an unused family first: the refresh token's own
    // sliding lifetime, and a server-enforced idle timeout (refreshing is activity).
    let policy = &lab.info.policy;
    let mut idle = match policy.refresh.expiry {
        crate::engine::RefreshExpiry::Sliding { idle, .. } => ms(idle),
        crate::engine::RefreshExpiry::Absolute { lifetime } => ms(lifetime),
    };
    if policy.timeouts.enforcement == ExpiryEnforcement::Server
        && let Some(session_idle) = policy.timeouts.idle
    {
        idle = idle.min(ms(session_idle));
    }
    let every = (29 * DAY)
        .min(idle.saturating_sub(DAY).max(idle / 2))
        .max(MINUTE);
    let start = lab.now;
    let mut n = 0;
    while lab.now - start < 366 * DAY {
        lab.wait(every);
        lab.events += 1;
        match lab.engine.refresh(&token, &LAPTOP, RequestKind::UserAction) {
            Ok(i) => {
                n += 1;
                if let Some(r) = i.refresh {
                    token = r.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    let node = lab.info.refresh.clone()?;
    lab.step(
        "user",
        format!(
            "refreshes every {} for a year ({n} refreshes)",
            human_ms(every)
        ),
        "all accepted".into(),
        &node,
    );
    let mut nodes = lab.info.from(Setting::RefreshLifetime);
    nodes.extend(lab.info.from(Setting::Refresh));
    Some(Attempt::found(lab.observe(
        "RT-NO-ABS-EXPIRY",
        nodes,
        "The refresh token slides with use and has no absolute expiry: used regularly, it \
         lives forever (here a year) without the user ever signing in again.",
    )))
}

/// What an attacker with the password alone gets at the flow's login: where a second factor is
/// drawn, the MFA step is still to do.
fn password_only(lab: &Lab<'_, '_>) -> MfaStatus {
    if lab.info.mfa_login.is_some() {
        MfaStatus::Pending
    } else {
        MfaStatus::NotEnrolled
    }
}

fn stuff_credentials(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    let victim = lab.victim;
    let mut opened = 0;
    let mfa = password_only(lab);
    for i in 0..50u8 {
        lab.events += 1;
        let client = Client {
            ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, i)),
            ..ELSEWHERE
        };
        if lab
            .engine
            .login(&LoginRequest {
                user: victim,
                client,
                mfa,
                remember_me: RememberMe::No,
                presented_id: None,
                idp_session: None,
            })
            .is_ok()
        {
            opened += 1;
        }
        lab.wait(SECOND);
    }
    let node = lab
        .info
        .login
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    lab.step(
        "attacker",
        "signs in 50 times with the leaked password, from 50 addresses".into(),
        format!("{opened} sessions opened"),
        &node,
    );
    let r = lab.present(
        "user",
        "carries on, unaware",
        &s.credential.value,
        &LAPTOP,
        RequestKind::UserAction,
    );
    // Stateless tokens stay valid after their session was evicted: count what the server holds.
    let held = lab.engine.user_sessions(victim);
    let no_state = matches!(
        lab.info.policy.mechanism,
        Mechanism::SignedToken | Mechanism::ClientCookie
    );
    if opened == 50 && r.is_ok() && (no_state || held > 50) {
        return Some(Attempt::found(lab.observe(
            "CONC-UNLIMITED",
            lab.info.from(Setting::Concurrency),
            "There is no limit on concurrent sessions: a credential stuffer opened 50 sessions \
             next to the user's and nothing noticed. Limit sessions (3–5) and show them to the \
             user.",
        )));
    }
    // Signing in with a leaked password is what a login is for: the attack succeeds only when
    // the sessions pile up unnoticed, which is the finding above.
    Some(Attempt::default())
}

fn evict_victim(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    let victim = lab.victim;
    lab.wait(30 * SECOND);
    lab.events += 1;
    let mfa = password_only(lab);
    let login = lab.engine.login(&LoginRequest {
        user: victim,
        client: ELSEWHERE,
        mfa,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    });
    let outcome = lab.said(&login, |i| Some(i.user));
    let node = lab
        .info
        .login
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    lab.step(
        "attacker",
        "signs in once as the victim".into(),
        outcome,
        &node,
    );
    lab.wait(10 * SECOND);
    let r = lab.present(
        "user",
        format!(
            "clicks on in the session it already had at {}",
            lab.label(&lab.info.request)
        ),
        &s.credential.value,
        &LAPTOP,
        RequestKind::UserAction,
    );
    if login.is_ok() && r.is_err() {
        return Some(Attempt::found(lab.observe(
            "CONC-EVICTION-DOS",
            lab.info.from(Setting::Concurrency),
            "One session per user, last login wins: a single sign-in by an attacker (or a \
             prankster with the password) logs the real user out, and can keep doing so.",
        )));
    }
    Some(Attempt::default())
}

fn hijack_sensitive_action(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sensitive = lab.info.sensitive.clone()?;
    let s = victim_session(lab)?;
    let pace = lab.active_pace();
    let cred = lab.stay_active(&s.credential.value, pace, HOUR).ok()?;
    let node = lab.info.request.clone();
    lab.step(
        "user",
        format!("works for an hour, a request every {}", human_ms(pace)),
        "all accepted".into(),
        &node,
    );
    lab.events += 1;
    let r = lab.engine.sensitive_action(&cred, &NEARBY);
    let outcome = lab.said(&r, |a| a.user);
    lab.step(
        "attacker",
        format!("rides the session (XSS) to {}", lab.label(&sensitive)),
        outcome,
        &sensitive,
    );
    let drawn = !lab.info.sources.of(Setting::Reauth).is_empty()
        && lab.info.policy.reauth.max_auth_age.is_some();
    let mut nodes = lab.info.from(Setting::Reauth);
    nodes.push(sensitive.clone());
    if r.is_ok() && !drawn {
        return Some(Attempt::found(lab.observe(
            "REAUTH-SENSITIVE-NONE",
            nodes,
            "A sensitive action (email, password or payout change) needs no re-authentication: \
             whoever rides the session takes over the account.",
        )));
    }
    // With re-authentication drawn: is "recent" really recent?
    let early = r.is_ok();
    let cred = match r {
        Ok(a) => a.renewed.map_or(cred, |c| c.value),
        Err(_) => cred,
    };
    let cred = lab.stay_active(&cred, pace, 10 * HOUR).ok();
    let Some(cred) = cred else {
        return Some(Attempt::default());
    };
    lab.step(
        "user",
        "keeps working through the day".into(),
        "all accepted".into(),
        &node,
    );
    lab.events += 1;
    let late = lab.engine.sensitive_action(&cred, &NEARBY);
    let outcome = lab.said(&late, |a| a.user);
    lab.step(
        "attacker",
        format!("11 hours after sign-in, goes to {}", lab.label(&sensitive)),
        outcome,
        &sensitive,
    );
    if late.is_ok() {
        return Some(Attempt::found(lab.observe(
            if drawn {
                "REAUTH-STALE"
            } else {
                "REAUTH-SENSITIVE-NONE"
            },
            nodes,
            "\"Recent login\" is not recent: a sensitive action 11 hours after the password \
             was last entered is accepted (re-authentication measured from the session's \
             age, or a window that is too long).",
        )));
    }
    Some(Attempt {
        succeeded: early,
        ..Attempt::default()
    })
}
