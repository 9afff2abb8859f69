//! Remember-me: tokens that outlive their limit, travel to other devices, survive logout or
//! reach sensitive actions.

use super::*;

pub(super) fn remembered(lab: &mut Lab<'_, '_>) -> Option<(Issued, String)> {
    lab.info.remember_me.as_ref()?;
    let victim = lab.victim;
    let issued = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                remember: true,
                ..SignIn::default()
            },
        )
        .ok()?;
    let token = issued.remember_me.as_ref()?.value.clone();
    Some((issued, token))
}

pub(super) fn auto_login(
    lab: &mut Lab<'_, '_>,
    actor: &str,
    action: String,
    token: &str,
    client: &Client<'_>,
) -> Result<Issued, Rejection> {
    let node = lab.info.remember_me.clone();
    lab.issue_at(actor, action, node, |e| e.auto_login(token, client))
}

pub(super) fn remember_me_late(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (_, mut token) = remembered(lab)?;
    let mut nodes = lab.info.from(Setting::RememberMeLifetime);
    nodes.extend(lab.info.from(Setting::RememberMe));
    let mut late_ok = false;
    if let Some(max) = lab.world.config.profile.remember_me_max {
        let late = ms(max) + DAY;
        lab.wait(late);
        let r = auto_login(
            lab,
            "user",
            format!(
                "returns {} later; the browser presents the remember-me token",
                human_ms(late)
            ),
            &token,
            &LAPTOP,
        );
        match r {
            Ok(i) => {
                late_ok = true;
                if let Some(t) = i.remember_me {
                    token = t.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    // "Never expires" is only claimed past every drawn lifetime: day 400, or a month after a
    // drawn lifetime longer than that.
    let drawn = lab.info.policy.remember_me.lifetime.map(ms);
    let last_day = drawn.map_or(400, |d| (d / DAY + 30).max(400));
    let at = lab.now;
    let late_probe = lab.origin + last_day * DAY + 9 * HOUR;
    lab.wait(late_probe.saturating_sub(at));
    let r = auto_login(
        lab,
        "attacker",
        format!("at the victim's computer, presents the remember-me token on day {last_day}"),
        &token,
        &LAPTOP,
    );
    if r.is_ok() {
        let why = match drawn {
            Some(d) => format!(
                "the drawn lifetime of {} is not enforced: it still signs in on day {last_day}",
                human_ms(d)
            ),
            None => format!("no lifetime is drawn: it still signs in on day {last_day}"),
        };
        return Some(Attempt::found(lab.observe(
            Gap::RememberNoMax,
            nodes,
            format!(
                "The remember-me token never expires ({why}). Whoever copies it once has the \
                 account for good. Give it a lifetime (30 days at most)."
            ),
        )));
    }
    if late_ok {
        let profile = lab.world.config.profile.name;
        lab.trace.pop();
        let lifetime = drawn.map_or_else(String::new, |d| format!(" (drawn: {})", human_ms(d)));
        return Some(Attempt::found(lab.observe(
            Gap::RememberTooLong,
            nodes,
            format!("The remember-me token outlives what profile {profile} allows{lifetime}."),
        )));
    }
    Some(Attempt::default())
}

pub(super) fn remember_me_other_device(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (_, token) = remembered(lab)?;
    lab.wait(HOUR);
    let r = auto_login(
        lab,
        "attacker",
        "copies the remember-me cookie to its own machine and opens the site".into(),
        &token,
        &ELSEWHERE,
    );
    proven(
        lab,
        r.is_ok(),
        Gap::RememberUnbound,
        lab.info.from(Setting::RememberMe),
        "The remember-me token is not bound to the device it was issued to: copied to \
         another machine, it signs in there.",
    )
}

pub(super) fn remember_me_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab.info.logout.clone()?;
    let (issued, token) = remembered(lab)?;
    let node = lab.info.remember_me.clone()?;
    lab.step(
        "attacker",
        "copies the remember-me cookie".into(),
        "copied".into(),
        &node,
    );
    lab.wait(HOUR);
    lab.log_out_at(&logout, &issued.credential.value, "logs out")?;
    lab.wait(DAY);
    let r = auto_login(
        lab,
        "attacker",
        "at the victim's computer, presents the copied remember-me token".into(),
        &token,
        &LAPTOP,
    );
    if r.is_ok() {
        let rm = lab.info.policy.remember_me;
        if lab.logout_endpoint(&logout).invalidation
            == crate::engine::LogoutInvalidation::ClientOnly
            && rm.on_logout == crate::engine::RememberOnLogout::Revoke
        {
            // The token is drawn to end at logout, but this sign-out never tells the server:
            // the cause is the client-only sign-out, which the replay-after-logout scene proves
            // and reports (LOGOUT-SERVER-NOOP, at this logout); blaming the remember-me node
            // would name the wrong cause.
            return Some(Attempt {
                succeeded: true,
                ..Attempt::default()
            });
        }
        let mut nodes = lab.info.from(Setting::RememberMe);
        nodes.push(logout);
        // Quote rotation only where it is drawn off: the copy was never used before, so a
        // token that rotates on use is still the one the attacker holds.
        let explanation = if rm.rotate_on_use == crate::engine::RotateOnUse::Keep {
            "The remember-me token is never rotated and survives logout: a copy keeps signing \
             in after the victim logged out. Rotate it on use and revoke it at logout."
        } else {
            "The remember-me token survives logout: a copy taken before the victim logged out \
             still signs in afterwards (rotation on use does not help, the copy was never \
             used). Revoke the device's token at logout."
        };
        return Some(Attempt::found(lab.observe(
            Gap::RememberStatic,
            nodes,
            explanation,
        )));
    }
    Some(Attempt::default())
}

pub(super) fn remember_me_sensitive(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sensitive = lab.info.sensitive.clone()?;
    let reauth = lab.reauth_of(&sensitive);
    let (_, token) = remembered(lab)?;
    lab.wait(3 * DAY);
    let session = auto_login(
        lab,
        "attacker",
        "opens the victim's browser days later; remember-me signs it in".into(),
        &token,
        &LAPTOP,
    )
    .ok()?;
    let victim = lab.victim;
    let r = lab.act(
        "attacker",
        format!("does {}", lab.label(&sensitive)),
        &sensitive,
        |e| e.sensitive_action_with(&session.credential.value, &LAPTOP, reauth),
        |a| accepted_as(victim, a.user),
    );
    if r.is_ok() {
        let mut nodes = lab.info.from(Setting::RememberMe);
        let action = lab.label(&sensitive);
        nodes.push(sensitive);
        return Some(Attempt::found(lab.observe(
            Gap::RememberEscalation,
            nodes,
            format!(
                "A remember-me auto-login grants sensitive actions: whoever holds the token can \
                 do {action} without proving the password. Ask for re-authentication."
            ),
        )));
    }
    Some(Attempt::default())
}
