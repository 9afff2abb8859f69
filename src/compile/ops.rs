//! What each drawn node does when a user or an operator reaches it: the executable half of the
//! plan. The simulator runs these operations and never reads a node's kind itself, so each
//! node keeps its own semantics (a "sign out" that only clears the cookie beside a "sign out
//! everywhere" that revokes) and the drawing is interpreted in one place.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engine as e;
use crate::model::{self as m, Map, NodeId, NodeKind};

/// How an entry point signs a user in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignIn {
    /// A password form; `mfa` when a second factor follows.
    Password { mfa: bool },
    /// A federated callback (SSO, social login): the identity provider vouches for the user.
    Federated,
    /// A password-reset link: what the user holds before the new password is set is the
    /// flow's `account_state.reset_pending`.
    ResetLink,
    /// A magic link or an API token endpoint: one step, no second factor.
    OneStep,
}

/// The operation a node performs, with the node's own parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    SignIn(SignIn),
    SignUp,
    RememberMe,
    /// The create-session stage of flow `flow` (index in `Plan::flows`).
    Create {
        flow: usize,
    },
    Request(e::RequestKind),
    Ping {
        every: Duration,
    },
    /// A sensitive action, with its own re-authentication rule (two actions of one flow may ask
    /// differently).
    Sensitive(e::ReauthPolicy),
    Refresh,
    Logout(e::LogoutEndpoint),
    PasswordChange(e::PasswordChangeEndpoint),
    /// An operator disables the account, with this effect on its sessions.
    Disable(e::DisableEffect),
    /// An operator ends a user's sessions.
    AdminRevoke,
    /// An operator changes a user's role.
    PrivilegeChange,
    /// Timeouts and stores configure the flow; reaching one does nothing.
    Configure,
}

/// The operation of every node, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ops(BTreeMap<NodeId, Op>);

impl Ops {
    pub(super) fn new(map: &Map, creates: &[NodeId]) -> Self {
        Ops(map
            .nodes
            .iter()
            .map(|n| (n.id.clone(), op_of(&n.kind, &n.id, creates)))
            .collect())
    }

    /// What a node does (`Configure` for an unknown id).
    pub fn of(&self, node: &NodeId) -> Op {
        self.0.get(node).copied().unwrap_or(Op::Configure)
    }
}

/// A drawn logout's own behaviour.
pub(super) fn logout_endpoint(
    scope: m::LogoutScope,
    invalidation: m::Invalidation,
    revokes_refresh_tokens: bool,
) -> e::LogoutEndpoint {
    e::LogoutEndpoint {
        scope: match scope {
            m::LogoutScope::ThisDevice => e::LogoutScope::ThisDevice,
            m::LogoutScope::AllDevices => e::LogoutScope::Everywhere,
        },
        invalidation: match invalidation {
            m::Invalidation::Server => e::LogoutInvalidation::ServerSide,
            m::Invalidation::ClientOnly => e::LogoutInvalidation::ClientOnly,
        },
        refresh: refresh_on(revokes_refresh_tokens),
    }
}

/// A drawn password change's own behaviour.
pub(super) fn password_change_endpoint(
    ends_other_sessions: bool,
    revokes_refresh_tokens: bool,
) -> e::PasswordChangeEndpoint {
    e::PasswordChangeEndpoint {
        sessions: if ends_other_sessions {
            e::CredentialChange::EndOthers
        } else {
            e::CredentialChange::KeepAll
        },
        refresh: refresh_on(revokes_refresh_tokens),
    }
}

fn refresh_on(revokes: bool) -> e::RefreshOnLogout {
    if revokes {
        e::RefreshOnLogout::Revoke
    } else {
        e::RefreshOnLogout::Keep
    }
}

/// A drawn re-authentication rule as the engine checks it.
pub(super) fn reauth_policy(reauth: m::Reauth) -> e::ReauthPolicy {
    match reauth {
        m::Reauth::NotRequired => e::ReauthPolicy {
            max_auth_age: None,
            measured_from: e::AuthAge::LastAuthentication,
        },
        m::Reauth::RecentLogin { within } => e::ReauthPolicy {
            max_auth_age: Some(super::derive::duration(within)),
            measured_from: e::AuthAge::LastAuthentication,
        },
        m::Reauth::SessionAge { within } => e::ReauthPolicy {
            max_auth_age: Some(super::derive::duration(within)),
            measured_from: e::AuthAge::SessionStart,
        },
    }
}

pub(super) fn disable_effect(ends_sessions: bool) -> e::DisableEffect {
    if ends_sessions {
        e::DisableEffect::EndSessions
    } else {
        e::DisableEffect::KeepSessions
    }
}

fn op_of(kind: &NodeKind, id: &NodeId, creates: &[NodeId]) -> Op {
    match kind {
        NodeKind::Login { mfa, .. } => Op::SignIn(SignIn::Password {
            mfa: *mfa != m::Mfa::Off,
        }),
        NodeKind::Sso { .. } | NodeKind::OidcCallback { .. } => Op::SignIn(SignIn::Federated),
        NodeKind::PasswordReset { .. } => Op::SignIn(SignIn::ResetLink),
        NodeKind::MagicLink { .. } | NodeKind::ApiTokenEndpoint { .. } => {
            Op::SignIn(SignIn::OneStep)
        }
        NodeKind::SignUp { .. } => Op::SignUp,
        NodeKind::RememberMe { .. } => Op::RememberMe,
        NodeKind::CreateSession { .. } => creates
            .iter()
            .position(|c| c == id)
            .map_or(Op::Configure, |flow| Op::Create { flow }),
        NodeKind::Request { state_change } => Op::Request(if *state_change {
            e::RequestKind::StateChange
        } else {
            e::RequestKind::UserAction
        }),
        NodeKind::BackgroundPing { every } => Op::Ping {
            // Validation reports a non-positive interval; here it means once a minute.
            every: every.to_duration().unwrap_or(Duration::from_secs(60)),
        },
        NodeKind::SensitiveAction { reauth, .. } => Op::Sensitive(reauth_policy(*reauth)),
        NodeKind::TokenRefresh { .. } => Op::Refresh,
        NodeKind::Logout {
            scope,
            invalidation,
            revokes_refresh_tokens,
        } => Op::Logout(logout_endpoint(
            *scope,
            *invalidation,
            *revokes_refresh_tokens,
        )),
        NodeKind::PasswordChange {
            ends_other_sessions,
            revokes_refresh_tokens,
        } => Op::PasswordChange(password_change_endpoint(
            *ends_other_sessions,
            *revokes_refresh_tokens,
        )),
        NodeKind::AccountDisable { ends_sessions } => Op::Disable(disable_effect(*ends_sessions)),
        NodeKind::AdminRevoke { .. } => Op::AdminRevoke,
        NodeKind::PrivilegeChange { .. } => Op::PrivilegeChange,
        NodeKind::IdleTimeout { .. }
        | NodeKind::AbsoluteTimeout { .. }
        | NodeKind::RememberMeLifetime { .. }
        | NodeKind::TokenLifetime { .. }
        | NodeKind::ExpiryWarning { .. }
        | NodeKind::ServerStore { .. }
        | NodeKind::SignedToken { .. }
        | NodeKind::ClientCookieSession { .. }
        | NodeKind::ClientStorage { .. } => Op::Configure,
    }
}
