//! The session engine, through its public API: strict policies end every credential when they
//! should, and each weak setting is a real weakness an attacker can use.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng as _;
use rand_chacha::ChaCha20Rng;
use sessionmap::engine::*;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

const ALICE: UserId = UserId(1);
const BOB: UserId = UserId(2);

const LAPTOP: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    geo: None,
    device: DeviceId(10),
    category: DeviceCategory::Desktop,
};

const PHONE: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20)),
    user_agent: "Mozilla/5.0 (iPhone) Safari/18.0",
    geo: None,
    device: DeviceId(20),
    category: DeviceCategory::Mobile,
};

/// The attacker replays stolen credentials from its own machine.
const ATTACKER: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 66)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    geo: None,
    device: DeviceId(666),
    category: DeviceCategory::Desktop,
};

/// An engine with verified accounts for Alice and Bob, and the clock that drives it.
fn engine_with(policy: Policy) -> (SessionEngine, ManualClock) {
    let clock = ManualClock::default();
    let mut engine = SessionEngine::new(
        policy,
        clock.clone(),
        NoAudit,
        ChaCha20Rng::seed_from_u64(7),
    )
    .expect("valid policy");
    for user in [ALICE, BOB] {
        engine.add_account(
            user,
            AccountSetup {
                role: Role::USER,
                email_verified: true,
            },
        );
    }
    (engine, clock)
}

fn login_req(user: UserId, client: Client<'static>) -> LoginRequest<'static> {
    LoginRequest {
        user,
        client,
        mfa: MfaStatus::NotEnrolled,
        remember_me: RememberMe::No,
        presented_id: None,
        idp_session: None,
    }
}

fn login(engine: &mut SessionEngine, user: UserId, client: Client<'static>) -> Issued {
    engine.login(&login_req(user, client)).expect("login")
}

fn remembered(engine: &mut SessionEngine, user: UserId, client: Client<'static>) -> String {
    let req = LoginRequest {
        remember_me: RememberMe::Asked,
        ..login_req(user, client)
    };
    let issued = engine.login(&req).expect("login");
    issued.remember_me.expect("remember-me token").value
}

fn view(
    engine: &mut SessionEngine,
    cred: &str,
    client: &Client<'_>,
) -> Result<Accepted, Rejection> {
    engine.validate(cred, client, RequestKind::UserAction)
}

/// Unpadded base64url, as an attacker crafting a token would write it.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn hybrid() -> Policy {
    Policy {
        mechanism: Mechanism::Hybrid,
        ..Policy::default()
    }
}

fn signed_token() -> Policy {
    Policy {
        mechanism: Mechanism::SignedToken,
        ..Policy::default()
    }
}

// ----- strict policies -----

#[derive(Clone, Debug)]
enum Step {
    Login(u8, bool),
    Advance(u16),
    Use(u8, bool),
    Logout(u8, bool),
    ChangePassword(u8),
    Disable(u8),
    AdminKill(u8),
    Refresh(u8),
    AutoLogin(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..3, any::<bool>()).prop_map(|(u, r)| Step::Login(u, r)),
        3 => (0u16..2000).prop_map(Step::Advance),
        5 => (0u8..16, any::<bool>()).prop_map(|(c, bg)| Step::Use(c, bg)),
        1 => (0u8..16, any::<bool>()).prop_map(|(c, all)| Step::Logout(c, all)),
        1 => (0u8..3).prop_map(Step::ChangePassword),
        1 => (0u8..3).prop_map(Step::Disable),
        1 => (0u8..3).prop_map(Step::AdminKill),
        2 => (0u8..16).prop_map(Step::Refresh),
        1 => (0u8..16).prop_map(Step::AutoLogin),
    ]
}

/// A credential the model has seen issued, and whether something has ended it.
struct Held {
    user: UserId,
    value: String,
    refresh: Option<String>,
    /// The session credential (id, access token) must no longer be accepted.
    dead: bool,
    /// The refresh token must no longer be accepted (the family was ended).
    family_dead: bool,
}

impl Held {
    fn new(user: UserId, issued: Issued) -> Self {
        Held {
            user,
            value: issued.credential.value,
            refresh: issued.refresh.map(|r| r.value),
            dead: false,
            family_dead: false,
        }
    }

    fn kill(&mut self) {
        self.dead = true;
        self.family_dead = true;
    }
}

/// A remember-me token the model has seen issued, and whether something has ended it.
struct Remembered {
    user: UserId,
    value: String,
    dead: bool,
}

/// Runs `steps` against a strict engine and checks that no ended credential is accepted.
fn run_strict(policy: Policy, steps: &[Step]) -> Result<(), TestCaseError> {
    let (mut engine, clock) = engine_with(policy);
    let users = [ALICE, BOB, UserId(3)];
    engine.add_account(users[2], AccountSetup::default());
    engine.verify_email(users[2]).ok();
    let mut held: Vec<Held> = Vec::new();
    let mut remember: Vec<Remembered> = Vec::new();
    let kill_user = |held: &mut Vec<Held>, remember: &mut Vec<Remembered>, user: UserId| {
        held.iter_mut()
            .filter(|h| h.user == user)
            .for_each(Held::kill);
        remember
            .iter_mut()
            .filter(|r| r.user == user)
            .for_each(|r| r.dead = true);
    };
    for step in steps {
        match *step {
            Step::Login(u, remember_me) => {
                let req = LoginRequest {
                    remember_me: if remember_me {
                        RememberMe::Asked
                    } else {
                        RememberMe::No
                    },
                    ..login_req(users[usize::from(u)], LAPTOP)
                };
                if let Ok(mut issued) = engine.login(&req) {
                    if let Some(token) = issued.remember_me.take() {
                        remember.push(Remembered {
                            user: req.user,
                            value: token.value,
                            dead: false,
                        });
                    }
                    held.push(Held::new(req.user, issued));
                }
            }
            Step::Advance(minutes) => {
                clock.advance(MINUTE * u32::from(minutes));
                // Whatever the timeouts have ended by now stays ended.
                for h in &mut held {
                    if engine
                        .validate(&h.value, &LAPTOP, RequestKind::Background)
                        .is_err()
                    {
                        h.dead = true;
                    }
                }
            }
            Step::Use(i, background) => {
                if let Some(h) = held.get_mut(usize::from(i)) {
                    let kind = if background {
                        RequestKind::Background
                    } else {
                        RequestKind::UserAction
                    };
                    let ok = engine.validate(&h.value, &LAPTOP, kind).is_ok();
                    prop_assert!(!(h.dead && ok), "ended credential accepted");
                    if !ok {
                        h.dead = true;
                    }
                }
            }
            Step::Logout(i, everywhere) => {
                if let Some(h) = held.get(usize::from(i)) {
                    let user = h.user;
                    let scope = if everywhere {
                        LogoutScope::Everywhere
                    } else {
                        LogoutScope::ThisDevice
                    };
                    let value = h.value.clone();
                    // Logging out with an ended credential is accepted (idempotent, the client
                    // still gets its cookies cleared) but proves nothing, so it ends nothing.
                    let was_live = !h.dead;
                    if engine.logout(&value, &LAPTOP, scope).is_ok() && was_live {
                        if everywhere {
                            kill_user(&mut held, &mut remember, user);
                        } else {
                            held.iter_mut()
                                .filter(|h| h.value == value)
                                .for_each(Held::kill);
                            remember
                                .iter_mut()
                                .filter(|r| r.user == user)
                                .for_each(|r| r.dead = true);
                        }
                    }
                }
            }
            Step::ChangePassword(u) => {
                let user = users[usize::from(u)];
                if engine.change_password(user, None, &LAPTOP).is_ok() {
                    kill_user(&mut held, &mut remember, user);
                }
            }
            Step::Disable(u) => {
                let user = users[usize::from(u)];
                if engine.disable_account(user).is_ok() {
                    kill_user(&mut held, &mut remember, user);
                }
            }
            Step::AdminKill(u) => {
                let user = users[usize::from(u)];
                engine.admin_revoke(AdminScope::User(user));
                kill_user(&mut held, &mut remember, user);
            }
            Step::Refresh(i) => {
                if let Some(h) = held.get(usize::from(i))
                    && let Some(refresh) = h.refresh.clone()
                {
                    let (user, family_dead) = (h.user, h.family_dead);
                    let result = engine.refresh(&refresh, &LAPTOP, RequestKind::UserAction);
                    prop_assert!(
                        !(family_dead && result.is_ok()),
                        "refresh of an ended family accepted"
                    );
                    if let Ok(issued) = result {
                        held.push(Held::new(user, issued));
                    }
                }
            }
            Step::AutoLogin(i) => {
                if let Some(r) = remember.get_mut(usize::from(i)) {
                    let (user, dead) = (r.user, r.dead);
                    let result = engine.auto_login(&r.value, &LAPTOP);
                    prop_assert!(
                        !(dead && result.is_ok()),
                        "ended remember-me token accepted"
                    );
                    if let Ok(mut issued) = result {
                        // The token was rotated: the old value is ended.
                        r.dead = true;
                        if let Some(next) = issued.remember_me.take() {
                            remember.push(Remembered {
                                user,
                                value: next.value,
                                dead: false,
                            });
                        }
                        held.push(Held::new(user, issued));
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn strict_server_side_policy_never_accepts_an_ended_session(steps in prop::collection::vec(step(), 1..60)) {
        run_strict(Policy::default(), &steps)?;
    }

    #[test]
    fn strict_hybrid_policy_never_accepts_an_ended_token_or_family(steps in prop::collection::vec(step(), 1..60)) {
        run_strict(hybrid(), &steps)?;
    }

    #[test]
    fn strict_signed_token_policy_never_accepts_a_revoked_token(steps in prop::collection::vec(step(), 1..60)) {
        run_strict(signed_token(), &steps)?;
    }

    #[test]
    fn engine_never_panics_on_any_credential_string(
        cred in prop_oneof![
            ".{0,200}",
            "[A-Za-z0-9_-]{20,60}",
            "[0-9]{1,45}",
            "[A-Za-z0-9_-]{1,40}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,50}",
        ],
        mech in 0usize..4,
    ) {
        let mechanism = [Mechanism::ServerSide, Mechanism::SignedToken, Mechanism::ClientCookie, Mechanism::Hybrid][mech];
        let (mut engine, _clock) = engine_with(Policy { mechanism, ..Policy::default() });
        login(&mut engine, ALICE, LAPTOP);
        let _ = engine.validate(&cred, &LAPTOP, RequestKind::UserAction);
        let _ = engine.sensitive_action(&cred, &LAPTOP);
        let _ = engine.reauthenticate(&cred, &LAPTOP);
        let _ = engine.complete_mfa(&cred, &LAPTOP);
        let _ = engine.refresh(&cred, &LAPTOP, RequestKind::Background);
        let _ = engine.auto_login(&cred, &LAPTOP);
        let _ = engine.start_anonymous(&LAPTOP, Some(&cred));
        let _ = engine.change_password(ALICE, Some(&cred), &LAPTOP);
        let _ = engine.change_role(ALICE, Role::ADMIN, Some(&cred), &LAPTOP);
        let _ = engine.idp_logout(&IdpLogout { user: ALICE, idp_session: IdpSessionId(1), browser_credential: Some(&cred) });
        let _ = engine.logout(&cred, &LAPTOP, LogoutScope::Everywhere);
        let _ = Claims::decode_unverified(&cred);
        let _ = SetCookie::parse(&cred);
        let mut req = login_req(BOB, LAPTOP);
        req.presented_id = Some(&cred);
        let _ = engine.login(&req);
    }

    #[test]
    fn engine_never_panics_on_unsigned_tokens_with_any_payload(payload in ".{0,300}", mech in 0usize..3) {
        let mechanism = [Mechanism::SignedToken, Mechanism::ClientCookie, Mechanism::Hybrid][mech];
        let mut policy = Policy { mechanism, ..Policy::default() };
        policy.tokens.algorithm = AlgorithmPolicy::AcceptNone;
        policy.tokens.check_exp = ClaimCheck::Ignored;
        let (mut engine, _clock) = engine_with(policy);
        let token = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(payload.as_bytes()));
        let _ = engine.validate(&token, &LAPTOP, RequestKind::UserAction);
        let _ = engine.sensitive_action(&token, &LAPTOP);
        let _ = engine.logout(&token, &LAPTOP, LogoutScope::Everywhere);
    }

    #[test]
    fn engine_never_panics_on_tampered_tokens(flip in 0usize..400, byte in any::<u8>(), mech in 0usize..3) {
        let mechanism = [Mechanism::SignedToken, Mechanism::ClientCookie, Mechanism::Hybrid][mech];
        let (mut engine, _clock) = engine_with(Policy { mechanism, ..Policy::default() });
        let issued = login(&mut engine, ALICE, LAPTOP);
        for value in [Some(issued.credential.value), issued.refresh.map(|r| r.value)].into_iter().flatten() {
            let mut bytes = value.into_bytes();
            let i = flip % bytes.len();
            bytes[i] = byte;
            let tampered = String::from_utf8_lossy(&bytes).into_owned();
            let _ = engine.validate(&tampered, &LAPTOP, RequestKind::UserAction);
            let _ = engine.refresh(&tampered, &LAPTOP, RequestKind::UserAction);
        }
    }
}

#[test]
fn engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SessionEngine>();
    assert_send_sync::<SessionEngine<ManualClock, MemoryAudit>>();
    assert_send_sync::<SessionEngine<ManualClock, Box<dyn AuditSink>>>();
}

// ----- identifiers -----

#[test]
fn csprng_ids_are_unique_over_a_million_issues() {
    let mut ids = SessionIds::new(IdPolicy::default());
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut seen = std::collections::HashSet::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        assert!(seen.insert(ids.generate(&mut rng, Timestamp::EPOCH)));
    }
}

#[test]
fn encoded_csprng_id_carries_the_configured_entropy() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    for (bits, encoding, len) in [
        (128, IdEncoding::Base64Url, 22),
        (128, IdEncoding::Hex, 32),
        (64, IdEncoding::Hex, 16),
    ] {
        let mut ids = SessionIds::new(IdPolicy {
            generator: IdGenerator::Csprng { bits },
            encoding,
            acceptance: IdAcceptance::Strict,
        });
        let (mut ones, mut zeros) = (0u128, 0u128);
        for _ in 0..256 {
            let key = ids.generate(&mut rng, Timestamp::EPOCH);
            let text = ids.encode(key);
            assert_eq!(text.len(), len);
            assert!(
                text.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            );
            let n = ids.decode(&text).expect("round trip").as_u128();
            ones |= n;
            zeros |= !n;
        }
        // Every one of the configured bits varies, and no other bit is ever set.
        let mask = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        assert_eq!(ones, mask);
        assert_eq!(zeros & mask, mask);
    }
}

#[test]
fn sequential_id_neighbour_is_another_users_live_session() {
    let policy = Policy {
        ids: IdPolicy {
            generator: IdGenerator::Sequential,
            ..IdPolicy::default()
        },
        ..Policy::default()
    };
    let (mut engine, _clock) = engine_with(policy);
    let victim = login(&mut engine, BOB, LAPTOP);
    let mine = login(&mut engine, ALICE, ATTACKER);
    let n: u128 = mine.credential.value.parse().expect("decimal id");
    let guess = (n - 1).to_string();
    assert_eq!(guess, victim.credential.value);
    let relaxed = Client {
        user_agent: LAPTOP.user_agent,
        ..ATTACKER
    };
    assert_eq!(
        view(&mut engine, &guess, &relaxed).map(|a| a.user),
        Ok(Some(BOB))
    );
}

#[test]
fn timestamp_ids_are_found_by_searching_around_the_login_time() {
    let policy = Policy {
        ids: IdPolicy {
            generator: IdGenerator::Timestamp,
            ..IdPolicy::default()
        },
        ..Policy::default()
    };
    let (mut engine, clock) = engine_with(policy);
    clock.set(Timestamp::from_millis(1_700_000_000_123));
    login(&mut engine, BOB, LAPTOP);
    // The attacker knows the login happened within a second of its own visit.
    let found = (1_700_000_000_000u128..1_700_000_001_000)
        .flat_map(|ms| (1..4).map(move |c| (ms * 1000 + c).to_string()))
        .find(|guess| view(&mut engine, guess, &LAPTOP).is_ok());
    assert!(found.is_some());
}

#[test]
fn low_entropy_ids_are_found_by_enumeration() {
    let policy = Policy {
        ids: IdPolicy {
            generator: IdGenerator::LowEntropy { bits: 12 },
            encoding: IdEncoding::Hex,
            acceptance: IdAcceptance::Strict,
        },
        ..Policy::default()
    };
    let (mut engine, _clock) = engine_with(policy);
    let victim = login(&mut engine, BOB, LAPTOP);
    let found = (0u32..1 << 12)
        .map(|n| format!("{n:04x}"))
        .find(|guess| view(&mut engine, guess, &LAPTOP).is_ok());
    assert_eq!(found, Some(victim.credential.value));
}

#[test]
fn login_without_rotation_authenticates_the_planted_id() {
    let policy = |on_login| Policy {
        rotation: RotationPolicy {
            on_login,
            ..RotationPolicy::default()
        },
        ..Policy::default()
    };
    for (rotation, planted_works) in [(Rotation::KeepId, true), (Rotation::RotateEndOld, false)] {
        let (mut engine, _clock) = engine_with(policy(rotation));
        let planted = engine
            .start_anonymous(&LAPTOP, None)
            .expect("anonymous")
            .value;
        let req = LoginRequest {
            presented_id: Some(&planted),
            ..login_req(BOB, LAPTOP)
        };
        engine.login(&req).expect("login");
        let accepted = view(&mut engine, &planted, &LAPTOP);
        assert_eq!(
            accepted.map(|a| a.user) == Ok(Some(BOB)),
            planted_works,
            "{rotation:?}"
        );
    }
}

#[test]
fn rotation_that_keeps_the_old_id_leaves_the_pre_login_id_authenticated() {
    let (mut engine, _clock) = engine_with(Policy {
        rotation: RotationPolicy {
            on_login: Rotation::RotateKeepOld,
            ..RotationPolicy::default()
        },
        ..Policy::default()
    });
    let planted = engine
        .start_anonymous(&LAPTOP, None)
        .expect("anonymous")
        .value;
    let req = LoginRequest {
        presented_id: Some(&planted),
        ..login_req(BOB, LAPTOP)
    };
    let issued = engine.login(&req).expect("login");
    assert_ne!(issued.credential.value, planted);
    assert_eq!(
        view(&mut engine, &planted, &LAPTOP).map(|a| a.user),
        Ok(Some(BOB))
    );
}

#[test]
fn permissive_acceptance_adopts_an_id_the_attacker_made_up() {
    let made_up = "AAAAAAAAAAAAAAAAAAAAAA"; // 128 bits of base64url, chosen by the attacker
    for (acceptance, adopted) in [
        (IdAcceptance::Permissive, true),
        (IdAcceptance::Strict, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            ids: IdPolicy {
                acceptance,
                ..IdPolicy::default()
            },
            rotation: RotationPolicy {
                on_login: Rotation::KeepId,
                ..RotationPolicy::default()
            },
            ..Policy::default()
        });
        let anon = engine
            .start_anonymous(&LAPTOP, Some(made_up))
            .expect("anonymous");
        assert_eq!(anon.value == made_up, adopted);
        let req = LoginRequest {
            presented_id: Some(made_up),
            ..login_req(BOB, LAPTOP)
        };
        engine.login(&req).expect("login");
        assert_eq!(
            view(&mut engine, made_up, &LAPTOP).is_ok(),
            adopted,
            "{acceptance:?}"
        );
    }
}

// ----- timeouts -----

#[test]
fn background_pings_keep_an_idle_session_alive_only_when_any_request_counts() {
    for (activity, alive) in [(Activity::AnyRequest, true), (Activity::UserAction, false)] {
        let (mut engine, clock) = engine_with(Policy {
            timeouts: TimeoutPolicy {
                activity,
                absolute: None,
                ..TimeoutPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        for _ in 0..20 {
            clock.advance(5 * MINUTE);
            let _ = engine.validate(&cred, &LAPTOP, RequestKind::Background);
        }
        assert_eq!(
            view(&mut engine, &cred, &LAPTOP).is_ok(),
            alive,
            "{activity:?}"
        );
    }
}

#[test]
fn a_run_of_background_pings_is_made_in_one_call_up_to_the_first_that_could_change_anything() {
    let idle = TimeoutPolicy::default()
        .idle
        .expect("an idle timeout by default");
    for (activity, mechanism) in [
        (Activity::AnyRequest, Mechanism::ServerSide),
        (Activity::UserAction, Mechanism::ServerSide),
        (Activity::UserAction, Mechanism::SignedToken),
    ] {
        let policy = Policy {
            mechanism,
            timeouts: TimeoutPolicy {
                activity,
                absolute: None,
                ..TimeoutPolicy::default()
            },
            ..Policy::default()
        };
        let (mut one_call, clock) = engine_with(policy.clone());
        let (mut one_by_one, clock2) = engine_with(policy);
        let cred = login(&mut one_call, ALICE, LAPTOP).credential.value;
        let cred2 = login(&mut one_by_one, ALICE, LAPTOP).credential.value;
        let end = clock.now() + 2 * HOUR;
        let made = one_call.background_run(&cred, &LAPTOP, MINUTE, end);
        let mut accepted = 0;
        while clock2.now() < end
            && one_by_one
                .validate(&cred2, &LAPTOP, RequestKind::Background)
                .is_ok()
        {
            accepted += 1;
            clock2.advance(MINUTE);
        }
        let context = format!("{activity:?} {mechanism:?}");
        assert!(made > 0, "{context}: the run made no pings");
        assert_eq!(made, accepted, "{context}");
        // The ping the run stopped before is sent for real, as the simulator does.
        clock.advance(MINUTE * made as u32);
        assert_eq!(clock.now(), clock2.now(), "{context}");
        if clock.now() < end {
            assert!(
                one_call
                    .validate(&cred, &LAPTOP, RequestKind::Background)
                    .is_err(),
                "{context}"
            );
        }
        // Both engines now answer the same at every later moment.
        let base = clock.now();
        for wait in [MINUTE, idle - MINUTE, idle + MINUTE, 3 * HOUR] {
            clock.set(base + wait);
            clock2.set(base + wait);
            assert_eq!(
                view(&mut one_call, &cred, &LAPTOP).err(),
                view(&mut one_by_one, &cred2, &LAPTOP).err(),
                "{context} after {wait:?}"
            );
        }
    }
}

#[test]
fn idle_session_is_accepted_after_hours_when_there_is_no_idle_timeout() {
    let (mut engine, clock) = engine_with(Policy {
        timeouts: TimeoutPolicy {
            idle: None,
            ..TimeoutPolicy::default()
        },
        ..Policy::default()
    });
    let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
    clock.advance(10 * HOUR);
    assert!(view(&mut engine, &cred, &LAPTOP).is_ok());
    let (mut strict, clock) = engine_with(Policy::default());
    let cred = login(&mut strict, ALICE, LAPTOP).credential.value;
    clock.advance(31 * MINUTE);
    assert_eq!(
        view(&mut strict, &cred, &LAPTOP),
        Err(Rejection::ExpiredIdle)
    );
}

#[test]
fn active_session_outlives_twelve_hours_only_without_an_absolute_cap() {
    for (absolute, alive) in [(None, true), (Some(12 * HOUR), false)] {
        let (mut engine, clock) = engine_with(Policy {
            timeouts: TimeoutPolicy {
                absolute,
                ..TimeoutPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        for _ in 0..(13 * 60 / 29) {
            clock.advance(29 * MINUTE);
            let _ = view(&mut engine, &cred, &LAPTOP);
        }
        assert_eq!(view(&mut engine, &cred, &LAPTOP).is_ok(), alive);
    }
}

#[test]
fn client_only_expiry_accepts_a_replayed_cookie_after_its_max_age() {
    let (mut engine, clock) = engine_with(Policy {
        timeouts: TimeoutPolicy {
            idle_enforcement: ExpiryEnforcement::ClientOnly,
            absolute_enforcement: ExpiryEnforcement::ClientOnly,
            ..TimeoutPolicy::default()
        },
        ..Policy::default()
    });
    let issued = login(&mut engine, ALICE, LAPTOP);
    let cookie = SetCookie::parse(issued.credential.set_cookie.as_deref().unwrap_or("")).unwrap();
    assert_eq!(cookie.max_age, Some(30 * MINUTE));
    clock.advance(2 * DAY);
    assert!(view(&mut engine, &issued.credential.value, &ATTACKER_SAME_UA).is_ok());
}

/// The attacker copies the victim's user agent too.
const ATTACKER_SAME_UA: Client<'static> = Client {
    user_agent: LAPTOP.user_agent,
    ..ATTACKER
};

#[test]
fn idle_warning_is_given_and_work_survives_relogin_when_preserved() {
    for (work, restored) in [(WorkOnExpiry::Preserved, true), (WorkOnExpiry::Lost, false)] {
        let (mut engine, clock) = engine_with(Policy {
            warning: WarningPolicy {
                work_on_expiry: work,
                ..WarningPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        clock.advance(29 * MINUTE);
        let ping = engine
            .validate(&cred, &LAPTOP, RequestKind::Background)
            .expect("alive");
        assert_eq!(ping.idle_warning, Some(MINUTE));
        clock.advance(2 * MINUTE);
        assert_eq!(
            view(&mut engine, &cred, &LAPTOP),
            Err(Rejection::ExpiredIdle)
        );
        assert_eq!(login(&mut engine, ALICE, LAPTOP).restored_work, restored);
    }
}

// ----- remember-me -----

#[test]
fn never_expiring_remember_me_token_logs_in_at_day_400() {
    for (lifetime, works) in [(None, true), (Some(30 * DAY), false)] {
        let (mut engine, clock) = engine_with(Policy {
            remember_me: RememberMePolicy {
                lifetime,
                ..RememberMePolicy::default()
            },
            ..Policy::default()
        });
        let token = remembered(&mut engine, ALICE, LAPTOP);
        clock.advance(400 * DAY);
        assert_eq!(
            engine.auto_login(&token, &LAPTOP).is_ok(),
            works,
            "{lifetime:?}"
        );
    }
}

#[test]
fn unbound_remember_me_token_logs_in_from_another_device() {
    for (binding, works) in [
        (DeviceBinding::Unbound, true),
        (DeviceBinding::Bound, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            remember_me: RememberMePolicy {
                device_binding: binding,
                ..RememberMePolicy::default()
            },
            ..Policy::default()
        });
        let token = remembered(&mut engine, ALICE, LAPTOP);
        assert_eq!(
            engine.auto_login(&token, &ATTACKER).is_ok(),
            works,
            "{binding:?}"
        );
    }
}

#[test]
fn static_remember_me_token_logs_in_after_the_victim_logged_out() {
    let weak = RememberMePolicy {
        device_binding: DeviceBinding::Unbound,
        rotate_on_use: RotateOnUse::Keep,
        on_logout: RememberOnLogout::Survive,
        ..RememberMePolicy::default()
    };
    let strict = RememberMePolicy {
        device_binding: DeviceBinding::Unbound,
        ..RememberMePolicy::default()
    };
    for (remember_me, works) in [(weak, true), (strict, false)] {
        let (mut engine, _clock) = engine_with(Policy {
            remember_me,
            ..Policy::default()
        });
        let token = remembered(&mut engine, ALICE, LAPTOP);
        let copy = token.clone();
        let session = engine
            .auto_login(&token, &LAPTOP)
            .expect("victim auto-login");
        engine
            .logout(&session.credential.value, &LAPTOP, LogoutScope::ThisDevice)
            .expect("logout");
        assert_eq!(engine.auto_login(&copy, &ATTACKER).is_ok(), works);
    }
}

#[test]
fn auto_login_allows_a_sensitive_action_only_when_it_grants_full_authentication() {
    for (grant, allowed) in [
        (RememberMeGrant::FullAuthentication, Ok(())),
        (
            RememberMeGrant::ReauthForSensitive,
            Err(Rejection::ReauthRequired),
        ),
    ] {
        let (mut engine, clock) = engine_with(Policy {
            remember_me: RememberMePolicy {
                grant,
                ..RememberMePolicy::default()
            },
            ..Policy::default()
        });
        let token = remembered(&mut engine, ALICE, LAPTOP);
        clock.advance(3 * DAY);
        let session = engine.auto_login(&token, &LAPTOP).expect("auto-login");
        let result = engine.sensitive_action(&session.credential.value, &LAPTOP);
        assert_eq!(result.map(|_| ()), allowed, "{grant:?}");
    }
}

// ----- logout and revocation -----

#[test]
fn client_only_logout_leaves_the_cookie_valid_on_the_server() {
    for (invalidation, still_valid) in [
        (LogoutInvalidation::ClientOnly, true),
        (LogoutInvalidation::ServerSide, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            logout: LogoutPolicy {
                invalidation,
                ..LogoutPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        let out = engine
            .logout(&cred, &LAPTOP, LogoutScope::ThisDevice)
            .expect("logout");
        let clear = SetCookie::parse(&out.clear_cookies[0]).expect("cookie");
        assert!(clear.is_removal());
        assert_eq!(
            view(&mut engine, &cred, &ATTACKER_SAME_UA).is_ok(),
            still_valid
        );
    }
}

#[test]
fn without_logout_everywhere_the_other_device_stays_logged_in() {
    for (everywhere, other_alive) in [
        (LogoutEverywhere::NotOffered, true),
        (LogoutEverywhere::Offered, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            logout: LogoutPolicy {
                everywhere,
                ..LogoutPolicy::default()
            },
            ..Policy::default()
        });
        let a = login(&mut engine, ALICE, LAPTOP).credential.value;
        let b = login(&mut engine, ALICE, PHONE).credential.value;
        engine
            .logout(&a, &LAPTOP, LogoutScope::Everywhere)
            .expect("logout");
        assert_eq!(view(&mut engine, &b, &PHONE).is_ok(), other_alive);
    }
}

#[test]
fn password_change_ends_the_attackers_session_unless_sessions_are_kept() {
    for (change, survives) in [
        (CredentialChange::KeepAll, true),
        (CredentialChange::EndOthers, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            logout: LogoutPolicy {
                on_credential_change: change,
                ..LogoutPolicy::default()
            },
            ..Policy::default()
        });
        let stolen = login(&mut engine, ALICE, ATTACKER).credential.value;
        let mine = login(&mut engine, ALICE, LAPTOP).credential.value;
        engine
            .change_password(ALICE, Some(&mine), &LAPTOP)
            .expect("change");
        assert_eq!(view(&mut engine, &stolen, &ATTACKER).is_ok(), survives);
        assert!(view(&mut engine, &mine, &LAPTOP).is_ok());
    }
}

#[test]
fn disabled_account_keeps_working_when_sessions_are_kept() {
    for (effect, works) in [
        (DisableEffect::KeepSessions, true),
        (DisableEffect::EndSessions, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            logout: LogoutPolicy {
                on_account_disable: effect,
                ..LogoutPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        engine.disable_account(ALICE).expect("disable");
        assert_eq!(view(&mut engine, &cred, &LAPTOP).is_ok(), works);
        assert_eq!(
            engine.login(&login_req(ALICE, LAPTOP)).map(|_| ()),
            Err(Rejection::AccountDisabled)
        );
    }
}

#[test]
fn admin_kill_ends_every_session_of_the_user() {
    let (mut engine, _clock) = engine_with(Policy::default());
    let a = login(&mut engine, ALICE, LAPTOP).credential.value;
    let b = login(&mut engine, ALICE, PHONE).credential.value;
    let other = login(&mut engine, BOB, PHONE).credential.value;
    assert_eq!(engine.admin_revoke(AdminScope::User(ALICE)).sessions, 2);
    assert_eq!(view(&mut engine, &a, &LAPTOP), Err(Rejection::UnknownId));
    assert_eq!(view(&mut engine, &b, &PHONE), Err(Rejection::UnknownId));
    assert!(view(&mut engine, &other, &PHONE).is_ok());
}

#[test]
fn idp_logout_ends_the_app_session_only_when_it_is_propagated() {
    for (propagation, alive) in [
        (IdpLogoutPropagation::Ignored, true),
        (IdpLogoutPropagation::BackChannel, false),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            federation: FederationPolicy {
                idp_logout: propagation,
            },
            ..Policy::default()
        });
        let req = LoginRequest {
            idp_session: Some(IdpSessionId(77)),
            ..login_req(ALICE, LAPTOP)
        };
        let cred = engine.login(&req).expect("login").credential.value;
        engine.idp_logout(&IdpLogout {
            user: ALICE,
            idp_session: IdpSessionId(77),
            browser_credential: None,
        });
        assert_eq!(
            view(&mut engine, &cred, &LAPTOP).is_ok(),
            alive,
            "{propagation:?}"
        );
    }
}

#[test]
fn front_channel_idp_logout_misses_sessions_the_browser_does_not_present() {
    let (mut engine, _clock) = engine_with(Policy {
        federation: FederationPolicy {
            idp_logout: IdpLogoutPropagation::FrontChannel,
        },
        ..Policy::default()
    });
    let req = |client| LoginRequest {
        idp_session: Some(IdpSessionId(77)),
        ..login_req(ALICE, client)
    };
    let mine = engine.login(&req(LAPTOP)).expect("login").credential.value;
    let stolen = engine
        .login(&req(ATTACKER))
        .expect("login")
        .credential
        .value;
    engine.idp_logout(&IdpLogout {
        user: ALICE,
        idp_session: IdpSessionId(77),
        browser_credential: Some(&mine),
    });
    assert!(view(&mut engine, &mine, &LAPTOP).is_err());
    assert!(view(&mut engine, &stolen, &ATTACKER).is_ok());
}

// ----- signed tokens -----

#[test]
fn unchecked_exp_accepts_an_expired_token() {
    for (check_exp, accepted) in [(ClaimCheck::Ignored, true), (ClaimCheck::Enforced, false)] {
        let mut policy = signed_token();
        policy.tokens.check_exp = check_exp;
        let (mut engine, clock) = engine_with(policy);
        let token = login(&mut engine, ALICE, LAPTOP).credential.value;
        clock.advance(HOUR);
        let result = view(&mut engine, &token, &LAPTOP);
        assert_eq!(result.is_ok(), accepted, "{check_exp:?}");
        if !accepted {
            assert_eq!(result, Err(Rejection::TokenExpired));
        }
    }
}

#[test]
fn alg_none_token_is_accepted_when_weak_and_rejected_when_strict() {
    for (algorithm, result) in [
        (AlgorithmPolicy::AcceptNone, Ok(Some(BOB))),
        (
            AlgorithmPolicy::Hs256Only,
            Err(Rejection::AlgorithmRejected),
        ),
    ] {
        let mut policy = signed_token();
        policy.tokens.algorithm = algorithm;
        let (mut engine, _clock) = engine_with(policy);
        let mine = login(&mut engine, ALICE, LAPTOP).credential.value;
        // The attacker edits its own token to say it is Bob and strips the signature.
        let mut claims = Claims::decode_unverified(&mine).expect("readable payload");
        claims.sub = BOB;
        let forged = claims.to_unsigned_token();
        assert_eq!(view(&mut engine, &forged, &LAPTOP).map(|a| a.user), result);
    }
}

#[test]
fn tampered_hs256_token_fails_its_signature() {
    let (mut engine, _clock) = engine_with(signed_token());
    let mine = login(&mut engine, ALICE, LAPTOP).credential.value;
    let mut parts: Vec<&str> = mine.split('.').collect();
    let mut claims = Claims::decode_unverified(&mine).expect("payload");
    claims.sub = BOB;
    let unsigned = claims.to_unsigned_token();
    let forged_payload = unsigned.split('.').nth(1).expect("payload");
    parts[1] = forged_payload;
    assert_eq!(
        view(&mut engine, &parts.join("."), &LAPTOP),
        Err(Rejection::BadSignature)
    );
}

#[test]
fn token_without_revocation_is_replayed_after_logout() {
    for (revocation, replay_ok) in [
        (Revocation::None, true),
        (Revocation::DenylistAndNotBefore, false),
    ] {
        let mut policy = signed_token();
        policy.tokens.revocation = revocation;
        let (mut engine, _clock) = engine_with(policy);
        let token = login(&mut engine, ALICE, LAPTOP).credential.value;
        engine
            .logout(&token, &LAPTOP, LogoutScope::Everywhere)
            .expect("logout");
        assert_eq!(
            view(&mut engine, &token, &LAPTOP).is_ok(),
            replay_ok,
            "{revocation:?}"
        );
    }
}

#[test]
fn revocation_delay_keeps_a_revoked_token_usable_for_that_long() {
    let mut policy = signed_token();
    policy.tokens.access_lifetime = HOUR;
    policy.tokens.revocation_delay = 10 * MINUTE;
    let (mut engine, clock) = engine_with(policy);
    let token = login(&mut engine, ALICE, LAPTOP).credential.value;
    engine.disable_account(ALICE).expect("disable");
    clock.advance(9 * MINUTE);
    assert!(view(&mut engine, &token, &LAPTOP).is_ok());
    clock.advance(MINUTE);
    assert_eq!(view(&mut engine, &token, &LAPTOP), Err(Rejection::Revoked));
}

#[test]
fn client_cookie_session_is_re_signed_on_activity_and_expires_when_idle() {
    let (mut engine, clock) = engine_with(Policy {
        mechanism: Mechanism::ClientCookie,
        ..Policy::default()
    });
    let cookie = login(&mut engine, ALICE, LAPTOP).credential.value;
    clock.advance(20 * MINUTE);
    let renewed = view(&mut engine, &cookie, &LAPTOP)
        .expect("alive")
        .renewed
        .expect("re-signed");
    clock.advance(20 * MINUTE);
    assert_eq!(
        view(&mut engine, &cookie, &LAPTOP),
        Err(Rejection::ExpiredIdle)
    );
    assert!(view(&mut engine, &renewed.value, &LAPTOP).is_ok());
}

// ----- refresh tokens -----

fn hybrid_with(refresh: RefreshPolicy) -> (SessionEngine, ManualClock) {
    engine_with(Policy {
        refresh,
        ..hybrid()
    })
}

#[test]
fn reused_refresh_token_is_accepted_without_reuse_detection() {
    let (mut engine, _clock) = hybrid_with(RefreshPolicy {
        reuse: ReuseDetection::Off,
        ..RefreshPolicy::default()
    });
    let stolen = login(&mut engine, ALICE, LAPTOP)
        .refresh
        .expect("refresh")
        .value;
    engine
        .refresh(&stolen, &LAPTOP, RequestKind::Background)
        .expect("victim refreshes");
    assert!(
        engine
            .refresh(&stolen, &LAPTOP, RequestKind::Background)
            .is_ok()
    );
}

#[test]
fn reused_refresh_token_revokes_the_family_with_reuse_detection() {
    let (mut engine, _clock) = hybrid_with(RefreshPolicy::default());
    let stolen = login(&mut engine, ALICE, LAPTOP)
        .refresh
        .expect("refresh")
        .value;
    let next = engine
        .refresh(&stolen, &LAPTOP, RequestKind::Background)
        .expect("victim refreshes");
    assert_eq!(
        engine
            .refresh(&stolen, &LAPTOP, RequestKind::Background)
            .map(|_| ()),
        Err(Rejection::RefreshReused)
    );
    let newest = next.refresh.expect("rotated").value;
    assert_eq!(
        engine
            .refresh(&newest, &LAPTOP, RequestKind::Background)
            .map(|_| ()),
        Err(Rejection::Revoked)
    );
    assert_eq!(
        view(&mut engine, &next.credential.value, &LAPTOP),
        Err(Rejection::Revoked)
    );
}

#[test]
fn non_rotating_refresh_token_keeps_working_for_victim_and_attacker() {
    let (mut engine, _clock) = hybrid_with(RefreshPolicy {
        rotation: RefreshRotation::Reuse,
        ..RefreshPolicy::default()
    });
    let token = login(&mut engine, ALICE, LAPTOP)
        .refresh
        .expect("refresh")
        .value;
    for _ in 0..3 {
        assert!(
            engine
                .refresh(&token, &LAPTOP, RequestKind::Background)
                .is_ok()
        );
        assert!(
            engine
                .refresh(&token, &LAPTOP, RequestKind::Background)
                .is_ok()
        );
    }
}

#[test]
fn wide_grace_window_accepts_a_token_two_generations_old() {
    for (grace, accepted) in [(2, true), (0, false)] {
        let (mut engine, _clock) = hybrid_with(RefreshPolicy {
            grace_generations: grace,
            ..RefreshPolicy::default()
        });
        let g0 = login(&mut engine, ALICE, LAPTOP)
            .refresh
            .expect("refresh")
            .value;
        let g1 = engine
            .refresh(&g0, &LAPTOP, RequestKind::Background)
            .expect("g1");
        let g1 = g1.refresh.expect("rotated").value;
        engine
            .refresh(&g1, &LAPTOP, RequestKind::Background)
            .expect("g2");
        assert_eq!(
            engine
                .refresh(&g0, &LAPTOP, RequestKind::Background)
                .is_ok(),
            accepted
        );
    }
}

#[test]
fn sliding_refresh_without_a_cap_lives_for_a_year_of_monthly_use() {
    for (cap, works) in [(None, true), (Some(30 * DAY), false)] {
        let mut policy = hybrid();
        policy.timeouts.idle = None;
        policy.timeouts.absolute = None;
        policy.refresh.expiry = RefreshExpiry::Sliding {
            idle: 30 * DAY,
            cap,
        };
        let (mut engine, clock) = engine_with(policy);
        let mut token = login(&mut engine, ALICE, LAPTOP)
            .refresh
            .expect("refresh")
            .value;
        let mut ok = true;
        for _ in 0..13 {
            clock.advance(29 * DAY);
            match engine.refresh(&token, &LAPTOP, RequestKind::UserAction) {
                Ok(issued) => token = issued.refresh.expect("rotated").value,
                Err(_) => ok = false,
            }
        }
        assert_eq!(ok, works, "{cap:?}");
    }
}

#[test]
fn refresh_token_survives_logout_when_logout_keeps_it() {
    for (on_logout, works) in [
        (RefreshOnLogout::Keep, true),
        (RefreshOnLogout::Revoke, false),
    ] {
        let (mut engine, _clock) = hybrid_with(RefreshPolicy {
            on_logout,
            ..RefreshPolicy::default()
        });
        let issued = login(&mut engine, ALICE, LAPTOP);
        let refresh = issued.refresh.expect("refresh").value;
        engine
            .logout(&issued.credential.value, &LAPTOP, LogoutScope::ThisDevice)
            .expect("logout");
        let after = engine.refresh(&refresh, &LAPTOP, RequestKind::Background);
        assert_eq!(after.is_ok(), works, "{on_logout:?}");
        if let Ok(after) = after {
            assert!(view(&mut engine, &after.credential.value, &LAPTOP).is_ok());
        }
    }
}

// ----- concurrency -----

fn limited(limit: SessionLimit, on_limit: OnLimit) -> Policy {
    Policy {
        concurrency: ConcurrencyPolicy {
            limit,
            on_limit,
            scope: LimitScope::PerUser,
        },
        ..Policy::default()
    }
}

#[test]
fn single_session_with_last_login_wins_lets_the_attacker_evict_the_victim() {
    let (mut engine, _clock) =
        engine_with(limited(SessionLimit::Single, OnLimit::EvictOldestInactive));
    let victim = login(&mut engine, ALICE, LAPTOP).credential.value;
    let issued = login(&mut engine, ALICE, ATTACKER);
    assert_eq!(issued.evicted, 1);
    assert_eq!(
        view(&mut engine, &victim, &LAPTOP),
        Err(Rejection::UnknownId)
    );
}

#[test]
fn reject_new_locks_out_a_user_whose_old_browser_still_holds_the_session() {
    let (mut engine, _clock) = engine_with(limited(SessionLimit::Single, OnLimit::RejectNew));
    login(&mut engine, ALICE, LAPTOP);
    assert_eq!(
        engine.login(&login_req(ALICE, PHONE)).map(|_| ()),
        Err(Rejection::LimitReached)
    );
}

#[test]
fn unlimited_sessions_let_a_credential_stuffer_open_fifty() {
    let (mut engine, _clock) = engine_with(limited(SessionLimit::Unlimited, OnLimit::RejectNew));
    let victim = login(&mut engine, ALICE, LAPTOP).credential.value;
    for _ in 0..50 {
        login(&mut engine, ALICE, ATTACKER);
    }
    assert_eq!(engine.user_sessions(ALICE), 51);
    assert!(view(&mut engine, &victim, &LAPTOP).is_ok());
    let (mut capped, _clock) = engine_with(Policy::default());
    for _ in 0..50 {
        login(&mut capped, ALICE, ATTACKER);
    }
    assert_eq!(capped.user_sessions(ALICE), 5);
}

#[test]
fn per_category_limit_keeps_the_laptop_session_when_the_phone_logs_in() {
    let mut policy = limited(SessionLimit::Single, OnLimit::EvictOldestInactive);
    policy.concurrency.scope = LimitScope::PerDeviceCategory;
    let (mut engine, _clock) = engine_with(policy);
    let laptop = login(&mut engine, ALICE, LAPTOP).credential.value;
    login(&mut engine, ALICE, PHONE);
    assert!(view(&mut engine, &laptop, &LAPTOP).is_ok());
}

// ----- binding -----

#[test]
fn stolen_cookie_from_another_client_is_accepted_without_binding() {
    let (mut engine, _clock) = engine_with(Policy {
        binding: BindingPolicy {
            ip: Bind::Off,
            user_agent: Bind::Off,
            ..BindingPolicy::default()
        },
        ..Policy::default()
    });
    let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
    let curl = Client {
        user_agent: "curl/8.0",
        ..ATTACKER
    };
    assert!(view(&mut engine, &cred, &curl).is_ok());
}

#[test]
fn binding_mismatch_requires_reauth_until_the_user_proves_the_password() {
    let (mut engine, _clock) = engine_with(Policy {
        binding: BindingPolicy {
            ip: Bind::Enforced,
            ..BindingPolicy::default()
        },
        ..Policy::default()
    });
    let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
    assert_eq!(
        view(&mut engine, &cred, &ATTACKER_SAME_UA),
        Err(Rejection::BindingMismatch)
    );
    assert_eq!(
        view(&mut engine, &cred, &LAPTOP),
        Err(Rejection::ReauthRequired)
    );
    engine
        .reauthenticate(&cred, &LAPTOP)
        .expect("password re-entered");
    assert!(view(&mut engine, &cred, &LAPTOP).is_ok());
}

#[test]
fn binding_mismatch_terminates_the_session_when_configured() {
    let (mut engine, _clock) = engine_with(Policy {
        binding: BindingPolicy {
            ip: Bind::Enforced,
            on_mismatch: MismatchAction::Terminate,
            ..BindingPolicy::default()
        },
        ..Policy::default()
    });
    let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
    assert_eq!(
        view(&mut engine, &cred, &ATTACKER_SAME_UA),
        Err(Rejection::BindingMismatch)
    );
    assert_eq!(view(&mut engine, &cred, &LAPTOP), Err(Rejection::UnknownId));
}

#[test]
fn impossible_travel_is_refused_only_when_checked() {
    let paris = Geo {
        lat: 48.85,
        lon: 2.35,
    };
    let new_york = Geo {
        lat: 40.71,
        lon: -74.0,
    };
    for (check, accepted) in [(None, true), (Some(TravelCheck::default()), false)] {
        let (mut engine, clock) = engine_with(Policy {
            binding: BindingPolicy {
                impossible_travel: check,
                ..BindingPolicy::default()
            },
            ..Policy::default()
        });
        let here = Client {
            geo: Some(paris),
            ..LAPTOP
        };
        let cred = login(&mut engine, ALICE, here).credential.value;
        clock.advance(20 * MINUTE);
        let there = Client {
            geo: Some(new_york),
            ..ATTACKER_SAME_UA
        };
        let result = view(&mut engine, &cred, &there);
        assert_eq!(result.is_ok(), accepted);
        if !accepted {
            assert_eq!(result, Err(Rejection::ImpossibleTravel));
        }
    }
}

// ----- sensitive actions and account state -----

#[test]
fn sensitive_action_eleven_hours_after_login_needs_reauth_unless_age_is_unchecked() {
    for (max_auth_age, allowed) in [(None, true), (Some(15 * MINUTE), false)] {
        let (mut engine, clock) = engine_with(Policy {
            reauth: ReauthPolicy {
                max_auth_age,
                ..ReauthPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        for _ in 0..22 {
            clock.advance(30 * MINUTE);
            view(&mut engine, &cred, &LAPTOP).expect("active user");
        }
        assert_eq!(engine.sensitive_action(&cred, &LAPTOP).is_ok(), allowed);
        if !allowed {
            engine.reauthenticate(&cred, &LAPTOP).expect("reauth");
            assert!(engine.sensitive_action(&cred, &LAPTOP).is_ok());
        }
    }
}

#[test]
fn auth_age_measured_from_session_start_is_reset_by_id_renewal() {
    for (measured_from, allowed) in [
        (AuthAge::SessionStart, true),
        (AuthAge::LastAuthentication, false),
    ] {
        let (mut engine, clock) = engine_with(Policy {
            timeouts: TimeoutPolicy {
                renewal: Some(10 * MINUTE),
                ..TimeoutPolicy::default()
            },
            reauth: ReauthPolicy {
                measured_from,
                ..ReauthPolicy::default()
            },
            ..Policy::default()
        });
        let mut cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        for _ in 0..22 {
            clock.advance(30 * MINUTE);
            let accepted = view(&mut engine, &cred, &LAPTOP).expect("active user");
            if let Some(renewed) = accepted.renewed {
                cred = renewed.value;
            }
        }
        assert_eq!(
            engine.sensitive_action(&cred, &LAPTOP).is_ok(),
            allowed,
            "{measured_from:?}"
        );
    }
}

#[test]
fn unverified_account_gets_a_full_session_only_when_policy_allows() {
    for (unverified_email, outcome) in [
        (PreVerify::Full, Ok(())),
        (PreVerify::Limited, Err(Rejection::NotVerified)),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            account_state: AccountStatePolicy {
                unverified_email,
                ..AccountStatePolicy::default()
            },
            ..Policy::default()
        });
        let newbie = UserId(9);
        engine.add_account(newbie, AccountSetup::default());
        let cred = login(&mut engine, newbie, LAPTOP).credential.value;
        assert_eq!(view(&mut engine, &cred, &LAPTOP).map(|_| ()), outcome);
        engine.verify_email(newbie).expect("verify");
        assert!(view(&mut engine, &cred, &LAPTOP).is_ok());
    }
    let (mut engine, _clock) = engine_with(Policy {
        account_state: AccountStatePolicy {
            unverified_email: PreVerify::None,
            ..AccountStatePolicy::default()
        },
        ..Policy::default()
    });
    engine.add_account(UserId(9), AccountSetup::default());
    assert_eq!(
        engine.login(&login_req(UserId(9), LAPTOP)).map(|_| ()),
        Err(Rejection::NotVerified)
    );
}

#[test]
fn pending_mfa_session_is_limited_until_the_second_factor() {
    let (mut engine, _clock) = engine_with(Policy::default());
    let req = LoginRequest {
        mfa: MfaStatus::Pending,
        ..login_req(ALICE, LAPTOP)
    };
    let issued = engine.login(&req).expect("login");
    assert_eq!(issued.access, Access::Limited);
    let cred = issued.credential.value;
    assert_eq!(
        view(&mut engine, &cred, &LAPTOP),
        Err(Rejection::MfaRequired)
    );
    engine.complete_mfa(&cred, &LAPTOP).expect("mfa");
    assert!(view(&mut engine, &cred, &LAPTOP).is_ok());
}

#[test]
fn demoted_admin_keeps_admin_role_when_sessions_keep_a_snapshot() {
    for (privileges, role) in [
        (PrivilegeReload::KeepSnapshot, Ok(Role::ADMIN)),
        (PrivilegeReload::Reload, Ok(Role::USER)),
        (PrivilegeReload::EndSessions, Err(Rejection::UnknownId)),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            rotation: RotationPolicy {
                privileges,
                ..RotationPolicy::default()
            },
            ..Policy::default()
        });
        engine.add_account(
            ALICE,
            AccountSetup {
                role: Role::ADMIN,
                email_verified: true,
            },
        );
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        engine
            .change_role(ALICE, Role::USER, None, &LAPTOP)
            .expect("demote");
        assert_eq!(
            view(&mut engine, &cred, &LAPTOP).map(|a| a.role),
            role,
            "{privileges:?}"
        );
    }
}

#[test]
fn privilege_change_rotates_the_acting_session_id() {
    for (rotation, old_works) in [
        (Rotation::RotateEndOld, false),
        (Rotation::RotateKeepOld, true),
        (Rotation::KeepId, true),
    ] {
        let (mut engine, _clock) = engine_with(Policy {
            rotation: RotationPolicy {
                on_privilege_change: rotation,
                ..RotationPolicy::default()
            },
            ..Policy::default()
        });
        let cred = login(&mut engine, ALICE, LAPTOP).credential.value;
        let changed = engine
            .change_role(ALICE, Role::ADMIN, Some(&cred), &LAPTOP)
            .expect("elevate");
        if let Some(new) = &changed.rotated {
            assert_eq!(
                view(&mut engine, &new.value, &LAPTOP).map(|a| a.role),
                Ok(Role::ADMIN)
            );
        }
        assert_eq!(changed.rotated.is_some(), rotation != Rotation::KeepId);
        assert_eq!(
            view(&mut engine, &cred, &LAPTOP).is_ok(),
            old_works,
            "{rotation:?}"
        );
    }
}

// ----- cookies, storage and audit -----

#[test]
fn set_cookie_strings_parse_back_with_the_configured_attributes() {
    let (mut engine, _clock) = engine_with(Policy::default());
    let issued = login(&mut engine, ALICE, LAPTOP);
    let header = issued.credential.set_cookie.as_deref().expect("cookie");
    let cookie = SetCookie::parse(header).expect("parses");
    assert_eq!(cookie.name, "__Host-id");
    assert_eq!(cookie.value, issued.credential.value);
    assert!(cookie.secure && cookie.http_only);
    assert_eq!(cookie.same_site, Some(SameSite::Lax));
    assert_eq!(cookie.path.as_deref(), Some("/"));
    assert_eq!((&cookie.domain, cookie.max_age), (&None, None));
    assert!(cookie.prefix_rules_hold());

    let custom = CookiePolicy {
        name: "sid".to_owned(),
        prefix: CookiePrefix::Secure,
        http_only: false,
        same_site: Some(SameSite::Strict),
        path: "/app".to_owned(),
        domain: Some("example.com".to_owned()),
        max_age: Some(HOUR),
        ..CookiePolicy::default()
    };
    let (mut engine, _clock) = engine_with(Policy {
        cookie: custom,
        ..Policy::default()
    });
    let issued = login(&mut engine, ALICE, LAPTOP);
    let header = format!(
        "Set-Cookie: {}",
        issued.credential.set_cookie.expect("cookie")
    );
    let cookie = SetCookie::parse(&header).expect("parses");
    assert_eq!(cookie.name, "__Secure-sid");
    assert!(cookie.secure && !cookie.http_only);
    assert_eq!(cookie.same_site, Some(SameSite::Strict));
    assert_eq!(cookie.path.as_deref(), Some("/app"));
    assert_eq!(cookie.domain.as_deref(), Some("example.com"));
    assert_eq!(cookie.max_age, Some(HOUR));
    assert_eq!(SetCookie::parse(&cookie.to_header()), Ok(cookie));
}

#[test]
fn token_kept_in_local_storage_comes_back_in_the_body_not_a_cookie() {
    let mut policy = signed_token();
    policy.cookie.storage = CredentialStorage::LocalStorage;
    let (mut engine, _clock) = engine_with(policy);
    let issued = login(&mut engine, ALICE, LAPTOP);
    assert_eq!(issued.credential.set_cookie, None);
    assert_eq!(issued.credential.value.split('.').count(), 3);
}

#[test]
fn audit_trail_records_each_decision_with_its_reason() {
    let clock = ManualClock::default();
    let mut engine = SessionEngine::new(
        Policy::default(),
        clock.clone(),
        MemoryAudit::default(),
        ChaCha20Rng::seed_from_u64(3),
    )
    .expect("policy");
    engine.add_account(
        ALICE,
        AccountSetup {
            role: Role::USER,
            email_verified: true,
        },
    );
    let cred = engine
        .login(&login_req(ALICE, LAPTOP))
        .expect("login")
        .credential
        .value;
    clock.advance(HOUR);
    let _ = engine.validate(&cred, &LAPTOP, RequestKind::UserAction);
    let events = &engine.audit().events;
    let outcomes: Vec<_> = events.iter().map(|e| (e.op, e.outcome, e.reason)).collect();
    assert_eq!(
        outcomes,
        [
            (Operation::Login, Outcome::Issued, None),
            (
                Operation::Validate,
                Outcome::Ended,
                Some(Reason::End(EndReason::ExpiredIdle))
            ),
            (
                Operation::Validate,
                Outcome::Rejected,
                Some(Reason::Rejection(Rejection::ExpiredIdle))
            ),
        ]
    );
    assert!(events.iter().all(|e| e.user == Some(ALICE)));
}

#[test]
fn policy_with_impossible_id_entropy_is_refused() {
    let policy = Policy {
        ids: IdPolicy {
            generator: IdGenerator::Csprng { bits: 0 },
            ..IdPolicy::default()
        },
        ..Policy::default()
    };
    let result = SessionEngine::new(
        policy,
        ManualClock::default(),
        NoAudit,
        ChaCha20Rng::seed_from_u64(0),
    );
    assert!(matches!(result, Err(PolicyError::IdBits(0))));
}

#[test]
fn same_seed_gives_the_same_credentials() {
    let run = || {
        let (mut engine, _clock) = engine_with(hybrid());
        let issued = login(&mut engine, ALICE, LAPTOP);
        (issued.credential.value, issued.refresh.map(|r| r.value))
    };
    assert_eq!(run(), run());
}

#[test]
fn limited_session_limit_counts_nonzero() {
    // The documented default limit is 5 concurrent sessions.
    assert_eq!(
        ConcurrencyPolicy::default().limit,
        SessionLimit::Limited {
            max: NonZeroU32::new(5).expect("nonzero")
        }
    );
}

#[test]
fn a_server_checked_idle_timeout_stays_checked_beside_a_client_only_absolute_one() {
    let (mut engine, clock) = engine_with(Policy {
        timeouts: TimeoutPolicy {
            idle: Some(Duration::from_secs(15 * 60)),
            absolute: Some(Duration::from_secs(8 * 3600)),
            idle_enforcement: ExpiryEnforcement::Server,
            absolute_enforcement: ExpiryEnforcement::ClientOnly,
            ..TimeoutPolicy::default()
        },
        ..Policy::default()
    });
    let issued = login(&mut engine, ALICE, LAPTOP);
    let cred = issued.credential.value.clone();
    // Left alone past the idle timeout: the server refuses it.
    clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        view(&mut engine, &cred, &LAPTOP).err(),
        Some(Rejection::ExpiredIdle)
    );
    // Kept busy past the absolute cap: only the page's script would end it.
    let issued = login(&mut engine, ALICE, LAPTOP);
    let mut cred = issued.credential.value.clone();
    for _ in 0..(9 * 6) {
        clock.advance(Duration::from_secs(10 * 60));
        let accepted = view(&mut engine, &cred, &LAPTOP).expect("busy and within idle");
        if let Some(renewed) = accepted.renewed {
            cred = renewed.value;
        }
    }
}
