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
    assert_eq!(p.timeouts.enforcement, e::ExpiryEnforcement::Server);
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
    assert_eq!(p.timeouts.enforcement, e::ExpiryEnforcement::ClientOnly);
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
    assert_eq!(ids(f.sources.of(Setting::Federation)), ["sso", "google"]);
    assert_eq!(ids(&f.offers.federated), ["sso", "google"]);
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
