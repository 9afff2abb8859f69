//! The world a run plays in: what each drawn flow offers (read once from the plan), the shards
//! (a slice of the population with its own engines, clock and RNG) and the deterministic merge.

use std::collections::BTreeMap;

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};

use super::findings::{Collected, Observation};
use super::metrics::{AttackStat, Metrics, Window};
use super::{Builder, Control, attacks, users};
use crate::compile::{Op, Ops, Plan, Setting, Sources};
use crate::engine::{ManualClock, NoAudit, Policy, SessionEngine, Timestamp};
use crate::model::{EdgeId, Map, NodeId};

/// The engine a shard runs: virtual clock, no audit (the simulator records its own trace).
pub(super) type Engine = SessionEngine<ManualClock, NoAudit>;

pub(super) const MINUTE: u64 = 60_000;
pub(super) const HOUR: u64 = 60 * MINUTE;
pub(super) const DAY: u64 = 24 * HOUR;

/// What one drawn flow is and offers, with the nodes that evidence points at.
#[derive(Clone)]
pub(super) struct FlowInfo {
    pub policy: Policy,
    pub sources: Sources,
    pub create: NodeId,
    /// A password login (or other first-factor entry) of the flow.
    pub login: Option<NodeId>,
    /// A login with MFA whose pending state opens a session, if drawn.
    pub mfa_login: Option<NodeId>,
    /// A login where the password alone signs in (no MFA, or MFA a user may leave off).
    pub password_alone: Option<NodeId>,
    pub sign_up: Option<NodeId>,
    /// A password-reset link.
    pub reset: Option<NodeId>,
    pub federated: Option<NodeId>,
    pub remember_me: Option<NodeId>,
    /// A page an authenticated user requests (falls back to the create stage).
    pub request: NodeId,
    pub ping: Option<(NodeId, u64)>,
    pub sensitive: Option<NodeId>,
    pub refresh: Option<NodeId>,
    pub logout: Option<NodeId>,
    pub logout_everywhere: Option<NodeId>,
    pub password_change: Option<NodeId>,
    /// Every logout, account disable, sensitive action and password change of the flow (the scenes
    /// about one of them are played at each that does something different).
    pub logouts: Vec<NodeId>,
    pub disables: Vec<NodeId>,
    pub sensitives: Vec<NodeId>,
    pub password_changes: Vec<NodeId>,
    /// Operator actions that reach the flow (the plan decides which).
    pub account_disable: Option<NodeId>,
    pub admin_revoke: Option<NodeId>,
    pub privilege_change: Option<NodeId>,
    /// Whether the policy could be run at all (the engine refuses inconsistent policies).
    pub runnable: bool,
}

impl FlowInfo {
    fn new(flow: &crate::compile::Flow) -> Self {
        let o = &flow.offers;
        let first = |v: &[NodeId]| v.first().cloned();
        FlowInfo {
            policy: flow.policy.clone(),
            sources: flow.sources.clone(),
            create: flow.create.clone(),
            login: first(&o.sign_in)
                .or_else(|| first(&o.reset))
                .or_else(|| first(&o.federated)),
            mfa_login: first(&o.mfa_login),
            password_alone: first(&o.password_alone),
            sign_up: first(&o.sign_up),
            reset: first(&o.reset),
            federated: first(&o.federated),
            remember_me: first(&o.remember_me),
            request: first(&o.requests).unwrap_or_else(|| flow.create.clone()),
            ping: o
                .background_pings
                .first()
                .map(|(id, every)| (id.clone(), ms(*every).max(1_000))),
            sensitive: first(&o.sensitive_actions),
            refresh: first(&o.refresh),
            logout: first(&o.logout),
            logout_everywhere: first(&o.logout_everywhere),
            password_change: first(&o.password_change),
            logouts: o.logout.clone(),
            disables: o.account_disable.clone(),
            sensitives: o.sensitive_actions.clone(),
            password_changes: o.password_change.clone(),
            account_disable: first(&o.account_disable),
            admin_revoke: first(&o.admin_revoke),
            privilege_change: first(&o.privilege_change),
            runnable: flow.policy.check().is_ok(),
        }
    }

    /// The nodes a setting came from (for a finding's node list).
    pub fn from(&self, setting: Setting) -> Vec<NodeId> {
        self.sources.of(setting).to_vec()
    }
}

pub(super) fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Everything the shards share, read-only.
pub(super) struct World<'a> {
    pub map: &'a Map,
    pub flows: Vec<FlowInfo>,
    /// What each node does, as the plan says.
    pub ops: &'a Ops,
    pub walk: users::Walk,
    pub config: Builder,
    labels: BTreeMap<NodeId, String>,
    edges: BTreeMap<(NodeId, NodeId), EdgeId>,
}

/// What one shard saw.
#[derive(Default)]
pub(super) struct ShardResult {
    pub observations: Vec<Observation>,
    pub attacks: BTreeMap<&'static str, AttackStat>,
    pub exposure: Vec<u64>,
    pub exposure_open: u64,
    pub latency: Vec<u64>,
    pub latency_open: u64,
    pub population: users::Tally,
    /// Live sessions and table bytes at each hour of the horizon.
    pub hourly_sessions: Vec<u64>,
    pub hourly_bytes: Vec<u64>,
    pub events: u64,
}

impl<'a> World<'a> {
    pub(super) fn new(map: &'a Map, plan: &'a Plan, config: &Builder) -> Self {
        let flows: Vec<FlowInfo> = plan.flows.iter().map(FlowInfo::new).collect();
        let walk = users::Walk::new(map, plan, &flows);
        World {
            map,
            flows,
            ops: &plan.ops,
            walk,
            config: config.clone(),
            labels: map
                .nodes
                .iter()
                .map(|n| (n.id.clone(), n.label.clone()))
                .collect(),
            edges: map
                .edges
                .iter()
                .map(|e| ((e.from.clone(), e.to.clone()), e.id.clone()))
                .collect(),
        }
    }

    pub(super) fn shard_count(&self) -> u64 {
        self.config.users.div_ceil(self.shard_users())
    }

    /// Users per shard for this population.
    pub(super) fn shard_users(&self) -> u64 {
        super::shard_users(self.config.users)
    }

    /// What a node does, as the plan says.
    pub(super) fn op(&self, node: &NodeId) -> Op {
        self.ops.of(node)
    }

    /// The label of a node, for readable traces.
    pub(super) fn label<'s>(&'s self, node: &'s NodeId) -> &'s str {
        self.labels.get(node).map_or(node.as_str(), String::as_str)
    }

    /// The drawn edge from one node to another, if any.
    pub(super) fn edge(&self, from: &NodeId, to: &NodeId) -> Option<&EdgeId> {
        self.edges.get(&(from.clone(), to.clone()))
    }

    /// A fresh engine for a flow, on `clock`, seeded from the shard's RNG.
    pub(super) fn engine(
        &self,
        flow: usize,
        clock: &ManualClock,
        rng: &mut ChaCha8Rng,
    ) -> Option<Engine> {
        let seed: [u8; 32] = rng.random();
        SessionEngine::new(
            self.flows[flow].policy.clone(),
            clock.clone(),
            NoAudit,
            ChaCha20Rng::from_seed(seed),
        )
        .ok()
    }

    /// Plays shard `index`: its slice of the population over the horizon, then its attackers.
    /// `None` when cancelled.
    pub(super) fn run_shard(&self, index: u64, control: &Control) -> Option<ShardResult> {
        let first = index * self.shard_users();
        let count = self.shard_users().min(self.config.users - first);
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.config.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let clock = ManualClock::starting_at(Timestamp::EPOCH);
        let mut engines: Vec<Option<Engine>> = (0..self.flows.len())
            .map(|f| self.engine(f, &clock, &mut rng))
            .collect();
        let mut result = ShardResult::default();
        users::play(
            self,
            first,
            count,
            &clock,
            &mut engines,
            &mut rng,
            &mut result,
            control,
        )?;
        attacks::play(
            self,
            index,
            first,
            count,
            &clock,
            &mut engines,
            &mut rng,
            &mut result,
            control,
        )?;
        Some(result)
    }

    /// Merges shard results in shard order: the same inputs always give the same output.
    pub(super) fn merge(
        &self,
        results: impl Iterator<Item = ShardResult>,
    ) -> (Vec<crate::report::Finding>, Metrics, super::Series) {
        let mut collected = Collected::default();
        let mut attacks: BTreeMap<String, AttackStat> = BTreeMap::new();
        let (mut exposure, mut exposure_open) = (Vec::new(), 0);
        let (mut latency, mut latency_open) = (Vec::new(), 0);
        let mut tally = users::Tally::default();
        let mut sessions: Vec<u64> = Vec::new();
        let mut bytes: Vec<u64> = Vec::new();
        let mut events = 0;
        for r in results {
            for o in r.observations {
                collected.add(o);
            }
            for (name, stat) in r.attacks {
                let s = attacks.entry(name.to_owned()).or_default();
                s.attempts += stat.attempts;
                s.succeeded += stat.succeeded;
            }
            exposure.extend(r.exposure);
            exposure_open += r.exposure_open;
            latency.extend(r.latency);
            latency_open += r.latency_open;
            tally.add(&r.population);
            add_series(&mut sessions, &r.hourly_sessions);
            add_series(&mut bytes, &r.hourly_bytes);
            events += r.events;
        }
        let series = super::Series {
            sessions_per_hour: sessions.clone(),
            unexpected_per_day: tally.unexpected_by_day.clone(),
            exposure_ms: {
                let mut e = exposure.clone();
                e.sort_unstable();
                e
            },
        };
        let mut findings = collected.into_findings(self);
        findings.extend(users::population_findings(self, &tally));
        let user_days = tally.active_user_days.max(1) as f64;
        let metrics = Metrics {
            users: self.config.users,
            days: self.config.days,
            seed: self.config.seed,
            attack_success: attacks,
            exposure_window: Window::of(exposure, exposure_open),
            revocation_latency: Window::of(latency, latency_open),
            unexpected_logouts_per_100_user_days: tally.unexpected as f64 * 100.0 / user_days,
            reauth_prompts_per_100_user_days: tally.reauth_prompts as f64 * 100.0 / user_days,
            user_days_with_unexpected_logout: tally.days_with_unexpected as f64 / user_days,
            user_days_with_idle_logout: tally.idle_expiry_days as f64 / user_days,
            peak_concurrent_sessions: sessions.iter().copied().max().unwrap_or(0),
            peak_store_bytes: bytes.iter().copied().max().unwrap_or(0),
            events,
            flows_not_simulated: self
                .flows
                .iter()
                .filter(|f| !f.runnable)
                .map(|f| f.create.to_string())
                .collect(),
        };
        (findings, metrics, series)
    }
}

fn add_series(total: &mut Vec<u64>, part: &[u64]) {
    if total.len() < part.len() {
        total.resize(part.len(), 0);
    }
    for (t, p) in total.iter_mut().zip(part) {
        *t += p;
    }
}
