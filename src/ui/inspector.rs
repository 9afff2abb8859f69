//! The inspector: typed editors for what is selected (a node's parameters, an edge's trigger,
//! a note's text) and, with nothing selected, the map itself (title, description, lanes,
//! personas). It returns [`Command`]s; it never changes the map itself.

use super::document::{Command, NodeEdit, Selection};
use crate::model::Map;
use crate::report::Finding;

/// What the inspector remembers between frames.
#[derive(Clone, Debug, Default)]
pub struct InspectorState {}

/// Draws the inspector for the selection; returns the edits made this frame.
pub fn inspector_ui(
    ui: &mut egui::Ui,
    _state: &mut InspectorState,
    map: &Map,
    selection: &Selection,
    findings: &[Finding],
) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Inspector");
    if selection.nodes.len() == 1
        && let Some(node) = selection.nodes.iter().next().and_then(|id| map.node(id))
    {
        ui.label(node.kind.name());
        let mut label = node.label.clone();
        ui.horizontal(|ui| {
            let name = ui.label("Label");
            if ui
                .text_edit_singleline(&mut label)
                .labelled_by(name.id)
                .changed()
            {
                commands.push(Command::EditNode {
                    id: node.id.clone(),
                    edit: NodeEdit::Label(label.clone()),
                });
            }
        });
        for f in findings.iter().filter(|f| f.nodes.contains(&node.id)) {
            ui.label(format!("{} {}", f.severity, f.title));
        }
        return commands;
    }
    let mut title = map.title.clone();
    ui.horizontal(|ui| {
        let name = ui.label("Title");
        if ui
            .text_edit_singleline(&mut title)
            .labelled_by(name.id)
            .changed()
        {
            commands.push(Command::SetTitle(title.clone()));
        }
    });
    commands
}
