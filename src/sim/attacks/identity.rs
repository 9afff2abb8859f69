//! Identifiers and creation: predicted and made-up ids, fixation, stale privileges, and sessions
//! handed out before verification, MFA or a completed reset.

use super::*;

pub(super) fn predict_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    let victim = victim_session(lab)?;
    let pause = lab.rng.random_range(SECOND..5 * SECOND);
    lab.wait(pause);
    let attacker = lab.account(true, Role::USER);
    let mut seen = Vec::new();
    for _ in 0..20 {
        let login = LoginRequest {
            user: attacker,
            client: FAR_SAME_UA,
            mfa: MfaStatus::NotEnrolled,
            remember_me: RememberMe::No,
            presented_id: None,
            idp_session: None,
        };
        if let Ok(i) = lab.quiet(|e| e.login(&login)) {
            seen.push(i.credential.value);
        }
        lab.wait(10);
    }
    let sample = seen.first()?.clone();
    let node = lab.info.create.clone();
    lab.step(
        "attacker",
        "signs in 20 times with its own account and studies its session ids".into(),
        format!("ids like {}", short(&sample)),
        &node,
    );
    // The attacker draws all its guesses before trying them: made one at a time into one
    // buffer, with the draws of the ones it never needed still taken from the RNG.
    let mut rng = lab.rng.clone();
    let guesses = guesses(&seen);
    let tried = guesses.count();
    let mut buffer = Vec::new();
    for n in 0..tried {
        let guess = guesses.make(n, &mut rng, &mut buffer);
        if let Ok(a) = lab.quietly(guess, &LAPTOP, RequestKind::UserAction)
            && a.user.is_some_and(|u| u != attacker)
        {
            guesses.draw_unmade(tried - n - 1, &mut rng);
            *lab.rng = rng;
            let whom = lab.accepted_as(a.user);
            lab.step(
                "attacker",
                format!(
                    "derives candidate ids from its own and tries them ({} {})",
                    n + 1,
                    if n == 0 { "try" } else { "tries" }
                ),
                format!("id {}: {whom}", short(guess)),
                &node,
            );
            let _ = victim;
            return Some(Attempt::found(lab.observe(
                Gap::SessIdPredictable,
                lab.info.from(Setting::Ids),
                "Session ids can be predicted: from ids it was given itself, an attacker \
                 worked out a live id of another user and the server accepted it. Ids must come \
                 from a CSPRNG with at least 128 bits.",
            )));
        }
    }
    *lab.rng = rng;
    lab.step(
        "attacker",
        format!("derives candidate ids from its own and tries them ({tried} tries)"),
        "none accepted".into(),
        &node,
    );
    Some(Attempt::default())
}

/// Candidate ids an attacker derives from ids it was given: neighbours of counters, nearby
/// times for timestamp-like numbers, and for short random-looking ids every combination of
/// the characters seen at each position (or a random sample when there are too many).
pub(super) enum Guesses {
    /// Worked out in full.
    Listed(Vec<String>),
    /// [`GUESS_BUDGET`] random picks from the characters allowed at each position: for each
    /// position, the character a 6-bit pick `k` stands for (the set's `k mod len`-th).
    Sampled(Vec<[u8; 64]>),
}

impl Guesses {
    pub(super) fn count(&self) -> usize {
        match self {
            Guesses::Listed(all) => all.len(),
            Guesses::Sampled(_) => GUESS_BUDGET,
        }
    }

    /// Writes guess `n` into `out`; sampled guesses must be made in order, each drawing from
    /// `rng`.
    pub(super) fn make<'b>(&self, n: usize, rng: &mut ChaCha8Rng, out: &'b mut Vec<u8>) -> &'b str {
        out.clear();
        match self {
            Guesses::Listed(all) => out.extend_from_slice(all[n].as_bytes()),
            Guesses::Sampled(picks) => {
                // Ten 6-bit picks per random word.
                for ten in picks.chunks(10) {
                    let mut bits = rng.next_u64();
                    out.extend(ten.iter().map(|pick| {
                        let c = pick[(bits & 63) as usize];
                        bits >>= 6;
                        c
                    }));
                }
            }
        }
        // Every character came from an id or an ASCII alphabet.
        std::str::from_utf8(out).unwrap_or_default()
    }

    /// Takes from `rng` what making `left` more guesses would have taken.
    pub(super) fn draw_unmade(&self, left: usize, rng: &mut ChaCha8Rng) {
        if let Guesses::Sampled(picks) = self {
            for _ in 0..left * picks.len().div_ceil(10) {
                rng.next_u64();
            }
        }
    }
}

pub(super) fn guesses(seen: &[String]) -> Guesses {
    let numbers: Option<Vec<u128>> = seen.iter().map(|s| s.parse::<u128>().ok()).collect();
    if let Some(mut numbers) = numbers {
        numbers.sort_unstable();
        let first = numbers[0];
        let step = numbers.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1);
        let mut out = Vec::new();
        if step >= 1_000 {
            // Looks like milliseconds × 1000 + a counter: search back in time.
            let ms = first / 1_000;
            for back in 1..=(GUESS_BUDGET as u128 / 3) {
                for c in 1..=3 {
                    out.push(((ms.saturating_sub(back)) * 1_000 + c).to_string());
                }
            }
        } else {
            for back in 1..=GUESS_BUDGET as u128 {
                if back > first {
                    break;
                }
                out.push((first - back).to_string());
            }
        }
        out.truncate(GUESS_BUDGET);
        return Guesses::Listed(out);
    }
    let len = seen[0].len();
    if seen.iter().any(|s| s.len() != len) {
        return Guesses::Listed(Vec::new());
    }
    let hex = seen.iter().all(|s| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    let alphabet: Vec<u8> = if hex {
        b"0123456789abcdef".to_vec()
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".to_vec()
    };
    // Positions that barely vary keep what was seen; the others take the whole alphabet.
    let sets: Vec<Vec<u8>> = (0..len)
        .map(|i| {
            let mut chars: Vec<u8> = seen.iter().map(|s| s.as_bytes()[i]).collect();
            chars.sort_unstable();
            chars.dedup();
            if chars.len() * 4 <= seen.len() {
                chars
            } else {
                alphabet.clone()
            }
        })
        .collect();
    let space = sets
        .iter()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.len()));
    let make = |mut n: usize| -> String {
        let mut s = Vec::with_capacity(len);
        for set in sets.iter().rev() {
            s.push(set[n % set.len()]);
            n /= set.len();
        }
        s.reverse();
        String::from_utf8(s).unwrap_or_default()
    };
    match space {
        Some(space) if space <= GUESS_BUDGET => Guesses::Listed((0..space).map(make).collect()),
        // Sets have at most 64 characters, all ASCII.
        _ => Guesses::Sampled(
            sets.iter()
                .map(|set| std::array::from_fn(|k| set[k % set.len()]))
                .collect(),
        ),
    }
}

pub(super) fn short(id: &str) -> String {
    if id.chars().count() > 12 {
        format!("{}…", id.chars().take(10).collect::<String>())
    } else {
        id.to_owned()
    }
}

/// An id in the server's format that the attacker made up.
pub(super) fn made_up_like(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '0'..='9' => '7',
            'a'..='z' => 'a',
            'A'..='Z' => 'Q',
            other => other,
        })
        .collect()
}

pub(super) fn made_up_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    let sample = lab
        .quiet(|e| e.start_anonymous(&ELSEWHERE, None))
        .ok()?
        .value;
    let made_up = made_up_like(&sample);
    let node = lab.info.create.clone();
    lab.step(
        "attacker",
        format!(
            "makes up the id {} and sets it as a cookie in the victim's browser",
            short(&made_up)
        ),
        "planted".into(),
        &node,
    );
    let adopted = lab.act(
        "user",
        "visits the site with the planted cookie",
        &node,
        |e| e.start_anonymous(&LAPTOP, Some(&made_up)),
        |c| {
            if c.value == made_up {
                "the server adopted the made-up id".to_owned()
            } else {
                "the server issued its own id instead".to_owned()
            }
        },
    );
    let victim = lab.victim;
    let presented = adopted.ok().map(|c| c.value);
    lab.sign_in(
        victim,
        LAPTOP,
        SignIn {
            presented: presented.as_deref(),
            ..SignIn::default()
        },
    )
    .ok()?;
    lab.wait(MINUTE);
    let replay = lab.present(
        "attacker",
        format!("uses its made-up id {}", short(&made_up)),
        &made_up,
        &NEARBY,
        RequestKind::UserAction,
    );
    if replay.is_ok_and(|a| a.user == Some(victim)) {
        let mut nodes = lab.info.from(Setting::Ids);
        nodes.extend(lab.info.from(Setting::LoginRotation));
        return Some(Attempt::found(lab.observe(
            Gap::SessIdPermissive,
            nodes,
            "The server adopts session ids the client makes up: an attacker planted an id of \
             its own choosing, the victim signed in with it, and the attacker's id became the \
             victim's session. Refuse ids the server did not issue, and rotate at login.",
        )));
    }
    Some(Attempt::default())
}

pub(super) fn plant_id(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    if lab.info.policy.mechanism != Mechanism::ServerSide {
        return None;
    }
    let node = lab.info.create.clone();
    let planted = lab
        .act(
            "attacker",
            "gets an anonymous session id from the site and plants it in the victim's browser",
            &node,
            |e| e.start_anonymous(&ELSEWHERE, None),
            |c| format!("id {}", short(&c.value)),
        )
        .ok()?
        .value;
    let victim = lab.victim;
    let issued = lab
        .sign_in(
            victim,
            LAPTOP,
            SignIn {
                presented: Some(&planted),
                ..SignIn::default()
            },
        )
        .ok()?;
    lab.wait(MINUTE);
    let replay = lab.present(
        "attacker",
        format!("uses the planted id {}", short(&planted)),
        &planted,
        &NEARBY,
        RequestKind::UserAction,
    );
    if !replay.is_ok_and(|a| a.user == Some(victim)) {
        return Some(Attempt::default());
    }
    let nodes = lab.info.from(Setting::LoginRotation);
    Some(Attempt::found(if issued.credential.value == planted {
        lab.observe(
            Gap::SessFixNorotate,
            nodes,
            "Session fixation: the session id is not rotated at login, so an id the attacker \
             planted before the victim signed in becomes the victim's authenticated session.",
        )
    } else {
        lab.observe(
            Gap::SessFixOldidAlive,
            nodes,
            "The session id is rotated at login but the pre-login id keeps working, so an \
             attacker who planted it is signed in as the victim. End the old id when rotating.",
        )
    }))
}

pub(super) fn stale_privileges(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let change = lab.info.privilege_change.clone()?;
    let admin = lab.account(true, Role::ADMIN);
    lab.victim = admin;
    let session = lab.sign_in(admin, LAPTOP, SignIn::default()).ok()?;
    lab.wait(10 * MINUTE);
    let _ = lab.act(
        "admin",
        format!(
            "changes the user's role from administrator to user at {}",
            lab.label(&change)
        ),
        &change,
        |e| e.change_role(admin, Role::USER, None, &ELSEWHERE),
        |r| format!("role changed; {} other session(s) ended", r.ended),
    );
    lab.wait(MINUTE);
    let used = lab.present(
        "user",
        "uses the session opened as an administrator for an admin action",
        &session.credential.value,
        &LAPTOP,
        RequestKind::StateChange,
    );
    match used {
        Ok(a) if a.role == Role::ADMIN => Some(Attempt::found(lab.observe(
            Gap::SessPrivStale,
            lab.info.from(Setting::PrivilegeChange),
            "A demoted administrator's existing session still carries the administrator role: \
             a role change must rotate the session or reload its privileges.",
        ))),
        _ => Some(Attempt::default()),
    }
}

pub(super) fn skip_verification(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let sign_up = lab.info.sign_up.clone()?;
    let user = lab.account(false, Role::USER);
    lab.victim = user;
    before_completion(
        lab,
        SignIn {
            at: Some(sign_up),
            ..SignIn::default()
        },
        MINUTE,
        "skips the emailed verification link and opens a protected page",
        "A full session is issued before the email address is verified: someone can sign \
         up with an address they do not own and use the account at once.",
    )
}

pub(super) fn skip_mfa(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let login = lab.info.mfa_login.clone()?;
    before_completion(
        lab,
        SignIn {
            mfa: MfaStatus::Pending,
            at: Some(login),
            ..SignIn::default()
        },
        SECOND,
        "has the password but not the second factor, and opens a protected page",
        "A full session exists before the MFA step is completed: a stolen password alone \
         opens the account.",
    )
}

pub(super) fn skip_reset(lab: &mut Lab<'_, '_>) -> Option<Attempt> {
    let reset = lab.info.reset.clone()?;
    let victim = lab.victim;
    let link = LoginRequest {
        user: victim,
        client: ELSEWHERE,
        mfa: MfaStatus::NotEnrolled,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    };
    let opened = lab.act(
        "attacker",
        format!(
            "follows the victim's reset link (leaked from a forwarded email) at {}",
            lab.label(&reset)
        ),
        &reset,
        |e| e.follow_reset_link(&link),
        |i| {
            if i.access == crate::engine::Access::Full {
                "a full session is issued".to_owned()
            } else {
                "a session that can only set the new password".to_owned()
            }
        },
    );
    let Ok(issued) = opened else {
        return Some(Attempt::default());
    };
    lab.wait(SECOND);
    let used = lab.present(
        "attacker",
        "sets no new password and opens a protected page",
        &issued.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    proven(
        lab,
        used.is_ok(),
        Gap::SessPreverify,
        vec![reset],
        "The password-reset link opens a full session before the new password is set: whoever \
         gets hold of the link is signed in without ever choosing a password. Give the link a \
         session that can only set the new password.",
    )
}

/// The victim's account is signed in from the attacker's machine with a step still to do
/// (`how`), and after `pause` a protected page is opened: a gap when the engine serves it.
pub(super) fn before_completion(
    lab: &mut Lab<'_, '_>,
    how: SignIn<'_>,
    pause: u64,
    action: &str,
    explanation: &str,
) -> Option<Attempt> {
    let victim = lab.victim;
    // The entry the attacker came through is the one that hands out the early session: the
    // finding blames it alone, not every entry that sets an account state.
    let entry = how.at.clone();
    let issued = lab
        .sign_in(
            victim,
            ELSEWHERE,
            SignIn {
                by: Some("attacker"),
                ..how
            },
        )
        .ok()?;
    lab.wait(pause);
    let used = lab.present(
        "attacker",
        action,
        &issued.credential.value,
        &ELSEWHERE,
        RequestKind::UserAction,
    );
    proven(
        lab,
        used.is_ok(),
        Gap::SessPreverify,
        entry.map_or_else(|| lab.info.from(Setting::AccountState), |n| vec![n]),
        explanation,
    )
}
