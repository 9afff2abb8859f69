//! Access: credential stuffing, concurrency limits that evict the victim, and sensitive actions
//! without (recent) re-authentication.

use super::*;

/// What an attacker with the password alone gets at the flow's login: where a second factor is
/// drawn, the MFA step is still to do.
pub(super) fn password_only(lab: &Lab<'_, '_>) -> MfaStatus {
    // A second factor stops a password alone only where every drawn login asks for it: an
    // optional one is off for whoever never turned it on.
    if lab.info.mfa_login.is_some() && lab.info.password_alone.is_none() {
        MfaStatus::Pending
    } else {
        MfaStatus::NotEnrolled
    }
}

pub(super) fn stuff_credentials(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    let victim = lab.victim;
    let mut opened = 0;
    let mfa = password_only(lab);
    // The 50 sign-ins fit inside the idle timeout, so the user's session is still there to ask.
    let pause = lab
        .info
        .policy
        .timeouts
        .idle
        .map_or(SECOND, |idle| (ms(idle) / 100).clamp(1, SECOND));
    for i in 0..50u8 {
        let client = Client {
            ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, i)),
            ..ELSEWHERE
        };
        let login = LoginRequest {
            user: victim,
            client,
            mfa,
            remember_me: RememberMe::No,
            presented_id: None,
            idp_session: None,
        };
        if lab.quiet(|e| e.login(&login)).is_ok() {
            opened += 1;
        }
        lab.wait(pause);
    }
    let node = lab
        .info
        .login
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    lab.step(
        "attacker",
        "signs in 50 times with the leaked password, from 50 addresses".into(),
        format!("{opened} sessions opened"),
        &node,
    );
    let r = lab.present(
        "user",
        "carries on, unaware",
        &s.credential.value,
        &LAPTOP,
        RequestKind::UserAction,
    );
    // Stateless tokens stay valid after their session was evicted: count what the server holds.
    let held = lab.sessions_of(victim);
    let no_state = matches!(
        lab.info.policy.mechanism,
        Mechanism::SignedToken | Mechanism::ClientCookie
    );
    if opened == 50 && r.is_ok() && (no_state || held > 50) {
        let limited = lab.info.policy.concurrency.limit != crate::engine::SessionLimit::Unlimited;
        let explanation = if no_state && limited {
            // The drawn limit is there, but nothing on the server counts stateless sessions.
            "The drawn session limit cannot hold: the session is a signed, stateless credential \
             the server keeps no record of, so there is nothing to count or evict, and a \
             credential stuffer opened 50 sessions next to the user's. Keep a server-side \
             record per session (a hybrid with refresh families) to enforce the limit."
        } else {
            "There is no limit on concurrent sessions: a credential stuffer opened 50 sessions \
             next to the user's and nothing noticed. Limit sessions (3–5) and show them to the \
             user."
        };
        let mut nodes = lab.info.from(Setting::Concurrency);
        if no_state && limited {
            nodes.extend(lab.info.from(Setting::Mechanism));
        }
        return Some(Attempt::found(lab.observe(
            Gap::ConcUnlimited,
            nodes,
            explanation,
        )));
    }
    // Signing in with a leaked password is what a login is for: the attack succeeds only when
    // the sessions pile up unnoticed, which is the finding above.
    Some(Attempt::default())
}

pub(super) fn evict_victim(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    let victim = lab.victim;
    // The scene plays inside the idle timeout, so an idle expiry cannot pass for an eviction.
    let pause = lab
        .info
        .policy
        .timeouts
        .idle
        .map_or(30 * SECOND, |idle| (ms(idle) / 4).clamp(1, 30 * SECOND));
    lab.wait(pause);
    let mfa = password_only(lab);
    let request = LoginRequest {
        user: victim,
        client: ELSEWHERE,
        mfa,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    };
    let node = lab
        .info
        .login
        .clone()
        .unwrap_or_else(|| lab.info.create.clone());
    let who = lab.accepted_as(Some(victim));
    let login = lab.act(
        "attacker",
        "signs in once as the victim",
        &node,
        |e| e.login(&request),
        |_| who,
    );
    lab.wait(pause.div_ceil(3));
    let r = lab.present(
        "user",
        format!(
            "clicks on in the session it already had at {}",
            lab.label(&lab.info.request)
        ),
        &s.credential.value,
        &LAPTOP,
        RequestKind::UserAction,
    );
    // Ended by the attacker's sign-in, not by a timer running out.
    let evicted = r.is_err_and(|why| {
        !matches!(
            why,
            Rejection::ExpiredIdle | Rejection::ExpiredAbsolute | Rejection::TokenExpired
        )
    });
    if login.is_ok() && evicted {
        return Some(Attempt::found(lab.observe(
            Gap::ConcEvictionDos,
            lab.info.from(Setting::Concurrency),
            "One session per user, last login wins: a single sign-in by an attacker (or a \
             prankster with the password) logs the real user out, and can keep doing so.",
        )));
    }
    Some(Attempt::default())
}

/// A re-authentication window longer than this is not "recent".
const STALE_AFTER: u64 = 30 * MINUTE;

pub(super) fn hijack_sensitive_action(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sensitive = lab.info.sensitive.clone()?;
    let reauth = lab.reauth_of(&sensitive);
    // This action's own rule decides, and this action is the node to change.
    let drawn = reauth.max_auth_age.map(ms);
    let nodes = vec![sensitive.clone()];
    // When the attacker comes back: with a window drawn, just inside it (a window of minutes
    // is what "recent" means, so nothing to prove), or as long as the session can last;
    // without one, late in the working day.
    let session_ends = lab.info.policy.timeouts.absolute.map(ms);
    let late_at = match (drawn, reauth.measured_from) {
        (Some(window), crate::engine::AuthAge::LastAuthentication) => {
            if window <= STALE_AFTER {
                None
            } else {
                Some(
                    window
                        .min(session_ends.unwrap_or(u64::MAX))
                        .saturating_sub(MINUTE),
                )
            }
        }
        _ => Some(11 * HOUR),
    };
    let first_at = late_at.map_or(HOUR, |late| late.min(HOUR));
    let s = victim_session(lab)?;
    let victim = lab.victim;
    let pace = lab.active_pace();
    let cred = lab.stay_active(&s.credential.value, pace, first_at).ok()?;
    let node = lab.info.request.clone();
    lab.step(
        "user",
        format!(
            "works for {}, a request every {}",
            human_ms(first_at),
            human_ms(pace)
        ),
        "all accepted".into(),
        &node,
    );
    let r = lab.act(
        "attacker",
        format!("rides the session (XSS) to {}", lab.label(&sensitive)),
        &sensitive,
        |e| e.sensitive_action_with(&cred, &NEARBY, reauth),
        |a| accepted_as(victim, a.user),
    );
    if r.is_ok() && drawn.is_none() {
        return Some(Attempt::found(lab.observe(
            Gap::ReauthSensitiveNone,
            nodes,
            "A sensitive action (email, password or payout change) needs no re-authentication: \
             whoever rides the session takes over the account.",
        )));
    }
    let Some(late_at) = late_at else {
        // A window of minutes: an hour after the password, the action asked for it again.
        return Some(Attempt::default());
    };
    let stale = |lab: &Lab<'_, '_>, at: u64| {
        Some(Attempt::found(lab.observe(
            Gap::ReauthStale,
            vec![sensitive.clone()],
            format!(
                "\"Recent login\" is not recent: a sensitive action {} after the password was \
                 last entered is accepted (re-authentication measured from the session's age, \
                 or a window that is too long). Keep the window to minutes.",
                human_ms(at)
            ),
        )))
    };
    if late_at == first_at {
        return if r.is_ok() {
            stale(lab, first_at)
        } else {
            Some(Attempt::default())
        };
    }
    let cred = match r {
        Ok(a) => a.renewed.map_or(cred, |c| c.value),
        Err(_) => cred,
    };
    let Ok(cred) = lab.stay_active(&cred, pace, late_at - first_at) else {
        return Some(Attempt::default());
    };
    lab.step(
        "user",
        "keeps working through the day".into(),
        "all accepted".into(),
        &node,
    );
    let late = lab.act(
        "attacker",
        format!(
            "{} after sign-in, goes to {}",
            human_ms(late_at),
            lab.label(&sensitive)
        ),
        &sensitive,
        |e| e.sensitive_action_with(&cred, &NEARBY, reauth),
        |a| accepted_as(victim, a.user),
    );
    if late.is_ok() {
        if drawn.is_some() {
            return stale(lab, late_at);
        }
        return Some(Attempt::found(lab.observe(
            Gap::ReauthSensitiveNone,
            nodes,
            "A sensitive action (email, password or payout change) needs no re-authentication: \
             whoever rides the session takes over the account.",
        )));
    }
    Some(Attempt::default())
}
