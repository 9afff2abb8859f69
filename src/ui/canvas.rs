//! The canvas: paints a map's [`Diagram`] in a pannable, zoomable scene and turns gestures into
//! [`Command`]s (it never changes the map itself).
//!
//! Gestures: click selects nodes, notes and edges (Shift or Ctrl adds); dragging a node or note
//! moves the selection, with alignment guides (or the grid when snapping); Shift-dragging empty
//! space selects with a box, plain dragging it pans; dragging the handle on a node's right side
//! to another node connects them; dragging an end of a selected edge reconnects it; arrows
//! nudge and `+`/`-` zoom. The minimap (`minimap.rs`) sits in a corner, outside the scene.
//!
//! Nodes and the handles are accessible widgets labelled with their label ("Sign in",
//! "Connect from Sign in"), so screen readers and UI tests find them by name. Their rects are
//! in scene coordinates; [`screen_from_scene`] maps them to the screen.

use std::collections::HashSet;

use egui::emath::TSTransform;
use egui::{
    Align2, Color32, CornerRadius, CursorIcon, FontId, Id, Key, Modifiers, PointerButton, Pos2,
    Rect, Sense, Shape as EShape, Stroke, StrokeKind, Vec2, epaint::CubicBezierShape, vec2,
};

use super::minimap;
use super::palette::{PaletteDrag, PaletteState};
use crate::editor::{Command, EdgeEdit, Selection};
use crate::export::geometry::{self, Diagram, EdgeShape, NOTE_PADDING, NodeShape, Shape};
use crate::model::{EdgeId, Group, Map, NodeId, NodeKind, Pos, Trigger};

/// Grid spacing for snapping, in scene units.
pub const GRID: f32 = 20.0;
/// Maps with more nodes than this open with the minimap shown.
pub const MINIMAP_FROM: usize = 60;
/// How far the view zooms out and in.
const ZOOM_RANGE: std::ops::RangeInclusive<f32> = 0.05..=4.0;
/// One `+` or `-` press.
const ZOOM_STEP: f32 = 1.25;
/// How close (in screen points) a click must be to an edge to select it, and a dragged box's
/// side to another's to show an alignment guide.
const NEAR: f32 = 6.0;
/// Radius of the connect and reconnect handles, in screen points.
const HANDLE_RADIUS: f32 = 6.0;
/// Nodes selected beyond this show no connect handles (a handle per node of "select all"
/// would only be clutter).
const HANDLES_MAX: usize = 16;
/// The smallest text the canvas draws, in physical pixels: text is drawn at its own size or this,
/// whichever is larger, and text that cannot be drawn this large where it belongs (a title in a
/// tiny box, an edge label at a far zoom) is left out rather than drawn unreadably small.
pub const MIN_TEXT: f32 = 11.0;
/// The same on a projector (presentation mode), in physical pixels.
pub const MIN_TEXT_PRESENTING: f32 = 18.0;

/// The scene size at which text of `base` scene units is drawn, so that it is at least
/// `min_px` screen points at `zoom`.
pub fn scene_font(base: f32, zoom: f32, min_px: f32) -> f32 {
    base.max(min_px / zoom.max(1e-3))
}

/// What the canvas remembers between frames.
#[derive(Clone, Debug)]
pub struct CanvasState {
    /// The part of the scene in view; `Rect::ZERO` means "fit the map on the next frame".
    pub view: Rect,
    /// Snap moved and placed nodes to the grid.
    pub snap: bool,
    /// Show the minimap (turned on when a map of more than [`MINIMAP_FROM`] nodes is fitted).
    pub minimap: bool,
    /// The smallest text drawn, in screen points (the window sets it from [`MIN_TEXT`] or
    /// [`MIN_TEXT_PRESENTING`] pixels and the scale).
    pub min_text: f32,
    gesture: Gesture,
}

impl Default for CanvasState {
    fn default() -> Self {
        CanvasState {
            view: Rect::ZERO,
            snap: false,
            minimap: false,
            min_text: MIN_TEXT,
            gesture: Gesture::Idle,
        }
    }
}

/// A pointer gesture in progress.
#[derive(Clone, Debug, Default)]
enum Gesture {
    #[default]
    Idle,
    /// Dragging `anchor` moves the selection; `grab` is where the pointer holds it, from its
    /// top-left corner.
    Move { anchor: Item, grab: Vec2 },
    /// Dragging from a node's connect handle.
    Connect { from: NodeId },
    /// Dragging one end of an edge.
    Reconnect { edge: EdgeId, end: End },
    /// Shift-dragging a selection box from `start`.
    Select { start: Pos2 },
}

#[derive(Clone, Debug, PartialEq)]
enum Item {
    Node(NodeId),
    Note(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    From,
    To,
}

impl CanvasState {
    /// Fits the whole map in view.
    pub fn fit(&mut self, diagram: &Diagram) {
        // Frame what is drawn (nodes, notes, edges), not the empty ends of the lanes: a small
        // flow in a wide lane is shown large enough to read.
        let content = diagram
            .nodes
            .iter()
            .map(|n| n.rect)
            .chain(diagram.notes.iter().map(|n| n.rect))
            .chain(diagram.edges.iter().map(|e| Rect::from_points(&e.curve)))
            .reduce(|a, b| a.union(b));
        self.view = content.map_or(diagram.bounds, |r| r.expand(24.0));
    }

    /// Fits the whole map in view on the next frame (after a new map is loaded).
    pub fn fit_next_frame(&mut self) {
        self.view = Rect::ZERO;
    }

    /// Brings the selection into view (the whole map when nothing is selected).
    pub fn zoom_to(&mut self, diagram: &Diagram, selection: &Selection) {
        let nodes = diagram
            .nodes
            .iter()
            .filter(|n| selection.nodes.iter().any(|id| id.as_str() == n.id))
            .map(|n| n.rect);
        let notes = diagram
            .notes
            .iter()
            .filter(|n| selection.notes.contains(&n.id))
            .map(|n| n.rect);
        let edges = diagram
            .edges
            .iter()
            .filter(|e| selection.edges.iter().any(|id| id.as_str() == e.id))
            .map(|e| Rect::from_points(&e.curve));
        match nodes.chain(notes).chain(edges).reduce(|a, b| a.union(b)) {
            Some(r) => self.view = r.expand(120.0),
            None => self.fit(diagram),
        }
    }

    /// Zooms in (`factor` > 1) or out around the middle of the view, within the zoom range;
    /// `screen` is the size the view is shown at.
    pub fn zoom_by(&mut self, factor: f32, screen: Vec2) {
        if !self.view.is_positive() || screen.min_elem() <= 0.0 {
            return;
        }
        let scale = (screen / self.view.size()).min_elem() * factor;
        let scale = scale.clamp(*ZOOM_RANGE.start(), *ZOOM_RANGE.end());
        self.view = Rect::from_center_size(self.view.center(), screen / scale);
    }
}

/// What the canvas asks for this frame.
#[derive(Debug, Default)]
pub struct CanvasOutput {
    pub commands: Vec<Command>,
    /// Start a new undo step before applying `commands`: a drag began or ended, so its moves
    /// are one step of their own.
    pub close_undo_step: bool,
    /// Select what the commands create (a node placed from the palette, a new edge).
    pub select_created: bool,
    /// The node under the pointer.
    pub hovered: Option<NodeId>,
}

/// The transform from scene (map) coordinates to the screen, as the canvas drew the last frame.
/// The accessible rects of nodes and handles are in scene coordinates; this puts them on the
/// screen (UI tests use it to point at things).
pub fn screen_from_scene(ctx: &egui::Context) -> Option<TSTransform> {
    ctx.data(|d| d.get_temp(transform_id()))
}

fn transform_id() -> Id {
    Id::unique("sessionmap-canvas-screen-from-scene")
}

fn snapped(p: Pos2) -> Pos2 {
    Pos2::new((p.x / GRID).round() * GRID, (p.y / GRID).round() * GRID)
}

fn place(kind: &NodeKind, at: Pos2, map: &Map, snap: bool) -> Command {
    let size = crate::model::Size::NODE;
    let top_left = at - vec2(size.0 / 2.0, size.1 / 2.0);
    let top_left = if snap { snapped(top_left) } else { top_left };
    Command::AddNode {
        kind: kind.clone(),
        pos: Pos(top_left.x, top_left.y),
        lane: map.lane_at(at.y),
    }
}

/// The trigger a new edge between these nodes gets: timeouts and stores are attached, not
/// walked to.
fn trigger_between(map: &Map, from: &NodeId, to: &NodeId) -> Trigger {
    let attached = [from, to].into_iter().any(|id| {
        map.node(id)
            .is_some_and(|n| matches!(n.kind.group(), Group::Timeout | Group::Store))
    });
    if attached {
        Trigger::Attach
    } else {
        Trigger::UserAction
    }
}

/// Colours the canvas adds over the diagram, readable on both themes' backgrounds, lanes and
/// node fills.
#[derive(Clone, Copy)]
struct Accents {
    selection: Color32,
    halo: Color32,
    guide: Color32,
    handle_fill: Color32,
}

impl Accents {
    fn new(dark: bool, background: Color32) -> Self {
        let (selection, guide) = if dark {
            (
                Color32::from_rgb(0x4d, 0xb2, 0xff),
                Color32::from_rgb(0xff, 0x5f, 0xc8),
            )
        } else {
            (
                Color32::from_rgb(0x0a, 0x6c, 0xe8),
                Color32::from_rgb(0xd0, 0x1e, 0x8e),
            )
        };
        Accents {
            selection,
            halo: selection.gamma_multiply(if dark { 0.30 } else { 0.22 }),
            guide,
            handle_fill: background,
        }
    }
}

/// Draws the diagram and turns gestures into commands (see the module documentation).
pub fn canvas_ui(
    ui: &mut egui::Ui,
    state: &mut CanvasState,
    diagram: &Diagram,
    map: &Map,
    selection: &mut Selection,
    palette: &mut PaletteState,
    overlay: &Overlay,
) -> CanvasOutput {
    if state.view == Rect::ZERO || !state.view.is_finite() {
        state.fit(diagram);
        if diagram.nodes.len() > MINIMAP_FROM {
            state.minimap = true;
        }
    }
    let mut out = CanvasOutput::default();
    let canvas_rect = ui.available_rect_before_wrap();
    keys_ui(ui, state, canvas_rect.size(), selection, &mut out);

    let accents = Accents::new(ui.visuals().dark_mode, diagram.colors.background);
    let mut scene = SceneUi {
        diagram,
        map,
        selection,
        palette,
        gesture: &mut state.gesture,
        snap: state.snap,
        accents,
        out: &mut out,
        zoom: 1.0,
        min_text: state.min_text,
        layer: ui.layer_id(),
        pointer: None,
        pan: Vec2::ZERO,
        guides: Vec::new(),
        handles: Vec::new(),
        label_rects: Vec::new(),
    };
    egui::Scene::new()
        .zoom_range(ZOOM_RANGE)
        .show(ui, &mut state.view, |ui| scene.show(ui));
    let (pan, layer) = (scene.pan, scene.layer);
    if pan != Vec2::ZERO {
        state.view = state.view.translate(-pan);
    }
    let to_screen = ui
        .ctx()
        .layer_transform_to_global(layer)
        .unwrap_or_default();
    ui.ctx()
        .data_mut(|d| d.insert_temp(transform_id(), to_screen));
    overlay_ui(ui, canvas_rect, diagram, to_screen, overlay);
    if state.minimap {
        minimap::minimap_ui(ui, canvas_rect, diagram, &mut state.view, to_screen);
    }
    out
}

/// What is drawn over the map: finding badges on nodes, and a replay's current step.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    pub badges: Vec<geometry::Badge>,
    pub replay: Option<ReplayMark>,
}

/// Where a replay is: the token travels from one step's node to the next (along the drawn edge
/// between them, if any); `t` is how far, 0 to 1.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayMark {
    pub from: Option<NodeId>,
    pub to: Option<NodeId>,
    pub edge: Option<crate::model::EdgeId>,
    pub t: f32,
    /// The engine refused this step.
    pub refused: bool,
    /// The step is the attacker's (a red diamond), not the user's or an admin's (a blue disc).
    pub attacker: bool,
}

impl ReplayMark {
    /// The token's colour: alarm red only for an attacker who got through, green for one who
    /// was refused; the user's steps are blue, amber where the user was refused.
    pub fn color(&self) -> Color32 {
        match (self.attacker, self.refused) {
            (true, false) => Color32::from_rgb(220, 60, 40),
            (true, true) => Color32::from_rgb(40, 150, 70),
            (false, false) => Color32::from_rgb(40, 110, 210),
            (false, true) => Color32::from_rgb(215, 140, 20),
        }
    }
}

/// Paints the overlay in screen space over the scene (`to_screen` maps scene to screen).
fn overlay_ui(
    ui: &egui::Ui,
    clip: Rect,
    diagram: &Diagram,
    to_screen: egui::emath::TSTransform,
    overlay: &Overlay,
) {
    // A layer of its own just above the scene's, like the minimap's.
    let layer = egui::LayerId::new(ui.layer_id().order, ui.scope_id().with("overlay"));
    ui.ctx().set_sublayer(ui.layer_id(), layer);
    let painter = egui::Painter::new(ui.ctx().clone(), layer, clip);
    for b in &overlay.badges {
        let c = to_screen * b.center;
        // Never smaller than a disc whose count is 11 px text.
        let r = (b.radius * to_screen.scaling).clamp(10.0, 14.0);
        painter.circle(c, r, b.fill, Stroke::new(1.5, Color32::WHITE));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            b.count.to_string(),
            FontId::proportional(r * 1.1),
            Color32::WHITE,
        );
    }
    let Some(mark) = &overlay.replay else {
        return;
    };
    let color = mark.color();
    let node_rect = |id: &Option<NodeId>| {
        id.as_ref().and_then(|id| {
            diagram
                .nodes
                .iter()
                .find(|n| n.id == id.as_str())
                .map(|n| n.rect)
        })
    };
    if let Some(rect) = node_rect(&mark.to) {
        let r = Rect::from_min_max(to_screen * rect.min, to_screen * rect.max).expand(6.0);
        painter.rect_stroke(
            r,
            CornerRadius::same(10),
            Stroke::new(3.0, color),
            StrokeKind::Outside,
        );
    }
    let along_edge = mark.edge.as_ref().and_then(|e| {
        diagram
            .edges
            .iter()
            .find(|s| s.id == e.as_str())
            .map(|s| geometry::bezier(s.curve, mark.t.clamp(0.0, 1.0)))
    });
    // At rest the token sits on the node's top-left corner, clear of its title and summary;
    // between nodes it travels along the drawn edge (or straight, without one).
    let rest = |id: &Option<NodeId>| node_rect(id).map(|r| r.left_top());
    let token = if mark.t >= 1.0 {
        rest(&mark.to).map(|p| to_screen * p)
    } else {
        along_edge.map(|p| to_screen * p).or_else(|| {
            let to = rest(&mark.to)?;
            let from = rest(&mark.from).unwrap_or(to);
            Some(to_screen * from.lerp(to, mark.t.clamp(0.0, 1.0)))
        })
    };
    if let Some(p) = token {
        let outline = Stroke::new(2.0, Color32::WHITE);
        if mark.attacker {
            let r = 10.0;
            painter.add(egui::Shape::convex_polygon(
                vec![
                    p + vec2(0.0, -r),
                    p + vec2(r, 0.0),
                    p + vec2(0.0, r),
                    p + vec2(-r, 0.0),
                ],
                color,
                outline,
            ));
        } else {
            painter.circle(p, 8.0, color, outline);
        }
    }
}

/// Arrows nudge the selection, `+` and `-` zoom; not while a text field (or any widget) has the
/// keyboard.
fn keys_ui(
    ui: &egui::Ui,
    state: &mut CanvasState,
    screen: Vec2,
    selection: &Selection,
    out: &mut CanvasOutput,
) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let step = if state.snap { GRID } else { 1.0 };
    let mut delta = Vec2::ZERO;
    let mut zoom = 1.0;
    ui.input_mut(|i| {
        for (key, dir) in [
            (Key::ArrowLeft, -Vec2::X),
            (Key::ArrowRight, Vec2::X),
            (Key::ArrowUp, -Vec2::Y),
            (Key::ArrowDown, Vec2::Y),
        ] {
            // Shift first: a plain pattern also matches Shift.
            let big = i.count_and_consume_key(Modifiers::SHIFT, key);
            let small = i.count_and_consume_key(Modifiers::NONE, key);
            delta += dir * step * (big * 10 + small) as f32;
        }
        for key in [Key::Plus, Key::Equals] {
            zoom *= ZOOM_STEP.powi(i.count_and_consume_key(Modifiers::NONE, key) as i32);
        }
        zoom /= ZOOM_STEP.powi(i.count_and_consume_key(Modifiers::NONE, Key::Minus) as i32);
    });
    if delta != Vec2::ZERO && (!selection.nodes.is_empty() || !selection.notes.is_empty()) {
        out.commands.push(Command::Move {
            items: selection.clone(),
            dx: delta.x,
            dy: delta.y,
        });
    }
    if zoom != 1.0 {
        state.zoom_by(zoom, screen);
    }
}

/// An alignment guide: a line across the boxes whose sides or middles line up.
#[derive(Clone, Copy, Debug)]
struct Guide {
    vertical: bool,
    at: f32,
    from: f32,
    to: f32,
}

/// One frame of the scene's contents, in scene coordinates.
struct SceneUi<'a> {
    diagram: &'a Diagram,
    map: &'a Map,
    selection: &'a mut Selection,
    palette: &'a mut PaletteState,
    gesture: &'a mut Gesture,
    snap: bool,
    accents: Accents,
    out: &'a mut CanvasOutput,
    /// Screen points per scene unit.
    zoom: f32,
    /// The smallest text drawn, in screen points.
    min_text: f32,
    layer: egui::LayerId,
    /// The pointer in scene coordinates, when it is over the canvas (not a window or the
    /// minimap above it).
    pointer: Option<Pos2>,
    /// How far a middle- or right-button drag on a node pans the view (scene units).
    pan: Vec2,
    guides: Vec<Guide>,
    /// Nodes showing a connect handle (by index).
    handles: Vec<usize>,
    /// Where edge labels were drawn, to select an edge by its label.
    label_rects: Vec<(Rect, usize)>,
}

impl SceneUi<'_> {
    fn gesture_is_idle(&self) -> bool {
        matches!(self.gesture, Gesture::Idle)
    }

    /// `points` screen points in scene units.
    fn px(&self, points: f32) -> f32 {
        points / self.zoom
    }

    fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.layer = ui.layer_id();
        self.zoom = ctx
            .layer_transform_to_global(self.layer)
            .map_or(1.0, |t| t.scaling);
        let visible = ui.clip_rect();
        if ui.input(|i| !i.pointer.any_down() && !i.pointer.any_released()) {
            // A gesture whose widget went away (undo deleted the node being dragged, say).
            *self.gesture = Gesture::Idle;
        }

        // Claim the whole drawing (and room around it) so the scene knows its extent and clicks
        // on empty space reach the canvas. Only while Shift is held (or a box is being drawn)
        // does it take drags too: otherwise dragging empty space pans the scene.
        let boxing = matches!(self.gesture, Gesture::Select { .. });
        let shift = ui.input(|i| i.modifiers.shift);
        let background = ui.allocate_rect(
            self.diagram.bounds.expand(2000.0),
            if shift || boxing {
                Sense::click_and_drag()
            } else {
                Sense::click()
            },
        );

        // Not when a window or the minimap is over the canvas there.
        self.pointer = ctx
            .pointer_hover_pos()
            .filter(|_| background.contains_pointer())
            .map(|p| self.to_scene(ui, p));

        let painter = ui.painter().clone();
        self.lanes_ui(ui, &painter, visible);
        let hovered_edge = if background.hovered() && self.palette.armed.is_none() {
            self.pointer.and_then(|p| self.edge_at(p))
        } else {
            None
        };
        self.edges_ui(&painter, visible, hovered_edge);
        let boxed = self.box_rect(ui);
        self.nodes_ui(ui, &painter, visible, boxed);
        self.notes_ui(ui, &painter, visible, boxed);
        self.connect_handles_ui(ui, &painter);
        self.edge_handles_ui(ui, &painter);
        self.background_ui(ui, &background, hovered_edge);
        self.overlays_ui(&painter, boxed);
        if hovered_edge.is_some() {
            ctx.set_cursor_icon(CursorIcon::PointingHand);
        }
    }

    fn to_scene(&self, ui: &egui::Ui, p: Pos2) -> Pos2 {
        ui.ctx()
            .layer_transform_from_global(self.layer)
            .map_or(p, |t| t * p)
    }

    /// Where the pointer was pressed, in scene coordinates.
    fn press_origin(&self, ui: &egui::Ui) -> Option<Pos2> {
        ui.input(|i| i.pointer.press_origin())
            .map(|p| self.to_scene(ui, p))
    }

    /// Where the pointer is while a button is held or was just released (survives the pointer
    /// leaving the window on release).
    fn interact_pos(&self, ui: &egui::Ui) -> Option<Pos2> {
        ui.ctx()
            .pointer_interact_pos()
            .map(|p| self.to_scene(ui, p))
    }

    fn lanes_ui(&self, ui: &egui::Ui, painter: &egui::Painter, visible: Rect) {
        let colors = self.diagram.colors;
        let size = scene_font(15.0, self.zoom, self.min_text);
        // A lane title runs along the lane's side strip: drawn where it fits its length.
        let titles = size <= 15.0 * 3.0;
        for lane in &self.diagram.lanes {
            if !lane.rect.intersects(visible) {
                continue;
            }
            painter.rect_filled(lane.rect, CornerRadius::ZERO, lane.fill);
            painter.rect_stroke(
                lane.rect,
                CornerRadius::ZERO,
                Stroke::new(1.0, colors.lane_stroke),
                StrokeKind::Inside,
            );
            if !titles {
                continue;
            }
            let galley = ui.fonts_mut(|f| {
                f.layout_no_wrap(
                    lane.title.clone(),
                    FontId::proportional(size),
                    colors.muted_text,
                )
            });
            let title_at = lane.rect.left_center()
                + vec2(
                    geometry::LANE_TITLE_WIDTH / 2.0 - 7.0,
                    galley.size().x / 2.0,
                );
            painter.add(
                egui::epaint::TextShape::new(title_at, galley, colors.muted_text)
                    .with_angle(-std::f32::consts::FRAC_PI_2),
            );
        }
    }

    /// The edge nearest `p` within reach of a click (or whose label is under `p`).
    fn edge_at(&self, p: Pos2) -> Option<usize> {
        if let Some(&(_, i)) = self.label_rects.iter().rev().find(|(r, _)| r.contains(p)) {
            return Some(i);
        }
        let reach = self.px(NEAR).max(3.0);
        let mut best: Option<(f32, usize)> = None;
        for (i, edge) in self.diagram.edges.iter().enumerate() {
            if !Rect::from_points(&edge.curve).expand(reach).contains(p) {
                continue;
            }
            let d = distance_to_curve(edge.curve, p);
            if d <= reach && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, i));
            }
        }
        best.map(|(_, i)| i)
    }

    fn edges_ui(&mut self, painter: &egui::Painter, visible: Rect, hovered: Option<usize>) {
        let diagram = self.diagram;
        let colors = diagram.colors;
        // Edge labels grow to stay legible, up to twice their size; beyond that the view is too
        // far out for them and they are left out (the inspector and hover still say them).
        let label_size = scene_font(11.0, self.zoom, self.min_text);
        let labels = label_size <= 22.0;
        let chosen: HashSet<&str> = self.selection.edges.iter().map(EdgeId::as_str).collect();
        self.label_rects.clear();
        for (i, edge) in diagram.edges.iter().enumerate() {
            if !Rect::from_points(&edge.curve)
                .expand(12.0)
                .intersects(visible)
            {
                continue;
            }
            let selected = chosen.contains(edge.id.as_str());
            if selected || hovered == Some(i) {
                let width: f32 = if selected { 7.0 } else { 5.0 };
                let halo = if selected {
                    self.accents.halo
                } else {
                    self.accents.halo.gamma_multiply(0.6)
                };
                painter.add(CubicBezierShape::from_points_stroke(
                    edge.curve,
                    false,
                    Color32::TRANSPARENT,
                    Stroke::new(width.max(self.px(width)), halo),
                ));
            }
            let color = if selected {
                self.accents.selection
            } else {
                edge.color
            };
            edge_ui(
                painter,
                edge,
                color,
                selected || hovered == Some(i),
                self.zoom,
            );
            if labels && !edge.label.is_empty() {
                // Drawn larger than placed (to stay legible), a label may meet another or a
                // box: then it waits for a closer zoom rather than print over them.
                let galley = painter.layout_no_wrap(
                    edge.label.clone(),
                    FontId::proportional(label_size),
                    colors.text,
                );
                let rect = Align2::CENTER_CENTER
                    .anchor_size(edge.label_pos, galley.size())
                    .expand(2.0);
                let clear = (selected || hovered == Some(i))
                    || (self.label_rects.iter().all(|(r, _)| !r.intersects(rect))
                        && diagram.nodes.iter().all(|n| !n.rect.intersects(rect)));
                if clear {
                    edge_label_ui(painter, rect, galley, colors.background, colors.text);
                    self.label_rects.push((rect, i));
                }
            }
        }
    }

    /// The selection box being drawn, in scene coordinates.
    fn box_rect(&self, ui: &egui::Ui) -> Option<Rect> {
        let Gesture::Select { start } = *self.gesture else {
            return None;
        };
        let now = self.interact_pos(ui)?;
        Some(Rect::from_two_pos(start, now))
    }

    fn nodes_ui(
        &mut self,
        ui: &mut egui::Ui,
        painter: &egui::Painter,
        visible: Rect,
        boxed: Option<Rect>,
    ) {
        let diagram = self.diagram;
        let colors = diagram.colors;
        let handle_reach = self.px(HANDLE_RADIUS * 2.5);
        let many_selected = self.selection.nodes.len() > HANDLES_MAX;
        let target = self.connect_target();
        for (i, node) in diagram.nodes.iter().enumerate() {
            let id = NodeId(node.id.clone());
            let response = ui.interact(
                node.rect,
                ui.scope_id().with(("node", &node.id)),
                Sense::click_and_drag(),
            );
            let selected = self.selection.nodes.contains(&id);
            let label = &node.label;
            response.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::Button, true, selected, label.clone())
            });
            if response.hovered() {
                self.out.hovered = Some(id.clone());
            }
            // The whole title and summary, where the box shows them cut short.
            let response = if self.gesture_is_idle() {
                response.on_hover_text(format!("{}\n{}", node.label, node.summary))
            } else {
                response
            };
            self.pick(ui, &response, Item::Node(id.clone()), node.rect);
            let selected = self.selection.nodes.contains(&id);
            let connecting = matches!(self.gesture, Gesture::Connect { from } if *from == id);
            let near = self
                .pointer
                .is_some_and(|p| node.rect.expand(handle_reach).contains(p));
            let idle = matches!(self.gesture, Gesture::Idle);
            if connecting || (idle && (near || (selected && !many_selected))) {
                self.handles.push(i);
            }
            if !node.rect.expand(8.0).intersects(visible) {
                continue;
            }
            let highlighted = response.hovered()
                || target == Some(i)
                || boxed.is_some_and(|b| b.contains_rect(node.rect));
            if selected {
                painter.rect_filled(
                    node.rect.expand(self.px(5.0).max(5.0)),
                    CornerRadius::same(12),
                    self.accents.halo,
                );
            }
            node_ui(
                painter,
                node,
                colors.text,
                colors.muted_text,
                highlighted || selected,
                (self.zoom, self.min_text),
            );
            if selected || target == Some(i) {
                painter.rect_stroke(
                    node.rect.expand(self.px(3.0).max(3.0)),
                    CornerRadius::same(10),
                    Stroke::new(self.px(2.0).max(2.0), self.accents.selection),
                    StrokeKind::Outside,
                );
            }
        }
    }

    fn notes_ui(
        &mut self,
        ui: &mut egui::Ui,
        painter: &egui::Painter,
        visible: Rect,
        boxed: Option<Rect>,
    ) {
        let diagram = self.diagram;
        let colors = diagram.colors;
        for note in &diagram.notes {
            let response = ui.interact(
                note.rect,
                ui.scope_id().with(("note", &note.id)),
                Sense::click_and_drag(),
            );
            let text = &note.text;
            let selected = self.selection.notes.contains(&note.id);
            response.widget_info(|| {
                egui::WidgetInfo::selected(
                    egui::Role::Button,
                    true,
                    selected,
                    format!("Note: {text}"),
                )
            });
            self.pick(ui, &response, Item::Note(note.id.clone()), note.rect);
            if !note.rect.intersects(visible) {
                continue;
            }
            let selected = self.selection.notes.contains(&note.id);
            if selected {
                painter.rect_filled(
                    note.rect.expand(self.px(5.0).max(5.0)),
                    CornerRadius::same(6),
                    self.accents.halo,
                );
            }
            painter.rect_filled(note.rect, CornerRadius::same(2), note.fill);
            if response.hovered() || boxed.is_some_and(|b| b.contains_rect(note.rect)) {
                painter.rect_stroke(
                    note.rect,
                    CornerRadius::same(2),
                    Stroke::new(1.5, colors.muted_text),
                    StrokeKind::Inside,
                );
            }
            if selected {
                painter.rect_stroke(
                    note.rect.expand(self.px(3.0).max(3.0)),
                    CornerRadius::same(4),
                    Stroke::new(self.px(2.0).max(2.0), self.accents.selection),
                    StrokeKind::Outside,
                );
            }
            let fitted = &note.fitted;
            let size = scene_font(fitted.size, self.zoom, self.min_text);
            if size <= fitted.size * 3.0 {
                // At the drawn size the text is the geometry's fitted lines, as exported;
                // enlarged for legibility it is fitted again at that size, so what does not
                // fit ends in "…" rather than in a line cut in half.
                let text = if size == fitted.size {
                    fitted.lines.join("\n")
                } else {
                    let inner = note.rect.shrink2(NOTE_PADDING);
                    crate::export::measure::fit(
                        &note.text,
                        inner.width(),
                        inner.height(),
                        size,
                        size,
                    )
                    .lines
                    .join("\n")
                };
                let galley = painter.layout(
                    text,
                    FontId::proportional(size),
                    colors.note_text,
                    note.rect.width() - 2.0 * NOTE_PADDING.x,
                );
                painter.with_clip_rect(note.rect.shrink(2.0)).galley(
                    note.rect.min + NOTE_PADDING,
                    galley,
                    colors.note_text,
                );
            }
        }
    }

    /// Selection and moving for one node or note: click selects (Shift or Ctrl toggles), a
    /// primary drag moves the selection, a middle or right drag pans.
    fn pick(&mut self, ui: &egui::Ui, response: &egui::Response, item: Item, rect: Rect) {
        let additive = ui.input(|i| i.modifiers.shift || i.modifiers.command);
        let selected = match &item {
            Item::Node(id) => self.selection.nodes.contains(id),
            Item::Note(id) => self.selection.notes.contains(id),
        };
        let started = response.drag_started_by(PointerButton::Primary);
        if response.clicked() || (started && !selected) {
            if additive {
                toggle(self.selection, &item);
            } else {
                *self.selection = match &item {
                    Item::Node(id) => Selection::of_nodes([id.clone()]),
                    Item::Note(id) => Selection {
                        notes: [id.clone()].into(),
                        ..Selection::default()
                    },
                };
            }
        }
        if response.dragged_by(PointerButton::Middle)
            || response.dragged_by(PointerButton::Secondary)
        {
            self.pan += response.drag_delta();
        }
        if started {
            let grab = self.press_origin(ui).map_or(Vec2::ZERO, |p| p - rect.min);
            *self.gesture = Gesture::Move {
                anchor: item.clone(),
                grab,
            };
            self.out.close_undo_step = true;
        }
        let Gesture::Move { anchor, grab } = &*self.gesture else {
            return;
        };
        if *anchor != item {
            return;
        }
        if response.drag_stopped() || !response.dragged() {
            *self.gesture = Gesture::Idle;
            self.out.close_undo_step = true;
            return;
        }
        let Some(pointer) = response.interact_pointer_pos() else {
            return;
        };
        // The map, not the diagram: the inspector may have moved things earlier this frame.
        let current = match &item {
            Item::Node(id) => self.map.node(id).map(|n| Pos2::new(n.pos.0, n.pos.1)),
            Item::Note(id) => self
                .map
                .notes
                .iter()
                .find(|n| &n.id == id)
                .map(|n| Pos2::new(n.pos.0, n.pos.1)),
        };
        let Some(current) = current else {
            *self.gesture = Gesture::Idle;
            return;
        };
        let wanted = Rect::from_min_size(pointer - *grab, rect.size());
        let to = self.align(wanted);
        let delta = to - current;
        if delta != Vec2::ZERO {
            self.out.commands.push(Command::Move {
                items: self.selection.clone(),
                dx: delta.x,
                dy: delta.y,
            });
        }
        ui.ctx().set_cursor_icon(CursorIcon::Grabbing);
    }

    /// Where a dragged box goes: on the grid when snapping, else onto the nearest side or middle
    /// of another box within reach. Records the guides to draw.
    fn align(&mut self, wanted: Rect) -> Pos2 {
        let moving: HashSet<&str> = self.selection.nodes.iter().map(NodeId::as_str).collect();
        let others: Vec<Rect> = self
            .diagram
            .nodes
            .iter()
            .filter(|n| !moving.contains(n.id.as_str()))
            .map(|n| n.rect)
            .chain(
                self.diagram
                    .notes
                    .iter()
                    .filter(|n| !self.selection.notes.contains(&n.id))
                    .map(|n| n.rect),
            )
            .collect();
        let xs = |r: Rect| [r.left(), r.center().x, r.right()];
        let ys = |r: Rect| [r.top(), r.center().y, r.bottom()];
        let reach = self.px(NEAR).clamp(3.0, 30.0);
        // The coordinate of the dragged box's corner that puts its nearest side or middle
        // exactly on another box's, if one is within reach.
        let nearest = |min: f32, size: f32, theirs: &dyn Fn(Rect) -> [f32; 3]| -> f32 {
            let mut best = min;
            let mut best_distance = reach;
            for other in &others {
                for offset in [0.0, size / 2.0, size] {
                    for b in theirs(*other) {
                        let distance = (b - (min + offset)).abs();
                        if distance < best_distance {
                            best_distance = distance;
                            best = b - offset;
                        }
                    }
                }
            }
            best
        };
        let to = if self.snap {
            snapped(wanted.min)
        } else {
            Pos2::new(
                nearest(wanted.min.x, wanted.width(), &xs),
                nearest(wanted.min.y, wanted.height(), &ys),
            )
        };
        let moved = Rect::from_min_size(to, wanted.size());
        self.guides.clear();
        for other in &others {
            for (vertical, mine, theirs) in [
                (true, xs(moved), xs(*other)),
                (false, ys(moved), ys(*other)),
            ] {
                for a in mine {
                    if theirs.iter().any(|b| (b - a).abs() < 0.5) {
                        let span = if vertical {
                            moved.y_range().union(other.y_range())
                        } else {
                            moved.x_range().union(other.x_range())
                        };
                        self.guides.push(Guide {
                            vertical,
                            at: a,
                            from: span.min,
                            to: span.max,
                        });
                    }
                }
            }
        }
        to
    }

    /// The node a connect or reconnect drag would end on.
    fn connect_target(&self) -> Option<usize> {
        if !matches!(
            self.gesture,
            Gesture::Connect { .. } | Gesture::Reconnect { .. }
        ) {
            return None;
        }
        self.pointer.and_then(|p| self.node_at(p))
    }

    fn node_at(&self, p: Pos2) -> Option<usize> {
        self.diagram.nodes.iter().rposition(|n| n.rect.contains(p))
    }

    fn handle(&self, ui: &mut egui::Ui, center: Pos2, salt: impl egui::AsIdSalt) -> egui::Response {
        let size = Vec2::splat(self.px(HANDLE_RADIUS * 2.0 + 4.0));
        ui.interact(
            Rect::from_center_size(center, size),
            ui.scope_id().with(salt),
            Sense::drag(),
        )
    }

    fn paint_handle(&self, painter: &egui::Painter, center: Pos2, active: bool) {
        let radius = self.px(if active {
            HANDLE_RADIUS + 1.5
        } else {
            HANDLE_RADIUS
        });
        painter.circle(
            center,
            radius,
            if active {
                self.accents.selection
            } else {
                self.accents.handle_fill
            },
            Stroke::new(self.px(2.0), self.accents.selection),
        );
    }

    /// The handle on the right of hovered and selected nodes: drag it onto another node to
    /// connect them.
    fn connect_handles_ui(&mut self, ui: &mut egui::Ui, painter: &egui::Painter) {
        let diagram = self.diagram;
        for i in std::mem::take(&mut self.handles) {
            let node = &diagram.nodes[i];
            let id = NodeId(node.id.clone());
            let center = node.rect.right_center();
            let response = self.handle(ui, center, ("connect", &node.id));
            let name = format!("Connect from {}", node.label);
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
            if response.hovered() || response.dragged() {
                ui.ctx().set_cursor_icon(CursorIcon::Crosshair);
            }
            if response.drag_started() {
                *self.gesture = Gesture::Connect { from: id.clone() };
            }
            let mine = matches!(self.gesture, Gesture::Connect { from } if *from == id);
            if mine && response.drag_stopped() {
                *self.gesture = Gesture::Idle;
                let target = self
                    .interact_pos(ui)
                    .and_then(|p| self.node_at(p))
                    .map(|t| NodeId(self.diagram.nodes[t].id.clone()));
                if let Some(to) = target.filter(|to| *to != id) {
                    let trigger = trigger_between(self.map, &id, &to);
                    self.out.commands.push(Command::AddEdge {
                        from: id.clone(),
                        to,
                        trigger,
                    });
                    self.out.select_created = true;
                }
            } else if mine && !response.dragged() {
                *self.gesture = Gesture::Idle;
            }
            self.paint_handle(painter, center, mine || response.hovered());
            if mine && let Some(p) = self.interact_pos(ui) {
                self.rubber_band(painter, center, Vec2::X, p);
            }
        }
    }

    /// Handles on both ends of a selected edge: drag one onto another node to reconnect it.
    fn edge_handles_ui(&mut self, ui: &mut egui::Ui, painter: &egui::Painter) {
        if self.selection.edges.len() > HANDLES_MAX {
            return;
        }
        let (diagram, map) = (self.diagram, self.map);
        for edge in &diagram.edges {
            let Some(id) = self
                .selection
                .edges
                .iter()
                .find(|id| id.as_str() == edge.id)
                .cloned()
            else {
                continue;
            };
            let Some(model) = map.edges.iter().find(|e| e.id == id) else {
                continue;
            };
            for (end, at, fixed, what) in [
                (End::From, edge.curve[0], edge.curve[3], "start"),
                (End::To, edge.curve[3], edge.curve[0], "end"),
            ] {
                let response = self.handle(ui, at, ("reconnect", &edge.id, what));
                let name = format!("Move the {what} of edge {}", model.id);
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if response.hovered() || response.dragged() {
                    ui.ctx().set_cursor_icon(CursorIcon::Crosshair);
                }
                if response.drag_started() {
                    *self.gesture = Gesture::Reconnect {
                        edge: id.clone(),
                        end,
                    };
                }
                let mine = matches!(self.gesture, Gesture::Reconnect { edge: e, end: x } if *e == id && *x == end);
                if mine && response.drag_stopped() {
                    *self.gesture = Gesture::Idle;
                    let current = match end {
                        End::From => &model.from,
                        End::To => &model.to,
                    };
                    let target = self
                        .interact_pos(ui)
                        .and_then(|p| self.node_at(p))
                        .map(|t| NodeId(self.diagram.nodes[t].id.clone()))
                        .filter(|t| t != current);
                    if let Some(node) = target {
                        self.out.commands.push(Command::EditEdge {
                            id: id.clone(),
                            edit: match end {
                                End::From => EdgeEdit::From(node),
                                End::To => EdgeEdit::To(node),
                            },
                        });
                    }
                } else if mine && !response.dragged() {
                    *self.gesture = Gesture::Idle;
                }
                if mine && let Some(p) = self.interact_pos(ui) {
                    let away = (at - fixed).normalized();
                    self.rubber_band(painter, fixed, away, p);
                }
                self.paint_handle(painter, at, mine || response.hovered());
            }
        }
    }

    /// The curve from where a connection starts to the pointer.
    fn rubber_band(&self, painter: &egui::Painter, from: Pos2, out: Vec2, to: Pos2) {
        let reach = ((to - from).length() * 0.4).clamp(20.0, 160.0);
        painter.add(CubicBezierShape::from_points_stroke(
            [from, from + out * reach, to, to],
            false,
            Color32::TRANSPARENT,
            Stroke::new(self.px(2.0), self.accents.selection),
        ));
        painter.circle_filled(to, self.px(3.5), self.accents.selection);
    }

    /// Clicks on empty space: place the armed palette kind, select an edge, or clear the
    /// selection. Drops of palette items, and the selection box.
    fn background_ui(
        &mut self,
        ui: &egui::Ui,
        background: &egui::Response,
        hovered_edge: Option<usize>,
    ) {
        if let Some(dropped) = background.dnd_release_payload::<PaletteDrag>()
            && let Some(at) = self.interact_pos(ui)
        {
            self.out
                .commands
                .push(place(&dropped.0, at, self.map, self.snap));
            self.out.select_created = true;
        }
        let additive = ui.input(|i| i.modifiers.shift || i.modifiers.command);
        if background.clicked() {
            let at = background.interact_pointer_pos();
            if let (Some(kind), Some(at)) = (&self.palette.armed, at) {
                self.out.commands.push(place(kind, at, self.map, self.snap));
                self.out.select_created = true;
                self.palette.armed = None;
            } else if let Some(edge) = at.and_then(|p| self.edge_at(p)).or(hovered_edge) {
                let id = EdgeId(self.diagram.edges[edge].id.clone());
                if !additive {
                    *self.selection = Selection::default();
                }
                if !self.selection.edges.remove(&id) {
                    self.selection.edges.insert(id);
                }
            } else if !additive {
                *self.selection = Selection::default();
            }
        }
        if background.drag_started_by(PointerButton::Primary)
            && let Some(start) = self.press_origin(ui)
        {
            *self.gesture = Gesture::Select { start };
        }
        if let Gesture::Select { start } = *self.gesture {
            if background.drag_stopped() {
                *self.gesture = Gesture::Idle;
                if let Some(now) = self.interact_pos(ui) {
                    let area = Rect::from_two_pos(start, now);
                    if !ui.input(|i| i.modifiers.command) {
                        *self.selection = Selection::default();
                    }
                    let diagram = self.diagram;
                    for node in &diagram.nodes {
                        if area.contains_rect(node.rect) {
                            self.selection.nodes.insert(NodeId(node.id.clone()));
                        }
                    }
                    for note in &diagram.notes {
                        if area.contains_rect(note.rect) {
                            self.selection.notes.insert(note.id.clone());
                        }
                    }
                }
            } else if !background.dragged() {
                *self.gesture = Gesture::Idle;
            }
        }
    }

    fn overlays_ui(&self, painter: &egui::Painter, boxed: Option<Rect>) {
        if let Some(area) = boxed {
            painter.rect(
                area,
                CornerRadius::ZERO,
                self.accents.halo.gamma_multiply(0.6),
                Stroke::new(self.px(1.0), self.accents.selection),
                StrokeKind::Inside,
            );
        }
        let stroke = Stroke::new(self.px(1.0), self.accents.guide);
        let overhang = self.px(8.0);
        for g in &self.guides {
            let span = (g.from - overhang)..=(g.to + overhang);
            if g.vertical {
                painter.vline(g.at, span, stroke);
            } else {
                painter.hline(span, g.at, stroke);
            }
        }
    }
}

fn toggle(selection: &mut Selection, item: &Item) {
    match item {
        Item::Node(id) => {
            if !selection.nodes.remove(id) {
                selection.nodes.insert(id.clone());
            }
        }
        Item::Note(id) => {
            if !selection.notes.remove(id) {
                selection.notes.insert(id.clone());
            }
        }
    }
}

/// The distance from `p` to a cubic Bézier, measured on a polyline of it.
fn distance_to_curve(curve: [Pos2; 4], p: Pos2) -> f32 {
    const STEPS: usize = 32;
    let mut best = f32::INFINITY;
    let mut a = curve[0];
    for i in 1..=STEPS {
        let b = geometry::bezier(curve, i as f32 / STEPS as f32);
        best = best.min(distance_to_segment(p, a, b));
        a = b;
    }
    best
}

fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let t = if ab.length_sq() > 0.0 {
        ((p - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.distance(a + ab * t)
}

/// Zoomed out further than this, edges are drawn as short solid polylines without arrowheads
/// and stores as plain boxes: the detail is below a pixel, and a 1,000-node map stays fast.
const COARSE_BELOW: f32 = 0.3;

fn edge_ui(painter: &egui::Painter, edge: &EdgeShape, color: Color32, emphasised: bool, zoom: f32) {
    let width = if edge.dashed { 1.2 } else { 1.6 } + if emphasised { 0.8 } else { 0.0 };
    let stroke = Stroke::new(width, color);
    if zoom < COARSE_BELOW {
        let c = edge.curve;
        let hull = (c[1] - c[0]).length() + (c[2] - c[1]).length() + (c[3] - c[2]).length();
        // A point every 8 screen points or so.
        let steps = ((hull * zoom / 8.0) as usize).clamp(2, 16);
        let points: Vec<Pos2> = (0..=steps)
            .map(|i| geometry::bezier(c, i as f32 / steps as f32))
            .collect();
        painter.add(EShape::line(points, stroke));
        return;
    }
    if edge.dashed {
        let points: Vec<Pos2> = (0..=24)
            .map(|i| geometry::bezier(edge.curve, i as f32 / 24.0))
            .collect();
        painter.extend(EShape::dashed_line(&points, stroke, 6.0, 4.0));
    } else {
        painter.add(CubicBezierShape::from_points_stroke(
            edge.curve,
            false,
            Color32::TRANSPARENT,
            stroke,
        ));
    }
    painter.add(EShape::convex_polygon(
        edge.arrow.to_vec(),
        color,
        Stroke::NONE,
    ));
}

/// Draws an edge's label on a backing plate; returns the plate.
fn edge_label_ui(
    painter: &egui::Painter,
    rect: Rect,
    galley: std::sync::Arc<egui::Galley>,
    background: Color32,
    text: Color32,
) {
    painter.rect_filled(rect, CornerRadius::same(3), background.gamma_multiply(0.9));
    painter.galley(rect.min + vec2(2.0, 2.0), galley, text);
}

fn node_ui(
    painter: &egui::Painter,
    node: &NodeShape,
    text: Color32,
    muted: Color32,
    hovered: bool,
    (zoom, min_text): (f32, f32),
) {
    let stroke = Stroke::new(if hovered { 2.5 } else { 1.5 }, node.stroke);
    let r = node.rect;
    match node.shape {
        Shape::Pill => {
            painter.rect(
                r,
                CornerRadius::same((r.height() / 2.0) as u8),
                node.fill,
                stroke,
                StrokeKind::Inside,
            );
        }
        Shape::Box => {
            painter.rect(
                r,
                CornerRadius::same(8),
                node.fill,
                stroke,
                StrokeKind::Inside,
            );
        }
        Shape::Hexagon => {
            painter.add(EShape::convex_polygon(
                geometry::hexagon(r),
                node.fill,
                stroke,
            ));
        }
        Shape::Cylinder if zoom < COARSE_BELOW => {
            painter.rect(
                r,
                CornerRadius::same(4),
                node.fill,
                stroke,
                StrokeKind::Inside,
            );
        }
        Shape::Cylinder => {
            // Bottom cap, then the body over its upper half, then the sides and the top cap.
            let cap = geometry::cylinder_cap(r);
            let top = r.center_top() + vec2(0.0, cap / 2.0);
            let bottom = r.center_bottom() - vec2(0.0, cap / 2.0);
            let radius = vec2(r.width() / 2.0, cap / 2.0);
            painter.add(EShape::ellipse_filled(bottom, radius, node.fill));
            painter.add(EShape::ellipse_stroke(bottom, radius, stroke));
            let body =
                Rect::from_min_max(Pos2::new(r.left(), top.y), Pos2::new(r.right(), bottom.y));
            painter.rect_filled(body, CornerRadius::ZERO, node.fill);
            painter.line_segment([body.left_top(), body.left_bottom()], stroke);
            painter.line_segment([body.right_top(), body.right_bottom()], stroke);
            painter.add(EShape::ellipse_filled(top, radius, node.fill));
            painter.add(EShape::ellipse_stroke(top, radius, stroke));
        }
    }
    // Title and summary at their own size or the smallest legible one, whichever is larger;
    // the title takes up to two lines (elided past that), the summary only where it fits.
    let width = r.width() - 20.0;
    let room = r.height() - 4.0;
    let title_size = scene_font(14.0, zoom, min_text);
    if title_size * 1.15 > room {
        return; // not even one legible line fits: the shape and colour say what it is
    }
    let icon = geometry::group_icon(node.group);
    let mut job = egui::text::LayoutJob::simple(
        format!("{icon} {}", node.label),
        FontId::proportional(title_size),
        text,
        width,
    );
    job.wrap.max_rows = if title_size * 2.3 <= room { 2 } else { 1 };
    job.wrap.break_anywhere = false;
    job.halign = egui::Align::Center;
    let label_galley = painter.layout_job(job);
    let summary_size = scene_font(11.0, zoom, min_text);
    let summary_galley = (label_galley.size().y + 2.0 + summary_size * 1.2 <= room).then(|| {
        let mut job = egui::text::LayoutJob::simple(
            node.summary.clone(),
            FontId::proportional(summary_size),
            muted,
            width,
        );
        job.wrap.max_rows =
            ((room - label_galley.size().y - 2.0) / (summary_size * 1.2)).floor() as usize;
        job.halign = egui::Align::Center;
        painter.layout_job(job)
    });
    let summary_height = summary_galley.as_ref().map_or(0.0, |g| 2.0 + g.size().y);
    let top = r.center().y - (label_galley.size().y + summary_height) / 2.0;
    let label_height = label_galley.size().y;
    painter.galley(Pos2::new(r.center().x, top), label_galley, text);
    if let Some(summary) = summary_galley {
        painter.galley(
            Pos2::new(r.center().x, top + label_height + 2.0),
            summary,
            muted,
        );
    }
}

#[cfg(test)]
mod legibility {
    use super::{MIN_TEXT, scene_font};

    #[test]
    fn text_is_drawn_at_its_own_size_or_the_smallest_legible_one_on_screen() {
        // At 100 % a 14-unit title is 14 px: its own size.
        assert_eq!(scene_font(14.0, 1.0, MIN_TEXT), 14.0);
        // Fitted at 50 %, it is drawn at 22 units, which is 11 px on screen, not 7.
        let size = scene_font(14.0, 0.5, MIN_TEXT);
        assert!((size * 0.5 - MIN_TEXT).abs() < 1e-4, "{size}");
        // Whatever the zoom, what is drawn is at least the minimum on screen.
        for zoom in [0.05, 0.2, 0.37, 0.61, 0.9, 1.0, 2.5] {
            for base in [11.0, 13.0, 14.0, 15.0] {
                assert!(scene_font(base, zoom, MIN_TEXT) * zoom >= MIN_TEXT - 1e-3);
            }
        }
    }
}
