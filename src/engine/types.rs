//! The vocabulary of the engine's operations: who is asking ([`Client`]), what they ask
//! ([`LoginRequest`], [`RequestKind`], ...), what a server gives back ([`Issued`], [`Accepted`])
//! and why it refuses ([`Rejection`]).

use std::net::IpAddr;
use std::time::Duration;

use thiserror::Error;

use super::clock::Timestamp;
use super::ids::ShortId;

/// An account, as the application numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u64);

/// A device (browser profile, phone app install), as the client identifies itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub u64);

/// A session at the identity provider that a federated login came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdpSessionId(pub u64);

/// The kind of device, for per-category session limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DeviceCategory {
    /// A desktop or laptop browser.
    #[default]
    Desktop = 0,
    /// A phone.
    Mobile = 1,
    /// A tablet.
    Tablet = 2,
    /// A script or API client.
    Api = 3,
}

/// A role (privilege level). The application decides what each number means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Role(pub u16);

impl Role {
    /// An ordinary user.
    pub const USER: Role = Role(0);
    /// An administrator.
    pub const ADMIN: Role = Role(1);
}

/// A geolocation (from the client's IP, resolved by the embedder).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geo {
    /// Latitude in degrees.
    pub lat: f32,
    /// Longitude in degrees.
    pub lon: f32,
}

impl Geo {
    /// Great-circle distance in kilometres.
    pub fn distance_km(self, other: Geo) -> f32 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().clamp(0.0, 1.0).asin()
    }
}

/// Who is making a request: what the server can see of the client.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Client<'a> {
    /// The source address.
    pub ip: IpAddr,
    /// The `User-Agent` header.
    pub user_agent: &'a str,
    /// Where the IP geolocates, if known.
    pub geo: Option<Geo>,
    /// The device identifier the client presents (for remember-me binding).
    pub device: DeviceId,
    /// The kind of device.
    pub category: DeviceCategory,
}

/// What a request is, for the idle timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// A user clicked or typed (page view, read).
    #[default]
    UserAction,
    /// A background request the user did not make (polling, health ping, silent refresh).
    Background,
    /// A user action that changes state (form post, purchase).
    StateChange,
}

/// The outcome of the MFA step at login.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MfaStatus {
    /// The account has no second factor.
    #[default]
    NotEnrolled,
    /// The second factor was verified.
    Passed,
    /// The second factor is still to be given.
    Pending,
}

/// Whether the user ticked "remember me".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RememberMe {
    /// Not asked.
    #[default]
    No,
    /// Asked.
    Asked,
}

/// A login whose password the application has already checked.
#[derive(Clone, Copy, Debug)]
pub struct LoginRequest<'a> {
    /// The account.
    pub user: UserId,
    /// The client.
    pub client: Client<'a>,
    /// The MFA step.
    pub mfa: MfaStatus,
    /// Whether "remember me" was asked.
    pub remember_me: RememberMe,
    /// The session id cookie the client already holds (anonymous, or planted by an attacker).
    pub presented_id: Option<&'a str>,
    /// The identity provider session, for a federated login.
    pub idp_session: Option<IdpSessionId>,
}

/// What an account looks like when it is created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AccountSetup {
    /// Its role.
    pub role: Role,
    /// Whether its email is verified.
    pub email_verified: bool,
}

/// Why the engine refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The credential is not in the form this engine issues.
    #[error("malformed credential")]
    Malformed,
    /// No live session has this id.
    #[error("unknown session id")]
    UnknownId,
    /// The session was inactive longer than the idle timeout.
    #[error("session expired (idle)")]
    ExpiredIdle,
    /// The session is older than the absolute timeout.
    #[error("session expired (absolute)")]
    ExpiredAbsolute,
    /// The credential was revoked (logout, denylist, not-before, family revoked).
    #[error("credential revoked")]
    Revoked,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The token's `alg` is not accepted.
    #[error("algorithm not accepted")]
    AlgorithmRejected,
    /// The token's `exp` has passed.
    #[error("token expired")]
    TokenExpired,
    /// The token's `nbf` is in the future.
    #[error("token not yet valid")]
    TokenNotYetValid,
    /// The client's IP or user agent differs from the session's.
    #[error("client binding mismatch")]
    BindingMismatch,
    /// The session was used from places too far apart for the time between them.
    #[error("impossible travel")]
    ImpossibleTravel,
    /// The user already has as many sessions as allowed.
    #[error("session limit reached")]
    LimitReached,
    /// The action needs a recent authentication.
    #[error("re-authentication required")]
    ReauthRequired,
    /// The account is disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// The account's email is not verified.
    #[error("email not verified")]
    NotVerified,
    /// The login's MFA step is not done.
    #[error("MFA not completed")]
    MfaRequired,
    /// The password reset is not finished (no new password set yet).
    #[error("password reset not completed")]
    ResetIncomplete,
    /// An already-rotated refresh token was presented.
    #[error("refresh token reused")]
    RefreshReused,
    /// The refresh token (or its family) expired.
    #[error("refresh token expired")]
    RefreshExpired,
    /// The remember-me token expired.
    #[error("remember-me token expired")]
    RememberMeExpired,
    /// A device-bound token came from another device.
    #[error("token presented by another device")]
    DeviceMismatch,
    /// The account does not exist.
    #[error("unknown user")]
    UnknownUser,
    /// The policy does not offer this operation for this mechanism.
    #[error("operation not offered by this policy")]
    Unsupported,
    /// The id space of a weak generator is full.
    #[error("no free session id")]
    IdSpaceExhausted,
}

/// What kind of credential a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// An opaque session id (ServerSide).
    SessionId,
    /// A signed access token (SignedToken, Hybrid).
    AccessToken,
    /// A signed cookie holding the whole session (ClientCookie).
    CookieSession,
    /// A refresh token (Hybrid).
    RefreshToken,
    /// A remember-me token.
    RememberMe,
}

/// A credential handed to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// What it is.
    pub kind: CredentialKind,
    /// The value the client presents later.
    pub value: String,
    /// The `Set-Cookie` header value, when the client keeps it in a cookie; otherwise the value
    /// goes in the response body and the client stores it where the policy says.
    pub set_cookie: Option<String>,
    /// When the server stops accepting it at the latest, if it knows.
    pub expires_at: Option<Timestamp>,
}

/// Whether a session may do everything or only finish verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Everything its role allows.
    Full,
    /// Only finishing email verification or MFA.
    Limited,
}

/// A successful login, auto-login or refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    /// The account.
    pub user: UserId,
    /// Fingerprint of the session (or token family).
    pub session: ShortId,
    /// The session credential: id, access token or cookie session.
    pub credential: Credential,
    /// A refresh token (Hybrid).
    pub refresh: Option<Credential>,
    /// A remember-me token.
    pub remember_me: Option<Credential>,
    /// Full or limited.
    pub access: Access,
    /// Other sessions of the user ended to make room (concurrency limit).
    pub evicted: u32,
    /// In-progress work from an expired session was restored.
    pub restored_work: bool,
    /// Why a renewal was allowed (a refresh: the family's timers and revocation), as an
    /// acceptance carries its grounds; `None` for a fresh sign-in.
    pub grounds: Option<Grounds>,
}

impl Issued {
    /// Every `Set-Cookie` header value of the response.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        [
            Some(&self.credential),
            self.refresh.as_ref(),
            self.remember_me.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter_map(|c| c.set_cookie.as_deref())
    }
}

/// A request the engine accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The account (`None` for an anonymous session).
    pub user: Option<UserId>,
    /// The role the request runs with (what the session or token says).
    pub role: Role,
    /// Fingerprint of the session.
    pub session: ShortId,
    /// Time left before idle expiry, when within the warning window.
    pub idle_warning: Option<Duration>,
    /// A replacement credential (renewed id, re-signed cookie session) the response carries.
    /// Boxed: it is rare, and the common answer stays small.
    pub renewed: Option<Box<Credential>>,
    /// Why the engine let the credential through: what it checked, and how each check passed.
    pub grounds: Grounds,
}

/// How a timeout (idle or absolute) let a credential through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerCheck {
    /// No such timeout is configured.
    NotConfigured,
    /// The server checked it, and the credential was within `limit`.
    Within {
        /// The configured timeout.
        limit: Duration,
    },
    /// The timeout is configured but only the client enforces it (cookie `Max-Age`, a script
    /// timer): the server did not look.
    ClientOnly,
    /// The credential is a stateless access token: the server keeps no record to time, and
    /// only the token's `exp` ends it.
    NotTracked,
}

/// How the token's `exp` let it through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpCheck {
    /// Not a signed token: nothing to check.
    NotAToken,
    /// Checked; the token is valid until `until`.
    Checked {
        /// The token's `exp`.
        until: Timestamp,
    },
    /// The token carries an `exp` that the server does not check.
    Ignored,
}

/// Whether the server could have known that the credential was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationCheck {
    /// A live server-side record: nothing ended it.
    LiveRecord,
    /// A stateless credential and no revocation list: it is valid until it expires, whatever
    /// happened since it was issued.
    NotPossible,
    /// A revocation list was consulted and did not (yet) list the credential.
    NotListed,
    /// The credential was revoked, but the revocation has not reached this server yet (a
    /// propagation delay): it is refused from `effective` on.
    Propagating {
        /// When the revocation takes effect here.
        effective: Timestamp,
    },
}

/// Why the engine accepted a credential. A finding names its cause from these, never from
/// which scene ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Grounds {
    /// What the credential is.
    pub credential: CredentialKind,
    /// How the idle timeout let it through.
    pub idle: TimerCheck,
    /// How the absolute timeout let it through.
    pub absolute: TimerCheck,
    /// What resets the idle timer (a background request too, when `AnyRequest`).
    pub activity: super::policy::Activity,
    /// How the token's `exp` let it through.
    pub exp: ExpCheck,
    /// Whether a revocation could have been seen.
    pub revocation: RevocationCheck,
    /// Whether the client's address and user agent were compared with the session's (and
    /// matched, or the mismatch was ignored).
    pub binding: BindingCheck,
}

/// How client binding let a request through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingCheck {
    /// No binding is configured (or the credential carries no fingerprint).
    Off,
    /// The client matched what the session was bound to.
    Matched,
    /// The client did not match, and the policy ignores a mismatch.
    MismatchIgnored,
}

/// Which sessions a logout ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogoutScope {
    /// The session presenting the credential.
    #[default]
    ThisDevice,
    /// Every session of the user.
    Everywhere,
}

/// One logout endpoint's behaviour: which sessions it ends, whether the server forgets them,
/// and what happens to refresh tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogoutEndpoint {
    /// This device, or every session of the user.
    pub scope: LogoutScope,
    /// Whether the server ends the session or only the client's cookie is cleared.
    pub invalidation: super::policy::LogoutInvalidation,
    /// Whether the logout revokes the refresh token (Hybrid).
    pub refresh: super::policy::RefreshOnLogout,
}

/// One password-change endpoint's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PasswordChangeEndpoint {
    /// Which sessions end.
    pub sessions: super::policy::CredentialChange,
    /// Whether refresh tokens (Hybrid token families) are revoked too.
    pub refresh: super::policy::RefreshOnLogout,
}

/// What a logout did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedOut {
    /// The scope applied (a request for `Everywhere` is `ThisDevice` when not offered).
    pub scope: LogoutScope,
    /// Sessions and token families ended on the server.
    pub ended: u32,
    /// `Set-Cookie` header values that clear the client's cookies.
    pub clear_cookies: Vec<String>,
}

/// Whose sessions an administrator ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdminScope {
    /// One user's.
    User(UserId),
    /// Everyone's.
    All,
}

/// A logout event from the identity provider.
#[derive(Clone, Copy, Debug)]
pub struct IdpLogout<'a> {
    /// The account.
    pub user: UserId,
    /// The IdP session that ended.
    pub idp_session: IdpSessionId,
    /// The app credential the user's browser presents to the front-channel logout page.
    pub browser_credential: Option<&'a str>,
}

/// What an account-wide operation ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ended {
    /// Server-side sessions and token families ended.
    pub sessions: u32,
    /// Remember-me tokens revoked.
    pub remember_me: u32,
}

/// The result of a password (or MFA) change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialChanged {
    /// What ended.
    pub ended: Ended,
    /// A fresh credential for the session that made the change, when its old one was revoked
    /// along with the others (per-user token revocation).
    pub reissued: Option<Credential>,
}

/// The result of a role change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleChanged {
    /// The acting session's new credential, when it was rotated.
    pub rotated: Option<Credential>,
    /// Other sessions ended.
    pub ended: u32,
}
