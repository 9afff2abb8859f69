//! The editor's core, free of any display: the [`Document`] (a map with its file, undo/redo and
//! the [`Command`]s that are the one way it changes), the [`Selection`], copy and paste as RON
//! text (`clipboard.rs`), auto-layout and node search (`layout.rs`), and the crash-recovery
//! autosave file (`recovery.rs`). The window (`ui`) draws and turns input into commands; the
//! command line could drive the same core.

mod clipboard;
mod document;
mod layout;
mod recovery;

pub use clipboard::{ClipboardError, copy_selection, fragment_of_selection, paste};
pub use document::{
    Command, Document, EdgeEdit, EditError, HISTORY_LIMIT, LaneEdit, NodeEdit, NoteEdit, Selection,
    unique_id,
};
pub use layout::{auto_layout, search};
pub use recovery::{
    Recovery, RecoveryError, discard_recovery, find_recovery, recovery_dir, recovery_file,
    write_recovery, write_recovery_at,
};
