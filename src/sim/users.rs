//! Virtual users: the map's personas walking the drawn flow against the shard's engines.
//!
//! Each day a user may be active (days a week), makes its visits at random times within its
//! active hours, and on each visit resumes its session or signs in through a drawn entry point,
//! then walks the drawn transitions (choosing by weight, waiting by trigger and think time),
//! performing each stage's operation against the engine. Pauses, background tabs, remember-me,
//! forgotten logouts, password changes, disables and second devices come from the personas.
//! What users suffer (a mid-task logout, a re-auth prompt, a lock-out, lost work) is counted,
//! and the first case of each is kept as evidence.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rand::RngExt as _;
use rand_chacha::ChaCha8Rng;

use super::findings::Observation;
use super::queue::RadixHeap;
use super::shard::{DAY, Engine, HOUR, MINUTE, ShardResult, World, ms};
use super::{Control, SHARD_USERS};
use crate::compile::{Op as PlanOp, Plan, Setting, SignIn as SignInHow};
use crate::engine::{
    AccountSetup, Client, DeviceCategory, DeviceId, IdpSessionId, LoginRequest, LogoutEndpoint,
    ManualClock, MfaStatus, PasswordChangeEndpoint, Rejection, RememberMe, RequestKind, Role,
    Timestamp, UserId,
};
use crate::model::{Behaviour, Device, Map, NodeId, Trigger};
use crate::report::metrics::percent_text;
use crate::report::{Gap, Step};

/// Bits of a packed event key that name who acts (users are below `SAMPLER`).
const WHO_BITS: u32 = 13;
const WHO_MASK: u64 = (1 << WHO_BITS) - 1;
/// The hourly sampler's place in the event queue (after every user at the same instant).
const SAMPLER: u32 = (1 << WHO_BITS) - 1;
const _: () = assert!(SHARD_USERS < SAMPLER as u64);

/// A user gives up waiting for a background tab after this long.
const TAB_OPEN_MAX: u64 = 8 * HOUR;
/// Share of first visits that go through sign-up, where it is drawn.
const SIGN_UP_SHARE: f64 = 0.1;
/// Share of visits in which a user who walks away does so.
const WALK_AWAY_SHARE: f64 = 0.3;

/// What a user does at a node.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Entry {
        mfa: bool,
        federated: bool,
    },
    SignUp,
    RememberEntry,
    Create(u16),
    Request(RequestKind),
    Ping(u64),
    Sensitive(crate::engine::ReauthPolicy),
    Refresh,
    Logout(LogoutEndpoint),
    PasswordChange(PasswordChangeEndpoint),
    /// Timeouts, stores, other flows' stages: nothing to do.
    Pass,
}

#[derive(Clone, Copy, Debug)]
enum Delay {
    Think,
    Fixed(u64),
    Now,
}

#[derive(Clone, Copy, Debug)]
struct Out {
    to: u32,
    delay: Delay,
    weight: u32,
}

#[derive(Clone, Debug)]
struct WNode {
    op: Op,
    out: Vec<Out>,
}

/// A persona, read once into the numbers the walk needs.
#[derive(Clone, Debug)]
struct PersonaPlan {
    share: u32,
    visits_per_day: u32,
    think_ms: u64,
    active_start: u64,
    active_len: u64,
    day_chance: f64,
    devices: Vec<DeviceCategory>,
    remember: bool,
    forgets_logout: bool,
    walks_away: Option<u64>,
    keeps_tab: bool,
    password_every: Option<u64>,
    long_forms: bool,
    disabled: bool,
    everywhere: bool,
    /// Entry nodes a visit starts from, with weights.
    entries: Vec<(u32, u32)>,
    remember_entry: Option<u32>,
    sign_up: Option<u32>,
}

/// The drawn flow as the walk reads it: nodes by map position, personas, entries.
pub(super) struct Walk {
    nodes: Vec<WNode>,
    personas: Vec<PersonaPlan>,
    /// The logout node each flow offers (to log out at the end of a visit).
    flow_logout: Vec<Option<u32>>,
    /// What each flow's drawn "log out everywhere" does, if one is drawn.
    flow_logout_everywhere: Vec<Option<LogoutEndpoint>>,
    flow_ping: Vec<Option<(u32, u64)>>,
    /// The create-session node of each flow.
    creates: Vec<u32>,
    ids: Vec<NodeId>,
}

impl Walk {
    pub(super) fn new(map: &Map, plan: &Plan, flows: &[super::shard::FlowInfo]) -> Self {
        let index = |id: &NodeId| map.nodes.iter().position(|n| &n.id == id);
        let mut nodes: Vec<WNode> = map
            .nodes
            .iter()
            .map(|n| WNode {
                op: op_of(plan.ops.of(&n.id)),
                out: Vec::new(),
            })
            .collect();
        for e in &map.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                continue;
            };
            let delay = match e.trigger {
                Trigger::UserAction => Delay::Think,
                Trigger::After(span) => Delay::Fixed(span.to_duration().map_or(0, ms)),
                Trigger::System => Delay::Now,
                Trigger::Attach => continue,
            };
            nodes[from].out.push(Out {
                to: to as u32,
                delay,
                weight: e.weight.max(1),
            });
        }
        let reaches_create = |start: usize| {
            let mut seen = vec![false; nodes.len()];
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                if matches!(nodes[i].op, Op::Create(_)) {
                    return true;
                }
                stack.extend(nodes[i].out.iter().map(|o| o.to as usize));
            }
            false
        };
        let entry_nodes: Vec<usize> = (0..nodes.len())
            .filter(|&i| {
                matches!(
                    nodes[i].op,
                    Op::Entry { .. } | Op::SignUp | Op::RememberEntry
                ) && reaches_create(i)
            })
            .collect();
        let in_lane = |i: usize, lane: &Option<crate::model::LaneId>| {
            lane.is_none() || map.nodes[i].lane == *lane
        };
        let personas = map
            .personas
            .iter()
            .map(|p| {
                let pick = |want: fn(&Op) -> bool| {
                    let of_lane: Vec<usize> = entry_nodes
                        .iter()
                        .copied()
                        .filter(|&i| want(&nodes[i].op) && in_lane(i, &p.lane))
                        .collect();
                    if of_lane.is_empty() {
                        entry_nodes
                            .iter()
                            .copied()
                            .filter(|&i| want(&nodes[i].op))
                            .collect()
                    } else {
                        of_lane
                    }
                };
                let entries = pick(|op| matches!(op, Op::Entry { .. }))
                    .into_iter()
                    .map(|i| {
                        let w = nodes[i].out.iter().map(|o| o.weight).max().unwrap_or(1);
                        (i as u32, w)
                    })
                    .collect();
                let has = |b: fn(&Behaviour) -> bool| p.behaviours.iter().any(b);
                let (start, end) = (
                    u64::from(p.active_hours.start.min(24)),
                    u64::from(p.active_hours.end.min(24)),
                );
                let len = if end > start {
                    end - start
                } else {
                    end + 24 - start
                };
                PersonaPlan {
                    share: p.share,
                    visits_per_day: p.visits_per_day.clamp(1, 48),
                    think_ms: p.think_time.to_duration().map_or(30_000, ms).max(1_000),
                    active_start: start * HOUR,
                    active_len: len.max(1) * HOUR,
                    day_chance: f64::from(p.days_per_week.clamp(1, 7)) / 7.0,
                    devices: if p.devices.is_empty() {
                        vec![DeviceCategory::Desktop]
                    } else {
                        p.devices.iter().map(|d| category(*d)).collect()
                    },
                    remember: has(|b| matches!(b, Behaviour::TicksRememberMe)),
                    forgets_logout: has(|b| matches!(b, Behaviour::ForgetsToLogOut)),
                    walks_away: p.behaviours.iter().find_map(|b| match b {
                        Behaviour::WalksAway { pause } => pause.to_duration().map(ms),
                        _ => None,
                    }),
                    keeps_tab: has(|b| matches!(b, Behaviour::KeepsTabOpen)),
                    password_every: p.behaviours.iter().find_map(|b| match b {
                        Behaviour::ChangesPassword { every } => every.to_duration().map(ms),
                        _ => None,
                    }),
                    long_forms: has(|b| matches!(b, Behaviour::WritesLongForms)),
                    disabled: has(|b| matches!(b, Behaviour::GetsDisabled)),
                    everywhere: has(|b| matches!(b, Behaviour::LogsOutEverywhere)),
                    entries,
                    remember_entry: pick(|op| matches!(op, Op::RememberEntry))
                        .first()
                        .map(|&i| i as u32),
                    sign_up: pick(|op| matches!(op, Op::SignUp))
                        .first()
                        .map(|&i| i as u32),
                }
            })
            .filter(|p| p.share > 0 && !p.entries.is_empty())
            .collect();
        Walk {
            personas,
            flow_logout: flows
                .iter()
                .map(|f| {
                    f.logout
                        .as_ref()
                        .or(f.logout_everywhere.as_ref())
                        .and_then(index)
                        .map(|i| i as u32)
                })
                .collect(),
            flow_logout_everywhere: flows
                .iter()
                .map(
                    |f| match f.logout_everywhere.as_ref().map(|n| plan.ops.of(n)) {
                        Some(PlanOp::Logout(endpoint)) => Some(endpoint),
                        _ => None,
                    },
                )
                .collect(),
            flow_ping: flows
                .iter()
                .map(|f| {
                    f.ping
                        .as_ref()
                        .and_then(|(id, every)| index(id).map(|i| (i as u32, *every)))
                })
                .collect(),
            creates: (0..flows.len())
                .map(|f| {
                    nodes
                        .iter()
                        .position(|n| n.op == Op::Create(f as u16))
                        .unwrap_or(0) as u32
                })
                .collect(),
            ids: map.nodes.iter().map(|n| n.id.clone()).collect(),
            nodes,
        }
    }
}

/// The walk's compact form of what the plan says a node does.
fn op_of(op: PlanOp) -> Op {
    match op {
        // A reset link completed by the user ends in an ordinary sign-in; what a reset link
        // gives before completion is played by the attack scenes.
        PlanOp::SignIn(how) => Op::Entry {
            mfa: how == SignInHow::Password { mfa: true },
            federated: how == SignInHow::Federated,
        },
        PlanOp::SignUp => Op::SignUp,
        PlanOp::RememberMe => Op::RememberEntry,
        PlanOp::Create { flow } => u16::try_from(flow).map_or(Op::Pass, Op::Create),
        PlanOp::Request(kind) => Op::Request(kind),
        PlanOp::Ping { every } => Op::Ping(ms(every).max(1_000)),
        PlanOp::Sensitive(reauth) => Op::Sensitive(reauth),
        PlanOp::Refresh => Op::Refresh,
        PlanOp::Logout(endpoint) => Op::Logout(endpoint),
        PlanOp::PasswordChange(endpoint) => Op::PasswordChange(endpoint),
        // An operator's own pages are requests of the operator's session; what they do to other
        // users' sessions is played by the attack scenarios, which follow one victim closely.
        PlanOp::Disable(_) | PlanOp::AdminRevoke | PlanOp::PrivilegeChange => {
            Op::Request(RequestKind::StateChange)
        }
        PlanOp::Configure => Op::Pass,
    }
}

fn category(d: Device) -> DeviceCategory {
    match d {
        Device::Desktop => DeviceCategory::Desktop,
        Device::Mobile => DeviceCategory::Mobile,
        Device::Tablet => DeviceCategory::Tablet,
    }
}

pub(super) fn user_agent(c: DeviceCategory) -> &'static str {
    match c {
        DeviceCategory::Desktop => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0",
        DeviceCategory::Mobile => "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/605.1",
        DeviceCategory::Tablet => "Mozilla/5.0 (iPad; CPU OS 18_0) Safari/605.1",
        DeviceCategory::Api => "app-client/2.4",
    }
}

/// What the population went through, summed over shards.
#[derive(Clone, Debug, Default)]
pub(super) struct Tally {
    pub active_user_days: u64,
    pub days_with_unexpected: u64,
    pub unexpected: u64,
    pub reauth_prompts: u64,
    /// User-days with a mid-task idle expiry.
    pub idle_expiry_days: u64,
    pub multi_device_user_days: u64,
    /// Sessions of multi-device users ended by their own login elsewhere.
    pub own_evictions: u64,
    pub lockouts: u64,
    pub lost_work: u64,
    /// Unexpected logouts on each day.
    pub unexpected_by_day: Vec<u64>,
    /// The first case of each kind, as evidence.
    pub examples: Vec<Observation>,
}

impl Tally {
    pub(super) fn add(&mut self, o: &Tally) {
        self.active_user_days += o.active_user_days;
        self.days_with_unexpected += o.days_with_unexpected;
        self.unexpected += o.unexpected;
        self.reauth_prompts += o.reauth_prompts;
        self.idle_expiry_days += o.idle_expiry_days;
        self.multi_device_user_days += o.multi_device_user_days;
        self.own_evictions += o.own_evictions;
        self.lockouts += o.lockouts;
        self.lost_work += o.lost_work;
        if self.unexpected_by_day.len() < o.unexpected_by_day.len() {
            self.unexpected_by_day.resize(o.unexpected_by_day.len(), 0);
        }
        for (t, p) in self.unexpected_by_day.iter_mut().zip(&o.unexpected_by_day) {
            *t += p;
        }
        for e in &o.examples {
            if !self
                .examples
                .iter()
                .any(|k| k.id == e.id && k.flow == e.flow)
            {
                self.examples.push(e.clone());
            }
        }
    }

    /// Counts `n` unexpected logouts at time `now`.
    fn unexpected_at(&mut self, now: u64, n: u64) {
        self.unexpected += n;
        let day = (now / DAY) as usize;
        if self.unexpected_by_day.len() <= day {
            self.unexpected_by_day.resize(day + 1, 0);
        }
        self.unexpected_by_day[day] += n;
    }

    fn example(&mut self, o: Observation) {
        if !self
            .examples
            .iter()
            .any(|k| k.id == o.id && k.flow == o.flow)
        {
            self.examples.push(o);
        }
    }
}

/// Findings that only a population shows, when it shows them often enough.
pub(super) fn population_findings(world: &World<'_>, t: &Tally) -> Vec<crate::report::Finding> {
    let days = t.active_user_days.max(1) as f64;
    // Rounded as the metrics are, so the finding and the metric print the same figure.
    let idle_share = (t.idle_expiry_days as f64 / days * 1000.0).round() / 1000.0;
    let eviction_rate = t.own_evictions as f64 * 100.0 / t.multi_device_user_days.max(1) as f64;
    t.examples
        .iter()
        .filter(|o| match o.id {
            Gap::UsabIdleFriction => idle_share > 0.05,
            Gap::UsabSingleFriction => eviction_rate >= 1.0,
            _ => true,
        })
        .filter_map(|o| {
            let mut o = o.clone();
            match o.id {
                Gap::UsabIdleFriction => o.explanation.push_str(&format!(
                    " In this run {} of active user-days had such a logout ({} of {}; the \
                     metric \"user-days with idle logout\"); the limit is 5%.",
                    percent_text(idle_share),
                    t.idle_expiry_days,
                    t.active_user_days
                )),
                Gap::UsabSingleFriction => o.explanation.push_str(&format!(
                    " In this run: {eviction_rate:.1} unexpected logouts per 100 user-days of \
                     multi-device users ({} in {} user-days).",
                    t.own_evictions, t.multi_device_user_days
                )),
                Gap::UsabNoWarning => o.explanation.push_str(&format!(
                    " In this run {} users lost work this way.",
                    t.lost_work
                )),
                Gap::ConcEvictionDos => o.explanation.push_str(&format!(
                    " In this run {} sign-ins were refused this way.",
                    t.lockouts
                )),
                _ => {}
            }
            super::findings::finding(world, o)
        })
        .collect()
}

#[derive(Clone, Debug, Default)]
struct Dev {
    category: DeviceCategory,
    flow: u16,
    cred: Option<String>,
    refresh: Option<String>,
    remember: Option<String>,
    /// When and where the current session started (for evidence).
    signed_in: Option<(u64, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Day,
    Visit,
    Step {
        node: u32,
    },
    /// A tab pings in the background until `until`, then the user takes step `then` (or,
    /// without one, the tab is closed and the next visit waits).
    Tab {
        until: u64,
        then: Option<u32>,
    },
    Done,
}

struct User {
    id: UserId,
    persona: u16,
    devices: Vec<Dev>,
    device: u8,
    phase: Phase,
    day: u32,
    visits: Vec<u64>,
    left: u16,
    pause_before: u16,
    /// Per flow: whether the engine knows this account.
    accounts: u64,
    visited: bool,
    password_changed: u64,
    disable_at: Option<u64>,
    disabled: bool,
    unexpected_today: bool,
    idle_today: bool,
    /// Work lost to a mid-task expiry, to be restored (or not) at the next sign-in.
    lost_pending: Option<(u64, u32)>,
    /// The last user action: (time, node), for evidence.
    last_action: (u64, u32),
}

/// One shard's population.
struct Population<'w, 'a> {
    world: &'w World<'a>,
    walk: &'w Walk,
    clock: &'w ManualClock,
    engines: &'w mut [Option<Engine>],
    rng: &'w mut ChaCha8Rng,
    users: Vec<User>,
    tally: Tally,
    events: u64,
    horizon: u64,
}

/// Plays a shard's slice of the population over the horizon. `None` when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn play(
    world: &World<'_>,
    first: u64,
    count: u64,
    clock: &ManualClock,
    engines: &mut [Option<Engine>],
    rng: &mut ChaCha8Rng,
    result: &mut ShardResult,
    control: &Control,
) -> Option<()> {
    let walk = &world.walk;
    let horizon = u64::from(world.config.days) * DAY;
    let total_share: u64 = walk.personas.iter().map(|p| u64::from(p.share)).sum();
    let mut pop = Population {
        world,
        walk,
        clock,
        engines,
        rng,
        users: Vec::with_capacity(count as usize),
        tally: Tally::default(),
        events: 0,
        horizon,
    };
    // Events are packed as `time << 13 | who` (a shard has at most 4,096 users plus the
    // sampler), ordered by time then user; everyone schedules itself at or after now.
    let mut heap = RadixHeap::new();
    let key = |t: u64, who: u32| t << WHO_BITS | u64::from(who);
    if total_share > 0 {
        for i in 0..count {
            let mut roll = pop.rng.random_range(0..total_share);
            let persona = walk
                .personas
                .iter()
                .position(|p| {
                    let s = u64::from(p.share);
                    if roll < s {
                        true
                    } else {
                        roll -= s;
                        false
                    }
                })
                .unwrap_or(0);
            let plan = &walk.personas[persona];
            let disable_at =
                (plan.disabled && horizon > 0).then(|| pop.rng.random_range(0..horizon));
            pop.users.push(User {
                id: UserId(first + i + 1),
                persona: persona as u16,
                devices: plan
                    .devices
                    .iter()
                    .map(|&category| Dev {
                        category,
                        ..Dev::default()
                    })
                    .collect(),
                device: 0,
                phase: Phase::Day,
                day: 0,
                visits: Vec::new(),
                left: 0,
                pause_before: u16::MAX,
                accounts: 0,
                visited: false,
                password_changed: 0,
                disable_at,
                disabled: false,
                unexpected_today: false,
                idle_today: false,
                lost_pending: None,
                last_action: (0, 0),
            });
            heap.push(key(0, i as u32));
        }
    }
    let hours = horizon / HOUR;
    result.hourly_sessions = vec![0; hours as usize];
    result.hourly_bytes = vec![0; hours as usize];
    if hours > 0 {
        heap.push(key(HOUR, SAMPLER));
    }
    let mut since_check = 0u32;
    while let Some(packed) = heap.pop() {
        let (now, who) = (packed >> WHO_BITS, (packed & WHO_MASK) as u32);
        since_check += 1;
        if since_check >= 4096 {
            since_check = 0;
            if control.is_cancelled() {
                return None;
            }
        }
        pop.clock.set(Timestamp::from_millis(now));
        if who == SAMPLER {
            let hour = (now / HOUR) as usize;
            let (mut live, mut bytes) = (0, 0);
            for e in pop.engines.iter_mut().flatten() {
                e.sweep();
                live += e.live_sessions() as u64;
                bytes += e.table_bytes() as u64;
            }
            if let Some(slot) = result.hourly_sessions.get_mut(hour - 1) {
                *slot = live;
                result.hourly_bytes[hour - 1] = bytes;
            }
            if now + HOUR <= horizon {
                heap.push(key(now + HOUR, SAMPLER));
            }
            continue;
        }
        if let Some(next) = pop.act(who as usize, now) {
            heap.push(key(next, who));
        }
    }
    for u in &pop.users {
        // The last day's counters.
        if u.unexpected_today {
            pop.tally.days_with_unexpected += 1;
        }
        if u.idle_today {
            pop.tally.idle_expiry_days += 1;
        }
    }
    result.events += pop.events;
    result.population = pop.tally;
    debug_assert!(count <= SHARD_USERS);
    Some(())
}

impl<'w> Population<'w, '_> {
    fn plan(&self, u: usize) -> &'w PersonaPlan {
        let walk: &'w Walk = self.walk;
        &walk.personas[self.users[u].persona as usize]
    }

    fn client(&self, u: usize) -> Client<'static> {
        let user = &self.users[u];
        let dev = &user.devices[user.device as usize];
        let n = user.id.0;
        Client {
            ip: IpAddr::V4(Ipv4Addr::new(
                10,
                (n >> 16) as u8,
                (n >> 8) as u8,
                (n as u8) ^ user.device,
            )),
            user_agent: user_agent(dev.category),
            geo: None,
            device: DeviceId(n * 8 + u64::from(user.device)),
            category: dev.category,
        }
    }

    fn dev(&mut self, u: usize) -> &mut Dev {
        let user = &mut self.users[u];
        &mut user.devices[user.device as usize]
    }

    /// Handles the user's pending event; returns when the next one is due.
    fn act(&mut self, u: usize, now: u64) -> Option<u64> {
        match self.users[u].phase {
            Phase::Day => self.start_day(u, now),
            Phase::Visit => self.start_visit(u, now),
            Phase::Step { node } => self.step(u, node, now),
            Phase::Tab { until, then } => self.tab_ping(u, now, until, then),
            Phase::Done => None,
        }
    }

    fn start_day(&mut self, u: usize, now: u64) -> Option<u64> {
        let user = &mut self.users[u];
        if user.unexpected_today {
            self.tally.days_with_unexpected += 1;
        }
        if user.idle_today {
            self.tally.idle_expiry_days += 1;
        }
        user.unexpected_today = false;
        user.idle_today = false;
        let day_start = u64::from(user.day) * DAY;
        if day_start >= self.horizon {
            user.phase = Phase::Done;
            return None;
        }
        user.day += 1;
        let plan = &self.walk.personas[user.persona as usize];
        let active = self.rng.random_bool(plan.day_chance);
        user.visits.clear();
        if active {
            self.tally.active_user_days += 1;
            if plan.devices.len() > 1 {
                self.tally.multi_device_user_days += 1;
            }
            for _ in 0..plan.visits_per_day {
                let at = day_start + plan.active_start + self.rng.random_range(0..plan.active_len);
                user.visits.push(at.max(now));
            }
            user.visits.sort_unstable_by(|a, b| b.cmp(a));
        }
        self.next_visit_or_day(u, now)
    }

    fn next_visit_or_day(&mut self, u: usize, now: u64) -> Option<u64> {
        let user = &mut self.users[u];
        match user.visits.pop() {
            Some(at) => {
                user.phase = Phase::Visit;
                Some(at.max(now))
            }
            None => {
                user.phase = Phase::Day;
                Some((u64::from(user.day) * DAY).max(now))
            }
        }
    }

    /// Presents the current device's session credential; a renewed one replaces it. `None`
    /// when the device holds none (or its flow has no engine). No allocation on the way.
    fn validate(&mut self, u: usize, kind: RequestKind) -> Option<Result<(), Rejection>> {
        let client = self.client(u);
        let user = &mut self.users[u];
        let dev = &mut user.devices[user.device as usize];
        let cred = dev.cred.as_deref()?;
        let engine = self.engines.get_mut(dev.flow as usize)?.as_mut()?;
        self.events += 1;
        Some(match engine.validate(cred, &client, kind) {
            Ok(a) => {
                if let Some(renewed) = a.renewed {
                    dev.cred = Some(renewed.value);
                }
                Ok(())
            }
            Err(why) => Err(why),
        })
    }

    /// [`Engine::background_run`] with the current device's credential, from now until
    /// `until`; counts each ping it made as an event, as [`Self::validate`] does.
    fn background_run(&mut self, u: usize, every: u64, until: u64) -> u64 {
        let client = self.client(u);
        let user = &self.users[u];
        let dev = &user.devices[user.device as usize];
        let (Some(cred), Some(Some(engine))) =
            (dev.cred.as_deref(), self.engines.get_mut(dev.flow as usize))
        else {
            return 0;
        };
        let made = engine.background_run(
            cred,
            &client,
            Duration::from_millis(every),
            Timestamp::from_millis(until),
        );
        self.events += made;
        made
    }

    fn engine(&mut self, flow: u16) -> Option<&mut Engine> {
        self.events += 1;
        self.engines.get_mut(flow as usize)?.as_mut()
    }

    fn start_visit(&mut self, u: usize, now: u64) -> Option<u64> {
        if let Some(at) = self.users[u].disable_at
            && now >= at
            && !self.users[u].disabled
        {
            self.disable(u, now);
        }
        let plan = self.plan(u);
        let user = &mut self.users[u];
        user.device = self.rng.random_range(0..user.devices.len()) as u8;
        user.left = 3 + self.rng.random_range(0..10u16);
        user.pause_before = if plan.walks_away.is_some() && self.rng.random_bool(WALK_AWAY_SHARE) {
            self.rng.random_range(1..=user.left)
        } else {
            u16::MAX
        };
        // Resume the session this device still holds, if the engine still takes it.
        let flow = self.dev(u).flow;
        if self.dev(u).cred.is_some() {
            match self.validate(u, RequestKind::UserAction) {
                Some(Ok(())) => {
                    // A disabled account still let in is proven, with its cause, by the
                    // replay-after-disable scene; the population only lives with it.
                    let create = self.create_node(flow);
                    return self.after(u, create, now);
                }
                _ => self.dev(u).cred = None,
            }
        }
        self.enter(u, now)
    }

    /// Starts at an entry point: remember-me if a token is held, sign-up on a first visit,
    /// otherwise a drawn login chosen by weight.
    fn enter(&mut self, u: usize, now: u64) -> Option<u64> {
        let plan = self.plan(u);
        if let (Some(token), Some(entry)) = (self.dev(u).remember.clone(), plan.remember_entry) {
            let flow = self.dev(u).flow;
            let client = self.client(u);
            match self.engine(flow).map(|e| e.auto_login(&token, &client)) {
                Some(Ok(issued)) => {
                    self.signed_in(u, &issued, flow, entry, now);
                    let create = self.create_node(flow);
                    return self.after(u, create, now);
                }
                _ => self.dev(u).remember = None,
            }
        }
        let entry = match plan.sign_up {
            Some(s) if !self.users[u].visited && self.rng.random_bool(SIGN_UP_SHARE) => s,
            _ => self.pick(&plan.entries),
        };
        self.users[u].visited = true;
        self.users[u].last_action = (now, entry);
        self.after(u, entry, now)
    }

    fn pick(&mut self, choices: &[(u32, u32)]) -> u32 {
        let total: u32 = choices.iter().map(|c| c.1).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        for &(node, w) in choices {
            if roll < w {
                return node;
            }
            roll -= w;
        }
        choices[0].0
    }

    fn create_node(&self, flow: u16) -> u32 {
        self.walk.creates.get(flow as usize).copied().unwrap_or(0)
    }

    /// Chooses the next transition from `node` and schedules it.
    fn after(&mut self, u: usize, node: u32, now: u64) -> Option<u64> {
        let due_password = self.password_due(u, now);
        let walk: &'w Walk = self.walk;
        let takes = |o: &&Out| {
            due_password || !matches!(walk.nodes[o.to as usize].op, Op::PasswordChange(_))
        };
        let outs = &walk.nodes[node as usize].out;
        let total: u32 = outs.iter().filter(takes).map(|o| o.weight).sum();
        if total == 0 || self.users[u].left == 0 {
            return self.end_visit(u, now);
        }
        let mut roll = self.rng.random_range(0..total);
        let mut out = outs[0];
        for o in outs.iter().filter(takes) {
            if roll < o.weight {
                out = *o;
                break;
            }
            roll -= o.weight;
        }
        let plan = self.plan(u);
        let mut wait = match out.delay {
            Delay::Think => {
                let mean = plan.think_ms as f64;
                let x: f64 = self.rng.random_range(0.0001..1.0);
                (-x.ln() * mean) as u64
            }
            Delay::Fixed(ms) => ms,
            Delay::Now => 0,
        };
        let user = &mut self.users[u];
        user.left -= 1;
        if user.left == user.pause_before
            && let Some(pause) = plan.walks_away
        {
            wait += pause * 3 / 4 + self.rng.random_range(0..=pause / 2);
        }
        user.phase = Phase::Step { node: out.to };
        // A node that pings keeps pinging while the user thinks.
        if let Op::Ping(every) = self.walk.nodes[node as usize].op
            && wait > every
        {
            self.users[u].phase = Phase::Tab {
                until: now + wait,
                then: Some(out.to),
            };
            return Some(now + every);
        }
        Some(now + wait)
    }

    fn password_due(&self, u: usize, now: u64) -> bool {
        let user = &self.users[u];
        self.walk.personas[user.persona as usize]
            .password_every
            .is_some_and(|every| now.saturating_sub(user.password_changed) >= every)
    }

    fn tab_ping(&mut self, u: usize, now: u64, until: u64, then: Option<u32>) -> Option<u64> {
        let flow = self.dev(u).flow;
        let every = self.walk.flow_ping[flow as usize].map_or(MINUTE, |p| p.1);
        // Pings that can change nothing are made in one call, as many as the engine vouches
        // for; the first one that can is sent below like any other.
        let made = if self.world.config.exact_pings {
            0
        } else {
            self.background_run(u, every, until)
        };
        if made > 0 {
            let next = now + made * every;
            if next < until {
                return Some(next);
            }
            return self.tab_closes(u, until, then);
        }
        if let Some(Ok(())) = self.validate(u, RequestKind::Background)
            && now + every < until
        {
            return Some(now + every);
        }
        // The wait the tab filled is over (or the server stopped answering its pings).
        self.tab_closes(u, until.max(now), then)
    }

    /// The tab's wait is over at `at`: the user takes step `then`, or waits for the next visit.
    fn tab_closes(&mut self, u: usize, at: u64, then: Option<u32>) -> Option<u64> {
        match then {
            Some(node) => {
                self.users[u].phase = Phase::Step { node };
                Some(at)
            }
            None => self.next_visit_or_day(u, at),
        }
    }

    fn step(&mut self, u: usize, node: u32, now: u64) -> Option<u64> {
        let op = self.walk.nodes[node as usize].op;
        let flow = self.dev(u).flow;
        let client = self.client(u);
        match op {
            Op::Entry { .. } | Op::SignUp | Op::RememberEntry | Op::Pass => {}
            Op::Create(f) => {
                if !self.login(u, f, now, node) {
                    return self.end_visit_quiet(u, now);
                }
            }
            Op::Request(kind) => {
                // The action counts once it is served: a refusal's evidence measures the pause
                // from the action before it.
                if !self.request(u, kind, now, node) {
                    return self.relogin(u, now);
                }
                self.users[u].last_action = (now, node);
            }
            Op::Ping(_) => {
                let _ = self.validate(u, RequestKind::Background);
            }
            Op::Sensitive(reauth) => {
                let Some(cred) = self.dev(u).cred.clone() else {
                    return self.relogin(u, now);
                };
                let result = self
                    .engine(flow)
                    .map(|e| e.sensitive_action_with(&cred, &client, reauth));
                match result {
                    Some(Ok(_)) => {}
                    Some(Err(Rejection::ReauthRequired)) => {
                        self.tally.reauth_prompts += 1;
                        let again = self.engine(flow).map(|e| {
                            e.reauthenticate(&cred, &client).and_then(|a| {
                                let cred = a.renewed.map_or(cred.clone(), |r| r.value);
                                e.sensitive_action_with(&cred, &client, reauth)
                                    .map(|_| cred)
                            })
                        });
                        match again {
                            Some(Ok(cred)) => self.dev(u).cred = Some(cred),
                            _ => return self.unexpected(u, now, node, Rejection::ReauthRequired),
                        }
                    }
                    Some(Err(why)) => return self.unexpected(u, now, node, why),
                    None => {}
                }
                self.users[u].last_action = (now, node);
            }
            Op::Refresh => {
                if let Some(token) = self.dev(u).refresh.clone() {
                    match self
                        .engine(flow)
                        .map(|e| e.refresh(&token, &client, RequestKind::UserAction))
                    {
                        Some(Ok(issued)) => self.take(u, &issued),
                        Some(Err(why)) => return self.unexpected(u, now, node, why),
                        None => {}
                    }
                }
            }
            Op::Logout(endpoint) => {
                if !self.plan(u).forgets_logout {
                    // Someone who logs out everywhere uses the flow's drawn "everywhere".
                    let endpoint = if self.plan(u).everywhere {
                        self.walk.flow_logout_everywhere[flow as usize].unwrap_or(endpoint)
                    } else {
                        endpoint
                    };
                    self.logout(u, endpoint);
                    return self.end_visit_quiet(u, now);
                }
            }
            Op::PasswordChange(endpoint) => {
                self.users[u].password_changed = now;
                let cred = self.dev(u).cred.clone();
                let user = self.users[u].id;
                if let Some(Ok(changed)) = self
                    .engine(flow)
                    .map(|e| e.change_password_at(user, cred.as_deref(), &client, endpoint))
                    && let Some(fresh) = changed.reissued
                {
                    self.dev(u).cred = Some(fresh.value);
                }
            }
        }
        self.after(u, node, now)
    }

    fn take(&mut self, u: usize, issued: &crate::engine::Issued) {
        let dev = self.dev(u);
        dev.cred = Some(issued.credential.value.clone());
        if let Some(r) = &issued.refresh {
            dev.refresh = Some(r.value.clone());
        }
        if let Some(r) = &issued.remember_me {
            dev.remember = Some(r.value.clone());
        }
    }

    fn signed_in(
        &mut self,
        u: usize,
        issued: &crate::engine::Issued,
        flow: u16,
        node: u32,
        now: u64,
    ) {
        self.take(u, issued);
        let dev = self.dev(u);
        dev.flow = flow;
        dev.signed_in = Some((now, node));
        if issued.evicted > 0 && self.users[u].devices.len() > 1 {
            // The user's own other device was logged out by this sign-in.
            self.tally.own_evictions += u64::from(issued.evicted);
            self.tally.unexpected_at(now, u64::from(issued.evicted));
            self.users[u].unexpected_today = true;
            let other = if self.users[u].device == 0 { 1 } else { 0 };
            let this = self.users[u].devices[self.users[u].device as usize].category;
            let that = self.users[u].devices[other].category;
            let create = self.walk.ids[self.create_node(flow) as usize].clone();
            let nodes = self.world.flows[flow as usize].from(Setting::Concurrency);
            self.tally.example(Observation {
                id: Gap::UsabSingleFriction,
                flow: flow as usize,
                nodes,
                explanation: format!(
                    "A user with more than one device signs in on the {} and is logged out on \
                     the {}: the drawn session limit counts their own devices against them.",
                    device_name(this),
                    device_name(that)
                ),
                trace: vec![
                    user_step(
                        now,
                        format!("signs in on the {}", device_name(this)),
                        "accepted",
                        &create,
                    ),
                    Step {
                        at_ms: Some(now),
                        actor: "engine".into(),
                        action: format!(
                            "enforces the session limit for user {}",
                            self.users[u].id.0
                        ),
                        outcome: format!(
                            "ended the session on the {} ({} evicted)",
                            device_name(that),
                            issued.evicted
                        ),
                        node: Some(create),
                    },
                ],
            });
        }
        if let Some((lost_at, lost_node)) = self.users[u].lost_pending.take()
            && !issued.restored_work
        {
            self.tally.lost_work += 1;
            let lost = self.walk.ids[lost_node as usize].clone();
            let create = self.walk.ids[self.create_node(flow) as usize].clone();
            let mut nodes = self.world.flows[flow as usize].from(Setting::IdleTimeout);
            nodes.extend(self.world.flows[flow as usize].from(Setting::Warning));
            self.tally.example(Observation {
                id: Gap::UsabNoWarning,
                flow: flow as usize,
                nodes,
                explanation: "A user filling a long form paused, the session expired without a \
                              warning, and the form was lost: after signing in again nothing \
                              was restored. Warn before idle expiry (e.g. 2 minutes) and keep \
                              drafts across a re-login."
                    .to_owned(),
                trace: vec![
                    user_step(
                        lost_at,
                        "submits the long form after a pause",
                        "refused: session expired (idle)",
                        &lost,
                    ),
                    user_step(
                        now,
                        "signs in again",
                        "accepted; the form's content was not restored",
                        &create,
                    ),
                ],
            });
        }
    }

    fn login(&mut self, u: usize, flow: u16, now: u64, node: u32) -> bool {
        let plan = self.plan(u);
        let entry_op = self.walk.nodes[self.users[u].last_action.1 as usize].op;
        let (mfa, federated, sign_up) = match entry_op {
            Op::Entry { mfa, federated } => (mfa, federated, false),
            Op::SignUp => (false, false, true),
            _ => (false, false, false),
        };
        let user = self.users[u].id;
        let bit = 1u64 << (flow % 64);
        let new_account = self.users[u].accounts & bit == 0;
        self.users[u].accounts |= bit;
        let disabled = self.users[u].disabled;
        let client = self.client(u);
        let remembers = plan.remember && self.world.flows[flow as usize].remember_me.is_some();
        let presented = self.users[u].devices[self.users[u].device as usize]
            .cred
            .clone();
        let Some(engine) = self.engine(flow) else {
            return false;
        };
        if new_account {
            engine.add_account(
                user,
                AccountSetup {
                    role: Role::USER,
                    email_verified: !sign_up,
                },
            );
            if disabled {
                let _ = engine.disable_account(user);
            }
        }
        let result = engine.login(&LoginRequest {
            user,
            client,
            mfa: if mfa {
                MfaStatus::Passed
            } else {
                MfaStatus::NotEnrolled
            },
            remember_me: if remembers {
                RememberMe::Asked
            } else {
                RememberMe::No
            },
            presented_id: presented.as_deref(),
            idp_session: federated.then_some(IdpSessionId(user.0)),
        });
        if sign_up {
            let _ = engine.verify_email(user);
        }
        match result {
            Ok(issued) => {
                self.signed_in(u, &issued, flow, node, now);
                true
            }
            Err(Rejection::LimitReached) => {
                self.tally.lockouts += 1;
                let create = self.walk.ids[node as usize].clone();
                let nodes = self.world.flows[flow as usize].from(Setting::Concurrency);
                self.tally.example(Observation {
                    id: Gap::ConcEvictionDos,
                    flow: flow as usize,
                    nodes,
                    explanation: "A user whose earlier sessions are still alive (a browser closed \
                                  without logging out, another device) cannot sign in: the drawn \
                                  limit refuses new sessions instead of ending the oldest."
                        .to_owned(),
                    trace: vec![user_step(
                        now,
                        "signs in",
                        "refused: session limit reached",
                        &create,
                    )],
                });
                false
            }
            Err(_) => false,
        }
    }

    /// A user request; on refusal, a hybrid client first tries its refresh token.
    fn request(&mut self, u: usize, kind: RequestKind, now: u64, node: u32) -> bool {
        let flow = self.dev(u).flow;
        let client = self.client(u);
        let why = match self.validate(u, kind) {
            Some(Ok(())) => return true,
            Some(Err(why)) => why,
            None if self.dev(u).cred.is_none() => return false,
            None => return true,
        };
        if let Some(token) = self.dev(u).refresh.clone() {
            let refreshed = self
                .engine(flow)
                .map(|e| e.refresh(&token, &client, RequestKind::Background));
            if let Some(Ok(issued)) = refreshed {
                self.take(u, &issued);
                let cred = issued.credential.value;
                if let Some(Ok(_)) = self.engine(flow).map(|e| e.validate(&cred, &client, kind)) {
                    return true;
                }
            }
        }
        self.unexpected(u, now, node, why);
        false
    }

    /// A request of the user's was refused mid-visit.
    fn unexpected(&mut self, u: usize, now: u64, node: u32, why: Rejection) -> Option<u64> {
        self.tally.unexpected_at(now, 1);
        let flow = self.dev(u).flow;
        let (last_at, last_node) = self.users[u].last_action;
        self.dev(u).cred = None;
        let user = &mut self.users[u];
        user.unexpected_today = true;
        if matches!(why, Rejection::ExpiredIdle) {
            user.idle_today = true;
            if self.walk.personas[user.persona as usize].long_forms {
                user.lost_pending = Some((now, node));
            }
            let at = self.walk.ids[node as usize].clone();
            let mut trace = Vec::new();
            let signed_in = self.users[u].devices[self.users[u].device as usize].signed_in;
            if let Some((t, n)) = signed_in {
                trace.push(user_step(
                    t,
                    "signs in",
                    "accepted",
                    &self.walk.ids[n as usize],
                ));
            }
            // The user's last action may belong to an earlier session (or another device):
            // the pause is measured within this session, from its sign-in at the earliest.
            let session_start = signed_in.map_or(0, |(t, _)| t);
            let in_session = last_at >= session_start;
            let last_at = last_at.max(session_start);
            if in_session && last_at < now && last_node != node {
                trace.push(user_step(
                    last_at,
                    "works, then pauses",
                    "accepted",
                    &self.walk.ids[last_node as usize],
                ));
            }
            trace.push(user_step(
                now,
                format!(
                    "comes back after {} and carries on",
                    human_ms(now.saturating_sub(last_at))
                ),
                "refused: session expired (idle)",
                &at,
            ));
            let nodes = self.world.flows[flow as usize].from(Setting::IdleTimeout);
            self.tally.example(Observation {
                id: Gap::UsabIdleFriction,
                flow: flow as usize,
                nodes,
                explanation: "Users' normal pauses (meetings, lunch, a phone call) are longer \
                              than the drawn idle timeout, so they are logged out mid-task."
                    .to_owned(),
                trace,
            });
        }
        self.relogin(u, now)
    }

    fn relogin(&mut self, u: usize, now: u64) -> Option<u64> {
        if self.users[u].left == 0 {
            return self.end_visit_quiet(u, now);
        }
        self.enter(u, now)
    }

    fn logout(&mut self, u: usize, endpoint: LogoutEndpoint) {
        let flow = self.dev(u).flow;
        let client = self.client(u);
        if let Some(cred) = self.dev(u).cred.clone()
            && let Some(Ok(out)) = self
                .engine(flow)
                .map(|e| e.logout_at(&cred, &client, endpoint))
        {
            let name = self
                .engines
                .get(flow as usize)
                .and_then(Option::as_ref)
                .map(|e| e.policy().cookie.remember_me_name.clone())
                .unwrap_or_default();
            // The browser deletes what the response clears, the remember-me cookie included
            // when the policy revokes it.
            let held = self.users[u].devices[self.users[u].device as usize]
                .remember
                .is_some();
            let cleared = held
                && out.clear_cookies.iter().any(|c| {
                    crate::engine::SetCookie::parse(c)
                        .is_ok_and(|c| !name.is_empty() && c.name.ends_with(&name))
                });
            let dev = self.dev(u);
            dev.cred = None;
            dev.refresh = None;
            if cleared {
                dev.remember = None;
            }
        }
    }

    /// The visit is over: log out at the flow's logout unless the persona forgets, then leave
    /// a pinging tab open or wait for the next visit.
    fn end_visit(&mut self, u: usize, now: u64) -> Option<u64> {
        let flow = self.dev(u).flow as usize;
        let plan = self.plan(u);
        let everywhere = self.walk.flow_logout_everywhere[flow].filter(|_| plan.everywhere);
        let plain =
            self.walk.flow_logout[flow].and_then(|node| match self.walk.nodes[node as usize].op {
                Op::Logout(endpoint) => Some(endpoint),
                _ => None,
            });
        if !plan.forgets_logout
            && let Some(endpoint) = everywhere.or(plain)
        {
            self.logout(u, endpoint);
        }
        self.end_visit_quiet(u, now)
    }

    fn end_visit_quiet(&mut self, u: usize, now: u64) -> Option<u64> {
        let flow = self.dev(u).flow as usize;
        let plan = self.plan(u);
        if plan.keeps_tab
            && self.dev(u).cred.is_some()
            && let Some((_, every)) = self.walk.flow_ping[flow]
        {
            let next = self.users[u]
                .visits
                .last()
                .copied()
                .unwrap_or((u64::from(self.users[u].day)) * DAY);
            let until = next.min(now + TAB_OPEN_MAX);
            if until > now + every {
                let user = &mut self.users[u];
                user.left = 0;
                user.phase = Phase::Tab { until, then: None };
                return Some(now + every);
            }
        }
        self.next_visit_or_day(u, now)
    }

    /// An operator disables the account (the persona's `GetsDisabled`).
    fn disable(&mut self, u: usize, _now: u64) {
        self.users[u].disabled = true;
        let user = self.users[u].id;
        let accounts = self.users[u].accounts;
        for (f, engine) in self.engines.iter_mut().enumerate() {
            if accounts & (1 << (f % 64)) != 0
                && let Some(e) = engine
            {
                self.events += 1;
                let _ = e.disable_account(user);
            }
        }
    }
}

fn device_name(c: DeviceCategory) -> &'static str {
    match c {
        DeviceCategory::Desktop => "laptop",
        DeviceCategory::Mobile => "phone",
        DeviceCategory::Tablet => "tablet",
        DeviceCategory::Api => "API client",
    }
}

fn user_step(
    at: u64,
    action: impl Into<String>,
    outcome: impl Into<String>,
    node: &NodeId,
) -> Step {
    Step {
        at_ms: Some(at),
        actor: "user".into(),
        action: action.into(),
        outcome: outcome.into(),
        node: Some(node.clone()),
    }
}

/// A duration in the words a workshop uses ("35 min", "2 h 5 min", "3 days").
pub(super) fn human_ms(ms: u64) -> String {
    crate::compile::human(std::time::Duration::from_millis(ms))
}
