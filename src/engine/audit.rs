//! The audit trail: every decision the engine makes becomes an [`AuditEvent`] sent to the
//! [`AuditSink`] the embedder chose — [`NoAudit`] (compiled away), [`MemoryAudit`] for tests, or
//! [`FnAudit`] to stream events to the simulator's observers. Events are plain `Copy` data, so
//! recording one never allocates.

use super::clock::Timestamp;
use super::ids::ShortId;
use super::types::{Rejection, UserId};

/// One decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuditEvent {
    /// When.
    pub at: Timestamp,
    /// Whose (if known).
    pub user: Option<UserId>,
    /// Which session or token family (if known).
    pub session: Option<ShortId>,
    /// What was asked.
    pub op: Operation,
    /// What the engine did.
    pub outcome: Outcome,
    /// Why, when there is a reason to give.
    pub reason: Option<Reason>,
}

/// The operation an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// An anonymous (pre-login) session was asked for.
    StartAnonymous,
    /// Login.
    Login,
    /// A request was validated.
    Validate,
    /// A refresh token was exchanged.
    Refresh,
    /// A sensitive action was attempted.
    SensitiveAction,
    /// The user re-entered a credential.
    Reauthenticate,
    /// Logout.
    Logout,
    /// Password or MFA change.
    ChangePassword,
    /// Account disabled.
    DisableAccount,
    /// Email verified.
    VerifyEmail,
    /// MFA step completed.
    CompleteMfa,
    /// An administrator ended sessions.
    AdminRevoke,
    /// A role changed.
    ChangeRole,
    /// The identity provider ended its session.
    IdpLogout,
    /// Auto-login with a remember-me token.
    AutoLogin,
    /// Expired sessions were purged.
    Sweep,
}

/// What the engine did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A credential was issued.
    Issued,
    /// A request was accepted.
    Accepted,
    /// A request was accepted although a check failed, because the policy says to ignore it.
    AcceptedDespite,
    /// A request was refused.
    Rejected,
    /// A session, token family or remember-me token ended.
    Ended,
    /// A session got a new id.
    Rotated,
}

/// Why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The check that failed.
    Rejection(Rejection),
    /// Why something ended.
    End(EndReason),
}

/// Why a session, family or token ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// Logout of this device.
    Logout,
    /// Logout everywhere.
    LogoutEverywhere,
    /// Password or MFA change.
    CredentialChange,
    /// Account disabled.
    AccountDisabled,
    /// An administrator ended it.
    AdminRevoke,
    /// A role change.
    PrivilegeChange,
    /// The pre-login id was replaced at login.
    LoginRotation,
    /// The id was renewed.
    Renewal,
    /// Made room under the concurrency limit.
    Evicted,
    /// The identity provider's session ended.
    IdpLogout,
    /// Idle timeout.
    ExpiredIdle,
    /// Absolute timeout.
    ExpiredAbsolute,
    /// The refresh token family expired.
    RefreshExpired,
    /// A binding mismatch with the `Terminate` action.
    BindingMismatch,
    /// Refresh token reuse revoked the family.
    RefreshReuse,
    /// A remember-me token was rotated or expired.
    RememberMeUsed,
}

/// Where audit events go.
pub trait AuditSink: Send + Sync {
    /// Whether events are wanted at all; the engine skips building them when not.
    fn enabled(&self) -> bool {
        true
    }
    /// Takes one event.
    fn record(&mut self, event: &AuditEvent);
}

/// Discards everything; with it the engine does no audit work.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    #[inline(always)]
    fn enabled(&self) -> bool {
        false
    }
    #[inline(always)]
    fn record(&mut self, _event: &AuditEvent) {}
}

/// Keeps every event in memory (tests, small runs).
#[derive(Clone, Debug, Default)]
pub struct MemoryAudit {
    /// The events, oldest first.
    pub events: Vec<AuditEvent>,
}

impl AuditSink for MemoryAudit {
    fn record(&mut self, event: &AuditEvent) {
        self.events.push(*event);
    }
}

/// Calls a function for each event (stream them to observers without storing them).
pub struct FnAudit<F>(pub F);

impl<F: FnMut(&AuditEvent) + Send + Sync> AuditSink for FnAudit<F> {
    fn record(&mut self, event: &AuditEvent) {
        (self.0)(event);
    }
}

impl AuditSink for Box<dyn AuditSink> {
    fn enabled(&self) -> bool {
        (**self).enabled()
    }
    fn record(&mut self, event: &AuditEvent) {
        (**self).record(event);
    }
}
