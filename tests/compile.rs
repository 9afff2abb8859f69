//! From drawing to policy: each template's plan, setting by setting, and the diagnostics for
//! drawings the compiler cannot make sense of.

use std::time::Duration;

use proptest::prelude::*;
use sessionmap::compile::{self, Flow, Plan, Setting};
use sessionmap::engine as e;
use sessionmap::model::{self, Map, NodeId};
use sessionmap::templates;

const MIN: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

fn template(name: &str) -> Map {
    templates::find(name)
        .expect("bundled")
        .load()
        .expect("loads")
        .map
}

fn plan(name: &str) -> Plan {
    compile::compile(&template(name))
}

fn flow<'p>(plan: &'p Plan, create: &str) -> &'p Flow {
    plan.flows
        .iter()
        .find(|f| f.create.as_str() == create)
        .unwrap_or_else(|| panic!("a flow created at `{create}`"))
}

fn ids(nodes: &[NodeId]) -> Vec<&str> {
    nodes.iter().map(NodeId::as_str).collect()
}

#[test]
fn every_template_compiles_without_diagnostics() {
    for t in templates::ALL {
        let plan = compile::compile(&t.load().expect("loads").map);
        assert!(!plan.flows.is_empty(), "{} has a flow", t.name);
        assert!(
            plan.diagnostics.is_empty(),
            "{}: {:#?}",
            t.name,
            plan.diagnostics
        );
    }
}

#[test]
fn banking_compiles_to_a_strict_server_side_policy() {
    let plan = plan("banking");
    assert_eq!(plan.flows.len(), 1);
    let f = flow(&plan, "create");
    let p = &f.policy;
    assert_eq!(p.mechanism, e::Mechanism::ServerSide);
    assert_eq!(p.ids.generator, e::IdGenerator::Csprng { bits: 128 });
    assert_eq!(p.ids.acceptance, e::IdAcceptance::Strict);
    assert_eq!(p.rotation.on_login, e::Rotation::RotateEndOld);
    assert_eq!(p.timeouts.idle, Some(10 * MIN));
    assert_eq!(p.timeouts.activity, e::Activity::UserAction);
    assert_eq!(p.timeouts.absolute, Some(8 * HOUR));
    assert_eq!(p.timeouts.idle_enforcement, e::ExpiryEnforcement::Server);
    assert_eq!(
        p.timeouts.absolute_enforcement,
        e::ExpiryEnforcement::Server
    );
    assert_eq!(p.warning.before_idle_expiry, Some(2 * MIN));
    assert_eq!(p.warning.work_on_expiry, e::WorkOnExpiry::Preserved);
    assert!(!p.remember_me.offered);
    assert_eq!(p.concurrency.limit, e::SessionLimit::Single);
    assert_eq!(p.concurrency.on_limit, e::OnLimit::EvictOldestInactive);
    assert_eq!(p.logout.invalidation, e::LogoutInvalidation::ServerSide);
    assert_eq!(p.logout.everywhere, e::LogoutEverywhere::Offered);
    assert_eq!(
        p.logout.on_credential_change,
        e::CredentialChange::EndOthers
    );
    assert_eq!(p.logout.on_account_disable, e::DisableEffect::EndSessions);
    assert_eq!(p.reauth.max_auth_age, Some(5 * MIN));
    assert_eq!(p.reauth.measured_from, e::AuthAge::LastAuthentication);
    assert_eq!(p.binding.user_agent, e::Bind::Enforced);
    assert_eq!(p.binding.ip, e::Bind::Off);
    assert_eq!(p.binding.on_mismatch, e::MismatchAction::RequireReauth);
    let travel = p.binding.impossible_travel.expect("travel check drawn");
    assert_eq!(travel.min_distance_km, 800.0);
    assert_eq!(travel.max_speed_kmh, 400.0);
    assert_eq!(p.cookie.prefix, e::CookiePrefix::Host);
    assert_eq!(p.cookie.name, "bank-sid");
    assert!(p.cookie.secure && p.cookie.http_only);
    assert_eq!(p.cookie.same_site, Some(e::SameSite::Strict));
    assert_eq!(p.cookie.storage, e::CredentialStorage::Cookie);
    assert_eq!(p.account_state.mfa_pending, e::PreVerify::None);

    assert_eq!(ids(f.sources.of(Setting::IdleTimeout)), ["idle"]);
    assert_eq!(ids(f.sources.of(Setting::AbsoluteTimeout)), ["absolute"]);
    assert_eq!(ids(f.sources.of(Setting::Warning)), ["warning"]);
    assert_eq!(ids(f.sources.of(Setting::Reauth)), ["transfer"]);
    assert_eq!(ids(f.sources.of(Setting::Cookie)), ["cookie"]);
    assert_eq!(ids(f.sources.of(Setting::LogoutEverywhere)), ["logout-all"]);
    assert!(
        f.sources.of(Setting::RememberMe).is_empty(),
        "nothing drawn"
    );
    assert_eq!(ids(&f.offers.admin_revoke), ["admin-kill"]);
    assert_eq!(ids(&f.offers.account_disable), ["disable"]);
    assert_eq!(ids(&f.offers.sensitive_actions), ["transfer"]);
    assert_eq!(f.offers.background_pings, vec![(NodeId::from("poll"), MIN)]);
    assert!(f.policy.check().is_ok());
}

#[test]
fn the_legacy_shop_compiles_to_the_weak_policy_it_draws() {
    let plan = plan("legacy-shop");
    let f = flow(&plan, "create");
    let p = &f.policy;
    assert_eq!(p.ids.generator, e::IdGenerator::Sequential);
    assert_eq!(p.ids.acceptance, e::IdAcceptance::Permissive);
    assert_eq!(p.rotation.on_login, e::Rotation::KeepId);
    assert_eq!(p.timeouts.idle, Some(30 * MIN));
    assert_eq!(p.timeouts.activity, e::Activity::AnyRequest);
    assert_eq!(
        p.timeouts.idle_enforcement,
        e::ExpiryEnforcement::ClientOnly
    );
    assert_eq!(p.timeouts.absolute, None, "no absolute timeout drawn");
    assert!(p.remember_me.offered);
    assert_eq!(
        p.remember_me.lifetime, None,
        "no lifetime drawn: it never expires"
    );
    assert_eq!(p.remember_me.device_binding, e::DeviceBinding::Unbound);
    assert_eq!(p.remember_me.rotate_on_use, e::RotateOnUse::Keep);
    assert_eq!(p.remember_me.on_logout, e::RememberOnLogout::Survive);
    assert_eq!(p.remember_me.grant, e::RememberMeGrant::FullAuthentication);
    assert_eq!(p.concurrency.limit, e::SessionLimit::Unlimited);
    assert_eq!(p.logout.invalidation, e::LogoutInvalidation::ClientOnly);
    assert_eq!(p.logout.everywhere, e::LogoutEverywhere::NotOffered);
    assert_eq!(p.logout.on_credential_change, e::CredentialChange::KeepAll);
    assert_eq!(p.logout.on_account_disable, e::DisableEffect::KeepSessions);
    assert_eq!(p.reauth.max_auth_age, None);
    assert_eq!(p.account_state.unverified_email, e::PreVerify::Full);
    assert_eq!(p.warning.before_idle_expiry, None);
    assert_eq!(p.cookie.prefix, e::CookiePrefix::None);
    assert_eq!(p.cookie.name, "SHOPSESSID");
    assert!(!p.cookie.secure && !p.cookie.http_only);
    assert_eq!(p.cookie.same_site, None);
    assert!(p.cookie.domain.is_some());
    assert!(p.cookie.max_age.is_some());
    assert!(
        p.session_data
            .fields
            .iter()
            .any(|f| f.tag == e::DataTag::Sensitive),
        "password hash and card number are drawn in the session"
    );
    assert!(f.offers.admin_revoke.is_empty());
    assert!(f.offers.logout_everywhere.is_empty());
    assert_eq!(ids(f.sources.of(Setting::RememberMe)), ["remember"]);
    assert!(f.sources.of(Setting::AbsoluteTimeout).is_empty());
}

#[test]
fn the_spa_compiles_to_short_access_tokens_and_rotating_refresh_tokens() {
    let plan = plan("spa-hybrid-tokens");
    let p = &flow(&plan, "create").policy;
    assert_eq!(p.mechanism, e::Mechanism::Hybrid);
    assert_eq!(p.tokens.access_lifetime, 15 * MIN);
    assert_eq!(p.tokens.algorithm, e::AlgorithmPolicy::Hs256Only);
    assert_eq!(p.tokens.check_exp, e::ClaimCheck::Enforced);
    assert_eq!(p.tokens.check_nbf, e::ClaimCheck::Enforced);
    assert_eq!(p.tokens.revocation, e::Revocation::Denylist);
    assert_eq!(p.tokens.revocation_delay, Duration::ZERO);
    assert_eq!(p.refresh.rotation, e::RefreshRotation::Rotate);
    assert_eq!(p.refresh.reuse, e::ReuseDetection::RevokeFamily);
    assert_eq!(p.refresh.grace_generations, 0);
    assert_eq!(
        p.refresh.expiry,
        e::RefreshExpiry::Absolute {
            lifetime: 12 * HOUR
        }
    );
    assert_eq!(p.refresh.on_logout, e::RefreshOnLogout::Revoke);
    assert_eq!(p.cookie.storage, e::CredentialStorage::Memory);
    assert_eq!(p.cookie.refresh_name, "rt");
    assert_eq!(
        p.concurrency.limit,
        e::SessionLimit::Limited {
            max: 5.try_into().expect("non-zero")
        }
    );
}

#[test]
fn the_content_site_has_a_reader_flow_with_remember_me_and_an_editor_flow_without() {
    let plan = plan("content-site");
    assert_eq!(plan.flows.len(), 2);
    let readers = flow(&plan, "create");
    assert!(readers.policy.remember_me.offered);
    assert_eq!(readers.policy.remember_me.lifetime, Some(30 * DAY));
    assert_eq!(
        readers.policy.remember_me.device_binding,
        e::DeviceBinding::Bound
    );
    assert_eq!(
        readers.policy.remember_me.rotate_on_use,
        e::RotateOnUse::Rotate
    );
    assert_eq!(readers.policy.timeouts.idle, Some(2 * HOUR));
    assert_eq!(
        readers.policy.concurrency.limit,
        e::SessionLimit::Limited {
            max: 5.try_into().expect("non-zero")
        }
    );
    assert_eq!(
        readers.policy.account_state.unverified_email,
        e::PreVerify::Limited
    );
    assert_eq!(
        ids(readers.sources.of(Setting::RememberMeLifetime)),
        ["remember-ttl"]
    );
    let editors = flow(&plan, "editor-create");
    assert!(!editors.policy.remember_me.offered);
    assert_eq!(editors.policy.timeouts.idle, Some(HOUR));
    assert_eq!(
        editors.policy.rotation.on_privilege_change,
        e::Rotation::RotateEndOld
    );
    assert_eq!(
        editors.policy.rotation.privileges,
        e::PrivilegeReload::Reload
    );
    assert_eq!(editors.lane.as_ref().map(|l| l.as_str()), Some("editors"));
}

#[test]
fn the_saas_app_keeps_the_customer_and_administrator_policies_apart() {
    let plan = plan("saas-admin");
    assert_eq!(plan.flows.len(), 2);
    let customer = flow(&plan, "create");
    let admin = flow(&plan, "admin-create");
    assert_eq!(customer.policy.timeouts.idle, Some(30 * MIN));
    assert_eq!(admin.policy.timeouts.idle, Some(15 * MIN));
    assert_eq!(customer.policy.timeouts.absolute, Some(12 * HOUR));
    assert_eq!(admin.policy.timeouts.absolute, Some(8 * HOUR));
    assert_eq!(
        admin.policy.concurrency.limit,
        e::SessionLimit::Limited {
            max: 3.try_into().expect("non-zero")
        }
    );
    assert_eq!(
        admin.policy.concurrency.on_limit,
        e::OnLimit::EvictOldestInactive
    );
    assert_eq!(admin.policy.reauth.max_auth_age, Some(5 * MIN));
    assert_eq!(customer.policy.reauth.max_auth_age, Some(15 * MIN));
    assert_eq!(admin.policy.cookie.name, "admin-sid");
    assert_eq!(ids(admin.sources.of(Setting::IdleTimeout)), ["admin-idle"]);
    assert!(!customer.members.iter().any(|m| m.as_str() == "admin-idle"));
    assert_eq!(ids(&admin.offers.admin_revoke), ["revoke"]);
}

#[test]
fn the_mobile_app_keeps_its_tokens_in_device_storage_with_per_device_limits() {
    let plan = plan("mobile-api");
    let p = &flow(&plan, "create").policy;
    assert_eq!(p.mechanism, e::Mechanism::Hybrid);
    assert_eq!(p.tokens.access_lifetime, 10 * MIN);
    assert_eq!(p.refresh.grace_generations, 1);
    assert_eq!(
        p.refresh.expiry,
        e::RefreshExpiry::Absolute { lifetime: 30 * DAY }
    );
    assert_eq!(p.concurrency.scope, e::LimitScope::PerDeviceCategory);
    assert_eq!(p.cookie.storage, e::CredentialStorage::Memory);
    assert_eq!(
        p.ids.generator,
        e::IdGenerator::Csprng { bits: 128 },
        "256 drawn, the engine's maximum used"
    );
}

#[test]
fn the_sso_relying_party_is_as_weak_as_its_weakest_identity_provider_path() {
    let plan = plan("sso-oidc");
    let f = flow(&plan, "create");
    assert_eq!(
        f.policy.federation.idp_logout,
        e::IdpLogoutPropagation::Ignored
    );
    // The weakest path decides, so it alone is the setting's source, and it comes first.
    assert_eq!(ids(f.sources.of(Setting::Federation)), ["google"]);
    assert_eq!(ids(&f.offers.federated), ["google", "sso"]);
}

fn map_from(text: &str) -> Map {
    model::load_str(text, std::path::Path::new("t.ron"))
        .expect("parses")
        .map
}

#[test]
fn a_logout_connected_to_no_session_is_a_diagnostic_naming_it() {
    let mut map = template("banking");
    map.edges
        .retain(|e| e.from.as_str() != "password" && e.to.as_str() != "logout-all");
    let plan = compile::compile(&map);
    let d = plan
        .diagnostics
        .iter()
        .find(|d| ids(&d.nodes) == ["logout-all"])
        .expect("a diagnostic for the stray logout");
    assert!(
        d.message.contains("not connected to any session flow"),
        "{d}"
    );
}

#[test]
fn two_contradicting_idle_timeouts_on_one_flow_are_a_diagnostic_and_the_first_wins() {
    let mut map = template("banking");
    let mut second = map.node(&NodeId::from("idle")).expect("idle").clone();
    second.id = NodeId::from("idle-2");
    if let model::NodeKind::IdleTimeout { after, .. } = &mut second.kind {
        *after = model::Span::Minutes(60);
    }
    map.nodes.push(second);
    let mut attach = map
        .edges
        .iter()
        .find(|e| e.id.as_str() == "idle-accounts")
        .expect("edge")
        .clone();
    attach.id = model::EdgeId::from("idle-2-accounts");
    attach.from = NodeId::from("idle-2");
    map.edges.push(attach);
    let plan = compile::compile(&map);
    let d = plan
        .diagnostics
        .iter()
        .find(|d| d.message.contains("contradicting idle timeout"))
        .expect("a contradiction diagnostic");
    assert_eq!(ids(&d.nodes), ["idle", "idle-2"]);
    assert_eq!(flow(&plan, "create").policy.timeouts.idle, Some(10 * MIN));
}

#[test]
fn a_map_without_a_create_session_stage_says_so() {
    let map = map_from(
        r#"(format_version: 1, title: "t", nodes: [(id: "login", label: "Login", kind: Login(mfa: Off, before_mfa: NoSession), pos: (0.0, 0.0))])"#,
    );
    let plan = compile::compile(&map);
    assert!(plan.flows.is_empty());
    assert!(
        plan.diagnostics
            .iter()
            .any(|d| d.message.contains("nothing creates a session"))
    );
}

#[test]
fn the_flow_graph_lists_a_nodes_transitions_in_map_order_without_attachments() {
    let plan = plan("banking");
    let steps = plan.graph.steps(&NodeId::from("accounts"));
    let steps: Vec<&str> = steps.iter().map(|s| s.to.as_str()).collect();
    assert_eq!(steps, ["transfer", "logout", "poll", "logout-all"]);
    assert!(
        plan.graph.steps(&NodeId::from("idle")).is_empty(),
        "attachments are not walked"
    );
    assert_eq!(
        plan.graph.attached(&NodeId::from("idle")),
        [NodeId::from("accounts"), NodeId::from("warning")]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn compiling_never_panics_on_maps_that_load(
        template in 0..templates::ALL.len(),
        drop_edges in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        drop_nodes in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut map = templates::ALL[template].load().expect("loads").map;
        for i in drop_edges {
            if !map.edges.is_empty() {
                map.edges.remove(i.index(map.edges.len()));
            }
        }
        for i in drop_nodes {
            if !map.nodes.is_empty() {
                map.nodes.remove(i.index(map.nodes.len()));
            }
        }
        let plan = compile::compile(&map);
        for flow in &plan.flows {
            prop_assert!(flow.policy.check().is_ok());
        }
    }
}

/// A hybrid flow that draws one node of every kind, for the parameter walk.
const EVERY_KIND: &str = r#"(
    format_version: 1,
    title: "Every kind",
    lanes: [(id: "users", title: "Users", height: 900.0)],
    nodes: [
        (id: "login", label: "Sign in", kind: Login(mfa: Required, before_mfa: NoSession), lane: "users", pos: (0.0, 0.0)),
        (id: "signup", label: "Sign up", kind: SignUp(before_verification: NoSession), lane: "users", pos: (0.0, 100.0)),
        (id: "reset", label: "Reset", kind: PasswordReset(link_ttl: Minutes(30), before_completion: NoSession), lane: "users", pos: (0.0, 200.0)),
        (id: "oidc", label: "Social", kind: OidcCallback(provider: "Google", idp_logout: BackChannel), lane: "users", pos: (0.0, 300.0)),
        (id: "sso", label: "SSO", kind: Sso(provider: "Okta", protocol: Oidc, idp_logout: BackChannel), lane: "users", pos: (0.0, 400.0)),
        (id: "magic", label: "Magic link", kind: MagicLink(link_ttl: Minutes(15), single_use: true), lane: "users", pos: (0.0, 500.0)),
        (id: "api", label: "API tokens", kind: ApiTokenEndpoint(grant: Password), lane: "users", pos: (0.0, 600.0)),
        (id: "remember", label: "Remember me", kind: RememberMe(device_bound: true, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false), lane: "users", pos: (0.0, 700.0)),
        (id: "create", label: "Issue tokens", kind: CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2)))), lane: "users", pos: (250.0, 0.0)),
        (id: "page", label: "Page", kind: Request(state_change: false), lane: "users", pos: (500.0, 0.0)),
        (id: "ping", label: "Poll", kind: BackgroundPing(every: Minutes(1)), lane: "users", pos: (500.0, 100.0)),
        (id: "email", label: "Change email", kind: SensitiveAction(action: "change email", reauth: RecentLogin(within: Minutes(5))), lane: "users", pos: (500.0, 200.0)),
        (id: "refresh", label: "Refresh", kind: TokenRefresh(rotation: Rotate(reuse_detection: true, grace_generations: 0), expiry: Absolute), lane: "users", pos: (500.0, 300.0)),
        (id: "logout", label: "Log out", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 0.0)),
        (id: "password", label: "Change password", kind: PasswordChange(ends_other_sessions: true, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 100.0)),
        (id: "disable", label: "Disable", kind: AccountDisable(ends_sessions: true), lane: "users", pos: (750.0, 200.0)),
        (id: "revoke", label: "Kill", kind: AdminRevoke(scope: OneUser), lane: "users", pos: (750.0, 300.0)),
        (id: "demote", label: "Change role", kind: PrivilegeChange(rotation: RotateEndOld, reloads_privileges: true), lane: "users", pos: (750.0, 400.0)),
        (id: "idle", label: "Idle", kind: IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: Server), lane: "users", pos: (250.0, 200.0)),
        (id: "absolute", label: "Absolute", kind: AbsoluteTimeout(after: Hours(8), enforced: Server), lane: "users", pos: (250.0, 300.0)),
        (id: "remember-life", label: "Remember 14 days", kind: RememberMeLifetime(after: Days(14)), lane: "users", pos: (250.0, 400.0)),
        (id: "access-life", label: "Access 5 min", kind: TokenLifetime(token: Access, after: Minutes(5)), lane: "users", pos: (250.0, 500.0)),
        (id: "id-life", label: "ID token 5 min", kind: TokenLifetime(token: Id, after: Minutes(5)), lane: "users", pos: (250.0, 700.0)),
        (id: "warning", label: "Warn", kind: ExpiryWarning(before: Minutes(2), keeps_drafts: true), lane: "users", pos: (250.0, 600.0)),
        (id: "store", label: "Families", kind: ServerStore(backend: Redis, fields: [(name: "user_id", kind: Identity)]), lane: "users", pos: (1000.0, 0.0)),
        (id: "token", label: "Access token", kind: SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: "sub", kind: Identity)]), lane: "users", pos: (1000.0, 100.0)),
        (id: "cookie-session", label: "Prefs cookie", kind: ClientCookieSession(signed: true, encrypted: false, fields: [(name: "theme", kind: Preference)]), lane: "users", pos: (1000.0, 200.0)),
        (id: "holder", label: "Token in memory", kind: ClientStorage(holds: AccessToken, location: Memory), lane: "users", pos: (1000.0, 300.0)),
    ],
    edges: [
        (id: "e1", from: "login", to: "create", trigger: UserAction),
        (id: "e2", from: "signup", to: "create", trigger: UserAction),
        (id: "e3", from: "reset", to: "create", trigger: UserAction),
        (id: "e4", from: "oidc", to: "create", trigger: System),
        (id: "e5", from: "sso", to: "create", trigger: System),
        (id: "e6", from: "magic", to: "create", trigger: UserAction),
        (id: "e7", from: "api", to: "create", trigger: System),
        (id: "e8", from: "remember", to: "create", trigger: System),
        (id: "e9", from: "create", to: "page", trigger: System),
        (id: "e10", from: "page", to: "ping", trigger: After(Minutes(1))),
        (id: "e11", from: "page", to: "email", trigger: UserAction),
        (id: "e12", from: "page", to: "refresh", trigger: After(Minutes(5))),
        (id: "e13", from: "page", to: "logout", trigger: UserAction),
        (id: "e14", from: "page", to: "password", trigger: UserAction),
        (id: "e15", from: "disable", to: "login", trigger: System),
        (id: "e16", from: "revoke", to: "login", trigger: System),
        (id: "e17", from: "demote", to: "login", trigger: System),
        (id: "a1", from: "idle", to: "create", trigger: Attach),
        (id: "a2", from: "absolute", to: "create", trigger: Attach),
        (id: "a3", from: "remember-life", to: "remember", trigger: Attach),
        (id: "a4", from: "access-life", to: "create", trigger: Attach),
        (id: "a5", from: "warning", to: "idle", trigger: Attach),
        (id: "a10", from: "id-life", to: "create", trigger: Attach),
        (id: "a6", from: "create", to: "store", trigger: Attach),
        (id: "a7", from: "create", to: "token", trigger: Attach),
        (id: "a8", from: "create", to: "cookie-session", trigger: Attach),
        (id: "a9", from: "create", to: "holder", trigger: Attach),
    ],
    personas: [
        (id: "regular", name: "Regular user", share: 100, visits_per_day: 3, think_time: Seconds(30), active_hours: (start: 8, end: 20), days_per_week: 7, devices: [Desktop], behaviours: []),
    ],
)"#;

/// Everything the simulator runs from a plan: per flow its policy, sources and offers, and
/// every node's operation.
fn executable(map: &Map) -> String {
    let plan = compile::compile(map);
    let flows: Vec<_> = plan
        .flows
        .iter()
        .map(|f| (&f.policy, &f.sources, &f.offers))
        .collect();
    format!("{flows:?}\n{:?}", plan.ops)
}

fn with_kind(base: &Map, node: &str, kind: &str) -> Map {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut map = base.clone();
    let n = map
        .nodes
        .iter_mut()
        .find(|n| n.id.as_str() == node)
        .unwrap_or_else(|| panic!("node {node}"));
    n.kind = options
        .from_str(kind)
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    map
}

/// Every parameter of every node kind, changed one at a time on a map that draws every kind:
/// each change alters what the simulator runs, except the parameters listed as display-only,
/// each with the reason (and those must really change nothing, so the list stays honest).
#[test]
fn every_drawn_parameter_changes_the_plan_or_is_listed_as_display_only() {
    let loaded = model::load_str(EVERY_KIND, std::path::Path::new("every.ron")).expect("loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let base = loaded.map;
    let before = executable(&base);
    let matters: &[(&str, &str)] = &[
        ("login", "Login(mfa: Off, before_mfa: NoSession)"),
        ("login", "Login(mfa: Required, before_mfa: Full)"),
        ("login", "Login(mfa: Required, before_mfa: Limited)"),
        ("signup", "SignUp(before_verification: Full)"),
        ("signup", "SignUp(before_verification: Limited)"),
        (
            "reset",
            "PasswordReset(link_ttl: Minutes(30), before_completion: Full)",
        ),
        (
            "reset",
            "PasswordReset(link_ttl: Minutes(30), before_completion: Limited)",
        ),
        (
            "oidc",
            "OidcCallback(provider: \"Google\", idp_logout: Ignored)",
        ),
        (
            "sso",
            "Sso(provider: \"Okta\", protocol: Oidc, idp_logout: FrontChannel)",
        ),
        (
            "remember",
            "RememberMe(device_bound: false, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: false)",
        ),
        (
            "remember",
            "RememberMe(device_bound: true, rotate_on_use: false, survives_logout: false, grants_sensitive_actions: false)",
        ),
        (
            "remember",
            "RememberMe(device_bound: true, rotate_on_use: true, survives_logout: true, grants_sensitive_actions: false)",
        ),
        (
            "remember",
            "RememberMe(device_bound: true, rotate_on_use: true, survives_logout: false, grants_sensitive_actions: true)",
        ),
        (
            "create",
            "CreateSession(mechanism: ServerSide, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Csprng(bits: 64), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Sequential, client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Permissive, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Strict, on_login: Keep, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 3, per_device: true, on_limit: RejectNew), binding: (ip: false, user_agent: true, on_mismatch: RequireReauth, travel: (max_km: 800, within: Hours(2))))",
        ),
        (
            "create",
            "CreateSession(mechanism: Hybrid, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 5, per_device: false, on_limit: EvictOldestInactive), binding: (ip: true, user_agent: false, on_mismatch: Terminate, travel: None))",
        ),
        ("page", "Request(state_change: true)"),
        ("ping", "BackgroundPing(every: Minutes(5))"),
        (
            "email",
            "SensitiveAction(action: \"change email\", reauth: SessionAge(within: Minutes(5)))",
        ),
        (
            "email",
            "SensitiveAction(action: \"change email\", reauth: NotRequired)",
        ),
        (
            "refresh",
            "TokenRefresh(rotation: Reusable, expiry: Absolute)",
        ),
        (
            "refresh",
            "TokenRefresh(rotation: Rotate(reuse_detection: false, grace_generations: 2), expiry: Sliding)",
        ),
        (
            "logout",
            "Logout(scope: AllDevices, invalidation: Server, revokes_refresh_tokens: true)",
        ),
        (
            "logout",
            "Logout(scope: ThisDevice, invalidation: ClientOnly, revokes_refresh_tokens: true)",
        ),
        (
            "logout",
            "Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: false)",
        ),
        (
            "password",
            "PasswordChange(ends_other_sessions: false, revokes_refresh_tokens: true)",
        ),
        (
            "password",
            "PasswordChange(ends_other_sessions: true, revokes_refresh_tokens: false)",
        ),
        ("disable", "AccountDisable(ends_sessions: false)"),
        (
            "demote",
            "PrivilegeChange(rotation: Keep, reloads_privileges: true)",
        ),
        (
            "demote",
            "PrivilegeChange(rotation: RotateEndOld, reloads_privileges: false)",
        ),
        (
            "idle",
            "IdleTimeout(after: Minutes(30), resets_on: UserAction, enforced: Server)",
        ),
        (
            "idle",
            "IdleTimeout(after: Minutes(15), resets_on: AnyRequest, enforced: Server)",
        ),
        (
            "idle",
            "IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: ClientOnly)",
        ),
        (
            "absolute",
            "AbsoluteTimeout(after: Hours(12), enforced: Server)",
        ),
        (
            "absolute",
            "AbsoluteTimeout(after: Hours(8), enforced: ClientOnly)",
        ),
        ("remember-life", "RememberMeLifetime(after: Days(30))"),
        (
            "access-life",
            "TokenLifetime(token: Access, after: Minutes(15))",
        ),
        (
            "access-life",
            "TokenLifetime(token: Refresh, after: Minutes(5))",
        ),
        (
            "warning",
            "ExpiryWarning(before: Minutes(5), keeps_drafts: true)",
        ),
        (
            "warning",
            "ExpiryWarning(before: Minutes(2), keeps_drafts: false)",
        ),
        (
            "store",
            "ServerStore(backend: Redis, fields: [(name: \"password\", kind: Secret)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: false, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: false, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: true, revocation: Denylist(propagation: None), fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: Minutes(2)), fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: NotBefore(propagation: None), fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: UntilExpiry, fields: [(name: \"sub\", kind: Identity)])",
        ),
        (
            "token",
            "SignedToken(algorithm: Es256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: \"card\", kind: PaymentCard)])",
        ),
        (
            "cookie-session",
            "ClientCookieSession(signed: true, encrypted: false, fields: [(name: \"balance\", kind: Cached)])",
        ),
        (
            "holder",
            "ClientStorage(holds: AccessToken, location: LocalStorage)",
        ),
        (
            "holder",
            "ClientStorage(holds: RefreshToken, location: Memory)",
        ),
    ];
    for (node, kind) in matters {
        let after = executable(&with_kind(&base, node, kind));
        assert_ne!(
            before, after,
            "changing `{node}` to {kind} must change the plan"
        );
    }
    // Display-only, each with its reason: the words on the canvas and in reports, not the
    // session's behaviour.
    let display_only: &[(&str, &str, &str)] = &[
        (
            "reset",
            "PasswordReset(link_ttl: Hours(24), before_completion: NoSession)",
            "the link's own lifetime: no scene steals an old reset email yet",
        ),
        (
            "oidc",
            "OidcCallback(provider: \"GitHub\", idp_logout: BackChannel)",
            "the provider's name",
        ),
        (
            "sso",
            "Sso(provider: \"Azure AD\", protocol: Saml, idp_logout: BackChannel)",
            "the provider's name and protocol; logout propagation is what matters",
        ),
        (
            "magic",
            "MagicLink(link_ttl: Hours(1), single_use: false)",
            "the link's lifetime and reuse: no scene replays a used link yet",
        ),
        (
            "api",
            "ApiTokenEndpoint(grant: ClientCredentials)",
            "the grant type: every grant signs the client in the same way here",
        ),
        (
            "email",
            "SensitiveAction(action: \"change payout account\", reauth: RecentLogin(within: Minutes(5)))",
            "the action's name",
        ),
        (
            "revoke",
            "AdminRevoke(scope: AllUsers)",
            "an administrator's kill is played against one victim; ending everyone's sessions also ends theirs",
        ),
        (
            "id-life",
            "TokenLifetime(token: Id, after: Hours(1))",
            "ID tokens are not session credentials: the app does not accept them for requests",
        ),
        (
            "store",
            "ServerStore(backend: Database, fields: [(name: \"user_id\", kind: Identity)])",
            "where the server keeps sessions does not change what it accepts",
        ),
        (
            "token",
            "SignedToken(algorithm: Rs256, verifies_expiry: true, verifies_not_before: true, accepts_alg_none: false, revocation: Denylist(propagation: None), fields: [(name: \"sub\", kind: Identity)])",
            "the engine signs with HMAC-SHA256 whatever is drawn: what matters is whether signatures, exp and nbf are checked",
        ),
        (
            "cookie-session",
            "ClientCookieSession(signed: false, encrypted: true, fields: [(name: \"theme\", kind: Preference)])",
            "this flow's session is a hybrid token, so a drawn cookie session only adds its data fields",
        ),
        (
            "cookie-session",
            "ClientCookieSession(signed: true, encrypted: false, fields: [(name: \"theme\", kind: Preference)], revocation: DenylistAndNotBefore(propagation: None))",
            "a revocation drawn on a cookie session of a hybrid flow revokes nothing the flow issues",
        ),
    ];
    for (node, kind, why) in display_only {
        let after = executable(&with_kind(&base, node, kind));
        assert_eq!(
            before, after,
            "`{node}` {kind} is listed as display-only ({why})"
        );
    }
}

// ── What is not drawn ────────────────────────────────────────────────────────────────────────

/// A map that draws a sign-in and a create-session stage of `mechanism`, and nothing else.
fn only_sign_in(mechanism: &str) -> Map {
    map_from(&format!(
        r#"(
    format_version: 1,
    title: "Only a sign-in",
    nodes: [
        (id: "login", label: "Sign in", kind: Login(mfa: Off, before_mfa: NoSession), pos: (0.0, 0.0)),
        (id: "create", label: "Start session", kind: CreateSession(mechanism: {mechanism}, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Unlimited, binding: (ip: false, user_agent: false, on_mismatch: Ignore, travel: None)), pos: (250.0, 0.0)),
    ],
    edges: [(id: "e1", from: "login", to: "create", trigger: UserAction)],
)"#
    ))
}

/// The policy such a map runs with: every field written out, each the documented meaning of
/// "not drawn" (what a framework does when nobody configured it) or the create stage's value.
fn expected_baseline(mechanism: e::Mechanism) -> e::Policy {
    let century = Duration::from_secs(100 * 365 * 86_400);
    e::Policy {
        mechanism,
        ids: e::IdPolicy {
            generator: e::IdGenerator::Csprng { bits: 128 },
            encoding: e::IdEncoding::Base64Url,
            acceptance: e::IdAcceptance::Strict,
        },
        timeouts: e::TimeoutPolicy {
            idle: None,
            absolute: None,
            activity: e::Activity::AnyRequest,
            renewal: None,
            idle_enforcement: e::ExpiryEnforcement::Server,
            absolute_enforcement: e::ExpiryEnforcement::Server,
        },
        rotation: e::RotationPolicy {
            on_login: e::Rotation::RotateEndOld,
            on_privilege_change: e::Rotation::KeepId,
            privileges: e::PrivilegeReload::KeepSnapshot,
        },
        remember_me: e::RememberMePolicy {
            offered: false,
            lifetime: None,
            device_binding: e::DeviceBinding::Unbound,
            rotate_on_use: e::RotateOnUse::Keep,
            on_logout: e::RememberOnLogout::Survive,
            grant: e::RememberMeGrant::FullAuthentication,
        },
        tokens: e::TokenPolicy {
            access_lifetime: century,
            algorithm: e::AlgorithmPolicy::Hs256Only,
            check_exp: e::ClaimCheck::Enforced,
            check_nbf: e::ClaimCheck::Enforced,
            revocation: e::Revocation::None,
            revocation_delay: Duration::ZERO,
        },
        refresh: e::RefreshPolicy {
            expiry: e::RefreshExpiry::Sliding {
                idle: century,
                cap: None,
            },
            rotation: e::RefreshRotation::Reuse,
            reuse: e::ReuseDetection::Off,
            grace_generations: 0,
            on_logout: e::RefreshOnLogout::Keep,
        },
        concurrency: e::ConcurrencyPolicy {
            limit: e::SessionLimit::Unlimited,
            on_limit: e::OnLimit::EvictOldestInactive,
            scope: e::LimitScope::PerUser,
        },
        logout: e::LogoutPolicy {
            invalidation: match mechanism {
                e::Mechanism::SignedToken | e::Mechanism::ClientCookie => {
                    e::LogoutInvalidation::ClientOnly
                }
                e::Mechanism::ServerSide | e::Mechanism::Hybrid => {
                    e::LogoutInvalidation::ServerSide
                }
            },
            everywhere: e::LogoutEverywhere::NotOffered,
            on_credential_change: e::CredentialChange::KeepAll,
            on_account_disable: e::DisableEffect::KeepSessions,
        },
        binding: e::BindingPolicy {
            ip: e::Bind::Off,
            user_agent: e::Bind::Off,
            on_mismatch: e::MismatchAction::Ignore,
            impossible_travel: None,
        },
        reauth: e::ReauthPolicy {
            max_auth_age: None,
            measured_from: e::AuthAge::LastAuthentication,
        },
        account_state: e::AccountStatePolicy {
            unverified_email: e::PreVerify::Full,
            mfa_pending: e::PreVerify::None,
            reset_pending: e::PreVerify::None,
        },
        federation: e::FederationPolicy {
            idp_logout: e::IdpLogoutPropagation::Ignored,
        },
        warning: e::WarningPolicy {
            before_idle_expiry: None,
            work_on_expiry: e::WorkOnExpiry::Lost,
        },
        cookie: e::CookiePolicy {
            name: "id".to_owned(),
            remember_me_name: "remember".to_owned(),
            refresh_name: "refresh".to_owned(),
            prefix: e::CookiePrefix::Host,
            secure: true,
            http_only: true,
            same_site: Some(e::SameSite::Lax),
            path: "/".to_owned(),
            domain: None,
            max_age: None,
            storage: e::CredentialStorage::Cookie,
        },
        session_data: e::SessionData {
            fields: vec![
                e::DataField {
                    name: "user_id".to_owned(),
                    tag: e::DataTag::Identity,
                },
                e::DataField {
                    name: "role".to_owned(),
                    tag: e::DataTag::Role,
                },
            ],
        },
    }
}

#[test]
fn a_map_drawing_only_a_sign_in_runs_each_mechanism_with_the_documented_not_drawn_meanings() {
    let from_create = [
        Setting::Mechanism,
        Setting::Ids,
        Setting::LoginRotation,
        Setting::Concurrency,
        Setting::Binding,
    ];
    for (name, mechanism) in [
        ("ServerSide", e::Mechanism::ServerSide),
        ("SignedToken", e::Mechanism::SignedToken),
        ("ClientCookie", e::Mechanism::ClientCookie),
        ("Hybrid", e::Mechanism::Hybrid),
    ] {
        let plan = compile::compile(&only_sign_in(name));
        let f = flow(&plan, "create");
        assert_eq!(f.policy, expected_baseline(mechanism), "{name}");
        // Sources: the create stage for what it always draws; nothing else is drawn.
        for row in compile::describe(f) {
            if from_create.contains(&row.setting) {
                assert_eq!(ids(&row.from), ["create"], "{name}: {}", row.setting);
                assert_eq!(row.not_drawn, None, "{name}: {}", row.setting);
            } else {
                assert!(row.from.is_empty(), "{name}: {} is not drawn", row.setting);
                let why = row
                    .not_drawn
                    .unwrap_or_else(|| panic!("{name}: {} says what not drawn means", row.setting));
                assert!(why.len() > 20, "{name}: {}: {why}", row.setting);
            }
        }
    }
}

#[test]
fn a_client_cookie_session_can_be_revoked_only_where_a_revocation_is_drawn_on_its_store() {
    let cookie_flow = |revocation: &str| {
        let mut map = only_sign_in("ClientCookie");
        let store = format!(
            r#"(id: "jar", label: "Session cookie", kind: ClientCookieSession(signed: true, encrypted: false, fields: [(name: "user_id", kind: Identity)], revocation: {revocation}), pos: (500.0, 200.0))"#
        );
        let logout = r#"(id: "logout", label: "Log out", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), pos: (500.0, 0.0))"#;
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        map.nodes
            .push(options.from_str(&store).expect("store parses"));
        map.nodes
            .push(options.from_str(logout).expect("logout parses"));
        map.edges.push(
            options
                .from_str(r#"(id: "a1", from: "create", to: "jar", trigger: Attach)"#)
                .expect("edge"),
        );
        map.edges.push(
            options
                .from_str(r#"(id: "e2", from: "create", to: "logout", trigger: UserAction)"#)
                .expect("edge"),
        );
        compile::compile(&map)
    };
    let plan = cookie_flow("UntilExpiry");
    let f = flow(&plan, "create");
    assert_eq!(f.policy.tokens.revocation, e::Revocation::None);
    let d = plan
        .diagnostics
        .iter()
        .find(|d| ids(&d.nodes) == ["logout"])
        .expect("a server-side logout on a cookie session is a diagnostic");
    assert!(d.message.contains("keeps nothing it could forget"), "{d}");

    let plan = cookie_flow("DenylistAndNotBefore(propagation: None)");
    let f = flow(&plan, "create");
    assert_eq!(
        f.policy.tokens.revocation,
        e::Revocation::DenylistAndNotBefore
    );
    assert_eq!(ids(f.sources.of(Setting::CookieSessionRevocation)), ["jar"]);
    assert!(
        plan.diagnostics
            .iter()
            .all(|d| !ids(&d.nodes).contains(&"logout")),
        "{:#?}",
        plan.diagnostics
    );
}
