//! Bearer and refresh tokens: expired and forged tokens, long lifetimes, refresh-token reuse and
//! refresh tokens that never stop sliding.

use super::*;

pub(super) fn token_mechanism(lab: &Lab<'_, '_>) -> bool {
    matches!(
        lab.info.policy.mechanism,
        Mechanism::SignedToken | Mechanism::Hybrid
    )
}

pub(super) fn replay_expired_token(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if !token_mechanism(lab) {
        return None;
    }
    let s = copied(lab, "an access token from a log file")?;
    let expires = s.credential.expires_at?.as_millis();
    if expires.saturating_sub(lab.now) > 30 * DAY {
        return None;
    }
    lab.wait(expires.saturating_sub(lab.now) + MINUTE);
    let r = lab.present(
        "attacker",
        "replays the access token a minute after its exp",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    Some(Attempt::found(lab.observe(
        Gap::JwtValidationWeak,
        lab.info.from(Setting::AccessToken),
        "Token validation is weak: an expired token (past its exp) is accepted.",
    )))
}

pub(super) fn forge_alg_none(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism == Mechanism::ServerSide {
        return None;
    }
    victim_session(lab)?;
    let attacker = lab.account(true, Role::USER);
    let own = lab.sign_in(attacker, ELSEWHERE, SignIn::default()).ok()?;
    let mut claims = Claims::decode_unverified(&own.credential.value)?;
    claims.sub = lab.victim;
    let forged = claims.to_unsigned_token();
    let r = lab.present(
        "attacker",
        "edits its own token to name the victim, sets alg to none and drops the signature",
        &forged,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_ok_and(|a| a.user == Some(lab.victim)) {
        let explanation = if lab.info.policy.mechanism == Mechanism::ClientCookie {
            "The session cookie is not signed: the client writes whatever it likes into it, and \
             a cookie naming another user is accepted, so anyone can be anyone. Sign (and \
             preferably encrypt) the session cookie."
        } else {
            "Token validation is weak: an unsigned token (alg: none) naming another user is \
             accepted, so anyone can be anyone."
        };
        return Some(Attempt::found(lab.observe(
            Gap::JwtValidationWeak,
            lab.info.from(Setting::AccessToken),
            explanation,
        )));
    }
    Some(Attempt::default())
}

pub(super) fn replay_hours_later(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if !token_mechanism(lab) {
        return None;
    }
    let s = copied(lab, "an access token from a log file")?;
    lab.wait(2 * HOUR);
    let r = lab.present(
        "attacker",
        "replays the stolen access token two hours later",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    // Why it still worked is the engine's to say: a long lifetime, or exp not checked.
    timeouts::outlived(lab, r, &cause::Outlived::Unused { for_ms: 2 * HOUR })
}

pub(super) fn refresh(
    lab: &mut Lab<'_, '_>,
    actor: &str,
    action: String,
    token: &str,
    client: &Client<'_>,
) -> Result<Issued, Rejection> {
    let node = lab.info.refresh.clone();
    lab.issue_at(actor, action, node, |e| {
        e.refresh(token, client, RequestKind::UserAction)
    })
}

pub(super) fn reuse_refresh_token(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    lab.info.refresh.as_ref()?;
    let s = copied(lab, "the refresh token, from a backup")?;
    let r0 = s.refresh.as_ref()?.value.clone();
    lab.wait(5 * MINUTE);
    let g1 = refresh(
        lab,
        "user",
        "the app refreshes its tokens".into(),
        &r0,
        &LAPTOP,
    )
    .ok()?;
    let r1 = g1.refresh.as_ref().map_or(r0.clone(), |c| c.value.clone());
    lab.wait(5 * MINUTE);
    let g2 = refresh(lab, "user", "the app refreshes again".into(), &r1, &LAPTOP).ok()?;
    let r2 = g2.refresh.as_ref().map_or(r1.clone(), |c| c.value.clone());
    lab.wait(MINUTE);
    let stolen = refresh(
        lab,
        "attacker",
        "uses the copied (now two generations old) refresh token".into(),
        &r0,
        &NEARBY,
    );
    if stolen.is_err() {
        return Some(Attempt::default());
    }
    // Refresh tokens carry their issue time, so every answer looks new: whether the server
    // rotated is what the drawing says; that the old token worked is what the engine showed.
    let drawn = lab.info.policy.refresh;
    let rotated = drawn.rotation == crate::engine::RefreshRotation::Rotate;
    let detects = drawn.reuse == crate::engine::ReuseDetection::RevokeFamily;
    let nodes = lab.info.from(Setting::Refresh);
    if rotated && detects && drawn.grace_generations > 0 {
        return Some(Attempt::found(lab.observe(
            Gap::RtGraceWide,
            nodes,
            format!(
                "Refresh tokens rotate, but the drawn grace of {} generation(s) still accepts \
                 a token two generations old: a thief keeps refreshing. Accept only the newest \
                 token (one generation at most, for retries).",
                drawn.grace_generations
            ),
        )));
    }
    if rotated {
        // Rotated, but an old token is not recognised as reuse: nothing stops the thief.
        return Some(Attempt::found(lab.observe(
            Gap::RtNoRotation,
            nodes,
            "Refresh tokens rotate, but reuse is not detected: a copied token two generations \
             old still mints new tokens, and nothing revokes the family when it comes back. \
             Turn on reuse detection (revoke the family on reuse).",
        )));
    }
    lab.wait(5 * MINUTE);
    let again = refresh(lab, "user", "the app refreshes again".into(), &r2, &LAPTOP);
    proven(
        lab,
        again.is_ok(),
        Gap::RtNoRotation,
        nodes,
        "The refresh token is reusable and reuse is not detected: the attacker and the \
         victim both keep refreshing with the same token. Rotate on use and revoke the \
         family when an old one comes back.",
    )
}

pub(super) fn refresh_for_a_year(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    lab.info.refresh.as_ref()?;
    let s = victim_session(lab)?;
    let mut token = s.refresh.as_ref()?.value.clone();
    // The shortest limit that could end an unused family first: the refresh token's own
    // sliding lifetime, and a server-enforced idle timeout (refreshing is activity).
    let policy = &lab.info.policy;
    let mut idle = match policy.refresh.expiry {
        crate::engine::RefreshExpiry::Sliding { idle, .. } => ms(idle),
        crate::engine::RefreshExpiry::Absolute { lifetime } => ms(lifetime),
    };
    if policy.timeouts.idle_enforcement == ExpiryEnforcement::Server
        && let Some(session_idle) = policy.timeouts.idle
    {
        idle = idle.min(ms(session_idle));
    }
    let every = (29 * DAY)
        .min(idle.saturating_sub(DAY).max(idle / 2))
        .max(MINUTE);
    let start = lab.now;
    let mut n = 0;
    while lab.now - start < 366 * DAY {
        lab.wait(every);
        match lab.quiet(|e| e.refresh(&token, &LAPTOP, RequestKind::UserAction)) {
            Ok(i) => {
                n += 1;
                if let Some(r) = i.refresh {
                    token = r.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    let node = lab.info.refresh.clone()?;
    lab.step(
        "user",
        format!(
            "refreshes every {} for a year ({n} refreshes)",
            human_ms(every)
        ),
        "all accepted".into(),
        &node,
    );
    let mut nodes = lab.info.from(Setting::RefreshLifetime);
    nodes.extend(lab.info.from(Setting::Refresh));
    Some(Attempt::found(lab.observe(
        Gap::RtNoAbsExpiry,
        nodes,
        "The refresh token slides with use and has no absolute expiry: used regularly, it \
         lives forever (here a year) without the user ever signing in again.",
    )))
}
