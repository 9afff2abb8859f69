//! Why the engine accepted what it should not have. A finding's id, the nodes it blames and
//! its explanation come from the engine's [`Grounds`] (what it checked, and how each check let
//! the credential through) and from the plan's sources (which node set the deciding setting),
//! never from which scene happened to run. An explanation quotes a drawn value only where that
//! value is the cause.

use super::shard::{FlowInfo, ms};
use super::users::human_ms;
use crate::compile::{Profile, Setting};
use crate::engine::{
    Activity, CredentialKind, ExpCheck, Grounds, LogoutInvalidation, LogoutScope, RevocationCheck,
    TimerCheck,
};
use crate::model::NodeId;
use crate::report::Gap;

/// A gap's id, the nodes to change, and the paragraph read aloud.
#[derive(Clone, Debug)]
pub(super) struct Cause {
    pub id: Gap,
    pub nodes: Vec<NodeId>,
    pub explanation: String,
}

impl Cause {
    fn new(id: Gap, nodes: Vec<NodeId>, explanation: impl Into<String>) -> Self {
        Cause {
            id,
            nodes,
            explanation: explanation.into(),
        }
    }
}

/// How a credential outlived a time limit it should not have.
#[derive(Clone, Debug)]
pub(super) enum Outlived {
    /// Left unused longer than the profile's idle limit, then accepted.
    Unused { for_ms: u64 },
    /// Kept busy past the profile's absolute limit, then accepted.
    Busy { age_ms: u64 },
    /// Only background requests for `for_ms` (longer than the drawn idle timeout), then
    /// accepted for a user action.
    Pinged { for_ms: u64, ping: NodeId },
    /// Replayed after the client's own timer had deleted it: the absolute one (the user kept
    /// working until the cap) or the idle one (the user walked away).
    ClientTimer { absolute: bool },
}

/// The cause of a credential accepted past a time limit, or `None` when the grounds show no
/// gap of this kind (the scene then reports nothing).
pub(super) fn outlived(
    info: &FlowInfo,
    profile: &Profile,
    grounds: &Grounds,
    what: &Outlived,
) -> Option<Cause> {
    if grounds.credential == CredentialKind::AccessToken {
        return Some(token_lifetime(info, grounds, what));
    }
    let timer = match what {
        Outlived::Busy { .. } | Outlived::ClientTimer { absolute: true } => grounds.absolute,
        _ => grounds.idle,
    };
    let profile_name = profile.name;
    match (timer, what) {
        // The pings renew the cookie the client's timer watches: what keeps the session alive
        // is that they count as activity, whoever enforces the timeout.
        (TimerCheck::ClientOnly, Outlived::Pinged { for_ms, ping })
            if grounds.activity == Activity::AnyRequest =>
        {
            let mut nodes = info.from(Setting::Activity);
            nodes.push(ping.clone());
            Some(Cause::new(
                Gap::SessIdleBgping,
                nodes,
                format!(
                    "The idle timeout is reset by any request, background ones included: each \
                     ping renews the session, so a tab that polls keeps an unattended session \
                     alive forever ({} without a user action, and still accepted). Count only \
                     user actions as activity.",
                    human_ms(*for_ms)
                ),
            ))
        }
        (TimerCheck::ClientOnly, Outlived::Pinged { .. }) => None,
        (TimerCheck::ClientOnly, _) => {
            let setting = match what {
                Outlived::Busy { .. } | Outlived::ClientTimer { absolute: true } => {
                    Setting::AbsoluteTimeout
                }
                _ => Setting::IdleTimeout,
            };
            Some(Cause::new(
                Gap::SessExpiryClientside,
                info.from(setting),
                "Expiry is enforced only by the client (a cookie Max-Age, a JavaScript timer), \
                 as the timeout is drawn: the server never checks it, so it accepts the session \
                 whenever the raw cookie is replayed. Enforce the timeout on the server.",
            ))
        }
        (TimerCheck::NotConfigured, Outlived::Unused { for_ms }) => {
            let mut nodes = vec![info.create.clone()];
            nodes.extend(info.from(Setting::Mechanism));
            Some(Cause::new(
                Gap::SessIdleNone,
                nodes,
                format!(
                    "No idle timeout is drawn for this flow, so a session nobody uses stays \
                     valid: after {} without a request it was still accepted. Attach an idle \
                     timeout to the create-session stage.",
                    human_ms(*for_ms)
                ),
            ))
        }
        (TimerCheck::NotConfigured, Outlived::Pinged { for_ms, .. }) => {
            let mut nodes = vec![info.create.clone()];
            nodes.extend(info.from(Setting::Mechanism));
            Some(Cause::new(
                Gap::SessIdleNone,
                nodes,
                format!(
                    "No idle timeout is drawn for this flow: a session with no user action \
                     for {} was still accepted.",
                    human_ms(*for_ms)
                ),
            ))
        }
        (TimerCheck::NotConfigured, Outlived::Busy { age_ms }) => {
            // The absolute timeout goes on the create stage: that is the node to change.
            let mut nodes = vec![info.create.clone()];
            nodes.extend(info.from(Setting::IdleTimeout));
            // Quote the idle timeout only where one is drawn (and slid): the cause is the
            // missing cap either way.
            let why = if grounds.idle == TimerCheck::NotConfigured {
                "nothing ends a session in use"
            } else {
                "the idle timeout slides with every request"
            };
            Some(Cause::new(
                Gap::SessAbsNone,
                nodes,
                format!(
                    "No absolute timeout is drawn: {why}, so a session kept busy never ends. \
                     Here it was still accepted {} after sign-in, past profile \
                     {profile_name}'s limit. Attach an absolute timeout.",
                    human_ms(*age_ms)
                ),
            ))
        }
        (TimerCheck::Within { limit }, Outlived::Unused { .. }) => {
            let max = profile.idle_max?;
            (limit > max).then(|| {
                Cause::new(
                    Gap::SessIdleTooLong,
                    info.from(Setting::IdleTimeout),
                    format!(
                        "The drawn idle timeout ({}) is longer than profile {profile_name} \
                         allows ({}): a session left alone for longer than the profile's \
                         limit is still accepted.",
                        human_ms(ms(limit)),
                        human_ms(ms(max))
                    ),
                )
            })
        }
        (TimerCheck::Within { limit }, Outlived::Busy { .. }) => {
            let max = profile.absolute_max?;
            (limit > max).then(|| {
                Cause::new(
                    Gap::SessAbsTooLong,
                    info.from(Setting::AbsoluteTimeout),
                    format!(
                        "The drawn absolute timeout ({}) is longer than profile \
                         {profile_name} allows ({}): a session kept busy was still accepted \
                         past the profile's limit, and would be refused only at the drawn one.",
                        human_ms(ms(limit)),
                        human_ms(ms(max))
                    ),
                )
            })
        }
        (TimerCheck::Within { limit }, Outlived::Pinged { for_ms, ping }) => {
            // Accepted with no user action for longer than the idle timeout: only the pings
            // can have reset it, and the engine counts them when any request is activity.
            (grounds.activity == Activity::AnyRequest && *for_ms > ms(limit)).then(|| {
                let mut nodes = info.from(Setting::Activity);
                nodes.push(ping.clone());
                Cause::new(
                    Gap::SessIdleBgping,
                    nodes,
                    format!(
                        "The idle timeout ({}) is reset by any request, background ones \
                         included, so a tab that polls keeps an unattended session alive \
                         {}: {} without a user action, and still accepted. Count only user \
                         actions as activity.",
                        human_ms(ms(limit)),
                        match grounds.absolute {
                            TimerCheck::Within { limit } => format!(
                                "until the absolute timeout ({}) ends it",
                                human_ms(ms(limit))
                            ),
                            _ => "forever".to_owned(),
                        },
                        human_ms(*for_ms)
                    ),
                )
            })
        }
        (TimerCheck::Within { .. }, Outlived::ClientTimer { .. })
        | (TimerCheck::NotConfigured, Outlived::ClientTimer { .. })
        | (TimerCheck::NotTracked, _) => None,
    }
}

/// A stateless access token outlived a limit: the drawn session timeouts do not govern it, its
/// own lifetime does (or nothing, when `exp` is not checked).
fn token_lifetime(info: &FlowInfo, grounds: &Grounds, what: &Outlived) -> Cause {
    let waited = match what {
        Outlived::Unused { for_ms } | Outlived::Pinged { for_ms, .. } => {
            format!("after {} without use", human_ms(*for_ms))
        }
        Outlived::Busy { age_ms } => format!("{} after sign-in", human_ms(*age_ms)),
        Outlived::ClientTimer { .. } => "after the client discarded it".to_owned(),
    };
    if grounds.exp == ExpCheck::Ignored {
        return Cause::new(
            Gap::JwtValidationWeak,
            info.from(Setting::AccessToken),
            format!(
                "The server does not check the access token's exp: the token was accepted \
                 {waited}, and will be for ever. Verify exp (and nbf) on every request."
            ),
        );
    }
    let lifetime = info.policy.tokens.access_lifetime;
    let drawn = info.from(Setting::AccessLifetime);
    let mut nodes = drawn.clone();
    nodes.extend(info.from(Setting::AccessToken));
    if nodes.is_empty() {
        nodes.push(info.create.clone());
    }
    let life = if drawn.is_empty() {
        "no access-token lifetime is drawn, so it never expires".to_owned()
    } else {
        format!("it lives {} as drawn", human_ms(ms(lifetime)))
    };
    Cause::new(
        Gap::JwtLongLived,
        nodes,
        format!(
            "The access token is a signed, stateless credential: the server keeps no record of \
             it to time out, so the session's idle and absolute timeouts do not apply to it — \
             only its exp does, and {life}. It was accepted {waited}. Keep access tokens to \
             minutes (5–30) and let the refresh token carry the session."
        ),
    )
}

/// What should have ended a credential.
#[derive(Clone, Debug)]
pub(super) enum Ending {
    /// A logout at `node`, which ended `ended` server records.
    Logout {
        node: NodeId,
        invalidation: LogoutInvalidation,
        /// One device's logout or all of them (which revocation it needs).
        scope: LogoutScope,
        ended: u32,
    },
    /// A password change at `node` that keeps (`keeps`) or ends other sessions.
    PasswordChange { node: NodeId, keeps: bool },
    /// An account disable at `node` that keeps (`keeps`) or ends sessions.
    Disable { node: NodeId, keeps: bool },
    /// An administrator's kill at `node`.
    AdminKill { node: NodeId },
    /// A sign-out at the identity provider behind `node`, after which the app ended `ended`.
    IdpLogout { node: NodeId, ended: u32 },
}

/// The cause of a credential accepted after something should have ended it. `later` is how
/// long after the ending it was first refused as revoked, if it was (a propagation delay).
pub(super) fn survived(
    info: &FlowInfo,
    grounds: &Grounds,
    ending: &Ending,
    later: Option<u64>,
) -> Cause {
    let (action_id, action_node, action_text): (Gap, &NodeId, &str) = match ending {
        Ending::Logout { node, .. } => (Gap::LogoutServerNoop, node, "logout"),
        Ending::PasswordChange { node, .. } => (Gap::CredChangeSurvive, node, "password change"),
        Ending::Disable { node, .. } => (Gap::AcctDisableSurvive, node, "account disable"),
        Ending::AdminKill { node } => (Gap::RevokeLatency, node, "administrator's kill"),
        Ending::IdpLogout { node, .. } => (Gap::FedRpOutlivesIdp, node, "identity-provider logout"),
    };
    if let Some(latency) = later {
        let mut nodes = info.from(Setting::AccessToken);
        nodes.extend(info.from(Setting::CookieSessionRevocation));
        nodes.push(action_node.clone());
        return Cause::new(
            Gap::RevokeLatency,
            nodes,
            format!(
                "After the {action_text} the credential stayed usable until the revocation \
                 reached every server: it was refused only {} later. Shorten the propagation \
                 delay drawn on the token store.",
                human_ms(latency)
            ),
        );
    }
    // Revoked, but the revocation had not reached every server yet: the drawn delay is the
    // cause, whatever a later probe would have seen.
    if let RevocationCheck::Propagating { .. } = grounds.revocation {
        let mut nodes = info.from(Setting::AccessToken);
        nodes.extend(info.from(Setting::CookieSessionRevocation));
        nodes.push(action_node.clone());
        let delay = ms(info.policy.tokens.revocation_delay);
        return Cause::new(
            Gap::RevokeLatency,
            nodes,
            format!(
                "After the {action_text} the credential was revoked, but the revocation had not \
                 reached every server yet: the drawn propagation delay ({}) keeps a copy usable \
                 for that long after the {action_text}. Shorten the delay drawn on the token \
                 store.",
                human_ms(delay),
            ),
        );
    }
    // What the ending itself did, from its own drawing and the engine's answer.
    let own = match ending {
        // On a cookie session that cannot be revoked, a client-only logout is all there is: the
        // cause is the missing revocation (below), not this node's choice.
        Ending::Logout {
            invalidation: LogoutInvalidation::ClientOnly,
            node,
            ended,
            ..
        } if !(grounds.credential == CredentialKind::CookieSession
            && grounds.revocation == RevocationCheck::NotPossible) =>
        {
            Some(Cause::new(
                Gap::LogoutServerNoop,
                vec![node.clone()],
                format!(
                    "This logout is drawn as client-only: the client forgets the credential, and \
                     the server ends nothing ({ended} session(s) ended), so anyone holding a \
                     copy of it is still signed in. Invalidate the session on the server."
                ),
            ))
        }
        Ending::PasswordChange { node, keeps: true } => Some(Cause::new(
            Gap::CredChangeSurvive,
            vec![node.clone()],
            "This password change is drawn to keep the other sessions: an attacker who signed \
             in with the stolen password stays signed in after the victim changed it. End the \
             other sessions and their refresh tokens.",
        )),
        Ending::Disable { node, keeps: true } => Some(Cause::new(
            Gap::AcctDisableSurvive,
            vec![node.clone()],
            "This account disable is drawn to keep the account's sessions: requests made after \
             the account was disabled are still accepted. End its sessions when disabling.",
        )),
        Ending::IdpLogout { node, ended: 0 } => {
            let mut nodes = info.from(Setting::Federation);
            if !nodes.contains(node) {
                nodes.push(node.clone());
            }
            Some(Cause::new(
                Gap::FedRpOutlivesIdp,
                nodes,
                "The application's session outlives the identity provider's: after the user \
                 signed out (or was disabled) at the IdP, the app ended no session and still \
                 accepts it. Honour back-channel logout.",
            ))
        }
        _ => None,
    };
    if let Some(cause) = own {
        return cause;
    }
    // The ending did its part; the credential is one the server cannot take back.
    match (grounds.credential, grounds.revocation) {
        (CredentialKind::AccessToken, _) => {
            let mut nodes = info.from(Setting::AccessToken);
            if nodes.is_empty() {
                nodes.push(info.create.clone());
            }
            let how = if grounds.revocation == RevocationCheck::NotPossible {
                "the server keeps no revocation list for it"
            } else {
                "the drawn revocation model does not cover this kind of ending"
            };
            Cause::new(
                Gap::JwtNoRevoke,
                nodes,
                format!(
                    "The signed access token stays valid until it expires whatever happens: \
                     {how}, so a copy still worked after the {action_text}. Draw a denylist \
                     or per-user not-before on the token store, or keep tokens short."
                ),
            )
        }
        (CredentialKind::CookieSession, RevocationCheck::NotPossible) => {
            let mut nodes = info.from(Setting::Mechanism);
            nodes.extend(info.from(Setting::SessionData));
            nodes.push(action_node.clone());
            Cause::new(
                action_id,
                nodes,
                format!(
                    "The whole session lives in a signed cookie and the server keeps nothing it \
                     could forget: the {action_text} cannot end it, and a copy of the old cookie \
                     is still accepted. Draw a denylist and per-user not-before on the client \
                     cookie session (or move the session server-side)."
                ),
            )
        }
        (CredentialKind::CookieSession, _) => {
            let mut nodes = info.from(Setting::CookieSessionRevocation);
            nodes.push(action_node.clone());
            let needs = match ending {
                Ending::Logout {
                    scope: LogoutScope::ThisDevice,
                    ..
                } => "a denylist (one device's logout)",
                _ => "a per-user not-before (every session of the user)",
            };
            Cause::new(
                action_id,
                nodes,
                format!(
                    "The cookie session's drawn revocation does not cover this kind of ending: \
                     {} {action_text} needs {needs}, so a copy of the old cookie is still \
                     accepted. Draw denylist + not-before on the client cookie session.",
                    article(action_text)
                ),
            )
        }
        _ => {
            let nodes = vec![action_node.clone()];
            Cause::new(
                action_id,
                nodes,
                format!(
                    "After the {action_text} the server still accepted the session: it was not \
                     ended on the server."
                ),
            )
        }
    }
}

/// "a" or "an" before a word, as it is spoken.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
