//! Endings that must end the session: logout, logout everywhere, password change, disable, an
//! administrator's kill and the identity provider's logout, each replayed afterwards.

use super::*;

/// A replay probe turned into an attempt: latency always, the finding when it got through.
pub(super) fn replayed(lab: &Lab<'_, '_>, p: &Probe, ending: &cause::Ending) -> Attempt {
    let observation = lab.survived(p, ending);
    Attempt {
        succeeded: observation.is_some(),
        latency: Some(p.latency),
        observations: observation.into_iter().collect(),
        ..Attempt::default()
    }
}

pub(super) fn replay_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab
        .info
        .logout
        .clone()
        .or_else(|| lab.info.logout_everywhere.clone())?;
    let s = copied(lab, "malware, a shared computer or a proxy log")?;
    lab.wait(30 * SECOND);
    let out = lab.log_out_at(&logout, &s.credential.value, "logs out")?;
    let p = lab.probe_after_revocation(
        "attacker",
        "the copied credential",
        &s.credential.value,
        &NEARBY,
    );
    let endpoint = lab.logout_endpoint(&logout);
    let ending = cause::Ending::Logout {
        invalidation: endpoint.invalidation,
        scope: endpoint.scope,
        node: logout,
        ended: out.ended,
    };
    Some(replayed(lab, &p, &ending))
}

pub(super) fn refresh_after_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let logout = lab
        .info
        .logout
        .clone()
        .or_else(|| lab.info.logout_everywhere.clone())?;
    let refresh = lab.info.refresh.clone()?;
    let s = copied(lab, "the refresh token, from a backup of the device")?;
    let token = s.refresh.as_ref()?.value.clone();
    lab.log_out_at(&logout, &s.credential.value, "logs out")?;
    lab.wait(MINUTE);
    let victim = lab.victim;
    let r = lab.act(
        "attacker",
        "exchanges the copied refresh token for a new access token",
        &refresh,
        |e| e.refresh(&token, &NEARBY, RequestKind::Background),
        |i| accepted_as(victim, Some(i.user)),
    );
    let keeps = lab.logout_endpoint(&logout).refresh == RefreshOnLogout::Keep;
    if r.is_ok() {
        let mut nodes = vec![logout];
        nodes.push(refresh);
        let why = if keeps {
            "this logout is drawn to keep refresh tokens"
        } else {
            "the refresh token family was not ended"
        };
        return Some(Attempt::found(lab.observe(
            Gap::RtSurvivesLogout,
            nodes,
            format!(
                "Logout does not revoke the refresh token ({why}): after the user logged out, \
                 the token still mints new access tokens."
            ),
        )));
    }
    Some(Attempt::default())
}

pub(super) fn logout_everywhere(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let victim = lab.victim;
    let laptop = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                device: Some("laptop"),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    let phone = lab
        .sign_in(
            victim,
            PHONE,
            SignIn {
                device: Some("phone"),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    if lab
        .quietly(&laptop.credential.value, &LAPTOP, RequestKind::UserAction)
        .is_err()
    {
        // One session at a time: signing in on the phone already ended the laptop's.
        return Some(Attempt::default());
    }
    let drawn = lab.info.logout_everywhere.clone();
    let Some(everywhere) = drawn else {
        // Nothing to press: the user can only log out of the laptop.
        let logout = lab.info.logout.clone()?;
        lab.log_out_at(
            &logout,
            &laptop.credential.value,
            "looks for \"log out of all devices\" (the phone was lost); finds only this logout",
        )?;
        lab.wait(MINUTE);
        let r = lab.present(
            "user",
            "the phone (in someone else's hands) opens the app",
            &phone.credential.value,
            &PHONE,
            RequestKind::UserAction,
        );
        return proven(
            lab,
            r.is_ok(),
            Gap::LogoutOthersNone,
            vec![logout],
            "No \"log out of all devices\" is drawn: a user who lost a phone can only log out \
             where they are, and the session on the other device stays valid. Draw a logout \
             with the all-devices scope.",
        );
    };
    let out = lab.log_out_at(
        &everywhere,
        &laptop.credential.value,
        "on the laptop, logs out of all devices (the phone was lost)",
    )?;
    lab.wait(MINUTE);
    let r = lab.present(
        "user",
        "the phone (in someone else's hands) opens the app",
        &phone.credential.value,
        &PHONE,
        RequestKind::UserAction,
    );
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let endpoint = lab.logout_endpoint(&everywhere);
    let ending = cause::Ending::Logout {
        invalidation: endpoint.invalidation,
        scope: endpoint.scope,
        node: everywhere,
        ended: out.ended,
    };
    let c = cause::survived(lab.info, &accepted.grounds, &ending, None);
    Some(Attempt::found(lab.observe(c.id, c.nodes, c.explanation)))
}

pub(super) fn replay_after_password_change(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let change = lab.info.password_change.clone()?;
    let endpoint = match lab.world.op(&change) {
        Op::PasswordChange(endpoint) => endpoint,
        _ => return None,
    };
    let victim = lab.victim;
    let stolen = lab.sign_in(victim, ELSEWHERE, SignIn::default()).ok()?;
    if let Some(step) = lab.trace.last_mut() {
        // Behind a required second factor, a phishing page relays the one-time code too.
        step.action = if lab.info.mfa_login.is_some() && lab.info.password_alone.is_none() {
            "signs in as the victim through a real-time phishing page (password and one-time code)"
                .into()
        } else {
            "signs in as the victim with a phished password".into()
        };
        step.actor = "attacker".into();
    }
    lab.wait(5 * MINUTE);
    let own = lab.sign_in(victim, LAPTOP, SignIn::default()).ok()?;
    lab.wait(MINUTE);
    let _ = lab.act(
        "user",
        "notices, and changes the password",
        &change,
        |e| e.change_password_at(victim, Some(&own.credential.value), &LAPTOP, endpoint),
        |c| {
            format!(
                "password changed; {} other session(s) ended",
                c.ended.sessions
            )
        },
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "its own session",
        &stolen.credential.value,
        &ELSEWHERE,
    );
    let keeps = endpoint.sessions == CredentialChange::KeepAll;
    let ending = cause::Ending::PasswordChange {
        node: change.clone(),
        keeps,
    };
    let mut attempt = replayed(lab, &p, &ending);
    if !p.accepted
        && let (Some(refresh), Some(token)) = (lab.info.refresh.clone(), stolen.refresh.as_ref())
    {
        let r = lab.act(
            "attacker",
            "uses its refresh token",
            &refresh,
            |e| e.refresh(&token.value, &ELSEWHERE, RequestKind::Background),
            |i| accepted_as(victim, Some(i.user)),
        );
        if r.is_ok() {
            attempt.succeeded = true;
            let why = if endpoint.refresh == RefreshOnLogout::Keep {
                "this password change is drawn to keep refresh tokens"
            } else {
                "the refresh token family was not ended"
            };
            attempt.observations.push(lab.observe(
                Gap::CredChangeSurvive,
                vec![change, refresh],
                format!(
                    "Changing the password leaves refresh tokens alive ({why}): the attacker's \
                     refresh token still mints access tokens after the victim changed the \
                     password."
                ),
            ));
        }
    }
    Some(attempt)
}

pub(super) fn replay_after_disable(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let disable = lab.info.account_disable.clone()?;
    let effect = match lab.world.op(&disable) {
        Op::Disable(effect) => effect,
        _ => return None,
    };
    let s = copied(lab, "the account is being taken over")?;
    lab.wait(30 * SECOND);
    let victim = lab.victim;
    let _ = lab.act(
        "admin",
        format!("disables the account at {}", lab.label(&disable)),
        &disable,
        |e| e.disable_account_with(victim, effect),
        |ended| format!("account disabled; {} session(s) ended", ended.sessions),
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "the session of the disabled account",
        &s.credential.value,
        &NEARBY,
    );
    let ending = cause::Ending::Disable {
        node: disable,
        keeps: effect == DisableEffect::KeepSessions,
    };
    Some(replayed(lab, &p, &ending))
}

pub(super) fn race_admin_kill(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let revoke = lab.info.admin_revoke.clone()?;
    let s = copied(lab, "an account takeover the fraud team just spotted")?;
    lab.wait(5 * MINUTE);
    let victim = lab.victim;
    let _ = lab.act(
        "admin",
        "ends all of the victim's sessions",
        &revoke,
        |e| Ok(e.admin_revoke(AdminScope::User(victim))),
        |ended| format!("{} session(s) ended", ended.sessions),
    );
    let p = lab.probe_after_revocation(
        "attacker",
        "the hijacked session, racing the kill",
        &s.credential.value,
        &NEARBY,
    );
    Some(replayed(
        lab,
        &p,
        &cause::Ending::AdminKill { node: revoke },
    ))
}

pub(super) fn replay_after_idp_logout(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let federated = lab.info.federated.clone()?;
    let victim = lab.victim;
    let idp = IdpSessionId(victim.0);
    let s = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                idp: Some(idp),
                at: Some(federated.clone()),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(5 * MINUTE);
    let event = IdpLogout {
        user: victim,
        idp_session: idp,
        browser_credential: Some(&s.credential.value),
    };
    let ended = lab
        .act(
            "idp",
            "the user signs out at the identity provider (or is disabled there)",
            &federated,
            |e| Ok::<_, Rejection>(e.idp_logout(&event)),
            |ended| format!("the app ended {} session(s)", ended.sessions),
        )
        .map_or(0, |ended| ended.sessions);
    lab.wait(MINUTE);
    let r = lab.present(
        "attacker",
        "replays a copy of the app session taken before",
        &s.credential.value,
        &NEARBY,
        RequestKind::UserAction,
    );
    let Ok(accepted) = r else {
        return Some(Attempt::default());
    };
    let ending = cause::Ending::IdpLogout {
        node: federated,
        ended,
    };
    let c = cause::survived(lab.info, &accepted.grounds, &ending, None);
    Some(Attempt::found(lab.observe(c.id, c.nodes, c.explanation)))
}
