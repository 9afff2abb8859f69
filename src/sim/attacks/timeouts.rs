//! Timeouts: sessions that outlive the profile's limits while unused, busy or kept warm by pings,
//! and expiry that only the client enforces.

use super::*;

/// The end of a scene whose gap is a credential that outlived a limit: the cause comes from
/// the engine's grounds for accepting it.
pub(super) fn outlived(
    lab: &Lab<'_, '_>,
    accepted: Result<Accepted, Rejection>,
    what: &cause::Outlived,
) -> Option<Attempt> {
    outlived_on(lab, accepted.map(|a| a.grounds), what)
}

/// The same from the grounds of whatever let the credential through (a request, or the
/// refresh the victim's app made).
pub(super) fn outlived_on(
    lab: &Lab<'_, '_>,
    grounds: Result<Grounds, Rejection>,
    what: &cause::Outlived,
) -> Option<Attempt> {
    let Ok(grounds) = grounds else {
        return Some(Attempt::default());
    };
    let profile = &lab.world.config.profile;
    Some(match cause::outlived(lab.info, profile, &grounds, what) {
        Some(c) => Attempt::found(lab.observe(c.id, c.nodes, c.explanation)),
        None => Attempt::default(),
    })
}

/// Whether a drawn timeout lives only in the browser: the user's own browser then drops the
/// cookie when it runs out, and only a replayed copy (`replay_expired_cookie`) gets past it.
pub(super) fn client_side_timer(lab: &Lab<'_, '_>, setting: Setting) -> bool {
    let t = &lab.info.policy.timeouts;
    let enforcement = match setting {
        Setting::AbsoluteTimeout => t.absolute_enforcement,
        _ => t.idle_enforcement,
    };
    enforcement == ExpiryEnforcement::ClientOnly && !lab.info.sources.of(setting).is_empty()
}

pub(super) fn idle_user(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let limit = ms(lab.world.config.profile.idle_max?);
    if client_side_timer(lab, Setting::IdleTimeout) {
        return None;
    }
    let s = victim_session(lab)?;
    let away = limit + MINUTE;
    lab.wait(away);
    let action = format!(
        "comes back after {} without touching the page",
        human_ms(away)
    );
    let r = lab.as_victims_app(&s.credential.value, Some(&action));
    outlived_on(
        lab,
        r.map(|(_, g)| g),
        &cause::Outlived::Unused { for_ms: away },
    )
}

pub(super) fn always_active(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let limit = ms(lab.world.config.profile.absolute_max?);
    if client_side_timer(lab, Setting::AbsoluteTimeout) {
        return None;
    }
    let s = victim_session(lab)?;
    let signed_in = lab.now;
    let pace = lab.active_pace();
    let span = limit + HOUR;
    let Ok(cred) = lab.stay_active(&s.credential.value, pace, span - pace) else {
        return Some(Attempt::default());
    };
    let node = lab.info.request.clone();
    lab.step(
        "user",
        format!("stays active, a request every {}", human_ms(pace)),
        "all accepted".into(),
        &node,
    );
    lab.wait((signed_in + span).saturating_sub(lab.now));
    let age = lab.now - signed_in;
    let action = format!("makes a request {} after signing in", human_ms(age));
    let r = lab.as_victims_app(&cred, Some(&action));
    outlived_on(
        lab,
        r.map(|(_, g)| g),
        &cause::Outlived::Busy { age_ms: age },
    )
}

pub(super) fn pinging_tab(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let (ping, every) = lab.info.ping.clone()?;
    let idle = lab.info.policy.timeouts.idle.map(ms)?;
    let s = victim_session(lab)?;
    let span = (2 * idle + MINUTE).min(8 * HOUR).max(every * 2);
    let mut pings = 0u64;
    let mut done = 0;
    let mut cred = s.credential.value.clone();
    while done + every <= span {
        lab.wait(every);
        done += every;
        pings += 1;
        match lab.quietly(&cred, &LAPTOP, RequestKind::Background) {
            Ok(a) => {
                if let Some(r) = a.renewed {
                    cred = r.value;
                }
            }
            Err(_) => return Some(Attempt::default()),
        }
    }
    lab.step(
        "user",
        format!(
            "leaves the tab open and does nothing; it pings every {} ({pings} pings)",
            human_ms(every)
        ),
        "all accepted".into(),
        &ping,
    );
    let r = lab.present(
        "user",
        format!(
            "clicks, {} after the last action (the idle timeout is {})",
            human_ms(done),
            human_ms(idle)
        ),
        &cred,
        &LAPTOP,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::Pinged { for_ms: done, ping })
}

pub(super) fn replay_expired_cookie(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let t = lab.info.policy.timeouts;
    // The first timer the page's script enforces alone: a replay gets past it. One the server
    // checks leaves nothing for a replay to get past.
    let client = |e: ExpiryEnforcement, d: Option<std::time::Duration>| {
        d.filter(|_| e == ExpiryEnforcement::ClientOnly).map(ms)
    };
    let (expiry, absolute) = match (
        client(t.idle_enforcement, t.idle),
        client(t.absolute_enforcement, t.absolute),
    ) {
        (Some(idle), _) => (idle, false),
        (None, Some(cap)) => (cap, true),
        (None, None) => return None,
    };
    let s = victim_session(lab)?;
    let node = lab.info.request.clone();
    let mut cred = s.credential.value.clone();
    if absolute {
        // The user works until the page's cap deletes the cookie (a server-checked idle
        // timeout stays satisfied at this pace).
        let pace = lab.active_pace();
        cred = lab.stay_active(&cred, pace, expiry + MINUTE).ok()?;
        lab.step(
            "user",
            format!(
                "works all day; after {} the page's timer deletes the cookie",
                human_ms(expiry)
            ),
            "cookie gone from the browser".into(),
            &node,
        );
    } else {
        lab.wait(expiry);
        lab.step(
            "user",
            format!(
                "walks away; after {} the page's timer deletes the cookie",
                human_ms(expiry)
            ),
            "cookie gone from the browser".into(),
            &node,
        );
        lab.wait(MINUTE);
    }
    let r = lab.present(
        "attacker",
        "replays a copy of the cookie taken earlier",
        &cred,
        &NEARBY,
        RequestKind::UserAction,
    );
    outlived(lab, r, &cause::Outlived::ClientTimer { absolute })
}
