//! The session engine: a real in-process session manager that an application could embed and
//! that the simulator drives in virtual time. [`SessionEngine`] issues and checks credentials
//! under a [`Policy`] — opaque random ids in a server-side store, HMAC-signed tokens, signed
//! cookie sessions, or short access tokens with rotating refresh tokens — and every weakness a
//! policy can have (guessable ids, client-only logout, unchecked `exp`, ...) is a behaviour of
//! this code, never a flag read elsewhere. It knows nothing about maps or the UI. Time comes
//! only from the injected [`Clock`], randomness only from the injected seeded [`ChaCha20Rng`],
//! and every decision goes to the embedder's [`AuditSink`].

#![warn(missing_docs)]

mod audit;
mod clock;
mod codec;
mod cookie;
mod ids;
mod index;
mod policy;
mod server;
mod stateless;
mod store;
mod token;
mod types;

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::time::Duration;

use rand::Rng as _;
use rand_chacha::ChaCha20Rng;
use rustc_hash::{FxHashMap, FxHasher};

pub use audit::{
    AuditEvent, AuditSink, EndReason, FnAudit, MemoryAudit, NoAudit, Operation, Outcome, Reason,
};
pub use clock::{Clock, ManualClock, Timestamp};
pub use cookie::{CookieParseError, SetCookie};
pub use ids::{SessionIds, SessionKey, ShortId};
pub use policy::*;
pub use token::{Claims, TokenKind, flags as token_flags, payload_readers_agree};
pub use types::*;

use store::{Account, RememberStore, Store};
use token::Signer;

/// A session manager under one [`Policy`], on clock `C`, reporting to audit sink `A`.
///
/// Operations take `&mut self`; the engine is `Send + Sync`, so an application shares it
/// between request handlers behind a lock, and the simulator owns one per shard.
pub struct SessionEngine<C: Clock = ManualClock, A: AuditSink = NoAudit> {
    policy: Policy,
    clock: C,
    audit: A,
    rng: ChaCha20Rng,
    ids: SessionIds,
    signer: Signer,
    store: Store,
    remember: RememberStore,
    /// Revoked token and session ids (`jti`, `sid`) and when the revocation takes effect.
    denylist: FxHashMap<u64, Timestamp>,
    /// Per-user generation revocations still propagating: (new minimum, effective at).
    pending_generations: FxHashMap<UserId, Vec<(u32, Timestamp)>>,
    /// Reused buffer for slot lists.
    scratch: Vec<u32>,
    /// The timeouts in milliseconds, for the hot path.
    limits: Limits,
}

/// Timeouts in whole milliseconds; `u64::MAX` = none.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// Whether the server checks the idle timeout.
    server_idle: bool,
    /// Whether the server checks the absolute timeout.
    server_absolute: bool,
    idle: u64,
    absolute: u64,
    renewal: u64,
    warning: u64,
}

impl Limits {
    fn new(policy: &Policy) -> Self {
        let ms = |d: Option<std::time::Duration>| {
            d.map_or(u64::MAX, |d| {
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
            })
        };
        let t = &policy.timeouts;
        Limits {
            server_idle: t.idle_enforcement == ExpiryEnforcement::Server,
            server_absolute: t.absolute_enforcement == ExpiryEnforcement::Server,
            idle: ms(t.idle),
            absolute: ms(t.absolute),
            renewal: ms(t.renewal),
            warning: ms(policy.warning.before_idle_expiry),
        }
    }
}

impl<C: Clock, A: AuditSink> SessionEngine<C, A> {
    /// An engine with no accounts and no sessions. The token signing key is drawn from `rng`,
    /// so the same seed gives the same run.
    pub fn new(
        policy: Policy,
        clock: C,
        audit: A,
        mut rng: ChaCha20Rng,
    ) -> Result<Self, PolicyError> {
        policy.check()?;
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Ok(SessionEngine {
            ids: SessionIds::new(policy.ids),
            limits: Limits::new(&policy),
            signer: Signer::new(&key),
            policy,
            clock,
            audit,
            rng,
            store: Store::default(),
            remember: RememberStore::default(),
            denylist: FxHashMap::default(),
            pending_generations: FxHashMap::default(),
            scratch: Vec::new(),
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The audit sink.
    pub fn audit(&self) -> &A {
        &self.audit
    }

    /// The audit sink, mutably (to drain a [`MemoryAudit`]).
    pub fn audit_mut(&mut self) -> &mut A {
        &mut self.audit
    }

    /// Live server-side sessions (including refresh-token families and anonymous sessions).
    pub fn live_sessions(&self) -> usize {
        self.store.len()
    }

    /// Live server-side sessions of `user`.
    pub fn user_sessions(&self, user: UserId) -> u32 {
        self.store.accounts.get(&user).map_or(0, |a| a.count)
    }

    /// Live remember-me tokens.
    pub fn remember_me_tokens(&self) -> usize {
        self.remember.tokens.len()
    }

    /// Bytes held by the session and account tables (by capacity).
    pub fn table_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    /// Creates an account, or resets an existing one's role and verification; returns whether
    /// it was new.
    pub fn add_account(&mut self, user: UserId, setup: AccountSetup) -> bool {
        match self.store.accounts.get_mut(&user) {
            Some(account) => {
                account.role = setup.role;
                account.email_verified = setup.email_verified;
                false
            }
            None => {
                self.store
                    .accounts
                    .insert(user, Account::new(setup.role, setup.email_verified));
                true
            }
        }
    }

    /// Validates a request carrying `credential` (session id, access token or cookie
    /// session) and records activity as the policy counts it.
    pub fn validate(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Accepted, Rejection> {
        self.check(credential, client, kind, Operation::Validate)
            .map(|c| c.accepted)
    }

    /// A run of background requests (a tab polling while nobody uses it) with `credential`
    /// from `client`: one at the clock's time and one every `every` after it, before `end`.
    /// Makes the longest leading stretch of them whose only effect is their own passage,
    /// exactly as [`Self::validate`] would make them one by one: each is accepted and audited,
    /// and the session's last-seen time (and last activity, where background requests count)
    /// is that of the last one. Stops before the first request that would be refused, rotate
    /// or re-sign the credential, or whose answer could change with a pending revocation, so
    /// the caller sends that one through [`Self::validate`]. (A session cookie re-sent
    /// unchanged to slide a client-side idle timer is made: its `Max-Age` runs from the last
    /// request.) Returns how many requests were made; 0 when the first one is such a request.
    ///
    /// This lets a simulation cost what decides the outcome rather than the number of pings;
    /// `tests/sim.rs` proves reports identical with and without it.
    pub fn background_run(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        every: Duration,
        end: Timestamp,
    ) -> u64 {
        if every.is_zero() || client.geo.is_some() {
            return 0;
        }
        match self.policy.mechanism {
            Mechanism::ServerSide => self.background_run_server(credential, client, every, end),
            Mechanism::SignedToken | Mechanism::Hybrid => {
                self.background_run_token(credential, client, TokenKind::Access, every, end)
            }
            Mechanism::ClientCookie => {
                self.background_run_token(credential, client, TokenKind::CookieSession, every, end)
            }
        }
    }

    /// A sensitive action (email, password or payout change): a state-changing request that
    /// also needs a recent enough authentication.
    pub fn sensitive_action(
        &mut self,
        credential: &str,
        client: &Client<'_>,
    ) -> Result<Accepted, Rejection> {
        let reauth = self.policy.reauth;
        self.sensitive_action_with(credential, client, reauth)
    }

    /// A sensitive action that asks for re-authentication by its own rule rather than the
    /// policy's (an application's actions may ask differently: a payout within 5 minutes of
    /// the password, a profile change never).
    pub fn sensitive_action_with(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        reauth: ReauthPolicy,
    ) -> Result<Accepted, Rejection> {
        let op = Operation::SensitiveAction;
        let checked = self.check(credential, client, RequestKind::StateChange, op)?;
        let now = self.now();
        let user = checked.accepted.user;
        let session = Some(checked.accepted.session);
        if checked.via_remember
            && self.policy.remember_me.grant == RememberMeGrant::ReauthForSensitive
        {
            return self.reject(now, user, session, op, Rejection::ReauthRequired);
        }
        if let Some(max) = reauth.max_auth_age {
            let since = match reauth.measured_from {
                AuthAge::LastAuthentication => checked.auth_at,
                AuthAge::SessionStart => checked.started,
            };
            if now.saturating_since(since) > max {
                return self.reject(now, user, session, op, Rejection::ReauthRequired);
            }
        }
        self.emit(now, user, session, op, Outcome::Accepted, None);
        Ok(checked.accepted)
    }

    /// Everything up to the sensitive-action checks; dispatches on the mechanism.
    fn check(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        kind: RequestKind,
        op: Operation,
    ) -> Result<Checked, Rejection> {
        match self.policy.mechanism {
            Mechanism::ServerSide => self.check_server(credential, client, kind, op),
            Mechanism::SignedToken | Mechanism::Hybrid => {
                self.check_token(credential, client, TokenKind::Access, kind, op)
            }
            Mechanism::ClientCookie => {
                self.check_token(credential, client, TokenKind::CookieSession, kind, op)
            }
        }
    }

    /// Logs in a user whose password the application has checked.
    pub fn login(&mut self, req: &LoginRequest<'_>) -> Result<Issued, Rejection> {
        self.login_pending(req, false)
    }

    /// Follows a password-reset link for `req.user`: what the client holds before the new
    /// password is set is what the policy's `reset_pending` says (a full session, a session
    /// that can only finish the reset, or none).
    pub fn follow_reset_link(&mut self, req: &LoginRequest<'_>) -> Result<Issued, Rejection> {
        self.login_pending(req, true)
    }

    fn login_pending(&mut self, req: &LoginRequest<'_>, reset: bool) -> Result<Issued, Rejection> {
        let now = self.now();
        let op = Operation::Login;
        let user = Some(req.user);
        let mut flags = self.admit(req.user, now, op)?;
        if reset {
            match self.policy.account_state.reset_pending {
                PreVerify::Full => {}
                PreVerify::Limited => flags |= store::sflags::LIMITED_RESET,
                PreVerify::None => {
                    return self.reject(now, user, None, op, Rejection::ResetIncomplete);
                }
            }
        }
        if req.mfa == MfaStatus::Pending {
            match self.policy.account_state.mfa_pending {
                PreVerify::Full => {}
                PreVerify::Limited => flags |= store::sflags::LIMITED_MFA,
                PreVerify::None => return self.reject(now, user, None, op, Rejection::MfaRequired),
            }
        }
        let open = Open {
            user: req.user,
            auth_at: now,
            flags,
            presented: req.presented_id,
            idp: req.idp_session,
            op,
        };
        let mut issued = self.open(&open, &req.client, now)?;
        if req.remember_me == RememberMe::Asked && self.policy.remember_me.offered {
            issued.remember_me = Some(self.issue_remember_me(req.user, &req.client, now, now));
        }
        if let Some(account) = self.store.accounts.get_mut(&req.user) {
            issued.restored_work = std::mem::take(&mut account.restore_work);
        }
        Ok(issued)
    }

    /// The account checks every way into a session shares (login, remember-me auto-login):
    /// the account exists and is enabled, and an unverified email gets what the policy allows.
    /// Returns the session flags those checks imply.
    pub(crate) fn admit(
        &mut self,
        user: UserId,
        now: Timestamp,
        op: Operation,
    ) -> Result<u8, Rejection> {
        let Some(account) = self.store.accounts.get(&user).copied() else {
            return self.reject(now, Some(user), None, op, Rejection::UnknownUser);
        };
        if account.disabled {
            return self.reject(now, Some(user), None, op, Rejection::AccountDisabled);
        }
        if account.email_verified {
            return Ok(0);
        }
        match self.policy.account_state.unverified_email {
            PreVerify::Full => Ok(0),
            PreVerify::Limited => Ok(store::sflags::LIMITED_EMAIL),
            PreVerify::None => self.reject(now, Some(user), None, op, Rejection::NotVerified),
        }
    }

    /// Opens a session under the mechanism in force.
    fn open(
        &mut self,
        open: &Open<'_>,
        client: &Client<'_>,
        now: Timestamp,
    ) -> Result<Issued, Rejection> {
        match self.policy.mechanism {
            Mechanism::ServerSide | Mechanism::Hybrid => self.open_server(open, client, now),
            Mechanism::SignedToken | Mechanism::ClientCookie => {
                self.open_stateless(open, client, now)
            }
        }
    }

    /// Marks the user's email verified; their limited sessions become full.
    pub fn verify_email(&mut self, user: UserId) -> Result<(), Rejection> {
        let now = self.now();
        let op = Operation::VerifyEmail;
        let Some(account) = self.store.accounts.get_mut(&user) else {
            return self.reject(now, Some(user), None, op, Rejection::UnknownUser);
        };
        account.email_verified = true;
        let mut slots = std::mem::take(&mut self.scratch);
        slots.clear();
        self.store.user_slots(user, &mut slots);
        for &slot in &slots {
            self.store.get_mut(slot).flags &= !store::sflags::LIMITED_EMAIL;
        }
        self.scratch = slots;
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        Ok(())
    }

    /// Disables an account: new logins are refused and, if the policy says so, its sessions,
    /// refresh families, remember-me tokens and tokens end.
    pub fn disable_account(&mut self, user: UserId) -> Result<Ended, Rejection> {
        let effect = self.policy.logout.on_account_disable;
        self.disable_account_with(user, effect)
    }

    /// Disables an account through one operator action with its own effect on sessions.
    pub fn disable_account_with(
        &mut self,
        user: UserId,
        effect: DisableEffect,
    ) -> Result<Ended, Rejection> {
        let now = self.now();
        let op = Operation::DisableAccount;
        let Some(account) = self.store.accounts.get_mut(&user) else {
            return self.reject(now, Some(user), None, op, Rejection::UnknownUser);
        };
        account.disabled = true;
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        if effect == DisableEffect::KeepSessions {
            return Ok(Ended::default());
        }
        Ok(self.revoke_user(user, None, op, EndReason::AccountDisabled, now))
    }

    /// Changes the user's password (or MFA factor); other sessions end as the policy says.
    /// `current` is the credential of the session that made the change, if any.
    pub fn change_password(
        &mut self,
        user: UserId,
        current: Option<&str>,
        client: &Client<'_>,
    ) -> Result<CredentialChanged, Rejection> {
        let endpoint = PasswordChangeEndpoint {
            sessions: self.policy.logout.on_credential_change,
            refresh: if self.policy.logout.on_credential_change == CredentialChange::KeepAll {
                RefreshOnLogout::Keep
            } else {
                RefreshOnLogout::Revoke
            },
        };
        self.change_password_at(user, current, client, endpoint)
    }

    /// Changes the password through one endpoint with its own behaviour. Refresh token
    /// families are the Hybrid mechanism's server records: keeping them keeps the families
    /// (their access tokens still end as the revocation model allows); revoking them ends the
    /// families even where the other sessions are kept.
    pub fn change_password_at(
        &mut self,
        user: UserId,
        current: Option<&str>,
        client: &Client<'_>,
        endpoint: PasswordChangeEndpoint,
    ) -> Result<CredentialChanged, Rejection> {
        let now = self.now();
        let op = Operation::ChangePassword;
        let Some(account) = self.store.accounts.get_mut(&user) else {
            return self.reject(now, Some(user), None, op, Rejection::UnknownUser);
        };
        account.password_epoch = account.password_epoch.wrapping_add(1);
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        let hybrid = self.policy.mechanism == Mechanism::Hybrid;
        let revoke_families = endpoint.refresh == RefreshOnLogout::Revoke;
        let keep = match endpoint.sessions {
            CredentialChange::KeepAll => {
                let mut ended = Ended::default();
                if hybrid && revoke_families {
                    let (keep_slot, _) = self.locate(current, user);
                    let reason = EndReason::CredentialChange;
                    ended.sessions = self.end_user_sessions(user, keep_slot, op, reason, now);
                }
                return Ok(CredentialChanged {
                    ended,
                    reissued: None,
                });
            }
            CredentialChange::EndAll => None,
            CredentialChange::EndOthers => current,
        };
        let (keep_slot, keep_claims) = self.locate(keep, user);
        let ended = if hybrid && !revoke_families {
            // The families stay; the access tokens end by the per-user generation.
            let remember_me = self.remember.remove_user(user, None);
            self.bump_generation(user, now);
            Ended {
                sessions: 0,
                remember_me,
            }
        } else {
            self.revoke_user(user, keep_slot, op, EndReason::CredentialChange, now)
        };
        // A per-user revocation also caught the current token: hand it a fresh one.
        let reissued = match keep_claims {
            Some(claims) if self.policy.tokens.revocation.not_before() => {
                Some(self.reissue(&claims, client, now, |_| {}))
            }
            _ => None,
        };
        Ok(CredentialChanged { ended, reissued })
    }

    /// An administrator ends sessions: one user's or everyone's.
    pub fn admin_revoke(&mut self, scope: AdminScope) -> Ended {
        let now = self.now();
        let op = Operation::AdminRevoke;
        match scope {
            AdminScope::User(user) => {
                self.emit(now, Some(user), None, op, Outcome::Accepted, None);
                self.revoke_user(user, None, op, EndReason::AdminRevoke, now)
            }
            AdminScope::All => {
                self.emit(now, None, None, op, Outcome::Accepted, None);
                let users: Vec<UserId> = self.store.accounts.keys().copied().collect();
                let mut total = Ended::default();
                for user in users {
                    let ended = self.revoke_user(user, None, op, EndReason::AdminRevoke, now);
                    total.sessions += ended.sessions;
                    total.remember_me += ended.remember_me;
                }
                // Anonymous sessions belong to no user.
                let mut slots = std::mem::take(&mut self.scratch);
                slots.clear();
                self.store.all_slots(&mut slots);
                for &slot in &slots {
                    self.end_slot(slot, op, EndReason::AdminRevoke, now);
                    total.sessions += 1;
                }
                self.scratch = slots;
                total
            }
        }
    }

    /// Ends every credential of `user` except the session in `keep`: server-side sessions
    /// and families, remember-me tokens, and stateless tokens as far as the revocation model
    /// reaches.
    fn revoke_user(
        &mut self,
        user: UserId,
        keep: Option<u32>,
        op: Operation,
        reason: EndReason,
        now: Timestamp,
    ) -> Ended {
        let sessions = self.end_user_sessions(user, keep, op, reason, now);
        let remember_me = self.remember.remove_user(user, None);
        if remember_me > 0 {
            self.emit(
                now,
                Some(user),
                None,
                op,
                Outcome::Ended,
                Some(Reason::End(reason)),
            );
        }
        self.bump_generation(user, now);
        Ended {
            sessions,
            remember_me,
        }
    }

    /// The store slot or token claims a credential names, if it belongs to `user`.
    fn locate(&self, credential: Option<&str>, user: UserId) -> (Option<u32>, Option<Claims>) {
        let Some(credential) = credential else {
            return (None, None);
        };
        match self.policy.mechanism {
            Mechanism::ServerSide => {
                let slot = self
                    .ids
                    .decode(credential)
                    .and_then(|key| self.store.find(key))
                    .filter(|&slot| self.store.get(slot).user == user);
                (slot, None)
            }
            Mechanism::SignedToken | Mechanism::ClientCookie | Mechanism::Hybrid => {
                let Ok(claims) = self.signer.verify(credential, self.policy.tokens.algorithm)
                else {
                    return (None, None);
                };
                if claims.sub != user {
                    return (None, None);
                }
                let slot = if self.policy.mechanism == Mechanism::Hybrid {
                    self.family_of(user, claims.sid)
                } else {
                    None
                };
                (slot, Some(claims))
            }
        }
    }

    /// Changes a user's role. `acting` is the credential of the session that made the change
    /// (a user elevating themselves), which is rotated as the policy says; the user's other
    /// sessions keep, reload or lose their privileges as the policy says.
    pub fn change_role(
        &mut self,
        user: UserId,
        role: Role,
        acting: Option<&str>,
        client: &Client<'_>,
    ) -> Result<RoleChanged, Rejection> {
        let now = self.now();
        let op = Operation::ChangeRole;
        let Some(account) = self.store.accounts.get_mut(&user) else {
            return self.reject(now, Some(user), None, op, Rejection::UnknownUser);
        };
        account.role = role;
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        let (acting_slot, acting_claims) = self.locate(acting, user);
        let mut ended = 0;
        match self.policy.rotation.privileges {
            PrivilegeReload::KeepSnapshot => {}
            PrivilegeReload::Reload => {
                let mut slots = std::mem::take(&mut self.scratch);
                slots.clear();
                self.store.user_slots(user, &mut slots);
                for &slot in &slots {
                    self.store.get_mut(slot).role = role;
                }
                self.scratch = slots;
            }
            PrivilegeReload::EndSessions => {
                ended =
                    self.end_user_sessions(user, acting_slot, op, EndReason::PrivilegeChange, now);
            }
        }
        let stateless = matches!(
            self.policy.mechanism,
            Mechanism::SignedToken | Mechanism::ClientCookie | Mechanism::Hybrid
        );
        if stateless && self.policy.rotation.privileges != PrivilegeReload::KeepSnapshot {
            // Tokens carry the role: the only way to reload it is to revoke them.
            self.bump_generation(user, now);
        }
        let rotated = if let Some(claims) = acting_claims {
            if let Some(slot) = acting_slot {
                self.store.get_mut(slot).role = role;
            }
            Some(self.reissue(&claims, client, now, |c| c.role = role))
        } else if let Some(slot) = acting_slot {
            self.store.get_mut(slot).role = role;
            self.rotate_slot(slot, self.policy.rotation.on_privilege_change, op, now)?
        } else {
            None
        };
        Ok(RoleChanged { rotated, ended })
    }

    /// The identity provider ended its session: app sessions derived from it end as far as
    /// the propagation mode reaches.
    pub fn idp_logout(&mut self, event: &IdpLogout<'_>) -> Ended {
        let now = self.now();
        let op = Operation::IdpLogout;
        let user = event.user;
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        let mut ended = Ended::default();
        match self.policy.federation.idp_logout {
            IdpLogoutPropagation::Ignored => {}
            IdpLogoutPropagation::BackChannel => {
                let mut slots = std::mem::take(&mut self.scratch);
                slots.clear();
                self.store.user_slots(user, &mut slots);
                for &slot in &slots {
                    if self.store.get(slot).idp == event.idp_session.0 {
                        self.end_slot(slot, op, EndReason::IdpLogout, now);
                        ended.sessions += 1;
                    }
                }
                self.scratch = slots;
                if matches!(
                    self.policy.mechanism,
                    Mechanism::SignedToken | Mechanism::ClientCookie
                ) {
                    // Stateless tokens do not record their IdP session: revoke them all.
                    self.bump_generation(user, now);
                }
            }
            IdpLogoutPropagation::FrontChannel => {
                let (slot, claims) = self.locate(event.browser_credential, user);
                if let Some(slot) = slot
                    && self.store.get(slot).idp == event.idp_session.0
                {
                    self.end_slot(slot, op, EndReason::IdpLogout, now);
                    ended.sessions += 1;
                }
                if let Some(claims) = claims
                    && self.policy.tokens.revocation.denylist()
                {
                    self.denylist_add(claims.sid, now);
                    self.denylist_add(claims.jti, now);
                }
            }
        }
        ended
    }

    /// Purges expired sessions, remember-me tokens and stale denylist entries (what a real
    /// store's cleanup job does); returns how many sessions ended.
    pub fn sweep(&mut self) -> u32 {
        let now = self.now();
        let mut ended = 0;
        if self.policy.timeouts.server_checks_any() {
            let mut slots = std::mem::take(&mut self.scratch);
            slots.clear();
            self.store.all_slots(&mut slots);
            for &slot in &slots {
                if let Some(reason) = self.expired(self.store.get(slot), now) {
                    self.end_slot(slot, Operation::Sweep, reason, now);
                    ended += 1;
                }
            }
            self.scratch = slots;
        }
        let expired: Vec<SessionKey> = self
            .remember
            .tokens
            .iter()
            .filter(|(_, r)| r.expires.is_some_and(|e| now > e))
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            self.remember.remove(key);
        }
        // A denylist entry is useless once every token it could name has expired.
        let t = &self.policy.timeouts;
        let longest = match self.policy.mechanism {
            Mechanism::ClientCookie if t.absolute_enforcement == ExpiryEnforcement::Server => {
                t.absolute.unwrap_or(std::time::Duration::MAX)
            }
            Mechanism::ClientCookie => std::time::Duration::MAX,
            _ => self.policy.tokens.access_lifetime,
        };
        if self.policy.tokens.check_exp == ClaimCheck::Enforced {
            self.denylist
                .retain(|_, at| now.saturating_since(*at) <= longest);
        }
        ended
    }

    // ----- shared helpers -----

    #[inline]
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Audits `made` accepted background validations at `from`, `from + every`, and so on (a
    /// run made by [`Self::background_run`]).
    fn audit_run(
        &mut self,
        from: Timestamp,
        every: Duration,
        made: u64,
        user: Option<UserId>,
        session: Option<ShortId>,
    ) {
        let mut at = from;
        for _ in 0..made {
            self.emit(
                at,
                user,
                session,
                Operation::Validate,
                Outcome::Accepted,
                None,
            );
            at = at + every;
        }
    }

    #[inline]
    fn emit(
        &mut self,
        at: Timestamp,
        user: Option<UserId>,
        session: Option<ShortId>,
        op: Operation,
        outcome: Outcome,
        reason: Option<Reason>,
    ) {
        if self.audit.enabled() {
            self.audit.record(&AuditEvent {
                at,
                user,
                session,
                op,
                outcome,
                reason,
            });
        }
    }

    #[inline]
    fn reject<T>(
        &mut self,
        at: Timestamp,
        user: Option<UserId>,
        session: Option<ShortId>,
        op: Operation,
        why: Rejection,
    ) -> Result<T, Rejection> {
        self.emit(
            at,
            user,
            session,
            op,
            Outcome::Rejected,
            Some(Reason::Rejection(why)),
        );
        Err(why)
    }

    fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A credential as the client will keep it: with a `Set-Cookie` header when the policy
    /// stores credentials in cookies.
    fn credential(
        &self,
        kind: CredentialKind,
        base_name: &str,
        value: String,
        max_age: Option<std::time::Duration>,
        expires_at: Option<Timestamp>,
    ) -> Credential {
        let set_cookie = (self.policy.cookie.storage == CredentialStorage::Cookie).then(|| {
            SetCookie::configured(&self.policy.cookie, base_name, value.clone(), max_age)
                .to_header()
        });
        Credential {
            kind,
            value,
            set_cookie,
            expires_at,
        }
    }

    /// A `Set-Cookie` value that deletes the cookie `base_name`.
    fn clear_cookie(&self, base_name: &str) -> String {
        SetCookie::configured(
            &self.policy.cookie,
            base_name,
            String::new(),
            Some(std::time::Duration::ZERO),
        )
        .to_header()
    }

    /// Raises the user's token generation so older tokens are revoked (after the propagation
    /// delay). Only under a per-user not-before revocation model.
    fn bump_generation(&mut self, user: UserId, now: Timestamp) {
        if !self.policy.tokens.revocation.not_before() {
            return;
        }
        let delay = self.policy.tokens.revocation_delay;
        let Some(account) = self.store.accounts.get_mut(&user) else {
            return;
        };
        account.generation = account.generation.wrapping_add(1);
        if delay.is_zero() {
            account.min_generation = account.generation;
        } else {
            self.pending_generations
                .entry(user)
                .or_default()
                .push((account.generation, now + delay));
        }
    }

    /// The oldest token generation still valid for `user` now.
    fn min_generation(&mut self, user: UserId, now: Timestamp) -> Option<u32> {
        if !self.pending_generations.is_empty()
            && let Some(pending) = self.pending_generations.get_mut(&user)
        {
            let mut applied = None;
            pending.retain(|&(generation, at)| {
                if now >= at {
                    applied = applied.max(Some(generation));
                    false
                } else {
                    true
                }
            });
            if pending.is_empty() {
                self.pending_generations.remove(&user);
            }
            if let Some(generation) = applied
                && let Some(account) = self.store.accounts.get_mut(&user)
            {
                account.min_generation = account.min_generation.max(generation);
            }
        }
        self.store.accounts.get(&user).map(|a| a.min_generation)
    }

    fn denylist_add(&mut self, id: u64, now: Timestamp) {
        let at = now + self.policy.tokens.revocation_delay;
        self.denylist.entry(id).or_insert(at);
    }

    #[inline]
    fn denylisted(&self, id: u64, now: Timestamp) -> bool {
        self.denylist.get(&id).is_some_and(|&at| now >= at)
    }

    /// When a revocation of this token that has not reached this server yet takes effect: a
    /// denylist entry or a per-user not-before still within its propagation delay.
    fn revocation_pending(
        &self,
        ids: [u64; 2],
        user: UserId,
        generation: u32,
        now: Timestamp,
    ) -> Option<Timestamp> {
        if self.denylist.is_empty() && self.pending_generations.is_empty() {
            return None;
        }
        let t = self.policy.tokens;
        let listed = t
            .revocation
            .denylist()
            .then(|| {
                ids.iter()
                    .filter_map(|id| self.denylist.get(id).copied())
                    .filter(|&at| now < at)
                    .min()
            })
            .flatten();
        let generations = t
            .revocation
            .not_before()
            .then(|| {
                self.pending_generations.get(&user).and_then(|pending| {
                    pending
                        .iter()
                        .filter(|&&(g, at)| generation < g && now < at)
                        .map(|&(_, at)| at)
                        .min()
                })
            })
            .flatten();
        listed.into_iter().chain(generations).min()
    }
}

/// What the engine knows after the common checks of a request.
struct Checked {
    accepted: Accepted,
    auth_at: Timestamp,
    started: Timestamp,
    via_remember: bool,
}

/// Arguments to open a session.
struct Open<'a> {
    user: UserId,
    auth_at: Timestamp,
    flags: u8,
    presented: Option<&'a str>,
    idp: Option<IdpSessionId>,
    op: Operation,
}

/// Fingerprint of an IP address for binding (never 0, which means "unbound").
fn fingerprint_ip(ip: IpAddr) -> u64 {
    let mut h = FxHasher::default();
    ip.hash(&mut h);
    h.finish() | 1
}

/// Fingerprint of a user agent for binding (never 0).
fn fingerprint_ua(ua: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(ua.as_bytes());
    h.finish() | 1
}

/// The token `sid` of a server-side family: a 64-bit mix of its key, so access tokens do not
/// carry the family key itself.
fn sid_of(key: SessionKey) -> u64 {
    let n = key.as_u128();
    let mut h = FxHasher::default();
    h.write_u128(n ^ 0x5349_445f_5349_445f_5349_445f_5349_445f);
    h.finish()
}
