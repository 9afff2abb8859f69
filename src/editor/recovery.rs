//! Autosave for crash recovery: the unsaved map written now and then to one recovery file,
//! offered back when the app starts again, and discarded once the user saves or declines.
//!
//! The recovery file is a map file (the app can open it by hand) with a comment header naming
//! the file the map belongs to and when it was written:
//!
//! ```text
//! // SessionMap recovery
//! // original: "/home/ana/bank.ron"
//! // saved_at: 2026-03-14T09:26:53Z
//! (
//!     format_version: 1,
//!     ...
//! ```
//!
//! The folder is a parameter so tests use a temporary one; the app uses [`recovery_dir`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use thiserror::Error;

use super::document::Document;
use crate::model::{self, Backup, Diagnostic, LoadError, Map, SaveError};

const FILE_NAME: &str = "recovery.ron";
const MAGIC: &str = "// SessionMap recovery";
const ORIGINAL: &str = "// original: ";
const SAVED_AT: &str = "// saved_at: ";

/// Where the app keeps its recovery file: `recovery/` in eframe's storage folder for the app
/// (next to its saved preferences); `None` where the platform has no such folder.
pub fn recovery_dir() -> Option<PathBuf> {
    eframe::storage_dir("SessionMap").map(|dir| dir.join("recovery"))
}

/// The recovery file in `dir`.
pub fn recovery_file(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Unsaved work found at startup.
#[derive(Clone, Debug)]
pub struct Recovery {
    pub map: Map,
    /// The file the map belongs to; `None` for a map never saved.
    pub original_path: Option<PathBuf>,
    /// When the recovery file was written.
    pub saved_at: DateTime<Utc>,
    /// Validation problems of the recovered map.
    pub diagnostics: Vec<Diagnostic>,
}

impl Recovery {
    /// The recovered map as a document for its original file, with unsaved changes (saving it
    /// is what makes the recovery permanent).
    pub fn into_document(self) -> Document {
        let mut doc = Document::new(self.map, None);
        doc.mark_unsaved(self.original_path);
        doc
    }
}

/// Why recovery could not be written or read.
#[derive(Debug, Error)]
pub enum RecoveryError {
    #[error("{}: cannot create the recovery folder: {source}", path.display())]
    Folder {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: cannot read the recovery file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: not a SessionMap recovery file (its header is missing or damaged)", path.display())]
    Header { path: PathBuf },
    #[error("the recovery file is damaged: {0}")]
    Load(#[from] LoadError),
    #[error(transparent)]
    Save(#[from] SaveError),
}

/// Writes the document's map to the recovery file in `dir` (atomically, creating `dir`).
pub fn write_recovery(dir: &Path, doc: &Document) -> Result<(), RecoveryError> {
    write_recovery_at(dir, doc, Utc::now())
}

/// [`write_recovery`] with the time to record (tests pass a fixed one).
pub fn write_recovery_at(
    dir: &Path,
    doc: &Document,
    saved_at: DateTime<Utc>,
) -> Result<(), RecoveryError> {
    fs::create_dir_all(dir).map_err(|source| RecoveryError::Folder {
        path: dir.to_owned(),
        source,
    })?;
    let original = match doc.path() {
        // JSON string syntax escapes quotes and line breaks, so any path fits on one line.
        Some(path) => serde_json::to_string(&path.to_string_lossy())
            .map_err(|e| SaveError::Serialise(e.to_string()))?,
        None => "none".to_owned(),
    };
    let text = format!(
        "{MAGIC}\n{ORIGINAL}{original}\n{SAVED_AT}{}\n{}",
        saved_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        model::to_ron(doc.map())?
    );
    model::write_atomically(
        &recovery_file(dir),
        text.as_bytes(),
        Backup::None,
        &mut |_| Ok(()),
    )?;
    Ok(())
}

/// The recovery file in `dir`: `Ok(None)` if there is none, an error (to show, with the
/// choice to discard it) if it cannot be read back.
pub fn find_recovery(dir: &Path) -> Result<Option<Recovery>, RecoveryError> {
    let path = recovery_file(dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(RecoveryError::Read { path, source }),
    };
    let header = || RecoveryError::Header { path: path.clone() };
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(header());
    }
    let original_path = match lines.next().and_then(|l| l.strip_prefix(ORIGINAL)) {
        Some("none") => None,
        Some(quoted) => Some(PathBuf::from(
            serde_json::from_str::<String>(quoted).map_err(|_| header())?,
        )),
        None => return Err(header()),
    };
    let saved_at = lines
        .next()
        .and_then(|l| l.strip_prefix(SAVED_AT))
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(header)?
        .with_timezone(&Utc);
    // The header lines are RON comments, so the whole text is the map file (and line numbers
    // in errors are the file's own).
    let loaded = model::load_str(&text, &path)?;
    Ok(Some(Recovery {
        map: loaded.map,
        original_path,
        saved_at,
        diagnostics: loaded.diagnostics,
    }))
}

/// Removes the recovery file in `dir`, if there is one.
pub fn discard_recovery(dir: &Path) -> io::Result<()> {
    match fs::remove_file(recovery_file(dir)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
