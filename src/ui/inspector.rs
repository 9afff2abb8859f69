//! The inspector: typed editors for what is selected (a node's parameters, an edge's trigger,
//! a note's text) and, with nothing selected, the map itself (title, description, lanes,
//! personas). It returns [`Command`]s; it never changes the map itself.
//!
//! Editors work on a copy of the item and compare it with the original afterwards, so one
//! widget changing one field becomes exactly one command (`NodeEdit::Kind` with the whole new
//! kind, `EditPersona` with the whole new persona), whatever the widget.

use std::hash::Hash;
use std::num::NonZeroU32;

use egui::{ComboBox, DragValue, Grid, Id, Response, RichText, TextEdit, Ui};

use crate::compile::{self, Plan};
use crate::editor::{self, Command, EdgeEdit, LaneEdit, NodeEdit, NoteEdit, Selection};
use crate::export::geometry;
use crate::model::{
    ActiveHours, Activity, AdminScope, Algorithm, Backend, Behaviour, Binding, ClientIds,
    Concurrency, Cookie, Credential, Device, Edge, Enforcement, Field, FieldKind, Grant,
    IdGenerator, IdpLogout, Invalidation, LaneId, Location, LogoutScope, Map, Mechanism, Mfa,
    MismatchAction, Node, NodeKind, NoteColor, OnLimit, Persona, PreAuthSession, Reauth,
    RefreshExpiry, RefreshRotation, Revocation, Rotation, SameSite, Span, SsoProtocol, StickyNote,
    TokenKind, TravelCheck, Trigger,
};
use crate::report::Finding;

/// What the inspector remembers between frames. Widgets keep their own state (collapsed
/// headers, open combo boxes); the compiled plan comes from the editor, built once per change.
#[derive(Clone, Debug, Default)]
pub struct InspectorState {
    /// The widget the last edit came from while it was typed in or dragged, if it was.
    gesture: Option<Id>,
}

/// What the inspector asks for this frame.
#[derive(Debug, Default)]
pub struct InspectorOutput {
    pub commands: Vec<Command>,
    /// End the current undo step before applying `commands`: they start a new one.
    ///
    /// Every parameter of a node is one field to the document (`NodeEdit::Kind`), so without
    /// this, picking a mode and then ticking a box would merge into one step. Typing in a field
    /// or dragging a number merges (one step per gesture); a click, or another widget, does not.
    pub close_undo_step: bool,
}

/// The height a new lane gets.
const NEW_LANE_HEIGHT: f32 = 240.0;

/// Draws the inspector for the selection; returns the edits made this frame. `plan` is the map
/// compiled (for "this node sets ..."), `findings` its static findings.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    state: &mut InspectorState,
    map: &Map,
    plan: &Plan,
    selection: &Selection,
    findings: &[Finding],
) -> InspectorOutput {
    let commands = selection_ui(ui, map, plan, selection, findings);
    if commands.is_empty() {
        return InspectorOutput::default();
    }
    let ctx = ui.ctx();
    let gesture = ctx.dragged_id().or_else(|| ctx.memory(|m| m.focused()));
    let close_undo_step = gesture.is_none() || gesture != state.gesture;
    state.gesture = gesture;
    InspectorOutput {
        commands,
        close_undo_step,
    }
}

fn selection_ui(
    ui: &mut Ui,
    map: &Map,
    plan: &Plan,
    selection: &Selection,
    findings: &[Finding],
) -> Vec<Command> {
    let mut commands = Vec::new();
    let single = |n: usize| selection.len() == 1 && n == 1;
    if single(selection.nodes.len())
        && let Some(node) = selection.nodes.first().and_then(|id| map.node(id))
    {
        ui.push_id(("node", &node.id), |ui| {
            node_ui(ui, map, plan, findings, node, &mut commands);
        });
    } else if single(selection.edges.len())
        && let Some(edge) = selection
            .edges
            .first()
            .and_then(|id| map.edges.iter().find(|e| &e.id == id))
    {
        ui.push_id(("edge", &edge.id), |ui| {
            edge_ui(ui, map, findings, edge, &mut commands);
        });
    } else if single(selection.notes.len())
        && let Some(note) = selection
            .notes
            .first()
            .and_then(|id| map.notes.iter().find(|n| &n.id == id))
    {
        ui.push_id(("note", &note.id), |ui| note_ui(ui, note, &mut commands));
    } else if selection.len() > 1 {
        many_ui(ui, selection);
    } else {
        map_ui(ui, map, &mut commands);
    }
    commands
}

// ----- one node -----

fn node_ui(
    ui: &mut Ui,
    map: &Map,
    plan: &Plan,
    findings: &[Finding],
    node: &Node,
    commands: &mut Vec<Command>,
) {
    let group = node.kind.group();
    ui.heading(format!(
        "{} {}",
        geometry::group_icon(group),
        node.kind.name()
    ));
    ui.weak(format!("{} · id {}", group.title(), node.id));
    ui.add_space(4.0);
    let edit = |edit| Command::EditNode {
        id: node.id.clone(),
        edit,
    };
    form(ui, "node", |ui| {
        let mut label = node.label.clone();
        if text_row(ui, "Label", &mut label) {
            commands.push(edit(NodeEdit::Label(label)));
        }
        let mut lane = node.lane.clone();
        row(ui, "Lane", |ui, name| {
            lane_combo(ui, "lane", map, &mut lane, "(no lane)").labelled_by(name);
        });
        if lane != node.lane {
            commands.push(edit(NodeEdit::Lane(lane)));
        }
    });

    section(ui, "Parameters");
    let mut kind = node.kind.clone();
    form(ui, "kind", |ui| kind_ui(ui, &mut kind));
    if kind != node.kind {
        commands.push(edit(NodeEdit::Kind(kind)));
    }

    let mut notes = node.notes.clone();
    if multiline(ui, "Notes", &mut notes) {
        commands.push(edit(NodeEdit::Notes(notes)));
    }

    settings_ui(ui, map, plan, node);
    not_drawn_ui(ui, plan, node);
    findings_ui(ui, findings.iter().filter(|f| f.nodes.contains(&node.id)));
}

/// "This node sets: ..." — the policy settings the compiler took from this node, with their
/// values in words, per flow.
fn settings_ui(ui: &mut Ui, map: &Map, plan: &Plan, node: &Node) {
    section(ui, "This node sets");
    let flows: Vec<_> = plan
        .flows
        .iter()
        .filter(|f| f.members.contains(&node.id))
        .collect();
    if flows.is_empty() {
        ui.weak("Nothing: it is not part of a flow (no path to or from a Create session).");
    }
    for flow in &flows {
        let settings = flow.sources.settings_from(&node.id);
        if flows.len() > 1 {
            let name = map
                .node(&flow.create)
                .map_or(flow.create.as_str(), |n| &n.label);
            ui.label(RichText::new(format!("In the flow of \"{name}\"")).italics());
        }
        if settings.is_empty() {
            ui.weak("Nothing in this flow's policy.");
            continue;
        }
        let rows = compile::describe(flow);
        for setting in settings {
            match rows.iter().find(|r| r.setting == setting) {
                Some(r) => ui.label(format!("• {setting}: {}", r.value)),
                None => ui.label(format!("• {setting}")),
            };
        }
    }
    for d in plan
        .diagnostics
        .iter()
        .filter(|d| d.nodes.contains(&node.id))
    {
        ui.label(RichText::new(format!("⚠ {}", d.message)).color(ui.visuals().warn_fg_color));
    }
}

/// On a Create session stage: what its flow leaves undrawn, and what the simulation runs with
/// there (what frameworks do when nobody configured it), so a team sees what it did not decide.
fn not_drawn_ui(ui: &mut Ui, plan: &Plan, node: &Node) {
    let Some(flow) = plan.flows.iter().find(|f| f.create == node.id) else {
        return;
    };
    let rows: Vec<_> = compile::describe(flow)
        .into_iter()
        .filter_map(|r| r.not_drawn.map(|why| (r.setting, r.value, why)))
        .collect();
    if rows.is_empty() {
        return;
    }
    section(ui, &format!("Not drawn in this flow ({})", rows.len()));
    for (setting, value, why) in rows {
        ui.label(format!("• {setting}: {value}")).on_hover_text(why);
        ui.label(RichText::new(format!("  {why}")).weak().small());
    }
}

fn findings_ui<'f>(ui: &mut Ui, findings: impl Iterator<Item = &'f Finding>) {
    let findings: Vec<_> = findings.collect();
    if findings.is_empty() {
        return;
    }
    section(ui, &format!("Static findings ({})", findings.len()));
    for f in findings {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(f.severity.to_string())
                    .strong()
                    .color(geometry::severity_color(f.severity)),
            );
            ui.label(&f.title)
                .on_hover_text(format!("{}\n\n{}", f.id, f.explanation));
        });
    }
}

/// Typed editors for every kind's parameters, as rows of the current two-column grid.
fn kind_ui(ui: &mut Ui, kind: &mut NodeKind) {
    use NodeKind::*;
    match kind {
        Login { mfa, before_mfa } => {
            combo_row(ui, "MFA", mfa, Mfa::ALL);
            pre_auth_row(ui, "Before MFA", before_mfa);
        }
        SignUp {
            before_verification,
        } => pre_auth_row(ui, "Before verification", before_verification),
        PasswordReset {
            link_ttl,
            before_completion,
        } => {
            span_row(ui, "Link lifetime", link_ttl);
            pre_auth_row(ui, "Before completion", before_completion);
        }
        OidcCallback {
            provider,
            idp_logout,
        } => {
            text_row(ui, "Provider", provider);
            combo_row(ui, "IdP logout", idp_logout, IdpLogout::ALL);
        }
        Sso {
            provider,
            protocol,
            idp_logout,
        } => {
            text_row(ui, "Provider", provider);
            combo_row(ui, "Protocol", protocol, SsoProtocol::ALL);
            combo_row(ui, "IdP logout", idp_logout, IdpLogout::ALL);
        }
        MagicLink {
            link_ttl,
            single_use,
        } => {
            span_row(ui, "Link lifetime", link_ttl);
            check_row(ui, "Single use", single_use);
        }
        ApiTokenEndpoint { grant } => combo_row(ui, "Grant", grant, Grant::ALL),
        RememberMe {
            device_bound,
            rotate_on_use,
            survives_logout,
            grants_sensitive_actions,
        } => {
            check_row(ui, "Bound to the device", device_bound);
            check_row(ui, "Rotated on every use", rotate_on_use);
            check_row(ui, "Survives logout", survives_logout);
            check_row(ui, "Grants sensitive actions", grants_sensitive_actions);
        }
        CreateSession {
            mechanism,
            ids,
            client_ids,
            on_login,
            concurrency,
            binding,
        } => {
            combo_row(ui, "Mechanism", mechanism, Mechanism::ALL);
            id_generator_row(ui, ids);
            combo_row(ui, "Client-supplied ids", client_ids, ClientIds::ALL);
            combo_row(ui, "Id on login", on_login, Rotation::ALL);
            concurrency_rows(ui, concurrency);
            binding_rows(ui, binding);
        }
        Request { state_change } => check_row(ui, "Changes state", state_change),
        BackgroundPing { every } => span_row(ui, "Every", every),
        SensitiveAction { action, reauth } => {
            text_row(ui, "Action", action);
            reauth_rows(ui, reauth);
        }
        TokenRefresh { rotation, expiry } => {
            refresh_rotation_rows(ui, rotation);
            combo_row(ui, "Expiry", expiry, RefreshExpiry::ALL);
        }
        Logout {
            scope,
            invalidation,
            revokes_refresh_tokens,
        } => {
            combo_row(ui, "Scope", scope, LogoutScope::ALL);
            combo_row(ui, "Invalidation", invalidation, Invalidation::ALL);
            check_row(ui, "Revokes refresh tokens", revokes_refresh_tokens);
        }
        PasswordChange {
            ends_other_sessions,
            revokes_refresh_tokens,
        } => {
            check_row(ui, "Ends other sessions", ends_other_sessions);
            check_row(ui, "Revokes refresh tokens", revokes_refresh_tokens);
        }
        AccountDisable { ends_sessions } => check_row(ui, "Ends sessions", ends_sessions),
        AdminRevoke { scope } => combo_row(ui, "Scope", scope, AdminScope::ALL),
        PrivilegeChange {
            rotation,
            reloads_privileges,
        } => {
            combo_row(ui, "Session id", rotation, Rotation::ALL);
            check_row(ui, "Reloads privileges", reloads_privileges);
        }
        IdleTimeout {
            after,
            resets_on,
            enforced,
        } => {
            span_row(ui, "After", after);
            combo_row(ui, "Resets on", resets_on, Activity::ALL);
            combo_row(ui, "Enforced by", enforced, Enforcement::ALL);
        }
        AbsoluteTimeout { after, enforced } => {
            span_row(ui, "After", after);
            combo_row(ui, "Enforced by", enforced, Enforcement::ALL);
        }
        RememberMeLifetime { after } => span_row(ui, "After", after),
        TokenLifetime { token, after } => {
            combo_row(ui, "Token", token, TokenKind::ALL);
            span_row(ui, "After", after);
        }
        ExpiryWarning {
            before,
            keeps_drafts,
        } => {
            span_row(ui, "Before expiry", before);
            check_row(ui, "Keeps drafts", keeps_drafts);
        }
        ServerStore { backend, fields } => {
            combo_row(ui, "Backend", backend, Backend::ALL);
            fields_rows(ui, fields);
        }
        SignedToken {
            algorithm,
            verifies_expiry,
            verifies_not_before,
            accepts_alg_none,
            revocation,
            fields,
        } => {
            combo_row(ui, "Algorithm", algorithm, Algorithm::ALL);
            check_row(ui, "Verifies exp", verifies_expiry);
            check_row(ui, "Verifies nbf", verifies_not_before);
            check_row(ui, "Accepts alg \"none\"", accepts_alg_none);
            revocation_rows(ui, revocation);
            fields_rows(ui, fields);
        }
        ClientCookieSession {
            signed,
            encrypted,
            fields,
            revocation,
        } => {
            check_row(ui, "Signed", signed);
            check_row(ui, "Encrypted", encrypted);
            revocation_rows(ui, revocation);
            fields_rows(ui, fields);
        }
        ClientStorage { holds, location } => {
            combo_row(ui, "Holds", holds, Credential::ALL);
            location_rows(ui, location);
        }
    }
}

fn pre_auth_row(ui: &mut Ui, label: &str, value: &mut PreAuthSession) {
    row(ui, label, |ui, name| {
        combo(ui, label, value, PreAuthSession::ALL, |v| {
            format!("{v} session")
        })
        .labelled_by(name);
    });
}

fn id_generator_row(ui: &mut Ui, ids: &mut IdGenerator) {
    const KINDS: [&str; 4] = ["random (CSPRNG)", "sequential", "timestamp", "weak random"];
    row(ui, "Session ids", |ui, name| {
        let current = match ids {
            IdGenerator::Csprng { .. } => 0,
            IdGenerator::Sequential => 1,
            IdGenerator::Timestamp => 2,
            IdGenerator::LowEntropy { .. } => 3,
        };
        let (response, chosen) = choice(ui, "ids", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *ids = match i {
                0 => IdGenerator::Csprng { bits: 128 },
                1 => IdGenerator::Sequential,
                2 => IdGenerator::Timestamp,
                _ => IdGenerator::LowEntropy { bits: 32 },
            };
        }
        if let IdGenerator::Csprng { bits } | IdGenerator::LowEntropy { bits } = ids {
            ui.add(
                DragValue::new(bits)
                    .range(1..=1024)
                    .suffix(" bits")
                    .clamp_existing_to_range(false),
            )
            .accessible_name("Id bits");
        }
    });
}

fn concurrency_rows(ui: &mut Ui, concurrency: &mut Concurrency) {
    const KINDS: [&str; 3] = ["unlimited", "single session", "limited"];
    let current = match concurrency {
        Concurrency::Unlimited => 0,
        Concurrency::Single { .. } => 1,
        Concurrency::Limited { .. } => 2,
    };
    let on_limit = match *concurrency {
        Concurrency::Unlimited => OnLimit::EvictOldestInactive,
        Concurrency::Single { on_limit } | Concurrency::Limited { on_limit, .. } => on_limit,
    };
    row(ui, "Concurrent sessions", |ui, name| {
        let (response, chosen) = choice(ui, "concurrency", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *concurrency = match i {
                0 => Concurrency::Unlimited,
                1 => Concurrency::Single { on_limit },
                _ => Concurrency::Limited {
                    max: NonZeroU32::MIN.saturating_add(2),
                    per_device: false,
                    on_limit,
                },
            };
        }
    });
    if let Concurrency::Limited {
        max, per_device, ..
    } = concurrency
    {
        row(ui, "At most", |ui, name| {
            let mut n = max.get();
            ui.add(DragValue::new(&mut n).range(1..=1000).suffix(" sessions"))
                .labelled_by(name);
            *max = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        });
        check_row(ui, "Per device type", per_device);
    }
    if let Concurrency::Single { on_limit } | Concurrency::Limited { on_limit, .. } = concurrency {
        combo_row(ui, "At the limit", on_limit, OnLimit::ALL);
    }
}

fn binding_rows(ui: &mut Ui, binding: &mut Binding) {
    check_row(ui, "Bound to the IP address", &mut binding.ip);
    check_row(ui, "Bound to the user agent", &mut binding.user_agent);
    combo_row(
        ui,
        "On mismatch",
        &mut binding.on_mismatch,
        MismatchAction::ALL,
    );
    let mut travel = binding.travel.is_some();
    check_row(ui, "Impossible-travel check", &mut travel);
    match (travel, &mut binding.travel) {
        (true, None) => {
            binding.travel = Some(TravelCheck {
                max_km: 500,
                within: Span::Hours(1),
            });
        }
        (false, Some(_)) => binding.travel = None,
        (true, Some(check)) => {
            row(ui, "Farther than", |ui, name| {
                ui.add(
                    DragValue::new(&mut check.max_km)
                        .range(1..=40_000)
                        .suffix(" km"),
                )
                .labelled_by(name);
            });
            span_row(ui, "Within", &mut check.within);
        }
        (false, None) => {}
    }
}

fn reauth_rows(ui: &mut Ui, reauth: &mut Reauth) {
    const KINDS: [&str; 3] = [
        "not required",
        "recent login",
        "session age (not a real re-auth)",
    ];
    let (current, within) = match *reauth {
        Reauth::NotRequired => (0, Span::Minutes(5)),
        Reauth::RecentLogin { within } => (1, within),
        Reauth::SessionAge { within } => (2, within),
    };
    row(ui, "Re-authentication", |ui, name| {
        let (response, chosen) = choice(ui, "reauth", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *reauth = match i {
                0 => Reauth::NotRequired,
                1 => Reauth::RecentLogin { within },
                _ => Reauth::SessionAge { within },
            };
        }
    });
    if let Reauth::RecentLogin { within } | Reauth::SessionAge { within } = reauth {
        span_row(ui, "Within", within);
    }
}

fn refresh_rotation_rows(ui: &mut Ui, rotation: &mut RefreshRotation) {
    const KINDS: [&str; 2] = ["reusable (no rotation)", "rotated on use"];
    let current = usize::from(matches!(rotation, RefreshRotation::Rotate { .. }));
    row(ui, "Rotation", |ui, name| {
        let (response, chosen) = choice(ui, "rotation", current, &KINDS);
        response.labelled_by(name);
        match chosen {
            Some(0) => *rotation = RefreshRotation::Reusable,
            Some(_) => {
                *rotation = RefreshRotation::Rotate {
                    reuse_detection: true,
                    grace_generations: 0,
                }
            }
            None => {}
        }
    });
    if let RefreshRotation::Rotate {
        reuse_detection,
        grace_generations,
    } = rotation
    {
        check_row(ui, "Reuse detection", reuse_detection);
        row(ui, "Older generations accepted", |ui, name| {
            ui.add(DragValue::new(grace_generations).range(0..=10))
                .labelled_by(name);
        });
    }
}

fn revocation_rows(ui: &mut Ui, revocation: &mut Revocation) {
    const KINDS: [&str; 4] = [
        "none (valid until exp)",
        "denylist",
        "per-user not-before",
        "denylist + not-before",
    ];
    let (current, propagation) = match *revocation {
        Revocation::UntilExpiry => (0, None),
        Revocation::Denylist { propagation } => (1, propagation),
        Revocation::NotBefore { propagation } => (2, propagation),
        Revocation::DenylistAndNotBefore { propagation } => (3, propagation),
    };
    row(ui, "Revocation", |ui, name| {
        let (response, chosen) = choice(ui, "revocation", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *revocation = match i {
                0 => Revocation::UntilExpiry,
                1 => Revocation::Denylist { propagation },
                2 => Revocation::NotBefore { propagation },
                _ => Revocation::DenylistAndNotBefore { propagation },
            };
        }
    });
    if let Revocation::Denylist { propagation }
    | Revocation::NotBefore { propagation }
    | Revocation::DenylistAndNotBefore { propagation } = revocation
    {
        optional_span_rows(ui, "Propagation delay", propagation, Span::Seconds(30));
    }
}

fn location_rows(ui: &mut Ui, location: &mut Location) {
    const KINDS: [&str; 6] = [
        "cookie",
        "localStorage",
        "sessionStorage",
        "memory",
        "device keychain",
        "URL parameter",
    ];
    let current = match location {
        Location::Cookie(_) => 0,
        Location::LocalStorage => 1,
        Location::SessionStorage => 2,
        Location::Memory => 3,
        Location::SecureDeviceStorage => 4,
        Location::UrlParameter => 5,
    };
    row(ui, "Kept in", |ui, name| {
        let (response, chosen) = choice(ui, "location", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *location = match i {
                0 => Location::Cookie(Cookie::default()),
                1 => Location::LocalStorage,
                2 => Location::SessionStorage,
                3 => Location::Memory,
                4 => Location::SecureDeviceStorage,
                _ => Location::UrlParameter,
            };
        }
    });
    if let Location::Cookie(cookie) = location {
        cookie_rows(ui, cookie);
    }
}

/// A cookie's attributes (RFC 6265) as the server sets them.
fn cookie_rows(ui: &mut Ui, cookie: &mut Cookie) {
    text_row(ui, "Cookie name", &mut cookie.name);
    check_row(ui, "Secure", &mut cookie.secure);
    check_row(ui, "HttpOnly", &mut cookie.http_only);
    combo_row(ui, "SameSite", &mut cookie.same_site, SameSite::ALL);
    text_row(ui, "Path", &mut cookie.path);
    let mut has_domain = cookie.domain.is_some();
    check_row(ui, "Domain attribute", &mut has_domain);
    match (has_domain, &mut cookie.domain) {
        (true, None) => cookie.domain = Some("example.com".to_owned()),
        (false, Some(_)) => cookie.domain = None,
        (true, Some(domain)) => {
            text_row(ui, "Domain", domain);
        }
        (false, None) => {}
    }
    optional_span_rows(ui, "Max-Age", &mut cookie.max_age, Span::Hours(8));
}

/// An optional duration: a checkbox to have one, then its editor.
fn optional_span_rows(ui: &mut Ui, label: &str, span: &mut Option<Span>, default: Span) {
    let mut on = span.is_some();
    check_row(ui, label, &mut on);
    match (on, span.as_mut()) {
        (true, None) => *span = Some(default),
        (false, Some(_)) => *span = None,
        (true, Some(value)) => {
            row(ui, "", |ui, _| {
                span_ui(ui, &format!("{label} value"), value, None)
            });
        }
        (false, None) => {}
    }
}

/// The session data a store keeps: one row per field (name, kind, remove), then "Add field".
fn fields_rows(ui: &mut Ui, fields: &mut Vec<Field>) {
    ui.label("Session data");
    ui.weak(format!("{} field(s)", fields.len()));
    ui.end_row();
    let mut remove = None;
    for (i, field) in fields.iter_mut().enumerate() {
        let n = i + 1;
        ui.add(TextEdit::singleline(&mut field.name).min_size(egui::vec2(110.0, 0.0)))
            .accessible_name(format!("Field {n} name"));
        ui.horizontal(|ui| {
            combo(ui, ("field", i), &mut field.kind, FieldKind::ALL, |k| {
                k.to_string()
            })
            .accessible_name(format!("Field {n} kind"));
            if ui
                .small_button("✖")
                .accessible_name(format!("Remove field {n}"))
                .on_hover_text("Remove this field")
                .clicked()
            {
                remove = Some(i);
            }
        });
        ui.end_row();
    }
    if let Some(i) = remove {
        fields.remove(i);
    }
    ui.label("");
    if ui.button("Add field").clicked() {
        fields.push(Field::new("field", FieldKind::Preference));
    }
    ui.end_row();
}

// ----- one edge -----

fn edge_ui(ui: &mut Ui, map: &Map, findings: &[Finding], edge: &Edge, commands: &mut Vec<Command>) {
    let attach = edge.trigger == Trigger::Attach;
    ui.heading(if attach { "Attachment" } else { "Transition" });
    let name = |id| {
        map.node(id)
            .map_or_else(|| id.to_string(), |n| n.label.clone())
    };
    ui.weak(format!(
        "from {} to {} · id {}",
        name(&edge.from),
        name(&edge.to),
        edge.id
    ));
    ui.add_space(4.0);
    let edit = |edit| Command::EditEdge {
        id: edge.id.clone(),
        edit,
    };
    form(ui, "edge", |ui| {
        let mut trigger = edge.trigger;
        trigger_rows(ui, &mut trigger);
        if trigger != edge.trigger {
            commands.push(edit(EdgeEdit::Trigger(trigger)));
        }
        let mut weight = edge.weight;
        row(ui, "Weight", |ui, name| {
            ui.add(DragValue::new(&mut weight).range(1..=1000).speed(0.1))
                .labelled_by(name)
                .on_hover_text("How likely a virtual user takes this edge among its siblings");
        });
        if weight != edge.weight {
            commands.push(edit(EdgeEdit::Weight(weight)));
        }
        let mut label = edge.label.clone();
        if text_row(ui, "Label", &mut label) {
            commands.push(edit(EdgeEdit::Label(label)));
        }
    });
    let mut notes = edge.notes.clone();
    if multiline(ui, "Notes", &mut notes) {
        commands.push(edit(EdgeEdit::Notes(notes)));
    }
    findings_ui(ui, findings.iter().filter(|f| f.edges.contains(&edge.id)));
}

fn trigger_rows(ui: &mut Ui, trigger: &mut Trigger) {
    const KINDS: [&str; 4] = [
        "user action",
        "after a time",
        "system",
        "governs (attachment)",
    ];
    let current = match trigger {
        Trigger::UserAction => 0,
        Trigger::After(_) => 1,
        Trigger::System => 2,
        Trigger::Attach => 3,
    };
    row(ui, "Trigger", |ui, name| {
        let (response, chosen) = choice(ui, "trigger", current, &KINDS);
        response.labelled_by(name);
        if let Some(i) = chosen {
            *trigger = match i {
                0 => Trigger::UserAction,
                1 => Trigger::After(Span::Minutes(5)),
                2 => Trigger::System,
                _ => Trigger::Attach,
            };
        }
    });
    if let Trigger::After(span) = trigger {
        span_row(ui, "After", span);
    }
}

// ----- one sticky note -----

fn note_ui(ui: &mut Ui, note: &StickyNote, commands: &mut Vec<Command>) {
    const COLORS: [NoteColor; 4] = [
        NoteColor::Yellow,
        NoteColor::Pink,
        NoteColor::Blue,
        NoteColor::Green,
    ];
    ui.heading("Sticky note");
    ui.weak(format!("id {}", note.id));
    ui.add_space(4.0);
    let edit = |edit| Command::EditNote {
        id: note.id.clone(),
        edit,
    };
    let mut text = note.text.clone();
    if multiline(ui, "Text", &mut text) {
        commands.push(edit(NoteEdit::Text(text)));
    }
    form(ui, "note", |ui| {
        let mut color = note.color;
        row(ui, "Colour", |ui, name| {
            combo(ui, "colour", &mut color, &COLORS, |c| {
                format!("{c:?}").to_lowercase()
            })
            .labelled_by(name);
        });
        if color != note.color {
            commands.push(edit(NoteEdit::Color(color)));
        }
    });
}

// ----- several items -----

fn many_ui(ui: &mut Ui, selection: &Selection) {
    ui.heading(format!("{} items selected", selection.len()));
    let count = |n: usize, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    ui.weak(format!(
        "{}, {}, {}",
        count(selection.nodes.len(), "node", "nodes"),
        count(selection.edges.len(), "edge", "edges"),
        count(selection.notes.len(), "note", "notes"),
    ));
    ui.add_space(6.0);
    for hint in [
        "Drag one of them to move them together; arrows nudge them.",
        "Delete removes them, with the edges of removed nodes.",
        "Ctrl+C copies, Ctrl+D duplicates, Ctrl+Shift+L arranges them.",
        "Shift+click adds or removes one; Esc clears the selection.",
    ] {
        ui.label(format!("• {hint}"));
    }
}

// ----- the map -----

fn map_ui(ui: &mut Ui, map: &Map, commands: &mut Vec<Command>) {
    ui.heading("Map");
    form(ui, "map", |ui| {
        let mut title = map.title.clone();
        if text_row(ui, "Title", &mut title) {
            commands.push(Command::SetTitle(title));
        }
    });
    let mut description = map.description.clone();
    if multiline(ui, "Description", &mut description) {
        commands.push(Command::SetDescription(description));
    }
    lanes_ui(ui, map, commands);
    personas_ui(ui, map, commands);
}

fn lanes_ui(ui: &mut Ui, map: &Map, commands: &mut Vec<Command>) {
    section(ui, "Lanes");
    if map.lanes.is_empty() {
        ui.weak("No lanes: every node sits on the open canvas.");
    }
    let last = map.lanes.len().saturating_sub(1);
    Grid::new("lanes")
        .num_columns(3)
        .spacing([6.0, 4.0])
        .show(ui, |ui| {
            for (i, lane) in map.lanes.iter().enumerate() {
                let n = i + 1;
                let edit = |edit| Command::EditLane {
                    id: lane.id.clone(),
                    edit,
                };
                let mut title = lane.title.clone();
                if ui
                    .add(TextEdit::singleline(&mut title).min_size(egui::vec2(120.0, 0.0)))
                    .accessible_name(format!("Lane {n} title"))
                    .changed()
                {
                    commands.push(edit(LaneEdit::Title(title)));
                }
                let mut height = lane.height;
                ui.add(
                    DragValue::new(&mut height)
                        .range(40.0..=5000.0)
                        .speed(2.0)
                        .suffix(" px")
                        .clamp_existing_to_range(false),
                )
                .accessible_name(format!("Lane {n} height"));
                if height != lane.height {
                    commands.push(edit(LaneEdit::Height(height)));
                }
                ui.horizontal(|ui| {
                    let title = &lane.title;
                    if ui
                        .add_enabled(i > 0, egui::Button::new("⬆").small())
                        .accessible_name(format!("Move lane {title} up"))
                        .on_hover_text("Move up")
                        .clicked()
                    {
                        commands.push(Command::MoveLane {
                            id: lane.id.clone(),
                            to: i - 1,
                        });
                    }
                    if ui
                        .add_enabled(i < last, egui::Button::new("⬇").small())
                        .accessible_name(format!("Move lane {title} down"))
                        .on_hover_text("Move down")
                        .clicked()
                    {
                        commands.push(Command::MoveLane {
                            id: lane.id.clone(),
                            to: i + 1,
                        });
                    }
                    if ui
                        .small_button("✖")
                        .accessible_name(format!("Remove lane {title}"))
                        .on_hover_text("Remove the lane (its nodes stay, without a lane)")
                        .clicked()
                    {
                        commands.push(Command::RemoveLane(lane.id.clone()));
                    }
                });
                ui.end_row();
            }
        });
    if ui.button("Add lane").clicked() {
        commands.push(Command::AddLane {
            title: "New lane".to_owned(),
            height: NEW_LANE_HEIGHT,
        });
    }
}

fn personas_ui(ui: &mut Ui, map: &Map, commands: &mut Vec<Command>) {
    section(ui, "Personas");
    let total: u64 = map.personas.iter().map(|p| u64::from(p.share)).sum();
    if map.personas.is_empty() {
        ui.weak("No personas: the simulator has nobody to play.");
    }
    for persona in &map.personas {
        let percent = percent_of(persona.share, total);
        egui::CollapsingHeader::new(format!("{} — {percent}", persona.name))
            .id_salt(("persona", &persona.id))
            .show(ui, |ui| {
                let mut edited = persona.clone();
                persona_ui(ui, map, &mut edited, total);
                ui.horizontal(|ui| {
                    if ui
                        .button("Remove persona")
                        .accessible_name(format!("Remove persona {}", persona.name))
                        .clicked()
                    {
                        commands.push(Command::RemovePersona(persona.id.clone()));
                    }
                });
                if edited != *persona {
                    commands.push(Command::EditPersona {
                        id: persona.id.clone(),
                        persona: edited,
                    });
                }
            });
    }
    if ui.button("Add persona").clicked() {
        let id = editor::unique_id("persona", |c| map.personas.iter().any(|p| p.id == c));
        commands.push(Command::AddPersona(Persona {
            id,
            name: "New persona".to_owned(),
            lane: map.lanes.first().map(|l| l.id.clone()),
            share: 10,
            visits_per_day: 2,
            think_time: Span::Seconds(30),
            active_hours: ActiveHours { start: 8, end: 20 },
            days_per_week: 5,
            devices: vec![Device::Desktop],
            behaviours: Vec::new(),
        }));
    }
}

/// A share as a percentage of all shares ("80%", "12.5%").
fn percent_of(share: u32, total: u64) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    let p = f64::from(share) * 100.0 / total as f64;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

fn persona_ui(ui: &mut Ui, map: &Map, p: &mut Persona, total: u64) {
    form(ui, "persona", |ui| {
        text_row(ui, "Name", &mut p.name);
        row(ui, "Lane", |ui, name| {
            lane_combo(ui, "persona-lane", map, &mut p.lane, "(every lane)").labelled_by(name);
        });
        row(ui, "Share", |ui, name| {
            let before = p.share;
            ui.add(DragValue::new(&mut p.share).range(0..=100_000))
                .labelled_by(name);
            // The total as it will be once this edit is applied.
            let total = total - u64::from(before) + u64::from(p.share);
            ui.weak(format!("{} of users", percent_of(p.share, total)));
        });
        row(ui, "Visits a day", |ui, name| {
            ui.add(DragValue::new(&mut p.visits_per_day).range(0..=1000))
                .labelled_by(name);
        });
        span_row(ui, "Think time", &mut p.think_time);
        row(ui, "Active from", |ui, name| {
            let hours = &mut p.active_hours;
            ui.add(
                DragValue::new(&mut hours.start)
                    .range(0..=23)
                    .suffix(":00")
                    .clamp_existing_to_range(false),
            )
            .labelled_by(name);
            ui.label("to");
            ui.add(
                DragValue::new(&mut hours.end)
                    .range(1..=24)
                    .suffix(":00")
                    .clamp_existing_to_range(false),
            )
            .accessible_name("Active until");
        });
        row(ui, "Days a week", |ui, name| {
            ui.add(
                DragValue::new(&mut p.days_per_week)
                    .range(1..=7)
                    .clamp_existing_to_range(false),
            )
            .labelled_by(name);
        });
        row(ui, "Devices", |ui, _| {
            for device in [Device::Desktop, Device::Mobile, Device::Tablet] {
                let mut on = p.devices.contains(&device);
                if ui.checkbox(&mut on, format!("{device:?}")).changed() {
                    if on {
                        p.devices.push(device);
                    } else {
                        p.devices.retain(|d| *d != device);
                    }
                }
            }
        });
        behaviours_rows(ui, &mut p.behaviours);
    });
}

const BEHAVIOURS: [Behaviour; 8] = [
    Behaviour::TicksRememberMe,
    Behaviour::ForgetsToLogOut,
    Behaviour::WalksAway {
        pause: Span::Minutes(15),
    },
    Behaviour::KeepsTabOpen,
    Behaviour::ChangesPassword {
        every: Span::Days(90),
    },
    Behaviour::WritesLongForms,
    Behaviour::GetsDisabled,
    Behaviour::LogsOutEverywhere,
];

fn behaviour_words(b: &Behaviour) -> &'static str {
    match b {
        Behaviour::TicksRememberMe => "ticks remember me",
        Behaviour::ForgetsToLogOut => "forgets to log out",
        Behaviour::WalksAway { .. } => "walks away for",
        Behaviour::KeepsTabOpen => "keeps a tab open",
        Behaviour::ChangesPassword { .. } => "changes password every",
        Behaviour::WritesLongForms => "writes long forms",
        Behaviour::GetsDisabled => "gets disabled",
        Behaviour::LogsOutEverywhere => "logs out everywhere",
    }
}

/// A persona's habits: one row each (with its duration where it has one), then "Add behaviour".
fn behaviours_rows(ui: &mut Ui, behaviours: &mut Vec<Behaviour>) {
    let mut remove = None;
    for (i, b) in behaviours.iter_mut().enumerate() {
        ui.label(if i == 0 { "Behaviours" } else { "" });
        ui.horizontal(|ui| {
            let words = behaviour_words(b);
            ui.label(words);
            if let Behaviour::WalksAway { pause: span }
            | Behaviour::ChangesPassword { every: span } = b
            {
                span_ui(ui, words, span, None);
            }
            if ui
                .small_button("✖")
                .accessible_name(format!("Remove behaviour: {words}"))
                .on_hover_text("Remove")
                .clicked()
            {
                remove = Some(i);
            }
        });
        ui.end_row();
    }
    if let Some(i) = remove {
        behaviours.remove(i);
    }
    let missing: Vec<Behaviour> = BEHAVIOURS
        .into_iter()
        .filter(|b| {
            !behaviours
                .iter()
                .any(|have| std::mem::discriminant(have) == std::mem::discriminant(b))
        })
        .collect();
    if !missing.is_empty() {
        ui.label(if behaviours.is_empty() {
            "Behaviours"
        } else {
            ""
        });
        ComboBox::from_id_salt("add-behaviour")
            .selected_text("Add behaviour…")
            .show_ui(ui, |ui| {
                for b in missing {
                    let words = behaviour_words(&b).trim_end_matches(" for");
                    let words = words.trim_end_matches(" every");
                    if ui.selectable_label(false, words).clicked() {
                        behaviours.push(b);
                    }
                }
            })
            .response
            .accessible_name("Add behaviour");
        ui.end_row();
    }
}

// ----- building blocks -----

/// A bold section title with a little space above; returns its id, to name what follows.
fn section(ui: &mut Ui, title: &str) -> Id {
    ui.add_space(8.0);
    ui.label(RichText::new(title).strong()).id
}

/// A two-column grid of labelled rows.
fn form(ui: &mut Ui, salt: &str, add: impl FnOnce(&mut Ui)) {
    Grid::new(salt)
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, add);
}

/// One row of a [`form`]: the label, then the widgets, which get the label's id to name
/// themselves by (`labelled_by`) for screen readers and tests.
fn row<R>(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui, Id) -> R) -> R {
    let name = ui.label(label).id;
    let inner = ui.horizontal(|ui| add(ui, name)).inner;
    ui.end_row();
    inner
}

/// A one-line text field row; true when edited.
fn text_row(ui: &mut Ui, label: &str, value: &mut String) -> bool {
    row(ui, label, |ui, name| {
        ui.add(TextEdit::singleline(value).desired_width(170.0))
            .labelled_by(name)
            .changed()
    })
}

/// A multi-line text field across the panel under a section title that names it; true when
/// edited.
fn multiline(ui: &mut Ui, title: &str, value: &mut String) -> bool {
    let name = section(ui, title);
    ui.add(
        TextEdit::multiline(value)
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(name)
    .changed()
}

/// A checkbox in the widget column of a [`form`].
fn check_row(ui: &mut Ui, text: &str, value: &mut bool) {
    ui.label("");
    ui.checkbox(value, text);
    ui.end_row();
}

/// An enum chosen from a combo box, named by the row's label.
fn combo_row<T: Copy + PartialEq + std::fmt::Display>(
    ui: &mut Ui,
    label: &str,
    value: &mut T,
    all: &[T],
) {
    row(ui, label, |ui, name| {
        combo(ui, label, value, all, |v| v.to_string()).labelled_by(name);
    });
}

fn combo<T: Copy + PartialEq>(
    ui: &mut Ui,
    salt: impl Hash + std::fmt::Debug,
    value: &mut T,
    all: &[T],
    text: impl Fn(T) -> String,
) -> Response {
    ComboBox::from_id_salt(salt)
        .selected_text(text(*value))
        .show_ui(ui, |ui| {
            for &v in all {
                ui.selectable_value(value, v, text(v));
            }
        })
        .response
}

/// A combo box over variant names; returns the box and the index picked this frame, if any.
fn choice(
    ui: &mut Ui,
    salt: impl Hash + std::fmt::Debug,
    current: usize,
    names: &[&str],
) -> (Response, Option<usize>) {
    let mut chosen = None;
    let response = ComboBox::from_id_salt(salt)
        .selected_text(names.get(current).copied().unwrap_or_default())
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                if ui.selectable_label(i == current, *name).clicked() && i != current {
                    chosen = Some(i);
                }
            }
        })
        .response;
    (response, chosen)
}

/// A lane picker with a "none" entry.
fn lane_combo(
    ui: &mut Ui,
    salt: &str,
    map: &Map,
    lane: &mut Option<LaneId>,
    none: &str,
) -> Response {
    let current = lane
        .as_ref()
        .map_or(none, |id| map.lane(id).map_or(id.as_str(), |l| &l.title));
    ComboBox::from_id_salt(salt)
        .selected_text(current)
        .show_ui(ui, |ui| {
            ui.selectable_value(lane, None, none);
            for l in &map.lanes {
                ui.selectable_value(lane, Some(l.id.clone()), &l.title);
            }
        })
        .response
}

const UNITS: [&str; 4] = ["s", "min", "h", "days"];

/// A duration row: the number, then its unit.
fn span_row(ui: &mut Ui, label: &str, span: &mut Span) {
    row(ui, label, |ui, name| span_ui(ui, label, span, Some(name)));
}

/// A number and a unit (s, min, h, days). Changing the unit keeps the number, as a person
/// correcting "10 min" to "10 h" means. The number is named by `label` (or the row's label), the
/// unit "`name` unit".
fn span_ui(ui: &mut Ui, name: &str, span: &mut Span, label: Option<Id>) {
    let (mut value, mut unit) = match *span {
        Span::Seconds(n) => (n, 0),
        Span::Minutes(n) => (n, 1),
        Span::Hours(n) => (n, 2),
        Span::Days(n) => (n, 3),
    };
    let number = ui.add(
        DragValue::new(&mut value)
            .range(1..=1_000_000)
            .speed(0.1)
            .clamp_existing_to_range(false),
    );
    match label {
        Some(label) => number.labelled_by(label),
        None => number.accessible_name(name),
    };
    let (response, chosen) = choice(ui, (name, "unit"), unit, &UNITS);
    response.accessible_name(format!("{name} unit"));
    if let Some(u) = chosen {
        unit = u;
    }
    *span = match unit {
        0 => Span::Seconds(value),
        1 => Span::Minutes(value),
        2 => Span::Hours(value),
        _ => Span::Days(value),
    };
}
