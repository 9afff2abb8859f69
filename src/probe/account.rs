//! The endings a user asks for, played with two sessions open: "log out of all devices" and a
//! password change (only on a throwaway test account, and changed back), each followed by the
//! other session asking whether it is still signed in; and remember-me, its cookie's lifetime
//! and whether it signs in again after sign-out.

use super::{Check, Jar, ProbeError, Session, Verdict, lifetime, merge, set_cookies, waits};
use crate::compile::{self, Op, Plan, Profile, Setting};
use crate::engine::{self as e};
use crate::model::NodeId;
use crate::report::{Finding, Gap};

/// Two signed-in sessions of the test account, or `None` (with the check said) when the second
/// sign-in ended the first (one session at a time).
fn two_sessions(
    s: &mut Session<'_>,
    check: impl FnOnce(String) -> Check,
    checks: &mut Vec<Check>,
) -> Result<Option<(Jar, Jar)>, ProbeError> {
    let (first, _) = s.sign_in(&Jar::new())?;
    let (second, _) = s.sign_in(&Jar::new())?;
    if !s.signed_in(&second)? {
        return Err(s.not_signed_in());
    }
    if !s.signed_in(&first)? {
        checks.push(check(
            "the second sign-in ended the first (one session at a time): there is no other \
             session to end"
                .to_owned(),
        ));
        return Ok(None);
    }
    Ok(Some((first, second)))
}

/// What the session that acted and the other one say afterwards.
fn both(here_alive: bool, other_alive: bool) -> &'static str {
    match (here_alive, other_alive) {
        (false, false) => "both sessions are signed out",
        (true, false) => "the other session is signed out, this one is still signed in",
        (false, true) => "this session is signed out, the other one is still signed in",
        (true, true) => "both sessions are still signed in",
    }
}

fn not_checked(setting: Setting, drawn: &str, why: &str, node: &NodeId) -> Check {
    Check {
        setting: setting.to_string(),
        drawn: drawn.to_owned(),
        observed: why.to_owned(),
        verdict: Verdict::NotChecked,
        node: Some(node.clone()),
        covers: Vec::new(),
    }
}

/// "Log out of all devices" pressed in one session while another is open.
pub(super) fn logout_everywhere(
    s: &mut Session<'_>,
    plan: &Plan,
    flow: &compile::Flow,
    checks: &mut Vec<Check>,
    findings: &mut Vec<Finding>,
) -> Result<(), ProbeError> {
    let Some(node) = flow.offers.logout_everywhere.first().cloned() else {
        return Ok(());
    };
    let invalidation = match plan.ops.of(&node) {
        Op::Logout(endpoint) => endpoint.invalidation,
        _ => flow.policy.logout.invalidation,
    };
    let drawn = match invalidation {
        e::LogoutInvalidation::ServerSide => "every session of the user ends",
        e::LogoutInvalidation::ClientOnly => "only this browser forgets its cookie",
    };
    let setting = Setting::LogoutEverywhere;
    let Some(call) = s.target.logout_everywhere.clone() else {
        checks.push(not_checked(
            setting,
            drawn,
            "no logout_everywhere in the target file",
            &node,
        ));
        return Ok(());
    };
    let from = s.log.len();
    let Some((here, other)) =
        two_sessions(s, |why| not_checked(setting, drawn, &why, &node), checks)?
    else {
        return Ok(());
    };
    s.send(&call, &here)?;
    let other_alive = s.signed_in(&other)?;
    let here_alive = s.signed_in(&here)?;
    let observed = both(here_alive, other_alive);
    let expected_other_alive = invalidation == e::LogoutInvalidation::ClientOnly;
    checks.push(Check {
        setting: setting.to_string(),
        drawn: drawn.to_owned(),
        observed: observed.to_owned(),
        verdict: if other_alive == expected_other_alive {
            Verdict::Matches
        } else {
            Verdict::Drifts
        },
        node: Some(node.clone()),
        covers: vec![Gap::LogoutOthersNone],
    });
    if other_alive {
        let mut f = Finding::new(
            Gap::LogoutOthersNone,
            vec![node.clone()],
            format!(
                "Observed on the running application: after \"log out of all devices\", {observed}. \
                 A user who lost a phone cannot shut it out. End every session of the user on \
                 the server."
            ),
        );
        f.evidence = s.evidence(from, &node);
        findings.push(f);
    }
    Ok(())
}

/// A password change made in one session while another is open, then changed back.
pub(super) fn password_change(
    s: &mut Session<'_>,
    plan: &Plan,
    flow: &compile::Flow,
    checks: &mut Vec<Check>,
    findings: &mut Vec<Finding>,
) -> Result<(), ProbeError> {
    let Some(node) = flow.offers.password_change.first().cloned() else {
        return Ok(());
    };
    let sessions = match plan.ops.of(&node) {
        Op::PasswordChange(endpoint) => endpoint.sessions,
        _ => flow.policy.logout.on_credential_change,
    };
    let drawn = match sessions {
        e::CredentialChange::EndOthers => "the other sessions end, this one carries on",
        e::CredentialChange::EndAll => "every session ends, this one too",
        e::CredentialChange::KeepAll => "every session carries on",
    };
    let setting = Setting::CredentialChange;
    let Some(calls) = s.target.password_change.clone() else {
        checks.push(not_checked(
            setting,
            drawn,
            "no password_change in the target file",
            &node,
        ));
        return Ok(());
    };
    if !s.target.throwaway_account {
        checks.push(not_checked(
            setting,
            drawn,
            "the target file does not mark the account as a throwaway (throwaway_account: true), \
             so the probe does not change its password",
            &node,
        ));
        return Ok(());
    }
    let from = s.log.len();
    let Some((mut here, other)) =
        two_sessions(s, |why| not_checked(setting, drawn, &why, &node), checks)?
    else {
        return Ok(());
    };
    let changed = s.send(&calls.change, &here)?;
    merge(&mut here, &set_cookies(&changed));
    let other_alive = s.signed_in(&other)?;
    let here_alive = s.signed_in(&here)?;
    let mut observed = both(here_alive, other_alive).to_owned();
    let expected = match sessions {
        e::CredentialChange::EndOthers => (true, false),
        e::CredentialChange::EndAll => (false, false),
        e::CredentialChange::KeepAll => (true, true),
    };
    // Changing it back, and proving it: a fresh sign-in with the original password.
    let restored = if here_alive {
        let back = s.send(&calls.restore, &here)?;
        merge(&mut here, &set_cookies(&back));
        let (fresh, _) = s.sign_in(&Jar::new())?;
        s.signed_in(&fresh)?
    } else {
        false
    };
    if !restored {
        observed.push_str(
            "; the password could NOT be changed back: sign in with the new password and \
             restore it by hand",
        );
    }
    checks.push(Check {
        setting: setting.to_string(),
        drawn: drawn.to_owned(),
        observed: observed.clone(),
        verdict: if (here_alive, other_alive) == expected {
            Verdict::Matches
        } else {
            Verdict::Drifts
        },
        node: Some(node.clone()),
        covers: vec![Gap::CredChangeSurvive],
    });
    if other_alive {
        let mut f = Finding::new(
            Gap::CredChangeSurvive,
            vec![node.clone()],
            format!(
                "Observed on the running application: after a password change in one session, \
                 {observed}. Someone who had the old password keeps the session they opened \
                 with it. End the other sessions when the password changes."
            ),
        );
        f.evidence = s.evidence(from, &node);
        findings.push(f);
    }
    Ok(())
}

/// Remember-me: the token cookie's lifetime against the drawing, and a copy of it presented
/// alone after sign-out.
pub(super) fn remember_me(
    s: &mut Session<'_>,
    flow: &compile::Flow,
    profile: &Profile,
    checks: &mut Vec<Check>,
    findings: &mut Vec<Finding>,
) -> Result<(), ProbeError> {
    let Some(node) = flow
        .sources
        .of(Setting::RememberMe)
        .first()
        .cloned()
        .or_else(|| flow.offers.remember_me.first().cloned())
    else {
        return Ok(());
    };
    let rm = flow.policy.remember_me;
    if !rm.offered {
        return Ok(());
    }
    let lifetime_node = flow
        .sources
        .of(Setting::RememberMeLifetime)
        .first()
        .cloned()
        .unwrap_or_else(|| node.clone());
    let drawn_logout = match rm.on_logout {
        e::RememberOnLogout::Revoke => "sign-out revokes the token",
        e::RememberOnLogout::Survive => "the token survives sign-out",
    };
    let Some(binding) = s.target.remember_me.clone() else {
        checks.push(not_checked(
            Setting::RememberMe,
            drawn_logout,
            "no remember_me in the target file",
            &node,
        ));
        return Ok(());
    };
    let from = s.log.len();
    let (jar, response) = s.sign_in_with(&Jar::new(), std::slice::from_ref(&binding.field))?;
    if !s.signed_in(&jar)? {
        return Err(s.not_signed_in());
    }
    let Some((_, token)) = jar.iter().find(|(n, _)| *n == binding.cookie).cloned() else {
        checks.push(Check {
            setting: Setting::RememberMe.to_string(),
            drawn: "remember-me is offered".into(),
            observed: format!(
                "signing in with remember-me ticked sets no `{}` cookie",
                binding.cookie
            ),
            verdict: Verdict::Drifts,
            node: Some(node.clone()),
            covers: Vec::new(),
        });
        return Ok(());
    };
    let mut kept = waits::cookie_lifetime(
        rm.lifetime,
        lifetime(&response, &binding.cookie),
        &lifetime_node,
    );
    kept.setting = Setting::RememberMeLifetime.to_string();
    if let (Some(max), Some(sent)) = (
        profile.remember_me_max,
        lifetime(&response, &binding.cookie),
    ) && sent > max
    {
        // Only the cookie's lifetime is seen; whether the server honours the token that long
        // is not, so this is said in the check, not claimed as a finding.
        kept.observed.push_str(&format!(
            " (profile {} allows {}; whether the server still honours it that late is not \
             waited for)",
            profile.name,
            compile::human(max)
        ));
    }
    checks.push(kept);

    let (Some(logout), Some(_)) = (s.target.logout.clone(), flow.offers.logout.first()) else {
        checks.push(not_checked(
            Setting::RememberMe,
            drawn_logout,
            "no logout drawn and in the target file to sign out with",
            &node,
        ));
        return Ok(());
    };
    s.send(&logout, &jar)?;
    let copy = vec![(binding.cookie.clone(), token)];
    let survives = s.signed_in(&copy)?;
    // A sign-out that never reaches the server leaves the session cookie signed in too: then
    // the cause is the sign-out (the logout check reports it), not the remember-me token.
    let session_copy: Jar = jar
        .iter()
        .filter(|(n, _)| *n != binding.cookie)
        .cloned()
        .collect();
    let logout_noop = !session_copy.is_empty() && s.signed_in(&session_copy)?;
    let observed = match (survives, logout_noop) {
        (false, _) => "a copy of the token taken before sign-out is refused",
        (true, false) => "a copy of the token taken before sign-out signs in again",
        (true, true) => {
            "a copy of the token taken before sign-out signs in again, and so does the session \
             cookie: the sign-out does not reach the server"
        }
    };
    let expected = rm.on_logout == e::RememberOnLogout::Survive;
    checks.push(Check {
        setting: Setting::RememberMe.to_string(),
        drawn: drawn_logout.to_owned(),
        observed: observed.to_owned(),
        verdict: if logout_noop {
            // The token's own revocation cannot be seen through a sign-out the server never hears.
            Verdict::NotChecked
        } else if survives == expected {
            Verdict::Matches
        } else {
            Verdict::Drifts
        },
        node: Some(node.clone()),
        covers: vec![Gap::RememberStatic],
    });
    if survives && !logout_noop {
        let mut nodes = vec![node.clone()];
        nodes.extend(flow.offers.logout.first().cloned());
        let mut f = Finding::new(
            Gap::RememberStatic,
            nodes,
            format!(
                "Observed on the running application: {observed}. Whoever copied the \
                 remember-me cookie keeps the account after the user signed out. Revoke the \
                 device's token at sign-out."
            ),
        );
        f.evidence = s.evidence(from, &node);
        findings.push(f);
    }
    Ok(())
}
