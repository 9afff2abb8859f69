//! Canvas frame time on a generated 1,000-node, 2,000-edge map (target: a frame under 8 ms).
//!
//! A frame is what the CPU pays each time the window repaints: `canvas_ui` inside a headless
//! `egui::Context::run_ui` (layout, hit testing, painting into shapes) plus `tessellate` (shapes
//! into triangles). Measured with the whole map fitted in view (1,000 nodes on screen, the
//! minimap shown) and at 1:1 (text drawn, most of the map culled). Baselines in the same run: an
//! empty frame, and `geometry::diagram`, which is rebuilt only when the map changes.

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{Rect, pos2, vec2};
use sessionmap::editor::Selection;
use sessionmap::export::geometry::{self, Diagram, Theme};
use sessionmap::model::{self, Map};
use sessionmap::ui::{CanvasState, Overlay, PaletteState, canvas_ui};

fn big_map() -> Map {
    let banking = sessionmap::templates::find("banking")
        .and_then(|t| t.load().ok())
        .map(|l| l.map)
        .unwrap_or_default();
    model::synthetic(&banking, 1_000, 2_000).unwrap_or_default()
}

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(Rect::from_min_size(pos2(0.0, 0.0), vec2(1600.0, 1000.0))),
        ..Default::default()
    }
}

/// Everything one canvas frame needs between frames.
struct Window {
    ctx: egui::Context,
    map: Map,
    diagram: Diagram,
    state: CanvasState,
    selection: Selection,
    palette: PaletteState,
}

impl Window {
    fn new(map: Map, view: Option<Rect>) -> Self {
        let diagram = geometry::diagram(&map, Theme::Light);
        let mut window = Window {
            ctx: egui::Context::default(),
            map,
            diagram,
            state: CanvasState::default(),
            selection: Selection::default(),
            palette: PaletteState::default(),
        };
        // The first frames load fonts and fit the view.
        for _ in 0..3 {
            window.frame();
        }
        if let Some(view) = view {
            window.state.view = view;
            window.frame();
        }
        window
    }

    /// One frame: the canvas in a central panel, then tessellated. Returns the triangle count.
    fn frame(&mut self) -> usize {
        let output = self.ctx.run_ui(input(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                canvas_ui(
                    ui,
                    &mut self.state,
                    &self.diagram,
                    &self.map,
                    &mut self.selection,
                    &mut self.palette,
                    &Overlay::default(),
                )
            });
        });
        let meshes = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        meshes.len()
    }
}

fn empty_frame(ctx: &egui::Context) -> usize {
    let output = ctx.run_ui(input(), |ui| {
        egui::CentralPanel::default().show(ui, |ui| ui.label("empty"));
    });
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn canvas(c: &mut Criterion) {
    let map = big_map();
    assert_eq!((map.nodes.len(), map.edges.len()), (1_000, 2_000));
    let mut group = c.benchmark_group("canvas");
    let ctx = egui::Context::default();
    empty_frame(&ctx);
    group.bench_function("empty_frame_baseline", |b| b.iter(|| empty_frame(&ctx)));
    group.bench_function("diagram_baseline", |b| {
        b.iter(|| geometry::diagram(&map, Theme::Light))
    });

    let mut fitted = Window::new(map.clone(), None);
    assert!(fitted.state.minimap, "a large map shows the minimap");
    group.bench_function("frame_whole_map", |b| b.iter(|| fitted.frame()));

    // Zoomed out as far as full detail goes (curves, dashes, arrowheads, node labels): the
    // most detail on screen at once, about a tenth of the map.
    let farthest = Rect::from_min_size(pos2(0.0, 0.0), vec2(1600.0, 1000.0) / 0.31);
    let mut detailed = Window::new(map.clone(), Some(farthest));
    group.bench_function("frame_full_detail_widest", |b| b.iter(|| detailed.frame()));

    // 1:1 around the first copy of the template: labels and summaries drawn.
    let one_to_one = Rect::from_min_size(pos2(0.0, 0.0), vec2(1600.0, 1000.0));
    let mut zoomed = Window::new(map, Some(one_to_one));
    group.bench_function("frame_one_to_one", |b| b.iter(|| zoomed.frame()));
    group.finish();
}

/// The whole editor window (panels, canvas, simulation panel) on the legacy shop while a
/// simulation of 200,000 users runs on worker threads: what a user feels while it runs
/// (target: a frame under 16 ms). Baseline in the same run: the same window with nothing running.
fn editor_while_simulating(c: &mut Criterion) {
    use sessionmap::ui::{Editor, EditorOptions, Startup};
    let mut group = c.benchmark_group("editor");
    let ctx = egui::Context::default();
    let mut editor = Editor::open(
        &Startup::File("templates/legacy-shop.ron".into()),
        EditorOptions::default(),
    );
    let frame = |editor: &mut Editor| {
        let output = ctx.run_ui(input(), |ui| editor.ui(ui));
        ctx.tessellate(output.shapes, output.pixels_per_point).len()
    };
    // Let the quick simulation of the map finish first.
    for _ in 0..2_000 {
        frame(&mut editor);
        if !editor.simulation().busy() && editor.simulation().quick_result.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    group.bench_function("frame_idle_baseline", |b| b.iter(|| frame(&mut editor)));
    let map = editor.document().map().clone();
    let revision = editor.document().revision();
    let panel = editor.simulation();
    panel.users = 200_000;
    panel.run(&map, revision, "legacy-shop.ron");
    group.bench_function("frame_while_simulating", |b| {
        b.iter(|| {
            if !editor.simulation().busy() {
                editor.simulation().run(&map, revision, "legacy-shop.ron");
            }
            frame(&mut editor)
        })
    });
    group.finish();
}

criterion_group!(benches, canvas, editor_while_simulating);
criterion_main!(benches);
