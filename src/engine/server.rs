//! Server-side sessions: opening them (with the pre-login id a client may already hold),
//! validating and touching them, binding checks, rotation, concurrency limits, logout,
//! re-authentication and remember-me auto-login. The Hybrid mechanism's refresh families are
//! server-side sessions too; their token handling lives in `stateless`.

use std::time::Duration;

use rand::Rng as _;

use super::audit::{EndReason, Operation, Outcome, Reason};
use super::clock::Timestamp;
use super::codec;
use super::ids::SessionKey;
use super::policy::{
    Activity, Bind, DeviceBinding, ExpiryEnforcement, IdAcceptance, LimitScope, LogoutEverywhere,
    LogoutInvalidation, Mechanism, MismatchAction, OnLimit, RefreshExpiry, RefreshOnLogout,
    RememberMeGrant, RememberOnLogout, RotateOnUse, Rotation, WorkOnExpiry,
};
use super::store::{ANONYMOUS_USER, RememberRecord, Session, sflags};
use super::token::TokenKind;
use super::types::{
    Accepted, Access, BindingCheck, Client, Credential, CredentialKind, ExpCheck, Grounds, Issued,
    LoggedOut, LogoutEndpoint, LogoutScope, Rejection, RequestKind, RevocationCheck, Role,
    TimerCheck, UserId,
};
use super::{
    AuditSink, Checked, Clock, Open, SessionEngine, fingerprint_ip, fingerprint_ua, sid_of,
};

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5), so "forever" is sent as this.
const BROWSER_MAX_AGE: Duration = Duration::from_secs(400 * 86_400);

/// Why a credential is being checked: some operations exist to clear a pending state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    /// An ordinary request.
    Request,
    /// Re-authentication: binding and the re-auth flag are what it clears.
    Reauth,
    /// Finishing MFA: the pending-MFA limit is what it clears.
    Mfa,
}

impl<C: Clock, A: AuditSink> SessionEngine<C, A> {
    /// Starts (or resumes) an anonymous pre-login session, as a site does on the first visit.
    /// `presented` is the id cookie the client already holds; with permissive acceptance an
    /// unknown but well-formed id is adopted.
    pub fn start_anonymous(
        &mut self,
        client: &Client<'_>,
        presented: Option<&str>,
    ) -> Result<Credential, Rejection> {
        let now = self.now();
        let op = Operation::StartAnonymous;
        if self.policy.mechanism != Mechanism::ServerSide {
            return self.reject(now, None, None, op, Rejection::Unsupported);
        }
        let mut key = None;
        if let Some(presented) = presented
            && let Some(candidate) = self.ids.decode(presented)
        {
            match self.store.find(candidate) {
                Some(slot) if self.store.get(slot).is_anonymous() => {
                    match self.expired(self.store.get(slot), now) {
                        None => {
                            self.emit(
                                now,
                                None,
                                Some(candidate.short()),
                                op,
                                Outcome::Accepted,
                                None,
                            );
                            return Ok(self.session_credential(candidate));
                        }
                        Some(reason) => self.end_slot(slot, op, reason, now),
                    }
                }
                None if self.policy.ids.acceptance == IdAcceptance::Permissive => {
                    key = Some(candidate);
                }
                _ => {}
            }
        }
        let key = match key {
            Some(key) => key,
            None => self.new_key(now, op)?,
        };
        let record = Session::new(
            key,
            ANONYMOUS_USER,
            now,
            Timestamp::EPOCH,
            fingerprint_ip(client.ip),
            fingerprint_ua(client.user_agent),
            client.device,
            client.category as u8,
            Role::USER,
            sflags::ANONYMOUS,
        );
        self.store.insert(record);
        self.emit(now, None, Some(key.short()), op, Outcome::Issued, None);
        Ok(self.session_credential(key))
    }

    /// Opens a server-side session (or Hybrid refresh family) for `open.user`.
    pub(super) fn open_server(
        &mut self,
        open: &Open<'_>,
        client: &Client<'_>,
        now: Timestamp,
    ) -> Result<Issued, Rejection> {
        let hybrid = self.policy.mechanism == Mechanism::Hybrid;
        let evicted = self.make_room(open.user, client.category as u8, open.op, now)?;
        // The id the client already holds: an anonymous session, or one it made up.
        let mut presented_slot = None;
        let mut adopted = None;
        if !hybrid
            && let Some(presented) = open.presented
            && let Some(key) = self.ids.decode(presented)
        {
            match self.store.find(key) {
                Some(slot) if self.store.get(slot).is_anonymous() => presented_slot = Some(slot),
                Some(_) => {}
                None if self.policy.ids.acceptance == IdAcceptance::Permissive => {
                    adopted = Some(key);
                }
                None => {}
            }
        }
        let role = self
            .store
            .accounts
            .get(&open.user)
            .map_or(Role::USER, |a| a.role);
        let mut record = Session::new(
            SessionKey::from_u128(0),
            open.user,
            now,
            open.auth_at,
            fingerprint_ip(client.ip),
            fingerprint_ua(client.user_agent),
            client.device,
            client.category as u8,
            role,
            open.flags,
        );
        record.idp = open.idp.map_or(0, |i| i.0);
        if let Some(geo) = client.geo {
            record.geo = [geo.lat, geo.lon];
            record.flags |= sflags::HAS_GEO;
        }
        let with_key = |key: SessionKey| record.with_key(key);
        let slot = match (self.policy.rotation.on_login, presented_slot, adopted) {
            (Rotation::KeepId, Some(slot), _) => {
                // Fixation: the pre-login id becomes the authenticated session.
                let key = self.store.get(slot).key;
                self.store.adopt(slot, with_key(key));
                slot
            }
            (Rotation::KeepId, None, Some(key)) => self.store.insert(with_key(key)),
            (Rotation::RotateKeepOld, Some(slot), _) => {
                // The old id keeps a copy of the authenticated session.
                let old = self.store.get(slot).key;
                self.store.adopt(slot, with_key(old));
                let key = self.new_key(now, open.op)?;
                self.store.insert(with_key(key))
            }
            (Rotation::RotateKeepOld, None, Some(old)) => {
                self.store.insert(with_key(old));
                let key = self.new_key(now, open.op)?;
                self.store.insert(with_key(key))
            }
            (Rotation::RotateEndOld, Some(old), _) => {
                self.end_slot(old, open.op, EndReason::LoginRotation, now);
                let key = self.new_key(now, open.op)?;
                self.store.insert(with_key(key))
            }
            _ => {
                let key = self.new_key(now, open.op)?;
                self.store.insert(with_key(key))
            }
        };
        let session = *self.store.get(slot);
        let (credential, refresh) = if hybrid {
            let claims = self.family_claims(&session, now);
            let access = self.issue_token(&claims);
            let refresh = self.refresh_credential(session.key, 0, now);
            (access, Some(refresh))
        } else {
            (self.session_credential(session.key), None)
        };
        self.emit(
            now,
            Some(open.user),
            Some(session.key.short()),
            open.op,
            Outcome::Issued,
            None,
        );
        Ok(Issued {
            user: open.user,
            session: session.key.short(),
            credential,
            refresh,
            remember_me: None,
            access: access_of(session.flags),
            evicted,
            restored_work: false,
            grounds: None,
        })
    }

    /// The cookie for a session id.
    pub(super) fn session_credential(&self, key: SessionKey) -> Credential {
        let value = self.ids.encode(key);
        let name = &self.policy.cookie.name;
        self.credential(
            CredentialKind::SessionId,
            name,
            value,
            self.session_cookie_max_age(),
            None,
        )
    }

    /// `Max-Age` of the session cookie. With client-only expiry the cookie's lifetime is the
    /// only timeout there is.
    pub(super) fn session_cookie_max_age(&self) -> Option<Duration> {
        let t = &self.policy.timeouts;
        let mut age = self.policy.cookie.max_age;
        let client = |e: ExpiryEnforcement, d: Option<Duration>| {
            d.filter(|_| e == ExpiryEnforcement::ClientOnly)
        };
        for limit in [
            client(t.idle_enforcement, t.idle),
            client(t.absolute_enforcement, t.absolute),
        ]
        .into_iter()
        .flatten()
        {
            age = Some(age.map_or(limit, |a| a.min(limit)));
        }
        age
    }

    /// A key no live session has.
    pub(super) fn new_key(
        &mut self,
        now: Timestamp,
        op: Operation,
    ) -> Result<SessionKey, Rejection> {
        for _ in 0..64 {
            let key = self.ids.generate(&mut self.rng, now);
            if self.store.find(key).is_none() {
                return Ok(key);
            }
        }
        self.reject(now, None, None, op, Rejection::IdSpaceExhausted)
    }

    /// Whether a request of `kind` resets the idle timer.
    #[inline]
    pub(super) fn counts_as_activity(&self, kind: RequestKind) -> bool {
        match self.policy.timeouts.activity {
            Activity::AnyRequest => true,
            Activity::UserAction => kind != RequestKind::Background,
            Activity::StateChange => kind == RequestKind::StateChange,
        }
    }

    /// Why a record has expired under the policy, if it has.
    #[inline]
    pub(super) fn expired(&self, s: &Session, now: Timestamp) -> Option<EndReason> {
        let l = &self.limits;
        let now_ms = now.as_millis();
        if l.server_idle && now_ms.saturating_sub(s.last_active.as_millis()) > l.idle {
            return Some(EndReason::ExpiredIdle);
        }
        if l.server_absolute && now_ms.saturating_sub(s.created.as_millis()) > l.absolute {
            return Some(EndReason::ExpiredAbsolute);
        }
        if self.policy.mechanism == Mechanism::Hybrid {
            // Refresh families are always checked by the server: they live nowhere else.
            let over = match self.policy.refresh.expiry {
                RefreshExpiry::Sliding { idle, cap } => {
                    now.saturating_since(s.id_issued) > idle
                        || cap.is_some_and(|cap| now.saturating_since(s.created) > cap)
                }
                RefreshExpiry::Absolute { lifetime } => now.saturating_since(s.created) > lifetime,
            };
            if over {
                return Some(EndReason::RefreshExpired);
            }
        }
        None
    }

    /// Ends one record, revoking a family's access tokens where the model allows.
    pub(super) fn end_slot(&mut self, slot: u32, op: Operation, reason: EndReason, now: Timestamp) {
        let s = self.store.remove(slot);
        if self.policy.mechanism == Mechanism::Hybrid
            && self.policy.tokens.revocation.denylist()
            && !matches!(
                reason,
                EndReason::ExpiredIdle | EndReason::ExpiredAbsolute | EndReason::RefreshExpired
            )
        {
            self.denylist_add(sid_of(s.key), now);
        }
        let user = (!s.is_anonymous()).then_some(s.user);
        self.emit(
            now,
            user,
            Some(s.key.short()),
            op,
            Outcome::Ended,
            Some(Reason::End(reason)),
        );
    }

    /// Ends all of `user`'s records except `keep`; returns how many.
    pub(super) fn end_user_sessions(
        &mut self,
        user: UserId,
        keep: Option<u32>,
        op: Operation,
        reason: EndReason,
        now: Timestamp,
    ) -> u32 {
        let mut slots = std::mem::take(&mut self.scratch);
        slots.clear();
        self.store.user_slots(user, &mut slots);
        let mut ended = 0;
        for &slot in &slots {
            if Some(slot) != keep {
                self.end_slot(slot, op, reason, now);
                ended += 1;
            }
        }
        self.scratch = slots;
        ended
    }

    /// Applies the concurrency limit before a new session of `user` on `category`; returns
    /// how many sessions were evicted.
    fn make_room(
        &mut self,
        user: UserId,
        category: u8,
        op: Operation,
        now: Timestamp,
    ) -> Result<u32, Rejection> {
        let Some(max) = self.policy.concurrency.limit.max() else {
            return Ok(0);
        };
        let per_category = self.policy.concurrency.scope == LimitScope::PerDeviceCategory;
        let mut slots = std::mem::take(&mut self.scratch);
        slots.clear();
        self.store.user_slots(user, &mut slots);
        slots.retain(|&slot| !per_category || self.store.get(slot).category == category);
        // Expired sessions do not count; a real store would have purged them by now.
        let mut live = Vec::with_capacity(slots.len());
        for &slot in &slots {
            match self.expired(self.store.get(slot), now) {
                Some(reason) => self.end_slot(slot, op, reason, now),
                None => live.push(slot),
            }
        }
        self.scratch = slots;
        let mut evicted = 0;
        while live.len() >= max as usize {
            if self.policy.concurrency.on_limit == OnLimit::RejectNew {
                return self.reject(now, Some(user), None, op, Rejection::LimitReached);
            }
            let Some((i, _)) = live
                .iter()
                .enumerate()
                .min_by_key(|&(_, &slot)| self.store.get(slot).last_active)
            else {
                break;
            };
            let victim = live.swap_remove(i);
            self.end_slot(victim, op, EndReason::Evicted, now);
            evicted += 1;
        }
        Ok(evicted)
    }

    /// Gives a session a new id as `rotation` says; returns the new cookie if it changed.
    pub(super) fn rotate_slot(
        &mut self,
        slot: u32,
        rotation: Rotation,
        op: Operation,
        now: Timestamp,
    ) -> Result<Option<Credential>, Rejection> {
        if rotation == Rotation::KeepId {
            return Ok(None);
        }
        let old = *self.store.get(slot);
        let key = self.new_key(now, op)?;
        self.store.rekey(slot, key);
        self.store.get_mut(slot).id_issued = now;
        if rotation == Rotation::RotateKeepOld {
            // The old id keeps working with the state it had.
            self.store.insert(old);
        }
        let user = (!old.is_anonymous()).then_some(old.user);
        self.emit(now, user, Some(key.short()), op, Outcome::Rotated, None);
        Ok(Some(self.session_credential(key)))
    }

    /// Validates a session id and records activity.
    #[inline]
    pub(super) fn check_server(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        kind: RequestKind,
        op: Operation,
    ) -> Result<Checked, Rejection> {
        self.check_server_for(credential, client, kind, op, Purpose::Request)
            .map(|(checked, _)| checked)
    }

    /// [`Self::check_server`] for a purpose; also returns the slot.
    pub(super) fn check_server_for(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        kind: RequestKind,
        op: Operation,
        purpose: Purpose,
    ) -> Result<(Checked, u32), Rejection> {
        let now = self.now();
        let Some(key) = self.ids.decode(credential) else {
            return self.reject(now, None, None, op, Rejection::Malformed);
        };
        let short = Some(key.short());
        let Some(slot) = self.store.find(key) else {
            return self.reject(now, None, short, op, Rejection::UnknownId);
        };
        // Read what the checks need without copying the record (one cache line).
        let (expired, violation, flags, user, role, auth_at, id_issued) = {
            let s = self.store.get(slot);
            let violation = if purpose == Purpose::Reauth {
                None
            } else {
                self.binding_violation(s, client, now)
            };
            let user = (!s.is_anonymous()).then_some(s.user);
            let expired = self.expired(s, now);
            (
                expired,
                violation,
                s.flags,
                user,
                s.role,
                s.auth_at,
                s.id_issued,
            )
        };
        if let Some(reason) = expired {
            return self.expire(slot, user, reason, op, now);
        }
        if purpose != Purpose::Mfa && flags & sflags::LIMITED_MFA != 0 {
            return self.reject(now, user, short, op, Rejection::MfaRequired);
        }
        if flags & sflags::LIMITED_EMAIL != 0 {
            return self.reject(now, user, short, op, Rejection::NotVerified);
        }
        if flags & sflags::LIMITED_RESET != 0 {
            return self.reject(now, user, short, op, Rejection::ResetIncomplete);
        }
        if purpose != Purpose::Reauth {
            if let Some(why) = violation {
                self.on_mismatch(why, Some(slot), user, op, now)?;
            }
            if flags & sflags::REAUTH_PENDING != 0 {
                return self.reject(now, user, short, op, Rejection::ReauthRequired);
            }
        }
        let counts = self.counts_as_activity(kind);
        let rec = self.store.get_mut(slot);
        rec.last_seen = now;
        if let Some(geo) = client.geo {
            rec.geo = [geo.lat, geo.lon];
            rec.flags |= sflags::HAS_GEO;
        }
        if counts {
            rec.last_active = now;
        }
        let last_active = rec.last_active;
        let l = self.limits;
        let now_ms = now.as_millis();
        let mut renewed = None;
        if now_ms.saturating_sub(id_issued.as_millis()) > l.renewal {
            renewed = self
                .rotate_slot(slot, Rotation::RotateEndOld, op, now)?
                .map(Box::new);
        } else if !l.server_idle && l.idle != u64::MAX && counts {
            // The client's timer slides only when the server re-sends the cookie.
            renewed = Some(Box::new(self.session_credential(key)));
        }
        let idle_warning = if l.server_idle && l.idle != u64::MAX && l.warning != u64::MAX {
            let left = l
                .idle
                .saturating_sub(now_ms.saturating_sub(last_active.as_millis()));
            (left <= l.warning).then(|| Duration::from_millis(left))
        } else {
            None
        };
        self.emit(now, user, short, op, Outcome::Accepted, None);
        let (idle, absolute) = self.timer_checks();
        let grounds = Grounds {
            credential: CredentialKind::SessionId,
            idle,
            absolute,
            activity: self.policy.timeouts.activity,
            exp: ExpCheck::NotAToken,
            revocation: RevocationCheck::LiveRecord,
            binding: self.binding_check(violation.is_some() && purpose != Purpose::Reauth),
        };
        let checked = Checked {
            accepted: Accepted {
                user,
                role,
                session: key.short(),
                idle_warning,
                renewed,
                grounds,
            },
            auth_at,
            started: id_issued,
            via_remember: flags & sflags::VIA_REMEMBER != 0,
        };
        Ok((checked, slot))
    }

    /// [`SessionEngine::background_run`] for server-side sessions: the checks of
    /// [`Self::check_server_for`] at each request's time, on a copy of the record.
    pub(super) fn background_run_server(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        every: Duration,
        end: Timestamp,
    ) -> u64 {
        let now = self.now();
        let Some(key) = self.ids.decode(credential) else {
            return 0;
        };
        let Some(slot) = self.store.find(key) else {
            return 0;
        };
        let l = self.limits;
        let counts = self.counts_as_activity(RequestKind::Background);
        let mut s = *self.store.get(slot);
        let refused = sflags::LIMITED_MFA
            | sflags::LIMITED_EMAIL
            | sflags::LIMITED_RESET
            | sflags::REAUTH_PENDING;
        // The same client every time, so a binding check that passes now passes throughout.
        // Where activity re-sends the cookie (a client-side idle timer) it must be the very
        // value the client holds; its Max-Age then runs from the last request of the run.
        if s.flags & refused != 0
            || self.binding_violation(&s, client, now).is_some()
            || (!l.server_idle
                && l.idle != u64::MAX
                && counts
                && self.ids.encode(key) != credential)
        {
            return 0;
        }
        let (user, short) = ((!s.is_anonymous()).then_some(s.user), Some(key.short()));
        let mut made = 0;
        let mut at = now;
        while at < end
            && self.expired(&s, at).is_none()
            && at.as_millis().saturating_sub(s.id_issued.as_millis()) <= l.renewal
        {
            s.last_seen = at;
            if counts {
                s.last_active = at;
            }
            made += 1;
            at = at + every;
        }
        self.audit_run(now, every, made, user, short);
        let rec = self.store.get_mut(slot);
        rec.last_seen = s.last_seen;
        rec.last_active = s.last_active;
        made
    }

    /// Ends an expired record and says why; saves the user's in-progress work if the policy
    /// keeps it.
    pub(super) fn expire<T>(
        &mut self,
        slot: u32,
        user: Option<UserId>,
        reason: EndReason,
        op: Operation,
        now: Timestamp,
    ) -> Result<T, Rejection> {
        let short = Some(self.store.get(slot).key.short());
        self.end_slot(slot, op, reason, now);
        self.save_work(user);
        let why = match reason {
            EndReason::ExpiredIdle => Rejection::ExpiredIdle,
            EndReason::RefreshExpired => Rejection::RefreshExpired,
            _ => Rejection::ExpiredAbsolute,
        };
        self.reject(now, user, short, op, why)
    }

    /// Marks the user's in-progress work as saved for the next login, if the policy keeps it.
    pub(super) fn save_work(&mut self, user: Option<UserId>) {
        if self.policy.warning.work_on_expiry == WorkOnExpiry::Preserved
            && let Some(user) = user
            && let Some(account) = self.store.accounts.get_mut(&user)
        {
            account.restore_work = true;
        }
    }

    /// The first binding check a request fails, if any.
    pub(super) fn binding_violation(
        &self,
        s: &Session,
        client: &Client<'_>,
        now: Timestamp,
    ) -> Option<Rejection> {
        let b = &self.policy.binding;
        if b.ip == Bind::Enforced && fingerprint_ip(client.ip) != s.ip_fp {
            return Some(Rejection::BindingMismatch);
        }
        if b.user_agent == Bind::Enforced && fingerprint_ua(client.user_agent) != s.ua_fp {
            return Some(Rejection::BindingMismatch);
        }
        if let Some(travel) = b.impossible_travel
            && let Some(geo) = client.geo
            && s.flags & sflags::HAS_GEO != 0
        {
            let from = super::types::Geo {
                lat: s.geo[0],
                lon: s.geo[1],
            };
            let km = geo.distance_km(from);
            if km > travel.min_distance_km {
                let hours = now.saturating_since(s.last_seen).as_secs_f32() / 3600.0;
                if hours <= 0.0 || km / hours > travel.max_speed_kmh {
                    return Some(Rejection::ImpossibleTravel);
                }
            }
        }
        None
    }

    /// How the idle and absolute timeouts stand for a credential the server keeps the times
    /// of (a server-side record, or a cookie session carrying its own times).
    pub(super) fn timer_checks(&self) -> (TimerCheck, TimerCheck) {
        let t = &self.policy.timeouts;
        let one = |d: Option<Duration>, e: ExpiryEnforcement| match d {
            None => TimerCheck::NotConfigured,
            Some(_) if e == ExpiryEnforcement::ClientOnly => TimerCheck::ClientOnly,
            Some(limit) => TimerCheck::Within { limit },
        };
        (
            one(t.idle, t.idle_enforcement),
            one(t.absolute, t.absolute_enforcement),
        )
    }

    /// How client binding let an accepted request through.
    pub(super) fn binding_check(&self, mismatched: bool) -> BindingCheck {
        let b = &self.policy.binding;
        if mismatched {
            BindingCheck::MismatchIgnored
        } else if b.ip == Bind::Off && b.user_agent == Bind::Off && b.impossible_travel.is_none() {
            BindingCheck::Off
        } else {
            BindingCheck::Matched
        }
    }

    /// Applies the mismatch action to a failed binding check.
    pub(super) fn on_mismatch(
        &mut self,
        why: Rejection,
        slot: Option<u32>,
        user: Option<UserId>,
        op: Operation,
        now: Timestamp,
    ) -> Result<(), Rejection> {
        let short = slot.map(|s| self.store.get(s).key.short());
        match self.policy.binding.on_mismatch {
            MismatchAction::Ignore => {
                self.emit(
                    now,
                    user,
                    short,
                    op,
                    Outcome::AcceptedDespite,
                    Some(Reason::Rejection(why)),
                );
                Ok(())
            }
            MismatchAction::RequireReauth => {
                if let Some(slot) = slot {
                    self.store.get_mut(slot).flags |= sflags::REAUTH_PENDING;
                }
                self.reject(now, user, short, op, why)
            }
            MismatchAction::Terminate => {
                if let Some(slot) = slot {
                    self.end_slot(slot, op, EndReason::BindingMismatch, now);
                }
                self.reject(now, user, short, op, why)
            }
        }
    }

    /// The user proves their password again: the session counts as freshly authenticated,
    /// a pending re-authentication clears and the binding moves to this client.
    pub fn reauthenticate(
        &mut self,
        credential: &str,
        client: &Client<'_>,
    ) -> Result<Accepted, Rejection> {
        self.renew_authentication(
            credential,
            client,
            Operation::Reauthenticate,
            Purpose::Reauth,
        )
    }

    /// The user finishes the MFA step of a login whose session was limited.
    pub fn complete_mfa(
        &mut self,
        credential: &str,
        client: &Client<'_>,
    ) -> Result<Accepted, Rejection> {
        self.renew_authentication(credential, client, Operation::CompleteMfa, Purpose::Mfa)
    }

    fn renew_authentication(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        op: Operation,
        purpose: Purpose,
    ) -> Result<Accepted, Rejection> {
        let now = self.now();
        let clear = match purpose {
            Purpose::Mfa => sflags::LIMITED_MFA,
            _ => sflags::REAUTH_PENDING | sflags::VIA_REMEMBER,
        };
        if self.policy.mechanism == Mechanism::ServerSide {
            let (checked, slot) =
                self.check_server_for(credential, client, RequestKind::StateChange, op, purpose)?;
            let rec = self.store.get_mut(slot);
            rec.auth_at = now;
            rec.flags &= !clear;
            rec.ip_fp = fingerprint_ip(client.ip);
            rec.ua_fp = fingerprint_ua(client.user_agent);
            return Ok(checked.accepted);
        }
        let kind = if self.policy.mechanism == Mechanism::ClientCookie {
            TokenKind::CookieSession
        } else {
            TokenKind::Access
        };
        let (mut checked, claims) = self.check_token_for(
            credential,
            client,
            kind,
            RequestKind::StateChange,
            op,
            purpose,
        )?;
        if self.policy.mechanism == Mechanism::Hybrid
            && let Some(slot) = self.family_of(claims.sub, claims.sid)
        {
            let rec = self.store.get_mut(slot);
            rec.auth_at = now;
            rec.flags &= !clear;
            rec.ip_fp = fingerprint_ip(client.ip);
            rec.ua_fp = fingerprint_ua(client.user_agent);
        }
        let token_clear = super::stateless::token_flags(clear);
        checked.accepted.renewed = Some(Box::new(self.reissue(&claims, client, now, |c| {
            c.auth_time = now.as_secs();
            c.flags &= !token_clear;
        })));
        Ok(checked.accepted)
    }

    /// Logs out the session presenting `credential`, or all of its user's sessions, as the
    /// policy's logout says (a request for everywhere is this device when not offered).
    pub fn logout(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        scope: LogoutScope,
    ) -> Result<LoggedOut, Rejection> {
        let p = &self.policy;
        let scope = match (scope, p.logout.everywhere) {
            (LogoutScope::Everywhere, LogoutEverywhere::NotOffered) => LogoutScope::ThisDevice,
            (scope, _) => scope,
        };
        let endpoint = LogoutEndpoint {
            scope,
            invalidation: p.logout.invalidation,
            refresh: p.refresh.on_logout,
        };
        self.logout_at(credential, client, endpoint)
    }

    /// Logs out through one logout endpoint with its own behaviour: an application may offer
    /// a "sign out" that only clears the cookie beside a "sign out everywhere" that revokes.
    pub fn logout_at(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        endpoint: LogoutEndpoint,
    ) -> Result<LoggedOut, Rejection> {
        let now = self.now();
        let op = Operation::Logout;
        let p = &self.policy;
        let scope = endpoint.scope;
        let mut clear_cookies = vec![self.clear_cookie(&p.cookie.name)];
        if p.mechanism == Mechanism::Hybrid {
            clear_cookies.push(self.clear_cookie(&p.cookie.refresh_name));
        }
        let revoke_remember = p.remember_me.on_logout == RememberOnLogout::Revoke;
        if revoke_remember {
            clear_cookies.push(self.clear_cookie(&p.cookie.remember_me_name));
        }
        let mut out = LoggedOut {
            scope,
            ended: 0,
            clear_cookies,
        };
        if endpoint.invalidation == LogoutInvalidation::ClientOnly {
            // The server forgets nothing: the credential stays valid.
            self.emit(now, None, None, op, Outcome::Accepted, None);
            return Ok(out);
        }
        let reason = match scope {
            LogoutScope::ThisDevice => EndReason::Logout,
            LogoutScope::Everywhere => EndReason::LogoutEverywhere,
        };
        if self.policy.mechanism == Mechanism::ServerSide {
            let Some(slot) = self.ids.decode(credential).and_then(|k| self.store.find(k)) else {
                // Logging out an unknown session is not an error; there is nothing to end.
                self.emit(now, None, None, op, Outcome::Accepted, None);
                return Ok(out);
            };
            let s = *self.store.get(slot);
            self.emit(
                now,
                Some(s.user),
                Some(s.key.short()),
                op,
                Outcome::Accepted,
                None,
            );
            if scope == LogoutScope::Everywhere && !s.is_anonymous() {
                out.ended = self.end_user_sessions(s.user, None, op, reason, now);
                if revoke_remember {
                    self.remember.remove_user(s.user, None);
                }
            } else {
                self.end_slot(slot, op, reason, now);
                out.ended = 1;
                if revoke_remember && !s.is_anonymous() {
                    self.remember.remove_user(s.user, Some(s.device));
                }
            }
            return Ok(out);
        }
        // Token mechanisms: the signature must verify; an expired token may still log out.
        let claims = match self.signer.verify(credential, self.policy.tokens.algorithm) {
            Ok(claims) => claims,
            Err(why) => return self.reject(now, None, None, op, why),
        };
        let user = claims.sub;
        self.emit(now, Some(user), None, op, Outcome::Accepted, None);
        let hybrid = self.policy.mechanism == Mechanism::Hybrid;
        let revoke_families = hybrid && endpoint.refresh == RefreshOnLogout::Revoke;
        if self.policy.tokens.revocation.denylist() {
            self.denylist_add(claims.jti, now);
            if !hybrid {
                // One login, one sid: every token reissued from it goes too.
                self.denylist_add(claims.sid, now);
            }
        }
        match scope {
            LogoutScope::ThisDevice => {
                if revoke_families && let Some(slot) = self.family_of(user, claims.sid) {
                    self.end_slot(slot, op, reason, now);
                    out.ended = 1;
                }
                if revoke_remember {
                    self.remember.remove_user(user, Some(client.device));
                }
            }
            LogoutScope::Everywhere => {
                self.bump_generation(user, now);
                if revoke_families {
                    out.ended = self.end_user_sessions(user, None, op, reason, now);
                }
                if revoke_remember {
                    self.remember.remove_user(user, None);
                }
            }
        }
        Ok(out)
    }

    /// Issues a remember-me token for `client`'s device.
    pub(super) fn issue_remember_me(
        &mut self,
        user: UserId,
        client: &Client<'_>,
        authenticated: Timestamp,
        now: Timestamp,
    ) -> Credential {
        let expires = self.policy.remember_me.lifetime.map(|l| now + l);
        self.issue_remember_until(user, client, authenticated, expires, now)
    }

    fn issue_remember_until(
        &mut self,
        user: UserId,
        client: &Client<'_>,
        authenticated: Timestamp,
        expires: Option<Timestamp>,
        now: Timestamp,
    ) -> Credential {
        let mut bytes = [0u8; 16];
        self.rng.fill_bytes(&mut bytes);
        let key = SessionKey::from_u128(u128::from_be_bytes(bytes));
        self.remember.insert(
            key,
            RememberRecord {
                user,
                device: client.device,
                authenticated,
                expires,
            },
        );
        let max_age = match expires {
            Some(at) => at.saturating_since(now).min(BROWSER_MAX_AGE),
            None => BROWSER_MAX_AGE,
        };
        let name = &self.policy.cookie.remember_me_name;
        self.credential(
            CredentialKind::RememberMe,
            name,
            codec::b64_encode(&bytes),
            Some(max_age),
            expires,
        )
    }

    /// Logs in with a remember-me token.
    pub fn auto_login(&mut self, token: &str, client: &Client<'_>) -> Result<Issued, Rejection> {
        let now = self.now();
        let op = Operation::AutoLogin;
        let mut bytes = [0u8; 16];
        if codec::b64_decode_exact(token.as_bytes(), &mut bytes).is_none() {
            return self.reject(now, None, None, op, Rejection::Malformed);
        }
        let key = SessionKey::from_u128(u128::from_be_bytes(bytes));
        let Some(record) = self.remember.tokens.get(&key).copied() else {
            return self.reject(now, None, None, op, Rejection::UnknownId);
        };
        let user = Some(record.user);
        if record.expires.is_some_and(|at| now > at) {
            self.remember.remove(key);
            return self.reject(now, user, None, op, Rejection::RememberMeExpired);
        }
        let rm = self.policy.remember_me;
        if rm.device_binding == DeviceBinding::Bound && record.device != client.device {
            return self.reject(now, user, None, op, Rejection::DeviceMismatch);
        }
        let mut flags = self.admit(record.user, now, op)?;
        let auth_at = match rm.grant {
            RememberMeGrant::FullAuthentication => now,
            RememberMeGrant::ReauthForSensitive => {
                flags |= sflags::VIA_REMEMBER;
                record.authenticated
            }
        };
        let open = Open {
            user: record.user,
            auth_at,
            flags,
            presented: None,
            idp: None,
            op,
        };
        let mut issued = self.open(&open, client, now)?;
        if rm.rotate_on_use == RotateOnUse::Rotate {
            self.remember.remove(key);
            self.emit(
                now,
                user,
                None,
                op,
                Outcome::Ended,
                Some(Reason::End(EndReason::RememberMeUsed)),
            );
            issued.remember_me = Some(self.issue_remember_until(
                record.user,
                client,
                record.authenticated,
                record.expires,
                now,
            ));
        }
        Ok(issued)
    }
}

/// Full or limited, from session flags.
pub(super) fn access_of(flags: u8) -> Access {
    if flags & (sflags::LIMITED_EMAIL | sflags::LIMITED_MFA | sflags::LIMITED_RESET) != 0 {
        Access::Limited
    } else {
        Access::Full
    }
}
