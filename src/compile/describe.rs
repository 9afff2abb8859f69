//! A flow's derived policy in words, setting by setting, with the nodes each came from — for
//! reports and for the inspector ("this flow's idle timeout comes from node X").

use std::time::Duration;

use super::{Flow, Setting};
use crate::engine as e;
use crate::model::NodeId;

/// One line of a derived policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRow {
    pub setting: Setting,
    pub value: String,
    /// The nodes the value came from; empty when nothing is drawn.
    pub from: Vec<NodeId>,
    /// When nothing is drawn: what that means and why (what frameworks do when nobody
    /// configured it), from [`super::not_drawn`].
    pub not_drawn: Option<&'static str>,
}

/// "10 min", "8 h", "30 days", "1 day 2 h".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 50 * 365 * 86_400 {
        return "never (no limit drawn)".to_owned();
    }
    let (days, hours, minutes, seconds) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} day{}", if days == 1 { "" } else { "s" }));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 {
        parts.push(format!("{minutes} min"));
    }
    if seconds > 0 || parts.is_empty() {
        parts.push(format!("{seconds} s"));
    }
    parts.join(" ")
}

fn maybe(d: Option<Duration>, none: &str) -> String {
    d.map_or_else(|| none.to_owned(), human)
}

/// Every setting of a flow's policy in words, in a reading order.
pub fn describe(flow: &Flow) -> Vec<PolicyRow> {
    let p = &flow.policy;
    let mut rows = Vec::new();
    let mut row = |setting: Setting, value: String| {
        let from = flow.sources.of(setting).to_vec();
        rows.push(PolicyRow {
            setting,
            value,
            not_drawn: from
                .is_empty()
                .then(|| super::not_drawn(setting, p.mechanism)),
            from,
        });
    };
    row(
        Setting::Mechanism,
        match p.mechanism {
            e::Mechanism::ServerSide => "server-side store, opaque id",
            e::Mechanism::SignedToken => "signed self-contained token",
            e::Mechanism::ClientCookie => "session data in a signed client cookie",
            e::Mechanism::Hybrid => "short-lived signed access token + refresh token in a store",
        }
        .to_owned(),
    );
    row(
        Setting::Ids,
        format!(
            "{}, client-supplied ids {}",
            match p.ids.generator {
                e::IdGenerator::Csprng { bits } => format!("random ({bits} bits, CSPRNG)"),
                e::IdGenerator::Sequential => "sequential counter (guessable)".to_owned(),
                e::IdGenerator::Timestamp => "timestamp-based (guessable)".to_owned(),
                e::IdGenerator::LowEntropy { bits } => format!("weak random ({bits} bits)"),
            },
            match p.ids.acceptance {
                e::IdAcceptance::Strict => "refused",
                e::IdAcceptance::Permissive => "adopted",
            }
        ),
    );
    let rotation = |r: e::Rotation| match r {
        e::Rotation::KeepId => "id kept",
        e::Rotation::RotateEndOld => "new id, old one ended",
        e::Rotation::RotateKeepOld => "new id, old one still valid",
    };
    row(
        Setting::LoginRotation,
        rotation(p.rotation.on_login).to_owned(),
    );
    row(Setting::IdleTimeout, maybe(p.timeouts.idle, "none"));
    row(
        Setting::Activity,
        match p.timeouts.activity {
            e::Activity::AnyRequest => "any request, background ones included",
            e::Activity::UserAction => "user actions only",
            e::Activity::StateChange => "state-changing requests only",
        }
        .to_owned(),
    );
    row(Setting::AbsoluteTimeout, maybe(p.timeouts.absolute, "none"));
    row(Setting::Enforcement, {
        let who = |e: e::ExpiryEnforcement| match e {
            e::ExpiryEnforcement::Server => "the server",
            e::ExpiryEnforcement::ClientOnly => "the client only (cookie Max-Age or a timer)",
        };
        let t = p.timeouts;
        match (t.idle.is_some(), t.absolute.is_some()) {
            (true, true) if t.idle_enforcement != t.absolute_enforcement => format!(
                "idle: {}; absolute: {}",
                who(t.idle_enforcement),
                who(t.absolute_enforcement)
            ),
            (true, _) => who(t.idle_enforcement).to_owned(),
            (false, true) => who(t.absolute_enforcement).to_owned(),
            (false, false) => who(e::ExpiryEnforcement::Server).to_owned(),
        }
    });
    row(
        Setting::Warning,
        match p.warning.before_idle_expiry {
            Some(d) => format!(
                "{} before idle expiry; work {}",
                human(d),
                match p.warning.work_on_expiry {
                    e::WorkOnExpiry::Preserved => "kept for after re-login",
                    e::WorkOnExpiry::Lost => "lost",
                }
            ),
            None => "none".to_owned(),
        },
    );
    if p.remember_me.offered {
        let rm = p.remember_me;
        row(
            Setting::RememberMe,
            format!(
                "offered; {}, {}, {} logout, {}",
                match rm.device_binding {
                    e::DeviceBinding::Bound => "bound to the device",
                    e::DeviceBinding::Unbound => "works on any device",
                },
                match rm.rotate_on_use {
                    e::RotateOnUse::Rotate => "rotated on use",
                    e::RotateOnUse::Keep => "never rotated",
                },
                match rm.on_logout {
                    e::RememberOnLogout::Revoke => "revoked at",
                    e::RememberOnLogout::Survive => "survives",
                },
                match rm.grant {
                    e::RememberMeGrant::FullAuthentication => "grants sensitive actions",
                    e::RememberMeGrant::ReauthForSensitive => "re-auth for sensitive actions",
                }
            ),
        );
        row(
            Setting::RememberMeLifetime,
            maybe(rm.lifetime, "never expires"),
        );
    } else {
        row(Setting::RememberMe, "not offered".to_owned());
    }
    if matches!(
        p.mechanism,
        e::Mechanism::SignedToken | e::Mechanism::Hybrid
    ) {
        let t = p.tokens;
        row(Setting::AccessLifetime, human(t.access_lifetime));
        row(
            Setting::AccessToken,
            format!(
                "signature {}, exp {}, nbf {}, revocation: {}{}",
                match t.algorithm {
                    e::AlgorithmPolicy::Hs256Only => "required",
                    e::AlgorithmPolicy::AcceptNone => "optional (alg none accepted)",
                },
                check(t.check_exp),
                check(t.check_nbf),
                match t.revocation {
                    e::Revocation::None => "none, valid until exp",
                    e::Revocation::Denylist => "denylist",
                    e::Revocation::PerUserNotBefore => "per-user not-before",
                    e::Revocation::DenylistAndNotBefore => "denylist and not-before",
                },
                if t.revocation_delay.is_zero() {
                    String::new()
                } else {
                    format!(
                        ", reaching every server after {}",
                        human(t.revocation_delay)
                    )
                }
            ),
        );
    }
    if p.mechanism == e::Mechanism::ClientCookie {
        let t = p.tokens;
        row(
            Setting::CookieSessionRevocation,
            match t.revocation {
                e::Revocation::None => "none: a cookie is valid until it expires".to_owned(),
                e::Revocation::Denylist => "denylist".to_owned(),
                e::Revocation::PerUserNotBefore => "per-user not-before".to_owned(),
                e::Revocation::DenylistAndNotBefore => "denylist and not-before".to_owned(),
            } + &if t.revocation_delay.is_zero() {
                String::new()
            } else {
                format!(
                    ", reaching every server after {}",
                    human(t.revocation_delay)
                )
            },
        );
    }
    if !flow.offers.refresh.is_empty() {
        let r = p.refresh;
        row(
            Setting::Refresh,
            format!(
                "{}{}",
                match (r.rotation, r.reuse) {
                    (e::RefreshRotation::Reuse, _) => "reusable, never rotated".to_owned(),
                    (e::RefreshRotation::Rotate, e::ReuseDetection::RevokeFamily) =>
                        "rotated; reuse revokes the family".to_owned(),
                    (e::RefreshRotation::Rotate, e::ReuseDetection::Off) =>
                        "rotated; reuse not detected".to_owned(),
                },
                if r.grace_generations > 0 {
                    format!(", {} older generation(s) accepted", r.grace_generations)
                } else {
                    String::new()
                }
            ),
        );
        row(
            Setting::RefreshLifetime,
            match r.expiry {
                e::RefreshExpiry::Sliding { idle, cap } => format!(
                    "sliding {} since last use, cap {}",
                    human(idle),
                    maybe(cap, "none")
                ),
                e::RefreshExpiry::Absolute { lifetime } => {
                    format!("{} from login", human(lifetime))
                }
            },
        );
    }
    let c = p.concurrency;
    row(
        Setting::Concurrency,
        format!(
            "{}{}",
            match c.limit {
                e::SessionLimit::Unlimited => "unlimited".to_owned(),
                e::SessionLimit::Single => "one session".to_owned(),
                e::SessionLimit::Limited { max } => format!("at most {max}"),
            },
            match (c.limit, c.on_limit, c.scope) {
                (e::SessionLimit::Unlimited, _, _) => String::new(),
                (_, on_limit, scope) => format!(
                    "{}; at the limit {}",
                    match scope {
                        e::LimitScope::PerUser => " per user",
                        e::LimitScope::PerDeviceCategory => " per device type",
                    },
                    match on_limit {
                        e::OnLimit::EvictOldestInactive => "the oldest inactive one is ended",
                        e::OnLimit::RejectNew => "new logins are refused",
                    }
                ),
            }
        ),
    );
    row(
        Setting::LogoutInvalidation,
        match p.logout.invalidation {
            e::LogoutInvalidation::ServerSide => "ended on the server",
            e::LogoutInvalidation::ClientOnly => "only forgotten by the client (still valid)",
        }
        .to_owned(),
    );
    row(
        Setting::LogoutEverywhere,
        match p.logout.everywhere {
            e::LogoutEverywhere::Offered => "offered",
            e::LogoutEverywhere::NotOffered => "not offered",
        }
        .to_owned(),
    );
    row(
        Setting::CredentialChange,
        match p.logout.on_credential_change {
            e::CredentialChange::EndOthers => "other sessions ended",
            e::CredentialChange::EndAll => "every session ended",
            e::CredentialChange::KeepAll => "other sessions keep working",
        }
        .to_owned(),
    );
    row(
        Setting::AccountDisable,
        match p.logout.on_account_disable {
            e::DisableEffect::EndSessions => "sessions ended",
            e::DisableEffect::KeepSessions => "sessions keep working",
        }
        .to_owned(),
    );
    let b = p.binding;
    row(
        Setting::Binding,
        if b.ip == e::Bind::Off && b.user_agent == e::Bind::Off && b.impossible_travel.is_none() {
            "none".to_owned()
        } else {
            let mut bound = Vec::new();
            if b.ip == e::Bind::Enforced {
                bound.push("IP".to_owned());
            }
            if b.user_agent == e::Bind::Enforced {
                bound.push("user agent".to_owned());
            }
            if let Some(t) = b.impossible_travel {
                bound.push(format!(
                    "impossible travel (> {:.0} km at > {:.0} km/h)",
                    t.min_distance_km, t.max_speed_kmh
                ));
            }
            format!(
                "{}; on mismatch {}",
                bound.join(", "),
                match b.on_mismatch {
                    e::MismatchAction::Ignore => "nothing happens",
                    e::MismatchAction::RequireReauth => "re-authentication",
                    e::MismatchAction::Terminate => "the session ends",
                }
            )
        },
    );
    row(
        Setting::Reauth,
        match p.reauth.max_auth_age {
            None => "not required".to_owned(),
            Some(d) => format!(
                "within {} of the {}",
                human(d),
                match p.reauth.measured_from {
                    e::AuthAge::LastAuthentication => "last authentication",
                    e::AuthAge::SessionStart => "session start (not a real re-auth)",
                }
            ),
        },
    );
    let pre = |v: e::PreVerify| match v {
        e::PreVerify::Full => "full session",
        e::PreVerify::Limited => "limited session",
        e::PreVerify::None => "no session",
    };
    row(
        Setting::AccountState,
        format!(
            "unverified email: {}; MFA pending: {}",
            if flow.offers.sign_up.is_empty() {
                "no sign-up drawn"
            } else {
                pre(p.account_state.unverified_email)
            },
            pre(p.account_state.mfa_pending)
        ),
    );
    if !flow.offers.federated.is_empty() {
        row(
            Setting::Federation,
            match p.federation.idp_logout {
                e::IdpLogoutPropagation::Ignored => "IdP logout ignored",
                e::IdpLogoutPropagation::FrontChannel => "front-channel logout",
                e::IdpLogoutPropagation::BackChannel => "back-channel logout",
            }
            .to_owned(),
        );
    }
    let k = &p.cookie;
    row(
        Setting::Cookie,
        match k.storage {
            e::CredentialStorage::Cookie => {
                let cookie = e::SetCookie {
                    name: format!("{}{}", k.prefix.as_str(), k.name),
                    value: "<id>".to_owned(),
                    max_age: k.max_age,
                    domain: k.domain.clone(),
                    path: Some(k.path.clone()),
                    secure: k.secure,
                    http_only: k.http_only,
                    same_site: k.same_site,
                };
                format!("Set-Cookie: {}", cookie.to_header())
            }
            e::CredentialStorage::LocalStorage => "in web storage (readable by scripts)".to_owned(),
            e::CredentialStorage::Memory => "in memory only".to_owned(),
            e::CredentialStorage::SecureDeviceStorage => {
                "in the device's secure storage".to_owned()
            }
        },
    );
    row(
        Setting::SessionData,
        p.session_data
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    rows
}

fn check(c: e::ClaimCheck) -> &'static str {
    match c {
        e::ClaimCheck::Enforced => "checked",
        e::ClaimCheck::Ignored => "ignored",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_units() {
        assert_eq!(human(Duration::from_secs(600)), "10 min");
        assert_eq!(human(Duration::from_secs(8 * 3600)), "8 h");
        assert_eq!(human(Duration::from_secs(30 * 86_400)), "30 days");
        assert_eq!(human(Duration::from_secs(86_400 + 7200)), "1 day 2 h");
        assert_eq!(
            human(Duration::from_secs(100 * 365 * 86_400)),
            "never (no limit drawn)"
        );
    }
}
