//! Consistency checks on a map: every problem at once, each with its place in the file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::Locator;
use super::{Behaviour, Credential, Group, Location, Map, NodeKind, Span, TokenKind, Trigger};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The map is inconsistent: `validate` fails.
    Error,
    /// The map works but something in it has no effect.
    Warning,
}

/// One problem found in a map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    pub file: Option<PathBuf>,
    /// 1-based line and column, when the map came from text.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The id of the node, edge, lane or persona concerned.
    pub subject: Option<String>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, "{line}:{column}:")?;
        }
        if self.file.is_some() || self.line.is_some() {
            f.write_str(" ")?;
        }
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: {}", self.message)
    }
}

/// Checks a map that did not come from a file (edited in the app, built in code).
pub fn validate(map: &Map) -> Vec<Diagnostic> {
    validate_with_source(map, None, None)
}

/// Where in the file a problem sits: a list, an item in it by id (n-th with that id), a field.
struct Place<'s> {
    list: &'static str,
    id: &'s str,
    nth: usize,
    field: Option<&'static str>,
}

struct Checker<'a> {
    locator: Option<Locator<'a>>,
    file: Option<&'a Path>,
    out: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn report(&mut self, level: Level, place: Option<Place<'_>>, message: String) {
        let offset = match (&self.locator, &place) {
            (Some(loc), Some(p)) => match p.field {
                Some(field) => loc.field(p.list, p.id, p.nth, field),
                None => loc.item(p.list, p.id, p.nth),
            }
            .or_else(|| loc.list(p.list).map(|(start, _)| start.saturating_sub(1)))
            .or(Some(0)),
            (Some(_), None) => Some(0),
            _ => None,
        };
        let (line, column) = match (offset, &self.locator) {
            (Some(o), Some(loc)) => {
                let (l, c) = loc.line_column(o);
                (Some(l), Some(c))
            }
            _ => (None, None),
        };
        self.out.push(Diagnostic {
            level,
            message,
            file: self.file.map(Path::to_owned),
            line,
            column,
            subject: place.map(|p| p.id.to_owned()),
        });
    }

    fn error(&mut self, place: Place<'_>, message: String) {
        self.report(Level::Error, Some(place), message);
    }

    fn check_span(&mut self, place: Place<'_>, what: &str, span: Span) {
        if !span.is_positive() {
            let id = place.id.to_owned();
            self.error(
                place,
                format!("`{id}`: {what} is {span}; expected a duration greater than zero"),
            );
        }
    }
}

fn place<'s>(
    list: &'static str,
    id: &'s str,
    nth: usize,
    field: Option<&'static str>,
) -> Place<'s> {
    Place {
        list,
        id,
        nth,
        field,
    }
}

/// Counts ids as they are seen, so the n-th duplicate is located at its own line.
#[derive(Default)]
struct Seen<'m>(HashMap<&'m str, usize>);

impl<'m> Seen<'m> {
    /// Returns how many times `id` was seen before.
    fn see(&mut self, id: &'m str) -> usize {
        let count = self.0.entry(id).or_insert(0);
        *count += 1;
        *count - 1
    }
}

pub(super) fn validate_with_source(
    map: &Map,
    source: Option<&str>,
    file: Option<&Path>,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        locator: source.map(Locator::new),
        file,
        out: Vec::new(),
    };

    let lanes: HashSet<&str> = map.lanes.iter().map(|l| l.id.as_str()).collect();
    let mut seen = Seen::default();
    for lane in &map.lanes {
        let nth = seen.see(lane.id.as_str());
        if nth > 0 {
            c.error(
                place("lanes", lane.id.as_str(), nth, None),
                format!("duplicate lane id `{}`", lane.id),
            );
        }
        // Written so that NaN is refused too.
        if lane.height.is_nan() || lane.height <= 0.0 {
            c.error(
                place("lanes", lane.id.as_str(), nth, Some("height")),
                format!(
                    "lane `{}` has height {}; expected a height greater than zero",
                    lane.id, lane.height
                ),
            );
        }
    }

    let nodes: HashSet<&str> = map.nodes.iter().map(|n| n.id.as_str()).collect();
    let mut seen = Seen::default();
    for node in &map.nodes {
        let id = node.id.as_str();
        let nth = seen.see(id);
        if nth > 0 {
            c.error(
                place("nodes", id, nth, None),
                format!("duplicate node id `{id}`"),
            );
        }
        if id.is_empty() {
            c.error(
                place("nodes", id, nth, None),
                "a node has an empty id".to_owned(),
            );
        }
        if let Some(lane) = &node.lane
            && !lanes.contains(lane.as_str())
        {
            c.error(
                place("nodes", id, nth, Some("lane")),
                format!("node `{id}` is in lane `{lane}`, which the map does not define; expected one of: {}", list(&lanes)),
            );
        }
        for (field, span) in node.kind.spans() {
            c.check_span(place("nodes", id, nth, Some(field)), field, span);
        }
    }

    let mut seen = Seen::default();
    for edge in &map.edges {
        let id = edge.id.as_str();
        let nth = seen.see(id);
        if nth > 0 {
            c.error(
                place("edges", id, nth, None),
                format!("duplicate edge id `{id}`"),
            );
        }
        for (field, end) in [("from", &edge.from), ("to", &edge.to)] {
            if !nodes.contains(end.as_str()) {
                c.error(
                    place("edges", id, nth, Some(field)),
                    format!("edge `{id}` goes {field} node `{end}`, which does not exist"),
                );
            }
        }
        if let Trigger::After(span) = edge.trigger {
            c.check_span(
                place("edges", id, nth, Some("trigger")),
                "its trigger delay",
                span,
            );
        }
    }

    // A timeout governs the stages it is attached to; one attached to nothing governs nothing.
    for node in map
        .nodes
        .iter()
        .filter(|n| n.kind.group() == Group::Timeout)
    {
        let attached = map
            .edges
            .iter()
            .any(|e| e.trigger == Trigger::Attach && (e.from == node.id || e.to == node.id));
        if !attached {
            c.report(
                Level::Warning,
                Some(place("nodes", node.id.as_str(), 0, None)),
                format!(
                    "timeout `{}` is attached to nothing, so it governs no stage; drag from it onto a stage to attach it (a dashed line)",
                    node.id
                ),
            );
        }
    }

    drawn_twice(&mut c, map);

    let mut seen = Seen::default();
    for note in &map.notes {
        let nth = seen.see(note.id.as_str());
        if nth > 0 {
            c.error(
                place("notes", note.id.as_str(), nth, None),
                format!("duplicate note id `{}`", note.id),
            );
        }
    }

    let mut seen = Seen::default();
    for persona in &map.personas {
        let id = persona.id.as_str();
        let nth = seen.see(id);
        let at = |field| place("personas", id, nth, Some(field));
        if nth > 0 {
            c.error(
                place("personas", id, nth, None),
                format!("duplicate persona id `{id}`"),
            );
        }
        if let Some(lane) = &persona.lane
            && !lanes.contains(lane.as_str())
        {
            c.error(
                at("lane"),
                format!("persona `{id}` walks lane `{lane}`, which the map does not define; expected one of: {}", list(&lanes)),
            );
        }
        c.check_span(at("think_time"), "think_time", persona.think_time);
        for behaviour in &persona.behaviours {
            match *behaviour {
                Behaviour::WalksAway { pause } => c.check_span(at("pause"), "pause", pause),
                Behaviour::ChangesPassword { every } => c.check_span(at("every"), "every", every),
                _ => {}
            }
        }
        let hours = persona.active_hours;
        if hours.start >= 24 || hours.end > 24 || hours.start >= hours.end {
            c.error(
                at("active_hours"),
                format!(
                    "persona `{id}` is active from {} to {}; expected 0 <= start < end <= 24",
                    hours.start, hours.end
                ),
            );
        }
        if !(1..=7).contains(&persona.days_per_week) {
            c.error(
                at("days_per_week"),
                format!(
                    "persona `{id}` is active {} days a week; expected 1 to 7",
                    persona.days_per_week
                ),
            );
        }
        if persona.visits_per_day == 0 {
            c.error(
                at("visits_per_day"),
                format!("persona `{id}` never visits; expected at least 1 visit a day"),
            );
        }
        if persona.devices.is_empty() {
            c.error(
                at("devices"),
                format!("persona `{id}` has no device; expected at least one"),
            );
        }
    }
    let total_share: u64 = map.personas.iter().map(|p| u64::from(p.share)).sum();
    if total_share == 0 {
        let message = if map.personas.is_empty() {
            "the population is empty: add at least one persona so the map can be simulated"
        } else {
            "the population is empty: every persona has a share of 0"
        };
        let first = map.personas.first().map(|p| p.id.as_str());
        c.report(
            Level::Error,
            Some(place(
                "personas",
                first.unwrap_or(""),
                0,
                first.map(|_| "share"),
            )),
            message.to_owned(),
        );
        // An empty population has no subject of its own.
        if let Some(last) = c.out.last_mut() {
            last.subject = None;
        }
    }

    c.out
}

/// Values drawn twice that disagree: a remember-me cookie's Max-Age against the remember-me
/// lifetime node, and an access token's lifetime against the delay on the edge that renews it.
/// The map still loads (each node says what it says); the warning points at the second value.
fn drawn_twice(c: &mut Checker<'_>, map: &Map) {
    let lifetimes: Vec<(&str, Span)> = map
        .nodes
        .iter()
        .filter_map(|n| match n.kind {
            NodeKind::RememberMeLifetime { after } => Some((n.id.as_str(), after)),
            _ => None,
        })
        .collect();
    for node in &map.nodes {
        let NodeKind::ClientStorage {
            holds: Credential::RememberMeToken,
            location: Location::Cookie(cookie),
        } = &node.kind
        else {
            continue;
        };
        let Some(max_age) = cookie.max_age else {
            continue;
        };
        for &(lifetime_id, after) in &lifetimes {
            if after.as_seconds() != max_age.as_seconds() {
                c.report(
                    Level::Warning,
                    Some(place("nodes", node.id.as_str(), 0, Some("max_age"))),
                    format!(
                        "`{}`: the remember-me cookie's Max-Age is {max_age}, but the remember-me \
                         lifetime `{lifetime_id}` says {after}; the browser keeps the cookie for \
                         one while the server honours the token for the other — draw one value \
                         (make them equal)",
                        node.id
                    ),
                );
            }
        }
    }

    let access: Vec<(&str, Span)> = map
        .nodes
        .iter()
        .filter_map(|n| match n.kind {
            NodeKind::TokenLifetime {
                token: TokenKind::Access,
                after,
            } => Some((n.id.as_str(), after)),
            _ => None,
        })
        .collect();
    let refreshes: HashSet<&str> = map
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::TokenRefresh { .. }))
        .map(|n| n.id.as_str())
        .collect();
    for edge in &map.edges {
        let Trigger::After(delay) = edge.trigger else {
            continue;
        };
        if !refreshes.contains(edge.to.as_str()) {
            continue;
        }
        for &(lifetime_id, after) in &access {
            if delay.as_seconds() > after.as_seconds() {
                c.report(
                    Level::Warning,
                    Some(place("edges", edge.id.as_str(), 0, Some("trigger"))),
                    format!(
                        "edge `{}` renews the access token after {delay}, but its lifetime \
                         `{lifetime_id}` is {after}: the token expires before it is renewed, so \
                         requests in between are refused — renew before it expires, or draw the \
                         lifetime the application really uses",
                        edge.id
                    ),
                );
            }
        }
    }
}

fn list(ids: &HashSet<&str>) -> String {
    if ids.is_empty() {
        return "(no lanes defined)".to_owned();
    }
    let mut ids: Vec<_> = ids.iter().copied().collect();
    ids.sort_unstable();
    ids.join(", ")
}
