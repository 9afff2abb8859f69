//! The [`Policy`]: every knob of the session manager, typed, with a secure [`Default`]. A map
//! compiles to one `Policy`; the weak settings real systems have (guessable ids, client-only
//! logout, unchecked `exp`, ...) are ordinary values here, so the engine really behaves weakly
//! when a map says so.

use std::num::NonZeroU32;
use std::time::Duration;

use thiserror::Error;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// Everything that decides how the engine issues, checks and ends credentials.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    /// What the client holds and where the session state lives.
    pub mechanism: Mechanism,
    /// How session ids are made and which client-supplied ids are accepted.
    pub ids: IdPolicy,
    /// Idle and absolute timeouts, what counts as activity, who enforces expiry.
    pub timeouts: TimeoutPolicy,
    /// Id rotation on login and on privilege change.
    pub rotation: RotationPolicy,
    /// Persistent "remember me" tokens.
    pub remember_me: RememberMePolicy,
    /// Signed tokens (the `SignedToken` and `ClientCookie` mechanisms and Hybrid access tokens).
    pub tokens: TokenPolicy,
    /// Refresh tokens (the `Hybrid` mechanism).
    pub refresh: RefreshPolicy,
    /// Limits on concurrent sessions per user.
    pub concurrency: ConcurrencyPolicy,
    /// Logout, credential change, account disable.
    pub logout: LogoutPolicy,
    /// Binding a session to the client's IP / user agent, impossible travel.
    pub binding: BindingPolicy,
    /// Re-authentication before sensitive actions.
    pub reauth: ReauthPolicy,
    /// Sessions for accounts that have not finished verification or MFA.
    pub account_state: AccountStatePolicy,
    /// Sessions derived from an identity provider's session.
    pub federation: FederationPolicy,
    /// Telling the client before idle expiry.
    pub warning: WarningPolicy,
    /// The cookies the engine sets and where the client keeps credentials.
    pub cookie: CookiePolicy,
    /// The fields the application stores in a session, each tagged.
    pub session_data: SessionData,
}

/// A policy value the engine cannot run with.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PolicyError {
    /// A random id generator needs between 1 and 128 bits.
    #[error("id generator bits must be between 1 and 128, got {0}")]
    IdBits(u8),
    /// The cookie name is empty or has characters a cookie name cannot have.
    #[error("cookie name {0:?} is not a valid cookie name")]
    CookieName(String),
    /// A cookie path, domain or name contains `;`, a control character or whitespace.
    #[error("cookie attribute {0:?} contains a character a Set-Cookie header cannot carry")]
    CookieAttribute(String),
}

impl Policy {
    /// Checks that the engine can run with this policy.
    pub fn check(&self) -> Result<(), PolicyError> {
        match self.ids.generator {
            IdGenerator::Csprng { bits } | IdGenerator::LowEntropy { bits }
                if bits == 0 || bits > 128 =>
            {
                return Err(PolicyError::IdBits(bits));
            }
            _ => {}
        }
        for name in [
            &self.cookie.name,
            &self.cookie.remember_me_name,
            &self.cookie.refresh_name,
        ] {
            let token_char = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
            if name.is_empty() || !name.chars().all(token_char) {
                return Err(PolicyError::CookieName(name.clone()));
            }
        }
        let attr_ok = |s: &str| s.chars().all(|c| c.is_ascii_graphic() && c != ';');
        if !attr_ok(&self.cookie.path) {
            return Err(PolicyError::CookieAttribute(self.cookie.path.clone()));
        }
        if let Some(domain) = &self.cookie.domain
            && !attr_ok(domain)
        {
            return Err(PolicyError::CookieAttribute(domain.clone()));
        }
        Ok(())
    }
}

/// What the client holds and where session state lives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// An opaque random id in a cookie; state in the server's store.
    #[default]
    ServerSide,
    /// A self-contained signed token (JWT, HS256); no server state except revocation lists.
    SignedToken,
    /// The whole session (user, times, role) in a signed cookie, re-signed on activity.
    ClientCookie,
    /// A short-lived signed access token plus a refresh token whose family lives in the store.
    Hybrid,
}

/// How session ids are made and accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdPolicy {
    /// The generator.
    pub generator: IdGenerator,
    /// The text form of random ids (sequential and timestamp ids are decimal numbers).
    pub encoding: IdEncoding,
    /// Whether an id the client made up is adopted.
    pub acceptance: IdAcceptance,
}

impl Default for IdPolicy {
    fn default() -> Self {
        IdPolicy {
            generator: IdGenerator::Csprng { bits: 128 },
            encoding: IdEncoding::Base64Url,
            acceptance: IdAcceptance::Strict,
        }
    }
}

/// Where session ids come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdGenerator {
    /// `bits` (1..=128) from a cryptographic RNG.
    Csprng {
        /// Entropy of each id.
        bits: u8,
    },
    /// A counter: 1, 2, 3, ... — every id's neighbour is another user's session.
    Sequential,
    /// The issue time in milliseconds followed by a three-digit counter within that millisecond.
    Timestamp,
    /// A random value with few bits (a non-cryptographic RNG, a truncated hash).
    LowEntropy {
        /// Entropy of each id (1..=128).
        bits: u8,
    },
}

/// The text form of a random id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdEncoding {
    /// Unpadded base64url (RFC 4648 §5): 22 characters for 128 bits.
    #[default]
    Base64Url,
    /// Lowercase hexadecimal: 32 characters for 128 bits.
    Hex,
}

/// Whether the server adopts session ids it did not issue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdAcceptance {
    /// Unknown ids are rejected and a fresh one is issued (PHP's `use_strict_mode`).
    #[default]
    Strict,
    /// A well-formed unknown id presented by the client becomes the session's id.
    Permissive,
}

/// Idle and absolute timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeoutPolicy {
    /// Inactivity after which the session ends; `None` = never.
    pub idle: Option<Duration>,
    /// Lifetime from login after which the session ends whatever the activity; `None` = never.
    pub absolute: Option<Duration>,
    /// Which requests reset the idle timer.
    pub activity: Activity,
    /// Issue a fresh id when the current one is older than this (old id ended).
    pub renewal: Option<Duration>,
    /// Who enforces the idle timeout.
    pub idle_enforcement: ExpiryEnforcement,
    /// Who enforces the absolute timeout (an application may check one on the server and leave
    /// the other to a script in the page).
    pub absolute_enforcement: ExpiryEnforcement,
}

impl TimeoutPolicy {
    /// Whether the server checks either timer.
    pub fn server_checks_any(&self) -> bool {
        self.idle_enforcement == ExpiryEnforcement::Server
            || self.absolute_enforcement == ExpiryEnforcement::Server
    }
}

impl Default for TimeoutPolicy {
    fn default() -> Self {
        TimeoutPolicy {
            idle: Some(30 * MINUTE),
            absolute: Some(12 * HOUR),
            activity: Activity::UserAction,
            renewal: None,
            idle_enforcement: ExpiryEnforcement::Server,
            absolute_enforcement: ExpiryEnforcement::Server,
        }
    }
}

/// What counts as activity for the idle timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Activity {
    /// Every request, background pings included.
    AnyRequest,
    /// User actions and state changes; background requests do not count.
    #[default]
    UserAction,
    /// Only requests that change state.
    StateChange,
}

/// Who enforces session expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ExpiryEnforcement {
    /// The server checks the timeouts on every request.
    #[default]
    Server,
    /// Only the cookie's `Max-Age` (or a client timer) ends the session; the server accepts a
    /// replayed credential however old.
    ClientOnly,
}

/// What happens to an id when the session's privilege level changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Rotation {
    /// The same id carries on (fixation possible).
    KeepId,
    /// A fresh id is issued and the old one ends.
    #[default]
    RotateEndOld,
    /// A fresh id is issued but the old one keeps working.
    RotateKeepOld,
}

/// Rotation on login and on privilege change, and what other sessions see after a role change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RotationPolicy {
    /// On login, for the pre-login (anonymous or planted) id.
    pub on_login: Rotation,
    /// For the session that performs a privilege change.
    pub on_privilege_change: Rotation,
    /// What the user's other live sessions see after a role change.
    pub privileges: PrivilegeReload,
}

/// How sessions learn about a changed role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PrivilegeReload {
    /// Sessions keep the role they were created with (stale privileges).
    KeepSnapshot,
    /// Sessions see the new role on their next request.
    #[default]
    Reload,
    /// The user's other sessions end.
    EndSessions,
}

/// Persistent login tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RememberMePolicy {
    /// Whether "remember me" is offered at all.
    pub offered: bool,
    /// How long a token works; `None` = forever.
    pub lifetime: Option<Duration>,
    /// Whether a token only works from the device it was issued to.
    pub device_binding: DeviceBinding,
    /// Whether each auto-login replaces the token.
    pub rotate_on_use: RotateOnUse,
    /// Whether logging out revokes the device's token.
    pub on_logout: RememberOnLogout,
    /// What a session opened by auto-login may do.
    pub grant: RememberMeGrant,
}

impl Default for RememberMePolicy {
    fn default() -> Self {
        RememberMePolicy {
            offered: true,
            lifetime: Some(30 * DAY),
            device_binding: DeviceBinding::Bound,
            rotate_on_use: RotateOnUse::Rotate,
            on_logout: RememberOnLogout::Revoke,
            grant: RememberMeGrant::ReauthForSensitive,
        }
    }
}

/// Whether a remember-me token is tied to the device it was issued to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DeviceBinding {
    /// Only the issuing device can use it.
    #[default]
    Bound,
    /// Any device holding the value can use it.
    Unbound,
}

/// Whether a remember-me token is replaced when used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RotateOnUse {
    /// Each use issues a new token and ends the old one.
    #[default]
    Rotate,
    /// The same token works again and again.
    Keep,
}

/// What logout does to remember-me tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RememberOnLogout {
    /// This-device logout revokes this device's token; logout everywhere revokes all.
    #[default]
    Revoke,
    /// Tokens survive logout.
    Survive,
}

/// What an auto-login session may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RememberMeGrant {
    /// Counts as a fresh authentication: sensitive actions allowed.
    FullAuthentication,
    /// Sensitive actions need a password re-entry first.
    #[default]
    ReauthForSensitive,
}

/// Signed tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenPolicy {
    /// Lifetime of an access token (`exp - iat`).
    pub access_lifetime: Duration,
    /// Which `alg` header values are accepted.
    pub algorithm: AlgorithmPolicy,
    /// Whether `exp` is checked.
    pub check_exp: ClaimCheck,
    /// Whether `nbf` is checked.
    pub check_nbf: ClaimCheck,
    /// How an issued token can be revoked before `exp`.
    pub revocation: Revocation,
    /// How long a revocation takes to reach the validators (caches, replication).
    pub revocation_delay: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            access_lifetime: 5 * MINUTE,
            algorithm: AlgorithmPolicy::Hs256Only,
            check_exp: ClaimCheck::Enforced,
            check_nbf: ClaimCheck::Enforced,
            revocation: Revocation::DenylistAndNotBefore,
            revocation_delay: Duration::ZERO,
        }
    }
}

/// Accepted token algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AlgorithmPolicy {
    /// Only HMAC-SHA256 with the server's key.
    #[default]
    Hs256Only,
    /// HS256, and also unsigned tokens with `alg: none`.
    AcceptNone,
}

/// Whether a time claim is checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClaimCheck {
    /// Checked.
    #[default]
    Enforced,
    /// Not checked.
    Ignored,
}

/// How a stateless credential is revoked before it expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Revocation {
    /// It cannot be: valid until `exp` whatever happens.
    None,
    /// A denylist of token and session ids (`jti`, `sid`): logout of one session.
    Denylist,
    /// A per-user "not before" generation: password change, disable, logout everywhere.
    PerUserNotBefore,
    /// Both.
    #[default]
    DenylistAndNotBefore,
}

impl Revocation {
    pub(crate) fn denylist(self) -> bool {
        matches!(
            self,
            Revocation::Denylist | Revocation::DenylistAndNotBefore
        )
    }
    pub(crate) fn not_before(self) -> bool {
        matches!(
            self,
            Revocation::PerUserNotBefore | Revocation::DenylistAndNotBefore
        )
    }
}

/// Refresh tokens of the Hybrid mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefreshPolicy {
    /// How long refresh tokens live.
    pub expiry: RefreshExpiry,
    /// Whether each refresh issues a new refresh token.
    pub rotation: RefreshRotation,
    /// What happens when an already-rotated token is presented.
    pub reuse: ReuseDetection,
    /// How many generations behind the newest a token may be and still be accepted.
    pub grace_generations: u32,
    /// Whether logout revokes the refresh token family.
    pub on_logout: RefreshOnLogout,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            expiry: RefreshExpiry::Sliding {
                idle: DAY,
                cap: Some(12 * HOUR),
            },
            rotation: RefreshRotation::Rotate,
            reuse: ReuseDetection::RevokeFamily,
            grace_generations: 0,
            on_logout: RefreshOnLogout::Revoke,
        }
    }
}

/// How long refresh tokens live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefreshExpiry {
    /// Each token lives `idle` from its own issue, so a family lives as long as it is used,
    /// up to `cap` from login (`None` = forever).
    Sliding {
        /// Lifetime of each token.
        idle: Duration,
        /// Lifetime of the family.
        cap: Option<Duration>,
    },
    /// Every token of a family expires `lifetime` after login.
    Absolute {
        /// Lifetime of the family.
        lifetime: Duration,
    },
}

/// Whether refresh tokens rotate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RefreshRotation {
    /// Every refresh issues a new token.
    #[default]
    Rotate,
    /// The same token is used again and again.
    Reuse,
}

/// What a presented, already-rotated refresh token does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReuseDetection {
    /// Rejected, and the whole family is revoked (RFC 9700 §4.14.2).
    #[default]
    RevokeFamily,
    /// Accepted like the newest one.
    Off,
}

/// Whether logout revokes the refresh token family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RefreshOnLogout {
    /// Revoked.
    #[default]
    Revoke,
    /// It keeps working.
    Keep,
}

/// Concurrent session limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConcurrencyPolicy {
    /// The limit.
    pub limit: SessionLimit,
    /// What a login over the limit does.
    pub on_limit: OnLimit,
    /// Whether the limit counts all the user's sessions or each device category separately.
    pub scope: LimitScope,
}

impl Default for ConcurrencyPolicy {
    fn default() -> Self {
        ConcurrencyPolicy {
            limit: SessionLimit::Limited {
                max: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            },
            on_limit: OnLimit::EvictOldestInactive,
            scope: LimitScope::PerUser,
        }
    }
}

/// How many live sessions a user may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionLimit {
    /// Any number.
    Unlimited,
    /// One.
    Single,
    /// At most `max`.
    Limited {
        /// The limit.
        max: NonZeroU32,
    },
}

impl SessionLimit {
    pub(crate) fn max(self) -> Option<u32> {
        match self {
            SessionLimit::Unlimited => None,
            SessionLimit::Single => Some(1),
            SessionLimit::Limited { max } => Some(max.get()),
        }
    }
}

/// What a login over the limit does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnLimit {
    /// The session idle the longest ends (last login wins).
    #[default]
    EvictOldestInactive,
    /// The login is refused.
    RejectNew,
}

/// What the session limit counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LimitScope {
    /// All the user's sessions.
    #[default]
    PerUser,
    /// The user's sessions on the same device category (desktop, mobile, ...).
    PerDeviceCategory,
}

/// Logout and the events that end sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LogoutPolicy {
    /// Whether logout ends the session on the server.
    pub invalidation: LogoutInvalidation,
    /// Whether "log out of all devices" exists.
    pub everywhere: LogoutEverywhere,
    /// What a password (or MFA) change does to existing sessions.
    pub on_credential_change: CredentialChange,
    /// What disabling an account does to its sessions.
    pub on_account_disable: DisableEffect,
}

/// Whether logout reaches the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogoutInvalidation {
    /// The server ends the session (and revokes tokens as the revocation model allows).
    #[default]
    ServerSide,
    /// Only the client's cookie is cleared; the credential stays valid.
    ClientOnly,
}

/// Whether "log out of all devices" is offered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogoutEverywhere {
    /// Offered.
    #[default]
    Offered,
    /// Not offered: a request for it only logs out this device.
    NotOffered,
}

/// What a credential change does to the user's sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CredentialChange {
    /// Every session except the one that made the change ends.
    #[default]
    EndOthers,
    /// Every session ends.
    EndAll,
    /// Nothing ends.
    KeepAll,
}

/// What disabling an account does to its sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DisableEffect {
    /// They end.
    #[default]
    EndSessions,
    /// They keep working (only new logins are refused).
    KeepSessions,
}

/// Binding a session to properties of the client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BindingPolicy {
    /// Whether the IP address must stay the same.
    pub ip: Bind,
    /// Whether the user agent must stay the same.
    pub user_agent: Bind,
    /// What a mismatch (or impossible travel) does.
    pub on_mismatch: MismatchAction,
    /// Flag requests from places too far apart for the time between them.
    pub impossible_travel: Option<TravelCheck>,
}

impl Default for BindingPolicy {
    fn default() -> Self {
        BindingPolicy {
            ip: Bind::Off,
            user_agent: Bind::Enforced,
            on_mismatch: MismatchAction::RequireReauth,
            impossible_travel: Some(TravelCheck::default()),
        }
    }
}

/// Whether a client property is bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Bind {
    /// Not checked.
    #[default]
    Off,
    /// Must match the value at login.
    Enforced,
}

/// What a binding mismatch does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MismatchAction {
    /// Logged and accepted.
    Ignore,
    /// Refused until the user re-authenticates.
    #[default]
    RequireReauth,
    /// The session ends.
    Terminate,
}

/// An impossible-travel check: two requests further apart than `min_distance_km` at a speed
/// above `max_speed_kmh` are a mismatch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TravelCheck {
    /// Fastest plausible travel.
    pub max_speed_kmh: f32,
    /// Distances below this are geolocation noise.
    pub min_distance_km: f32,
}

impl Default for TravelCheck {
    fn default() -> Self {
        TravelCheck {
            max_speed_kmh: 900.0,
            min_distance_km: 200.0,
        }
    }
}

/// Re-authentication before sensitive actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReauthPolicy {
    /// The oldest authentication a sensitive action accepts; `None` = no re-authentication.
    pub max_auth_age: Option<Duration>,
    /// What the age is measured from.
    pub measured_from: AuthAge,
}

impl Default for ReauthPolicy {
    fn default() -> Self {
        ReauthPolicy {
            max_auth_age: Some(15 * MINUTE),
            measured_from: AuthAge::LastAuthentication,
        }
    }
}

/// What "recent authentication" is measured from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthAge {
    /// The last time the user proved a credential (login, re-authentication, MFA).
    #[default]
    LastAuthentication,
    /// The issue of the current session id or token, which renewal, refresh and auto-login
    /// reset without any authentication.
    SessionStart,
}

/// Sessions before verification is finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountStatePolicy {
    /// For an account whose email is not verified.
    pub unverified_email: PreVerify,
    /// For a login whose MFA step is not done.
    pub mfa_pending: PreVerify,
    /// For a password-reset link followed before the new password is set.
    pub reset_pending: PreVerify,
}

impl Default for AccountStatePolicy {
    fn default() -> Self {
        AccountStatePolicy {
            unverified_email: PreVerify::Limited,
            mfa_pending: PreVerify::Limited,
            reset_pending: PreVerify::None,
        }
    }
}

/// What a not-yet-verified login gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PreVerify {
    /// A full session.
    Full,
    /// A session that can only finish verification; protected requests are refused.
    #[default]
    Limited,
    /// No session.
    None,
}

/// Sessions derived from an identity provider's session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FederationPolicy {
    /// How the identity provider's logout reaches the application.
    pub idp_logout: IdpLogoutPropagation,
}

/// How an identity provider's logout reaches the application.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdpLogoutPropagation {
    /// It does not: the app session outlives the IdP session.
    Ignored,
    /// Through the user's browser: only the session whose cookie the browser presents ends.
    FrontChannel,
    /// Server to server: every app session derived from the IdP session ends.
    #[default]
    BackChannel,
}

/// Telling the client before idle expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WarningPolicy {
    /// How long before idle expiry the client is told; `None` = never.
    pub before_idle_expiry: Option<Duration>,
    /// Whether in-progress work survives an expiry and the re-login after it.
    pub work_on_expiry: WorkOnExpiry,
}

impl Default for WarningPolicy {
    fn default() -> Self {
        WarningPolicy {
            before_idle_expiry: Some(2 * MINUTE),
            work_on_expiry: WorkOnExpiry::Preserved,
        }
    }
}

/// What happens to in-progress work when a session expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WorkOnExpiry {
    /// Kept as a draft and restored at the next login.
    #[default]
    Preserved,
    /// Lost.
    Lost,
}

/// The cookies the engine sets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CookiePolicy {
    /// Name of the session (or token) cookie, without prefix.
    pub name: String,
    /// Name of the remember-me cookie, without prefix.
    pub remember_me_name: String,
    /// Name of the refresh-token cookie, without prefix.
    pub refresh_name: String,
    /// `__Host-` / `__Secure-` name prefix.
    pub prefix: CookiePrefix,
    /// The `Secure` attribute.
    pub secure: bool,
    /// The `HttpOnly` attribute.
    pub http_only: bool,
    /// The `SameSite` attribute; `None` = not sent.
    pub same_site: Option<SameSite>,
    /// The `Path` attribute.
    pub path: String,
    /// The `Domain` attribute; `None` = host-only.
    pub domain: Option<String>,
    /// `Max-Age` of the session cookie; `None` = a browser-session cookie.
    pub max_age: Option<Duration>,
    /// Where the client keeps the session credential.
    pub storage: CredentialStorage,
}

impl Default for CookiePolicy {
    fn default() -> Self {
        CookiePolicy {
            name: "id".to_owned(),
            remember_me_name: "remember".to_owned(),
            refresh_name: "refresh".to_owned(),
            prefix: CookiePrefix::Host,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            path: "/".to_owned(),
            domain: None,
            max_age: None,
            storage: CredentialStorage::Cookie,
        }
    }
}

/// Cookie name prefixes (RFC 6265bis §4.1.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CookiePrefix {
    /// No prefix.
    None,
    /// `__Secure-`: must be `Secure`.
    Secure,
    /// `__Host-`: `Secure`, `Path=/`, no `Domain`.
    #[default]
    Host,
}

impl CookiePrefix {
    /// The literal prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            CookiePrefix::None => "",
            CookiePrefix::Secure => "__Secure-",
            CookiePrefix::Host => "__Host-",
        }
    }
}

/// The `SameSite` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
}

/// Where the client keeps a credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CredentialStorage {
    /// A cookie set by `Set-Cookie` (script-readable unless `HttpOnly`).
    #[default]
    Cookie,
    /// `localStorage`: readable by any script on the origin.
    LocalStorage,
    /// A JavaScript variable: readable by script, lost on reload.
    Memory,
    /// The platform's secure storage (keychain, keystore) of a native app.
    SecureDeviceStorage,
}

/// The fields an application keeps in a session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionData {
    /// The fields, each tagged.
    pub fields: Vec<DataField>,
}

impl Default for SessionData {
    fn default() -> Self {
        SessionData {
            fields: vec![
                DataField {
                    name: "user_id".to_owned(),
                    tag: DataTag::Identity,
                },
                DataField {
                    name: "role".to_owned(),
                    tag: DataTag::Role,
                },
            ],
        }
    }
}

/// One field kept in a session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DataField {
    /// The field's name.
    pub name: String,
    /// What kind of data it is.
    pub tag: DataTag,
}

/// What kind of data a session field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataTag {
    /// Who the user is.
    Identity,
    /// What the user may do (stale if not reloaded).
    Role,
    /// A copy of data that changes elsewhere (balances, cart).
    Cached,
    /// A secret (password hash, card number, national id).
    Sensitive,
}
