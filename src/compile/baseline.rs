//! What a flow runs with where the drawing says nothing. Every field of a flow's policy starts
//! here and is then overridden by the nodes that decide it; nothing comes from
//! `engine::Policy::default()`, which is the engine's *secure* default and would hide a gap
//! that nobody configured away. Each baseline value is what a framework does when nobody
//! configured it, and [`not_drawn`] says so in words for the inspector and the reports.

use std::time::Duration;

use super::Setting;
use crate::engine as e;

/// "No limit": longer than any simulation (a century).
pub(super) const FOREVER: Duration = Duration::from_secs(100 * 365 * 86_400);

/// The policy of a flow of `mechanism` whose drawing decides nothing else. Written out field
/// by field, so a new engine knob does not compile until its "not drawn" meaning is chosen.
pub(super) fn baseline(mechanism: e::Mechanism) -> e::Policy {
    let stateless = matches!(
        mechanism,
        e::Mechanism::SignedToken | e::Mechanism::ClientCookie
    );
    e::Policy {
        mechanism,
        ids: e::IdPolicy {
            generator: e::IdGenerator::Csprng { bits: 128 },
            encoding: e::IdEncoding::Base64Url,
            acceptance: e::IdAcceptance::Strict,
        },
        timeouts: e::TimeoutPolicy {
            idle: None,
            absolute: None,
            activity: e::Activity::AnyRequest,
            renewal: None,
            idle_enforcement: e::ExpiryEnforcement::Server,
            absolute_enforcement: e::ExpiryEnforcement::Server,
        },
        rotation: e::RotationPolicy {
            on_login: e::Rotation::KeepId,
            on_privilege_change: e::Rotation::KeepId,
            privileges: e::PrivilegeReload::KeepSnapshot,
        },
        remember_me: e::RememberMePolicy {
            offered: false,
            lifetime: None,
            device_binding: e::DeviceBinding::Unbound,
            rotate_on_use: e::RotateOnUse::Keep,
            on_logout: e::RememberOnLogout::Survive,
            grant: e::RememberMeGrant::FullAuthentication,
        },
        tokens: e::TokenPolicy {
            access_lifetime: FOREVER,
            algorithm: e::AlgorithmPolicy::Hs256Only,
            check_exp: e::ClaimCheck::Enforced,
            check_nbf: e::ClaimCheck::Enforced,
            revocation: e::Revocation::None,
            revocation_delay: Duration::ZERO,
        },
        refresh: e::RefreshPolicy {
            expiry: e::RefreshExpiry::Sliding {
                idle: FOREVER,
                cap: None,
            },
            rotation: e::RefreshRotation::Reuse,
            reuse: e::ReuseDetection::Off,
            grace_generations: 0,
            on_logout: e::RefreshOnLogout::Keep,
        },
        concurrency: e::ConcurrencyPolicy {
            limit: e::SessionLimit::Unlimited,
            on_limit: e::OnLimit::EvictOldestInactive,
            scope: e::LimitScope::PerUser,
        },
        logout: e::LogoutPolicy {
            invalidation: if stateless {
                e::LogoutInvalidation::ClientOnly
            } else {
                e::LogoutInvalidation::ServerSide
            },
            everywhere: e::LogoutEverywhere::NotOffered,
            on_credential_change: e::CredentialChange::KeepAll,
            on_account_disable: e::DisableEffect::KeepSessions,
        },
        binding: e::BindingPolicy {
            ip: e::Bind::Off,
            user_agent: e::Bind::Off,
            on_mismatch: e::MismatchAction::Ignore,
            impossible_travel: None,
        },
        reauth: e::ReauthPolicy {
            max_auth_age: None,
            measured_from: e::AuthAge::LastAuthentication,
        },
        account_state: e::AccountStatePolicy {
            unverified_email: e::PreVerify::Full,
            mfa_pending: e::PreVerify::None,
            reset_pending: e::PreVerify::None,
        },
        federation: e::FederationPolicy {
            idp_logout: e::IdpLogoutPropagation::Ignored,
        },
        warning: e::WarningPolicy {
            before_idle_expiry: None,
            work_on_expiry: e::WorkOnExpiry::Lost,
        },
        cookie: e::CookiePolicy {
            name: "id".to_owned(),
            remember_me_name: "remember".to_owned(),
            refresh_name: "refresh".to_owned(),
            prefix: e::CookiePrefix::Host,
            secure: true,
            http_only: true,
            same_site: Some(e::SameSite::Lax),
            path: "/".to_owned(),
            domain: None,
            max_age: None,
            storage: e::CredentialStorage::Cookie,
        },
        session_data: e::SessionData {
            fields: vec![
                e::DataField {
                    name: "user_id".to_owned(),
                    tag: e::DataTag::Identity,
                },
                e::DataField {
                    name: "role".to_owned(),
                    tag: e::DataTag::Role,
                },
            ],
        },
    }
}

/// What a setting means when no node decides it, and why: what frameworks do when nobody
/// configured it. Shown beside the value wherever a flow's policy is listed.
pub fn not_drawn(setting: Setting, mechanism: e::Mechanism) -> &'static str {
    let stateless = matches!(
        mechanism,
        e::Mechanism::SignedToken | e::Mechanism::ClientCookie
    );
    match setting {
        Setting::Mechanism
        | Setting::Ids
        | Setting::LoginRotation
        | Setting::Concurrency
        | Setting::Binding => "the Create session stage always decides it",
        Setting::IdleTimeout => {
            "a session left alone never times out; no framework adds an idle timeout unless \
             one is configured"
        }
        Setting::Activity => "without an idle timeout there is no timer for activity to reset",
        Setting::AbsoluteTimeout => {
            "a session in use is never capped; frameworks cap a session only when a lifetime \
             is configured"
        }
        Setting::Enforcement => "without a timeout the server has no timer to enforce",
        Setting::Warning => "users are not warned before expiry, and unsaved work is lost",
        Setting::RememberMe => "no remember-me entry: nobody is signed in from a long-lived token",
        Setting::RememberMeLifetime => {
            "remember-me tokens never expire unless a lifetime is attached (Flask-Login's \
             default is 365 days: draw it)"
        }
        Setting::AccessToken => {
            "the token library's defaults: signature, exp and nbf checked, and no revocation \
             list, which a token library does not keep on its own"
        }
        Setting::CookieSessionRevocation => {
            if mechanism == e::Mechanism::ClientCookie {
                "the whole session lives in the cookie and the server keeps nothing it could \
                 forget, so a copied cookie stays valid until it expires (Flask, Rails' cookie \
                 store); draw a denylist or not-before on the Client cookie session to change it"
            } else {
                "not a client-side cookie session"
            }
        }
        Setting::AccessLifetime => "tokens carry no expiry that ends them (none configured)",
        Setting::Refresh => "no refresh: a refresh token, if one is issued, is reusable",
        Setting::RefreshLifetime => "refresh tokens never expire unless a lifetime is attached",
        Setting::LogoutInvalidation => {
            if stateless {
                "no logout: a stateless session could only be forgotten by the client anyway"
            } else {
                "no logout: nothing ends the session before it expires"
            }
        }
        Setting::LogoutEverywhere => "a user cannot end the sessions of their other devices",
        Setting::CredentialChange => "a password change ends no other session",
        Setting::AccountDisable => {
            "disabling an account (by hand, in the database) ends no session"
        }
        Setting::PrivilegeChange => {
            "a session keeps the id and the privileges it started with when a role changes"
        }
        Setting::Reauth => "no sensitive action asks for the password again",
        Setting::AccountState => {
            "an account signs in fully: nothing (email, MFA, reset) is verified first"
        }
        Setting::Federation => "no identity provider can log users out",
        Setting::Cookie => {
            "assumed a __Host- cookie with Secure, HttpOnly and SameSite=Lax so that no cookie \
             finding is invented; draw the Client storage to check the real one"
        }
        Setting::SessionData => "the session holds the user id and role, as every session does",
    }
}
