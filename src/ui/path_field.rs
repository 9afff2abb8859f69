//! A file path typed in the window, with "Browse…" for the system's file dialog. The field is
//! always there: on a desktop where the system dialog cannot open (no XDG file-chooser portal,
//! a bare X server) saving, opening and exporting still work, and the window says why the
//! system dialog gave nothing instead of silently doing nothing.

use std::path::{Path, PathBuf};

/// A path field and what it is for.
#[derive(Clone, Debug)]
pub struct PathField {
    pub text: String,
    /// Why the system dialog gave no file, if it did not.
    pub note: Option<String>,
    save: bool,
    filter: (&'static str, &'static str),
}

impl PathField {
    /// A field for a file to write, prefilled with `suggested`.
    pub fn for_save(suggested: &Path, filter: (&'static str, &'static str)) -> Self {
        PathField {
            text: suggested.display().to_string(),
            note: None,
            save: true,
            filter,
        }
    }

    /// A field for a file to read, prefilled with a folder to start from.
    pub fn for_open(folder: &Path, filter: (&'static str, &'static str)) -> Self {
        let mut text = folder.display().to_string();
        if !text.is_empty() && !text.ends_with(std::path::MAIN_SEPARATOR) {
            text.push(std::path::MAIN_SEPARATOR);
        }
        PathField {
            text,
            note: None,
            save: false,
            filter,
        }
    }

    /// The typed path, with a leading `~` expanded; `None` when nothing usable is typed.
    pub fn path(&self) -> Option<PathBuf> {
        let text = self.text.trim();
        if text.is_empty() || text.ends_with(['/', '\\']) {
            return None;
        }
        match text.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME").map(|home| Path::new(&home).join(rest)),
            None => Some(PathBuf::from(text)),
        }
    }

    /// Replaces the extension of the file name typed (an export whose format changed).
    pub fn set_extension(&mut self, extension: &str) {
        if let Some(path) = self.path() {
            self.text = path.with_extension(extension).display().to_string();
        }
    }

    /// The file type the system dialog offers.
    pub fn set_filter(&mut self, filter: (&'static str, &'static str)) {
        self.filter = filter;
    }

    /// Draws the field and the Browse button; returns whether Enter was pressed in the field.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut submitted = false;
        ui.horizontal(|ui| {
            let label = ui.label("File");
            let width = (ui.available_width() - 90.0).max(200.0);
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.text).desired_width(width))
                .labelled_by(label.id);
            submitted = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .button("Browse…")
                .on_hover_text("Choose the file in the system's file dialog")
                .clicked()
            {
                self.browse();
            }
        });
        if let Some(note) = &self.note {
            ui.label(egui::RichText::new(note).weak());
        }
        submitted
    }

    /// Asks the system's file dialog; a cancelled or missing dialog leaves the field as typed
    /// and says so.
    fn browse(&mut self) {
        let current = self.path();
        let mut dialog = rfd::FileDialog::new().add_filter(self.filter.0, &[self.filter.1]);
        if let Some(folder) = current
            .as_deref()
            .and_then(Path::parent)
            .filter(|p| p.is_dir())
            .or_else(|| Some(Path::new(self.text.trim())).filter(|p| p.is_dir()))
        {
            dialog = dialog.set_directory(folder);
        }
        let chosen = if self.save {
            if let Some(name) = current.as_deref().and_then(Path::file_name) {
                dialog = dialog.set_file_name(name.to_string_lossy());
            }
            dialog.save_file()
        } else {
            dialog.pick_file()
        };
        match chosen {
            Some(path) => {
                self.text = path.display().to_string();
                self.note = None;
            }
            None => {
                self.note = Some(
                    "The system file dialog gave no file: it was cancelled, or it cannot open on \
                     this desktop. Type the path above instead."
                        .to_owned(),
                );
            }
        }
    }
}

/// The folder new files go to: the document's own folder, else the working folder.
pub fn default_folder(document: Option<&Path>) -> PathBuf {
    document
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_path_is_used_as_typed_and_a_folder_alone_is_not_a_file() {
        let field = PathField::for_save(Path::new("/tmp/maps/shop.ron"), ("map", "ron"));
        assert_eq!(field.path(), Some(PathBuf::from("/tmp/maps/shop.ron")));
        let open = PathField::for_open(Path::new("/tmp/maps"), ("map", "ron"));
        assert_eq!(open.text, format!("/tmp/maps{}", std::path::MAIN_SEPARATOR));
        assert_eq!(open.path(), None);
    }

    #[test]
    fn changing_the_format_changes_the_extension_typed() {
        let mut field = PathField::for_save(Path::new("out/shop.svg"), ("SVG", "svg"));
        field.set_extension("png");
        assert_eq!(field.path(), Some(PathBuf::from("out/shop.png")));
    }

    #[test]
    fn new_files_go_beside_the_document_or_in_the_working_folder() {
        assert_eq!(
            default_folder(Some(Path::new("/home/a/maps/shop.ron"))),
            PathBuf::from("/home/a/maps")
        );
        assert_eq!(
            default_folder(Some(Path::new("shop.ron"))),
            std::env::current_dir().expect("a working folder")
        );
    }
}
