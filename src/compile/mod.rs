//! From drawing to policy: a [`Map`] becomes a [`Plan`] — the engine policy each drawn flow
//! implies, which node each setting came from, the executable flow graph the simulator walks,
//! and diagnostics for drawings that cannot be made sense of.
//!
//! The drawing is the policy: nothing drawn means nothing configured. A flow with no idle
//! timeout drawn runs with no idle timeout; a remember-me entry with no lifetime attached issues
//! tokens that never expire. This module never mutates the map.

mod baseline;
mod derive;
mod describe;
mod graph;
mod ops;
mod profile;
pub mod rules;

use std::collections::BTreeMap;
use std::fmt;

use crate::engine::Policy;
use crate::model::{Map, NodeId};

pub use baseline::not_drawn;
pub use describe::{PolicyRow, describe, human};
pub use graph::{FlowGraph, Step};
pub use ops::{Op, Ops, SignIn};
pub use profile::Profile;
pub use rules::lint;

/// Everything the simulator and the static rules need from a map.
#[derive(Debug)]
pub struct Plan {
    /// One flow per create-session stage, in map order.
    pub flows: Vec<Flow>,
    /// The transitions users walk (attachments are not in it).
    pub graph: FlowGraph,
    /// What each node does when reached, with its own parameters: the simulator runs these
    /// and never reads a node's kind.
    pub ops: Ops,
    pub diagnostics: Vec<CompileDiagnostic>,
}

/// A session flow: a create-session stage with the entry points that lead to it, the stages
/// that follow it, and the timeouts and stores attached to them.
#[derive(Debug)]
pub struct Flow {
    /// The create-session node the flow is named after.
    pub create: NodeId,
    /// The lane of the create-session node, if any.
    pub lane: Option<crate::model::LaneId>,
    /// Every node that belongs to the flow (entries, stages, timeouts, stores), in map order.
    pub members: Vec<NodeId>,
    pub policy: Policy,
    /// Which node(s) each derived setting came from.
    pub sources: Sources,
    /// The operations the drawing offers, with the nodes that offer them.
    pub offers: Offers,
}

/// A policy setting the compiler derives from the drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    Mechanism,
    Ids,
    LoginRotation,
    IdleTimeout,
    AbsoluteTimeout,
    Activity,
    Enforcement,
    RememberMe,
    RememberMeLifetime,
    AccessToken,
    /// Whether a client-side cookie session can be refused before it expires.
    CookieSessionRevocation,
    AccessLifetime,
    Refresh,
    RefreshLifetime,
    Concurrency,
    LogoutInvalidation,
    LogoutEverywhere,
    CredentialChange,
    AccountDisable,
    PrivilegeChange,
    Binding,
    Reauth,
    AccountState,
    Federation,
    Warning,
    Cookie,
    SessionData,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::Mechanism => "session mechanism",
            Setting::Ids => "session id generation",
            Setting::LoginRotation => "id rotation on login",
            Setting::IdleTimeout => "idle timeout",
            Setting::AbsoluteTimeout => "absolute timeout",
            Setting::Activity => "what counts as activity",
            Setting::Enforcement => "who enforces expiry",
            Setting::RememberMe => "remember-me",
            Setting::RememberMeLifetime => "remember-me lifetime",
            Setting::AccessToken => "access token validation",
            Setting::CookieSessionRevocation => "cookie session revocation",
            Setting::AccessLifetime => "access token lifetime",
            Setting::Refresh => "refresh token rotation",
            Setting::RefreshLifetime => "refresh token lifetime",
            Setting::Concurrency => "concurrent sessions",
            Setting::LogoutInvalidation => "logout invalidation",
            Setting::LogoutEverywhere => "log out of all devices",
            Setting::CredentialChange => "on password change",
            Setting::AccountDisable => "on account disable",
            Setting::PrivilegeChange => "on privilege change",
            Setting::Binding => "client binding",
            Setting::Reauth => "re-authentication",
            Setting::AccountState => "sessions before verification",
            Setting::Federation => "identity-provider logout",
            Setting::Warning => "expiry warning",
            Setting::Cookie => "cookie",
            Setting::SessionData => "session data",
        })
    }
}

/// Which nodes each setting of a flow's policy came from. A setting with no source was not
/// drawn, and holds its baseline value, whose meaning [`not_drawn`] puts in words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources(BTreeMap<Setting, Vec<NodeId>>);

impl Sources {
    pub fn of(&self, setting: Setting) -> &[NodeId] {
        self.0.get(&setting).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn add(&mut self, setting: Setting, node: &NodeId) {
        let nodes = self.0.entry(setting).or_default();
        if !nodes.contains(node) {
            nodes.push(node.clone());
        }
    }

    /// Every setting a node contributes to (for the inspector: "this node sets ...").
    pub fn settings_from(&self, node: &NodeId) -> Vec<Setting> {
        self.0
            .iter()
            .filter(|(_, nodes)| nodes.contains(node))
            .map(|(s, _)| *s)
            .collect()
    }
}

/// The operations a flow's drawing offers its users and operators, with the nodes offering them.
/// The simulator only does what the drawing offers: no "log out everywhere" drawn, none done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Offers {
    /// First-factor entries: login forms, magic links, API token endpoints.
    pub sign_in: Vec<NodeId>,
    /// Login forms with a second factor.
    pub mfa_login: Vec<NodeId>,
    /// Login forms where the password alone signs in: no second factor, or an optional one a
    /// user may not have turned on.
    pub password_alone: Vec<NodeId>,
    /// Password-reset links.
    pub reset: Vec<NodeId>,
    pub logout: Vec<NodeId>,
    pub logout_everywhere: Vec<NodeId>,
    pub password_change: Vec<NodeId>,
    /// Operator actions that reach the flow: those drawn in it, and where it draws none of a
    /// kind, those drawn elsewhere on the map (an administrator's lane acts on the users').
    pub account_disable: Vec<NodeId>,
    pub admin_revoke: Vec<NodeId>,
    pub privilege_change: Vec<NodeId>,
    pub refresh: Vec<NodeId>,
    pub remember_me: Vec<NodeId>,
    pub sensitive_actions: Vec<NodeId>,
    /// Background pings and how often each fires.
    pub background_pings: Vec<(NodeId, std::time::Duration)>,
    pub requests: Vec<NodeId>,
    /// Federated entry points (SSO, OIDC callback) whose identity provider can log users out.
    pub federated: Vec<NodeId>,
    pub sign_up: Vec<NodeId>,
}

/// A drawing the compiler could not fully make sense of, with the nodes concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileDiagnostic {
    pub nodes: Vec<NodeId>,
    pub message: String,
}

impl fmt::Display for CompileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.nodes.is_empty() {
            let ids: Vec<&str> = self.nodes.iter().map(NodeId::as_str).collect();
            write!(f, "[{}] ", ids.join(", "))?;
        }
        f.write_str(&self.message)
    }
}

/// Compiles a map. Never fails: what cannot be understood becomes a diagnostic.
pub fn compile(map: &Map) -> Plan {
    let graph = FlowGraph::new(map);
    let mut diagnostics = Vec::new();
    let flows = derive::flows(map, &graph, &mut diagnostics);
    let creates: Vec<NodeId> = flows.iter().map(|f| f.create.clone()).collect();
    Plan {
        ops: Ops::new(map, &creates),
        flows,
        graph,
        diagnostics,
    }
}

impl Plan {
    /// The flow a node belongs to (the first, when it is shared).
    pub fn flow_of(&self, node: &NodeId) -> Option<&Flow> {
        self.flows.iter().find(|f| f.members.contains(node))
    }
}
