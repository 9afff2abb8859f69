//! Static rules: for each rule a minimal map that triggers it and the same map fixed; every
//! bundled template linted with its findings; the catalogue against `RULES` and `GAPS.md`.

use std::collections::{BTreeSet, HashSet};

use sessionmap::compile::{self, Profile, rules::RULES};
use sessionmap::model::{
    AdminScope, Binding, ClientIds, Concurrency, Cookie, Credential, Edge, Field, FieldKind,
    IdGenerator, Invalidation, Location, LogoutScope, Map, Mechanism, Mfa, Node, NodeKind, Pos,
    PreAuthSession, Rotation, SameSite, Size, Span, Trigger,
};
use sessionmap::report::{CATALOGUE, Finding, Gap, How, Severity, entry};
use sessionmap::templates;

// ── Building maps ────────────────────────────────────────────────────────────────────────────

fn node(id: &str, label: &str, kind: NodeKind) -> Node {
    Node {
        id: id.into(),
        label: label.to_owned(),
        kind,
        lane: None,
        pos: Pos(0.0, 0.0),
        size: Size::NODE,
        notes: String::new(),
    }
}

fn edge(from: &str, to: &str, trigger: Trigger) -> Edge {
    Edge {
        id: format!("{from}-{to}").as_str().into(),
        from: from.into(),
        to: to.into(),
        trigger,
        weight: 1,
        label: String::new(),
        notes: String::new(),
    }
}

/// A user-action transition.
fn go(from: &str, to: &str) -> Edge {
    edge(from, to, Trigger::UserAction)
}

/// An attachment of a timeout or store to the stage it governs.
fn attach(from: &str, to: &str) -> Edge {
    edge(from, to, Trigger::Attach)
}

fn login() -> NodeKind {
    NodeKind::Login {
        mfa: Mfa::Required,
        before_mfa: PreAuthSession::NoSession,
    }
}

fn create() -> NodeKind {
    NodeKind::CreateSession {
        mechanism: Mechanism::ServerSide,
        ids: IdGenerator::Csprng { bits: 128 },
        client_ids: ClientIds::Strict,
        on_login: Rotation::RotateEndOld,
        concurrency: Concurrency::Unlimited,
        binding: Binding::default(),
    }
}

fn request() -> NodeKind {
    NodeKind::Request {
        state_change: false,
    }
}

fn logout() -> NodeKind {
    NodeKind::Logout {
        scope: LogoutScope::ThisDevice,
        invalidation: Invalidation::Server,
        revokes_refresh_tokens: true,
    }
}

fn admin_revoke() -> NodeKind {
    NodeKind::AdminRevoke {
        scope: AdminScope::OneUser,
    }
}

fn idle() -> NodeKind {
    NodeKind::IdleTimeout {
        after: Span::Minutes(30),
        resets_on: sessionmap::model::Activity::UserAction,
        enforced: sessionmap::model::Enforcement::Server,
    }
}

fn in_cookie(holds: Credential, cookie: Cookie) -> NodeKind {
    NodeKind::ClientStorage {
        holds,
        location: Location::Cookie(cookie),
    }
}

fn store(fields: &[(&str, FieldKind)]) -> NodeKind {
    NodeKind::ServerStore {
        backend: sessionmap::model::Backend::Redis,
        fields: fields.iter().map(|(n, k)| Field::new(n, *k)).collect(),
    }
}

/// A small, well-drawn map that no static rule flags:
/// sign in → create → dashboard → log out, with an admin revoke, a `__Host-` cookie, a store of
/// identifiers and an idle timeout on the dashboard.
fn clean_map() -> Map {
    Map {
        title: "Minimal".to_owned(),
        nodes: vec![
            node("login", "Sign in", login()),
            node("create", "Create session", create()),
            node("dashboard", "Dashboard", request()),
            node("logout", "Log out", logout()),
            node("revoke", "Support ends sessions", admin_revoke()),
            node(
                "cookie",
                "Session cookie",
                in_cookie(Credential::SessionId, Cookie::default()),
            ),
            node(
                "store",
                "Session store",
                store(&[
                    ("user_id", FieldKind::Identity),
                    ("theme", FieldKind::Preference),
                ]),
            ),
            node("idle", "Idle timeout", idle()),
        ],
        edges: vec![
            go("login", "create"),
            edge("create", "dashboard", Trigger::System),
            go("dashboard", "logout"),
            go("logout", "login"),
            edge("revoke", "login", Trigger::System),
            attach("create", "cookie"),
            attach("create", "store"),
            attach("idle", "dashboard"),
        ],
        ..Map::default()
    }
}

fn with_node(mut map: Map, node: Node) -> Map {
    map.nodes.push(node);
    map
}

fn with_edges(mut map: Map, edges: impl IntoIterator<Item = Edge>) -> Map {
    map.edges.extend(edges);
    map
}

fn without_node(mut map: Map, id: &str) -> Map {
    map.nodes.retain(|n| n.id.as_str() != id);
    map.edges
        .retain(|e| e.from.as_str() != id && e.to.as_str() != id);
    map
}

/// Replaces the kind of one node.
fn with_kind(mut map: Map, id: &str, kind: NodeKind) -> Map {
    let node = map
        .nodes
        .iter_mut()
        .find(|n| n.id.as_str() == id)
        .unwrap_or_else(|| panic!("a node `{id}`"));
    node.kind = kind;
    map
}

/// The clean map with its session cookie drawn differently.
fn with_cookie(cookie: Cookie) -> Map {
    with_kind(
        clean_map(),
        "cookie",
        in_cookie(Credential::SessionId, cookie),
    )
}

fn lint(map: &Map) -> Vec<Finding> {
    let plan = compile::compile(map);
    compile::lint(map, &plan, Profile::default_profile())
}

/// The nodes each finding of one id is about (the first node of each), in order.
fn found(map: &Map, id: &str) -> Vec<String> {
    lint(map)
        .into_iter()
        .filter(|f| f.id == id)
        .map(|f| f.nodes.first().map(|n| n.to_string()).unwrap_or_default())
        .collect()
}

fn one(map: &Map, id: &str) -> Finding {
    let mut all: Vec<Finding> = lint(map).into_iter().filter(|f| f.id == id).collect();
    assert_eq!(all.len(), 1, "one {id} finding: {all:#?}");
    all.remove(0)
}

#[test]
fn the_clean_minimal_map_has_no_static_finding() {
    let findings = lint(&clean_map());
    assert!(findings.is_empty(), "{findings:#?}");
}

// ── SESS-ID-IN-URL ───────────────────────────────────────────────────────────────────────────

#[test]
fn a_session_id_in_a_url_parameter_is_flagged_and_a_cookie_is_not() {
    let url = NodeKind::ClientStorage {
        holds: Credential::SessionId,
        location: Location::UrlParameter,
    };
    let map = with_kind(clean_map(), "cookie", url);
    let f = one(&map, "SESS-ID-IN-URL");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.how, How::Static);
    assert_eq!(f.nodes, ["cookie".into()]);
    assert!(f.explanation.contains("\"Session cookie\""));
    assert!(f.explanation.contains("URL parameter"));
    assert!(!f.references.is_empty());

    assert!(found(&clean_map(), "SESS-ID-IN-URL").is_empty());
}

#[test]
fn any_credential_in_a_url_is_flagged_not_only_the_session_id() {
    let map = with_node(
        clean_map(),
        node(
            "magic",
            "Token in link",
            NodeKind::ClientStorage {
                holds: Credential::AccessToken,
                location: Location::UrlParameter,
            },
        ),
    );
    assert_eq!(found(&map, "SESS-ID-IN-URL"), ["magic"]);
}

// ── SESS-ID-ENTROPY-LOW ──────────────────────────────────────────────────────────────────────

fn with_ids(mechanism: Mechanism, ids: IdGenerator) -> Map {
    let NodeKind::CreateSession {
        client_ids,
        on_login,
        concurrency,
        binding,
        ..
    } = create()
    else {
        unreachable!("create() draws a create-session node")
    };
    let kind = NodeKind::CreateSession {
        mechanism,
        ids,
        client_ids,
        on_login,
        concurrency,
        binding,
    };
    with_kind(clean_map(), "create", kind)
}

fn lint_under(map: &Map, profile: &str) -> Vec<Finding> {
    let plan = compile::compile(map);
    let profile = Profile::named(profile).expect("a profile");
    compile::lint(map, &plan, profile)
}

#[test]
fn session_ids_with_fewer_random_bits_than_the_profile_asks_are_flagged_at_the_create_node() {
    let map = with_ids(Mechanism::ServerSide, IdGenerator::Csprng { bits: 48 });
    let f = one(&map, "SESS-ID-ENTROPY-LOW");
    assert_eq!(f.how, How::Static);
    assert_eq!(f.nodes, ["create".into()]);
    assert!(
        f.explanation.contains("48 random bits"),
        "{}",
        f.explanation
    );
    assert!(f.explanation.contains("128"), "{}", f.explanation);
    // 128 bits is what the default profile asks; a 64-bit id is enough for ASVS level 1.
    assert!(found(&clean_map(), "SESS-ID-ENTROPY-LOW").is_empty());
    let sixty_four = with_ids(Mechanism::ServerSide, IdGenerator::Csprng { bits: 64 });
    assert_eq!(found(&sixty_four, "SESS-ID-ENTROPY-LOW"), ["create"]);
    let level_one = lint_under(&sixty_four, "asvs-l1");
    assert!(
        !level_one.iter().any(|f| f.id == "SESS-ID-ENTROPY-LOW"),
        "{level_one:#?}"
    );
}

#[test]
fn a_short_id_generator_drawn_for_tokens_is_not_an_id_entropy_finding() {
    // Signed tokens are not looked up by id, and a refresh token carries a MAC.
    for mechanism in [Mechanism::SignedToken, Mechanism::Hybrid] {
        let map = with_ids(mechanism, IdGenerator::Csprng { bits: 48 });
        assert!(
            found(&map, "SESS-ID-ENTROPY-LOW").is_empty(),
            "{mechanism:?}"
        );
    }
}

// ── ADMIN-KILL-NONE ──────────────────────────────────────────────────────────────────────────

#[test]
fn a_flow_without_an_admin_revoke_is_flagged_at_its_create_session_node() {
    let map = without_node(clean_map(), "revoke");
    let f = one(&map, "ADMIN-KILL-NONE");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.nodes, ["create".into()]);
    assert!(f.explanation.contains("\"Create session\""));

    assert!(found(&clean_map(), "ADMIN-KILL-NONE").is_empty());
}

#[test]
fn an_admin_revoke_drawn_in_the_administrators_flow_reaches_the_customers_flow() {
    // A second flow (administrators) draws the revoke; the customers' flow draws none, so the
    // administrators' one reaches it: the plan, the rule and the simulator agree on that.
    let map = without_node(clean_map(), "revoke");
    assert_eq!(found(&map, "ADMIN-KILL-NONE"), ["create"]);
    let map = with_node(map, node("admin-login", "Admin sign in", login()));
    let map = with_node(map, node("admin-create", "Admin session", create()));
    let map = with_node(
        map,
        node("revoke", "End a customer's sessions", admin_revoke()),
    );
    let map = with_node(map, node("admin-logout", "Admin log out", logout()));
    let map = with_edges(
        map,
        [
            go("admin-login", "admin-create"),
            edge("admin-create", "revoke", Trigger::UserAction),
            go("revoke", "admin-logout"),
        ],
    );
    assert!(found(&map, "ADMIN-KILL-NONE").is_empty());
    let plan = compile::compile(&map);
    for flow in &plan.flows {
        assert_eq!(
            flow.offers.admin_revoke,
            ["revoke".into()],
            "{}",
            flow.create
        );
    }
}

// ── COOKIE-FLAGS ─────────────────────────────────────────────────────────────────────────────

#[test]
fn a_session_cookie_missing_secure_httponly_and_samesite_is_flagged_with_its_set_cookie_line() {
    let legacy = Cookie {
        name: "SHOPSESSID".to_owned(),
        secure: false,
        http_only: false,
        same_site: SameSite::Unset,
        path: "/".to_owned(),
        domain: Some(".shop.example".to_owned()),
        max_age: Some(Span::Days(30)),
    };
    let f = one(&with_cookie(legacy), "COOKIE-FLAGS");
    assert_eq!(f.severity, Severity::High);
    let line = "Set-Cookie: SHOPSESSID=<id>; Path=/; Domain=.shop.example; Max-Age=2592000";
    assert!(f.explanation.contains(line), "{}", f.explanation);
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(f.evidence[0].action, line);
    assert_eq!(
        f.evidence[0].outcome,
        "missing Secure, HttpOnly and SameSite"
    );
    assert_eq!(f.evidence[0].node, Some("cookie".into()));

    assert!(found(&clean_map(), "COOKIE-FLAGS").is_empty());
}

#[test]
fn each_missing_cookie_flag_alone_is_enough_to_be_flagged() {
    let missing = [
        Cookie {
            secure: false,
            ..Cookie::default()
        },
        Cookie {
            http_only: false,
            ..Cookie::default()
        },
        Cookie {
            same_site: SameSite::Unset,
            ..Cookie::default()
        },
    ];
    for (cookie, flag) in missing.into_iter().zip(["Secure", "HttpOnly", "SameSite"]) {
        let f = one(&with_cookie(cookie), "COOKIE-FLAGS");
        assert_eq!(f.evidence[0].outcome, format!("missing {flag}"));
    }
}

#[test]
fn samesite_none_is_accepted_with_secure_and_flagged_without_it() {
    let cross_site = Cookie {
        same_site: SameSite::CrossSite,
        ..Cookie::default()
    };
    assert!(found(&with_cookie(cross_site.clone()), "COOKIE-FLAGS").is_empty());

    let insecure = Cookie {
        secure: false,
        ..cross_site
    };
    let f = one(&with_cookie(insecure), "COOKIE-FLAGS");
    assert_eq!(f.evidence[0].outcome, "missing Secure and SameSite");
    assert!(f.explanation.contains("SameSite=None"), "{}", f.explanation);
}

#[test]
fn a_strict_cookie_is_as_good_as_a_lax_one() {
    let strict = Cookie {
        same_site: SameSite::Strict,
        ..Cookie::default()
    };
    assert!(lint(&with_cookie(strict)).is_empty());
}

// ── COOKIE-SCOPE ─────────────────────────────────────────────────────────────────────────────

#[test]
fn a_cookie_without_the_host_prefix_is_flagged_and_a_host_cookie_is_not() {
    let plain = Cookie {
        name: "sid".to_owned(),
        ..Cookie::default()
    };
    let f = one(&with_cookie(plain), "COOKIE-SCOPE");
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        f.explanation.contains("no `__Host-` prefix"),
        "{}",
        f.explanation
    );

    assert!(found(&clean_map(), "COOKIE-SCOPE").is_empty());
}

#[test]
fn a_cookie_with_a_domain_is_flagged_even_with_the_host_prefix() {
    let domain = Cookie {
        domain: Some("example.com".to_owned()),
        ..Cookie::default()
    };
    let f = one(&with_cookie(domain), "COOKIE-SCOPE");
    assert!(f.evidence[0].action.contains("; Domain=example.com"));
}

#[test]
fn a_path_scoped_secure_prefixed_refresh_cookie_is_reported_once_as_a_deliberate_tradeoff() {
    let refresh = Cookie {
        name: "__Secure-rt".to_owned(),
        path: "/auth/refresh".to_owned(),
        same_site: SameSite::Strict,
        ..Cookie::default()
    };
    let map = with_node(
        clean_map(),
        node(
            "rt-cookie",
            "Refresh cookie",
            in_cookie(Credential::RefreshToken, refresh),
        ),
    );
    let map = with_edges(map, [attach("dashboard", "rt-cookie")]);
    let f = one(&map, "COOKIE-SCOPE");
    assert_eq!(f.nodes, ["rt-cookie".into()]);
    assert_eq!(
        f.evidence[0].action,
        "Set-Cookie: __Secure-rt=<refresh token>; Path=/auth/refresh; Secure; HttpOnly; SameSite=Strict"
    );
    assert!(f.explanation.contains("deliberate"), "{}", f.explanation);
    // Its flags are all set, so nothing else is said about it.
    assert_eq!(
        lint(&map).iter().map(|f| f.id).collect::<Vec<_>>(),
        ["COOKIE-SCOPE"]
    );
}

// ── COOKIE-PERSISTENT ────────────────────────────────────────────────────────────────────────

fn persistent() -> Cookie {
    Cookie {
        max_age: Some(Span::Days(30)),
        ..Cookie::default()
    }
}

fn remember_me() -> NodeKind {
    NodeKind::RememberMe {
        device_bound: true,
        rotate_on_use: true,
        survives_logout: false,
        grants_sensitive_actions: false,
    }
}

#[test]
fn a_session_cookie_with_max_age_and_no_remember_me_is_flagged_and_one_without_is_not() {
    let f = one(&with_cookie(persistent()), "COOKIE-PERSISTENT");
    assert_eq!(f.severity, Severity::Low);
    assert!(
        f.explanation.contains("Max-Age=2592000"),
        "{}",
        f.explanation
    );
    assert!(
        f.explanation.contains(
            "for 30 days (longer than the 12 h absolute session lifetime the asvs-l2 profile allows)"
        ),
        "{}",
        f.explanation
    );

    assert!(found(&clean_map(), "COOKIE-PERSISTENT").is_empty());
}

#[test]
fn a_persistent_session_cookie_is_how_remember_me_works_when_no_separate_token_is_drawn() {
    let map = with_node(
        with_cookie(persistent()),
        node("remember", "Remember me", remember_me()),
    );
    let map = with_edges(map, [edge("remember", "create", Trigger::System)]);
    assert!(found(&map, "COOKIE-PERSISTENT").is_empty());
}

#[test]
fn with_its_own_remember_me_token_the_session_cookie_must_not_persist_but_the_token_may() {
    let token = Cookie {
        name: "__Host-remember".to_owned(),
        max_age: Some(Span::Days(30)),
        ..Cookie::default()
    };
    let map = with_node(
        with_cookie(persistent()),
        node("remember", "Remember me", remember_me()),
    );
    let map = with_node(
        map,
        node(
            "remember-cookie",
            "Remember-me cookie",
            in_cookie(Credential::RememberMeToken, token),
        ),
    );
    let map = with_edges(
        map,
        [
            edge("remember", "create", Trigger::System),
            attach("remember", "remember-cookie"),
        ],
    );
    let f = one(&map, "COOKIE-PERSISTENT");
    assert_eq!(f.nodes, ["cookie".into()]);
    assert!(f.explanation.contains("\"Remember-me cookie\""));

    // Fixed: the session cookie ends with the browser; the token keeps its lifetime.
    let fixed = with_kind(
        map,
        "cookie",
        in_cookie(Credential::SessionId, Cookie::default()),
    );
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

// ── DATA-SENSITIVE and DATA-STALE ────────────────────────────────────────────────────────────

fn with_fields(fields: &[(&str, FieldKind)]) -> Map {
    with_kind(clean_map(), "store", store(fields))
}

#[test]
fn secrets_card_numbers_and_national_ids_in_the_session_are_flagged_together() {
    let map = with_fields(&[
        ("user_id", FieldKind::Identity),
        ("password_hash", FieldKind::Secret),
        ("card_number", FieldKind::PaymentCard),
        ("ssn", FieldKind::NationalId),
    ]);
    let f = one(&map, "DATA-SENSITIVE");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.nodes, ["store".into()]);
    assert_eq!(
        f.evidence[0].action,
        "fields: user_id (identity), password_hash (secret), card_number (payment card), ssn (national id)"
    );
    assert!(
        f.explanation
            .contains("password_hash (secret), card_number (payment card) and ssn (national id)"),
        "{}",
        f.explanation
    );

    assert!(found(&clean_map(), "DATA-SENSITIVE").is_empty());
}

#[test]
fn sensitive_fields_in_a_signed_token_are_flagged_as_readable_by_its_holder() {
    let jwt = NodeKind::SignedToken {
        algorithm: sessionmap::model::Algorithm::Es256,
        verifies_expiry: true,
        verifies_not_before: true,
        accepts_alg_none: false,
        revocation: sessionmap::model::Revocation::UntilExpiry,
        fields: vec![Field::new("email_password", FieldKind::Secret)],
    };
    let f = one(&with_kind(clean_map(), "store", jwt), "DATA-SENSITIVE");
    assert!(
        f.explanation.contains("not from being read"),
        "{}",
        f.explanation
    );
}

#[test]
fn cached_balances_in_the_session_are_flagged_as_stale_and_preferences_are_not() {
    let map = with_fields(&[
        ("user_id", FieldKind::Identity),
        ("balance", FieldKind::Cached),
    ]);
    let f = one(&map, "DATA-STALE");
    assert_eq!(f.severity, Severity::Low);
    assert!(f.explanation.contains("balance"));
    assert!(found(&map, "DATA-SENSITIVE").is_empty());

    // The clean map keeps a preference, which is the user's own and does not go stale.
    assert!(found(&clean_map(), "DATA-STALE").is_empty());
}

// ── MAP-NO-LOGOUT ────────────────────────────────────────────────────────────────────────────

/// The clean map plus a settings area the user can only wander around in.
fn settings_loop() -> Map {
    let map = with_node(clean_map(), node("settings", "Settings", request()));
    let map = with_node(map, node("profile", "Edit profile", request()));
    with_edges(
        map,
        [
            go("dashboard", "settings"),
            go("settings", "profile"),
            go("profile", "settings"),
        ],
    )
}

#[test]
fn stages_from_which_no_logout_is_reachable_are_flagged_and_a_path_to_logout_fixes_them() {
    let map = settings_loop();
    // The two stages only lead to each other: one place to fix, one finding naming both.
    let f = one(&map, "MAP-NO-LOGOUT");
    assert_eq!(
        f.nodes.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        ["settings", "profile"]
    );
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.explanation.contains("\"Settings\"") && f.explanation.contains("\"Edit profile\""),
        "{}",
        f.explanation
    );
    // They loop, so they are not dead ends.
    assert!(found(&map, "MAP-DEAD-END").is_empty());

    let fixed = with_edges(map, [go("profile", "logout")]);
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

#[test]
fn a_stage_that_only_leads_to_a_stranded_stage_is_named_in_its_finding_not_reported_again() {
    // dashboard → settings → profile, and profile has no way out: adding a logout to profile
    // fixes both, so there is one finding, on profile, that names settings too.
    let map = with_node(clean_map(), node("settings", "Settings", request()));
    let map = with_node(map, node("profile", "Edit profile", request()));
    let map = with_edges(
        map,
        [go("dashboard", "settings"), go("settings", "profile")],
    );
    let f = one(&map, "MAP-NO-LOGOUT");
    assert_eq!(
        f.nodes.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
        ["profile", "settings"]
    );
    assert!(
        f.explanation
            .contains("Every path from \"Settings\" ends there too")
            && f.explanation
                .contains("Draw a transition from \"Edit profile\" to a logout"),
        "{}",
        f.explanation
    );
    let fixed = with_edges(map, [go("profile", "logout")]);
    assert!(found(&fixed, "MAP-NO-LOGOUT").is_empty());
}

#[test]
fn stages_outside_every_flow_are_left_to_the_other_hygiene_rules() {
    let map = with_node(clean_map(), node("orphan", "Orphan page", request()));
    assert!(found(&map, "MAP-NO-LOGOUT").is_empty());
    assert_eq!(found(&map, "MAP-DEAD-END"), ["orphan"]);
    assert_eq!(found(&map, "MAP-UNREACHABLE"), ["orphan"]);
}

// ── MAP-DEAD-END ─────────────────────────────────────────────────────────────────────────────

#[test]
fn a_stage_with_no_way_out_is_a_dead_end_and_drawing_the_way_out_fixes_it() {
    let map = with_node(
        clean_map(),
        node("checkout", "One-click checkout", request()),
    );
    let map = with_edges(map, [go("dashboard", "checkout")]);
    let f = one(&map, "MAP-DEAD-END");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.nodes, ["checkout".into()]);
    assert_eq!(f.edges, ["dashboard-checkout".into()]);
    assert!(
        f.explanation.contains("\"Dashboard\" (user action)"),
        "{}",
        f.explanation
    );
    // A dead end inside a flow also has no logout.
    assert_eq!(found(&map, "MAP-NO-LOGOUT"), ["checkout"]);

    let fixed = with_edges(map, [go("checkout", "dashboard")]);
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

#[test]
fn logouts_account_disables_and_admin_revokes_are_ends_that_need_no_way_out_and_no_logout() {
    // The clean map's logout leads back to sign-in; here nothing leads on from any end.
    let map = clean_map();
    let mut map = Map {
        edges: map
            .edges
            .into_iter()
            .filter(|e| e.from.as_str() != "logout" && e.from.as_str() != "revoke")
            .collect(),
        ..map
    };
    map.nodes.push(node(
        "disable",
        "Close account",
        NodeKind::AccountDisable {
            ends_sessions: true,
        },
    ));
    map.edges.push(go("dashboard", "disable"));
    map.edges.push(go("dashboard", "revoke"));
    assert!(lint(&map).is_empty(), "{:#?}", lint(&map));
}

#[test]
fn a_password_change_is_not_an_end_because_the_users_own_session_carries_on() {
    let change = NodeKind::PasswordChange {
        ends_other_sessions: true,
        revokes_refresh_tokens: true,
    };
    let map = with_node(clean_map(), node("password", "Change password", change));
    let map = with_edges(map, [go("dashboard", "password")]);
    assert_eq!(found(&map, "MAP-DEAD-END"), ["password"]);

    let fixed = with_edges(map, [go("password", "logout")]);
    assert!(found(&fixed, "MAP-DEAD-END").is_empty());
}

#[test]
fn an_entry_point_that_leads_nowhere_is_a_dead_end() {
    let map = with_node(clean_map(), node("sso", "Company SSO", login()));
    assert_eq!(found(&map, "MAP-DEAD-END"), ["sso"]);
    // It is an entry point itself, so it is not unreachable.
    assert!(found(&map, "MAP-UNREACHABLE").is_empty());
}

#[test]
fn timeouts_and_stores_are_attached_not_walked_so_they_are_never_dead_ends() {
    // The clean map has a timeout, a store and a cookie, none with transitions.
    assert!(found(&clean_map(), "MAP-DEAD-END").is_empty());
    assert!(found(&clean_map(), "MAP-UNREACHABLE").is_empty());
}

// ── MAP-UNREACHABLE ──────────────────────────────────────────────────────────────────────────

#[test]
fn a_stage_no_entry_point_reaches_is_flagged_and_connecting_it_fixes_it() {
    let map = with_node(clean_map(), node("reports", "Reports", request()));
    let map = with_node(map, node("export", "Export", request()));
    let map = with_edges(map, [go("reports", "export"), go("export", "logout")]);
    assert_eq!(found(&map, "MAP-UNREACHABLE"), ["reports", "export"]);
    let export = lint(&map)
        .into_iter()
        .find(|f| f.id == "MAP-UNREACHABLE" && f.nodes == ["export".into()])
        .expect("a finding on export");
    assert_eq!(export.severity, Severity::Low);
    assert!(
        export.explanation.contains("reached only from \"Reports\""),
        "{}",
        export.explanation
    );
    assert_eq!(export.edges, ["reports-export".into()]);

    let fixed = with_edges(map, [go("dashboard", "reports")]);
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

#[test]
fn operator_actions_with_nothing_leading_to_them_start_walks_of_their_own() {
    let map = with_node(
        clean_map(),
        node(
            "promote",
            "Promoted to admin",
            NodeKind::PrivilegeChange {
                rotation: Rotation::RotateEndOld,
                reloads_privileges: true,
            },
        ),
    );
    let map = with_node(map, node("admin-page", "Admin page", request()));
    let map = with_edges(
        map,
        [
            edge("promote", "admin-page", Trigger::System),
            go("admin-page", "logout"),
        ],
    );
    // The clean map's revoke is a root too: nothing leads to it.
    assert!(
        found(&map, "MAP-UNREACHABLE").is_empty(),
        "{:#?}",
        lint(&map)
    );
}

// ── MAP-UNUSED-TIMEOUT ───────────────────────────────────────────────────────────────────────

#[test]
fn a_timeout_attached_to_nothing_is_flagged_and_attaching_it_fixes_it() {
    let absolute = NodeKind::AbsoluteTimeout {
        after: Span::Hours(12),
        enforced: sessionmap::model::Enforcement::Server,
    };
    let map = with_node(clean_map(), node("absolute", "Absolute timeout", absolute));
    let f = one(&map, "MAP-UNUSED-TIMEOUT");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.nodes, ["absolute".into()]);
    assert!(f.explanation.contains("absolute 12 h"), "{}", f.explanation);

    let fixed = with_edges(map, [attach("absolute", "create")]);
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

#[test]
fn a_warning_hung_on_an_unattached_timeout_governs_nothing_either() {
    let warning = NodeKind::ExpiryWarning {
        before: Span::Minutes(2),
        keeps_drafts: true,
    };
    let map = with_node(clean_map(), node("warning", "Expiry warning", warning));
    let map = with_node(map, node("idle-2", "Second idle timeout", idle()));
    let map = with_edges(map, [attach("warning", "idle-2")]);
    assert_eq!(found(&map, "MAP-UNUSED-TIMEOUT"), ["warning", "idle-2"]);

    // Hung on the idle timeout that governs the dashboard, the warning is in use.
    let map = without_node(map, "idle-2");
    let fixed = with_edges(map, [attach("warning", "idle")]);
    assert!(lint(&fixed).is_empty(), "{:#?}", lint(&fixed));
}

// ── Templates ────────────────────────────────────────────────────────────────────────────────

fn template_findings(name: &str) -> Vec<Finding> {
    let t = templates::find(name).expect("bundled");
    lint(&t.load().expect("loads").map)
}

/// `(id, first node)` of each finding, sorted.
fn summary(findings: &[Finding]) -> BTreeSet<(&'static str, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.nodes.first().map(|n| n.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

fn set(pairs: &[(&'static str, &str)]) -> BTreeSet<(&'static str, String)> {
    pairs.iter().map(|(i, n)| (*i, (*n).to_owned())).collect()
}

#[test]
fn well_designed_templates_have_no_high_or_critical_static_finding() {
    // The legacy shop is drawn as found; framework defaults show what nobody configured.
    let well_designed = templates::ALL
        .iter()
        .filter(|t| !t.is_framework_default())
        .map(|t| t.name)
        .filter(|name| *name != "legacy-shop");
    for name in well_designed {
        let serious: Vec<_> = template_findings(name)
            .into_iter()
            .filter(|f| f.severity >= Severity::High)
            .collect();
        assert!(serious.is_empty(), "{name}: {serious:#?}");
    }
}

#[test]
fn each_well_designed_template_has_exactly_the_static_findings_its_drawing_implies() {
    // Banking and the mobile app draw everything the static rules look for.
    assert_eq!(summary(&template_findings("banking")), set(&[]));
    assert_eq!(summary(&template_findings("mobile-api")), set(&[]));
    // The SPA scopes its `__Secure-` refresh cookie to the refresh endpoint on purpose.
    assert_eq!(
        summary(&template_findings("spa-hybrid-tokens")),
        set(&[("COOKIE-SCOPE", "rt-cookie")])
    );
    // The content site draws no admin revoke for readers or editors.
    assert_eq!(
        summary(&template_findings("content-site")),
        set(&[
            ("ADMIN-KILL-NONE", "create"),
            ("ADMIN-KILL-NONE", "editor-create")
        ])
    );
    // The SaaS admin's "End a customer's sessions", drawn in the administrators' lane, reaches
    // the customers' flow, which draws no revoke of its own.
    assert_eq!(summary(&template_findings("saas-admin")), set(&[]));
    // SSO offboarding disables accounts at the IdP, but nobody can end one user's sessions
    // without disabling the account.
    assert_eq!(
        summary(&template_findings("sso-oidc")),
        set(&[("ADMIN-KILL-NONE", "create")])
    );
}

#[test]
fn the_legacy_shop_has_the_static_findings_its_drawing_implies() {
    let findings = template_findings("legacy-shop");
    assert_eq!(
        summary(&findings),
        set(&[
            ("ADMIN-KILL-NONE", "create"),
            ("COOKIE-FLAGS", "cookie"),
            ("COOKIE-FLAGS", "remember-cookie"),
            ("COOKIE-SCOPE", "cookie"),
            ("COOKIE-SCOPE", "remember-cookie"),
            // The remember-me token has its own cookie, so only the session cookie must not persist.
            ("COOKIE-PERSISTENT", "cookie"),
            ("DATA-SENSITIVE", "store"),
            ("DATA-STALE", "store"),
            // One-click checkout leads nowhere, and the mini-cart refresh leads only there.
            ("MAP-NO-LOGOUT", "checkout"),
            ("MAP-DEAD-END", "checkout"),
        ])
    );
    let cookie = findings
        .iter()
        .find(|f| f.id == "COOKIE-FLAGS" && f.nodes == ["cookie".into()])
        .expect("the session cookie's finding");
    assert!(
        cookie.explanation.contains(
            "`Set-Cookie: SHOPSESSID=<id>; Path=/; Domain=.shop.example; Max-Age=2592000`"
        ),
        "{}",
        cookie.explanation
    );
    let data = findings
        .iter()
        .find(|f| f.id == "DATA-SENSITIVE")
        .expect("a data finding");
    assert!(
        data.explanation
            .contains("password_hash (secret) and card_number (payment card)")
    );
}

#[test]
fn linting_is_deterministic_and_every_finding_points_at_drawn_nodes_and_edges() {
    for t in templates::ALL {
        let map = t.load().expect("loads").map;
        let first = lint(&map);
        assert_eq!(first, lint(&map), "{}", t.name);
        let nodes: HashSet<_> = map.nodes.iter().map(|n| &n.id).collect();
        let edges: HashSet<_> = map.edges.iter().map(|e| &e.id).collect();
        for f in &first {
            let e = f.id.entry();
            assert_eq!((f.severity, f.how), (e.severity, How::Static), "{}", f.id);
            assert!(!f.nodes.is_empty(), "{}: {} names a node", t.name, f.id);
            assert!(
                f.nodes.iter().all(|n| nodes.contains(n)),
                "{}: {f:#?}",
                t.name
            );
            assert!(
                f.edges.iter().all(|e| edges.contains(e)),
                "{}: {f:#?}",
                t.name
            );
            assert!(!f.evidence.is_empty(), "{}: {} has evidence", t.name, f.id);
            assert!(
                f.evidence
                    .iter()
                    .all(|s| s.actor == "drawing" && s.at_ms.is_none()),
                "{}: {f:#?}",
                t.name
            );
        }
    }
}

// ── The catalogue ────────────────────────────────────────────────────────────────────────────

#[test]
fn every_rule_reports_a_static_catalogue_id_and_every_static_id_has_a_rule() {
    let rules: Vec<Gap> = RULES.iter().map(|(id, _)| *id).collect();
    let unique: HashSet<Gap> = rules.iter().copied().collect();
    assert_eq!(unique.len(), rules.len(), "a rule is registered twice");
    let statics: Vec<Gap> = CATALOGUE
        .iter()
        .filter(|e| e.how == How::Static)
        .map(|e| e.id)
        .collect();
    // Same ids, and the rules run in catalogue order.
    assert_eq!(rules, statics);
}

#[test]
fn catalogue_ids_are_unique_and_every_entry_is_complete() {
    let mut seen = HashSet::new();
    for e in CATALOGUE {
        assert!(seen.insert(e.id), "{} appears twice", e.id);
        assert!(
            e.id.as_str()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            e.id
        );
        assert!(!e.title.is_empty(), "{} has a title", e.id);
        assert!(e.help.len() > 80, "{} has a help paragraph", e.id);
        assert!(!e.help.contains('\n'), "{}'s help is one paragraph", e.id);
        assert_eq!(Finding::new(e.id, Vec::new(), "").title, e.title);
        assert_eq!(
            entry(e.id.as_str()),
            Some(e),
            "{} is found by its string",
            e.id
        );
    }
    assert_eq!(entry("NO-SUCH-GAP"), None);
}

/// The rows of a Markdown gap table: `(id, severity, how)` in file order.
fn gaps_rows(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(str::trim)
                .collect();
            // `[ID](#anchor)` in the generated page, a bare id elsewhere.
            let id = cells.first()?.trim_start_matches('[');
            let id = id.split(']').next().unwrap_or(id);
            let is_id = id.starts_with(|c: char| c.is_ascii_uppercase())
                && id.contains('-')
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            is_id.then(|| (id.to_owned(), cells[1].to_owned(), cells[2].to_owned()))
        })
        .collect()
}

/// The gap documentation in the repository is generated from the catalogue, so the two cannot
/// drift; `UPDATE_DOCS=1` rewrites it.
#[test]
fn the_gap_documentation_is_generated_from_the_catalogue() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/gaps.md");
    let generated = sessionmap::report::catalogue_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().expect("docs folder")).expect("docs folder");
        std::fs::write(&path, &generated).expect("docs/gaps.md written");
    }
    let text = std::fs::read_to_string(&path).expect("docs/gaps.md exists");
    assert_eq!(
        text, generated,
        "docs/gaps.md is out of date: run UPDATE_DOCS=1 cargo test --test rules"
    );
    let rows = gaps_rows(&text);
    let catalogue: Vec<(String, String, String)> = CATALOGUE
        .iter()
        .map(|e| {
            let how = match e.how {
                How::Static => "static",
                How::Sim => "sim",
            };
            (e.id.to_string(), e.severity.to_string(), how.to_owned())
        })
        .collect();
    assert_eq!(catalogue, rows);
    // The catalogue as GAPS.md started it, plus the ids added since (never renamed).
    for id in [
        "SESS-ABS-NONE",
        "SESS-ABS-TOO-LONG",
        "REMEMBER-NO-MAX",
        "MAP-UNUSED-TIMEOUT",
    ] {
        assert!(rows.iter().any(|(r, _, _)| r == id), "{id}");
    }
}
