//! The simulator through its public API: for every `sim` row of the gap catalogue, a small map
//! that has the gap shows the finding with the trace that proves it, and the same map fixed
//! does not; every template gives the findings its drawing deserves; runs are deterministic.

use sessionmap::compile::{self, Profile};
use sessionmap::model::{self, Map, NodeKind};
use sessionmap::report::{CATALOGUE, Finding, How};
use sessionmap::sim::{Builder, Control, Outcome, SimError};
use sessionmap::templates;

/// A server-side flow with every safeguard drawn: the "fixed" map of most rows.
const SERVER: &str = r#"(
    format_version: 1,
    title: "Secure server-side sessions",
    lanes: [(id: "users", title: "Users", height: 600.0)],
    nodes: [
        (id: "login", label: "Sign in", kind: Login(mfa: Off, before_mfa: NoSession), lane: "users", pos: (0.0, 0.0)),
        (id: "signup", label: "Sign up", kind: SignUp(before_verification: NoSession), lane: "users", pos: (0.0, 100.0)),
        (id: "remember", label: "Remember me", kind: RememberMe(device_bound: true, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false), lane: "users", pos: (0.0, 200.0)),
        (id: "sso", label: "Company SSO", kind: Sso(provider: "Okta", protocol: Oidc, idp_logout: BackChannel), lane: "users", pos: (0.0, 300.0)),
        (id: "create", label: "Start session", kind: CreateSession(mechanism: ServerSide, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: true, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2)))), lane: "users", pos: (250.0, 0.0)),
        (id: "page", label: "Dashboard", kind: Request(state_change: false), lane: "users", pos: (500.0, 0.0)),
        (id: "ping", label: "Notifications poll", kind: BackgroundPing(every: Minutes(1)), lane: "users", pos: (500.0, 100.0)),
        (id: "email", label: "Change email", kind: SensitiveAction(action: "change email", reauth: RecentLogin(within: Minutes(5))), lane: "users", pos: (750.0, 0.0)),
        (id: "password", label: "Change password", kind: PasswordChange(ends_other_sessions: true, revokes_refresh_tokens: true), lane: "users", pos: (1000.0, 0.0)),
        (id: "logout", label: "Log out", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (1000.0, 100.0)),
        (id: "logout-all", label: "Log out everywhere", kind: Logout(scope: AllDevices, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (1000.0, 200.0)),
        (id: "idle", label: "Idle 15 min", kind: IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: Server), lane: "users", pos: (250.0, 200.0)),
        (id: "absolute", label: "Absolute 8 h", kind: AbsoluteTimeout(after: Hours(8), enforced: Server), lane: "users", pos: (250.0, 300.0)),
        (id: "remember-life", label: "Remember 14 days", kind: RememberMeLifetime(after: Days(14)), lane: "users", pos: (0.0, 400.0)),
        (id: "warning", label: "Warn 2 min before", kind: ExpiryWarning(before: Minutes(2), keeps_drafts: true), lane: "users", pos: (250.0, 400.0)),
        (id: "store", label: "Sessions", kind: ServerStore(backend: Redis, fields: [(name: "user_id", kind: Identity)]), lane: "users", pos: (500.0, 300.0)),
        (id: "cookie", label: "Session cookie", kind: ClientStorage(holds: SessionId, location: Cookie((name: "__Host-sid", secure: true, http_only: true, same_site: Lax, path: "/", domain: None, max_age: None))), lane: "users", pos: (500.0, 400.0)),
        (id: "disable", label: "Disable account", kind: AccountDisable(ends_sessions: true), lane: "users", pos: (750.0, 300.0)),
        (id: "revoke", label: "Kill sessions", kind: AdminRevoke(scope: OneUser), lane: "users", pos: (750.0, 400.0)),
        (id: "demote", label: "Change role", kind: PrivilegeChange(rotation: RotateEndOld, reloads_privileges: true), lane: "users", pos: (750.0, 500.0)),
    ],
    edges: [
        (id: "e1", from: "login", to: "create", trigger: UserAction),
        (id: "e2", from: "signup", to: "create", trigger: UserAction),
        (id: "e3", from: "remember", to: "create", trigger: System),
        (id: "e4", from: "sso", to: "create", trigger: System),
        (id: "e5", from: "create", to: "page", trigger: System),
        (id: "e6", from: "page", to: "ping", trigger: After(Minutes(1))),
        (id: "e7", from: "ping", to: "page", trigger: UserAction),
        (id: "e8", from: "page", to: "email", trigger: UserAction),
        (id: "e9", from: "email", to: "password", trigger: UserAction),
        (id: "e10", from: "password", to: "logout", trigger: UserAction),
        (id: "e11", from: "page", to: "logout", trigger: UserAction),
        (id: "e12", from: "page", to: "logout-all", trigger: UserAction),
        (id: "e13", from: "disable", to: "login", trigger: System),
        (id: "e14", from: "revoke", to: "login", trigger: System),
        (id: "e15", from: "demote", to: "login", trigger: System),
        (id: "a1", from: "idle", to: "create", trigger: Attach),
        (id: "a2", from: "absolute", to: "create", trigger: Attach),
        (id: "a3", from: "remember-life", to: "remember", trigger: Attach),
        (id: "a4", from: "warning", to: "idle", trigger: Attach),
        (id: "a5", from: "create", to: "store", trigger: Attach),
        (id: "a6", from: "create", to: "cookie", trigger: Attach),
    ],
    personas: [
        (id: "regular", name: "Regular user", share: 100, visits_per_day: 3, think_time: Seconds(30), active_hours: (start: 8, end: 20), days_per_week: 7, devices: [Desktop, Mobile], behaviours: [WalksAway(pause: Minutes(10)), WritesLongForms]),
    ],
)"#;

/// A hybrid flow (short access tokens, rotating refresh tokens) with every safeguard drawn.
const HYBRID: &str = r#"(
    format_version: 1,
    title: "Secure hybrid tokens",
    lanes: [(id: "users", title: "Users", height: 600.0)],
    nodes: [
        (id: "login", label: "Sign in", kind: Login(mfa: Off, before_mfa: NoSession), lane: "users", pos: (0.0, 0.0)),
        (id: "create", label: "Issue tokens", kind: CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2)))), lane: "users", pos: (250.0, 0.0)),
        (id: "api", label: "API call", kind: Request(state_change: false), lane: "users", pos: (500.0, 0.0)),
        (id: "refresh", label: "Refresh", kind: TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 0), expiry: Absolute), lane: "users", pos: (500.0, 100.0)),
        (id: "logout", label: "Log out", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 0.0)),
        (id: "password", label: "Change password", kind: PasswordChange(ends_other_sessions: true, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 100.0)),
        (id: "logout-all", label: "Log out everywhere", kind: Logout(scope: AllDevices, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 200.0)),
        (id: "idle", label: "Idle 30 min", kind: IdleTimeout(after: Minutes(30), resets_on: UserAction, enforced: Server), lane: "users", pos: (250.0, 200.0)),
        (id: "absolute", label: "Absolute 12 h", kind: AbsoluteTimeout(after: Hours(12), enforced: Server), lane: "users", pos: (250.0, 300.0)),
        (id: "access-life", label: "Access 5 min", kind: TokenLifetime(token: Access, after: Minutes(5)), lane: "users", pos: (500.0, 200.0)),
        (id: "refresh-life", label: "Refresh 14 days", kind: TokenLifetime(token: Refresh, after: Days(14)), lane: "users", pos: (500.0, 300.0)),
        (id: "token", label: "Access token", kind: SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: "sub", kind: Identity)]), lane: "users", pos: (750.0, 300.0)),
        (id: "holder", label: "Token in memory", kind: ClientStorage(holds: AccessToken, location: Memory), lane: "users", pos: (750.0, 400.0)),
        (id: "families", label: "Refresh families", kind: ServerStore(backend: Database, fields: [(name: "user_id", kind: Identity)]), lane: "users", pos: (500.0, 400.0)),
    ],
    edges: [
        (id: "e1", from: "login", to: "create", trigger: UserAction),
        (id: "e2", from: "create", to: "api", trigger: System),
        (id: "e3", from: "api", to: "refresh", trigger: After(Minutes(5))),
        (id: "e4", from: "refresh", to: "api", trigger: System),
        (id: "e5", from: "api", to: "logout", trigger: UserAction),
        (id: "e6", from: "api", to: "password", trigger: UserAction),
        (id: "e7", from: "api", to: "logout-all", trigger: UserAction),
        (id: "a1", from: "idle", to: "create", trigger: Attach),
        (id: "a2", from: "absolute", to: "create", trigger: Attach),
        (id: "a3", from: "access-life", to: "create", trigger: Attach),
        (id: "a4", from: "refresh-life", to: "refresh", trigger: Attach),
        (id: "a5", from: "create", to: "token", trigger: Attach),
        (id: "a6", from: "create", to: "holder", trigger: Attach),
        (id: "a7", from: "create", to: "families", trigger: Attach),
    ],
    personas: [
        (id: "regular", name: "Regular user", share: 100, visits_per_day: 3, think_time: Seconds(30), active_hours: (start: 8, end: 20), days_per_week: 7, devices: [Desktop], behaviours: []),
    ],
)"#;

fn load(source: &str) -> Map {
    let loaded = model::load_str(source, std::path::Path::new("test.ron")).expect("test map loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.map
}

fn simulate(map: &Map) -> Outcome {
    simulate_with(
        map,
        Builder {
            users: 300,
            days: 2,
            seed: 7,
            ..Builder::default()
        },
    )
}

fn simulate_with(map: &Map, builder: Builder) -> Outcome {
    let plan = compile::compile(map);
    builder
        .build(map, &plan)
        .expect("population within limits")
        .run(&Control::default())
        .expect("run completes")
}

/// Replaces a node's kind, written as in a map file.
fn set(map: &mut Map, id: &str, kind: &str) {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let kind: NodeKind = options.from_str(kind).expect("kind parses");
    let node = map
        .nodes
        .iter_mut()
        .find(|n| n.id.as_str() == id)
        .expect("node exists");
    node.kind = kind;
}

/// Removes a node and the edges that touch it.
fn remove(map: &mut Map, id: &str) {
    map.nodes.retain(|n| n.id.as_str() != id);
    map.edges
        .retain(|e| e.from.as_str() != id && e.to.as_str() != id);
}

fn found<'a>(out: &'a Outcome, id: &str) -> Option<&'a Finding> {
    out.findings.iter().find(|f| f.id == id)
}

const CREATE_SERVER: &str = "CreateSession(mechanism: ServerSide, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: true, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))";

fn create_with(from: &str, to: &str) -> String {
    assert!(CREATE_SERVER.contains(from), "{from}");
    CREATE_SERVER.replace(from, to)
}

/// One catalogue row: the change that opens the gap (on the secure base), the change that
/// closes it again (on the gap map; usually nothing: the base is the fixed map), and words the
/// evidence must contain.
struct Row {
    id: &'static str,
    base: &'static str,
    gap: fn(&mut Map),
    fix: Option<fn(&mut Map)>,
    evidence: &'static [&'static str],
}

/// The fix is the secure base map itself.
const BASE: Option<fn(&mut Map)> = None;

fn assert_row(row: &Row) {
    let mut gap = load(row.base);
    (row.gap)(&mut gap);
    let out = simulate(&gap);
    let f = found(&out, row.id).unwrap_or_else(|| {
        panic!(
            "{}: expected the finding on the gap map; got {:?}",
            row.id,
            out.findings.iter().map(|f| f.id).collect::<Vec<_>>()
        )
    });
    assert_eq!(f.how, How::Sim, "{}", row.id);
    assert!(!f.nodes.is_empty(), "{}: names the nodes involved", row.id);
    assert!(
        (1..=8).contains(&f.evidence.len()),
        "{}: a short trace, got {:#?}",
        row.id,
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .all(|s| s.at_ms.is_some() && s.node.is_some()),
        "{}: every step is timed and placed: {:#?}",
        row.id,
        f.evidence
    );
    let text: String = f
        .evidence
        .iter()
        .map(|s| format!("{} {} -> {}\n", s.actor, s.action, s.outcome))
        .collect();
    for words in row.evidence {
        assert!(
            text.contains(words),
            "{}: evidence should contain {words:?}:\n{text}",
            row.id
        );
    }
    let fixed = match row.fix {
        None => load(row.base),
        Some(fix) => {
            let mut fixed = gap.clone();
            fix(&mut fixed);
            fixed
        }
    };
    let out_fixed = simulate(&fixed);
    assert!(
        found(&out_fixed, row.id).is_none(),
        "{}: the fixed map must not show the finding: {:#?}",
        row.id,
        found(&out_fixed, row.id)
    );
    // The complete set: the secure base shows nothing; a fix on the gap map removes exactly
    // this finding and brings none.
    let fixed_ids = ids(&out_fixed);
    match row.fix {
        None => assert_eq!(fixed_ids, Vec::<&str>::new(), "{}: the secure base", row.id),
        Some(_) => {
            let gap_ids = ids(&out);
            let brought: Vec<&&str> = fixed_ids.iter().filter(|i| !gap_ids.contains(i)).collect();
            assert!(brought.is_empty(), "{}: the fix brings {brought:?}", row.id);
        }
    }
}

/// The ids of a run's findings, sorted.
fn ids(out: &Outcome) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = out.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

macro_rules! rows {
    ($($name:ident: $row:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_row(&$row);
            }
        )*
        /// Every sim row of the catalogue has a test above.
        const TESTED: &[&str] = &[$($row.id),*];
    };
}

rows! {
    sequential_ids_let_an_attacker_take_over_a_neighbour_session: Row {
        id: "SESS-ID-PREDICTABLE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("Csprng(bits: 128)", "Sequential")),
        evidence: &["studies its session ids", "accepted as the victim"],
    };
    low_entropy_ids_are_found_by_enumeration: Row {
        id: "SESS-ID-PREDICTABLE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("Csprng(bits: 128)", "LowEntropy(bits: 12)")),
        evidence: &["accepted as"],
    };
    a_server_that_adopts_made_up_ids_hands_the_attacker_the_victims_session: Row {
        id: "SESS-ID-PERMISSIVE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("client_ids: Strict, on_login: RotateEndOld", "client_ids: Permissive, on_login: Keep")),
        evidence: &["makes up the id", "adopted", "accepted as the victim"],
    };
    an_id_kept_at_login_authenticates_the_planted_id: Row {
        id: "SESS-FIX-NOROTATE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("on_login: RotateEndOld", "on_login: Keep")),
        evidence: &["plants it", "uses the planted id", "accepted as the victim"],
    };
    a_rotated_but_living_old_id_authenticates_the_planted_id: Row {
        id: "SESS-FIX-OLDID-ALIVE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("on_login: RotateEndOld", "on_login: RotateKeepOld")),
        evidence: &["uses the planted id", "accepted as the victim"],
    };
    a_demoted_admins_session_keeps_the_admin_role: Row {
        id: "SESS-PRIV-STALE", base: SERVER, fix: BASE,
        gap: |m| set(m, "demote", "PrivilegeChange(rotation: Keep, reloads_privileges: false)"),
        evidence: &["changes the user's role from administrator to user", "admin action", "accepted"],
    };
    a_full_session_before_email_verification_opens_protected_pages: Row {
        id: "SESS-PREVERIFY", base: SERVER, fix: BASE,
        gap: |m| set(m, "signup", "SignUp(before_verification: Full)"),
        evidence: &["skips the emailed verification link", "accepted"],
    };
    without_an_idle_timeout_an_abandoned_session_is_accepted: Row {
        id: "SESS-IDLE-NONE", base: SERVER, fix: BASE,
        gap: |m| { remove(m, "idle"); remove(m, "warning"); },
        evidence: &["without touching the page", "accepted as the victim"],
    };
    an_idle_timeout_beyond_the_profile_is_reported_with_its_value: Row {
        id: "SESS-IDLE-TOO-LONG", base: SERVER, fix: BASE,
        gap: |m| set(m, "idle", "IdleTimeout(after: Hours(2), resets_on: UserAction, enforced: Server)"),
        evidence: &["comes back after 31 min", "accepted"],
    };
    a_busy_session_without_a_hard_cap_outlives_the_profile_limit: Row {
        id: "SESS-ABS-NONE", base: SERVER, fix: BASE,
        gap: |m| remove(m, "absolute"),
        evidence: &["stays active", "accepted as the victim"],
    };
    an_absolute_timeout_beyond_the_profile_is_reported_with_its_value: Row {
        id: "SESS-ABS-TOO-LONG", base: SERVER, fix: BASE,
        gap: |m| set(m, "absolute", "AbsoluteTimeout(after: Hours(24), enforced: Server)"),
        evidence: &["stays active", "13 h after signing in", "accepted as the victim"],
    };
    a_pinging_tab_keeps_an_idle_session_alive: Row {
        id: "SESS-IDLE-BGPING", base: SERVER, fix: BASE,
        gap: |m| set(m, "idle", "IdleTimeout(after: Minutes(15), resets_on: AnyRequest, enforced: Server)"),
        evidence: &["pings every 1 min", "clicks", "accepted as the victim"],
    };
    client_only_expiry_accepts_a_replayed_cookie: Row {
        id: "SESS-EXPIRY-CLIENTSIDE", base: SERVER, fix: BASE,
        gap: |m| set(m, "idle", "IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: ClientOnly)"),
        evidence: &["deletes the cookie", "replays a copy", "accepted as the victim"],
    };
    an_idle_timeout_shorter_than_normal_pauses_logs_users_out_mid_task: Row {
        id: "USAB-IDLE-FRICTION", base: SERVER, fix: BASE,
        gap: |m| set(m, "idle", "IdleTimeout(after: Minutes(5), resets_on: UserAction, enforced: Server)"),
        evidence: &["refused: session expired (idle)"],
    };
    expiry_without_draft_recovery_loses_the_users_form: Row {
        id: "USAB-NO-WARNING", base: SERVER,
        gap: |m| {
            set(m, "idle", "IdleTimeout(after: Minutes(5), resets_on: UserAction, enforced: Server)");
            set(m, "warning", "ExpiryWarning(before: Minutes(2), keeps_drafts: false)");
        },
        fix: Some(|m| set(m, "warning", "ExpiryWarning(before: Minutes(2), keeps_drafts: true)")),
        evidence: &["long form", "not restored"],
    };
    a_remember_me_token_without_lifetime_logs_in_on_day_400: Row {
        id: "REMEMBER-NO-MAX", base: SERVER, fix: BASE,
        gap: |m| remove(m, "remember-life"),
        evidence: &["remember me", "day 400", "accepted as the victim"],
    };
    a_remember_me_lifetime_beyond_the_profile_is_reported: Row {
        id: "REMEMBER-TOO-LONG", base: SERVER, fix: BASE,
        gap: |m| set(m, "remember-life", "RememberMeLifetime(after: Days(90))"),
        evidence: &["returns 31 days later", "accepted as the victim"],
    };
    an_unbound_remember_me_token_logs_in_on_another_machine: Row {
        id: "REMEMBER-UNBOUND", base: SERVER, fix: BASE,
        gap: |m| set(m, "remember", "RememberMe(device_bound: false, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false)"),
        evidence: &["copies the remember-me cookie to its own machine", "accepted as the victim"],
    };
    a_static_remember_me_token_logs_in_after_logout: Row {
        id: "REMEMBER-STATIC", base: SERVER, fix: BASE,
        gap: |m| set(m, "remember", "RememberMe(device_bound: true, rotate_on_use: false, survives_logout: true, grants_sensitive_actions: false)"),
        evidence: &["logs out", "presents the copied remember-me token", "accepted as the victim"],
    };
    a_remember_me_login_that_grants_sensitive_actions_changes_the_email: Row {
        id: "REMEMBER-ESCALATION", base: SERVER,
        gap: |m| {
            set(m, "remember", "RememberMe(device_bound: true, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: true)");
            set(m, "email", "SensitiveAction(action: \"change email\", reauth: NotRequired)");
        },
        fix: Some(|m| set(m, "remember", "RememberMe(device_bound: true, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false)")),
        evidence: &["remember-me signs it in", "does «Change email»", "accepted as the victim"],
    };
    a_client_only_logout_leaves_the_session_valid: Row {
        id: "LOGOUT-SERVER-NOOP", base: SERVER, fix: BASE,
        gap: |m| set(m, "logout", "Logout(scope: ThisDevice, invalidation: ClientOnly, revokes_refresh_tokens: true)"),
        evidence: &["logs out", "replays the copied credential", "accepted as the victim"],
    };
    without_log_out_everywhere_the_lost_phone_stays_signed_in: Row {
        id: "LOGOUT-OTHERS-NONE", base: SERVER, fix: BASE,
        gap: |m| remove(m, "logout-all"),
        evidence: &["finds only this logout", "the phone", "accepted as the victim"],
    };
    a_password_change_that_keeps_sessions_leaves_the_attacker_in: Row {
        id: "CRED-CHANGE-SURVIVE", base: SERVER, fix: BASE,
        gap: |m| set(m, "password", "PasswordChange(ends_other_sessions: false, revokes_refresh_tokens: true)"),
        evidence: &["phished password", "changes the password", "accepted as the victim"],
    };
    a_disabled_account_keeps_its_sessions: Row {
        id: "ACCT-DISABLE-SURVIVE", base: SERVER, fix: BASE,
        gap: |m| set(m, "disable", "AccountDisable(ends_sessions: false)"),
        evidence: &["disables", "accepted"],
    };
    an_app_that_ignores_idp_logout_keeps_the_session: Row {
        id: "FED-RP-OUTLIVES-IDP", base: SERVER, fix: BASE,
        gap: |m| set(m, "sso", "Sso(provider: \"Okta\", protocol: Oidc, idp_logout: Ignored)"),
        evidence: &["signs out at the identity provider", "accepted as the victim"],
    };
    an_unbound_session_is_replayed_from_another_machine: Row {
        id: "BIND-NONE", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("ip: true, user_agent: true", "ip: false, user_agent: false")),
        evidence: &["another IP address and another browser", "accepted as the victim"],
    };
    impossible_travel_goes_unnoticed_without_a_velocity_check: Row {
        id: "GEO-VELOCITY-NONE", base: SERVER,
        gap: |m| set(m, "create", &create_with("ip: true, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))", "ip: false, user_agent: true, on_mismatch: RequireReauth, travel: None")),
        fix: Some(|m| set(m, "create", &create_with("ip: true", "ip: false"))),
        evidence: &["London", "New York", "accepted as the victim"],
    };
    a_sensitive_action_without_reauthentication_is_taken_over: Row {
        id: "REAUTH-SENSITIVE-NONE", base: SERVER, fix: BASE,
        gap: |m| set(m, "email", "SensitiveAction(action: \"change email\", reauth: NotRequired)"),
        evidence: &["rides the session", "accepted as the victim"],
    };
    a_recent_login_window_of_half_a_day_is_stale: Row {
        id: "REAUTH-STALE", base: SERVER, fix: BASE,
        gap: |m| {
            set(m, "email", "SensitiveAction(action: \"change email\", reauth: RecentLogin(within: Hours(12)))");
            remove(m, "absolute");
        },
        evidence: &["11 h 59 min after sign-in", "accepted as the victim"],
    };
    unlimited_sessions_let_a_credential_stuffer_open_fifty: Row {
        id: "CONC-UNLIMITED", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("Limited(max: 5, per_device: false, on_limit: EvictOldestInactive)", "Unlimited")),
        evidence: &["50 sessions opened", "accepted as the victim"],
    };
    last_login_wins_lets_an_attacker_log_the_user_out: Row {
        id: "CONC-EVICTION-DOS", base: SERVER, fix: BASE,
        gap: |m| set(m, "create", &create_with("Limited(max: 5, per_device: false, on_limit: EvictOldestInactive)", "Single(on_limit: EvictOldestInactive)")),
        evidence: &["signs in once as the victim", "refused"],
    };
    a_single_session_policy_logs_multi_device_users_out: Row {
        id: "USAB-SINGLE-FRICTION", base: SERVER,
        gap: |m| {
            set(m, "create", &create_with("Limited(max: 5, per_device: false, on_limit: EvictOldestInactive)", "Single(on_limit: EvictOldestInactive)"));
            // People who stay signed in on their laptop and their phone.
            m.personas[0].behaviours.push(model::Behaviour::ForgetsToLogOut);
        },
        fix: Some(|m| set(m, "create", CREATE_SERVER)),
        evidence: &["signs in on the", "ended the session on the"],
    };
    a_script_readable_cookie_is_stolen_by_xss_and_replayed: Row {
        id: "TOKEN-STORAGE", base: SERVER,
        gap: |m| {
            set(m, "cookie", "ClientStorage(holds: SessionId, location: Cookie((name: \"sid\", secure: true, http_only: false, same_site: Lax, path: \"/\", domain: None, max_age: None)))");
            set(m, "create", &create_with("ip: true, user_agent: true", "ip: false, user_agent: false"));
        },
        fix: Some(|m| set(m, "cookie", "ClientStorage(holds: SessionId, location: Cookie((name: \"__Host-sid\", secure: true, http_only: true, same_site: Lax, path: \"/\", domain: None, max_age: None)))")),
        evidence: &["injected script", "readable", "accepted as the victim"],
    };
    an_unrevocable_token_is_replayed_after_logout: Row {
        id: "JWT-NO-REVOKE", base: HYBRID, fix: BASE,
        gap: |m| set(m, "token", "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: UntilExpiry, fields: [])"),
        evidence: &["logs out", "accepted as the victim"],
    };
    a_slow_denylist_leaves_a_revoked_token_usable: Row {
        id: "REVOKE-LATENCY", base: HYBRID, fix: BASE,
        gap: |m| set(m, "token", "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: Minutes(3)), fields: [])"),
        evidence: &["logs out", "accepted as the victim"],
    };
    a_stolen_long_lived_access_token_works_for_hours: Row {
        id: "JWT-LONG-LIVED", base: HYBRID, fix: BASE,
        gap: |m| set(m, "access-life", "TokenLifetime(token: Access, after: Hours(8))"),
        evidence: &["without touching the page", "accepted as the victim"],
    };
    an_unsigned_token_naming_the_victim_is_accepted: Row {
        id: "JWT-VALIDATION-WEAK", base: HYBRID, fix: BASE,
        gap: |m| set(m, "token", "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: true, revocation: Denylist(propagation: None), fields: [])"),
        evidence: &["alg to none", "accepted as the victim"],
    };
    an_expired_token_is_accepted_when_exp_is_not_checked: Row {
        id: "JWT-VALIDATION-WEAK", base: HYBRID, fix: BASE,
        gap: |m| set(m, "token", "SignedToken(algorithm: Es256, verifies_expiry: false, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [])"),
        evidence: &["without touching the page", "accepted as the victim"],
    };
    a_reusable_refresh_token_keeps_thief_and_victim_refreshing: Row {
        id: "RT-NO-ROTATION", base: HYBRID, fix: BASE,
        gap: |m| set(m, "refresh", "TokenRefresh(rotation: Reusable, expiry: Absolute)"),
        evidence: &["uses the copied", "the app refreshes again", "accepted as the victim"],
    };
    a_wide_grace_window_accepts_a_token_two_generations_old: Row {
        id: "RT-GRACE-WIDE", base: HYBRID, fix: BASE,
        gap: |m| set(m, "refresh", "TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 2), expiry: Absolute)"),
        evidence: &["two generations old", "accepted as the victim"],
    };
    a_sliding_refresh_token_without_a_cap_lives_for_a_year: Row {
        id: "RT-NO-ABS-EXPIRY", base: HYBRID,
        fix: Some(|m| set(m, "refresh", "TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 0), expiry: Absolute)")),
        gap: |m| {
            set(m, "refresh", "TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 0), expiry: Sliding)");
            remove(m, "idle");
            remove(m, "absolute");
        },
        evidence: &["for a year"],
    };
    a_refresh_token_that_survives_logout_mints_new_tokens: Row {
        id: "RT-SURVIVES-LOGOUT", base: HYBRID, fix: BASE,
        gap: |m| set(m, "logout", "Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: false)"),
        evidence: &["logs out", "exchanges the copied refresh token", "accepted as the victim"],
    };
}

#[test]
fn every_sim_row_of_the_catalogue_has_a_gap_and_fix_test() {
    for entry in CATALOGUE.iter().filter(|e| e.how == How::Sim) {
        assert!(
            TESTED.contains(&entry.id.as_str()),
            "no test for {}",
            entry.id
        );
    }
}

#[test]
fn the_secure_maps_show_no_simulated_security_gap() {
    for base in [SERVER, HYBRID] {
        let out = simulate(&load(base));
        let ids: Vec<&str> = out.findings.iter().map(|f| f.id.as_str()).collect();
        assert!(ids.is_empty(), "{ids:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_report_and_another_seed_may_not() {
    let map = templates::find("legacy-shop")
        .expect("template")
        .load()
        .expect("loads")
        .map;
    let plan = compile::compile(&map);
    let profile = Profile::default_profile();
    let report = |seed: u64, threads: usize| {
        let out = Builder {
            users: 5_000,
            days: 1,
            seed,
            threads,
            ..Builder::default()
        }
        .build(&map, &plan)
        .expect("builds")
        .run(&Control::default())
        .expect("runs");
        let mut r = out.report(&map, "legacy-shop.ron", &profile, Vec::new());
        r.run.clear();
        sessionmap::report::render(&r, sessionmap::report::Format::Json)
    };
    let one = report(42, 1);
    assert_eq!(
        one,
        report(42, 2),
        "thread count does not change the result"
    );
    assert_eq!(one, report(42, 1));
    assert_ne!(one, report(43, 1), "the seed matters");
}

#[test]
fn the_as_is_legacy_shop_shows_its_gaps_with_traces() {
    let map = templates::find("legacy-shop")
        .expect("template")
        .load()
        .expect("loads")
        .map;
    let out = simulate(&map);
    for id in [
        "SESS-ID-PREDICTABLE",
        "SESS-ID-PERMISSIVE",
        "SESS-FIX-NOROTATE",
        "SESS-PREVERIFY",
        "SESS-EXPIRY-CLIENTSIDE",
        "SESS-IDLE-BGPING",
        "SESS-ABS-NONE",
        "REMEMBER-NO-MAX",
        "REMEMBER-UNBOUND",
        "REMEMBER-STATIC",
        "REMEMBER-ESCALATION",
        "LOGOUT-SERVER-NOOP",
        "CRED-CHANGE-SURVIVE",
        "ACCT-DISABLE-SURVIVE",
        "TOKEN-STORAGE",
        "BIND-NONE",
        "CONC-UNLIMITED",
        "REAUTH-SENSITIVE-NONE",
    ] {
        let f = found(&out, id).unwrap_or_else(|| panic!("legacy shop should show {id}"));
        assert!(!f.evidence.is_empty(), "{id} has a trace");
    }
    let m = &out.metrics;
    assert!(m.attack_success["steal-xss"].succeeded > 0);
    assert!(
        m.exposure_window.samples > 0,
        "stolen cookies give an exposure window"
    );
    assert!(m.events > 10_000);
}

#[test]
fn every_template_gives_the_findings_its_drawing_deserves() {
    // Templates that model good practice show no critical simulated gap; the trade-offs their
    // drawings make on purpose show as what they are.
    let expect: &[(&str, &[&str], &[&str])] = &[
        (
            // One session per user, but behind MFA: a password alone cannot evict anyone.
            "banking",
            &[],
            &[
                "LOGOUT-SERVER-NOOP",
                "SESS-IDLE-NONE",
                "BIND-NONE",
                "CONC-EVICTION-DOS",
            ],
        ),
        (
            "spa-hybrid-tokens",
            &[],
            &["JWT-NO-REVOKE", "RT-NO-ROTATION", "TOKEN-STORAGE"],
        ),
        (
            // Absolute 24 h is drawn: too long for the profile, not missing.
            "content-site",
            &["SESS-IDLE-TOO-LONG", "SESS-ABS-TOO-LONG"],
            &["LOGOUT-SERVER-NOOP", "SESS-ABS-NONE"],
        ),
        (
            // "Suspend a customer account — ends sessions" reaches the customers' flow.
            "saas-admin",
            &[],
            &["LOGOUT-SERVER-NOOP", "ACCT-DISABLE-SURVIVE"],
        ),
        (
            "mobile-api",
            &[],
            &["RT-NO-ROTATION", "JWT-VALIDATION-WEAK"],
        ),
        (
            "sso-oidc",
            &["FED-RP-OUTLIVES-IDP"],
            &["LOGOUT-SERVER-NOOP"],
        ),
        (
            "legacy-shop",
            &["SESS-ID-PREDICTABLE", "LOGOUT-SERVER-NOOP"],
            &[],
        ),
        // Framework defaults (each node's notes cite the setting and its default).
        (
            // A signed cookie session nobody can revoke; Flask-Login's remember_token is the
            // user id and an HMAC, never rotated, never expired on the server.
            "flask-login",
            &[
                "LOGOUT-SERVER-NOOP",
                "REMEMBER-NO-MAX",
                "REMEMBER-STATIC",
                "SESS-IDLE-NONE",
                "SESS-ABS-TOO-LONG",
            ],
            &[
                "SESS-FIX-NOROTATE",
                "SESS-EXPIRY-CLIENTSIDE",
                "SESS-ABS-NONE",
            ],
        ),
        (
            // SESSION_COOKIE_AGE two weeks, nothing slides; login cycles the key, logout
            // flushes, a password change ends the other sessions.
            "django",
            &["SESS-IDLE-NONE", "SESS-ABS-TOO-LONG"],
            &[
                "LOGOUT-SERVER-NOOP",
                "SESS-FIX-NOROTATE",
                "CRED-CHANGE-SURVIVE",
                "ACCT-DISABLE-SURVIVE",
            ],
        ),
        (
            // No regenerate() on login, maxAge null: fixation and sessions that never end.
            "express-session",
            &["SESS-FIX-NOROTATE", "SESS-IDLE-NONE", "SESS-ABS-NONE"],
            &["LOGOUT-SERVER-NOOP"],
        ),
        (
            // reset_session gives this browser a new cookie; a copy of the old one still works.
            "rails-cookie-store",
            &["LOGOUT-SERVER-NOOP", "SESS-IDLE-NONE", "SESS-ABS-NONE"],
            &["SESS-EXPIRY-CLIENTSIDE", "SESS-FIX-NOROTATE"],
        ),
        (
            // 30 min sliding idle timeout, changeSessionId on login, no absolute lifetime.
            "spring-session",
            &["SESS-ABS-NONE"],
            &["SESS-IDLE-NONE", "SESS-FIX-NOROTATE", "LOGOUT-SERVER-NOOP"],
        ),
        (
            // A 14-day sliding ticket the server checks but cannot revoke.
            "aspnet-core-cookie",
            &["LOGOUT-SERVER-NOOP", "SESS-ABS-NONE", "SESS-IDLE-TOO-LONG"],
            &["SESS-EXPIRY-CLIENTSIDE", "SESS-IDLE-NONE"],
        ),
    ];
    for t in templates::ALL {
        let (_, present, absent) = expect
            .iter()
            .find(|(name, _, _)| *name == t.name)
            .unwrap_or_else(|| panic!("template {} has expectations", t.name));
        let out = simulate(&t.load().expect("loads").map);
        let ids: Vec<&str> = out.findings.iter().map(|f| f.id.as_str()).collect();
        for id in *present {
            assert!(ids.contains(id), "{}: expected {id} in {ids:?}", t.name);
        }
        for id in *absent {
            assert!(
                !ids.contains(id),
                "{}: did not expect {id} in {ids:?}",
                t.name
            );
        }
    }
}

#[test]
fn populations_beyond_the_limits_are_refused_up_front() {
    let map = load(SERVER);
    let plan = compile::compile(&map);
    let too_many = Builder {
        users: 100_000_000,
        ..Builder::default()
    }
    .build(&map, &plan);
    assert!(matches!(
        too_many,
        Err(SimError::TooLarge {
            limit: 5_000_000,
            ..
        })
    ));
    let message = too_many.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("5000000"), "{message}");
    assert!(matches!(
        Builder {
            users: 0,
            ..Builder::default()
        }
        .build(&map, &plan),
        Err(SimError::NoUsers)
    ));
}

#[test]
fn a_cancelled_run_stops_and_says_so() {
    let map = load(SERVER);
    let plan = compile::compile(&map);
    let control = Control::default();
    control.cancel();
    let result = Builder::default()
        .build(&map, &plan)
        .expect("builds")
        .run(&control);
    assert!(matches!(result, Err(SimError::Cancelled)));
}

#[test]
fn findings_name_nodes_that_exist_in_the_map() {
    let map = templates::find("legacy-shop")
        .expect("template")
        .load()
        .expect("loads")
        .map;
    let out = simulate(&map);
    for f in &out.findings {
        for n in &f.nodes {
            assert!(map.node(n).is_some(), "{}: unknown node {n}", f.id);
        }
        for s in &f.evidence {
            assert!(s.node.as_ref().is_none_or(|n| map.node(n).is_some()));
        }
    }
}

// ----- the true cause: same symptom, different cause -----

/// The finding with this id, which must exist, and the ids of every finding.
fn the<'a>(out: &'a Outcome, id: &str) -> &'a Finding {
    found(out, id).unwrap_or_else(|| panic!("expected {id}; got {:?}", ids(out)))
}

fn assert_absent(out: &Outcome, absent: &[&str]) {
    let ids = ids(out);
    for id in absent {
        assert!(!ids.contains(id), "did not expect {id} in {ids:?}");
    }
}

/// The hybrid base with a 24-hour access token that nothing can revoke, a 30-minute idle
/// timeout reset by user actions only, and a 10-hour absolute timeout.
fn long_token_map() -> Map {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "access-life",
        "TokenLifetime(token: Access, after: Hours(24))",
    );
    set(
        &mut m,
        "token",
        "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: UntilExpiry, fields: [])",
    );
    set(
        &mut m,
        "absolute",
        "AbsoluteTimeout(after: Hours(10), enforced: Server)",
    );
    m
}

#[test]
fn a_long_lived_irrevocable_access_token_is_blamed_not_the_drawn_session_timeouts() {
    let out = simulate(&long_token_map());
    let long = the(&out, "JWT-LONG-LIVED");
    assert_eq!(long.nodes[0].as_str(), "access-life", "{:?}", long.nodes);
    assert!(
        long.explanation.contains("1 day as drawn"),
        "{}",
        long.explanation
    );
    let revoke = the(&out, "JWT-NO-REVOKE");
    assert!(
        revoke.nodes.iter().any(|n| n.as_str() == "token"),
        "{:?}",
        revoke.nodes
    );
    // The drawn timeouts are within the profile, enforced by the server, and reset by user
    // actions only: none of them is the cause.
    assert_absent(
        &out,
        &[
            "SESS-ABS-NONE",
            "SESS-ABS-TOO-LONG",
            "SESS-EXPIRY-CLIENTSIDE",
            "SESS-IDLE-BGPING",
            "SESS-IDLE-TOO-LONG",
            "SESS-IDLE-NONE",
        ],
    );
}

#[test]
fn the_same_idle_symptom_names_the_missing_timeout_or_the_long_one() {
    let mut none = load(SERVER);
    remove(&mut none, "idle");
    remove(&mut none, "warning");
    let out = simulate(&none);
    assert_eq!(the(&out, "SESS-IDLE-NONE").nodes[0].as_str(), "create");
    assert_absent(&out, &["SESS-IDLE-TOO-LONG", "JWT-LONG-LIVED"]);

    let mut long = load(SERVER);
    set(
        &mut long,
        "idle",
        "IdleTimeout(after: Hours(2), resets_on: UserAction, enforced: Server)",
    );
    let out = simulate(&long);
    let f = the(&out, "SESS-IDLE-TOO-LONG");
    assert_eq!(f.nodes[0].as_str(), "idle");
    assert!(
        f.explanation.contains("2 h"),
        "quotes the drawn value: {}",
        f.explanation
    );
    assert_absent(&out, &["SESS-IDLE-NONE"]);
}

#[test]
fn the_same_busy_session_symptom_names_a_missing_cap_or_a_long_one() {
    let mut none = load(SERVER);
    remove(&mut none, "absolute");
    let out = simulate(&none);
    let f = the(&out, "SESS-ABS-NONE");
    assert!(
        f.nodes.iter().any(|n| n.as_str() == "idle"),
        "{:?}",
        f.nodes
    );
    assert_absent(&out, &["SESS-ABS-TOO-LONG"]);

    let mut long = load(SERVER);
    set(
        &mut long,
        "absolute",
        "AbsoluteTimeout(after: Hours(24), enforced: Server)",
    );
    let out = simulate(&long);
    let f = the(&out, "SESS-ABS-TOO-LONG");
    assert_eq!(f.nodes[0].as_str(), "absolute");
    assert!(f.explanation.contains("1 day"), "{}", f.explanation);
    assert_absent(&out, &["SESS-ABS-NONE"]);
}

#[test]
fn client_only_expiry_and_no_expiry_are_told_apart() {
    let mut client = load(SERVER);
    set(
        &mut client,
        "idle",
        "IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: ClientOnly)",
    );
    let out = simulate(&client);
    assert_eq!(
        the(&out, "SESS-EXPIRY-CLIENTSIDE").nodes[0].as_str(),
        "idle"
    );
    assert_absent(&out, &["SESS-IDLE-NONE", "SESS-IDLE-TOO-LONG"]);

    let mut none = load(SERVER);
    remove(&mut none, "idle");
    remove(&mut none, "warning");
    assert_absent(&simulate(&none), &["SESS-EXPIRY-CLIENTSIDE"]);
}

#[test]
fn pings_that_count_as_activity_and_a_missing_idle_timeout_are_told_apart() {
    let mut pings = load(SERVER);
    set(
        &mut pings,
        "idle",
        "IdleTimeout(after: Minutes(15), resets_on: AnyRequest, enforced: Server)",
    );
    let out = simulate(&pings);
    let f = the(&out, "SESS-IDLE-BGPING");
    assert!(
        f.nodes.iter().any(|n| n.as_str() == "ping"),
        "{:?}",
        f.nodes
    );
    assert_absent(&out, &["SESS-IDLE-NONE"]);

    // The same drawing but pings reset nothing: no gap at all.
    let out = simulate(&load(SERVER));
    assert_absent(&out, &["SESS-IDLE-BGPING"]);
}

#[test]
fn a_sign_out_that_keeps_refresh_tokens_does_not_weaken_the_drawn_sign_out_everywhere() {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "logout",
        "Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: false)",
    );
    let out = simulate(&m);
    let f = the(&out, "RT-SURVIVES-LOGOUT");
    assert_eq!(f.nodes[0].as_str(), "logout");
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "logout-all"),
        "{:?}",
        f.nodes
    );
    assert_absent(&out, &["LOGOUT-OTHERS-NONE", "USAB-SINGLE-FRICTION"]);
}

#[test]
fn a_client_only_sign_out_beside_a_revoking_sign_out_everywhere_blames_only_the_first() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "logout",
        "Logout(scope: ThisDevice, invalidation: ClientOnly, revokes_refresh_tokens: true)",
    );
    let out = simulate(&m);
    let f = the(&out, "LOGOUT-SERVER-NOOP");
    assert_eq!(f.nodes[0].as_str(), "logout");
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "logout-all"),
        "{:?}",
        f.nodes
    );
    assert_absent(&out, &["LOGOUT-OTHERS-NONE"]);

    // The other way round: the everywhere one is client-only and is the one named.
    let mut m = load(SERVER);
    set(
        &mut m,
        "logout-all",
        "Logout(scope: AllDevices, invalidation: ClientOnly, revokes_refresh_tokens: true)",
    );
    let out = simulate(&m);
    let f = the(&out, "LOGOUT-SERVER-NOOP");
    assert_eq!(f.nodes[0].as_str(), "logout-all");
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "logout"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn a_reset_link_that_opens_a_full_session_before_completion_is_a_preverify_gap() {
    let reset = |before: &str| {
        let source = SERVER
            .replace(
                "    ],\n    edges: [",
                &format!(
                    "        (id: \"reset\", label: \"Reset password\", kind: PasswordReset(link_ttl: Minutes(30), before_completion: {before}), lane: \"users\", pos: (0.0, 500.0)),\n    ],\n    edges: ["
                ),
            )
            .replace(
                "        (id: \"e1\",",
                "        (id: \"e0\", from: \"reset\", to: \"create\", trigger: UserAction),\n        (id: \"e1\",",
            );
        load(&source)
    };
    let out = simulate(&reset("Full"));
    let f = the(&out, "SESS-PREVERIFY");
    assert_eq!(f.nodes[0].as_str(), "reset");
    for fixed in ["Limited", "NoSession"] {
        assert_eq!(ids(&simulate(&reset(fixed))), Vec::<&str>::new(), "{fixed}");
    }
}

#[test]
fn refresh_tokens_used_inside_a_drawn_idle_timeout_live_forever() {
    // The refresh token slides for 30 days, but a drawn 14-day idle timeout ends an unused
    // family first: the probe must refresh inside 14 days to show the gap.
    let mut m = load(HYBRID);
    set(
        &mut m,
        "refresh",
        "TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 0), expiry: Sliding)",
    );
    set(
        &mut m,
        "refresh-life",
        "TokenLifetime(token: Refresh, after: Days(30))",
    );
    set(
        &mut m,
        "idle",
        "IdleTimeout(after: Days(14), resets_on: UserAction, enforced: Server)",
    );
    remove(&mut m, "absolute");
    let out = simulate(&m);
    let f = the(&out, "RT-NO-ABS-EXPIRY");
    let text: String = f.evidence.iter().map(|s| s.action.clone()).collect();
    assert!(text.contains("every 13 days"), "{text}");
}

#[test]
fn user_agent_binding_does_not_stop_an_xss_thief_acting_from_the_victims_browser() {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "holder",
        "ClientStorage(holds: AccessToken, location: LocalStorage)",
    );
    let out = simulate(&m);
    let f = the(&out, "TOKEN-STORAGE");
    let text: String = f
        .evidence
        .iter()
        .map(|s| format!("{} {}\n", s.action, s.outcome))
        .collect();
    assert!(text.contains("from the victim's browser"), "{text}");
    assert!(text.contains("accepted as the victim"), "{text}");
    // The explanation names where the token is kept and the fix for that place.
    assert!(f.explanation.contains("localStorage"), "{}", f.explanation);
    assert!(
        !f.explanation.contains("HttpOnly on the cookie"),
        "{}",
        f.explanation
    );
}

#[test]
fn a_script_readable_cookie_is_named_with_its_missing_httponly() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "cookie",
        "ClientStorage(holds: SessionId, location: Cookie((name: \"sid\", secure: true, http_only: false, same_site: Lax, path: \"/\", domain: None, max_age: None)))",
    );
    let out = simulate(&m);
    let f = the(&out, "TOKEN-STORAGE");
    assert!(
        f.explanation.contains("the cookie sid without HttpOnly"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("Set HttpOnly"), "{}", f.explanation);
    assert!(!f.explanation.contains("localStorage"), "{}", f.explanation);
    assert_eq!(f.nodes.first().map(|n| n.as_str()), Some("cookie"));
}

#[test]
fn evidence_never_contradicts_itself() {
    // An idle logout's trace measures the real pause.
    let mut m = load(SERVER);
    set(
        &mut m,
        "idle",
        "IdleTimeout(after: Minutes(5), resets_on: UserAction, enforced: Server)",
    );
    let out = simulate(&m);
    let f = the(&out, "USAB-IDLE-FRICTION");
    let last = f.evidence.last().expect("a trace");
    assert!(!last.action.contains("after 0 s"), "{last:?}");
    // The far-away replay says the same time in its trace and its explanation.
    let mut m = load(SERVER);
    set(
        &mut m,
        "create",
        &create_with(
            "ip: true, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))",
            "ip: false, user_agent: true, on_mismatch: RequireReauth, travel: None",
        ),
    );
    let out = simulate(&m);
    let f = the(&out, "GEO-VELOCITY-NONE");
    assert!(
        f.explanation.contains("ten minutes later"),
        "{}",
        f.explanation
    );
    assert!(
        f.evidence
            .iter()
            .any(|s| s.action.contains("ten minutes later"))
    );
    // A logout step says what the engine answered.
    let mut m = load(HYBRID);
    set(
        &mut m,
        "logout",
        "Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: false)",
    );
    let out = simulate(&m);
    let f = the(&out, "RT-SURVIVES-LOGOUT");
    assert!(
        f.evidence
            .iter()
            .any(|s| s.outcome.contains("session(s) ended on the server")),
        "{:#?}",
        f.evidence
    );
}

#[test]
fn a_figure_quoted_in_a_finding_is_the_figure_in_the_metrics() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "idle",
        "IdleTimeout(after: Minutes(5), resets_on: UserAction, enforced: Server)",
    );
    let out = simulate(&m);
    let f = the(&out, "USAB-IDLE-FRICTION");
    let share = out.metrics.to_json()["user_days_with_idle_logout"]
        .as_f64()
        .expect("the metric");
    let printed = format!("{}%", (share * 1000.0).round() / 10.0);
    assert!(
        f.explanation.contains(&printed),
        "{printed} in {}",
        f.explanation
    );
}

#[test]
fn a_credential_stuffer_against_an_mfa_login_opens_nothing_and_counts_as_no_success() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "login",
        "Login(mfa: Required, before_mfa: NoSession)",
    );
    set(
        &mut m,
        "create",
        &create_with(
            "Limited(max: 5, per_device: false, on_limit: EvictOldestInactive)",
            "Unlimited",
        ),
    );
    let out = simulate(&m);
    assert_absent(&out, &["CONC-UNLIMITED"]);
    let stat = out.metrics.attack_success["stuff-credentials"];
    assert_eq!(stat.succeeded, 0, "{stat:?}");
}

/// The secure server-side map turned into a client-side cookie session (Flask's default, Rails'
/// cookie store), with `revocation` drawn on the cookie session.
fn cookie_session(revocation: &str) -> Map {
    let mut m = load(SERVER);
    set(
        &mut m,
        "create",
        &create_with("mechanism: ServerSide", "mechanism: ClientCookie"),
    );
    set(
        &mut m,
        "store",
        &format!(
            "ClientCookieSession(signed: true, encrypted: false, fields: [(name: \"user_id\", kind: Identity)], revocation: {revocation})"
        ),
    );
    m
}

#[test]
fn a_client_cookie_session_outlives_logout_password_change_and_disable_unless_its_revocation_is_drawn()
 {
    let endings = [
        "LOGOUT-SERVER-NOOP",
        "CRED-CHANGE-SURVIVE",
        "ACCT-DISABLE-SURVIVE",
    ];
    let out = simulate(&cookie_session("UntilExpiry"));
    for (id, node) in endings.iter().zip(["logout", "password", "disable"]) {
        let f = the(&out, id);
        assert!(
            f.nodes.iter().any(|n| n.as_str() == node),
            "{id} blames the {node} it survived: {:?}",
            f.nodes
        );
        assert!(
            f.explanation.contains("keeps nothing it could forget"),
            "{id}: {}",
            f.explanation
        );
        let trace: String = f.evidence.iter().map(|s| s.outcome.as_str()).collect();
        assert!(trace.contains("accepted as the victim"), "{id}: {trace}");
    }

    let fixed = simulate(&cookie_session("DenylistAndNotBefore(propagation: None)"));
    assert_absent(&fixed, &endings);
    // The fix brings nothing new.
    let before = ids(&out);
    let brought: Vec<_> = ids(&fixed)
        .into_iter()
        .filter(|i| !before.contains(i))
        .collect();
    assert!(brought.is_empty(), "{brought:?}");

    // A denylist alone ends one device's logout, not what needs every session of the user.
    let half = simulate(&cookie_session("Denylist(propagation: None)"));
    let f = the(&half, "LOGOUT-SERVER-NOOP");
    let blamed: Vec<&str> = f.nodes.iter().map(|n| n.as_str()).collect();
    assert!(
        blamed.contains(&"logout-all") && !blamed.contains(&"logout"),
        "only the log-out-everywhere survives a denylist: {blamed:?}"
    );
    assert!(
        f.explanation.contains("needs a per-user not-before"),
        "{}",
        f.explanation
    );
    let f = the(&half, "CRED-CHANGE-SURVIVE");
    assert!(
        f.explanation.contains("needs a per-user not-before") && f.nodes[0].as_str() == "store",
        "{:?}: {}",
        f.nodes,
        f.explanation
    );
}

#[test]
fn a_token_replayed_inside_the_drawn_propagation_delay_blames_the_delay_not_the_revocation_model() {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "token",
        "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: DenylistAndNotBefore(propagation: Minutes(5)), fields: [])",
    );
    let out = simulate(&m);
    let f = the(&out, "REVOKE-LATENCY");
    assert_eq!(f.nodes[0].as_str(), "token", "{:?}", f.nodes);
    assert!(
        f.explanation.contains("propagation delay (5 min)"),
        "{}",
        f.explanation
    );
    assert_absent(&out, &["JWT-NO-REVOKE"]);
}

#[test]
fn rotating_refresh_tokens_without_reuse_detection_blame_the_detection_not_a_grace_window() {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "refresh",
        "TokenRefresh(rotation: Rotate(reuse_detection: false, grace_generations: 0), expiry: Absolute)",
    );
    let out = simulate(&m);
    let f = the(&out, "RT-NO-ROTATION");
    assert!(
        f.explanation.contains("reuse is not detected"),
        "{}",
        f.explanation
    );
    assert_absent(&out, &["RT-GRACE-WIDE"]);
}

#[test]
fn a_client_only_shift_cap_beside_a_server_idle_timeout_blames_the_cap_and_keeps_the_idle_check() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "absolute",
        "AbsoluteTimeout(after: Hours(8), enforced: ClientOnly)",
    );
    let out = simulate(&m);
    let f = the(&out, "SESS-EXPIRY-CLIENTSIDE");
    let blamed: Vec<&str> = f.nodes.iter().map(|n| n.as_str()).collect();
    assert_eq!(blamed[0], "absolute", "{blamed:?}");
    assert!(
        !blamed.contains(&"idle"),
        "the server-checked idle timeout is not blamed"
    );
    // The idle timeout is still the server's: nothing outlives it.
    assert_absent(&out, &["SESS-IDLE-NONE", "SESS-IDLE-TOO-LONG"]);
}

#[test]
fn an_unchecked_exp_is_blamed_not_the_token_lifetime_nor_a_missing_travel_check() {
    let mut m = load(HYBRID);
    set(
        &mut m,
        "token",
        "SignedToken(algorithm: Es256, verifies_expiry: false, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [])",
    );
    let out = simulate(&m);
    the(&out, "JWT-VALIDATION-WEAK");
    assert_absent(&out, &["JWT-LONG-LIVED", "GEO-VELOCITY-NONE"]);
}

#[test]
fn an_unsigned_client_cookie_session_is_forged_and_blamed_on_its_store() {
    let mut m = cookie_session("DenylistAndNotBefore(propagation: None)");
    set(
        &mut m,
        "store",
        "ClientCookieSession(signed: false, encrypted: false, fields: [(name: \"user_id\", kind: Identity)], revocation: DenylistAndNotBefore(propagation: None))",
    );
    let out = simulate(&m);
    let f = the(&out, "JWT-VALIDATION-WEAK");
    assert_eq!(f.nodes[0].as_str(), "store", "{:?}", f.nodes);
    assert!(f.explanation.contains("not signed"), "{}", f.explanation);
    let signed = simulate(&cookie_session("DenylistAndNotBefore(propagation: None)"));
    assert_absent(&signed, &["JWT-VALIDATION-WEAK"]);
}

#[test]
fn a_hybrid_apps_refresh_keeps_a_session_past_a_long_idle_timeout_and_the_timeout_is_blamed() {
    // The access token expires in minutes, but the app refreshes it: the refresh family's
    // idle timeout (45 min, drawn) is what lets a session left alone come back.
    let mut m = load(HYBRID);
    set(
        &mut m,
        "idle",
        "IdleTimeout(after: Minutes(45), resets_on: UserAction, enforced: Server)",
    );
    let out = simulate(&m);
    let f = the(&out, "SESS-IDLE-TOO-LONG");
    assert_eq!(f.nodes[0].as_str(), "idle", "{:?}", f.nodes);
    let trace: String = f.evidence.iter().map(|s| s.action.as_str()).collect();
    assert!(trace.contains("refreshes its tokens"), "{trace}");
    assert_absent(&simulate(&load(HYBRID)), &["SESS-IDLE-TOO-LONG"]);
}

/// The map with its pings, idle and absolute timeouts redrawn at random: pings from seconds to
/// a quarter of an hour apart, idle timeouts that pings do or do not reset, server- or
/// client-enforced.
fn redraw_timers(map: &Map, seed: u64) -> Map {
    use model::{Activity, Enforcement, Span};
    use rand::{RngExt as _, SeedableRng as _};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut map = map.clone();
    for node in &mut map.nodes {
        match &mut node.kind {
            NodeKind::BackgroundPing { every } => {
                *every = if rng.random() {
                    Span::Seconds(rng.random_range(5..120))
                } else {
                    Span::Minutes(rng.random_range(1..16))
                };
            }
            NodeKind::IdleTimeout {
                after,
                resets_on,
                enforced,
            } => {
                *after = Span::Minutes(rng.random_range(1..60));
                *resets_on = [
                    Activity::AnyRequest,
                    Activity::UserAction,
                    Activity::StateChange,
                ][rng.random_range(0..3)];
                *enforced = if rng.random_range(0..4) == 0 {
                    Enforcement::ClientOnly
                } else {
                    Enforcement::Server
                };
            }
            NodeKind::AbsoluteTimeout { after, .. } => {
                *after = Span::Hours(rng.random_range(1..13));
            }
            _ => {}
        }
    }
    map
}

#[test]
fn pings_made_in_one_call_give_the_same_report_byte_for_byte_as_pings_one_by_one() {
    let profile = Profile::default_profile();
    let report = |map: &Map, exact_pings: bool| {
        let plan = compile::compile(map);
        let out = Builder {
            users: 2_000,
            days: 2,
            seed: 7,
            exact_pings,
            ..Builder::default()
        }
        .build(map, &plan)
        .expect("builds")
        .run(&Control::default())
        .expect("runs");
        let mut r = out.report(map, "map.ron", &profile, Vec::new());
        r.run.clear();
        sessionmap::report::render(&r, sessionmap::report::Format::Json)
    };
    let mut compared = 0;
    for (t, template) in templates::ALL.iter().enumerate() {
        let map = template.load().expect("loads").map;
        let variants = (0..3).map(|k| redraw_timers(&map, (t * 10 + k) as u64));
        for (k, map) in std::iter::once(map.clone()).chain(variants).enumerate() {
            let fast = report(&map, false);
            let exact = report(&map, true);
            assert!(
                fast == exact,
                "{} (variant {k}): the reports differ",
                template.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 40, "{compared} maps compared");
}

#[test]
fn an_optional_second_factor_does_not_stop_a_password_alone_from_evicting_the_user() {
    let single = create_with(
        "Limited(max: 5, per_device: false, on_limit: EvictOldestInactive)",
        "Single(on_limit: EvictOldestInactive)",
    );
    let with_mfa = |mfa: &str| {
        let mut map = load(SERVER);
        set(&mut map, "create", &single);
        set(
            &mut map,
            "login",
            &format!("Login(mfa: {mfa}, before_mfa: NoSession)"),
        );
        simulate(&map)
    };
    // Optional: a user who never turned MFA on is signed out by one sign-in with the password.
    let optional = with_mfa("Optional");
    let f = found(&optional, "CONC-EVICTION-DOS").unwrap_or_else(|| {
        panic!(
            "optional MFA: {:?}",
            optional.findings.iter().map(|f| f.id).collect::<Vec<_>>()
        )
    });
    assert!(
        f.nodes.iter().any(|n| n.as_str() == "create"),
        "{:?}",
        f.nodes
    );
    // Required: the password alone never gets past the second factor.
    let required = with_mfa("Required");
    assert!(
        found(&required, "CONC-EVICTION-DOS").is_none(),
        "{:?}",
        required.findings.iter().map(|f| f.id).collect::<Vec<_>>()
    );
}

#[test]
fn small_populations_are_cut_into_more_shards_without_changing_how_many_attackers_there_are() {
    // 10,000 users: eight shards of 1,250 (so two cores share them evenly), and still one
    // attempt per strategy for every 4,096 users, as with 4,096-user shards.
    let map = load(SERVER);
    let out = simulate_with(
        &map,
        Builder {
            users: 10_000,
            days: 1,
            seed: 3,
            ..Builder::default()
        },
    );
    let stuffing = &out.metrics.attack_success["stuff-credentials"];
    assert_eq!(stuffing.attempts, 3);
}

/// The secure server-side map with one more node (written as in a map file) and one more edge,
/// `from` → `to`.
fn server_with(node: &str, edge: (&str, &str)) -> Map {
    map_with(SERVER, node, edge)
}

/// `base` with one more node and one more edge, `from` → `to`.
fn map_with(base: &str, node: &str, (from, to): (&str, &str)) -> Map {
    let source = base
        .replace("    ],\n    edges: [", &format!("        {node},\n    ],\n    edges: ["))
        .replace(
            "        (id: \"e1\",",
            &format!(
                "        (id: \"e-added\", from: \"{from}\", to: \"{to}\", trigger: UserAction),\n        (id: \"e1\","
            ),
        );
    load(&source)
}

#[test]
fn a_client_only_start_over_drawn_after_a_server_sign_out_is_found_and_blamed() {
    let m = server_with(
        r#"(id: "startover", label: "Start over", kind: Logout(scope: ThisDevice, invalidation: ClientOnly, revokes_refresh_tokens: true), lane: "users", pos: (1250.0, 100.0))"#,
        ("page", "startover"),
    );
    let out = simulate(&m);
    let f = the(&out, "LOGOUT-SERVER-NOOP");
    assert_eq!(f.nodes[0].as_str(), "startover", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "logout"),
        "{:?}",
        f.nodes
    );
    assert_eq!(ids(&out), vec!["LOGOUT-SERVER-NOOP"]);
}

#[test]
fn a_second_account_disable_that_keeps_sessions_is_found_and_blamed() {
    let m = server_with(
        r#"(id: "suspend", label: "Suspend account", kind: AccountDisable(ends_sessions: false), lane: "users", pos: (1000.0, 400.0))"#,
        ("suspend", "login"),
    );
    let out = simulate(&m);
    let f = the(&out, "ACCT-DISABLE-SURVIVE");
    assert_eq!(f.nodes[0].as_str(), "suspend", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "disable"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn a_second_privilege_change_that_keeps_the_old_role_is_found_and_blamed() {
    let m = server_with(
        r#"(id: "impersonate", label: "Impersonate", kind: PrivilegeChange(rotation: Keep, reloads_privileges: false), lane: "users", pos: (1000.0, 500.0))"#,
        ("impersonate", "login"),
    );
    let out = simulate(&m);
    let f = the(&out, "SESS-PRIV-STALE");
    assert_eq!(f.nodes[0].as_str(), "impersonate", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "demote"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn two_sensitive_actions_ask_for_re_authentication_each_their_own_way() {
    let m = server_with(
        r#"(id: "pin", label: "Badge PIN", kind: SensitiveAction(action: "set badge pin", reauth: NotRequired), lane: "users", pos: (750.0, 200.0))"#,
        ("page", "pin"),
    );
    // Two actions asking differently is a design, not a contradiction.
    let plan = compile::compile(&m);
    assert!(
        !plan
            .diagnostics
            .iter()
            .any(|d| d.message.contains("contradicting")),
        "{:?}",
        plan.diagnostics
    );
    let out = simulate(&m);
    let f = the(&out, "REAUTH-SENSITIVE-NONE");
    assert_eq!(f.nodes[0].as_str(), "pin", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "email"),
        "{:?}",
        f.nodes
    );
    assert_eq!(ids(&out), vec!["REAUTH-SENSITIVE-NONE"]);
}

#[test]
fn a_long_drawn_remember_me_lifetime_is_too_long_not_missing() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "remember-life",
        "RememberMeLifetime(after: Days(500))",
    );
    let out = simulate(&m);
    let f = the(&out, "REMEMBER-TOO-LONG");
    assert!(f.explanation.contains("500 days"), "{}", f.explanation);
    assert_absent(&out, &["REMEMBER-NO-MAX"]);
}

#[test]
fn a_full_session_before_mfa_blames_the_login_and_shows_the_attacker_signing_in() {
    let mut m = load(SERVER);
    set(&mut m, "login", "Login(mfa: Optional, before_mfa: Full)");
    let out = simulate(&m);
    let f = the(&out, "SESS-PREVERIFY");
    assert_eq!(f.nodes[0].as_str(), "login", "{:?}", f.nodes);
    for drawn_safe in ["signup", "reset"] {
        assert!(
            !f.nodes.iter().any(|n| n.as_str() == drawn_safe),
            "{:?}",
            f.nodes
        );
    }
    let sign_in = f
        .evidence
        .iter()
        .find(|s| s.action.starts_with("signs in"))
        .expect("the trace shows the sign-in");
    assert_eq!(sign_in.actor, "attacker", "{sign_in:?}");
}

#[test]
fn an_idp_logout_ignored_by_one_provider_blames_that_provider_not_the_one_that_honours_it() {
    let m = server_with(
        r#"(id: "google", label: "Sign in with Google", kind: OidcCallback(provider: "Google", idp_logout: Ignored), lane: "users", pos: (0.0, 500.0))"#,
        ("google", "create"),
    );
    let out = simulate(&m);
    let f = the(&out, "FED-RP-OUTLIVES-IDP");
    assert_eq!(f.nodes[0].as_str(), "google", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "sso"),
        "{:?}",
        f.nodes
    );
    assert!(
        f.evidence
            .iter()
            .any(|s| s.action.contains("Sign in with Google")),
        "the victim signed in with Google: {:?}",
        f.evidence
    );
}

#[test]
fn a_second_password_change_that_keeps_other_sessions_is_found_and_blamed() {
    let m = server_with(
        r#"(id: "pin-kiosk", label: "Change PIN at the kiosk", kind: PasswordChange(ends_other_sessions: false, revokes_refresh_tokens: true), lane: "users", pos: (1250.0, 0.0))"#,
        ("page", "pin-kiosk"),
    );
    let plan = compile::compile(&m);
    assert!(
        !plan
            .diagnostics
            .iter()
            .any(|d| d.message.contains("password change")),
        "two password changes are a design, not a contradiction: {:?}",
        plan.diagnostics
    );
    let out = simulate(&m);
    let f = the(&out, "CRED-CHANGE-SURVIVE");
    assert_eq!(f.nodes[0].as_str(), "pin-kiosk", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "password"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn a_script_readable_second_session_cookie_is_the_one_blamed_for_token_storage() {
    let mut m = server_with(
        r#"(id: "js-cookie", label: "Script cookie", kind: ClientStorage(holds: SessionId, location: Cookie((name: "__Host-jsid", secure: true, http_only: false, same_site: Lax, path: "/", domain: None, max_age: None))), lane: "users", pos: (750.0, 600.0))"#,
        ("create", "js-cookie"),
    );
    if let Some(e) = m.edges.iter_mut().find(|e| e.id.as_str() == "e-added") {
        e.trigger = model::Trigger::Attach;
    }
    let out = simulate(&m);
    let f = the(&out, "TOKEN-STORAGE");
    assert_eq!(
        f.nodes[0].as_str(),
        "js-cookie",
        "{:?} {}",
        f.nodes,
        f.explanation
    );
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "cookie"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn a_second_refresh_endpoint_with_a_wide_grace_window_is_the_one_judged_and_blamed() {
    let m = map_with(
        HYBRID,
        r#"(id: "widget-refresh", label: "Widget refresh", kind: TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 3), expiry: Absolute), lane: "users", pos: (500.0, 500.0))"#,
        ("api", "widget-refresh"),
    );
    let out = simulate(&m);
    let f = the(&out, "RT-GRACE-WIDE");
    assert_eq!(f.nodes[0].as_str(), "widget-refresh", "{:?}", f.nodes);
    let plan = compile::compile(&m);
    assert!(
        plan.diagnostics
            .iter()
            .any(|d| d.message.contains("the weakest, `widget-refresh`")),
        "{:?}",
        plan.diagnostics
    );
}

#[test]
fn a_second_remember_me_entry_that_is_not_device_bound_is_the_one_judged_and_blamed() {
    let m = server_with(
        r#"(id: "kiosk-remember", label: "Kiosk remember me", kind: RememberMe(device_bound: false, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false), lane: "users", pos: (0.0, 550.0))"#,
        ("kiosk-remember", "create"),
    );
    let out = simulate(&m);
    let f = the(&out, "REMEMBER-UNBOUND");
    assert_eq!(f.nodes[0].as_str(), "kiosk-remember", "{:?}", f.nodes);
    assert!(
        !f.nodes.iter().any(|n| n.as_str() == "remember"),
        "{:?}",
        f.nodes
    );
}

#[test]
fn a_recent_login_window_of_two_hours_is_stale_and_one_of_minutes_is_not() {
    let mut m = load(SERVER);
    set(
        &mut m,
        "email",
        "SensitiveAction(action: \"change email\", reauth: RecentLogin(within: Hours(2)))",
    );
    let out = simulate(&m);
    let f = the(&out, "REAUTH-STALE");
    assert_eq!(f.nodes[0].as_str(), "email", "{:?}", f.nodes);
    assert!(f.explanation.contains("1 h 59 min"), "{}", f.explanation);
    // The base map asks within 5 minutes: nothing stale.
    assert_absent(&simulate(&load(SERVER)), &["REAUTH-STALE"]);
}

#[test]
fn every_templates_evidence_runs_forward_in_time() {
    for t in templates::ALL {
        let map = t.load().expect("loads").map;
        for seed in [1, 2] {
            let out = simulate_with(
                &map,
                Builder {
                    users: 3000,
                    days: 2,
                    seed,
                    ..Builder::default()
                },
            );
            for f in &out.findings {
                let times: Vec<u64> = f.evidence.iter().filter_map(|s| s.at_ms).collect();
                assert!(
                    times.windows(2).all(|w| w[0] <= w[1]),
                    "{} seed {seed}: {} evidence goes back in time: {:#?}",
                    t.name,
                    f.id,
                    f.evidence
                );
            }
        }
    }
}
