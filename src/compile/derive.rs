//! Which nodes make up each flow, and the engine policy the drawing of a flow implies.

use std::time::Duration;

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::baseline::{FOREVER, baseline};
use super::{CompileDiagnostic, Flow, FlowGraph, Offers, Setting, Sources};
use crate::engine as e;
use crate::model::{self as m, Group, Map, Node, NodeId, NodeKind};

pub(super) fn flows(
    map: &Map,
    graph: &FlowGraph,
    diagnostics: &mut Vec<CompileDiagnostic>,
) -> Vec<Flow> {
    let creates: Vec<&Node> = map
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::CreateSession { .. }))
        .collect();
    if creates.is_empty() && !map.nodes.is_empty() {
        diagnostics.push(CompileDiagnostic {
            nodes: Vec::new(),
            message: "no `Create session` stage is drawn, so nothing creates a session; \
                      add one after the entry points"
                .to_owned(),
        });
    }

    // Walks run on graph indices and boolean marks: a map with many flows compiles in time
    // linear in flows × map size, without hashing or cloning ids.
    let n = graph.node_count();
    let is_create: Vec<bool> = (0..n)
        .map(|i| {
            let node = &map.nodes[graph.position(NodeIndex::new(i))];
            matches!(node.kind, NodeKind::CreateSession { .. })
        })
        .collect();
    // Operator actions drawn anywhere: they reach every flow that draws none of their kind.
    let operators: Vec<&Node> = map
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.kind,
                NodeKind::AccountDisable { .. }
                    | NodeKind::AdminRevoke { .. }
                    | NodeKind::PrivilegeChange { .. }
            )
        })
        .collect();
    let mut flows = Vec::new();
    let mut in_some_flow = vec![false; n];
    let mut after = vec![false; n];
    let mut member = vec![false; n];
    for create in creates {
        let Some(c) = graph.index_of(&create.id) else {
            continue;
        };
        if graph.position(c) != position_of(map, create) {
            continue; // a duplicate id: validation reports it; the first node is the flow
        }
        let stop = |i: NodeIndex| is_create[i.index()];
        // Stages after the create-session stage, and whatever leads into the flow (entry
        // points, operator actions such as an IdP disable that triggers a back-channel logout),
        // without crossing into another flow's create-session stage.
        after.fill(false);
        graph.mark_reachable(&[c], Direction::Outgoing, stop, &mut after);
        let stages: Vec<NodeIndex> = (0..n)
            .map(NodeIndex::new)
            .filter(|&i| after[i.index()] && (i == c || !is_create[i.index()]))
            .collect();
        member.fill(false);
        graph.mark_reachable(&stages, Direction::Incoming, stop, &mut member);
        for i in 0..n {
            if is_create[i] && i != c.index() {
                member[i] = false;
            }
        }
        // Timeouts and stores attached to any of them, and what is attached to those
        // (an expiry warning attached to an idle timeout).
        let mut frontier: Vec<NodeIndex> =
            (0..n).filter(|&i| member[i]).map(NodeIndex::new).collect();
        while let Some(i) = frontier.pop() {
            for &other in graph.attached_indices(i) {
                if !member[other.index()] {
                    member[other.index()] = true;
                    frontier.push(other);
                }
            }
        }
        let mut positions: Vec<usize> = (0..n)
            .filter(|&i| member[i])
            .map(|i| graph.position(NodeIndex::new(i)))
            .collect();
        positions.sort_unstable();
        for i in 0..n {
            in_some_flow[i] |= member[i];
        }
        let members: Vec<&Node> = positions.iter().map(|&p| &map.nodes[p]).collect();
        flows.push(derive_flow(create, &members, &operators, diagnostics));
    }

    for node in &map.nodes {
        let stray = match node.kind.group() {
            Group::Lifecycle => !matches!(node.kind, NodeKind::CreateSession { .. }),
            Group::Timeout | Group::Store => true,
            Group::Entry => false,
        };
        let in_flow = graph
            .index_of(&node.id)
            .is_some_and(|i| in_some_flow[i.index()]);
        if stray && !in_flow && !flows.is_empty() {
            diagnostics.push(CompileDiagnostic {
                nodes: vec![node.id.clone()],
                message: format!(
                    "`{}` ({}) is not connected to any session flow, so it has no effect; \
                     connect it to the stages it belongs to",
                    node.label,
                    node.kind.name()
                ),
            });
        }
    }
    flows
}

fn position_of(map: &Map, node: &Node) -> usize {
    map.nodes
        .iter()
        .position(|n| std::ptr::eq(n, node))
        .unwrap_or(usize::MAX)
}

/// Reads one flow's nodes into an engine policy, recording where each setting came from.
struct Deriver<'a> {
    members: &'a [&'a Node],
    /// Operator actions drawn anywhere on the map.
    operators: &'a [&'a Node],
    policy: e::Policy,
    sources: Sources,
    offers: Offers,
    diagnostics: &'a mut Vec<CompileDiagnostic>,
}

impl Deriver<'_> {
    fn set(&mut self, setting: Setting, node: &Node) {
        self.sources.add(setting, &node.id);
    }

    /// The nodes of the flow for which `pick` returns something, in map order.
    fn all<T>(&self, pick: impl Fn(&NodeKind) -> Option<T>) -> Vec<(NodeId, T)> {
        self.members
            .iter()
            .filter_map(|n| pick(&n.kind).map(|t| (n.id.clone(), t)))
            .collect()
    }

    /// The ids of the flow's nodes of one kind, in map order.
    fn ids(&self, is: impl Fn(&NodeKind) -> bool) -> Vec<NodeId> {
        self.all(|k| is(k).then_some(()))
            .into_iter()
            .map(|(id, ())| id)
            .collect()
    }

    /// The one node of a kind that decides a setting; two that disagree are a diagnostic, and
    /// the first (in map order) wins.
    fn one<T: PartialEq + Clone>(
        &mut self,
        what: &str,
        pick: impl Fn(&NodeKind) -> Option<T>,
    ) -> Option<(NodeId, T)> {
        let found = self.all(pick);
        let (first, rest) = found.split_first()?;
        let differing: Vec<NodeId> = rest
            .iter()
            .filter(|(_, t)| *t != first.1)
            .map(|(id, _)| id.clone())
            .collect();
        if !differing.is_empty() {
            let mut nodes = vec![first.0.clone()];
            nodes.extend(differing);
            self.diagnostics.push(CompileDiagnostic {
                message: format!(
                    "{} contradicting {what} nodes govern one flow; `{}` is used — \
                     remove or reconcile the others",
                    nodes.len(),
                    first.0
                ),
                nodes,
            });
        }
        Some(first.clone())
    }

    /// Like [`Self::one`], for a setting where the drawing may hold several nodes that differ
    /// (two refresh endpoints, two remember-me entries): the weakest by `rank` (smallest first)
    /// is what an attacker meets, so it decides the policy and is the node a finding blames;
    /// a diagnostic says so.
    fn weakest<T: PartialEq + Clone, K: Ord>(
        &mut self,
        what: &str,
        pick: impl Fn(&NodeKind) -> Option<T>,
        rank: impl Fn(&T) -> K,
    ) -> Option<(NodeId, T)> {
        let mut found = self.all(pick);
        let first = found.first()?.1.clone();
        if found.iter().any(|(_, t)| *t != first) {
            found.sort_by_key(|(_, t)| rank(t));
            let nodes: Vec<NodeId> = found.iter().map(|(id, _)| id.clone()).collect();
            self.diagnostics.push(CompileDiagnostic {
                message: format!(
                    "{} {what} nodes of one flow differ; the weakest, `{}`, is the one an \
                     attacker meets, so it is what the flow is simulated and judged by",
                    nodes.len(),
                    nodes[0]
                ),
                nodes,
            });
        }
        found.into_iter().next()
    }

    fn set_id(&mut self, setting: Setting, id: &NodeId) {
        self.sources.add(setting, id);
    }

    /// The operator actions of one kind that reach the flow: its own, or where it draws none,
    /// those drawn elsewhere on the map. The first in map order decides the setting.
    fn operator<T>(&self, pick: impl Fn(&NodeKind) -> Option<T>) -> Vec<(NodeId, T)> {
        let own = self.all(&pick);
        if !own.is_empty() {
            return own;
        }
        self.operators
            .iter()
            .filter_map(|n| pick(&n.kind).map(|t| (n.id.clone(), t)))
            .collect()
    }
}

fn derive_flow(
    create: &Node,
    members: &[&Node],
    operators: &[&Node],
    diagnostics: &mut Vec<CompileDiagnostic>,
) -> Flow {
    let mut d = Deriver {
        members,
        operators,
        policy: baseline(mechanism_of(create)),
        sources: Sources::default(),
        offers: Offers::default(),
        diagnostics,
    };
    session(&mut d, create);
    timeouts(&mut d);
    remember_me(&mut d);
    tokens(&mut d);
    endings(&mut d);
    entries(&mut d);
    stores(&mut d);
    Flow {
        create: create.id.clone(),
        lane: create.lane.clone(),
        members: members.iter().map(|n| n.id.clone()).collect(),
        policy: d.policy,
        sources: d.sources,
        offers: d.offers,
    }
}

/// The mechanism a create-session stage draws (the baseline depends on it).
fn mechanism_of(create: &Node) -> e::Mechanism {
    match &create.kind {
        NodeKind::CreateSession { mechanism, .. } => match mechanism {
            m::Mechanism::ServerSide => e::Mechanism::ServerSide,
            m::Mechanism::SignedToken => e::Mechanism::SignedToken,
            m::Mechanism::ClientCookie => e::Mechanism::ClientCookie,
            m::Mechanism::Hybrid => e::Mechanism::Hybrid,
        },
        _ => e::Mechanism::ServerSide,
    }
}

pub(super) fn duration(span: m::Span) -> Duration {
    // Validation reports non-positive spans; here they mean "immediately".
    span.to_duration().unwrap_or(Duration::ZERO)
}

/// The create-session stage: mechanism, ids, rotation, concurrency, binding.
fn session(d: &mut Deriver<'_>, create: &Node) {
    let NodeKind::CreateSession {
        mechanism: _,
        ids,
        client_ids,
        on_login,
        concurrency,
        binding,
    } = &create.kind
    else {
        return;
    };
    // The mechanism is already in the baseline (`mechanism_of`).
    let p = &mut d.policy;
    let bits = |b: u16| u8::try_from(b.clamp(1, 128)).unwrap_or(128);
    p.ids.generator = match *ids {
        m::IdGenerator::Csprng { bits: b } => e::IdGenerator::Csprng { bits: bits(b) },
        m::IdGenerator::Sequential => e::IdGenerator::Sequential,
        m::IdGenerator::Timestamp => e::IdGenerator::Timestamp,
        m::IdGenerator::LowEntropy { bits: b } => e::IdGenerator::LowEntropy { bits: bits(b) },
    };
    p.ids.acceptance = match client_ids {
        m::ClientIds::Strict => e::IdAcceptance::Strict,
        m::ClientIds::Permissive => e::IdAcceptance::Permissive,
    };
    p.rotation.on_login = rotation(*on_login);
    (
        p.concurrency.limit,
        p.concurrency.on_limit,
        p.concurrency.scope,
    ) = match *concurrency {
        m::Concurrency::Unlimited => (
            e::SessionLimit::Unlimited,
            e::OnLimit::EvictOldestInactive,
            e::LimitScope::PerUser,
        ),
        m::Concurrency::Single { on_limit } => (
            e::SessionLimit::Single,
            on_limit_of(on_limit),
            e::LimitScope::PerUser,
        ),
        m::Concurrency::Limited {
            max,
            per_device,
            on_limit,
        } => (
            e::SessionLimit::Limited { max },
            on_limit_of(on_limit),
            if per_device {
                e::LimitScope::PerDeviceCategory
            } else {
                e::LimitScope::PerUser
            },
        ),
    };
    let bind = |on: bool| if on { e::Bind::Enforced } else { e::Bind::Off };
    p.binding = e::BindingPolicy {
        ip: bind(binding.ip),
        user_agent: bind(binding.user_agent),
        on_mismatch: match binding.on_mismatch {
            m::MismatchAction::Ignore => e::MismatchAction::Ignore,
            m::MismatchAction::RequireReauth => e::MismatchAction::RequireReauth,
            m::MismatchAction::Terminate => e::MismatchAction::Terminate,
        },
        impossible_travel: binding.travel.map(|t| {
            let hours = (duration(t.within).as_secs_f32() / 3600.0).max(1.0 / 60.0);
            e::TravelCheck {
                min_distance_km: t.max_km as f32,
                max_speed_kmh: t.max_km as f32 / hours,
            }
        }),
    };
    for s in [
        Setting::Mechanism,
        Setting::Ids,
        Setting::LoginRotation,
        Setting::Concurrency,
        Setting::Binding,
    ] {
        d.set(s, create);
    }
}

fn rotation(r: m::Rotation) -> e::Rotation {
    match r {
        m::Rotation::Keep => e::Rotation::KeepId,
        m::Rotation::RotateEndOld => e::Rotation::RotateEndOld,
        m::Rotation::RotateKeepOld => e::Rotation::RotateKeepOld,
    }
}

fn on_limit_of(o: m::OnLimit) -> e::OnLimit {
    match o {
        m::OnLimit::EvictOldestInactive => e::OnLimit::EvictOldestInactive,
        m::OnLimit::RejectNew => e::OnLimit::RejectNew,
    }
}

/// Idle and absolute timeouts, what counts as activity, who enforces expiry, the warning.
fn timeouts(d: &mut Deriver<'_>) {
    let idle = d.one("idle timeout", |k| match k {
        NodeKind::IdleTimeout {
            after,
            resets_on,
            enforced,
        } => Some((*after, *resets_on, *enforced)),
        _ => None,
    });
    let absolute = d.one("absolute timeout", |k| match k {
        NodeKind::AbsoluteTimeout { after, enforced } => Some((*after, *enforced)),
        _ => None,
    });
    let enforcement = |enforced: m::Enforcement| match enforced {
        m::Enforcement::Server => e::ExpiryEnforcement::Server,
        m::Enforcement::ClientOnly => e::ExpiryEnforcement::ClientOnly,
    };
    if let Some((id, (after, resets_on, enforced))) = idle {
        d.policy.timeouts.idle = Some(duration(after));
        d.policy.timeouts.activity = match resets_on {
            m::Activity::AnyRequest => e::Activity::AnyRequest,
            m::Activity::UserAction => e::Activity::UserAction,
            m::Activity::StateChange => e::Activity::StateChange,
        };
        d.policy.timeouts.idle_enforcement = enforcement(enforced);
        for s in [
            Setting::IdleTimeout,
            Setting::Activity,
            Setting::Enforcement,
        ] {
            d.set_id(s, &id);
        }
    }
    if let Some((id, (after, enforced))) = absolute {
        d.policy.timeouts.absolute = Some(duration(after));
        // Each timer keeps its own enforcement: a server-checked idle timeout beside a shift
        // cap kept by a script in the page stays checked.
        d.policy.timeouts.absolute_enforcement = enforcement(enforced);
        d.set_id(Setting::AbsoluteTimeout, &id);
        d.set_id(Setting::Enforcement, &id);
    }

    if let Some((id, (before, keeps_drafts))) = d.one("expiry warning", |k| match k {
        NodeKind::ExpiryWarning {
            before,
            keeps_drafts,
        } => Some((*before, *keeps_drafts)),
        _ => None,
    }) {
        d.policy.warning = e::WarningPolicy {
            before_idle_expiry: Some(duration(before)),
            work_on_expiry: if keeps_drafts {
                e::WorkOnExpiry::Preserved
            } else {
                e::WorkOnExpiry::Lost
            },
        };
        d.set_id(Setting::Warning, &id);
    }
}

/// Remember-me: offered only when its entry point is drawn; its lifetime only when attached.
fn remember_me(d: &mut Deriver<'_>) {
    let entry = d.weakest(
        "remember-me",
        |k| match k {
            NodeKind::RememberMe {
                device_bound,
                rotate_on_use,
                survives_logout,
                grants_sensitive_actions,
            } => Some((
                *device_bound,
                *rotate_on_use,
                *survives_logout,
                *grants_sensitive_actions,
            )),
            _ => None,
        },
        // Unbound, never rotated, surviving logout, granting everything: weakest first.
        |&(bound, rotates, survives, grants)| (bound, rotates, !survives, !grants),
    );
    let Some((id, (bound, rotates, survives, grants))) = entry else {
        return;
    };
    d.offers.remember_me.push(id.clone());
    d.policy.remember_me = e::RememberMePolicy {
        offered: true,
        lifetime: None,
        device_binding: if bound {
            e::DeviceBinding::Bound
        } else {
            e::DeviceBinding::Unbound
        },
        rotate_on_use: if rotates {
            e::RotateOnUse::Rotate
        } else {
            e::RotateOnUse::Keep
        },
        on_logout: if survives {
            e::RememberOnLogout::Survive
        } else {
            e::RememberOnLogout::Revoke
        },
        grant: if grants {
            e::RememberMeGrant::FullAuthentication
        } else {
            e::RememberMeGrant::ReauthForSensitive
        },
    };
    d.set_id(Setting::RememberMe, &id);
    if let Some((lifetime_id, after)) = d.one("remember-me lifetime", |k| match k {
        NodeKind::RememberMeLifetime { after } => Some(*after),
        _ => None,
    }) {
        d.policy.remember_me.lifetime = Some(duration(after));
        d.set_id(Setting::RememberMeLifetime, &lifetime_id);
    }
}

/// Signed access tokens and refresh tokens.
fn tokens(d: &mut Deriver<'_>) {
    let token_based = matches!(
        d.policy.mechanism,
        e::Mechanism::SignedToken | e::Mechanism::Hybrid
    );
    let signed = d.one("signed token", |k| match k {
        NodeKind::SignedToken {
            algorithm: _,
            verifies_expiry,
            verifies_not_before,
            accepts_alg_none,
            revocation,
            fields: _,
        } => Some((
            *verifies_expiry,
            *verifies_not_before,
            *accepts_alg_none,
            *revocation,
        )),
        _ => None,
    });
    if let Some((id, (exp, nbf, alg_none, revocation))) = signed {
        let check = |on: bool| {
            if on {
                e::ClaimCheck::Enforced
            } else {
                e::ClaimCheck::Ignored
            }
        };
        let t = &mut d.policy.tokens;
        // The engine signs with HMAC-SHA256 whatever algorithm is drawn: what matters to the
        // simulation is whether signatures, `exp` and `nbf` are really checked.
        t.algorithm = if alg_none {
            e::AlgorithmPolicy::AcceptNone
        } else {
            e::AlgorithmPolicy::Hs256Only
        };
        t.check_exp = check(exp);
        t.check_nbf = check(nbf);
        (t.revocation, t.revocation_delay) = revocation_of(revocation);
        d.set_id(Setting::AccessToken, &id);
    } else if token_based {
        d.diagnostics.push(CompileDiagnostic {
            nodes: Vec::new(),
            message: "the flow issues signed tokens but no `Signed token` store is drawn; \
                      assuming verified signatures, `exp` and `nbf`, and no revocation"
                .to_owned(),
        });
    } else if d.policy.mechanism == e::Mechanism::ClientCookie
        && let Some((id, (signed, revocation))) = d.one("cookie session", |k| match k {
            NodeKind::ClientCookieSession {
                signed, revocation, ..
            } => Some((*signed, *revocation)),
            _ => None,
        })
    {
        // The whole session lives in the cookie: only a drawn denylist or per-user not-before
        // lets the server refuse one before it expires (the baseline: it cannot). An unsigned
        // cookie is whatever the client writes into it.
        let t = &mut d.policy.tokens;
        (t.revocation, t.revocation_delay) = revocation_of(revocation);
        t.algorithm = if signed {
            e::AlgorithmPolicy::Hs256Only
        } else {
            e::AlgorithmPolicy::AcceptNone
        };
        d.set_id(Setting::CookieSessionRevocation, &id);
        d.set_id(Setting::AccessToken, &id);
    }
    let lifetime = |kind: m::TokenKind| {
        move |k: &NodeKind| match k {
            NodeKind::TokenLifetime { token, after } if *token == kind => Some(*after),
            _ => None,
        }
    };
    if let Some((id, after)) = d.one("access token lifetime", lifetime(m::TokenKind::Access)) {
        d.policy.tokens.access_lifetime = duration(after);
        d.set_id(Setting::AccessLifetime, &id);
    }

    let refresh = d.weakest(
        "token refresh",
        |k| match k {
            NodeKind::TokenRefresh { rotation, expiry } => Some((*rotation, *expiry)),
            _ => None,
        },
        // Reusable before rotating; without reuse detection before with; a wider grace
        // window before a narrower; a sliding expiry before an absolute one.
        |(rotation, expiry)| {
            let rotation = match rotation {
                m::RefreshRotation::Reusable => (0, false, 0),
                m::RefreshRotation::Rotate {
                    reuse_detection,
                    grace_generations,
                } => (1, *reuse_detection, u8::MAX - *grace_generations),
            };
            (rotation, matches!(expiry, m::RefreshExpiry::Absolute))
        },
    );
    let refresh_lifetime = d
        .one("refresh token lifetime", lifetime(m::TokenKind::Refresh))
        .map(|(id, after)| (id, duration(after)));
    if let Some((id, (rotation, expiry))) = refresh {
        d.offers.refresh.push(id.clone());
        let r = &mut d.policy.refresh;
        (r.rotation, r.reuse, r.grace_generations) = match rotation {
            m::RefreshRotation::Reusable => (e::RefreshRotation::Reuse, e::ReuseDetection::Off, 0),
            m::RefreshRotation::Rotate {
                reuse_detection,
                grace_generations,
            } => (
                e::RefreshRotation::Rotate,
                if reuse_detection {
                    e::ReuseDetection::RevokeFamily
                } else {
                    e::ReuseDetection::Off
                },
                u32::from(grace_generations),
            ),
        };
        let life = refresh_lifetime.as_ref().map_or(FOREVER, |(_, l)| *l);
        r.expiry = match expiry {
            m::RefreshExpiry::Sliding => e::RefreshExpiry::Sliding {
                idle: life,
                cap: None,
            },
            m::RefreshExpiry::Absolute => e::RefreshExpiry::Absolute { lifetime: life },
        };
        d.set_id(Setting::Refresh, &id);
        if let Some((lid, _)) = refresh_lifetime {
            d.set_id(Setting::RefreshLifetime, &lid);
        }
    }
}

/// A drawn revocation in engine terms: the mechanism and how long it takes to reach every server.
fn revocation_of(r: m::Revocation) -> (e::Revocation, Duration) {
    match r {
        m::Revocation::UntilExpiry => (e::Revocation::None, Duration::ZERO),
        m::Revocation::Denylist { propagation } => (
            e::Revocation::Denylist,
            propagation.map_or(Duration::ZERO, duration),
        ),
        m::Revocation::NotBefore { propagation } => (
            e::Revocation::PerUserNotBefore,
            propagation.map_or(Duration::ZERO, duration),
        ),
        m::Revocation::DenylistAndNotBefore { propagation } => (
            e::Revocation::DenylistAndNotBefore,
            propagation.map_or(Duration::ZERO, duration),
        ),
    }
}

/// Logout, password change, disable, admin revoke, privilege change, sensitive actions, pings.
fn endings(d: &mut Deriver<'_>) {
    let logouts = d.all(|k| match k {
        NodeKind::Logout {
            scope,
            invalidation,
            revokes_refresh_tokens,
        } => Some(super::ops::logout_endpoint(
            *scope,
            *invalidation,
            *revokes_refresh_tokens,
        )),
        _ => None,
    });
    // Each logout node keeps its own behaviour in the plan's ops; the policy holds what the
    // flow's plain "log out" does (its first this-device logout, else the first one), which is
    // what a user who logs out at the end of a visit gets.
    let mut everywhere = d.policy.logout.everywhere;
    let plain = logouts
        .iter()
        .find(|(_, l)| l.scope == e::LogoutScope::ThisDevice)
        .or(logouts.first())
        .map(|(_, l)| *l);
    for (id, endpoint) in &logouts {
        match endpoint.scope {
            e::LogoutScope::ThisDevice => {
                d.offers.logout.push(id.clone());
                d.set_id(Setting::LogoutInvalidation, id);
            }
            e::LogoutScope::Everywhere => {
                everywhere = e::LogoutEverywhere::Offered;
                d.offers.logout_everywhere.push(id.clone());
                d.set_id(Setting::LogoutEverywhere, id);
            }
        }
    }
    if d.offers.logout.is_empty()
        && let Some((id, _)) = logouts.first()
    {
        d.set_id(Setting::LogoutInvalidation, id);
    }
    let (invalidation, refresh_on_logout) = plain.map_or(
        (d.policy.logout.invalidation, d.policy.refresh.on_logout),
        |l| (l.invalidation, l.refresh),
    );
    if d.policy.mechanism == e::Mechanism::ClientCookie {
        // A cookie session ends early only through a drawn revocation: a denylist for one
        // device's logout, a per-user not-before for logging out everywhere.
        let revocation = d.policy.tokens.revocation;
        let claims_server: Vec<NodeId> = logouts
            .iter()
            .filter(|(_, l)| {
                l.invalidation == e::LogoutInvalidation::ServerSide
                    && match l.scope {
                        e::LogoutScope::ThisDevice => !revocation.denylist(),
                        e::LogoutScope::Everywhere => !revocation.not_before(),
                    }
            })
            .map(|(id, _)| id.clone())
            .collect();
        if !claims_server.is_empty() {
            d.diagnostics.push(CompileDiagnostic {
                nodes: claims_server,
                message: "this logout is drawn as ending the session on the server, but the \
                          session is a client-side cookie and the revocation this logout needs \
                          (a denylist for one device, a per-user not-before for all of them) is \
                          not drawn on the Client cookie session: the server keeps nothing it \
                          could forget, so the old cookie stays valid"
                    .to_owned(),
            });
        }
    }
    d.policy.logout.invalidation = invalidation;
    d.policy.logout.everywhere = everywhere;
    d.policy.refresh.on_logout = refresh_on_logout;

    // Each password change ends what it ends (its `Op` carries its endpoint, and the scenes play
    // every one that differs); the policy's value, for the flow's description, is the weakest
    // drawn, listed first.
    let mut changes = d.all(|k| match k {
        NodeKind::PasswordChange {
            ends_other_sessions,
            revokes_refresh_tokens,
        } => Some((*ends_other_sessions, *revokes_refresh_tokens)),
        _ => None,
    });
    changes.sort_by_key(|(_, strength)| *strength);
    if let Some((_, (ends, revokes))) = changes.first() {
        d.policy.logout.on_credential_change =
            super::ops::password_change_endpoint(*ends, *revokes).sessions;
    }
    for (id, _) in &changes {
        d.set_id(Setting::CredentialChange, id);
    }
    d.offers.password_change = changes.into_iter().map(|(id, _)| id).collect();

    let disables = d.operator(|k| match k {
        NodeKind::AccountDisable { ends_sessions } => Some(*ends_sessions),
        _ => None,
    });
    if let Some((id, ends)) = disables.first() {
        d.policy.logout.on_account_disable = super::ops::disable_effect(*ends);
        d.set_id(Setting::AccountDisable, id);
    }
    d.offers.account_disable = disables.into_iter().map(|(id, _)| id).collect();

    d.offers.admin_revoke = d
        .operator(|k| matches!(k, NodeKind::AdminRevoke { .. }).then_some(()))
        .into_iter()
        .map(|(id, ())| id)
        .collect();

    let mut privileges = d.operator(|k| match k {
        NodeKind::PrivilegeChange {
            rotation,
            reloads_privileges,
        } => Some((*rotation, *reloads_privileges)),
        _ => None,
    });
    // The role is one setting of the application: the weakest drawn change decides it (one
    // path that leaves old sessions their role is enough) and comes first, as the node to fix.
    privileges.sort_by_key(|(_, (rot, reloads))| (*reloads, *rot != m::Rotation::Keep));
    if let Some((id, (rot, reloads))) = privileges.first().cloned() {
        d.policy.rotation.on_privilege_change = rotation(rot);
        d.policy.rotation.privileges = if reloads {
            e::PrivilegeReload::Reload
        } else {
            e::PrivilegeReload::KeepSnapshot
        };
        d.set_id(Setting::PrivilegeChange, &id);
    }
    d.offers.privilege_change = privileges.into_iter().map(|(id, _)| id).collect();

    // Each sensitive action asks for re-authentication its own way (its `Op` carries the rule,
    // and the engine checks that one); the policy's rule, for the flow's description, is the
    // weakest drawn, listed first.
    let mut reauths = d.all(|k| match k {
        NodeKind::SensitiveAction { reauth, .. } => Some(super::ops::reauth_policy(*reauth)),
        _ => None,
    });
    reauths.sort_by_key(|(_, r)| (r.max_auth_age.is_some(), std::cmp::Reverse(r.max_auth_age)));
    for (id, _) in &reauths {
        d.set_id(Setting::Reauth, id);
    }
    if let Some((_, weakest)) = reauths.first() {
        d.policy.reauth = *weakest;
    }
    d.offers.sensitive_actions = reauths.into_iter().map(|(id, _)| id).collect();

    d.offers.background_pings = d.all(|k| match k {
        NodeKind::BackgroundPing { every } => Some(duration(*every)),
        _ => None,
    });
    d.offers.requests = d.ids(|k| matches!(k, NodeKind::Request { .. }));
}

/// Entry points: what a user holds before verification or MFA, and identity-provider logout.
fn entries(d: &mut Deriver<'_>) {
    // Not drawn (the baseline): an unverified account signs in fully (nothing checks), and
    // neither an MFA step nor a reset link that is not drawn gives anything.
    d.offers.sign_in = d.ids(|k| {
        matches!(
            k,
            NodeKind::Login { .. } | NodeKind::MagicLink { .. } | NodeKind::ApiTokenEndpoint { .. }
        )
    });
    d.offers.mfa_login = d.ids(|k| matches!(k, NodeKind::Login { mfa, .. } if *mfa != m::Mfa::Off));
    d.offers.password_alone =
        d.ids(|k| matches!(k, NodeKind::Login { mfa, .. } if *mfa != m::Mfa::Required));
    let pre = |p: m::PreAuthSession| match p {
        m::PreAuthSession::Full => e::PreVerify::Full,
        m::PreAuthSession::Limited => e::PreVerify::Limited,
        m::PreAuthSession::NoSession => e::PreVerify::None,
    };
    if let Some((id, before)) = d.one("sign-up", |k| match k {
        NodeKind::SignUp {
            before_verification,
        } => Some(*before_verification),
        _ => None,
    }) {
        d.policy.account_state.unverified_email = pre(before);
        d.offers.sign_up.push(id.clone());
        d.set_id(Setting::AccountState, &id);
    }
    if let Some((id, before)) = d.one("login MFA", |k| match k {
        NodeKind::Login { mfa, before_mfa } if *mfa != m::Mfa::Off => Some(*before_mfa),
        _ => None,
    }) {
        d.policy.account_state.mfa_pending = pre(before);
        d.set_id(Setting::AccountState, &id);
    }
    if let Some((id, before)) = d.one("password reset", |k| match k {
        NodeKind::PasswordReset {
            before_completion, ..
        } => Some(*before_completion),
        _ => None,
    }) {
        d.policy.account_state.reset_pending = pre(before);
        d.offers.reset.push(id.clone());
        d.set_id(Setting::AccountState, &id);
    }

    let federated = d.all(|k| match k {
        NodeKind::Sso { idp_logout, .. } | NodeKind::OidcCallback { idp_logout, .. } => {
            Some(*idp_logout)
        }
        _ => None,
    });
    // The weakest federated entry decides: one path that ignores IdP logout is enough. It is
    // listed first (the sign-in the scenes use, and the node a finding blames), and only it is
    // the setting's source; the others keep map order after it.
    let rank = |l: &m::IdpLogout| match l {
        m::IdpLogout::Ignored => 0,
        m::IdpLogout::FrontChannel => 1,
        m::IdpLogout::BackChannel => 2,
    };
    let mut federated = federated;
    federated.sort_by_key(|(_, logout)| rank(logout));
    if let Some((id, weakest)) = federated.first() {
        d.policy.federation.idp_logout = match weakest {
            m::IdpLogout::Ignored => e::IdpLogoutPropagation::Ignored,
            m::IdpLogout::FrontChannel => e::IdpLogoutPropagation::FrontChannel,
            m::IdpLogout::BackChannel => e::IdpLogoutPropagation::BackChannel,
        };
        d.set_id(Setting::Federation, &id.clone());
    }
    d.offers.federated = federated.into_iter().map(|(id, _)| id).collect();
}

/// Where the client keeps its credential, the cookie's attributes, and the session data.
fn stores(d: &mut Deriver<'_>) {
    let session_credential = match d.policy.mechanism {
        e::Mechanism::ServerSide | e::Mechanism::ClientCookie => m::Credential::SessionId,
        e::Mechanism::SignedToken | e::Mechanism::Hybrid => m::Credential::AccessToken,
    };
    let mut storages = d.all(|k| match k {
        NodeKind::ClientStorage { holds, location } => Some((*holds, location.clone())),
        _ => None,
    });
    // Where the session credential is drawn in more than one place, the weakest place is what
    // a script or a thief meets: it is applied last (so it decides) and is the setting's one
    // source, whatever the order of the nodes in the file.
    let strength = |holds: m::Credential, location: &m::Location| -> u8 {
        if holds != session_credential {
            return 9;
        }
        match location {
            m::Location::SecureDeviceStorage | m::Location::Memory => 4,
            m::Location::Cookie(c) if c.http_only => 3,
            m::Location::Cookie(_) => 2,
            m::Location::LocalStorage | m::Location::SessionStorage | m::Location::UrlParameter => {
                1
            }
        }
    };
    storages.sort_by_key(|(_, (holds, location))| std::cmp::Reverse(strength(*holds, location)));
    let mut session_storage = None;
    let mut session_cookie_drawn = false;
    for (id, (holds, location)) in storages {
        let c = &mut d.policy.cookie;
        match (&location, holds) {
            (m::Location::Cookie(cookie), h) if h == session_credential => {
                let (prefix, name) = split_prefix(&cookie.name);
                c.prefix = prefix;
                c.name = name.to_owned();
                c.secure = cookie.secure;
                c.http_only = cookie.http_only;
                c.same_site = match cookie.same_site {
                    m::SameSite::Unset => None,
                    m::SameSite::CrossSite => Some(e::SameSite::None),
                    m::SameSite::Lax => Some(e::SameSite::Lax),
                    m::SameSite::Strict => Some(e::SameSite::Strict),
                };
                c.path = cookie.path.clone();
                c.domain = cookie.domain.clone();
                c.max_age = cookie.max_age.map(duration);
                c.storage = e::CredentialStorage::Cookie;
                session_cookie_drawn = true;
            }
            (m::Location::Cookie(cookie), m::Credential::RememberMeToken) => {
                c.remember_me_name = split_prefix(&cookie.name).1.to_owned();
            }
            (m::Location::Cookie(cookie), m::Credential::RefreshToken) => {
                c.refresh_name = split_prefix(&cookie.name).1.to_owned();
            }
            (other, h) if h == session_credential => {
                c.storage = match other {
                    // A URL parameter, like web storage, is readable by any script on the page.
                    m::Location::LocalStorage
                    | m::Location::SessionStorage
                    | m::Location::UrlParameter => e::CredentialStorage::LocalStorage,
                    m::Location::Memory => e::CredentialStorage::Memory,
                    m::Location::SecureDeviceStorage => e::CredentialStorage::SecureDeviceStorage,
                    m::Location::Cookie(_) => e::CredentialStorage::Cookie,
                };
                session_cookie_drawn = true;
            }
            _ => {}
        }
        // The setting is where the session credential is kept; remember-me and refresh
        // cookies are drawn too, but they are not it.
        if holds == session_credential {
            session_storage = Some(id);
        }
    }
    if let Some(id) = session_storage {
        d.set_id(Setting::Cookie, &id);
    }
    if !session_cookie_drawn {
        d.diagnostics.push(CompileDiagnostic {
            nodes: Vec::new(),
            message: format!(
                "no `Client storage` node says where the client keeps its {session_credential}; \
                 assuming a `__Host-` cookie with Secure, HttpOnly and SameSite=Lax"
            ),
        });
    }

    let mut fields = Vec::new();
    for n in d.members {
        let (NodeKind::ServerStore { fields: f, .. }
        | NodeKind::SignedToken { fields: f, .. }
        | NodeKind::ClientCookieSession { fields: f, .. }) = &n.kind
        else {
            continue;
        };
        for field in f {
            fields.push(e::DataField {
                name: field.name.clone(),
                tag: match field.kind {
                    m::FieldKind::Identity => e::DataTag::Identity,
                    m::FieldKind::Role => e::DataTag::Role,
                    m::FieldKind::Preference | m::FieldKind::Cached => e::DataTag::Cached,
                    m::FieldKind::Secret | m::FieldKind::PaymentCard | m::FieldKind::NationalId => {
                        e::DataTag::Sensitive
                    }
                },
            });
        }
        d.sources.add(Setting::SessionData, &n.id);
    }
    if !fields.is_empty() {
        d.policy.session_data.fields = fields;
    }
}

fn split_prefix(name: &str) -> (e::CookiePrefix, &str) {
    if let Some(rest) = name.strip_prefix("__Host-") {
        (e::CookiePrefix::Host, rest)
    } else if let Some(rest) = name.strip_prefix("__Secure-") {
        (e::CookiePrefix::Secure, rest)
    } else {
        (e::CookiePrefix::None, name)
    }
}
