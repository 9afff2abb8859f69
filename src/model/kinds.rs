//! The palette: every kind of node a map can hold, with its typed parameters.
//!
//! Parameters are typed (durations as [`Span`], modes as enums, cookie attributes as a struct) so
//! the inspector and the compiler never parse strings. Field docs say what the drawing means for
//! the session engine the compiler derives from it.

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

/// A length of time with the unit the author chose, kept so the file reads as it was written.
///
/// The value is signed on purpose: a negative or zero span is reported by validation with its
/// location rather than refused by the parser with a less helpful message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Span {
    Seconds(i64),
    Minutes(i64),
    Hours(i64),
    Days(i64),
}

impl Span {
    /// The span in whole seconds (saturating, so absurd values never overflow).
    pub fn as_seconds(self) -> i64 {
        match self {
            Span::Seconds(n) => n,
            Span::Minutes(n) => n.saturating_mul(60),
            Span::Hours(n) => n.saturating_mul(3_600),
            Span::Days(n) => n.saturating_mul(86_400),
        }
    }

    /// The number as written, without its unit.
    pub fn value(self) -> i64 {
        match self {
            Span::Seconds(n) | Span::Minutes(n) | Span::Hours(n) | Span::Days(n) => n,
        }
    }

    /// `None` for a zero or negative span, which has no meaning as a duration.
    pub fn to_duration(self) -> Option<std::time::Duration> {
        u64::try_from(self.as_seconds())
            .ok()
            .filter(|&s| s > 0)
            .map(std::time::Duration::from_secs)
    }

    pub fn is_positive(self) -> bool {
        self.value() > 0
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Span::Seconds(n) => write!(f, "{n} s"),
            Span::Minutes(n) => write!(f, "{n} min"),
            Span::Hours(n) => write!(f, "{n} h"),
            Span::Days(1) => write!(f, "1 day"),
            Span::Days(n) => write!(f, "{n} days"),
        }
    }
}

/// The palette groups; each is drawn with its own shape and colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    Entry,
    Lifecycle,
    Timeout,
    Store,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Entry, Group::Lifecycle, Group::Timeout, Group::Store];

    pub fn title(self) -> &'static str {
        match self {
            Group::Entry => "Entry points",
            Group::Lifecycle => "Lifecycle",
            Group::Timeout => "Timeouts",
            Group::Store => "Stores",
        }
    }
}

/// What a node is, with the parameters that kind needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NodeKind {
    // ── Entry points ────────────────────────────────────────────────────────────────────────────
    /// A login form.
    Login {
        mfa: Mfa,
        /// What the user holds between the password step and the MFA step.
        before_mfa: PreAuthSession,
    },
    /// Sign-up with email verification.
    SignUp {
        before_verification: PreAuthSession,
    },
    /// A password reset link sent by email.
    PasswordReset {
        link_ttl: Span,
        before_completion: PreAuthSession,
    },
    /// A social login / OpenID Connect callback.
    OidcCallback {
        provider: String,
        idp_logout: IdpLogout,
    },
    /// Enterprise single sign-on through an identity provider.
    Sso {
        provider: String,
        protocol: SsoProtocol,
        idp_logout: IdpLogout,
    },
    /// A magic link sent by email.
    MagicLink {
        link_ttl: Span,
        single_use: bool,
    },
    /// An endpoint that issues API tokens (password, client-credentials or code grant).
    ApiTokenEndpoint {
        grant: Grant,
    },
    /// Automatic login from a remember-me token. Its lifetime comes from an attached
    /// `RememberMeLifetime` node: none drawn means it never expires.
    RememberMe {
        device_bound: bool,
        rotate_on_use: bool,
        survives_logout: bool,
        /// Whether an auto-login session may perform sensitive actions without re-authenticating.
        grants_sensitive_actions: bool,
    },

    // ── Lifecycle ──────────────────────────────────────────────────────────────────────────────
    /// Where the session is born: its mechanism, id generation and the rules that hold for it.
    CreateSession {
        mechanism: Mechanism,
        ids: IdGenerator,
        client_ids: ClientIds,
        on_login: Rotation,
        concurrency: Concurrency,
        binding: Binding,
    },
    /// An authenticated page or API request made by the user.
    Request {
        state_change: bool,
    },
    /// A request the client makes on its own: polling, health checks, silent refresh.
    BackgroundPing {
        every: Span,
    },
    /// An action that should require a recent authentication (email, password, payout change).
    SensitiveAction {
        action: String,
        reauth: Reauth,
    },
    /// Exchanging a refresh token for a new access token.
    TokenRefresh {
        rotation: RefreshRotation,
        expiry: RefreshExpiry,
    },
    Logout {
        scope: LogoutScope,
        invalidation: Invalidation,
        revokes_refresh_tokens: bool,
    },
    PasswordChange {
        ends_other_sessions: bool,
        revokes_refresh_tokens: bool,
    },
    AccountDisable {
        ends_sessions: bool,
    },
    AdminRevoke {
        scope: AdminScope,
    },
    /// A role change (promotion, demotion) while sessions are live.
    PrivilegeChange {
        rotation: Rotation,
        reloads_privileges: bool,
    },

    // ── Timeouts (attached to the stages they govern) ──────────────────────────────────────────
    IdleTimeout {
        after: Span,
        resets_on: Activity,
        enforced: Enforcement,
    },
    AbsoluteTimeout {
        after: Span,
        enforced: Enforcement,
    },
    RememberMeLifetime {
        after: Span,
    },
    TokenLifetime {
        token: TokenKind,
        after: Span,
    },
    ExpiryWarning {
        before: Span,
        keeps_drafts: bool,
    },

    // ── Stores ─────────────────────────────────────────────────────────────────────────────────
    ServerStore {
        backend: Backend,
        fields: Vec<Field>,
    },
    SignedToken {
        algorithm: Algorithm,
        verifies_expiry: bool,
        verifies_not_before: bool,
        accepts_alg_none: bool,
        revocation: Revocation,
        fields: Vec<Field>,
    },
    /// A client-side session: the session data itself lives in a cookie.
    ClientCookieSession {
        signed: bool,
        encrypted: bool,
        fields: Vec<Field>,
        /// How a cookie can be refused before it expires. The server keeps nothing for such a
        /// session, so only a drawn denylist or per-user not-before can end one early; older
        /// files without the field mean `UntilExpiry`, what Flask or Rails' cookie store do.
        #[serde(default = "until_expiry")]
        revocation: Revocation,
    },
    /// Where the client keeps a credential.
    ClientStorage {
        holds: Credential,
        location: Location,
    },
}

impl NodeKind {
    pub fn group(&self) -> Group {
        use NodeKind::*;
        match self {
            Login { .. }
            | SignUp { .. }
            | PasswordReset { .. }
            | OidcCallback { .. }
            | Sso { .. }
            | MagicLink { .. }
            | ApiTokenEndpoint { .. }
            | RememberMe { .. } => Group::Entry,
            CreateSession { .. }
            | Request { .. }
            | BackgroundPing { .. }
            | SensitiveAction { .. }
            | TokenRefresh { .. }
            | Logout { .. }
            | PasswordChange { .. }
            | AccountDisable { .. }
            | AdminRevoke { .. }
            | PrivilegeChange { .. } => Group::Lifecycle,
            IdleTimeout { .. }
            | AbsoluteTimeout { .. }
            | RememberMeLifetime { .. }
            | TokenLifetime { .. }
            | ExpiryWarning { .. } => Group::Timeout,
            ServerStore { .. }
            | SignedToken { .. }
            | ClientCookieSession { .. }
            | ClientStorage { .. } => Group::Store,
        }
    }

    /// The kind's name as the palette shows it.
    pub fn name(&self) -> &'static str {
        use NodeKind::*;
        match self {
            Login { .. } => "Login form",
            SignUp { .. } => "Sign-up",
            PasswordReset { .. } => "Password reset link",
            OidcCallback { .. } => "Social / OIDC callback",
            Sso { .. } => "SSO",
            MagicLink { .. } => "Magic link",
            ApiTokenEndpoint { .. } => "API token endpoint",
            RememberMe { .. } => "Remember-me auto-login",
            CreateSession { .. } => "Create session",
            Request { .. } => "Authenticated request",
            BackgroundPing { .. } => "Background ping",
            SensitiveAction { .. } => "Sensitive action",
            TokenRefresh { .. } => "Token refresh",
            Logout { .. } => "Logout",
            PasswordChange { .. } => "Password change",
            AccountDisable { .. } => "Account disable",
            AdminRevoke { .. } => "Admin revoke",
            PrivilegeChange { .. } => "Privilege change",
            IdleTimeout { .. } => "Idle timeout",
            AbsoluteTimeout { .. } => "Absolute timeout",
            RememberMeLifetime { .. } => "Remember-me lifetime",
            TokenLifetime { .. } => "Token lifetime",
            ExpiryWarning { .. } => "Expiry warning",
            ServerStore { .. } => "Server store",
            SignedToken { .. } => "Signed token",
            ClientCookieSession { .. } => "Client cookie session",
            ClientStorage { .. } => "Client storage",
        }
    }

    /// The key parameters in a few words, as the canvas prints them under the label
    /// (e.g. "idle 15 min").
    pub fn summary(&self) -> String {
        use NodeKind::*;
        match self {
            Login { mfa, .. } => format!("MFA {mfa}"),
            SignUp {
                before_verification,
            } => format!("unverified: {before_verification} session"),
            PasswordReset { link_ttl, .. } => format!("link {link_ttl}"),
            OidcCallback {
                provider,
                idp_logout,
            } => format!("{provider}, IdP logout {idp_logout}"),
            Sso {
                provider,
                protocol,
                idp_logout,
            } => format!("{protocol} {provider}, logout {idp_logout}"),
            MagicLink {
                link_ttl,
                single_use,
            } => format!(
                "link {link_ttl}{}",
                if *single_use { ", single use" } else { "" }
            ),
            ApiTokenEndpoint { grant } => format!("{grant} grant"),
            RememberMe {
                device_bound,
                rotate_on_use,
                ..
            } => format!(
                "{}, {}",
                if *device_bound {
                    "device-bound"
                } else {
                    "unbound"
                },
                if *rotate_on_use { "rotates" } else { "static" }
            ),
            CreateSession {
                mechanism,
                concurrency,
                ..
            } => format!("{mechanism}, {concurrency}"),
            Request { state_change } => {
                if *state_change {
                    "user action, changes state".to_owned()
                } else {
                    "user action".to_owned()
                }
            }
            BackgroundPing { every } => format!("every {every}"),
            SensitiveAction { action, reauth } => format!("{action}, {reauth}"),
            TokenRefresh { rotation, expiry } => format!("{rotation}, {expiry} expiry"),
            Logout {
                scope,
                invalidation,
                ..
            } => format!("{scope}, {invalidation}"),
            PasswordChange {
                ends_other_sessions,
                ..
            } => {
                if *ends_other_sessions {
                    "ends other sessions".to_owned()
                } else {
                    "keeps other sessions".to_owned()
                }
            }
            AccountDisable { ends_sessions } => {
                if *ends_sessions {
                    "ends sessions".to_owned()
                } else {
                    "keeps sessions".to_owned()
                }
            }
            AdminRevoke { scope } => format!("{scope}"),
            PrivilegeChange { rotation, .. } => format!("id: {rotation}"),
            IdleTimeout { after, .. } => format!("idle {after}"),
            AbsoluteTimeout { after, .. } => format!("absolute {after}"),
            RememberMeLifetime { after } => format!("remember-me {after}"),
            TokenLifetime { token, after } => format!("{token} {after}"),
            ExpiryWarning { before, .. } => format!("warn {before} before"),
            ServerStore { backend, fields } => format!("{backend}, {} fields", fields.len()),
            SignedToken { algorithm, .. } => format!("{algorithm}"),
            ClientCookieSession {
                signed, revocation, ..
            } => {
                let cookie = if *signed {
                    "signed cookie"
                } else {
                    "unsigned cookie"
                };
                match revocation {
                    Revocation::UntilExpiry => cookie.to_owned(),
                    Revocation::Denylist { .. } => format!("{cookie}, denylist"),
                    Revocation::NotBefore { .. } => format!("{cookie}, not-before"),
                    Revocation::DenylistAndNotBefore { .. } => {
                        format!("{cookie}, denylist + not-before")
                    }
                }
            }
            ClientStorage { holds, location } => format!("{holds} in {location}"),
        }
    }

    /// The spans this node carries, with the field name each lives in (for validation).
    pub fn spans(&self) -> Vec<(&'static str, Span)> {
        use NodeKind::*;
        let mut out = Vec::new();
        match self {
            PasswordReset { link_ttl, .. } | MagicLink { link_ttl, .. } => {
                out.push(("link_ttl", *link_ttl))
            }
            BackgroundPing { every } => out.push(("every", *every)),
            SensitiveAction {
                reauth: Reauth::RecentLogin { within } | Reauth::SessionAge { within },
                ..
            } => out.push(("within", *within)),
            CreateSession {
                binding:
                    Binding {
                        travel: Some(travel),
                        ..
                    },
                ..
            } => out.push(("within", travel.within)),
            IdleTimeout { after, .. }
            | AbsoluteTimeout { after, .. }
            | RememberMeLifetime { after }
            | TokenLifetime { after, .. } => out.push(("after", *after)),
            ExpiryWarning { before, .. } => out.push(("before", *before)),
            SignedToken {
                revocation:
                    Revocation::Denylist {
                        propagation: Some(p),
                    }
                    | Revocation::NotBefore {
                        propagation: Some(p),
                    }
                    | Revocation::DenylistAndNotBefore {
                        propagation: Some(p),
                    },
                ..
            }
            | ClientCookieSession {
                revocation:
                    Revocation::Denylist {
                        propagation: Some(p),
                    }
                    | Revocation::NotBefore {
                        propagation: Some(p),
                    }
                    | Revocation::DenylistAndNotBefore {
                        propagation: Some(p),
                    },
                ..
            } => out.push(("propagation", *p)),
            ClientStorage {
                location:
                    Location::Cookie(Cookie {
                        max_age: Some(max_age),
                        ..
                    }),
                ..
            } => out.push(("max_age", *max_age)),
            _ => {}
        }
        out
    }

    /// One example of every kind with sensible parameters, in palette order.
    pub fn palette() -> Vec<NodeKind> {
        use NodeKind::*;
        let secure_cookie = Cookie::default();
        vec![
            Login {
                mfa: Mfa::Required,
                before_mfa: PreAuthSession::NoSession,
            },
            SignUp {
                before_verification: PreAuthSession::Limited,
            },
            PasswordReset {
                link_ttl: Span::Minutes(30),
                before_completion: PreAuthSession::NoSession,
            },
            OidcCallback {
                provider: "Google".to_owned(),
                idp_logout: IdpLogout::BackChannel,
            },
            Sso {
                provider: "Corporate IdP".to_owned(),
                protocol: SsoProtocol::Oidc,
                idp_logout: IdpLogout::BackChannel,
            },
            MagicLink {
                link_ttl: Span::Minutes(15),
                single_use: true,
            },
            ApiTokenEndpoint {
                grant: Grant::AuthorizationCode,
            },
            RememberMe {
                device_bound: true,
                rotate_on_use: true,
                survives_logout: false,
                grants_sensitive_actions: false,
            },
            CreateSession {
                mechanism: Mechanism::ServerSide,
                ids: IdGenerator::Csprng { bits: 128 },
                client_ids: ClientIds::Strict,
                on_login: Rotation::RotateEndOld,
                concurrency: Concurrency::Limited {
                    max: NonZeroU32::MIN.saturating_add(4),
                    per_device: false,
                    on_limit: OnLimit::EvictOldestInactive,
                },
                binding: Binding::default(),
            },
            Request {
                state_change: false,
            },
            BackgroundPing {
                every: Span::Minutes(1),
            },
            SensitiveAction {
                action: "change email".to_owned(),
                reauth: Reauth::RecentLogin {
                    within: Span::Minutes(5),
                },
            },
            TokenRefresh {
                rotation: RefreshRotation::Rotate {
                    reuse_detection: true,
                    grace_generations: 0,
                },
                expiry: RefreshExpiry::Absolute,
            },
            Logout {
                scope: LogoutScope::ThisDevice,
                invalidation: Invalidation::Server,
                revokes_refresh_tokens: true,
            },
            PasswordChange {
                ends_other_sessions: true,
                revokes_refresh_tokens: true,
            },
            AccountDisable {
                ends_sessions: true,
            },
            AdminRevoke {
                scope: AdminScope::OneUser,
            },
            PrivilegeChange {
                rotation: Rotation::RotateEndOld,
                reloads_privileges: true,
            },
            IdleTimeout {
                after: Span::Minutes(30),
                resets_on: Activity::UserAction,
                enforced: Enforcement::Server,
            },
            AbsoluteTimeout {
                after: Span::Hours(12),
                enforced: Enforcement::Server,
            },
            RememberMeLifetime {
                after: Span::Days(30),
            },
            TokenLifetime {
                token: TokenKind::Access,
                after: Span::Minutes(15),
            },
            ExpiryWarning {
                before: Span::Minutes(2),
                keeps_drafts: true,
            },
            ServerStore {
                backend: Backend::Redis,
                fields: vec![Field::new("user_id", FieldKind::Identity)],
            },
            SignedToken {
                algorithm: Algorithm::Es256,
                verifies_expiry: true,
                verifies_not_before: true,
                accepts_alg_none: false,
                revocation: Revocation::UntilExpiry,
                fields: vec![Field::new("sub", FieldKind::Identity)],
            },
            ClientCookieSession {
                signed: true,
                encrypted: true,
                fields: vec![Field::new("user_id", FieldKind::Identity)],
                revocation: Revocation::UntilExpiry,
            },
            ClientStorage {
                holds: Credential::SessionId,
                location: Location::Cookie(secure_cookie),
            },
        ]
    }
}

/// Generates the `Display` and `ALL` list for a plain enum whose variants read as words.
macro_rules! words {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($ty::$variant => $text),+ })
            }
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mfa {
    Off,
    Optional,
    Required,
}
words!(Mfa { Off => "off", Optional => "optional", Required => "required" });

/// What a user holds before a step (email verification, MFA, reset) is completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PreAuthSession {
    /// A full session: everything works before the step is done (SESS-PREVERIFY).
    Full,
    /// A session limited to finishing the step.
    Limited,
    /// No session until the step is done.
    NoSession,
}
words!(PreAuthSession { Full => "full", Limited => "limited", NoSession => "no" });

/// How an identity provider's logout reaches the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdpLogout {
    /// The app never hears of it (FED-RP-OUTLIVES-IDP).
    Ignored,
    FrontChannel,
    BackChannel,
}
words!(IdpLogout { Ignored => "ignored", FrontChannel => "front-channel", BackChannel => "back-channel" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SsoProtocol {
    Oidc,
    Saml,
}
words!(SsoProtocol { Oidc => "OIDC", Saml => "SAML" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Grant {
    Password,
    ClientCredentials,
    AuthorizationCode,
}
words!(Grant { Password => "password", ClientCredentials => "client-credentials", AuthorizationCode => "authorization-code" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mechanism {
    /// Opaque id, state in a server-side store.
    ServerSide,
    /// Self-contained signed token, no server state.
    SignedToken,
    /// The session data itself in a cookie.
    ClientCookie,
    /// Short-lived signed access token + refresh token in a server-side store.
    Hybrid,
}
words!(Mechanism { ServerSide => "server-side", SignedToken => "signed token", ClientCookie => "client cookie", Hybrid => "access + refresh" });

/// How session ids are generated; the weak ones are really guessable in the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdGenerator {
    Csprng { bits: u16 },
    Sequential,
    Timestamp,
    LowEntropy { bits: u16 },
}

impl fmt::Display for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdGenerator::Csprng { bits } => write!(f, "random {bits} bits"),
            IdGenerator::Sequential => f.write_str("sequential"),
            IdGenerator::Timestamp => f.write_str("timestamp"),
            IdGenerator::LowEntropy { bits } => write!(f, "weak random {bits} bits"),
        }
    }
}

/// Whether the server adopts a session id the client made up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClientIds {
    Strict,
    Permissive,
}
words!(ClientIds { Strict => "strict", Permissive => "permissive" });

/// What happens to the session id when the user logs in or changes privilege.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rotation {
    Keep,
    RotateEndOld,
    RotateKeepOld,
}
words!(Rotation { Keep => "kept", RotateEndOld => "rotated", RotateKeepOld => "rotated, old kept" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OnLimit {
    EvictOldestInactive,
    RejectNew,
}
words!(OnLimit { EvictOldestInactive => "evict oldest inactive", RejectNew => "reject new" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Concurrency {
    Unlimited,
    Single {
        on_limit: OnLimit,
    },
    Limited {
        max: NonZeroU32,
        /// The limit applies per device category (desktop, mobile, tablet).
        per_device: bool,
        on_limit: OnLimit,
    },
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Concurrency::Unlimited => f.write_str("unlimited sessions"),
            Concurrency::Single { .. } => f.write_str("single session"),
            Concurrency::Limited {
                max, per_device, ..
            } => {
                write!(f, "max {max} sessions")?;
                if *per_device {
                    f.write_str(" per device")?;
                }
                Ok(())
            }
        }
    }
}

/// Fingerprint binding of a session to the client that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub ip: bool,
    pub user_agent: bool,
    pub on_mismatch: MismatchAction,
    /// Impossible-travel check.
    pub travel: Option<TravelCheck>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum MismatchAction {
    #[default]
    Ignore,
    RequireReauth,
    Terminate,
}
words!(MismatchAction { Ignore => "ignore", RequireReauth => "require re-auth", Terminate => "terminate" });

/// Flags use of one session from places farther apart than `max_km` within `within`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelCheck {
    pub max_km: u32,
    pub within: Span,
}

/// How recent an authentication a sensitive action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reauth {
    /// No re-authentication (REAUTH-SENSITIVE-NONE).
    NotRequired,
    /// The last real authentication (password, MFA) must be this recent.
    RecentLogin { within: Span },
    /// "Recent" measured by the session's age, which auto-login and renewal reset (REAUTH-STALE).
    SessionAge { within: Span },
}

impl fmt::Display for Reauth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reauth::NotRequired => f.write_str("no re-auth"),
            Reauth::RecentLogin { within } => write!(f, "re-auth within {within}"),
            Reauth::SessionAge { within } => write!(f, "session younger than {within}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefreshRotation {
    /// The same refresh token is reusable (RT-NO-ROTATION).
    Reusable,
    Rotate {
        reuse_detection: bool,
        /// How many older generations are still accepted (0 = only the newest).
        grace_generations: u8,
    },
}

impl fmt::Display for RefreshRotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefreshRotation::Reusable => f.write_str("no rotation"),
            RefreshRotation::Rotate {
                reuse_detection: true,
                ..
            } => f.write_str("rotates, reuse detected"),
            RefreshRotation::Rotate { .. } => f.write_str("rotates"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefreshExpiry {
    Sliding,
    Absolute,
}
words!(RefreshExpiry { Sliding => "sliding", Absolute => "absolute" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogoutScope {
    ThisDevice,
    AllDevices,
}
words!(LogoutScope { ThisDevice => "this device", AllDevices => "all devices" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Invalidation {
    Server,
    /// Only the client forgets the credential (LOGOUT-SERVER-NOOP).
    ClientOnly,
}
words!(Invalidation { Server => "server-side", ClientOnly => "client only" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AdminScope {
    OneUser,
    AllUsers,
}
words!(AdminScope { OneUser => "one user", AllUsers => "all users" });

/// What resets an idle timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Activity {
    /// Any request, background pings included (SESS-IDLE-BGPING).
    AnyRequest,
    UserAction,
    StateChange,
}
words!(Activity { AnyRequest => "any request", UserAction => "user action", StateChange => "state change" });

/// Who enforces an expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Enforcement {
    Server,
    /// Only cookie Max-Age or a client timer (SESS-EXPIRY-CLIENTSIDE).
    ClientOnly,
}
words!(Enforcement { Server => "server", ClientOnly => "client only" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    Access,
    Refresh,
    Id,
}
words!(TokenKind { Access => "access token", Refresh => "refresh token", Id => "ID token" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    Memory,
    Redis,
    Database,
}
words!(Backend { Memory => "memory", Redis => "Redis", Database => "database" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    Hs256,
    Rs256,
    Es256,
    EdDsa,
}
words!(Algorithm { Hs256 => "HS256", Rs256 => "RS256", Es256 => "ES256", EdDsa => "EdDSA" });

fn until_expiry() -> Revocation {
    Revocation::UntilExpiry
}

/// How a signed token or a client-side cookie session can be revoked before it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Revocation {
    /// Valid until `exp`, whatever happens (JWT-NO-REVOKE).
    UntilExpiry,
    /// Revoked token ids are listed; `propagation` is how long the list takes to reach every
    /// server (REVOKE-LATENCY).
    Denylist { propagation: Option<Span> },
    /// Tokens issued before a per-user "not before" time are refused.
    NotBefore { propagation: Option<Span> },
    /// Both: a denylist for one device's logout, a per-user not-before for "everywhere"
    /// (password change, disable, an administrator's kill).
    DenylistAndNotBefore { propagation: Option<Span> },
}

/// A field kept in the session, tagged by what it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
}

impl Field {
    pub fn new(name: &str, kind: FieldKind) -> Self {
        Field {
            name: name.to_owned(),
            kind,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FieldKind {
    Identity,
    Role,
    Preference,
    /// Data that changes outside the session, e.g. a balance (DATA-STALE).
    Cached,
    /// A password or password hash (DATA-SENSITIVE).
    Secret,
    PaymentCard,
    NationalId,
}
words!(FieldKind { Identity => "identity", Role => "role", Preference => "preference", Cached => "cached data", Secret => "secret", PaymentCard => "payment card", NationalId => "national id" });

/// A credential the client holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Credential {
    SessionId,
    AccessToken,
    RefreshToken,
    RememberMeToken,
}
words!(Credential { SessionId => "session id", AccessToken => "access token", RefreshToken => "refresh token", RememberMeToken => "remember-me token" });

/// Where the client keeps a credential; a cookie carries its attributes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Location {
    Cookie(Cookie),
    LocalStorage,
    SessionStorage,
    Memory,
    /// Keychain / keystore on a mobile device.
    SecureDeviceStorage,
    /// In a URL parameter (SESS-ID-IN-URL).
    UrlParameter,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Cookie(cookie) => write!(f, "cookie {}", cookie.name),
            Location::LocalStorage => f.write_str("localStorage"),
            Location::SessionStorage => f.write_str("sessionStorage"),
            Location::Memory => f.write_str("memory"),
            Location::SecureDeviceStorage => f.write_str("device keychain"),
            Location::UrlParameter => f.write_str("URL parameter"),
        }
    }
}

/// A cookie's attributes as the server sets them (RFC 6265).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cookie {
    /// The full name, prefix included (`__Host-sid`).
    pub name: String,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: SameSite,
    pub path: String,
    pub domain: Option<String>,
    /// `None` for a session cookie that ends with the browser.
    pub max_age: Option<Span>,
}

impl Default for Cookie {
    fn default() -> Self {
        Cookie {
            name: "__Host-sid".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            max_age: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SameSite {
    /// Attribute not sent.
    Unset,
    /// `SameSite=None`: sent on cross-site requests too.
    CrossSite,
    Lax,
    Strict,
}
words!(SameSite { Unset => "unset", CrossSite => "None", Lax => "Lax", Strict => "Strict" });
