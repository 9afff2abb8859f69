//! The document being edited: the map, the file it belongs to, and its undo history.
//!
//! Every change to the map is a [`Command`] applied by [`Document::apply`], the one place that
//! mutates it, so undo/redo, dirty tracking, diagnostics and tests see every edit. Undo and redo
//! restore whole map snapshots (DESIGN.md): nothing to invert by hand, so nothing to get wrong,
//! and cheap for maps people draw (a 1,000-node map clones in well under a millisecond).
//!
//! The document also holds the editing rules that are not the model's to hold: ids generated
//! from a kind or title, no edge from a node to itself, edges going with the node they touch,
//! nodes moving with their lane's band when lanes are resized, reordered or removed.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::mem::{self, Discriminant};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::model::Fragment;
use crate::model::{
    self, Diagnostic, Edge, EdgeId, Lane, LaneId, LoadError, Loaded, Map, Node, NodeId, NodeKind,
    NoteColor, Persona, Pos, SaveError, Size, StickyNote, Trigger,
};

/// How many steps undo remembers by default.
pub const HISTORY_LIMIT: usize = 200;

/// Items on the canvas, by id: what is selected, what a command removes or moves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selection {
    pub nodes: BTreeSet<NodeId>,
    pub edges: BTreeSet<EdgeId>,
    /// Sticky notes, by id.
    pub notes: BTreeSet<String>,
}

impl Selection {
    /// Every node, edge and note of the map.
    pub fn all(map: &Map) -> Self {
        Selection {
            nodes: map.nodes.iter().map(|n| n.id.clone()).collect(),
            edges: map.edges.iter().map(|e| e.id.clone()).collect(),
            notes: map.notes.iter().map(|n| n.id.clone()).collect(),
        }
    }

    /// Just these nodes.
    pub fn of_nodes(ids: impl IntoIterator<Item = NodeId>) -> Self {
        Selection {
            nodes: ids.into_iter().collect(),
            ..Selection::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty() && self.notes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.nodes.len() + self.edges.len() + self.notes.len()
    }
}

/// One edit of the map, as the window asks for it. Applied by [`Document::apply`].
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    SetTitle(String),
    SetDescription(String),
    /// A node of this kind, labelled with the kind's name; its id is made from the kind
    /// (`idle-timeout`, then `idle-timeout-2`...). [`Document::last_created`] names it.
    AddNode {
        kind: NodeKind,
        /// Top-left corner.
        pos: Pos,
        lane: Option<LaneId>,
    },
    EditNode {
        id: NodeId,
        edit: NodeEdit,
    },
    /// A transition (or, with [`Trigger::Attach`], an attachment) with weight 1; its id is
    /// `FROM-TO` (then `FROM-TO-2`...).
    AddEdge {
        from: NodeId,
        to: NodeId,
        trigger: Trigger,
    },
    EditEdge {
        id: EdgeId,
        edit: EdgeEdit,
    },
    /// A sticky note of the default size; its id is `note`, `note-2`...
    AddNote {
        text: String,
        pos: Pos,
        color: NoteColor,
    },
    EditNote {
        id: String,
        edit: NoteEdit,
    },
    /// Removes the nodes (with every edge that touches them), edges and notes.
    Remove(Selection),
    /// Moves the nodes and notes (edges follow their nodes) by a delta: one command for a
    /// whole multi-selection drag.
    Move {
        items: Selection,
        dx: f32,
        dy: f32,
    },
    /// Puts nodes at these top-left corners (what auto-layout produces).
    PlaceNodes(Vec<(NodeId, Pos)>),
    /// A lane at the bottom; its id is made from the title.
    AddLane {
        title: String,
        height: f32,
    },
    EditLane {
        id: LaneId,
        edit: LaneEdit,
    },
    /// Moves a lane to this position in the stack (clamped to the last); nodes move with it.
    MoveLane {
        id: LaneId,
        to: usize,
    },
    /// Removes a lane; its nodes and personas lose it, the lanes below move up with their nodes.
    RemoveLane(LaneId),
    /// Adds a persona; its id must be free.
    AddPersona(Persona),
    /// Replaces a persona (its id may change, to a free one).
    EditPersona {
        id: String,
        persona: Persona,
    },
    RemovePersona(String),
    /// Inserts clipboard items whose ids are already free (see `clipboard::paste`).
    Paste(Fragment),
    /// Several commands applied all or nothing, undone in one step.
    Batch(Vec<Command>),
}

/// A change to one field of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeEdit {
    Label(String),
    Kind(NodeKind),
    Lane(Option<LaneId>),
    Notes(String),
    Size(Size),
}

/// A change to one field of an edge.
#[derive(Clone, Debug, PartialEq)]
pub enum EdgeEdit {
    Trigger(Trigger),
    Weight(u32),
    Label(String),
    Notes(String),
    /// Reconnects the start of the edge to another node.
    From(NodeId),
    /// Reconnects the end of the edge to another node.
    To(NodeId),
}

/// A change to one field of a sticky note.
#[derive(Clone, Debug, PartialEq)]
pub enum NoteEdit {
    Text(String),
    Color(NoteColor),
    Size(Size),
}

/// A change to one field of a lane.
#[derive(Clone, Debug, PartialEq)]
pub enum LaneEdit {
    Title(String),
    /// The lanes below move with their nodes.
    Height(f32),
}

/// Why a command was refused. The map is unchanged when this is returned.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum EditError {
    #[error("there is no node `{0}`")]
    UnknownNode(NodeId),
    #[error("there is no edge `{0}`")]
    UnknownEdge(EdgeId),
    #[error("there is no sticky note `{0}`")]
    UnknownNote(String),
    #[error("there is no lane `{0}`")]
    UnknownLane(LaneId),
    #[error("there is no persona `{0}`")]
    UnknownPersona(String),
    #[error("the {what} id `{id}` is already taken")]
    DuplicateId { what: &'static str, id: String },
    #[error("a {0} id cannot be empty")]
    EmptyId(&'static str),
    #[error("an edge cannot go from `{0}` to itself")]
    SelfLoop(NodeId),
    #[error("{what} must be a number greater than zero, not {value}")]
    NotPositive { what: &'static str, value: f32 },
    #[error("{0} must be a finite position")]
    NotFinite(&'static str),
}

impl Command {
    /// A few words for the Edit menu ("Undo Move").
    pub fn description(&self) -> String {
        match self {
            Command::SetTitle(_) => "Edit title".into(),
            Command::SetDescription(_) => "Edit description".into(),
            Command::AddNode { kind, .. } => format!("Add {}", kind.name()),
            Command::EditNode { edit, .. } => match edit {
                NodeEdit::Label(_) => "Rename node",
                NodeEdit::Kind(_) => "Edit node",
                NodeEdit::Lane(_) => "Change lane",
                NodeEdit::Notes(_) => "Edit node notes",
                NodeEdit::Size(_) => "Resize node",
            }
            .into(),
            Command::AddEdge {
                trigger: Trigger::Attach,
                ..
            } => "Attach".into(),
            Command::AddEdge { .. } => "Add transition".into(),
            Command::EditEdge { edit, .. } => match edit {
                EdgeEdit::Trigger(_) => "Change trigger",
                EdgeEdit::Weight(_) => "Change weight",
                EdgeEdit::Label(_) => "Edit edge label",
                EdgeEdit::Notes(_) => "Edit edge notes",
                EdgeEdit::From(_) | EdgeEdit::To(_) => "Reconnect edge",
            }
            .into(),
            Command::AddNote { .. } => "Add note".into(),
            Command::EditNote { edit, .. } => match edit {
                NoteEdit::Text(_) => "Edit note",
                NoteEdit::Color(_) => "Change note colour",
                NoteEdit::Size(_) => "Resize note",
            }
            .into(),
            Command::Remove(items) if items.len() == 1 => "Delete item".into(),
            Command::Remove(items) => format!("Delete {} items", items.len()),
            Command::Move { .. } => "Move".into(),
            Command::PlaceNodes(_) => "Arrange nodes".into(),
            Command::AddLane { .. } => "Add lane".into(),
            Command::EditLane { edit, .. } => match edit {
                LaneEdit::Title(_) => "Rename lane",
                LaneEdit::Height(_) => "Resize lane",
            }
            .into(),
            Command::MoveLane { .. } => "Reorder lanes".into(),
            Command::RemoveLane(_) => "Delete lane".into(),
            Command::AddPersona(_) => "Add persona".into(),
            Command::EditPersona { .. } => "Edit persona".into(),
            Command::RemovePersona(_) => "Delete persona".into(),
            Command::Paste(_) => "Paste".into(),
            // A batch reads as what it ends with (auto-layout: lanes grown, then nodes placed).
            Command::Batch(commands) => commands
                .last()
                .map_or_else(|| "Edit".into(), Command::description),
        }
    }

    /// Edits that merge with the previous one into one undo step when they change the same
    /// field of the same item (typing in a text field, dragging a value or a selection).
    fn coalesce_key(&self) -> Option<Coalesce> {
        Some(match self {
            Command::SetTitle(_) => Coalesce::Title,
            Command::SetDescription(_) => Coalesce::Description,
            Command::EditNode { id, edit } => Coalesce::Node(id.clone(), mem::discriminant(edit)),
            Command::EditEdge { id, edit } => Coalesce::Edge(id.clone(), mem::discriminant(edit)),
            Command::EditNote { id, edit } => Coalesce::Note(id.clone(), mem::discriminant(edit)),
            Command::EditLane { id, edit } => Coalesce::Lane(id.clone(), mem::discriminant(edit)),
            Command::EditPersona { id, .. } => Coalesce::Persona(id.clone()),
            Command::Move { items, .. } => Coalesce::Move(items.clone()),
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Coalesce {
    Title,
    Description,
    Node(NodeId, Discriminant<NodeEdit>),
    Edge(EdgeId, Discriminant<EdgeEdit>),
    Note(String, Discriminant<NoteEdit>),
    Lane(LaneId, Discriminant<LaneEdit>),
    Persona(String),
    Move(Selection),
}

/// A state of the map the history can go back (or forward) to.
#[derive(Clone, Debug)]
struct Snapshot {
    map: Map,
    revision: u64,
    /// What the step between this state and the next one did.
    description: String,
}

/// The map being edited, with its file, history, dirty state and diagnostics.
#[derive(Clone, Debug)]
pub struct Document {
    map: Map,
    path: Option<PathBuf>,
    undo: VecDeque<Snapshot>,
    redo: Vec<Snapshot>,
    history_limit: usize,
    /// Names the current state; a state never reached before gets a number never used before,
    /// so "is this the saved state" is one comparison, however much undo and redo happened.
    revision: u64,
    next_revision: u64,
    saved_revision: Option<u64>,
    coalesce: Option<Coalesce>,
    last_created: Selection,
    diagnostics: OnceCell<Vec<Diagnostic>>,
}

impl Default for Document {
    /// A new, untitled map with nothing to save.
    fn default() -> Self {
        Document::new(Map::default(), None)
    }
}

impl Document {
    /// A document in its saved state (nothing to save yet).
    pub fn new(map: Map, path: Option<PathBuf>) -> Self {
        Document {
            map,
            path,
            undo: VecDeque::new(),
            redo: Vec::new(),
            history_limit: HISTORY_LIMIT,
            revision: 0,
            next_revision: 1,
            saved_revision: Some(0),
            coalesce: None,
            last_created: Selection::default(),
            diagnostics: OnceCell::new(),
        }
    }

    /// A document for a file just loaded, keeping the loader's diagnostics (they point at lines
    /// in the file). A file migrated from an older format starts dirty: saving it upgrades it.
    pub fn from_loaded(loaded: Loaded, path: PathBuf) -> Self {
        let mut doc = Document::new(loaded.map, Some(path));
        doc.diagnostics = OnceCell::from(loaded.diagnostics);
        if loaded.migrated_from.is_some() {
            doc.saved_revision = None;
        }
        doc
    }

    /// Loads a map file into a document.
    pub fn open(path: &Path) -> Result<Self, LoadError> {
        model::load_file(path).map(|loaded| Document::from_loaded(loaded, path.to_owned()))
    }

    /// The same document remembering at most `limit` undo steps.
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        while self.undo.len() > limit {
            self.undo.pop_front();
        }
        self
    }

    pub fn map(&self) -> &Map {
        &self.map
    }

    /// The file the map was loaded from or last saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Changes whenever the map does (undo and redo included): a cheap key for caches such as
    /// the diagram or the last autosave.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Applies one command, as one undo step (or merged into the previous step, see
    /// [`Document::close_undo_step`]). A command that changes nothing adds no step. On error
    /// the map is unchanged.
    pub fn apply(&mut self, command: Command) -> Result<(), EditError> {
        let key = command.coalesce_key();
        let description = command.description();
        let before = self.map.clone();
        let mut created = Selection::default();
        if let Err(e) = apply_to(&mut self.map, command, &mut created) {
            self.map = before;
            return Err(e);
        }
        if self.map == before {
            return Ok(());
        }
        self.redo.clear();
        self.last_created = created;
        self.diagnostics = OnceCell::new();
        if key.is_some() && key == self.coalesce && !self.undo.is_empty() {
            // Typed back to where the step began: the step no longer changes anything.
            if self.undo.back().is_some_and(|s| s.map == self.map) {
                if let Some(start) = self.undo.pop_back() {
                    self.revision = start.revision;
                }
                self.coalesce = None;
            } else {
                self.revision = self.fresh_revision();
            }
            return Ok(());
        }
        if self.history_limit > 0 {
            if self.undo.len() >= self.history_limit {
                self.undo.pop_front();
            }
            self.undo.push_back(Snapshot {
                map: before,
                revision: self.revision,
                description,
            });
        }
        self.revision = self.fresh_revision();
        self.coalesce = key;
        Ok(())
    }

    /// Ends the current undo step, so the next edit of the same field starts a new one (call it
    /// when a text field loses focus or a drag ends).
    pub fn close_undo_step(&mut self) {
        self.coalesce = None;
    }

    /// Goes back one step; `false` if there is none.
    pub fn undo(&mut self) -> bool {
        let Some(previous) = self.undo.pop_back() else {
            return false;
        };
        let current = Snapshot {
            map: mem::replace(&mut self.map, previous.map),
            revision: self.revision,
            description: previous.description,
        };
        self.revision = previous.revision;
        self.redo.push(current);
        self.after_jump();
        true
    }

    /// Goes forward one undone step; `false` if there is none.
    pub fn redo(&mut self) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        let current = Snapshot {
            map: mem::replace(&mut self.map, next.map),
            revision: self.revision,
            description: next.description,
        };
        self.revision = next.revision;
        self.undo.push_back(current);
        self.after_jump();
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// What undo would take back ("Move", "Rename node").
    pub fn undo_description(&self) -> Option<&str> {
        self.undo.back().map(|s| s.description.as_str())
    }

    /// What redo would do again.
    pub fn redo_description(&self) -> Option<&str> {
        self.redo.last().map(|s| s.description.as_str())
    }

    /// Whether the map differs from the state last loaded or saved (undoing back to that state
    /// makes the document clean again).
    pub fn is_dirty(&self) -> bool {
        self.saved_revision != Some(self.revision)
    }

    /// Records that the current map is what `path` now holds.
    pub fn mark_saved(&mut self, path: PathBuf) {
        self.path = Some(path);
        self.saved_revision = Some(self.revision);
        self.coalesce = None;
    }

    /// Records that the current map is not what `path` holds (recovered work, say).
    pub(crate) fn mark_unsaved(&mut self, path: Option<PathBuf>) {
        self.path = path;
        self.saved_revision = None;
        self.coalesce = None;
    }

    /// Saves the map atomically to `path` and marks it saved there.
    pub fn save_as(&mut self, path: &Path) -> Result<(), SaveError> {
        model::save_file(&self.map, path)?;
        self.mark_saved(path.to_owned());
        Ok(())
    }

    /// Validation problems of the current map (computed once per state).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.diagnostics.get_or_init(|| model::validate(&self.map))
    }

    /// The nodes, edges and notes the last applied command created (to select them).
    pub fn last_created(&self) -> &Selection {
        &self.last_created
    }

    fn fresh_revision(&mut self) -> u64 {
        let r = self.next_revision;
        self.next_revision += 1;
        r
    }

    fn after_jump(&mut self) {
        self.coalesce = None;
        self.last_created = Selection::default();
        self.diagnostics = OnceCell::new();
    }
}

/// `text` as an id: lower case, words joined by `-` (`Idle timeout` → `idle-timeout`).
fn slug(text: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        fallback.to_owned()
    } else {
        out
    }
}

/// `base` if it is free, else the first free `STEM-2`, `STEM-3`... where STEM is `base` without
/// a numeric suffix (so a copy of `login-2` becomes `login-3`, not `login-2-2`).
pub fn unique_id(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_owned();
    }
    let stem = match base.rsplit_once('-') {
        Some((stem, n))
            if !stem.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            stem
        }
        _ => base,
    };
    let mut n = 2u64;
    loop {
        let candidate = format!("{stem}-{n}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

fn check_pos(pos: Pos, what: &'static str) -> Result<(), EditError> {
    if pos.0.is_finite() && pos.1.is_finite() {
        Ok(())
    } else {
        Err(EditError::NotFinite(what))
    }
}

fn check_positive(value: f32, what: &'static str) -> Result<(), EditError> {
    // Written so that NaN is refused too.
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(EditError::NotPositive { what, value })
    }
}

fn check_size(size: Size, what: &'static str) -> Result<(), EditError> {
    check_positive(size.0, what)?;
    check_positive(size.1, what)
}

fn check_lane(map: &Map, lane: Option<&LaneId>) -> Result<(), EditError> {
    match lane {
        Some(id) if map.lane(id).is_none() => Err(EditError::UnknownLane(id.clone())),
        _ => Ok(()),
    }
}

fn check_node(map: &Map, id: &NodeId) -> Result<(), EditError> {
    match map.node(id) {
        Some(_) => Ok(()),
        None => Err(EditError::UnknownNode(id.clone())),
    }
}

fn node_mut<'m>(map: &'m mut Map, id: &NodeId) -> Result<&'m mut Node, EditError> {
    map.nodes
        .iter_mut()
        .find(|n| &n.id == id)
        .ok_or_else(|| EditError::UnknownNode(id.clone()))
}

fn edge_mut<'m>(map: &'m mut Map, id: &EdgeId) -> Result<&'m mut Edge, EditError> {
    map.edges
        .iter_mut()
        .find(|e| &e.id == id)
        .ok_or_else(|| EditError::UnknownEdge(id.clone()))
}

fn note_mut<'m>(map: &'m mut Map, id: &str) -> Result<&'m mut StickyNote, EditError> {
    map.notes
        .iter_mut()
        .find(|n| n.id == id)
        .ok_or_else(|| EditError::UnknownNote(id.to_owned()))
}

fn lane_index(map: &Map, id: &LaneId) -> Result<usize, EditError> {
    map.lanes
        .iter()
        .position(|l| &l.id == id)
        .ok_or_else(|| EditError::UnknownLane(id.clone()))
}

fn persona_index(map: &Map, id: &str) -> Result<usize, EditError> {
    map.personas
        .iter()
        .position(|p| p.id == id)
        .ok_or_else(|| EditError::UnknownPersona(id.to_owned()))
}

fn check_persona(map: &Map, persona: &Persona) -> Result<(), EditError> {
    if persona.id.is_empty() {
        return Err(EditError::EmptyId("persona"));
    }
    check_lane(map, persona.lane.as_ref())
}

/// Where each lane's band was before a change to the lanes.
struct Bands(Vec<(LaneId, f32, f32)>);

impl Bands {
    fn of(map: &Map) -> Self {
        Bands(
            map.lanes
                .iter()
                .zip(map.lane_tops())
                .map(|(l, top)| (l.id.clone(), top, l.height))
                .collect(),
        )
    }

    /// Moves every node and note by as much as its band moved: a node with its lane, anything
    /// else with the band it sits in. Items in a removed band stay where they are.
    fn carry(&self, map: &mut Map) {
        let new_tops: HashMap<LaneId, f32> = map
            .lanes
            .iter()
            .zip(map.lane_tops())
            .map(|(l, top)| (l.id.clone(), top))
            .collect();
        let shift_of = |id: &LaneId| -> Option<f32> {
            let old = self.0.iter().find(|(l, ..)| l == id)?.1;
            Some(new_tops.get(id)? - old)
        };
        let shift_at = |y: f32| -> f32 {
            self.0
                .iter()
                .find(|&&(_, top, height)| y >= top && y < top + height)
                .and_then(|(id, ..)| shift_of(id))
                .unwrap_or(0.0)
        };
        for node in &mut map.nodes {
            let dy = node
                .lane
                .as_ref()
                .and_then(shift_of)
                .unwrap_or_else(|| shift_at(node.pos.1));
            node.pos.1 += dy;
        }
        for note in &mut map.notes {
            note.pos.1 += shift_at(note.pos.1);
        }
    }
}

fn apply_to(map: &mut Map, command: Command, created: &mut Selection) -> Result<(), EditError> {
    match command {
        Command::SetTitle(title) => map.title = title,
        Command::SetDescription(description) => map.description = description,
        Command::AddNode { kind, pos, lane } => {
            check_pos(pos, "a node")?;
            check_lane(map, lane.as_ref())?;
            let taken: HashSet<&str> = map.nodes.iter().map(|n| n.id.as_str()).collect();
            let id = NodeId(unique_id(&slug(kind.name(), "node"), |c| taken.contains(c)));
            created.nodes.insert(id.clone());
            map.nodes.push(Node {
                id,
                label: kind.name().to_owned(),
                kind,
                lane,
                pos,
                size: Size::NODE,
                notes: String::new(),
            });
        }
        Command::EditNode { id, edit } => {
            match &edit {
                NodeEdit::Lane(lane) => check_lane(map, lane.as_ref())?,
                NodeEdit::Size(size) => check_size(*size, "a node's size")?,
                _ => {}
            }
            let node = node_mut(map, &id)?;
            match edit {
                NodeEdit::Label(label) => node.label = label,
                NodeEdit::Kind(kind) => node.kind = kind,
                NodeEdit::Lane(lane) => node.lane = lane,
                NodeEdit::Notes(notes) => node.notes = notes,
                NodeEdit::Size(size) => node.size = size,
            }
        }
        Command::AddEdge { from, to, trigger } => {
            check_node(map, &from)?;
            check_node(map, &to)?;
            if from == to {
                return Err(EditError::SelfLoop(from));
            }
            let taken: HashSet<&str> = map.edges.iter().map(|e| e.id.as_str()).collect();
            let id = EdgeId(unique_id(&format!("{from}-{to}"), |c| taken.contains(c)));
            created.edges.insert(id.clone());
            map.edges.push(Edge {
                id,
                from,
                to,
                trigger,
                weight: 1,
                label: String::new(),
                notes: String::new(),
            });
        }
        Command::EditEdge { id, edit } => {
            if let EdgeEdit::From(node) | EdgeEdit::To(node) = &edit {
                check_node(map, node)?;
            }
            let edge = edge_mut(map, &id)?;
            match edit {
                EdgeEdit::Trigger(trigger) => edge.trigger = trigger,
                EdgeEdit::Weight(weight) => edge.weight = weight,
                EdgeEdit::Label(label) => edge.label = label,
                EdgeEdit::Notes(notes) => edge.notes = notes,
                EdgeEdit::From(node) if node == edge.to => return Err(EditError::SelfLoop(node)),
                EdgeEdit::To(node) if node == edge.from => return Err(EditError::SelfLoop(node)),
                EdgeEdit::From(node) => edge.from = node,
                EdgeEdit::To(node) => edge.to = node,
            }
        }
        Command::AddNote { text, pos, color } => {
            check_pos(pos, "a note")?;
            let taken: HashSet<&str> = map.notes.iter().map(|n| n.id.as_str()).collect();
            let id = unique_id("note", |c| taken.contains(c));
            created.notes.insert(id.clone());
            map.notes.push(StickyNote {
                id,
                text,
                pos,
                size: Size::NOTE,
                color,
            });
        }
        Command::EditNote { id, edit } => {
            if let NoteEdit::Size(size) = &edit {
                check_size(*size, "a note's size")?;
            }
            let note = note_mut(map, &id)?;
            match edit {
                NoteEdit::Text(text) => note.text = text,
                NoteEdit::Color(color) => note.color = color,
                NoteEdit::Size(size) => note.size = size,
            }
        }
        Command::Remove(items) => {
            check_items(map, &items)?;
            map.nodes.retain(|n| !items.nodes.contains(&n.id));
            map.edges.retain(|e| {
                !items.edges.contains(&e.id)
                    && !items.nodes.contains(&e.from)
                    && !items.nodes.contains(&e.to)
            });
            map.notes.retain(|n| !items.notes.contains(&n.id));
        }
        Command::Move { items, dx, dy } => {
            if !(dx.is_finite() && dy.is_finite()) {
                return Err(EditError::NotFinite("a move"));
            }
            check_items(map, &items)?;
            for node in map.nodes.iter_mut().filter(|n| items.nodes.contains(&n.id)) {
                node.pos = Pos(node.pos.0 + dx, node.pos.1 + dy);
            }
            for note in map.notes.iter_mut().filter(|n| items.notes.contains(&n.id)) {
                note.pos = Pos(note.pos.0 + dx, note.pos.1 + dy);
            }
        }
        Command::PlaceNodes(places) => {
            let known: HashSet<&NodeId> = map.nodes.iter().map(|n| &n.id).collect();
            let mut at = HashMap::with_capacity(places.len());
            for (id, pos) in places {
                check_pos(pos, "a node")?;
                if !known.contains(&id) {
                    return Err(EditError::UnknownNode(id));
                }
                at.insert(id, pos);
            }
            for node in &mut map.nodes {
                if let Some(&pos) = at.get(&node.id) {
                    node.pos = pos;
                }
            }
        }
        Command::AddLane { title, height } => {
            check_positive(height, "a lane's height")?;
            let id = unique_id(&slug(&title, "lane"), |c| {
                map.lanes.iter().any(|l| l.id.as_str() == c)
            });
            map.lanes.push(Lane {
                id: LaneId(id),
                title,
                height,
            });
        }
        Command::EditLane { id, edit } => {
            let i = lane_index(map, &id)?;
            match edit {
                LaneEdit::Title(title) => map.lanes[i].title = title,
                LaneEdit::Height(height) => {
                    check_positive(height, "a lane's height")?;
                    let bands = Bands::of(map);
                    map.lanes[i].height = height;
                    bands.carry(map);
                }
            }
        }
        Command::MoveLane { id, to } => {
            let i = lane_index(map, &id)?;
            let bands = Bands::of(map);
            let lane = map.lanes.remove(i);
            let to = to.min(map.lanes.len());
            map.lanes.insert(to, lane);
            bands.carry(map);
        }
        Command::RemoveLane(id) => {
            let i = lane_index(map, &id)?;
            let bands = Bands::of(map);
            map.lanes.remove(i);
            for node in map
                .nodes
                .iter_mut()
                .filter(|n| n.lane.as_ref() == Some(&id))
            {
                node.lane = None;
            }
            for persona in map
                .personas
                .iter_mut()
                .filter(|p| p.lane.as_ref() == Some(&id))
            {
                persona.lane = None;
            }
            bands.carry(map);
        }
        Command::AddPersona(persona) => {
            check_persona(map, &persona)?;
            if map.personas.iter().any(|p| p.id == persona.id) {
                return Err(EditError::DuplicateId {
                    what: "persona",
                    id: persona.id,
                });
            }
            map.personas.push(persona);
        }
        Command::EditPersona { id, persona } => {
            let i = persona_index(map, &id)?;
            check_persona(map, &persona)?;
            if persona.id != id && map.personas.iter().any(|p| p.id == persona.id) {
                return Err(EditError::DuplicateId {
                    what: "persona",
                    id: persona.id,
                });
            }
            map.personas[i] = persona;
        }
        Command::RemovePersona(id) => {
            let i = persona_index(map, &id)?;
            map.personas.remove(i);
        }
        Command::Paste(fragment) => paste(map, fragment, created)?,
        Command::Batch(commands) => {
            for command in commands {
                apply_to(map, command, created)?;
            }
        }
    }
    Ok(())
}

/// Every item named exists.
fn check_items(map: &Map, items: &Selection) -> Result<(), EditError> {
    let nodes: HashSet<&NodeId> = map.nodes.iter().map(|n| &n.id).collect();
    if let Some(id) = items.nodes.iter().find(|id| !nodes.contains(id)) {
        return Err(EditError::UnknownNode(id.clone()));
    }
    let edges: HashSet<&EdgeId> = map.edges.iter().map(|e| &e.id).collect();
    if let Some(id) = items.edges.iter().find(|id| !edges.contains(id)) {
        return Err(EditError::UnknownEdge(id.clone()));
    }
    let notes: HashSet<&String> = map.notes.iter().map(|n| &n.id).collect();
    if let Some(id) = items.notes.iter().find(|id| !notes.contains(id)) {
        return Err(EditError::UnknownNote(id.clone()));
    }
    Ok(())
}

fn paste(map: &mut Map, fragment: Fragment, created: &mut Selection) -> Result<(), EditError> {
    let duplicate = |what, id: &str| EditError::DuplicateId {
        what,
        id: id.to_owned(),
    };
    let mut nodes: HashSet<NodeId> = map.nodes.iter().map(|n| n.id.clone()).collect();
    for node in &fragment.nodes {
        if node.id.as_str().is_empty() {
            return Err(EditError::EmptyId("node"));
        }
        if !nodes.insert(node.id.clone()) {
            return Err(duplicate("node", node.id.as_str()));
        }
        check_lane(map, node.lane.as_ref())?;
        check_pos(node.pos, "a node")?;
        check_size(node.size, "a node's size")?;
    }
    let mut edges: HashSet<&str> = map.edges.iter().map(|e| e.id.as_str()).collect();
    for edge in &fragment.edges {
        if edge.id.as_str().is_empty() {
            return Err(EditError::EmptyId("edge"));
        }
        if !edges.insert(edge.id.as_str()) {
            return Err(duplicate("edge", edge.id.as_str()));
        }
        for end in [&edge.from, &edge.to] {
            if !nodes.contains(end) {
                return Err(EditError::UnknownNode(end.clone()));
            }
        }
        if edge.from == edge.to {
            return Err(EditError::SelfLoop(edge.from.clone()));
        }
    }
    let mut notes: HashSet<&str> = map.notes.iter().map(|n| n.id.as_str()).collect();
    for note in &fragment.notes {
        if note.id.is_empty() {
            return Err(EditError::EmptyId("note"));
        }
        if !notes.insert(note.id.as_str()) {
            return Err(duplicate("note", &note.id));
        }
        check_pos(note.pos, "a note")?;
        check_size(note.size, "a note's size")?;
    }
    created
        .nodes
        .extend(fragment.nodes.iter().map(|n| n.id.clone()));
    created
        .edges
        .extend(fragment.edges.iter().map(|e| e.id.clone()));
    created
        .notes
        .extend(fragment.notes.iter().map(|n| n.id.clone()));
    map.nodes.extend(fragment.nodes);
    map.edges.extend(fragment.edges);
    map.notes.extend(fragment.notes);
    Ok(())
}
