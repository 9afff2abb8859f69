//! Finds where an item or a field sits in a map's source text, so validation problems found on
//! the typed `Map` can name a line and column.
//!
//! serde does not keep positions, so this scans the text the way a reader would: find the list
//! (`nodes: [`), the item in it by its id (`id: "login"`), then the field inside that item.
//! Strings and comments are skipped so a note mentioning `id:` cannot mislead it.

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

pub(crate) struct Locator<'a> {
    text: &'a str,
    /// Byte offsets of the significant characters: those outside strings and comments.
    code: Vec<bool>,
    /// Byte offset of the start of each line, so locating many places is not quadratic.
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            text,
            code: code_mask(text),
            line_starts,
        }
    }

    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        // The last line starting at or before the offset (a start just past a newline at
        // `offset` itself belongs to the next line, as in `line_column`).
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }

    /// The byte range of a top-level list such as `nodes: [ ... ]` (inside the brackets).
    pub fn list(&self, name: &str) -> Option<(usize, usize)> {
        let key = self.key(name, 0, self.text.len())?;
        let open = self.next_code_char(key + name.len(), ':')?;
        let open = self.next_code_char(open + 1, '[')?;
        let close = self.matching_close(open)?;
        Some((open + 1, close))
    }

    /// Offset of the `n`-th (0-based) item with `id: "<id>"` in a list; points at `id`.
    pub fn item(&self, list: &str, id: &str, n: usize) -> Option<usize> {
        let (start, end) = self.list(list)?;
        self.ids_in(start, end)
            .into_iter()
            .filter(|&(_, value)| value == id)
            .nth(n)
            .map(|(at, _)| at)
    }

    /// Offset of `field` inside the `n`-th item with that id; falls back to the item itself.
    pub fn field(&self, list: &str, id: &str, n: usize, field: &str) -> Option<usize> {
        let (start, end) = self.list(list)?;
        let ids = self.ids_in(start, end);
        let index = ids
            .iter()
            .enumerate()
            .filter(|(_, (_, value))| *value == id)
            .nth(n)
            .map(|(i, _)| i)?;
        let item_start = ids[index].0;
        let item_end = ids.get(index + 1).map_or(end, |&(at, _)| at);
        self.key(field, item_start, item_end).or(Some(item_start))
    }

    /// Every item id in a top-level list, with its offset, in order.
    pub fn ids(&self, list: &str) -> Vec<(usize, &'a str)> {
        self.list(list)
            .map(|(start, end)| self.ids_in(start, end))
            .unwrap_or_default()
    }

    /// Every `id: "..."` in a range, in order.
    fn ids_in(&self, start: usize, end: usize) -> Vec<(usize, &'a str)> {
        let mut out = Vec::new();
        let mut from = start;
        while let Some(at) = self.key("id", from, end) {
            from = at + 2;
            let Some(quote) = self.after_colon(at + 2, end) else {
                continue;
            };
            if self.text.as_bytes().get(quote) != Some(&b'"') {
                continue;
            }
            let rest = &self.text[quote + 1..end];
            if let Some(len) = rest.find('"') {
                out.push((at, &rest[..len]));
            }
        }
        out
    }

    /// The first offset of `name` as a field key (`name` followed by `:`) in `[from, to)`.
    fn key(&self, name: &str, from: usize, to: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut search = from;
        while search < to {
            let at = search + self.text[search..to].find(name)?;
            search = at + 1;
            let before_ok = at == 0 || !is_ident(bytes[at - 1]);
            let after = at + name.len();
            let after_ok = after >= bytes.len() || !is_ident(bytes[after]);
            if self.code[at] && before_ok && after_ok && self.after_colon_is(after, to) {
                return Some(at);
            }
        }
        None
    }

    fn after_colon_is(&self, from: usize, to: usize) -> bool {
        let rest = &self.text.as_bytes()[from..to];
        rest.iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b':')
    }

    /// Offset of the first non-space character after the `:` that follows `from`.
    fn after_colon(&self, from: usize, to: usize) -> Option<usize> {
        let colon = self.next_code_char(from, ':')?;
        let bytes = self.text.as_bytes();
        (colon + 1..to).find(|&i| !bytes[i].is_ascii_whitespace())
    }

    fn next_code_char(&self, from: usize, wanted: char) -> Option<usize> {
        let bytes = self.text.as_bytes();
        (from..bytes.len()).find(|&i| self.code[i] && bytes[i] == wanted as u8)
    }

    fn matching_close(&self, open: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            if !self.code[i] {
                continue;
            }
            match b {
                b'[' | b'(' | b'{' => depth += 1,
                b']' | b')' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Marks which bytes are code (true) rather than inside a string literal or a comment.
/// The opening quote of a string counts as code so a value can be found from its key.
fn code_mask(text: &str) -> Vec<bool> {
    let bytes = text.as_bytes();
    let mut mask = vec![true; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    mask[i] = false;
                    if bytes[i] == b'\\' && i + 1 < bytes.len() {
                        mask[i + 1] = false;
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    mask[i] = false;
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    mask[i] = false;
                    i += 1;
                }
                for m in mask.iter_mut().skip(i).take(2) {
                    *m = false;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"(
    nodes: [
        (id: "a", label: "id: \"b\"", pos: (0.0, 0.0)),
        // id: "b" in a comment
        (id: "b", label: "B", after: 3),
        (id: "b", label: "B again"),
    ],
    edges: [(id: "a", from: "a", to: "zz")],
)"#;

    #[test]
    fn finds_items_and_fields_but_not_text_in_strings_or_comments() {
        let loc = Locator::new(TEXT);
        let b = loc.item("nodes", "b", 0).map(|o| loc.line_column(o));
        assert_eq!(b, Some((5, 10)));
        let b2 = loc.item("nodes", "b", 1).map(|o| loc.line_column(o));
        assert_eq!(b2, Some((6, 10)));
        let after = loc
            .field("nodes", "b", 0, "after")
            .map(|o| loc.line_column(o));
        assert_eq!(after, Some((5, 31)));
        let to = loc.field("edges", "a", 0, "to").map(|o| loc.line_column(o));
        assert_eq!(to, Some((8, 34)));
        assert_eq!(loc.item("nodes", "zz", 0), None);
    }

    #[test]
    fn every_place_has_the_same_line_and_column_from_the_line_table_as_by_counting() {
        let text = format!("{TEXT}\n\n  // naïve café ✓\n(x: \"é\")\n");
        let loc = Locator::new(&text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(
                loc.line_column(offset),
                line_column(&text, offset),
                "at byte {offset}"
            );
        }
    }
}
