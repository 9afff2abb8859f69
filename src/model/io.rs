//! Reading and writing map files: RON through serde, version check and migration, atomic save.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::validate::{Diagnostic, validate_with_source};
use super::{FORMAT_VERSION, Map, migrate};

/// A map read from a file, with every validation problem found in it.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub map: Map,
    /// Validation problems (errors and warnings), each with its place in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// The version the file was written in, when it was older and has been migrated.
    pub migrated_from: Option<u32>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Why a file could not be read as a map at all.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: the file is format version {found}, but this SessionMap reads versions up to \
         {supported}; open it with a newer SessionMap",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// Why a map could not be saved. The file on disk is untouched when this is returned.
#[derive(Debug, Error)]
pub enum SaveError {
    #[error("{}: cannot save: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot serialise the map: {0}")]
    Serialise(String),
}

/// Reads and validates a map file.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = super::locate::line_column(
            // The valid prefix is enough to count lines up to the bad byte.
            std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or_default(),
            offset,
        );
        LoadError::Parse {
            path: path.to_owned(),
            line,
            column,
            message: "the file is not UTF-8 text; expected a RON session map".to_owned(),
        }
    })?;
    load_str(&text, path)
}

/// Parses and validates map text; `path` is only used in messages.
pub fn load_str(text: &str, path: &Path) -> Result<Loaded, LoadError> {
    let parse_error = |e: ron::error::SpannedError| LoadError::Parse {
        path: path.to_owned(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: describe(&e.code),
    };
    let version = peek_version(text).map_err(parse_error)?;
    let (map, migrated_from) = match version {
        FORMAT_VERSION => (
            ron_options().from_str::<Map>(text).map_err(parse_error)?,
            None,
        ),
        v if v > FORMAT_VERSION => {
            return Err(LoadError::TooNew {
                path: path.to_owned(),
                found: v,
                supported: FORMAT_VERSION,
            });
        }
        old => (
            migrate::from_version(old, text).map_err(parse_error)?,
            Some(old),
        ),
    };
    let diagnostics = validate_with_source(&map, Some(text), Some(path));
    Ok(Loaded {
        map,
        diagnostics,
        migrated_from,
    })
}

/// RON as map files use it: optional values are written plainly (`lane: "customer"`, not
/// `lane: Some("customer")`), for files people read and edit by hand.
pub(crate) fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Reads only `format_version`, ignoring every other field, so the right schema can be chosen.
fn peek_version(text: &str) -> Result<u32, ron::error::SpannedError> {
    /// A missing `format_version` reads as 0: files from before versioning.
    #[derive(Deserialize)]
    struct Header {
        #[serde(default)]
        format_version: u32,
    }
    ron_options()
        .from_str::<Header>(text)
        .map(|h| h.format_version)
}

/// ron's messages name Rust types; say what was expected in the file's own terms where we can.
fn describe(code: &ron::Error) -> String {
    match code {
        ron::Error::Eof => "the file ends too early; expected the rest of the map".to_owned(),
        other => other.to_string(),
    }
}

/// The map as RON text, byte-for-byte stable for an unchanged map.
pub fn to_ron(map: &Map) -> Result<String, SaveError> {
    ron_text(map)
}

/// Any part of a map (a clipboard fragment, say) as RON text, laid out exactly as map files are.
pub(crate) fn ron_text<T: Serialize>(value: &T) -> Result<String, SaveError> {
    let config = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .struct_names(false)
        // Each node's fields on their own line, its parameters on one line.
        .depth_limit(3)
        .separate_tuple_members(false)
        .enumerate_arrays(false);
    let mut text = ron_options()
        .to_string_pretty(value, config)
        .map_err(|e| SaveError::Serialise(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// Saves atomically: the text goes to a temporary file in the same folder, is flushed to disk,
/// the previous file is kept as `NAME.ron.bak`, and the temporary file is renamed over the target.
pub fn save_file(map: &Map, path: &Path) -> Result<(), SaveError> {
    save_file_with(map, path, &mut |_| Ok(()))
}

/// [`save_file`] with a hook that runs after the temporary file is durable and before the
/// rename; a failure there aborts the save with the original file intact (tests use it to
/// simulate a crash at the worst moment).
pub fn save_file_with(
    map: &Map,
    path: &Path,
    before_rename: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> Result<(), SaveError> {
    let text = to_ron(map)?;
    write_atomically(path, text.as_bytes(), Backup::Keep, before_rename)
}

/// Whether an atomic write keeps the file it replaces as `NAME.bak`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backup {
    Keep,
    None,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// renamed over the target (after copying the old file to `NAME.bak` when asked). The target
/// is either the old file or the new one, never half of either.
pub fn write_atomically(
    path: &Path,
    bytes: &[u8],
    backup: Backup,
    before_rename: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> Result<(), SaveError> {
    let io_error = |source| SaveError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io_error(io::Error::other("the path has no file name")))?
        .to_string_lossy()
        .into_owned();
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));

    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename(&temp)?;
        if backup == Backup::Keep && path.exists() {
            fs::copy(path, dir.join(format!("{file_name}.bak")))?;
        }
        fs::rename(&temp, path)?;
        // Make the rename itself durable; not every platform can open a directory.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(io_error)
}
