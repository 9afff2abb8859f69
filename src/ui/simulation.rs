//! Simulation in the window: a quick simulation re-run in the background as the map changes
//! (debounced, cancelled when the map changes again), a full run with progress and cancel, the
//! findings grouped by severity (click one to select its nodes), the metrics with plots, a
//! policy A/B against a pinned variant, and "what if" sliders on the key timeouts and limits.
//! The UI never blocks: runs happen on worker threads that own a copy of the map.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use egui::{Color32, RichText, ScrollArea};
use egui_plot::{Bar, BarChart, Line, Plot, PlotPoints};

use crate::compile::{self, Profile};
use crate::editor::{Command, NodeEdit};
use crate::export::geometry::severity_color;
use crate::model::{Map, NodeId, NodeKind, Span};
use crate::report::{Comparison, Finding, How, Report, Severity};
use crate::sim::{Builder, Control, Outcome, SimError};

/// Users in the quick simulation that follows every edit.
pub const QUICK_USERS: u64 = 10_000;
/// How long the map must stay unchanged before the quick simulation starts.
const DEBOUNCE: f64 = 0.4;

/// A simulation running on a worker thread.
struct Job {
    revision: u64,
    users: u64,
    days: u32,
    control: Arc<Control>,
    handle: JoinHandle<Result<(Outcome, Report), SimError>>,
}

impl Job {
    fn start(map: &Map, revision: u64, builder: Builder, file: String) -> Self {
        let (users, days) = (builder.users, builder.days);
        let control = Arc::new(Control::default());
        let map = map.clone();
        let watched = Arc::clone(&control);
        let handle = std::thread::spawn(move || {
            let plan = compile::compile(&map);
            let profile = builder.profile;
            let static_findings = compile::lint(&map, &plan, profile);
            let outcome = builder.build(&map, &plan)?.run(&watched)?;
            let report = outcome.report(&map, &file, &profile, static_findings);
            Ok((outcome, report))
        });
        Job {
            revision,
            users,
            days,
            control,
            handle,
        }
    }
}

/// A finished run, the map revision it was made for and the population it ran.
pub struct RunResult {
    pub revision: u64,
    pub users: u64,
    pub days: u32,
    /// A full run (the panel's population) rather than the quick one.
    pub full: bool,
    pub outcome: Outcome,
    pub report: Report,
}

/// What the simulation panel remembers.
pub struct SimulationPanel {
    pub users: u64,
    pub days: u32,
    pub seed: u64,
    pub profile: Profile,
    quick: Option<Job>,
    /// The latest quick simulation.
    pub quick_result: Option<RunResult>,
    full: Option<Job>,
    /// The latest full run.
    pub result: Option<RunResult>,
    /// Policy A of an A/B comparison: a copy of the map and its report.
    pub pinned: Option<(Map, Report)>,
    /// The pinned policy A against the current results, and which results it was made from.
    comparison: Option<(ResultKey, Comparison)>,
    seen_revision: u64,
    changed_at: f64,
    /// Start the quick simulation without waiting for the debounce (a new map).
    start_now: bool,
    /// Show the last full run even though the map changed since (it stays until the next run).
    pub show_stale_full: bool,
    pub error: Option<String>,
}

impl Default for SimulationPanel {
    fn default() -> Self {
        let b = Builder::default();
        SimulationPanel {
            users: b.users,
            days: b.days,
            seed: b.seed,
            profile: b.profile,
            quick: None,
            quick_result: None,
            full: None,
            result: None,
            pinned: None,
            comparison: None,
            seen_revision: u64::MAX,
            changed_at: 0.0,
            start_now: true,
            show_stale_full: false,
            error: None,
        }
    }
}

/// Tells results apart for the comparison cache: revision, events and findings of a run.
type ResultKey = (u64, u64, usize);

fn key_of(r: &RunResult) -> ResultKey {
    (
        r.revision,
        r.outcome.metrics.events,
        r.report.findings.len(),
    )
}

/// "10,000 users × 1 day".
fn population(r: &RunResult) -> String {
    format!(
        "{} users × {} day{}",
        thousands(r.users),
        r.days,
        if r.days == 1 { "" } else { "s" }
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where a result comes from: "quick run, 10,000 users × 1 day" and whether it is of this map
/// version.
fn provenance(r: &RunResult, revision: u64) -> String {
    let kind = if r.full { "full run" } else { "quick run" };
    let age = if r.revision == revision {
        ""
    } else if r.full {
        ", out of date: the map changed since"
    } else {
        ", of an earlier version of the map"
    };
    format!("{kind}, {}{age}", population(r))
}

/// What the panel asks of the window.
#[derive(Debug, Default)]
pub struct SimulationOutput {
    /// Show (or stop showing) the out-of-date full run.
    pub show_stale_full: Option<bool>,
    /// Select these nodes and bring them into view (a finding was clicked).
    pub select: Option<Vec<NodeId>>,
    /// Edits from the "what if" sliders.
    pub commands: Vec<Command>,
    /// Play this finding's evidence on the canvas.
    pub replay: Option<Finding>,
    /// Put this text on the clipboard (a finding's sequence diagram).
    pub copy: Option<String>,
}

impl SimulationPanel {
    fn builder(&self, users: u64, days: u32) -> Builder {
        Builder {
            users,
            days,
            seed: self.seed,
            profile: self.profile,
            ..Builder::default()
        }
    }

    /// Another map replaced the document: its results, runs in progress and A/B comparison
    /// belong to the old map, so they go, and the quick simulation of the new one starts at
    /// once. The pinned policy A stays: comparing two maps is what it is for.
    pub fn new_map(&mut self) {
        for job in [self.quick.take(), self.full.take()].into_iter().flatten() {
            job.control.cancel();
        }
        self.quick_result = None;
        self.result = None;
        self.comparison = None;
        self.error = None;
        self.show_stale_full = false;
        self.seen_revision = u64::MAX;
        self.start_now = true;
    }

    /// The last full run when the map changed since it ran (kept until the next run).
    pub fn stale_full(&self, revision: u64) -> Option<&RunResult> {
        self.result.as_ref().filter(|r| r.revision != revision)
    }

    /// Whether a run is in progress (the window keeps repainting).
    pub fn busy(&self) -> bool {
        self.quick.is_some() || self.full.is_some()
    }

    /// Keeps the quick simulation in step with the map and collects finished runs. Call every
    /// frame.
    pub fn poll(&mut self, ctx: &egui::Context, map: &Map, revision: u64, file: &str) {
        let now = ctx.input(|i| i.time);
        if revision != self.seen_revision {
            self.seen_revision = revision;
            self.changed_at = now;
            if let Some(job) = &self.quick {
                job.control.cancel();
            }
        }
        if let Some(job) = self.quick.take_if(|j| j.handle.is_finished())
            && let revision = job.revision
            && let Ok(Ok((outcome, report))) = job.handle.join()
        {
            self.quick_result = Some(RunResult {
                revision,
                users: job.users,
                days: job.days,
                full: false,
                outcome,
                report,
            });
        }
        if let Some(job) = self.full.take_if(|j| j.handle.is_finished()) {
            match job.handle.join() {
                Ok(Ok((outcome, report))) => {
                    self.error = None;
                    self.show_stale_full = false;
                    self.result = Some(RunResult {
                        revision: job.revision,
                        users: job.users,
                        days: job.days,
                        full: true,
                        outcome,
                        report,
                    });
                }
                Ok(Err(SimError::Cancelled)) => self.error = Some("Run cancelled".into()),
                Ok(Err(e)) => self.error = Some(e.to_string()),
                Err(_) => self.error = Some("The simulation stopped unexpectedly".into()),
            }
        }
        let stale = self
            .quick_result
            .as_ref()
            .is_none_or(|r| r.revision != revision);
        if stale && self.quick.is_none() && (self.start_now || now - self.changed_at >= DEBOUNCE) {
            self.start_now = false;
            // Leave a core to the window while it runs.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let builder = Builder {
                threads: cores.saturating_sub(1).max(1),
                ..self.builder(QUICK_USERS, 1)
            };
            self.quick = Some(Job::start(map, revision, builder, file.to_owned()));
        }
        if self.busy() || stale {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        self.compare(revision);
    }

    /// Keeps the A/B comparison in step with the pinned policy and the current results.
    fn compare(&mut self, revision: u64) {
        let (Some((_, a)), Some(b)) = (&self.pinned, self.current(revision)) else {
            self.comparison = None;
            return;
        };
        let key = key_of(b);
        if self.comparison.as_ref().is_none_or(|(k, _)| *k != key) {
            self.comparison = Some((key, Comparison::new(a.clone(), b.report.clone())));
        }
    }

    /// Starts a full run with the panel's population.
    pub fn run(&mut self, map: &Map, revision: u64, file: &str) {
        if let Some(job) = &self.full {
            job.control.cancel();
        }
        let builder = self.builder(self.users, self.days);
        self.full = Some(Job::start(map, revision, builder, file.to_owned()));
    }

    /// Waits for the runs in progress (tests and headless use).
    pub fn wait(&mut self, ctx: &egui::Context, map: &Map, revision: u64, file: &str) {
        for _ in 0..600 {
            self.poll(ctx, map, revision, file);
            if !self.busy() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The simulated findings to show: the full run's if it is of this map version (or the
    /// user chose to look at the out-of-date one), else the quick one.
    pub fn current(&self, revision: u64) -> Option<&RunResult> {
        self.result
            .as_ref()
            .filter(|r| r.revision == revision || self.show_stale_full)
            .or(self.quick_result.as_ref())
    }

    /// A short status for the status bar.
    pub fn status(&self, revision: u64) -> String {
        match (&self.quick, self.current(revision)) {
            (Some(_), _) => "simulating…".to_owned(),
            (None, Some(r)) => {
                let sims = r
                    .report
                    .findings
                    .iter()
                    .filter(|f| f.how == How::Sim)
                    .count();
                let fresh = if r.revision == revision {
                    ""
                } else {
                    " (stale)"
                };
                format!("{sims} simulated findings{fresh}")
            }
            (None, None) => "not simulated yet".to_owned(),
        }
    }
}

/// The panel: controls, findings, metrics.
pub fn simulation_ui(
    ui: &mut egui::Ui,
    panel: &mut SimulationPanel,
    map: &Map,
    revision: u64,
    file: &str,
) -> SimulationOutput {
    let mut out = SimulationOutput::default();
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(260.0);
            controls_ui(ui, panel, map, revision, file);
            ui.separator();
            what_if_ui(ui, map, &mut out);
        });
        ui.separator();
        ui.vertical(|ui| {
            ui.set_width((ui.available_width() * 0.5).max(320.0));
            findings_ui(ui, panel, map, revision, &mut out);
        });
        ui.separator();
        ui.vertical(|ui| metrics_ui(ui, panel, revision));
    });
    out
}

fn controls_ui(
    ui: &mut egui::Ui,
    panel: &mut SimulationPanel,
    map: &Map,
    revision: u64,
    file: &str,
) {
    ui.strong("Population");
    egui::Grid::new("population").num_columns(2).show(ui, |ui| {
        let l = ui.label("Users");
        ui.add(egui::DragValue::new(&mut panel.users).range(1..=crate::sim::MAX_USERS))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Days");
        ui.add(egui::DragValue::new(&mut panel.days).range(1..=365))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Seed");
        ui.add(egui::DragValue::new(&mut panel.seed))
            .labelled_by(l.id);
        ui.end_row();
        let l = ui.label("Profile");
        egui::ComboBox::from_id_salt("profile")
            .selected_text(panel.profile.name)
            .show_ui(ui, |ui| {
                for p in Profile::ALL {
                    ui.selectable_value(&mut panel.profile, p, p.name);
                }
            })
            .response
            .labelled_by(l.id);
        ui.end_row();
    });
    let total: u32 = map.personas.iter().map(|p| p.share).sum::<u32>().max(1);
    for p in &map.personas {
        ui.weak(format!(
            "{} — {:.0} %",
            p.name,
            f64::from(p.share) * 100.0 / f64::from(total)
        ));
    }
    ui.horizontal(|ui| match &panel.full {
        Some(job) => {
            ui.add(
                egui::ProgressBar::new(job.control.progress())
                    .desired_width(120.0)
                    .show_percentage(),
            );
            if ui.button("Cancel").clicked() {
                job.control.cancel();
            }
        }
        None => {
            if ui.button("▶ Run simulation").clicked() {
                panel.run(map, revision, file);
            }
        }
    });
    ui.horizontal(|ui| {
        let current = panel.current(revision).map(|r| r.report.clone());
        if ui
            .add_enabled(current.is_some(), egui::Button::new("Pin as policy A"))
            .on_hover_text("Keep this map and its results; change the map and run again to compare")
            .clicked()
            && let Some(report) = current
        {
            panel.pinned = Some((map.clone(), report));
            panel.comparison = None;
        }
        if panel.pinned.is_some() && ui.button("Unpin").clicked() {
            panel.pinned = None;
            panel.comparison = None;
        }
    });
    if let Some(error) = &panel.error {
        ui.colored_label(ui.visuals().warn_fg_color, error);
    }
}

/// Sliders on the timeouts and limits the map draws; moving one edits the node (undoable) and
/// the quick simulation re-runs.
fn what_if_ui(ui: &mut egui::Ui, map: &Map, out: &mut SimulationOutput) {
    ui.strong("What if…");
    let mut any = false;
    for node in &map.nodes {
        let (span, rebuild): (Span, Box<dyn Fn(Span) -> NodeKind>) = match &node.kind {
            NodeKind::IdleTimeout {
                after,
                resets_on,
                enforced,
            } => {
                let (r, e) = (*resets_on, *enforced);
                (
                    *after,
                    Box::new(move |s| NodeKind::IdleTimeout {
                        after: s,
                        resets_on: r,
                        enforced: e,
                    }),
                )
            }
            NodeKind::AbsoluteTimeout { after, enforced } => {
                let e = *enforced;
                (
                    *after,
                    Box::new(move |s| NodeKind::AbsoluteTimeout {
                        after: s,
                        enforced: e,
                    }),
                )
            }
            NodeKind::RememberMeLifetime { after } => (
                *after,
                Box::new(|s| NodeKind::RememberMeLifetime { after: s }),
            ),
            NodeKind::TokenLifetime { token, after } => {
                let t = *token;
                (
                    *after,
                    Box::new(move |s| NodeKind::TokenLifetime { token: t, after: s }),
                )
            }
            _ => continue,
        };
        any = true;
        let mut minutes = (span.as_seconds() as f64 / 60.0).max(1.0);
        let l = ui.label(&node.label);
        let slider = egui::Slider::new(&mut minutes, 1.0..=60.0 * 24.0 * 30.0)
            .logarithmic(true)
            .suffix(" min")
            .integer();
        if ui.add(slider).labelled_by(l.id).changed() {
            out.commands.push(Command::EditNode {
                id: node.id.clone(),
                edit: NodeEdit::Kind(rebuild(Span::Minutes(minutes.round() as i64))),
            });
        }
    }
    // Session limits drawn on create-session stages.
    for node in &map.nodes {
        let NodeKind::CreateSession {
            mechanism,
            ids,
            client_ids,
            on_login,
            concurrency:
                crate::model::Concurrency::Limited {
                    max,
                    per_device,
                    on_limit,
                },
            binding,
        } = &node.kind
        else {
            continue;
        };
        any = true;
        let mut limit = max.get();
        let l = ui.label(format!("{}: sessions per user", node.label));
        if ui
            .add(egui::Slider::new(&mut limit, 1..=20))
            .labelled_by(l.id)
            .changed()
            && let Some(max) = std::num::NonZeroU32::new(limit)
        {
            out.commands.push(Command::EditNode {
                id: node.id.clone(),
                edit: NodeEdit::Kind(NodeKind::CreateSession {
                    mechanism: *mechanism,
                    ids: *ids,
                    client_ids: *client_ids,
                    on_login: *on_login,
                    concurrency: crate::model::Concurrency::Limited {
                        max,
                        per_device: *per_device,
                        on_limit: *on_limit,
                    },
                    binding: *binding,
                }),
            });
        }
    }
    if !any {
        ui.weak("No timeout or session limit is drawn.");
    }
}

fn findings_ui(
    ui: &mut egui::Ui,
    panel: &SimulationPanel,
    map: &Map,
    revision: u64,
    out: &mut SimulationOutput,
) {
    let Some(result) = panel.current(revision) else {
        ui.weak("The quick simulation starts when the map stops changing.");
        return;
    };
    let report = &result.report;
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("Findings ({})", report.findings.len()));
        ui.weak(format!("— {}", provenance(result, revision)));
    });
    if let Some(full) = panel.stale_full(revision) {
        ui.horizontal_wrapped(|ui| {
            let what = format!(
                "The full run ({}) was made before the map changed; it is kept until you run \
                 again.",
                population(full)
            );
            ui.colored_label(ui.visuals().warn_fg_color, what);
            let (label, show) = if panel.show_stale_full {
                ("Show the quick run", false)
            } else {
                ("Show the full run", true)
            };
            if ui.small_button(label).clicked() {
                out.show_stale_full = Some(show);
            }
        });
    }
    ScrollArea::vertical()
        .id_salt("findings")
        .max_height(ui.available_height())
        .show(ui, |ui| {
            for severity in Severity::ALL {
                let of: Vec<&Finding> = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == severity)
                    .collect();
                if of.is_empty() {
                    continue;
                }
                ui.label(
                    RichText::new(format!(
                        "{} ({})",
                        severity.as_str().to_uppercase(),
                        of.len()
                    ))
                    .color(severity_color(severity))
                    .strong(),
                );
                for f in of {
                    let how = match f.how {
                        How::Sim => "simulated",
                        How::Static => "static",
                    };
                    // What is wrong first; where the id repeats, the node's label tells the
                    // findings apart at a glance.
                    let repeated = report.findings.iter().filter(|g| g.id == f.id).count() > 1;
                    let at = f
                        .nodes
                        .first()
                        .filter(|_| repeated)
                        .and_then(|n| map.node(n))
                        .map(|n| format!(" · «{}»", n.label))
                        .unwrap_or_default();
                    let header = format!("{}{at} — {} ({how})", f.title, f.id);
                    let response = egui::CollapsingHeader::new(header)
                        .id_salt((f.id, f.nodes.first()))
                        .show(ui, |ui| {
                            ui.label(&f.explanation);
                            for s in &f.evidence {
                                let at = s
                                    .at_ms
                                    .map(|ms| format!("{} ", virtual_time(ms)))
                                    .unwrap_or_default();
                                ui.label(
                                    RichText::new(format!(
                                        "{at}{}: {} -> {}",
                                        s.actor, s.action, s.outcome
                                    ))
                                    .small(),
                                );
                            }
                            if !f.references.is_empty() {
                                ui.weak(f.references.join("; "));
                            }
                            if f.how == How::Sim && !f.evidence.is_empty() {
                                ui.horizontal(|ui| {
                                    if ui.button(format!("Replay {}", f.id)).clicked() {
                                        out.replay = Some(f.clone());
                                    }
                                    if ui.button("Copy as sequence diagram").clicked() {
                                        out.copy = Some(crate::export::sequence_diagram(f, map));
                                    }
                                });
                            }
                        });
                    if response.header_response.clicked() {
                        out.select = Some(f.nodes.clone());
                    }
                }
            }
        });
}

/// "day 0 09:14" for a virtual time.
pub fn virtual_time(ms: u64) -> String {
    let minutes = ms / 60_000;
    format!(
        "day {} {:02}:{:02}",
        minutes / (24 * 60),
        minutes / 60 % 24,
        minutes % 60
    )
}

fn metrics_ui(ui: &mut egui::Ui, panel: &SimulationPanel, revision: u64) {
    let Some(result) = panel.current(revision) else {
        return;
    };
    let m = &result.outcome.metrics;
    ui.horizontal_wrapped(|ui| {
        ui.strong("Metrics");
        ui.weak(format!("— {}", provenance(result, revision)));
    });
    egui::Grid::new("metrics").num_columns(2).show(ui, |ui| {
        let row = |ui: &mut egui::Ui, k: &str, v: String| {
            ui.label(k);
            ui.label(RichText::new(v).monospace());
            ui.end_row();
        };
        row(ui, "Users × days", format!("{} × {}", m.users, m.days));
        row(
            ui,
            "Unexpected logouts / 100 user-days",
            format!("{:.1}", m.unexpected_logouts_per_100_user_days),
        );
        row(
            ui,
            "Re-auth prompts / 100 user-days",
            format!("{:.1}", m.reauth_prompts_per_100_user_days),
        );
        row(
            ui,
            "Exposure of a stolen credential (p50 / p95)",
            format!(
                "{} / {}",
                human(m.exposure_window.p50_ms),
                human(m.exposure_window.p95_ms)
            ),
        );
        row(
            ui,
            "Revocation latency (max)",
            human(m.revocation_latency.max_ms),
        );
        row(
            ui,
            "Peak concurrent sessions",
            m.peak_concurrent_sessions.to_string(),
        );
        let succeeded = m
            .attack_success
            .values()
            .filter(|s| s.succeeded > 0)
            .count();
        row(
            ui,
            "Attack strategies that worked",
            format!("{succeeded} of {}", m.attack_success.len()),
        );
        row(ui, "Engine events", m.events.to_string());
    });
    if let Some((_, c)) = &panel.comparison {
        ui.separator();
        ab_ui(ui, c);
    }
    let series = &result.outcome.series;
    ui.horizontal(|ui| {
        let size = egui::vec2(((ui.available_width() - 16.0) / 3.0).max(120.0), 120.0);
        // An empty plot says why it is empty rather than showing bare axes.
        let empty = |ui: &mut egui::Ui, why: &str| {
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            ui.painter().rect_stroke(
                rect,
                4.0,
                egui::Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
                egui::StrokeKind::Inside,
            );
            ui.put(
                rect.shrink(8.0),
                egui::Label::new(RichText::new(why).weak()).wrap(),
            );
        };
        ui.vertical(|ui| {
            ui.small("Active sessions (hourly)");
            if series.sessions_per_hour.iter().all(|&n| n == 0) {
                empty(
                    ui,
                    "No session was held on the server (a stateless or client-side session keeps none).",
                );
                return;
            }
            let points: PlotPoints = series
                .sessions_per_hour
                .iter()
                .enumerate()
                .map(|(h, n)| [h as f64 + 1.0, *n as f64])
                .collect();
            Plot::new("sessions")
                .width(size.x)
                .height(size.y)
                .x_axis_label("hour of the run")
                .y_axis_label("sessions")
                .show(ui, |p| p.line(Line::new("sessions", points)));
        });
        ui.vertical(|ui| {
            ui.small("Exposure window (hours, sorted)");
            if series.exposure_ms.is_empty() {
                empty(
                    ui,
                    "No stolen credential got in, so there is no exposure window to show.",
                );
                return;
            }
            let bars: Vec<Bar> = series
                .exposure_ms
                .iter()
                .enumerate()
                .map(|(i, ms)| Bar::new(i as f64, *ms as f64 / 3_600_000.0))
                .collect();
            Plot::new("exposure")
                .width(size.x)
                .height(size.y)
                .x_axis_label("stolen credential")
                .y_axis_label("hours usable")
                .show(ui, |p| p.bar_chart(BarChart::new("exposure", bars)));
        });
        ui.vertical(|ui| {
            ui.small("Unexpected logouts per day");
            if series.unexpected_per_day.iter().all(|&n| n == 0) {
                empty(ui, "No user was logged out unexpectedly.");
                return;
            }
            let bars: Vec<Bar> = series
                .unexpected_per_day
                .iter()
                .enumerate()
                .map(|(d, n)| Bar::new(d as f64, *n as f64).fill(Color32::from_rgb(200, 90, 60)))
                .collect();
            Plot::new("unexpected")
                .width(size.x)
                .height(size.y)
                .x_axis_label("day")
                .y_axis_label("logouts")
                .show(ui, |p| p.bar_chart(BarChart::new("unexpected", bars)));
        });
    });
}

fn ab_ui(ui: &mut egui::Ui, c: &Comparison) {
    ui.strong("Policy A (pinned) vs B (this map)");
    ui.label(format!(
        "{} findings fixed, {} new, {} in both",
        c.fixed.len(),
        c.new.len(),
        c.both.len()
    ));
    for f in &c.fixed {
        ui.label(
            RichText::new(format!("fixed: {} {}", f.id, f.title))
                .color(Color32::from_rgb(40, 150, 70)),
        );
    }
    for f in &c.new {
        ui.label(
            RichText::new(format!("new: {} {}", f.id, f.title))
                .color(Color32::from_rgb(200, 60, 50)),
        );
    }
    for m in c.metrics.iter().filter(|m| {
        matches!(
            m.change,
            crate::report::Change::Better | crate::report::Change::Worse
        )
    }) {
        ui.small(format!(
            "{}: {} -> {} ({})",
            m.metric,
            m.a.as_ref().map_or("—".into(), ToString::to_string),
            m.b.as_ref().map_or("—".into(), ToString::to_string),
            m.change.as_str()
        ));
    }
}

fn human(ms: u64) -> String {
    if ms == 0 {
        "—".to_owned()
    } else {
        compile::human(Duration::from_millis(ms))
    }
}
