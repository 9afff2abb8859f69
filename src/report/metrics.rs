//! Metrics as people read them. A report's `metrics` is plain JSON (the simulator owns what is
//! measured), so this module lays out whatever is there by its shape — a count, a duration
//! (`_ms`), a size (`_bytes`), attempts and successes, a p50/p95/max window, a group — and
//! flattens it into figures that `compare` can put side by side. A new metric shows up in
//! every rendering without touching this file; `ORDER` and `LOWER_IS_BETTER` only refine where
//! it goes and whether less of it is good news.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// Where known keys go, at any depth: what was run first, then what a policy owner reads, then
/// what it cost; inside a window the percentiles before the counts. Unknown keys follow,
/// alphabetically.
const ORDER: &[&str] = &[
    "users",
    "days",
    "seed",
    "attack_success",
    "exposure_window",
    "revocation_latency",
    "unexpected_logouts_per_100_user_days",
    "user_days_with_unexpected_logout",
    "user_days_with_idle_logout",
    "reauth_prompts_per_100_user_days",
    "peak_concurrent_sessions",
    "peak_store_bytes",
    "events",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "samples",
    "open_ended",
    "succeeded",
    "attempts",
    "wall_ms",
    "threads",
    "events_per_second",
];

/// Top-level metrics where a smaller figure is a better policy. The others say what was run or
/// what it cost, and a change in them is neither good nor bad.
const LOWER_IS_BETTER: &[&str] = &[
    "attack_success",
    "exposure_window",
    "revocation_latency",
    "unexpected_logouts_per_100_user_days",
    "user_days_with_unexpected_logout",
    "user_days_with_idle_logout",
    "reauth_prompts_per_100_user_days",
];

/// Leaves that count observations (how many, not how good) inside a lower-is-better metric.
const NEUTRAL_LEAVES: &[&str] = &["samples", "attempts"];

fn rank(key: &str) -> usize {
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn by_order(a: &str, b: &str) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
}

/// The entries of an object in display order.
pub(crate) fn ordered(map: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut entries: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_by(|(a, _), (b, _)| by_order(a, b));
    entries
}

/// `unexpected_logouts_per_100_user_days` → `unexpected logouts per 100 user-days`; a unit
/// suffix goes, since the value carries it (`p95_ms` → `p95`).
pub(crate) fn label(key: &str) -> String {
    let key = key
        .strip_suffix("_ms")
        .or_else(|| key.strip_suffix("_bytes"))
        .unwrap_or(key);
    key.replace("user_days", "user-days").replace('_', " ")
}

/// Attempts and successes of an attack: `{"attempts": n, "succeeded": m}`.
fn attack(value: &Value) -> Option<(u64, u64)> {
    let o = value.as_object()?;
    Some((o.get("succeeded")?.as_u64()?, o.get("attempts")?.as_u64()?))
}

/// A summarised distribution of durations: it has `p50_ms`, `p95_ms` and `max_ms`.
fn is_window(value: &Value) -> bool {
    value.as_object().is_some_and(|o| {
        ["p50_ms", "p95_ms", "max_ms"]
            .iter()
            .all(|k| o.contains_key(*k))
    })
}

/// "850 ms", "1.5 s", "5 min 30 s", "2 h 5 min", "3 days 4 h": the two largest units.
pub(crate) fn duration_text(ms: f64) -> String {
    let sign = if ms < 0.0 { "-" } else { "" };
    let ms = ms.abs();
    if ms < 1000.0 {
        return format!("{sign}{} ms", number_text(ms.round()));
    }
    if ms < 59_950.0 {
        return format!("{sign}{} s", number_text((ms / 100.0).round() / 10.0));
    }
    let s = (ms / 1000.0).round() as u64;
    let units = [
        (s / 86_400, if s / 86_400 == 1 { "day" } else { "days" }),
        (s % 86_400 / 3600, "h"),
        (s % 3600 / 60, "min"),
        (s % 60, "s"),
    ];
    let first = units.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    let parts: Vec<String> = units[first..(first + 2).min(units.len())]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    format!("{sign}{}", parts.join(" "))
}

/// "512 B", "237.9 KiB", "1.2 GiB".
pub(crate) fn bytes_text(bytes: f64) -> String {
    let sign = if bytes < 0.0 { "-" } else { "" };
    let mut b = bytes.abs();
    if b < 1024.0 {
        return format!("{sign}{} B", number_text(b));
    }
    let mut unit = "B";
    for next in ["KiB", "MiB", "GiB", "TiB"] {
        if b < 1024.0 {
            break;
        }
        b /= 1024.0;
        unit = next;
    }
    format!("{sign}{b:.1} {unit}")
}

/// An integer as is, anything else with at most three decimals.
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let s = format!("{n:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A share (0 to 1) as people read it: "9.3%". Findings quoting a share use this too, so a
/// figure reads the same in the finding and in the metrics.
pub(crate) fn percent_text(rate: f64) -> String {
    format!("{}%", number_text((rate * 1000.0).round() / 10.0))
}

/// Metrics that are shares of user-days (fractions in JSON, percentages on screen).
fn is_share(key: &str) -> bool {
    key.starts_with("user_days_with_")
}

/// A number in the unit its key names.
fn quantity_text(key: &str, n: f64) -> String {
    if is_share(key) {
        percent_text(n)
    } else if key.ends_with("_ms") {
        duration_text(n)
    } else if key.ends_with("_bytes") {
        bytes_text(n)
    } else {
        number_text(n)
    }
}

fn attack_text(succeeded: u64, attempts: u64) -> String {
    if attempts == 0 {
        "not attempted".to_owned()
    } else {
        format!(
            "{succeeded} of {attempts} succeeded ({})",
            percent_text(succeeded as f64 / attempts as f64)
        )
    }
}

fn window_text(o: &Map<String, Value>) -> String {
    let n = |k: &str| o.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    if o.get("samples").and_then(Value::as_u64) == Some(0) {
        return "no samples".to_owned();
    }
    let mut text = format!(
        "p50 {} · p95 {} · max {}",
        duration_text(n("p50_ms")),
        duration_text(n("p95_ms")),
        duration_text(n("max_ms"))
    );
    let rest: Vec<String> = ordered(o)
        .into_iter()
        .filter(|(k, _)| !matches!(*k, "p50_ms" | "p95_ms" | "max_ms"))
        .map(|(k, v)| match (k, v.as_f64()) {
            ("samples", Some(s)) => format!("{} samples", number_text(s)),
            ("open_ended", Some(0.0)) => String::new(),
            ("open_ended", Some(s)) => format!("{} still open at the end", number_text(s)),
            (k, Some(s)) => format!("{} {}", label(k), quantity_text(k, s)),
            (k, None) => format!("{} {}", label(k), scalar_text(v)),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !rest.is_empty() {
        text.push_str(&format!(" ({})", rest.join(", ")));
    }
    text
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// One line of a metrics listing: a label at a depth, and a value unless it heads a group.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Line {
    pub depth: usize,
    pub label: String,
    pub value: Option<String>,
}

/// The metrics as a listing: one line per figure, groups (attack strategies) indented under
/// their heading, windows summarised on one line.
pub(crate) fn lines(metrics: &Map<String, Value>) -> Vec<Line> {
    let mut out = Vec::new();
    push_lines(metrics, 0, &mut out);
    out
}

fn push_lines(map: &Map<String, Value>, depth: usize, out: &mut Vec<Line>) {
    for (key, value) in ordered(map) {
        let text = if let Some((succeeded, attempts)) = attack(value) {
            Some(attack_text(succeeded, attempts))
        } else if let Some(o) = value.as_object().filter(|_| is_window(value)) {
            Some(window_text(o))
        } else if let Some(o) = value.as_object() {
            out.push(Line {
                depth,
                label: label(key),
                value: if o.is_empty() {
                    Some("none".to_owned())
                } else {
                    None
                },
            });
            push_lines(o, depth + 1, out);
            continue;
        } else if let Some(n) = value.as_f64() {
            Some(quantity_text(key, n))
        } else {
            Some(scalar_text(value))
        };
        out.push(Line {
            depth,
            label: label(key),
            value: text,
        });
    }
}

/// The `run` object on one line: "events per second 1234567 · threads 2 · wall 120 ms".
pub(crate) fn run_text(run: &Map<String, Value>) -> String {
    ordered(run)
        .into_iter()
        .map(|(k, v)| match v.as_f64() {
            Some(n) => format!("{} {}", label(k), quantity_text(k, n)),
            None => format!("{} {}", label(k), scalar_text(v)),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A value that can be put beside another: a number, or attempts and successes (compared by
/// their rate).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Figure {
    Number(Number),
    Attack { succeeded: u64, attempts: u64 },
    Other(Value),
}

impl Figure {
    fn of(value: &Value) -> Figure {
        if let Some((succeeded, attempts)) = attack(value) {
            Figure::Attack {
                succeeded,
                attempts,
            }
        } else if let Value::Number(n) = value {
            Figure::Number(n.clone())
        } else {
            Figure::Other(value.clone())
        }
    }

    /// The number compared: the value, or the success rate of an attack (0 to 1).
    pub(crate) fn amount(&self) -> Option<f64> {
        match self {
            Figure::Number(n) => n.as_f64(),
            Figure::Attack {
                succeeded,
                attempts,
            } => Some(if *attempts == 0 {
                0.0
            } else {
                *succeeded as f64 / *attempts as f64
            }),
            Figure::Other(_) => None,
        }
    }

    /// The figure as the JSON it came from.
    pub(crate) fn json(&self) -> Value {
        match self {
            Figure::Number(n) => Value::Number(n.clone()),
            Figure::Attack {
                succeeded,
                attempts,
            } => serde_json::json!({ "attempts": attempts, "succeeded": succeeded }),
            Figure::Other(v) => v.clone(),
        }
    }

    /// The figure for a person, in the unit its key names.
    pub(crate) fn text(&self, key: &str) -> String {
        match self {
            Figure::Number(n) => n
                .as_f64()
                .map_or_else(|| n.to_string(), |f| quantity_text(key, f)),
            Figure::Attack {
                succeeded,
                attempts,
            } => {
                if *attempts == 0 {
                    "not attempted".to_owned()
                } else {
                    format!(
                        "{} ({succeeded} of {attempts})",
                        percent_text(*succeeded as f64 / *attempts as f64)
                    )
                }
            }
            Figure::Other(v) => scalar_text(v),
        }
    }
}

/// The metrics flattened to figures, each under its path (`exposure_window.p95_ms` as
/// `["exposure_window", "p95_ms"]`), in display order.
pub(crate) fn figures(metrics: &Map<String, Value>) -> Vec<(Vec<String>, Figure)> {
    let mut out = Vec::new();
    push_figures(metrics, &mut Vec::new(), &mut out);
    out
}

fn push_figures(
    map: &Map<String, Value>,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Figure)>,
) {
    for (key, value) in ordered(map) {
        path.push(key.to_owned());
        match value.as_object() {
            Some(o) if attack(value).is_none() => push_figures(o, path, out),
            _ => out.push((path.clone(), Figure::of(value))),
        }
        path.pop();
    }
}

/// Orders two figure paths as the listing does, level by level.
pub(crate) fn path_order(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match by_order(x, y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// Whether less of the figure at `path` is better (`Some(true)`), or a change in it is neutral
/// (`None`).
pub(crate) fn lower_is_better(path: &[String]) -> Option<bool> {
    let top = path.first()?;
    let leaf = path.last()?;
    (LOWER_IS_BETTER.contains(&top.as_str()) && !NEUTRAL_LEAVES.contains(&leaf.as_str()))
        .then_some(true)
}

/// "exposure window: p95", "attack success: replay-after-logout".
pub(crate) fn path_label(path: &[String]) -> String {
    let mut parts = path.iter().map(|k| label(k));
    let head = parts.next().unwrap_or_default();
    let rest: Vec<String> = parts.collect();
    if rest.is_empty() {
        head
    } else {
        format!("{head}: {}", rest.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn durations_read_in_their_two_largest_units() {
        assert_eq!(duration_text(850.0), "850 ms");
        assert_eq!(duration_text(12_000.0), "12 s");
        assert_eq!(duration_text(1_540.0), "1.5 s");
        assert_eq!(duration_text(59_960.0), "1 min");
        assert_eq!(duration_text(330_000.0), "5 min 30 s");
        assert_eq!(duration_text(7_500_000.0), "2 h 5 min");
        assert_eq!(
            duration_text(3.0 * 86_400_000.0 + 4.0 * 3_600_000.0 + 1.0),
            "3 days 4 h"
        );
        assert_eq!(duration_text(-60_000.0), "-1 min");
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(bytes_text(512.0), "512 B");
        assert_eq!(bytes_text(243_600.0), "237.9 KiB");
    }

    #[test]
    fn a_listing_follows_the_display_order_and_summarises_windows() {
        let metrics = object(json!({
            "events": 10,
            "users": 100,
            "attack_success": { "replay": { "attempts": 4, "succeeded": 1 } },
            "exposure_window": { "samples": 4, "p50_ms": 60_000, "p95_ms": 120_000, "max_ms": 180_000, "open_ended": 1 },
            "revocation_latency": { "samples": 0, "p50_ms": 0, "p95_ms": 0, "max_ms": 0, "open_ended": 0 },
        }));
        let listed: Vec<(usize, String, Option<String>)> = lines(&metrics)
            .into_iter()
            .map(|l| (l.depth, l.label, l.value))
            .collect();
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(
            listed,
            vec![
                (0, "users".into(), text("100")),
                (0, "attack success".into(), None),
                (1, "replay".into(), text("1 of 4 succeeded (25%)")),
                (
                    0,
                    "exposure window".into(),
                    text("p50 1 min · p95 2 min · max 3 min (4 samples, 1 still open at the end)")
                ),
                (0, "revocation latency".into(), text("no samples")),
                (0, "events".into(), text("10")),
            ]
        );
    }

    #[test]
    fn figures_flatten_windows_but_keep_attacks_whole() {
        let metrics = object(json!({
            "attack_success": { "replay": { "attempts": 4, "succeeded": 1 } },
            "exposure_window": { "samples": 4, "p50_ms": 1, "p95_ms": 2, "max_ms": 3, "open_ended": 0 },
        }));
        let paths: Vec<String> = figures(&metrics).iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(
            paths,
            [
                "attack_success.replay",
                "exposure_window.p50_ms",
                "exposure_window.p95_ms",
                "exposure_window.max_ms",
                "exposure_window.samples",
                "exposure_window.open_ended",
            ]
        );
        let (_, replay) = &figures(&metrics)[0];
        assert_eq!(replay.amount(), Some(0.25));
        assert_eq!(replay.text("replay"), "25% (1 of 4)");
    }

    #[test]
    fn only_outcomes_of_a_policy_have_a_better_direction() {
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            lower_is_better(&path(&["exposure_window", "p95_ms"])),
            Some(true)
        );
        assert_eq!(
            lower_is_better(&path(&["exposure_window", "samples"])),
            None
        );
        assert_eq!(
            lower_is_better(&path(&["attack_success", "replay"])),
            Some(true)
        );
        assert_eq!(lower_is_better(&path(&["peak_store_bytes"])), None);
        assert_eq!(lower_is_better(&path(&["users"])), None);
    }
}
