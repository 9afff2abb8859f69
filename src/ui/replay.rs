//! Replay of a finding's evidence on the canvas: the trace plays step by step — a token moving
//! along the drawn edges, the virtual clock running, each engine decision shown — with play,
//! pause, step and scrub.

use egui::RichText;

use super::canvas::ReplayMark;
use super::simulation::virtual_time;
use crate::model::Map;
use crate::report::Finding;

/// Seconds of wall time per trace step while playing at 1×.
const STEP_SECONDS: f32 = 1.2;

/// The playing speeds offered, as multiples of [`STEP_SECONDS`] per step.
pub const SPEEDS: [f32; 4] = [0.5, 1.0, 2.0, 4.0];

/// A replay in progress.
#[derive(Clone, Debug)]
pub struct Replay {
    pub finding: Finding,
    /// The step shown (its decision), 0-based.
    pub step: usize,
    /// How far the token has travelled towards this step's node, 0 to 1.
    pub travel: f32,
    pub playing: bool,
    /// How fast it plays: one of [`SPEEDS`].
    pub speed: f32,
}

impl Replay {
    pub fn new(finding: Finding) -> Self {
        Replay {
            finding,
            step: 0,
            travel: 1.0,
            playing: true,
            speed: 1.0,
        }
    }

    fn steps(&self) -> usize {
        self.finding.evidence.len()
    }

    /// Moves to the next step (the token starts travelling to it).
    pub fn step_forward(&mut self) {
        if self.step + 1 < self.steps() {
            self.step += 1;
            self.travel = 0.0;
        } else {
            self.playing = false;
            self.travel = 1.0;
        }
    }

    pub fn step_back(&mut self) {
        self.step = self.step.saturating_sub(1);
        self.travel = 1.0;
    }

    /// Advances a playing replay by `dt` seconds of wall time.
    pub fn advance(&mut self, dt: f32) {
        if !self.playing {
            return;
        }
        self.travel += dt * self.speed / STEP_SECONDS;
        if self.travel >= 1.0 {
            self.travel = 1.0;
            if self.step + 1 < self.steps() {
                self.step_forward();
            } else {
                self.playing = false;
            }
        }
    }

    /// The virtual time of the current step, as the clock shows it.
    pub fn clock(&self) -> String {
        self.finding
            .evidence
            .get(self.step)
            .and_then(|s| s.at_ms)
            .map_or_else(|| "drawn".to_owned(), virtual_time)
    }

    /// Where the canvas puts the token: from the previous step's node to this one's, and the
    /// drawn edge between them if there is one.
    pub fn mark(&self, map: &Map) -> ReplayMark {
        let node_of = |i: usize| self.finding.evidence.get(i).and_then(|s| s.node.clone());
        let to = node_of(self.step);
        let from = if self.step > 0 {
            node_of(self.step - 1)
        } else {
            None
        };
        let edge = match (&from, &to) {
            (Some(f), Some(t)) => map
                .edges
                .iter()
                .find(|e| &e.from == f && &e.to == t)
                .map(|e| e.id.clone()),
            _ => None,
        };
        let step = self.finding.evidence.get(self.step);
        ReplayMark {
            from,
            to,
            edge,
            t: self.travel,
            refused: step.is_some_and(|s| s.outcome.starts_with("refused")),
            attacker: step.is_some_and(|s| is_attacker(&s.actor)),
        }
    }
}

/// Whether a trace step's actor is the attacker (everyone else — the user, an admin, the
/// engine, the drawing — acts legitimately).
pub fn is_attacker(actor: &str) -> bool {
    actor == "attacker"
}

/// The replay bar: the clock, the current step and its decision, and the controls. Returns
/// false when the replay is closed.
pub fn replay_ui(ui: &mut egui::Ui, replay: &mut Replay) -> bool {
    let mut keep = true;
    let dt = ui.input(|i| i.stable_dt).min(0.1);
    replay.advance(dt);
    if replay.playing {
        ui.ctx().request_repaint();
    }
    ui.horizontal(|ui| {
        ui.strong(format!("Replay: {}", replay.finding.id));
        ui.separator();
        ui.label(RichText::new(replay.clock()).monospace())
            .on_hover_text("Virtual time of this step");
        if ui.button("⏮ Back").clicked() {
            replay.step_back();
            replay.playing = false;
        }
        let play = if replay.playing {
            "⏸ Pause"
        } else {
            "▶ Play"
        };
        if ui.button(play).clicked() {
            if !replay.playing && replay.step + 1 >= replay.finding.evidence.len() {
                replay.step = 0;
                replay.travel = 1.0;
            }
            replay.playing = !replay.playing;
        }
        if ui.button("⏭ Step").clicked() {
            replay.step_forward();
            replay.travel = 1.0;
            replay.playing = false;
        }
        let last = replay.finding.evidence.len().saturating_sub(1);
        let mut at = replay.step;
        let label = ui.label("Step");
        if ui
            .add(egui::Slider::new(&mut at, 0..=last))
            .labelled_by(label.id)
            .changed()
        {
            replay.step = at;
            replay.travel = 1.0;
            replay.playing = false;
        }
        let speed = ui.label("Speed");
        egui::ComboBox::from_id_salt("replay-speed")
            .width(56.0)
            .selected_text(speed_text(replay.speed))
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    ui.selectable_value(&mut replay.speed, s, speed_text(s));
                }
            })
            .response
            .labelled_by(speed.id);
        if ui.button("Close replay").clicked() {
            keep = false;
        }
    });
    if let Some(s) = replay.finding.evidence.get(replay.step) {
        let refused = s.outcome.starts_with("refused");
        // Alarm only where the attacker got through; a refused attacker is a defence that held,
        // and the user's own steps are neutral (their refusals are friction).
        let color = match (is_attacker(&s.actor), refused) {
            (true, false) => ui.visuals().error_fg_color,
            (true, true) => egui::Color32::from_rgb(40, 150, 70),
            (false, true) => ui.visuals().warn_fg_color,
            (false, false) => ui.visuals().text_color(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{}: {}", s.actor, s.action)).strong());
            ui.label(RichText::new(format!("-> {}", s.outcome)).color(color));
        });
    }
    keep
}

fn speed_text(speed: f32) -> String {
    if speed < 1.0 {
        "½×".to_owned()
    } else {
        format!("{speed}×")
    }
}
