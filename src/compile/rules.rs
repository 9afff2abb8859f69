//! Static rules: gaps decided from the map alone, instantly while drawing. Each rule is one
//! function and one catalogue entry (`report::CATALOGUE`); `RULES` lists them in `GAPS.md`
//! order.
//!
//! Every rule walks the map and the plan in map order, so the same drawing always gives the same
//! findings in the same order. A rule reports what is drawn, in the drawing's own words: node
//! labels, the cookie's real `Set-Cookie` line, the session's field list.
//!
//! The map-hygiene rules share two definitions:
//! - **Ends** are the stages after which a user has no session left to continue with: a logout,
//!   an account disable and an admin revoke. A password change or a privilege change is not an
//!   end: the user's own session carries on (`ends_other_sessions` ends the *other* ones), so the
//!   drawing must say where the user goes next.
//! - **Roots** are where walks start: every entry point, plus operator actions that start on
//!   their own — an admin revoke, account disable, privilege change or password change with no
//!   transition into it is something an operator (or the user from a settings page the map does
//!   not draw) does at any time, not a stage a user must be led to.
//!
//! Timeouts and stores are attached to stages, never walked, so they are neither dead ends nor
//! unreachable; a timeout attached to nothing is `MAP-UNUSED-TIMEOUT`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use petgraph::Direction;

use crate::engine as e;
use crate::model::{
    Cookie, Credential, EdgeId, Field, FieldKind, Group, Location, Map, Node, NodeId, NodeKind,
    SameSite,
};
use crate::report::{Finding, Gap, Step};

use super::{Flow, FlowGraph, Plan, Profile};

/// What a rule can look at.
pub struct RuleContext<'a> {
    pub map: &'a Map,
    pub plan: &'a Plan,
    pub profile: Profile,
}

/// A static rule: the findings it makes for a map.
pub type Rule = fn(&RuleContext<'_>) -> Vec<Finding>;

/// Every static rule with the catalogue id it reports, in `GAPS.md` order.
pub static RULES: &[(Gap, Rule)] = &[
    (Gap::SessIdInUrl, sess_id_in_url),
    (Gap::SessIdEntropyLow, sess_id_entropy_low),
    (Gap::AdminKillNone, admin_kill_none),
    (Gap::CookieFlags, cookie_flags),
    (Gap::CookieScope, cookie_scope),
    (Gap::CookiePersistent, cookie_persistent),
    (Gap::DataSensitive, data_sensitive),
    (Gap::DataStale, data_stale),
    (Gap::MapNoLogout, map_no_logout),
    (Gap::MapDeadEnd, map_dead_end),
    (Gap::MapUnreachable, map_unreachable),
    (Gap::MapUnusedTimeout, map_unused_timeout),
];

/// Runs every static rule.
pub fn lint(map: &Map, plan: &Plan, profile: Profile) -> Vec<Finding> {
    let cx = RuleContext { map, plan, profile };
    RULES.iter().flat_map(|(_, rule)| rule(&cx)).collect()
}

// ── Identifiers ──────────────────────────────────────────────────────────────────────────────

/// SESS-ID-IN-URL: a credential kept in a URL parameter.
fn sess_id_in_url(cx: &RuleContext<'_>) -> Vec<Finding> {
    cx.map
        .nodes
        .iter()
        .filter_map(|node| match &node.kind {
            NodeKind::ClientStorage {
                holds,
                location: Location::UrlParameter,
            } => Some((node, *holds)),
            _ => None,
        })
        .map(|(node, holds)| {
            let explanation = format!(
                "{} keeps the {holds} in a URL parameter. URLs are written to browser history, \
                 bookmarks, server and proxy logs, and sent to other sites in the Referer \
                 header, so the {holds} ends up in places anyone with access to a log or a \
                 shared link can copy it from and replay it. Carry it in a cookie or an \
                 Authorization header instead.",
                quoted(node)
            );
            Finding::new(Gap::SessIdInUrl, vec![node.id.clone()], explanation).with_evidence(vec![
                Step::drawn(
                    &node.id,
                    format!("{holds} kept in a URL parameter"),
                    "the token is in every log, history entry and Referer that carries the URL",
                ),
            ])
        })
        .collect()
}

/// SESS-ID-ENTROPY-LOW: a server-side flow whose drawn id generator has fewer random bits than
/// the profile asks. (Ids so short that guessing finds a live one in the simulation are also
/// SESS-ID-PREDICTABLE, proven by the attack; counters and timestamps have no random bits and
/// are left to that attack.)
fn sess_id_entropy_low(cx: &RuleContext<'_>) -> Vec<Finding> {
    let index = by_id(cx.map);
    let least = cx.profile.id_entropy_min_bits;
    cx.plan
        .flows
        .iter()
        // Only server-side sessions are looked up by the id alone: refresh tokens carry a MAC
        // and signed tokens no id at all.
        .filter(|flow| flow.policy.mechanism == e::Mechanism::ServerSide)
        .filter_map(|flow| {
            let (e::IdGenerator::Csprng { bits } | e::IdGenerator::LowEntropy { bits }) =
                flow.policy.ids.generator
            else {
                return None;
            };
            let bits = u32::from(bits);
            if bits >= least {
                return None;
            }
            let nodes: Vec<NodeId> = match flow.sources.of(super::Setting::Ids) {
                [] => vec![flow.create.clone()],
                drawn => drawn.to_vec(),
            };
            let node = index.get(&nodes[0])?;
            let guesses = bits.saturating_sub(13);
            // Say plainly when the shortfall is a matter of the rule, not of a real attack.
            let reach = if guesses >= 80 {
                "That is far beyond any attacker today: this is a gap against the profile's \
                 rule rather than a practical attack."
            } else {
                "A patient attacker with many addresses can make that many requests, and is \
                 signed in as whoever it hits."
            };
            let explanation = format!(
                "{} makes session ids with {bits} random bits, fewer than the {least} the {} \
                 profile asks. An attacker does not need to guess one user's id, only any live \
                 one: with 10,000 sessions live, 2^{bits} ids take about 2^{guesses} guesses \
                 on average. {reach} Generate ids with a CSPRNG and at least {least} bits.",
                quoted(node),
                cx.profile.name,
            );
            Some(
                Finding::new(Gap::SessIdEntropyLow, nodes, explanation).with_evidence(vec![
                    Step::drawn(
                        &node.id,
                        format!("session ids of {bits} random bits"),
                        format!("the {} profile asks at least {least}", cx.profile.name),
                    ),
                ]),
            )
        })
        .collect()
}

// ── Revocation ───────────────────────────────────────────────────────────────────────────────

/// ADMIN-KILL-NONE: a flow that no admin revoke reaches (none drawn in it, none anywhere).
fn admin_kill_none(cx: &RuleContext<'_>) -> Vec<Finding> {
    let index = by_id(cx.map);
    cx.plan
        .flows
        .iter()
        .filter(|flow| flow.offers.admin_revoke.is_empty())
        .filter_map(|flow| {
            let create = index.get(&flow.create)?;
            let lane = flow
                .lane
                .as_ref()
                .and_then(|l| cx.map.lane(l))
                .map(|l| format!(" in the \"{}\" lane", l.title))
                .unwrap_or_default();
            let hint = "Draw an admin revoke stage that ends one user's sessions (in an \
                        administrator's lane, it reaches every flow that draws none of its own).";
            let explanation = format!(
                "The session flow started at {}{lane} has no admin revoke: when one of its \
                 users is compromised, support or security staff have no way to end that \
                 user's sessions, and the attacker keeps them until they expire. {hint}",
                quoted(create)
            );
            Some(
                Finding::new(Gap::AdminKillNone, vec![flow.create.clone()], explanation)
                    .with_evidence(vec![Step::drawn(
                        &flow.create,
                        format!(
                            "flow of {}: {} nodes, none of them an admin revoke",
                            quoted(create),
                            flow.members.len()
                        ),
                        "no operator can end this flow's sessions",
                    )]),
            )
        })
        .collect()
}

// ── Cookies ──────────────────────────────────────────────────────────────────────────────────

/// The credential cookies the map draws, in map order.
fn cookies(map: &Map) -> impl Iterator<Item = (&Node, Credential, &Cookie)> {
    map.nodes.iter().filter_map(|node| match &node.kind {
        NodeKind::ClientStorage {
            holds,
            location: Location::Cookie(cookie),
        } => Some((node, *holds, cookie)),
        _ => None,
    })
}

/// The `Set-Cookie` header the drawn cookie amounts to.
fn set_cookie_line(cookie: &Cookie, holds: Credential) -> String {
    let value = match holds {
        Credential::SessionId => "<id>",
        Credential::AccessToken => "<access token>",
        Credential::RefreshToken => "<refresh token>",
        Credential::RememberMeToken => "<remember-me token>",
    };
    let mut line = format!("Set-Cookie: {}={value}", cookie.name);
    if !cookie.path.is_empty() {
        line.push_str(&format!("; Path={}", cookie.path));
    }
    if let Some(domain) = &cookie.domain {
        line.push_str(&format!("; Domain={domain}"));
    }
    if let Some(age) = cookie.max_age {
        line.push_str(&format!("; Max-Age={}", age.as_seconds()));
    }
    if cookie.secure {
        line.push_str("; Secure");
    }
    if cookie.http_only {
        line.push_str("; HttpOnly");
    }
    match cookie.same_site {
        SameSite::Unset => {}
        same_site => line.push_str(&format!("; SameSite={same_site}")),
    }
    line
}

fn has_prefix(cookie: &Cookie) -> Option<&'static str> {
    ["__Host-", "__Secure-"]
        .into_iter()
        .find(|p| cookie.name.starts_with(p))
}

/// COOKIE-FLAGS: a credential cookie without Secure, HttpOnly or a protective SameSite.
fn cookie_flags(cx: &RuleContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (node, holds, cookie) in cookies(cx.map) {
        let mut missing = Vec::new();
        let mut why = Vec::new();
        if !cookie.secure {
            missing.push("Secure");
            let mut text = "no Secure, so the browser also sends it over plain HTTP, where \
                            anyone on the network can read it"
                .to_owned();
            if let Some(prefix) = has_prefix(cookie) {
                text.push_str(&format!(
                    " (and browsers refuse a `{prefix}` cookie without Secure altogether)"
                ));
            }
            why.push(text);
        }
        if !cookie.http_only {
            missing.push("HttpOnly");
            why.push(
                "no HttpOnly, so any script on the page, an XSS payload included, can read it \
                 and send it away"
                    .to_owned(),
            );
        }
        match cookie.same_site {
            SameSite::Unset => {
                missing.push("SameSite");
                why.push(
                    "no SameSite, so whether it rides along on requests other sites trigger \
                     (cross-site request forgery) is left to each browser's default"
                        .to_owned(),
                );
            }
            SameSite::CrossSite if !cookie.secure => {
                missing.push("SameSite");
                why.push(
                    "SameSite=None, which sends it on every cross-site request and which \
                     browsers only accept together with Secure"
                        .to_owned(),
                );
            }
            _ => {}
        }
        if missing.is_empty() {
            continue;
        }
        let line = set_cookie_line(cookie, holds);
        let explanation = format!(
            "{} carries the {holds} and is set as `{line}`. It has {}. Set Secure, HttpOnly \
             and SameSite=Lax (or Strict) on every cookie that carries a credential.",
            quoted(node),
            join_clauses(&why)
        );
        out.extend(Some(
            Finding::new(Gap::CookieFlags, vec![node.id.clone()], explanation).with_evidence(vec![
                Step::drawn(
                    &node.id,
                    line,
                    format!("missing {}", list(missing.iter().copied())),
                ),
            ]),
        ));
    }
    out
}

/// COOKIE-SCOPE: a credential cookie without the `__Host-` prefix, with a Domain, or with a
/// Path other than `/` (which rules out `__Host-`).
fn cookie_scope(cx: &RuleContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (node, holds, cookie) in cookies(cx.map) {
        let host = cookie.name.starts_with("__Host-");
        let root_path = cookie.path == "/";
        if host && cookie.domain.is_none() && root_path {
            continue;
        }
        let mut why = Vec::new();
        if let Some(domain) = &cookie.domain {
            let site = domain.trim_start_matches('.');
            why.push(if host {
                format!(
                    "Domain={domain}, which browsers refuse on a `__Host-` cookie, so it is \
                     never stored"
                )
            } else {
                format!(
                    "Domain={domain}, so the browser sends it to every subdomain of {site}, and \
                     any of them (a forgotten marketing site, a user-content host) receives the \
                     credential"
                )
            });
        }
        if !host {
            why.push(match has_prefix(cookie) {
                Some(prefix) => format!(
                    "the `{prefix}` prefix but not `__Host-`, so a sibling subdomain can still \
                     set a cookie of the same name over it"
                ),
                None => "no `__Host-` prefix, so a sibling subdomain or a plain-HTTP page can \
                         plant a cookie of the same name over it (cookie tossing)"
                    .to_owned(),
            });
        }
        if !root_path {
            why.push(if host {
                format!(
                    "Path={}, which browsers refuse on a `__Host-` cookie, so it is never \
                     stored",
                    cookie.path
                )
            } else {
                format!(
                    "Path={}, which rules out the `__Host-` prefix (it requires Path=/)",
                    cookie.path
                )
            });
        }
        let line = set_cookie_line(cookie, holds);
        let mut explanation = format!(
            "{} carries the {holds} and is set as `{line}`. It has {}. Name it `__Host-…` \
             with Secure, Path=/ and no Domain, so the browser keeps it to the exact host that \
             set it.",
            quoted(node),
            join_clauses(&why)
        );
        if !host && !root_path && cookie.domain.is_none() && has_prefix(cookie).is_some() {
            explanation.push_str(
                " If the narrow path is deliberate (a refresh cookie sent only to the refresh \
                 endpoint), `__Secure-` is the strongest prefix available: keep it and accept \
                 this finding knowingly.",
            );
        }
        out.extend(Some(
            Finding::new(Gap::CookieScope, vec![node.id.clone()], explanation).with_evidence(vec![
                Step::drawn(&node.id, line, "not locked to the host that set it"),
            ]),
        ));
    }
    out
}

/// COOKIE-PERSISTENT: the session's own cookie has a Max-Age though it is not how the flow
/// remembers users.
///
/// The session's own cookie is the one holding the session id, or the access token when the
/// flow's session *is* a signed token. Refresh and remember-me tokens are long-lived by design
/// (their lifetimes are the simulator's business). A persistent session cookie is accepted only
/// as the remember-me mechanism itself: the flow offers remember-me and draws no separate
/// remember-me token. When a separate token is drawn, the session cookie persists for every
/// user, whether or not they asked to be remembered.
fn cookie_persistent(cx: &RuleContext<'_>) -> Vec<Finding> {
    let index = by_id(cx.map);
    let mut out = Vec::new();
    for (node, holds, cookie) in cookies(cx.map) {
        let Some(max_age) = cookie.max_age else {
            continue;
        };
        let flows: Vec<&Flow> = cx
            .plan
            .flows
            .iter()
            .filter(|f| f.members.contains(&node.id))
            .collect();
        let is_session_cookie = match holds {
            Credential::SessionId => true,
            Credential::AccessToken => flows
                .iter()
                .any(|f| f.policy.mechanism == e::Mechanism::SignedToken),
            Credential::RefreshToken | Credential::RememberMeToken => false,
        };
        if !is_session_cookie {
            continue;
        }
        let is_the_remember_me = flows
            .iter()
            .any(|f| !f.offers.remember_me.is_empty() && remember_token_of(&index, f).is_none());
        if is_the_remember_me {
            continue;
        }
        let separate = flows
            .iter()
            .filter(|f| !f.offers.remember_me.is_empty())
            .find_map(|f| remember_token_of(&index, f))
            .and_then(|id| index.get(id).copied());
        let context = match separate {
            Some(token) => format!(
                "Remember-me has its own token ({}), so this cookie is not how users are \
                 remembered: it keeps every user signed in, whether or not they asked to be.",
                quoted(token)
            ),
            None => "The flow offers no remember-me, so nobody asked to stay signed in.".to_owned(),
        };
        let mut too_long = String::new();
        if let (Some(limit), Some(age)) = (cx.profile.absolute_max, max_age.to_duration())
            && age > limit
        {
            too_long = format!(
                " (longer than the {} absolute session lifetime the {} profile allows)",
                human(limit),
                cx.profile.name
            );
        }
        let line = set_cookie_line(cookie, holds);
        let explanation = format!(
            "{} carries the {holds} and is set as `{line}`: with Max-Age it is written to disk \
             and survives closing the browser for {max_age}{too_long}, so the next person at a \
             shared computer is still signed in. {context} Leave Max-Age off the session \
             cookie; offer remember-me with its own token and lifetime for users who want to \
             stay signed in.",
            quoted(node)
        );
        out.extend(Some(
            Finding::new(Gap::CookiePersistent, vec![node.id.clone()], explanation).with_evidence(
                vec![Step::drawn(
                    &node.id,
                    line,
                    format!("persists for {max_age} after the browser closes"),
                )],
            ),
        ));
    }
    out
}

/// The remember-me token storage a flow draws, if any.
fn remember_token_of<'a>(index: &HashMap<&NodeId, &Node>, flow: &'a Flow) -> Option<&'a NodeId> {
    flow.members.iter().find(|id| {
        index.get(id).is_some_and(|n| {
            matches!(
                n.kind,
                NodeKind::ClientStorage {
                    holds: Credential::RememberMeToken,
                    ..
                }
            )
        })
    })
}

// ── Session data ─────────────────────────────────────────────────────────────────────────────

/// The stores that keep session data, with their fields, in map order.
fn stores(map: &Map) -> impl Iterator<Item = (&Node, &[Field])> {
    map.nodes.iter().filter_map(|node| match &node.kind {
        NodeKind::ServerStore { fields, .. }
        | NodeKind::SignedToken { fields, .. }
        | NodeKind::ClientCookieSession { fields, .. } => Some((node, fields.as_slice())),
        _ => None,
    })
}

fn field_list(fields: &[Field]) -> String {
    let all: Vec<String> = fields
        .iter()
        .map(|f| format!("{} ({})", f.name, f.kind))
        .collect();
    format!("fields: {}", all.join(", "))
}

/// DATA-SENSITIVE: passwords, hashes, card numbers or national ids in session data.
fn data_sensitive(cx: &RuleContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (node, fields) in stores(cx.map) {
        let sensitive: Vec<&Field> = fields
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FieldKind::Secret | FieldKind::PaymentCard | FieldKind::NationalId
                )
            })
            .collect();
        if sensitive.is_empty() {
            continue;
        }
        let where_it_goes = match &node.kind {
            NodeKind::SignedToken { .. } => {
                "A signed token is readable by whoever holds it: signing protects it from \
                 changes, not from being read, so the values travel with every request and sit \
                 in the client."
            }
            NodeKind::ClientCookieSession {
                encrypted: false, ..
            } => {
                "A cookie session is sent to the browser, and this one is not encrypted, so \
                 the values sit readable in the client and travel with every request."
            }
            NodeKind::ClientCookieSession { .. } => {
                "A cookie session is sent to the browser, so the values travel with every \
                 request and are only as safe as the cookie's encryption key."
            }
            _ => {
                "Session stores are copied into replicas, backups and debugging dumps and are \
                 rarely protected like the primary data, so the values leak with any of them."
            }
        };
        let explanation = format!(
            "{} keeps {} in the session. {where_it_goes} Keep only identifiers in the session \
             and read sensitive data from its protected store when it is needed.",
            quoted(node),
            list(sensitive.iter().map(|f| format!("{} ({})", f.name, f.kind)))
        );
        out.extend(Some(
            Finding::new(Gap::DataSensitive, vec![node.id.clone()], explanation).with_evidence(
                vec![Step::drawn(
                    &node.id,
                    field_list(fields),
                    format!(
                        "{} must not be kept in a session",
                        list(sensitive.iter().map(|f| f.name.clone()))
                    ),
                )],
            ),
        ));
    }
    out
}

/// DATA-STALE: data that changes outside the session, cached in it.
fn data_stale(cx: &RuleContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (node, fields) in stores(cx.map) {
        let cached: Vec<&Field> = fields
            .iter()
            .filter(|f| f.kind == FieldKind::Cached)
            .collect();
        if cached.is_empty() {
            continue;
        }
        let explanation = format!(
            "{} caches {} in the session. These values change outside the session (another \
             device, a payment, a back-office correction), so the copy goes stale and pages and \
             decisions that read it show or act on old numbers until the session ends. Keep an \
             identifier in the session and read the current value from its source.",
            quoted(node),
            list(cached.iter().map(|f| f.name.clone()))
        );
        out.extend(Some(
            Finding::new(Gap::DataStale, vec![node.id.clone()], explanation).with_evidence(vec![
                Step::drawn(
                    &node.id,
                    field_list(fields),
                    format!(
                        "{} can go stale",
                        list(cached.iter().map(|f| f.name.clone()))
                    ),
                ),
            ]),
        ));
    }
    out
}

// ── Map hygiene ──────────────────────────────────────────────────────────────────────────────
//
// These rules run on every keystroke and on 1,000-node maps, so each is linear in the map: one
// id index, one walk per question, no per-node searches of the whole map.

/// The map's nodes by id (the first node wins for a duplicate id, as in the flow graph).
fn by_id(map: &Map) -> HashMap<&NodeId, &Node> {
    let mut index = HashMap::with_capacity(map.nodes.len());
    for node in &map.nodes {
        index.entry(&node.id).or_insert(node);
    }
    index
}

/// Stages after which the user has no session left to continue with.
fn is_end(kind: &NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Logout { .. } | NodeKind::AccountDisable { .. } | NodeKind::AdminRevoke { .. }
    )
}

/// Operator actions: they can start on their own, and they are not where a user's session is.
fn is_operator_action(kind: &NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::AdminRevoke { .. }
            | NodeKind::AccountDisable { .. }
            | NodeKind::PrivilegeChange { .. }
            | NodeKind::PasswordChange { .. }
    )
}

fn is_walked(node: &Node) -> bool {
    matches!(node.kind.group(), Group::Entry | Group::Lifecycle)
}

/// Every node from which one of `targets` is reachable by transitions (the targets included).
fn reaching(graph: &FlowGraph, targets: impl IntoIterator<Item = NodeId>) -> HashSet<NodeId> {
    let targets: Vec<NodeId> = targets.into_iter().collect();
    graph
        .reachable_from(&targets, Direction::Incoming, |_| false)
        .into_iter()
        .collect()
}

/// Every node reachable by transitions from one of `roots` (the roots included).
fn reached_from(graph: &FlowGraph, roots: impl IntoIterator<Item = NodeId>) -> HashSet<NodeId> {
    let roots: Vec<NodeId> = roots.into_iter().collect();
    graph
        .reachable_from(&roots, Direction::Outgoing, |_| false)
        .into_iter()
        .collect()
}

/// At most this many nodes are named in one explanation; the rest are counted.
const NAMED: usize = 5;

/// The labels of some nodes, in map order, the first few named and the rest counted.
fn named(map: &Map, ids: &HashSet<NodeId>) -> String {
    let labels: Vec<String> = map
        .nodes
        .iter()
        .filter(|n| ids.contains(&n.id))
        .map(quoted)
        .collect();
    if labels.len() > NAMED {
        let more = labels.len() - NAMED;
        let mut shown = labels[..NAMED].to_vec();
        shown.push(format!("{more} more"));
        list(shown)
    } else {
        list(labels)
    }
}

/// MAP-NO-LOGOUT: a stage of a flow from which no logout is reachable.
///
/// Logouts themselves, and the operator actions that end sessions (admin revoke, account
/// disable), are not stages a user's session sits in, so they are not checked.
fn map_no_logout(cx: &RuleContext<'_>) -> Vec<Finding> {
    let graph = &cx.plan.graph;
    let in_a_flow: HashSet<&NodeId> = cx.plan.flows.iter().flat_map(|f| &f.members).collect();
    let logouts = cx
        .map
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Logout { .. }))
        .map(|n| n.id.clone());
    let can_log_out = reaching(graph, logouts);
    // Stages from which no path reaches a logout, in map order.
    let stranded: Vec<&Node> = cx
        .map
        .nodes
        .iter()
        .filter(|node| {
            node.kind.group() == Group::Lifecycle
                && !is_end(&node.kind)
                && in_a_flow.contains(&node.id)
                && !can_log_out.contains(&node.id)
        })
        .collect();
    // Everything each stranded stage leads to (itself included); all of it is stranded too.
    let onward: HashMap<&NodeId, HashSet<NodeId>> = stranded
        .iter()
        .map(|node| {
            let reach = graph.reachable(&node.id, Direction::Outgoing, |_| false);
            (&node.id, reach.into_iter().collect())
        })
        .collect();
    // One finding per place to fix: a group of stages that only lead to each other (often one
    // stage with no way out). The stages that merely lead there are named with it, not
    // reported again: a logout drawn from the group fixes them as well.
    let is_bottom = |id: &NodeId| {
        onward[id]
            .iter()
            .all(|m| onward.get(m).is_some_and(|back| back.contains(id)))
    };
    let mut out = Vec::new();
    let mut reported: HashSet<&NodeId> = HashSet::new();
    for node in &stranded {
        if reported.contains(&node.id) || !is_bottom(&node.id) {
            continue;
        }
        let group = &onward[&node.id];
        let members: Vec<&Node> = stranded
            .iter()
            .copied()
            .filter(|n| group.contains(&n.id))
            .collect();
        reported.extend(members.iter().map(|n| &n.id));
        let upstream: Vec<&Node> = stranded
            .iter()
            .copied()
            .filter(|n| !group.contains(&n.id) && onward[&n.id].is_superset(group))
            .collect();
        let here = named(cx.map, &members.iter().map(|n| n.id.clone()).collect());
        let (fact, paths) = if members.len() == 1 && graph.steps(&node.id).is_empty() {
            (
                "no transitions out".to_owned(),
                format!(
                    "{here} has no transition out, so the drawing offers no way to log out from \
                     it."
                ),
            )
        } else {
            (
                format!("transitions from {here} only lead back to {here}"),
                format!(
                    "Transitions from {here} only lead back to {here}, and none of them is a \
                     logout."
                ),
            )
        };
        let also = if upstream.is_empty() {
            String::new()
        } else {
            format!(
                " Every path from {} ends there too.",
                named(cx.map, &upstream.iter().map(|n| n.id.clone()).collect())
            )
        };
        let explanation = format!(
            "{paths}{also} A user who gets there cannot end the session and leaves it open, on \
             a shared computer for the next person. Draw a transition from {here} to a logout."
        );
        let nodes = members
            .iter()
            .chain(&upstream)
            .map(|n| n.id.clone())
            .collect();
        let mut evidence = vec![Step::drawn(&node.id, fact, "no logout reachable")];
        evidence.extend(upstream.iter().map(|n| {
            Step::drawn(
                &n.id,
                format!("every path from {} leads to {here}", quoted(n)),
                "no logout reachable",
            )
        }));
        out.push(Finding::new(Gap::MapNoLogout, nodes, explanation).with_evidence(evidence));
    }
    out
}

/// MAP-DEAD-END: an entry point or stage with no transition out that is not an end.
fn map_dead_end(cx: &RuleContext<'_>) -> Vec<Finding> {
    let graph = &cx.plan.graph;
    let index = by_id(cx.map);
    let mut out = Vec::new();
    for node in &cx.map.nodes {
        if !is_walked(node) || is_end(&node.kind) || !graph.steps(&node.id).is_empty() {
            continue;
        }
        let into = graph.steps_into(&node.id);
        let from = if into.is_empty() {
            "Nothing leads to it either".to_owned()
        } else {
            format!(
                "It is reached from {}",
                list(
                    into.iter()
                        .map(|s| format!("{} ({})", label_of(&index, &s.to), s.trigger))
                )
            )
        };
        let explanation = format!(
            "{} ({}) has no transition out and is not an end (a logout, an account disable or \
             an admin revoke). {from}; users who get there are stuck: the drawing says nothing \
             about where they go next, not even to a logout. Draw where the user goes from \
             here.",
            quoted(node),
            node.kind.name()
        );
        let edges: Vec<EdgeId> = into.iter().map(|s| s.edge.clone()).collect();
        out.extend(Some(
            Finding::new(Gap::MapDeadEnd, vec![node.id.clone()], explanation)
                .with_edges(edges)
                .with_evidence(vec![Step::drawn(
                    &node.id,
                    "no transitions out",
                    "virtual users who reach it stop here",
                )]),
        ));
    }
    out
}

/// MAP-UNREACHABLE: a stage no entry point (and no operator action) reaches by transitions.
fn map_unreachable(cx: &RuleContext<'_>) -> Vec<Finding> {
    let graph = &cx.plan.graph;
    let index = by_id(cx.map);
    let roots = cx
        .map
        .nodes
        .iter()
        .filter(|n| {
            n.kind.group() == Group::Entry
                || (is_operator_action(&n.kind) && graph.steps_into(&n.id).is_empty())
        })
        .map(|n| n.id.clone());
    let reached = reached_from(graph, roots);
    let mut out = Vec::new();
    for node in &cx.map.nodes {
        if !is_walked(node) || reached.contains(&node.id) {
            continue;
        }
        let into = graph.steps_into(&node.id);
        let how = if into.is_empty() {
            "no transition leads to it".to_owned()
        } else {
            format!(
                "it is reached only from {}, which no entry point reaches either",
                list(into.iter().map(|s| label_of(&index, &s.to)))
            )
        };
        let explanation = format!(
            "No entry point or operator action leads to {} ({}): {how}. No virtual user ever \
             gets there, so what it configures is never exercised and the simulation says \
             nothing about it. Connect it from the stage that leads to it, or remove it.",
            quoted(node),
            node.kind.name()
        );
        let edges: Vec<EdgeId> = into.iter().map(|s| s.edge.clone()).collect();
        let fact = if into.is_empty() {
            "no transitions in".to_owned()
        } else {
            format!(
                "{} transition(s) in, all from unreachable nodes",
                into.len()
            )
        };
        out.extend(Some(
            Finding::new(Gap::MapUnreachable, vec![node.id.clone()], explanation)
                .with_edges(edges)
                .with_evidence(vec![Step::drawn(
                    &node.id,
                    fact,
                    "no walk from an entry point gets here",
                )]),
        ));
    }
    out
}

/// MAP-UNUSED-TIMEOUT: a timeout whose attachments (through other timeouts and stores, as an
/// expiry warning hangs on an idle timeout) reach no stage it could govern.
fn map_unused_timeout(cx: &RuleContext<'_>) -> Vec<Finding> {
    let graph = &cx.plan.graph;
    let index = by_id(cx.map);
    let mut out = Vec::new();
    for node in &cx.map.nodes {
        if node.kind.group() != Group::Timeout {
            continue;
        }
        // Attachment chains are short (a warning on a timeout on a stage): a small walk.
        let mut seen: Vec<&NodeId> = vec![&node.id];
        let mut frontier = vec![&node.id];
        let mut governs = false;
        while let Some(id) = frontier.pop() {
            for other in graph.attached(id) {
                if seen.contains(&other) {
                    continue;
                }
                seen.push(other);
                match index.get(other) {
                    Some(n) if is_walked(n) => governs = true,
                    Some(_) => frontier.push(other),
                    None => {}
                }
            }
            if governs {
                break;
            }
        }
        if governs {
            continue;
        }
        let attached: Vec<&Node> = seen
            .iter()
            .skip(1)
            .filter_map(|id| index.get(id).copied())
            .collect();
        let how = if attached.is_empty() {
            "it is attached to nothing".to_owned()
        } else {
            format!(
                "it is attached only to {}, which govern no stage",
                list(attached.iter().map(|n| quoted(n)))
            )
        };
        let explanation = format!(
            "{} ({}) governs nothing: {how}. A timeout only applies to the stages it is attached \
             to, so the flow runs as if it were not drawn. Attach it to the stages (or the \
             create-session stage) it is meant to govern.",
            quoted(node),
            node.kind.summary()
        );
        out.extend(Some(
            Finding::new(Gap::MapUnusedTimeout, vec![node.id.clone()], explanation).with_evidence(
                vec![Step::drawn(
                    &node.id,
                    format!("{}, no stage attached", node.kind.summary()),
                    "configures nothing",
                )],
            ),
        ));
    }
    out
}

// ── Wording ──────────────────────────────────────────────────────────────────────────────────

/// A node as an explanation names it: its label in quotes.
fn quoted(node: &Node) -> String {
    format!("\"{}\"", node.label)
}

fn label_of(index: &HashMap<&NodeId, &Node>, id: &NodeId) -> String {
    index
        .get(id)
        .map_or_else(|| format!("`{id}`"), |n| quoted(n))
}

/// "a", "a and b", "a, b and c".
fn list(items: impl IntoIterator<Item = impl Into<String>>) -> String {
    let items: Vec<String> = items.into_iter().map(Into::into).collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Clauses that may contain commas themselves: "a; b; and c".
fn join_clauses(clauses: &[String]) -> String {
    match clauses {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a}, and {b}"),
        [init @ .., last] => format!("{}; and {last}", init.join("; ")),
    }
}

/// A profile limit in the largest whole unit.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => match s / 86_400 {
            1 => "1 day".to_owned(),
            n => format!("{n} days"),
        },
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}
