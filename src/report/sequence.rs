//! A finding's evidence as a Mermaid `sequenceDiagram`: who did what, when in virtual time, and
//! what the engine answered — the trace a workshop reads aloud. The user acts through a
//! `Browser`; attackers, operators and the identity provider talk to the `Server` (the engine)
//! directly; the engine's answer is a reply arrow, crossed when it refused. Drawn facts and what
//! the engine does on its own are notes over the `Server`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::compile::human;
use std::collections::BTreeMap;

use crate::model::NodeId;
use crate::report::{Finding, Step};

/// A longer trace keeps its first and last steps and says how many were left out, so the
/// diagram stays short enough to read aloud. The full list is in the report's evidence.
const MAX_STEPS: usize = 24;

/// Who a step's `actor` is, as the diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Who {
    User,
    Attacker,
    Admin,
    Idp,
    /// The engine acting on its own (a sweep, a timer): a note over the server.
    Engine,
    /// A fact read from the map: a note over the server.
    Drawing,
    /// Anyone else, drawn as a participant named after the actor.
    Other(String),
}

impl Who {
    fn of(actor: &str) -> Who {
        match actor.trim().to_lowercase().as_str() {
            "user" => Who::User,
            "attacker" => Who::Attacker,
            "admin" | "operator" => Who::Admin,
            "idp" => Who::Idp,
            "engine" | "server" => Who::Engine,
            "drawing" => Who::Drawing,
            _ => Who::Other(actor.trim().to_owned()),
        }
    }
}

/// The participants a trace needs, declared left to right before the first arrow.
struct Cast {
    user: bool,
    idp: bool,
    admin: bool,
    attacker: bool,
    /// Other actors' names, in order of first appearance; the i-th is participant `Actor{i+1}`.
    others: Vec<String>,
}

impl Cast {
    fn of(steps: &[Step]) -> Cast {
        let mut cast = Cast {
            user: false,
            idp: false,
            admin: false,
            attacker: false,
            others: Vec::new(),
        };
        for step in steps {
            match Who::of(&step.actor) {
                Who::User => cast.user = true,
                Who::Attacker => cast.attacker = true,
                Who::Admin => cast.admin = true,
                Who::Idp => cast.idp = true,
                Who::Engine | Who::Drawing => {}
                Who::Other(name) => {
                    if !cast.others.contains(&name) {
                        cast.others.push(name);
                    }
                }
            }
        }
        cast
    }

    /// Declaration lines (keyword, id, alias), left to right: the user and their browser, the
    /// server, then everyone who talks to the server directly, the attacker last.
    fn declarations(&self) -> Vec<(&'static str, String, Option<String>)> {
        let mut out = Vec::new();
        if self.user {
            out.push(("actor", "User".to_owned(), None));
            out.push(("participant", "Browser".to_owned(), None));
        }
        out.push(("participant", "Server".to_owned(), None));
        if self.idp {
            out.push(("participant", "IdP".to_owned(), None));
        }
        if self.admin {
            out.push(("actor", "Admin".to_owned(), None));
        }
        for (i, name) in self.others.iter().enumerate() {
            out.push(("participant", format!("Actor{}", i + 1), Some(escape(name))));
        }
        if self.attacker {
            out.push(("actor", "Attacker".to_owned(), None));
        }
        out
    }

    /// The participant id of an actor who sends requests (not the engine, not the drawing).
    fn id(&self, who: &Who) -> String {
        match who {
            Who::User => "User".to_owned(),
            Who::Attacker => "Attacker".to_owned(),
            Who::Admin => "Admin".to_owned(),
            Who::Idp => "IdP".to_owned(),
            Who::Engine | Who::Drawing => "Server".to_owned(),
            Who::Other(name) => {
                let i = self.others.iter().position(|n| n == name).unwrap_or(0);
                format!("Actor{}", i + 1)
            }
        }
    }
}

/// Text for a sequence-diagram message, note or alias. Mermaid reads such text up to the first
/// `#`, `;` or line end, after decoding `#name;` and `#123;` entity codes, and breaks lines at
/// `<br/>`: so those characters, quotes, angle brackets, ampersands and `%` (comments) become
/// entity codes and a line break becomes `<br/>`. A colon is encoded unless a space follows it:
/// Mermaid's pre-pass drops the last `;` of a line where `style` or `classDef` is followed by `:`,
/// non-spaces and `#`, and a message starting `wrap:` or `nowrap:` would be read as a directive.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '%' => out.push_str("#37;"),
            ':' if !matches!(chars.peek(), Some(' ' | '\t'))
                || out.to_ascii_lowercase().ends_with("wrap") =>
            {
                out.push_str("#58;");
            }
            '\n' => out.push_str("<br/>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A virtual time: `day 0 09:14` (seconds only when there are some); 0 ms is `day 0 00:00`.
fn clock(ms: u64) -> String {
    let s = ms / 1000;
    let (day, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if sec == 0 {
        format!("day {day} {h:02}:{m:02}")
    } else {
        format!("day {day} {h:02}:{m:02}:{sec:02}")
    }
}

/// When a step happened, with the time since the step before it: `day 0 09:19 (+5 min)`.
fn when(at_ms: Option<u64>, previous: Option<u64>) -> Option<String> {
    let at = at_ms?;
    let mut out = clock(at);
    if let Some(before) = previous
        && at.saturating_sub(before) >= 1000
    {
        let _ = write!(out, " (+{})", human(Duration::from_millis(at - before)));
    }
    Some(out)
}

/// Whether the engine said no. The simulator words a refusal `refused: <reason>`; the other
/// verbs are there so hand-written traces read right too.
fn refused(outcome: &str) -> bool {
    let first = outcome
        .trim_start()
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    matches!(
        first.as_str(),
        "refused" | "rejected" | "denied" | "blocked" | "failed" | "expired" | "invalid"
    )
}

/// A message or note body: the time on its own line above the (escaped) text. Never empty,
/// because Mermaid wants some text after the colon.
fn body(when: Option<&str>, text: &str) -> String {
    let text = if text.trim().is_empty() {
        "…".to_owned()
    } else {
        escape(text)
    };
    match when {
        Some(when) => format!("{when}<br/>{text}"),
        None => text,
    }
}

/// A finding's evidence as a Mermaid sequence diagram. Each step is an arrow from its actor
/// (through the `Browser` for the user) to the `Server`, labelled with the virtual time and the
/// action, and the engine's answer as a reply arrow — `-->>` when accepted, `--x` when refused.
/// Steps of the engine itself and drawn facts (static findings) are notes over the `Server`.
pub fn sequence_diagram(finding: &Finding, labels: &BTreeMap<NodeId, String>) -> String {
    let steps = &finding.evidence;
    let cast = Cast::of(steps);
    let declared = cast.declarations();
    let mut out = String::from("sequenceDiagram\n");
    for (keyword, id, alias) in &declared {
        match alias {
            Some(alias) => {
                let _ = writeln!(out, "    {keyword} {id} as {alias}");
            }
            None => {
                let _ = writeln!(out, "    {keyword} {id}");
            }
        }
    }
    // A note across the whole diagram: from the leftmost to the rightmost participant.
    let across = match (declared.first(), declared.last()) {
        (Some((_, first, _)), Some((_, last, _))) if first != last => format!("{first},{last}"),
        _ => "Server".to_owned(),
    };
    if steps.is_empty() {
        let _ = writeln!(out, "    Note over {across}: no steps recorded");
        return out;
    }
    let (head, tail): (&[Step], &[Step]) = if steps.len() > MAX_STEPS {
        (
            &steps[..MAX_STEPS / 2],
            &steps[steps.len() - MAX_STEPS / 2..],
        )
    } else {
        (steps, &[])
    };
    let mut previous = None;
    for step in head {
        write_step(&mut out, &cast, labels, step, previous);
        previous = step.at_ms.or(previous);
    }
    if !tail.is_empty() {
        let left_out = steps.len() - head.len() - tail.len();
        let _ = writeln!(
            out,
            "    Note over {across}: … {left_out} more steps (listed in the report) …"
        );
        // A gap measured across the steps left out would read as the time between two arrows.
        previous = None;
        for step in tail {
            write_step(&mut out, &cast, labels, step, previous);
            previous = step.at_ms.or(previous);
        }
    }
    out
}

fn write_step(
    out: &mut String,
    cast: &Cast,
    labels: &BTreeMap<NodeId, String>,
    step: &Step,
    previous: Option<u64>,
) {
    let when = when(step.at_ms, previous);
    let when = when.as_deref();
    let place = step
        .node
        .as_ref()
        .map(|id| labels.get(id).map_or(id.as_str(), String::as_str));
    let who = Who::of(&step.actor);
    let reply = |out: &mut String, to: &str| {
        if step.outcome.trim().is_empty() {
            return;
        }
        let arrow = if refused(&step.outcome) {
            "--x"
        } else {
            "-->>"
        };
        let _ = writeln!(out, "    Server{arrow}{to}: {}", body(None, &step.outcome));
    };
    match who {
        Who::Engine | Who::Drawing => {
            let mut text = match place {
                Some(place) => format!("{place}: {}", step.action),
                None => step.action.clone(),
            };
            if !step.outcome.trim().is_empty() {
                let _ = write!(text, " → {}", step.outcome);
            }
            let _ = writeln!(out, "    Note over Server: {}", body(when, &text));
        }
        Who::User => {
            let _ = writeln!(out, "    User->>Browser: {}", body(when, &step.action));
            let _ = writeln!(
                out,
                "    Browser->>Server: {}",
                body(None, place.unwrap_or("request"))
            );
            reply(out, "Browser");
        }
        Who::Attacker | Who::Admin | Who::Idp | Who::Other(_) => {
            let id = cast.id(&who);
            let text = match place {
                Some(place) => format!("{} (at {place})", step.action),
                None => step.action.clone(),
            };
            let _ = writeln!(out, "    {id}->>Server: {}", body(when, &text));
            reply(out, &id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_reads_as_day_and_clock() {
        assert_eq!(clock(0), "day 0 00:00");
        assert_eq!(clock((9 * 3600 + 14 * 60) * 1000), "day 0 09:14");
        assert_eq!(clock((86_400 + 5) * 1000 + 250), "day 1 00:00:05");
        assert_eq!(
            when(Some(600_000), Some(300_000)).as_deref(),
            Some("day 0 00:10 (+5 min)")
        );
        assert_eq!(when(Some(1), Some(0)).as_deref(), Some("day 0 00:00"));
        assert_eq!(when(None, Some(0)), None);
    }

    #[test]
    fn refusals_are_told_apart_from_acceptances() {
        assert!(refused("refused: session expired (idle)"));
        assert!(refused("  Rejected — bad signature"));
        assert!(!refused("accepted as user 17"));
        assert!(!refused("session ended"));
    }

    #[test]
    fn escaping_leaves_nothing_mermaid_reads_as_syntax() {
        assert_eq!(
            escape("a;b#c \"d\" <e> & 50%"),
            "a#59;b#35;c #quot;d#quot; #lt;e#gt; #amp; 50#37;"
        );
        assert_eq!(escape("refused: idle"), "refused: idle");
        assert_eq!(escape("style:x"), "style#58;x");
        assert_eq!(escape("wrap: x"), "wrap#58; x");
        assert_eq!(escape("one\r\ntwo:"), "one<br/>two#58;");
    }
}
