//! Text measured with the fonts the app draws with (egui's Ubuntu Light, then its emoji fonts
//! for what that lacks), so the geometry can wrap and fit text the way it will be painted and
//! exported instead of by a per-character estimate.

use std::sync::OnceLock;

/// The faces in egui's fallback order, parsed once.
fn faces() -> &'static [ttf_parser::Face<'static>] {
    static FACES: OnceLock<Vec<ttf_parser::Face<'static>>> = OnceLock::new();
    FACES.get_or_init(|| {
        [
            epaint_default_fonts::UBUNTU_LIGHT,
            epaint_default_fonts::NOTO_EMOJI_REGULAR,
            epaint_default_fonts::EMOJI_ICON,
        ]
        .into_iter()
        .filter_map(|data| ttf_parser::Face::parse(data, 0).ok())
        .collect()
    })
}

/// The advance of one character at 1 px font size: from the first face that has it, else an
/// em (what a fallback box takes).
fn advance(c: char) -> f32 {
    if c.is_control() {
        return 0.0;
    }
    for face in faces() {
        if let Some(glyph) = face.glyph_index(c)
            && let Some(advance) = face.glyph_hor_advance(glyph)
        {
            return f32::from(advance) / f32::from(face.units_per_em());
        }
    }
    1.0
}

/// How wide `text` is on one line at `size` px.
pub fn width(text: &str, size: f32) -> f32 {
    text.chars().map(advance).sum::<f32>() * size
}

/// The height of `lines` lines of text at `size` px, as the renderers space them (a line every
/// 1.25 × the size).
pub fn block_height(lines: usize, size: f32) -> f32 {
    lines as f32 * size * 1.25
}

/// Splits `text` into lines no wider than `max_width` at `size` px: at spaces where it can, inside
/// a word only where the word alone is wider than a line. Newlines in the text are kept.
pub fn wrap(text: &str, max_width: f32, size: f32) -> Vec<String> {
    let space = width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in paragraph.split_whitespace() {
            let word_width = width(word, size);
            if !line.is_empty() && line_width + space + word_width <= max_width {
                line.push(' ');
                line.push_str(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line_width = 0.0;
            for c in word.chars() {
                let w = advance(c) * size;
                if !line.is_empty() && line_width + w > max_width {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += w;
            }
        }
        lines.push(line);
    }
    lines
}

/// Text fitted into a box: its lines and the font size they are drawn at.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub lines: Vec<String>,
    pub size: f32,
}

/// Fits `text` into `max_width` × `max_height`: wrapped at `size`, or at a smaller size down to
/// `min_size` if that is what it takes; if even that is too long, the lines that fit, the last
/// ending in "…" (so the reader sees there is more, and nothing is drawn outside the box).
pub fn fit(text: &str, max_width: f32, max_height: f32, size: f32, min_size: f32) -> Fitted {
    let mut s = size;
    loop {
        let lines = wrap(text, max_width, s);
        if block_height(lines.len(), s) <= max_height {
            return Fitted { lines, size: s };
        }
        if s - 1.0 < min_size {
            break;
        }
        s -= 1.0;
    }
    let mut lines = wrap(text, max_width, s);
    let keep = ((max_height / (s * 1.25)).floor() as usize).max(1);
    lines.truncate(keep);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && width(&format!("{last}…"), s) > max_width {
            last.pop();
        }
        *last = format!("{}…", last.trim_end());
    }
    Fitted { lines, size: s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_letter_measures_wider_than_a_narrow_one() {
        assert!(width("W", 13.0) > width("i", 13.0) * 2.0);
        assert!((width("ab", 10.0) - width("a", 10.0) - width("b", 10.0)).abs() < 1e-4);
    }

    #[test]
    fn wrapped_lines_are_never_wider_than_asked() {
        let text = "Sessions here live for 30 days; supercalifragilisticexpialidocious tokens too";
        for max in [40.0, 80.0, 160.0] {
            for line in wrap(text, max, 13.0) {
                assert!(width(&line, 13.0) <= max + 0.01, "{line:?} at {max}");
            }
        }
    }

    #[test]
    fn text_too_long_for_its_box_shrinks_then_ends_in_an_ellipsis_inside_it() {
        let short = fit("two words", 200.0, 40.0, 13.0, 10.0);
        assert_eq!(short.lines, vec!["two words"]);
        assert_eq!(short.size, 13.0);
        let long = "word ".repeat(200);
        let fitted = fit(&long, 120.0, 60.0, 13.0, 10.0);
        assert_eq!(fitted.size, 10.0);
        assert!(fitted.lines.last().unwrap().ends_with('…'));
        assert!(block_height(fitted.lines.len(), fitted.size) <= 60.0);
        for line in &fitted.lines {
            assert!(width(line, fitted.size) <= 120.0);
        }
    }
}
