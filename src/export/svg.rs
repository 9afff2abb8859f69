//! SVG and PNG: the map exactly as the canvas draws it — the same [`Diagram`] geometry, shapes,
//! colours, lanes, labels and notes — with text as real text. PNG is rendered from the SVG by
//! resvg with the fonts the app itself uses (egui's bundled Ubuntu Light and emoji fonts).

use std::fmt::Write as _;

use egui::{Color32, Pos2, Rect};

use super::geometry::{self, Badge, Diagram, Shape, Theme};
use super::measure;
use crate::model::Map;
use crate::report::Finding;

/// The font stack the SVG names; the PNG renderer registers exactly these faces.
const FONT: &str = "'Ubuntu Light', Ubuntu, 'Noto Emoji', emoji, sans-serif";

/// The family of egui's icon font, which holds every group icon.
const ICON_FONT: &str = "emoji, 'Noto Emoji'";

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn color(c: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

fn pt(p: Pos2) -> String {
    format!("{:.1},{:.1}", p.x, p.y)
}

/// Writes `<text>` with one `<tspan>` per line, centred on `x` when `anchor` is "middle".
/// An `icon` goes first on the first line, in the icon font.
#[expect(
    clippy::too_many_arguments,
    reason = "one call shape for every text in the drawing"
)]
fn text_block(
    out: &mut String,
    lines: &[String],
    icon: Option<&str>,
    x: f32,
    top: f32,
    size: f32,
    fill: Color32,
    anchor: &str,
) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{:.1}" font-size="{size}" fill="{}" text-anchor="{anchor}">"#,
        top + size,
        color(fill)
    );
    for (i, line) in lines.iter().enumerate() {
        let dy = if i == 0 { 0.0 } else { size * 1.25 };
        let _ = write!(out, r#"<tspan x="{x:.1}" dy="{dy:.1}">"#);
        if let (0, Some(icon)) = (i, icon) {
            let _ = write!(
                out,
                r#"<tspan font-family="{ICON_FONT}">{}</tspan> "#,
                esc(icon)
            );
        }
        let _ = write!(out, "{}</tspan>", esc(line));
    }
    out.push_str("</text>\n");
}

/// The map as an SVG document in the given theme, with a badge on every node that one of
/// `findings` points at (pass none for a plain diagram). Text is drawn as outlines of the app's
/// own fonts, so the picture is the same on every machine whatever fonts it has; the words stay
/// in the document's `<title>` and each text's `aria-label`, for screen readers and search.
pub fn svg(map: &Map, theme: Theme, findings: &[Finding]) -> String {
    let with_text = svg_with_text(map, theme, findings);
    outlined(&with_text, &map.title).unwrap_or(with_text)
}

/// The drawing with text as `<text>` (what resvg renders into PNG with the app's fonts).
fn svg_with_text(map: &Map, theme: Theme, findings: &[Finding]) -> String {
    let d = geometry::diagram(map, theme);
    let badges = geometry::badges(&d, findings);
    svg_of(&d, &map.title, &badges)
}

/// `svg` with every `<text>` turned into glyph outlines by usvg (with the app's fonts), each
/// outline group labelled with its words; `None` if usvg cannot read it (then text stays text).
fn outlined(svg: &str, title: &str) -> Option<String> {
    // Number the texts so their words can be put back on the outlines; badges keep their
    // tooltip as a label too.
    let mut numbered = String::with_capacity(svg.len() + 64);
    let mut labels: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut rest = svg;
    while let Some(at) = rest.find("<text ") {
        numbered.push_str(&rest[..at]);
        let id = format!("w{}", labels.len());
        let _ = write!(numbered, r#"<text id="{id}" "#);
        rest = &rest[at + "<text ".len()..];
        let end = rest.find("</text>")?;
        labels.insert(id, inner_text(&rest[..end]));
    }
    numbered.push_str(rest);
    let mut rest = svg;
    while let Some(at) = rest.find(r#"<g id="finding-badge-"#) {
        rest = &rest[at + r#"<g id=""#.len()..];
        let id = &rest[..rest.find('"')?];
        let title = rest.split_once("<title>")?.1.split_once("</title>")?.0;
        labels.insert(id.to_owned(), inner_text(&format!(">{title}")));
    }
    let tree = resvg::usvg::Tree::from_str(&numbered, &font_options()).ok()?;
    let written = tree.to_string(&resvg::usvg::WriteOptions::default());
    let mut out = String::with_capacity(written.len() + svg.len() / 8);
    let mut rest = written.as_str();
    // The document's title first, as in the text version.
    let open_end = rest.find('>')? + 1;
    out.push_str(&rest[..open_end]);
    let _ = write!(out, "\n<title>{}</title>", esc(title));
    rest = &rest[open_end..];
    while let Some(at) = rest.find(r#"<g id=""#) {
        let after = at + r#"<g id=""#.len();
        let len = rest[after..].find('"')?;
        out.push_str(&rest[..after + len + 1]);
        if let Some(label) = labels.get(&rest[after..after + len]) {
            let _ = write!(out, r#" role="img" aria-label="{}""#, esc(label));
        }
        rest = &rest[after + len + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The words of a `<text>` element's content: tags dropped, entities as written (they are
/// escaped again in the label), lines joined with spaces.
fn inner_text(content: &str) -> String {
    let body = content.split_once('>').map_or(content, |(_, b)| b);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn svg_of(d: &Diagram, title: &str, badges: &[Badge]) -> String {
    let b: Rect = d.bounds;
    let c = d.colors;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="{x:.1} {y:.1} {w:.1} {h:.1}" font-family="{FONT}">"#,
        x = b.min.x,
        y = b.min.y,
        w = b.width(),
        h = b.height()
    );
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    let _ = writeln!(
        out,
        r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
        b.min.x,
        b.min.y,
        b.width(),
        b.height(),
        color(c.background)
    );
    for lane in &d.lanes {
        let r = lane.rect;
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="{}"/>"#,
            r.min.x,
            r.min.y,
            r.width(),
            r.height(),
            color(lane.fill),
            color(c.lane_stroke)
        );
        let cx = r.min.x + geometry::LANE_TITLE_WIDTH / 2.0 + 5.0;
        let cy = r.center().y;
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{cy:.1}" font-size="15" fill="{}" text-anchor="middle" transform="rotate(-90 {cx:.1} {cy:.1})">{}</text>"#,
            color(c.muted_text),
            esc(&lane.title)
        );
    }
    for e in &d.edges {
        let [a, b1, b2, z] = e.curve;
        let dash = if e.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r#"<path d="M{} C{} {} {}" fill="none" stroke="{}" stroke-width="{}"{dash}/>"#,
            pt(a),
            pt(b1),
            pt(b2),
            pt(z),
            color(e.color),
            if e.dashed { 1.2 } else { 1.6 }
        );
        let _ = writeln!(
            out,
            r#"<polygon points="{} {} {}" fill="{}"/>"#,
            pt(e.arrow[0]),
            pt(e.arrow[1]),
            pt(e.arrow[2]),
            color(e.color)
        );
        if !e.label.is_empty() {
            let w = geometry::label_size(&e.label).x - 2.0;
            let _ = writeln!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="16" rx="3" fill="{}" fill-opacity="0.9"/>"#,
                e.label_pos.x - w / 2.0,
                e.label_pos.y - 8.0,
                color(c.background)
            );
            text_block(
                &mut out,
                std::slice::from_ref(&e.label),
                None,
                e.label_pos.x,
                e.label_pos.y - 8.5,
                11.0,
                c.text,
                "middle",
            );
        }
    }
    for n in &d.nodes {
        let r = n.rect;
        let (fill, stroke) = (color(n.fill), color(n.stroke));
        match n.shape {
            Shape::Pill | Shape::Box => {
                let rx = if n.shape == Shape::Pill {
                    r.height() / 2.0
                } else {
                    8.0
                };
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{rx:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                    r.min.x,
                    r.min.y,
                    r.width(),
                    r.height()
                );
            }
            Shape::Hexagon => {
                let points: Vec<String> = geometry::hexagon(r).into_iter().map(pt).collect();
                let _ = writeln!(
                    out,
                    r#"<polygon points="{}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                    points.join(" ")
                );
            }
            Shape::Cylinder => {
                let cap = geometry::cylinder_cap(r);
                let (rx, ry) = (r.width() / 2.0, cap / 2.0);
                let (top, bottom) = (r.min.y + ry, r.max.y - ry);
                let _ = writeln!(
                    out,
                    r#"<path d="M{l:.1},{top:.1} L{l:.1},{bottom:.1} A{rx:.1},{ry:.1} 0 0 0 {rr:.1},{bottom:.1} L{rr:.1},{top:.1} Z" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                    l = r.min.x,
                    rr = r.max.x,
                );
                let _ = writeln!(
                    out,
                    r#"<ellipse cx="{:.1}" cy="{top:.1}" rx="{rx:.1}" ry="{ry:.1}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                    r.center().x
                );
            }
        }
        // The icon takes about two characters of the first line.
        let mut label = measure::wrap(&format!("MM {}", n.label), r.width() - 20.0, 14.0);
        if let Some(first) = label.first_mut() {
            *first = first.trim_start_matches("MM ").to_owned();
        }
        let summary = measure::wrap(&n.summary, r.width() - 20.0, 11.0);
        let height = label.len() as f32 * 17.5 + 2.0 + summary.len() as f32 * 13.75;
        let top = r.center().y - height / 2.0 - 2.0;
        let icon = geometry::group_icon(n.group);
        text_block(
            &mut out,
            &label,
            Some(icon),
            r.center().x,
            top,
            14.0,
            c.text,
            "middle",
        );
        let summary_top = top + label.len() as f32 * 17.5 + 2.0;
        text_block(
            &mut out,
            &summary,
            None,
            r.center().x,
            summary_top,
            11.0,
            c.muted_text,
            "middle",
        );
    }
    for note in &d.notes {
        let r = note.rect;
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="{}"/>"#,
            r.min.x,
            r.min.y,
            r.width(),
            r.height(),
            color(note.fill)
        );
        let inner = r.shrink2(geometry::NOTE_PADDING);
        text_block(
            &mut out,
            &note.fitted.lines,
            None,
            inner.min.x,
            inner.min.y,
            note.fitted.size,
            c.note_text,
            "start",
        );
    }
    for (i, badge) in badges.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<g id="finding-badge-{i}" class="finding-badge"><title>{} finding(s), worst {}</title><circle cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{}" stroke="{}" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#ffffff" text-anchor="middle">{}</text></g>"##,
            badge.count,
            badge.worst,
            badge.center.x,
            badge.center.y,
            badge.radius,
            color(badge.fill),
            color(c.background),
            badge.center.x,
            badge.center.y + 4.0,
            badge.count
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Why a PNG could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the drawing could not be read back as SVG: {0}")]
    Svg(String),
    #[error("a {0}×{1} px image is too large; choose a smaller --scale")]
    TooLarge(u32, u32),
    #[error("the image could not be encoded as PNG: {0}")]
    Encode(String),
}

/// The largest side a PNG may have (a 16k image is already ~1 GiB of pixels).
pub const MAX_PNG_SIDE: u32 = 16_384;

/// The map as a PNG at `scale` (1.0 = one pixel per scene unit), with badges as in [`svg`].
pub fn png(map: &Map, theme: Theme, scale: f32, findings: &[Finding]) -> Result<Vec<u8>, PngError> {
    render(map, theme, scale, findings)?
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}

/// The pixels [`png`] encodes: width, height and premultiplied RGBA rows (an app shows them as
/// the export's preview).
pub fn rgba(
    map: &Map,
    theme: Theme,
    scale: f32,
    findings: &[Finding],
) -> Result<(u32, u32, Vec<u8>), PngError> {
    let pixmap = render(map, theme, scale, findings)?;
    Ok((pixmap.width(), pixmap.height(), pixmap.take()))
}

/// The fonts the drawing uses, for resvg: egui's own, so text looks as it does in the app.
fn font_options() -> resvg::usvg::Options<'static> {
    let mut options = resvg::usvg::Options::default();
    let db = options.fontdb_mut();
    db.load_font_data(epaint_default_fonts::UBUNTU_LIGHT.to_vec());
    db.load_font_data(epaint_default_fonts::NOTO_EMOJI_REGULAR.to_vec());
    db.load_font_data(epaint_default_fonts::EMOJI_ICON.to_vec());
    db.set_sans_serif_family("Ubuntu Light");
    options
}

fn render(
    map: &Map,
    theme: Theme,
    scale: f32,
    findings: &[Finding],
) -> Result<resvg::tiny_skia::Pixmap, PngError> {
    let svg = svg_with_text(map, theme, findings);
    let tree = resvg::usvg::Tree::from_str(&svg, &font_options())
        .map_err(|e| PngError::Svg(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil().max(1.0) as u32,
        (size.height() * scale).ceil().max(1.0) as u32,
    );
    if w > MAX_PNG_SIDE || h > MAX_PNG_SIDE {
        return Err(PngError::TooLarge(w, h));
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).ok_or(PngError::TooLarge(w, h))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}
