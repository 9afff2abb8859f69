//! Stateless credentials: signed access tokens (SignedToken, Hybrid), signed cookie sessions
//! (ClientCookie) and the Hybrid mechanism's refresh tokens. A token is checked by its
//! signature and claims; the server consults state only as the revocation model says
//! (denylist, per-user generation), and a refresh consults its family in the store.

use std::time::Duration;

use super::audit::{EndReason, Operation, Outcome};
use super::clock::Timestamp;
use super::codec;
use super::ids::{SessionKey, ShortId};
use super::policy::{
    Bind, ClaimCheck, ExpiryEnforcement, Mechanism, MismatchAction, RefreshExpiry, RefreshRotation,
    ReuseDetection, Revocation,
};
use super::server::{Purpose, access_of};
use super::store::{Session, sflags};
use super::token::{Claims, TokenKind, flags as tflags};
use super::types::{
    Accepted, BindingCheck, Client, Credential, CredentialKind, ExpCheck, Grounds, Issued,
    Rejection, RequestKind, RevocationCheck, TimerCheck, UserId,
};
use super::{
    AuditSink, Checked, Clock, Open, SessionEngine, fingerprint_ip, fingerprint_ua, sid_of,
};

/// Far-future `exp` for cookie sessions with no absolute timeout (9999-12-31).
const NEVER_SECS: u64 = 253_402_300_799;

/// Refresh token layout: family key, generation, issue time (ms), truncated MAC.
const RT_BODY: usize = 16 + 4 + 8;
const RT_LEN: usize = RT_BODY + 16;

/// Token flag bits for session flag bits.
pub(super) fn token_flags(session_flags: u8) -> u8 {
    let mut f = 0;
    if session_flags & sflags::LIMITED_EMAIL != 0 {
        f |= tflags::LIMITED_EMAIL;
    }
    if session_flags & sflags::LIMITED_MFA != 0 {
        f |= tflags::LIMITED_MFA;
    }
    if session_flags & sflags::VIA_REMEMBER != 0 {
        f |= tflags::VIA_REMEMBER_ME;
    }
    if session_flags & sflags::LIMITED_RESET != 0 {
        f |= tflags::LIMITED_RESET;
    }
    f
}

impl<C: Clock, A: AuditSink> SessionEngine<C, A> {
    /// Opens a SignedToken or ClientCookie session: nothing is stored.
    pub(super) fn open_stateless(
        &mut self,
        open: &Open<'_>,
        client: &Client<'_>,
        now: Timestamp,
    ) -> Result<Issued, Rejection> {
        let kind = if self.policy.mechanism == Mechanism::ClientCookie {
            TokenKind::CookieSession
        } else {
            TokenKind::Access
        };
        let role = self
            .store
            .accounts
            .get(&open.user)
            .map_or(super::Role::USER, |a| a.role);
        let sid = self.random_u64();
        let mut claims = self.new_claims(kind, open.user, sid, now);
        claims.role = role;
        claims.auth_time = open.auth_at.as_secs();
        claims.flags = token_flags(open.flags);
        self.bind_claims(&mut claims, client);
        let credential = self.issue_token(&claims);
        let session = ShortId(sid as u32);
        self.emit(
            now,
            Some(open.user),
            Some(session),
            open.op,
            Outcome::Issued,
            None,
        );
        Ok(Issued {
            user: open.user,
            session,
            credential,
            refresh: None,
            remember_me: None,
            access: access_of(open.flags),
            evicted: 0,
            restored_work: false,
            grounds: None,
        })
    }

    /// Fresh claims with times set for `kind`.
    fn new_claims(&mut self, kind: TokenKind, user: UserId, sid: u64, now: Timestamp) -> Claims {
        let t = &self.policy.timeouts;
        let exp = match kind {
            TokenKind::Access => (now + self.policy.tokens.access_lifetime).as_secs(),
            TokenKind::CookieSession => match t.absolute {
                Some(abs) if t.absolute_enforcement == ExpiryEnforcement::Server => {
                    (now + abs).as_secs()
                }
                _ => NEVER_SECS,
            },
        };
        let generation = self.store.accounts.get(&user).map_or(0, |a| a.generation);
        Claims {
            kind,
            sub: user,
            sid,
            jti: self.random_u64(),
            iat: now.as_secs(),
            nbf: now.as_secs(),
            exp,
            auth_time: now.as_secs(),
            role: super::Role::USER,
            generation,
            ip_fp: 0,
            ua_fp: 0,
            // Only a cookie session keeps its own times; an access token has `iat`.
            created_ms: if kind == TokenKind::CookieSession {
                now.as_millis()
            } else {
                0
            },
            active_ms: if kind == TokenKind::CookieSession {
                now.as_millis()
            } else {
                0
            },
            flags: 0,
        }
    }

    /// Binds claims to the client as the binding policy says.
    fn bind_claims(&self, claims: &mut Claims, client: &Client<'_>) {
        let b = &self.policy.binding;
        claims.ip_fp = if b.ip == Bind::Enforced {
            fingerprint_ip(client.ip)
        } else {
            0
        };
        claims.ua_fp = if b.user_agent == Bind::Enforced {
            fingerprint_ua(client.user_agent)
        } else {
            0
        };
    }

    /// Signs claims into a credential.
    pub(super) fn issue_token(&self, claims: &Claims) -> Credential {
        let value = self.signer.sign(claims);
        let (kind, max_age) = match claims.kind {
            TokenKind::Access => (
                CredentialKind::AccessToken,
                Some(self.policy.tokens.access_lifetime),
            ),
            TokenKind::CookieSession => {
                (CredentialKind::CookieSession, self.session_cookie_max_age())
            }
        };
        let expires_at =
            (claims.exp < NEVER_SECS).then(|| Timestamp::from_millis(claims.exp * 1000));
        let name = &self.policy.cookie.name;
        self.credential(kind, name, value, max_age, expires_at)
    }

    /// Access-token claims for a Hybrid family.
    pub(super) fn family_claims(&mut self, family: &Session, now: Timestamp) -> Claims {
        let mut claims = self.new_claims(TokenKind::Access, family.user, sid_of(family.key), now);
        claims.role = family.role;
        claims.auth_time = family.auth_at.as_secs();
        claims.flags = token_flags(family.flags);
        let b = &self.policy.binding;
        claims.ip_fp = if b.ip == Bind::Enforced {
            family.ip_fp
        } else {
            0
        };
        claims.ua_fp = if b.user_agent == Bind::Enforced {
            family.ua_fp
        } else {
            0
        };
        claims
    }

    /// A new token from `claims` (new `jti`, times and generation), adjusted by `adjust`.
    pub(super) fn reissue(
        &mut self,
        claims: &Claims,
        client: &Client<'_>,
        now: Timestamp,
        adjust: impl FnOnce(&mut Claims),
    ) -> Credential {
        let mut fresh = self.new_claims(claims.kind, claims.sub, claims.sid, now);
        fresh.role = claims.role;
        fresh.auth_time = claims.auth_time;
        fresh.flags = claims.flags;
        if claims.kind == TokenKind::CookieSession {
            fresh.created_ms = claims.created_ms;
            fresh.exp = claims.exp;
        }
        self.bind_claims(&mut fresh, client);
        adjust(&mut fresh);
        self.issue_token(&fresh)
    }

    /// The Hybrid family of `user` whose access tokens carry `sid`.
    pub(super) fn family_of(&self, user: UserId, sid: u64) -> Option<u32> {
        let mut slots = Vec::new();
        self.store.user_slots(user, &mut slots);
        slots
            .into_iter()
            .find(|&slot| sid_of(self.store.get(slot).key) == sid)
    }

    /// Validates a token of `expect` kind.
    pub(super) fn check_token(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        expect: TokenKind,
        kind: RequestKind,
        op: Operation,
    ) -> Result<Checked, Rejection> {
        self.check_token_for(credential, client, expect, kind, op, Purpose::Request)
            .map(|(checked, _)| checked)
    }

    /// [`SessionEngine::background_run`] for tokens: the checks of [`Self::check_token_for`] at
    /// each request's time. A cookie session re-signed on activity, a revocation still
    /// propagating and a pending per-user not-before are left to real requests.
    pub(super) fn background_run_token(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        expect: TokenKind,
        every: Duration,
        end: Timestamp,
    ) -> u64 {
        let now = self.now();
        if expect == TokenKind::CookieSession && self.counts_as_activity(RequestKind::Background) {
            return 0;
        }
        let t = self.policy.tokens;
        // A token already expired is refused by the first request: leave it to `validate`
        // without paying for the signature here too (the common case of a tab polling less
        // often than access tokens live).
        if t.check_exp == ClaimCheck::Enforced
            && Claims::decode_unverified(credential).is_none_or(|c| now.as_secs() >= c.exp)
        {
            return 0;
        }
        let Ok(claims) = self.signer.verify(credential, self.policy.tokens.algorithm) else {
            return 0;
        };
        let revoked = (t.revocation.denylist()
            && (self.denylisted(claims.jti, now) || self.denylisted(claims.sid, now)))
            || (t.revocation.not_before()
                && (self.pending_generations.contains_key(&claims.sub)
                    || self
                        .store
                        .accounts
                        .get(&claims.sub)
                        .is_none_or(|a| claims.generation < a.min_generation)));
        let b = self.policy.binding;
        let mismatched = (b.ip == Bind::Enforced
            && claims.ip_fp != 0
            && fingerprint_ip(client.ip) != claims.ip_fp)
            || (b.user_agent == Bind::Enforced
                && claims.ua_fp != 0
                && fingerprint_ua(client.user_agent) != claims.ua_fp);
        let limited = tflags::LIMITED_MFA | tflags::LIMITED_EMAIL | tflags::LIMITED_RESET;
        if claims.kind != expect
            || revoked
            || mismatched
            || claims.flags & limited != 0
            || self
                .revocation_pending([claims.jti, claims.sid], claims.sub, claims.generation, now)
                .is_some()
        {
            return 0;
        }
        let timeouts = self.policy.timeouts;
        let active = Timestamp::from_millis(claims.active_ms);
        let created = Timestamp::from_millis(claims.created_ms);
        let cookie_expired = |at: Timestamp| {
            expect == TokenKind::CookieSession
                && ((timeouts.idle_enforcement == ExpiryEnforcement::Server
                    && timeouts
                        .idle
                        .is_some_and(|idle| at.saturating_since(active) > idle))
                    || (timeouts.absolute_enforcement == ExpiryEnforcement::Server
                        && timeouts
                            .absolute
                            .is_some_and(|abs| at.saturating_since(created) > abs)))
        };
        let (user, short) = (Some(claims.sub), Some(ShortId(claims.sid as u32)));
        let mut made = 0;
        let mut at = now;
        let refused = |at: Timestamp| {
            (t.check_exp == ClaimCheck::Enforced && at.as_secs() >= claims.exp)
                || (t.check_nbf == ClaimCheck::Enforced && at.as_secs() < claims.nbf)
                || cookie_expired(at)
        };
        while at < end && !refused(at) {
            made += 1;
            at = at + every;
        }
        self.audit_run(now, every, made, user, short);
        made
    }

    /// [`Self::check_token`] for a purpose; also returns the claims.
    pub(super) fn check_token_for(
        &mut self,
        credential: &str,
        client: &Client<'_>,
        expect: TokenKind,
        kind: RequestKind,
        op: Operation,
        purpose: Purpose,
    ) -> Result<(Checked, Claims), Rejection> {
        let now = self.now();
        let claims = match self.signer.verify(credential, self.policy.tokens.algorithm) {
            Ok(claims) => claims,
            Err(why) => return self.reject(now, None, None, op, why),
        };
        let user = Some(claims.sub);
        let short = Some(ShortId(claims.sid as u32));
        if claims.kind != expect {
            return self.reject(now, user, short, op, Rejection::Malformed);
        }
        let t = self.policy.tokens;
        let now_s = now.as_secs();
        if t.check_exp == ClaimCheck::Enforced && now_s >= claims.exp {
            return self.reject(now, user, short, op, Rejection::TokenExpired);
        }
        if t.check_nbf == ClaimCheck::Enforced && now_s < claims.nbf {
            return self.reject(now, user, short, op, Rejection::TokenNotYetValid);
        }
        if t.revocation.denylist()
            && !self.denylist.is_empty()
            && (self.denylisted(claims.jti, now) || self.denylisted(claims.sid, now))
        {
            return self.reject(now, user, short, op, Rejection::Revoked);
        }
        if t.revocation.not_before() {
            match self.min_generation(claims.sub, now) {
                Some(min) if claims.generation >= min => {}
                _ => return self.reject(now, user, short, op, Rejection::Revoked),
            }
        }
        let timeouts = self.policy.timeouts;
        if expect == TokenKind::CookieSession && timeouts.server_checks_any() {
            let active = Timestamp::from_millis(claims.active_ms);
            let created = Timestamp::from_millis(claims.created_ms);
            let why = if timeouts.idle_enforcement == ExpiryEnforcement::Server
                && timeouts
                    .idle
                    .is_some_and(|idle| now.saturating_since(active) > idle)
            {
                Some(Rejection::ExpiredIdle)
            } else if timeouts.absolute_enforcement == ExpiryEnforcement::Server
                && timeouts
                    .absolute
                    .is_some_and(|abs| now.saturating_since(created) > abs)
            {
                Some(Rejection::ExpiredAbsolute)
            } else {
                None
            };
            if let Some(why) = why {
                self.save_work(user);
                return self.reject(now, user, short, op, why);
            }
        }
        if purpose != Purpose::Mfa && claims.flags & tflags::LIMITED_MFA != 0 {
            return self.reject(now, user, short, op, Rejection::MfaRequired);
        }
        if claims.flags & tflags::LIMITED_EMAIL != 0 {
            return self.reject(now, user, short, op, Rejection::NotVerified);
        }
        if claims.flags & tflags::LIMITED_RESET != 0 {
            return self.reject(now, user, short, op, Rejection::ResetIncomplete);
        }
        let (mut mismatched, mut bound) = (false, false);
        if purpose != Purpose::Reauth {
            let b = self.policy.binding;
            let ip_bad = b.ip == Bind::Enforced
                && claims.ip_fp != 0
                && fingerprint_ip(client.ip) != claims.ip_fp;
            let ua_bad = b.user_agent == Bind::Enforced
                && claims.ua_fp != 0
                && fingerprint_ua(client.user_agent) != claims.ua_fp;
            mismatched = ip_bad || ua_bad;
            bound = (b.ip == Bind::Enforced && claims.ip_fp != 0)
                || (b.user_agent == Bind::Enforced && claims.ua_fp != 0);
            if ip_bad || ua_bad {
                if b.on_mismatch == MismatchAction::Terminate && t.revocation.denylist() {
                    self.denylist_add(claims.sid, now);
                }
                self.on_mismatch(Rejection::BindingMismatch, None, user, op, now)?;
            }
        }
        let counts = self.counts_as_activity(kind);
        let mut renewed = None;
        let mut idle_warning = None;
        if expect == TokenKind::CookieSession && counts {
            // Cookie sessions carry their own activity time: re-sign on activity.
            let cookie = self.reissue(&claims, client, now, |c| {
                c.active_ms = now.as_millis();
                c.ip_fp = claims.ip_fp;
                c.ua_fp = claims.ua_fp;
            });
            renewed = Some(Box::new(cookie));
        }
        if expect == TokenKind::CookieSession
            && timeouts.idle_enforcement == ExpiryEnforcement::Server
            && let (Some(window), Some(idle)) =
                (self.policy.warning.before_idle_expiry, timeouts.idle)
        {
            let last = if counts {
                now
            } else {
                Timestamp::from_millis(claims.active_ms)
            };
            let left = idle.saturating_sub(now.saturating_since(last));
            idle_warning = (left <= window).then_some(left);
        }
        self.emit(now, user, short, op, Outcome::Accepted, None);
        let started = match expect {
            TokenKind::CookieSession => Timestamp::from_millis(claims.created_ms),
            TokenKind::Access => Timestamp::from_millis(claims.iat.saturating_mul(1000)),
        };
        let (idle, absolute) = match expect {
            TokenKind::CookieSession => self.timer_checks(),
            _ => (TimerCheck::NotTracked, TimerCheck::NotTracked),
        };
        let grounds = Grounds {
            credential: match expect {
                TokenKind::CookieSession => CredentialKind::CookieSession,
                _ => CredentialKind::AccessToken,
            },
            idle,
            absolute,
            activity: timeouts.activity,
            exp: if t.check_exp == ClaimCheck::Enforced {
                ExpCheck::Checked {
                    until: Timestamp::from_millis(claims.exp.saturating_mul(1000)),
                }
            } else {
                ExpCheck::Ignored
            },
            revocation: if t.revocation == Revocation::None {
                RevocationCheck::NotPossible
            } else if let Some(effective) = self.revocation_pending(
                [claims.jti, claims.sid],
                claims.sub,
                claims.generation,
                now,
            ) {
                RevocationCheck::Propagating { effective }
            } else {
                RevocationCheck::NotListed
            },
            binding: if mismatched {
                BindingCheck::MismatchIgnored
            } else if bound {
                BindingCheck::Matched
            } else {
                BindingCheck::Off
            },
        };
        let checked = Checked {
            accepted: Accepted {
                user,
                role: claims.role,
                session: ShortId(claims.sid as u32),
                idle_warning,
                renewed,
                grounds,
            },
            auth_at: Timestamp::from_millis(claims.auth_time.saturating_mul(1000)),
            started,
            via_remember: claims.flags & tflags::VIA_REMEMBER_ME != 0,
        };
        Ok((checked, claims))
    }

    /// A refresh token for generation `generation` of `family`.
    pub(super) fn refresh_credential(
        &self,
        family: SessionKey,
        generation: u32,
        now: Timestamp,
    ) -> Credential {
        let mut bytes = [0u8; RT_LEN];
        bytes[..16].copy_from_slice(&family.as_u128().to_be_bytes());
        bytes[16..20].copy_from_slice(&generation.to_be_bytes());
        bytes[20..28].copy_from_slice(&now.as_millis().to_be_bytes());
        let tag = self.signer.tag16(&bytes[..RT_BODY]);
        bytes[RT_BODY..].copy_from_slice(&tag);
        let expires_at = match self.policy.refresh.expiry {
            RefreshExpiry::Sliding { idle, .. } => Some(now + idle),
            RefreshExpiry::Absolute { .. } => None,
        };
        let name = &self.policy.cookie.refresh_name;
        let max_age = expires_at.map(|at| at.saturating_since(now));
        self.credential(
            CredentialKind::RefreshToken,
            name,
            codec::b64_encode(&bytes),
            max_age,
            expires_at,
        )
    }

    /// Family key, generation and issue time of a refresh token, if its MAC verifies.
    fn decode_refresh(&self, token: &str) -> Result<(SessionKey, u32, Timestamp), Rejection> {
        let mut bytes = [0u8; RT_LEN];
        codec::b64_decode_exact(token.as_bytes(), &mut bytes).ok_or(Rejection::Malformed)?;
        if !self
            .signer
            .verify_tag16(&bytes[..RT_BODY], &bytes[RT_BODY..])
        {
            return Err(Rejection::BadSignature);
        }
        let mut key = [0u8; 16];
        key.copy_from_slice(&bytes[..16]);
        let mut generation = [0u8; 4];
        generation.copy_from_slice(&bytes[16..20]);
        let mut iat = [0u8; 8];
        iat.copy_from_slice(&bytes[20..28]);
        Ok((
            SessionKey::from_u128(u128::from_be_bytes(key)),
            u32::from_be_bytes(generation),
            Timestamp::from_millis(u64::from_be_bytes(iat)),
        ))
    }

    /// Exchanges a refresh token (Hybrid) for a new access token and, with rotation, a new
    /// refresh token. `kind` says whether the user's action or a background timer asked.
    pub fn refresh(
        &mut self,
        token: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Issued, Rejection> {
        let now = self.now();
        let op = Operation::Refresh;
        if self.policy.mechanism != Mechanism::Hybrid {
            return self.reject(now, None, None, op, Rejection::Unsupported);
        }
        let (key, generation, issued_at) = match self.decode_refresh(token) {
            Ok(parts) => parts,
            Err(why) => return self.reject(now, None, None, op, why),
        };
        let short = Some(key.short());
        let Some(slot) = self.store.find(key) else {
            return self.reject(now, None, short, op, Rejection::Revoked);
        };
        let family = *self.store.get(slot);
        let user = Some(family.user);
        if let Some(reason) = self.expired(&family, now) {
            return self.expire(slot, user, reason, op, now);
        }
        let r = self.policy.refresh;
        if let RefreshExpiry::Sliding { idle, .. } = r.expiry
            && now.saturating_since(issued_at) > idle
        {
            return self.reject(now, user, short, op, Rejection::RefreshExpired);
        }
        let current = family.refresh_gen;
        if generation > current {
            return self.reject(now, user, short, op, Rejection::Revoked);
        }
        if r.rotation == RefreshRotation::Rotate
            && current - generation > r.grace_generations
            && r.reuse == ReuseDetection::RevokeFamily
        {
            self.end_slot(slot, op, EndReason::RefreshReuse, now);
            return self.reject(now, user, short, op, Rejection::RefreshReused);
        }
        if let Some(why) = self.binding_violation(&family, client, now) {
            self.on_mismatch(why, Some(slot), user, op, now)?;
        }
        if family.flags & sflags::REAUTH_PENDING != 0 {
            return self.reject(now, user, short, op, Rejection::ReauthRequired);
        }
        let counts = self.counts_as_activity(kind);
        let next = match r.rotation {
            RefreshRotation::Rotate => current.wrapping_add(1),
            RefreshRotation::Reuse => current,
        };
        let rec = self.store.get_mut(slot);
        rec.last_seen = now;
        rec.id_issued = now;
        rec.refresh_gen = next;
        if let Some(geo) = client.geo {
            rec.geo = [geo.lat, geo.lon];
            rec.flags |= sflags::HAS_GEO;
        }
        if counts {
            rec.last_active = now;
        }
        let family = *rec;
        let claims = self.family_claims(&family, now);
        let credential = self.issue_token(&claims);
        let refresh = self.refresh_credential(key, next, now);
        self.emit(now, user, short, op, Outcome::Issued, None);
        // The family is a server record: its idle and absolute timers were checked above.
        let (idle, absolute) = self.timer_checks();
        let grounds = Grounds {
            credential: CredentialKind::RefreshToken,
            idle,
            absolute,
            activity: self.policy.timeouts.activity,
            exp: ExpCheck::NotAToken,
            revocation: RevocationCheck::LiveRecord,
            binding: self.binding_check(false),
        };
        Ok(Issued {
            user: family.user,
            session: key.short(),
            credential,
            refresh: Some(refresh),
            remember_me: None,
            access: access_of(family.flags),
            evicted: 0,
            restored_work: false,
            grounds: Some(grounds),
        })
    }
}
