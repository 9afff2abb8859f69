//! Stolen credentials: read by script, sniffed in clear, replayed from elsewhere, far away or
//! days later.

use super::*;

/// Where the client keeps a credential, as the browser sees it.
/// Web storage (and a URL) is readable by any script on the page; a token held in the app's
/// memory is not stored anywhere a script can look it up, and an HttpOnly cookie is hidden.
pub(super) fn readable_by_script(lab: &Lab<'_, '_>, c: &crate::engine::Credential) -> bool {
    match &c.set_cookie {
        Some(header) => SetCookie::parse(header).is_ok_and(|c| !c.http_only),
        None => lab.info.policy.cookie.storage == CredentialStorage::LocalStorage,
    }
}

/// Where a script finds the credential, in the words of the finding: the cookie by name, or
/// web storage.
fn where_script_reads(c: &crate::engine::Credential) -> String {
    match c.set_cookie.as_deref().map(SetCookie::parse) {
        Some(Ok(cookie)) => format!(
            "document.cookie (the cookie {}, set without HttpOnly)",
            cookie.name
        ),
        Some(Err(_)) => "document.cookie".to_owned(),
        None => "localStorage, where the page keeps the credential".to_owned(),
    }
}

/// The drawn storage node of the cookie the credential came in (where two are drawn, the one
/// the engine used), else every node that sets the cookie.
pub(super) fn cookie_nodes(
    lab: &Lab<'_, '_>,
    credential: &crate::engine::Credential,
) -> Vec<NodeId> {
    let all = lab.info.from(Setting::Cookie);
    let Some(Ok(cookie)) = credential.set_cookie.as_deref().map(SetCookie::parse) else {
        return all;
    };
    let named: Vec<NodeId> = all
        .iter()
        .filter(|id| {
            lab.world.map.node(id).is_some_and(|n| {
                matches!(
                    &n.kind,
                    crate::model::NodeKind::ClientStorage {
                        location: crate::model::Location::Cookie(c),
                        ..
                    } if c.name == cookie.name
                )
            })
        })
        .cloned()
        .collect();
    if named.is_empty() { all } else { named }
}

pub(super) fn sent_in_clear(c: &crate::engine::Credential) -> bool {
    c.set_cookie
        .as_deref()
        .is_some_and(|h| SetCookie::parse(h).is_ok_and(|c| !c.secure))
}

pub(super) fn steal_xss(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(3 * MINUTE);
    let node = lab.info.request.clone();
    let readable = readable_by_script(lab, &s.credential);
    let place = where_script_reads(&s.credential);
    lab.step(
        "attacker",
        format!("an injected script (XSS) reads {place}"),
        if readable {
            "the session credential is readable".into()
        } else {
            "nothing: the credential is not readable by script".to_owned()
        },
        &node,
    );
    if !readable {
        return Some(Attempt::default());
    }
    lab.wait(MINUTE);
    // The injected script runs in the victim's own browser: it sends the stolen credential
    // from the victim's address with the victim's user agent, so client binding cannot tell.
    let r = lab.present(
        "attacker",
        "the script sends the stolen credential with its own requests, from the victim's browser",
        &s.credential.value,
        &XSS,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let mut nodes = cookie_nodes(lab, &s.credential);
    nodes.push(lab.info.create.clone());
    let kept = match s.credential.set_cookie.as_deref().map(SetCookie::parse) {
        Some(Ok(cookie)) => format!("in the cookie {} without HttpOnly", cookie.name),
        _ => "in the browser's localStorage".to_owned(),
    };
    let fix = if s.credential.set_cookie.is_some() {
        "Set HttpOnly on the cookie."
    } else {
        "Keep it in an HttpOnly cookie, or only in the page's memory."
    };
    let observation = lab.observe(
        Gap::TokenStorage,
        nodes,
        format!(
            "The session credential is readable by script: it is kept {kept}. One XSS bug \
             hands it to an attacker, whose script uses it from the victim's own browser, \
             where no client binding can tell it apart. {fix}"
        ),
    );
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &XSS);
    Some(Attempt {
        exposure: Some(exposure),
        ..Attempt::found(observation)
    })
}

pub(super) fn steal_network(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(MINUTE);
    if !sent_in_clear(&s.credential) {
        return Some(Attempt::default());
    }
    let node = lab.info.request.clone();
    lab.step(
        "attacker",
        "on the café Wi-Fi, sees the cookie on a plain-HTTP request (no Secure attribute)".into(),
        "copied".into(),
        &node,
    );
    let r = lab.present(
        "attacker",
        "replays the sniffed cookie",
        &s.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &ELSEWHERE);
    Some(Attempt {
        succeeded: true,
        exposure: Some(exposure),
        ..Attempt::default()
    })
}

pub(super) fn replay_from_elsewhere(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = copied(lab, "malware on the victim's laptop")?;
    lab.wait(MINUTE);
    let r = lab.present(
        "attacker",
        "replays it from another IP address and another browser",
        &s.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    if r.is_err() {
        return Some(Attempt::default());
    }
    let observation = lab.observe(
        Gap::BindNone,
        lab.info.from(Setting::Binding),
        "The session is not bound to the client: a stolen cookie replayed from another IP \
         address and user agent is accepted without asking for the password.",
    );
    let exposure = lab.keep_using(&s.credential.value, &s.credential.value, &ELSEWHERE);
    Some(Attempt {
        exposure: Some(exposure),
        ..Attempt::found(observation)
    })
}

pub(super) fn replay_far_away(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = victim_session(lab)?;
    lab.wait(MINUTE);
    let cred = s.credential.value.clone();
    let _ = lab.present(
        "user",
        "uses the session in London",
        &cred,
        &LAPTOP,
        RequestKind::UserAction,
    );
    lab.wait(10 * MINUTE);
    let r = lab.present("attacker", "uses a copy of the session from New York (5,570 km away) ten minutes later, with the victim's browser string", &cred, &FAR_SAME_UA, RequestKind::UserAction);
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let drawn = lab.info.policy.binding.impossible_travel.is_some();
    let g = accepted.grounds;
    if g.exp == crate::engine::ExpCheck::Ignored {
        // Accepted because nobody checks exp (JWT-VALIDATION-WEAK says so), not for want of a
        // travel check: a checked 10-minute token would have been refused here.
        return Some(Attempt::default());
    }
    if drawn && g.credential == crate::engine::CredentialKind::SessionId {
        // A server-side session keeps its last location: the check saw the jump and let it
        // through, as the drawn mismatch action says.
        return Some(Attempt::found(lab.observe(
            Gap::GeoVelocityNone,
            lab.info.from(Setting::Binding),
            "The drawn impossible-travel check saw the same session used from London and, ten \
             minutes later, from New York (5,570 km away), but the drawn action on a mismatch \
             is to ignore it, so both were accepted. Require re-authentication or end the \
             session on a mismatch.",
        )));
    }
    if drawn {
        // The check is drawn, but a stateless credential carries no last location to compare.
        let (what, how_long) = match g.credential {
            crate::engine::CredentialKind::AccessToken => (
                "the stateless access token carries no location",
                format!(
                    "for as long as the token lives ({})",
                    human_ms(ms(lab.info.policy.tokens.access_lifetime))
                ),
            ),
            _ => (
                "a client-side cookie session keeps no last location on the server",
                "for as long as the cookie is valid".to_owned(),
            ),
        };
        let mut nodes = lab.info.from(Setting::Binding);
        nodes.extend(lab.info.from(Setting::AccessLifetime));
        return Some(Attempt::found(lab.observe(
            Gap::GeoVelocityNone,
            nodes,
            format!(
                "The drawn impossible-travel check can only look at what the server keeps: \
                 {what}, so a copy used from New York ten minutes after London was accepted, \
                 and will be {how_long}. Keep credentials short-lived, or check travel where \
                 the server sees them (a server-side session, the refresh endpoint)."
            ),
        )));
    }
    Some(Attempt::found(lab.observe(
        Gap::GeoVelocityNone,
        lab.info.from(Setting::Binding),
        "Impossible travel is not detected (no travel check is drawn): the same session was \
         used from London and, ten minutes later, from New York (5,570 km away), and both were \
         accepted.",
    )))
}

pub(super) fn replay_days_later(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let s = copied(lab, "a backup of the laptop")?;
    let start = lab.now;
    // The longest wait the copy survived decides: a success only where it is also a finding
    // (the engine's grounds say why an unused copy was still good).
    let mut last = None;
    for days in [1, 7, 30, 400] {
        lab.wait((start + days * DAY).saturating_sub(lab.now));
        let r = lab.present(
            "attacker",
            format!("replays the copy {days} day(s) later"),
            &s.credential.value,
            &NEARBY,
            RequestKind::UserAction,
        );
        match r {
            Ok(accepted) => last = Some((accepted, days * DAY)),
            Err(_) => break,
        }
    }
    let Some((accepted, for_ms)) = last else {
        return Some(Attempt::default());
    };
    timeouts::outlived(lab, Ok(accepted), &cause::Outlived::Unused { for_ms })
}
