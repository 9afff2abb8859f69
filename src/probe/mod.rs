//! `sessionmap probe`: the drawing checked against a running application. A target file binds
//! the map to real requests (sign in, a protected page and how to tell "signed in", sign out);
//! the probe plays the same scenes the simulator plays against the engine — a replay after
//! logout, a pre-login id kept through sign-in, the cookie as actually sent, a sample of fresh
//! ids — over HTTP, records every exchange (secrets masked) as the evidence, and says for each
//! drawn setting it checked whether the application **matches the drawing** or **drifts** from
//! it. Findings use the catalogue's ids, so a probe report reads like a simulation's.
//!
//! Safety: only the target's origin is contacted, a non-loopback origin needs `allow_remote`,
//! every request counts against `max_requests`, and requests are spaced by the rate limit.

mod account;
mod concurrency;
mod http;
mod waits;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use http::Origin;
use http::{Request, Response};

use crate::compile::{self, Op, Plan, Profile, Setting};
use crate::engine::{self as e, SetCookie};
use crate::model::{Map, NodeId};
use crate::report::{Finding, Gap, Step};

/// How the target file binds the map to the application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The application's origin, `http://host:port`.
    pub base_url: String,
    /// The create-session node of the flow to check (default: the map's first flow).
    #[serde(default)]
    pub flow: Option<String>,
    /// Signing in: a form post whose fields come from environment variables.
    pub login: Call,
    /// A page that fetches a fresh pre-login session id, if the application issues one (the
    /// login page, usually).
    #[serde(default)]
    pub login_page: Option<Call>,
    /// A request only a signed-in user gets.
    pub protected: Call,
    /// How to tell "signed in" from "not" on the protected request.
    pub signed_in: SignedIn,
    /// Signing out, if drawn.
    #[serde(default)]
    pub logout: Option<Call>,
    /// Logging out of all devices, if drawn.
    #[serde(default)]
    pub logout_everywhere: Option<Call>,
    /// Signing in with "remember me" ticked, if drawn.
    #[serde(default)]
    pub remember_me: Option<RememberMe>,
    /// Marks the account `login` signs in as a throwaway test account: only then does the probe
    /// send requests that change it (a password change).
    #[serde(default)]
    pub throwaway_account: bool,
    /// Changing the password and changing it back, if drawn (played only on a throwaway account).
    #[serde(default)]
    pub password_change: Option<PasswordChange>,
    /// Fresh ids to collect for the id-quality check (from `login_page`).
    #[serde(default = "default_samples")]
    pub id_samples: u32,
    /// The most requests the probe may send.
    #[serde(default = "default_budget")]
    pub max_requests: u32,
    /// The most requests per second.
    #[serde(default = "default_rate")]
    pub requests_per_second: f64,
}

fn default_samples() -> u32 {
    20
}
fn default_budget() -> u32 {
    200
}
fn default_rate() -> f64 {
    10.0
}

/// One request the target file describes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    #[serde(default)]
    pub method: Method,
    pub path: String,
    /// Form fields, each a value from an environment variable or plain text. Credentials must
    /// come from the environment: a field whose name says "pass" or "secret" refuses plain text.
    #[serde(default)]
    pub form: Vec<(String, Value)>,
}

/// How the application offers "remember me".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RememberMe {
    /// The form field that ticks the box, added to `login`'s fields.
    pub field: (String, Value),
    /// The cookie that carries the remember-me token.
    pub cookie: String,
}

/// A password change and its undoing. `change` is sent by one signed-in session while another
/// is open; `restore` is then sent by the same session (if it is still signed in), so the test
/// account keeps its password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub change: Call,
    pub restore: Call,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    #[default]
    Get,
    Post,
}

/// A form value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// Read from this environment variable when the probe runs.
    Env(String),
    /// This text (not for secrets).
    Text(String),
}

/// What a signed-in answer to the protected request looks like.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SignedIn {
    /// This status code (and any other means "not signed in").
    Status(u16),
    /// A 2xx answer whose body contains this text.
    BodyContains(String),
}

/// Why a probe could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Target(String),
    #[error("{0} is not a loopback address: pass --allow-remote to probe it (and be sure you may)")]
    Remote(String),
    #[error("the request budget ({0}) is used up; raise max_requests in the target file")]
    Budget(u32),
    #[error("{0}")]
    Http(String),
}

/// How a drawn setting compares with what the application did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Matches,
    Drifts,
    NotChecked,
}

/// One drawn setting checked (or not) against the application.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub setting: String,
    pub drawn: String,
    pub observed: String,
    pub verdict: Verdict,
    /// The node whose drawing says it, if any.
    pub node: Option<NodeId>,
    /// The catalogue ids this check could have found (empty when it was not played).
    pub covers: Vec<Gap>,
}

/// What a probe found: the checks and the findings, with the exchanges as evidence.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub checks: Vec<Check>,
    pub findings: Vec<Finding>,
    /// Requests sent.
    pub requests: u32,
}

impl Outcome {
    /// The catalogue ids the checks that were played could have found: what a simulation of
    /// the same map can be compared with.
    pub fn covered(&self) -> BTreeSet<Gap> {
        self.checks
            .iter()
            .flat_map(|c| c.covers.iter().copied())
            .collect()
    }
}

/// What the command line lets the probe do beyond the target file.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The profile whose limits decide findings.
    pub profile: Profile,
    /// Whether an origin other than a loopback address may be contacted.
    pub allow_remote: bool,
    /// The longest the probe may wait for a drawn timeout to pass; a longer one is reported as
    /// not checked.
    pub max_wait: Duration,
}

/// Cookies held by one client: name and value.
type Jar = Vec<(String, String)>;

/// `jar` after a response set `cookies` (a cookie replaces the one of the same name).
fn merge(jar: &mut Jar, cookies: &[SetCookie]) {
    for c in cookies {
        jar.retain(|(n, _)| n != &c.name);
        jar.push((c.name.clone(), c.value.clone()));
    }
}

/// A commented example target file for `map`, written by `sessionmap probe --init`.
pub fn example_target(map: &Map) -> String {
    let plan = compile::compile(map);
    let flow = plan.flows.first();
    let has_logout = flow.is_some_and(|f| !f.offers.logout.is_empty());
    let create = flow.map_or_else(|| "create".to_owned(), |f| f.create.0.clone());
    format!(
        r#"// What `sessionmap probe` needs to check a running application against the map
// "{title}". Credentials come from environment variables, never from this file:
//   SM_USER=alice@example.test SM_PASSWORD=... sessionmap probe MAP --target THIS_FILE
(
    // The application's origin. Anything but a loopback address needs --allow-remote.
    base_url: "http://127.0.0.1:8080",
    // The create-session node of the flow to check.
    flow: Some("{create}"),
    // Signing in: a form post (fields from the environment, or Text("...") for non-secrets).
    login: (method: Post, path: "/login", form: [
        ("username", Env("SM_USER")),
        ("password", Env("SM_PASSWORD")),
    ]),
    // A page that hands out a session id before sign-in (for the fixation and id checks).
    login_page: Some((method: Get, path: "/login")),
    // A page only a signed-in user gets, and how to tell: Status(200) or BodyContains("...").
    protected: (method: Get, path: "/account"),
    signed_in: Status(200),
    // Signing out{logout_note}.
    logout: {logout},
{extras}    // Fresh ids sampled from login_page for the id-quality check.
    id_samples: 20,
    // Safety: the most requests in all, and per second.
    max_requests: 200,
    requests_per_second: 10.0,
)
"#,
        title = map.title.replace('"', "'"),
        logout_note = if has_logout {
            ""
        } else {
            " (the map draws none)"
        },
        logout = if has_logout {
            r#"Some((method: Post, path: "/logout"))"#
        } else {
            "None"
        },
        extras = example_extras(flow),
    )
}

/// The example target's lines for what the flow draws beyond sign-in and sign-out.
fn example_extras(flow: Option<&compile::Flow>) -> String {
    let Some(flow) = flow else {
        return String::new();
    };
    let mut out = String::new();
    if !flow.offers.logout_everywhere.is_empty() {
        out.push_str(
            r#"    // Logging out of all devices: sent by one session while another is open.
    logout_everywhere: Some((method: Post, path: "/logout-everywhere")),
"#,
        );
    }
    if !flow.offers.remember_me.is_empty() {
        out.push_str(
            r#"    // Remember-me: the form field that ticks the box, and the cookie holding the token.
    remember_me: Some((field: ("remember", Text("on")), cookie: "remember_token")),
"#,
        );
    }
    if !flow.offers.password_change.is_empty() {
        out.push_str(
            r#"    // A password change is played only on a throwaway test account: set this to true
    // only if the account above may have its password changed (the probe changes it back
    // with `restore`, sent by the same session, when that session is still signed in).
    throwaway_account: false,
    password_change: Some((
        change: (method: Post, path: "/password", form: [
            ("old_password", Env("SM_PASSWORD")),
            ("new_password", Env("SM_NEW_PASSWORD")),
        ]),
        restore: (method: Post, path: "/password", form: [
            ("old_password", Env("SM_NEW_PASSWORD")),
            ("new_password", Env("SM_PASSWORD")),
        ]),
    )),
"#,
        );
    }
    out
}

/// Reads a target file's text (RON); errors name the line and column.
pub fn parse_target(text: &str, file: &str) -> Result<Target, ProbeError> {
    let target: Target = crate::model::ron_options().from_str(text).map_err(|e| {
        ProbeError::Target(format!(
            "{file}:{}:{}: {} (see `sessionmap probe MAP --init` for an example)",
            e.span.start.line, e.span.start.col, e.code
        ))
    })?;
    let remember_field = target.remember_me.as_ref().map(|r| Call {
        method: Method::Post,
        path: target.login.path.clone(),
        form: vec![r.field.clone()],
    });
    for call in std::iter::once(&target.login)
        .chain(target.login_page.iter())
        .chain(std::iter::once(&target.protected))
        .chain(target.logout.iter())
        .chain(target.logout_everywhere.iter())
        .chain(remember_field.iter())
        .chain(
            target
                .password_change
                .iter()
                .flat_map(|p| [&p.change, &p.restore]),
        )
    {
        if !call.path.starts_with('/') {
            return Err(ProbeError::Target(format!(
                "{file}: path `{}` must start with /",
                call.path
            )));
        }
        for (name, value) in &call.form {
            let lower = name.to_ascii_lowercase();
            if matches!(value, Value::Text(_))
                && (lower.contains("pass") || lower.contains("secret") || lower.contains("token"))
            {
                return Err(ProbeError::Target(format!(
                    "{file}: form field `{name}` holds a secret as plain text; use \
                     Env(\"VARIABLE\") and set the variable when running the probe"
                )));
            }
        }
    }
    if target.requests_per_second <= 0.0 || !target.requests_per_second.is_finite() {
        return Err(ProbeError::Target(format!(
            "{file}: requests_per_second must be a positive number"
        )));
    }
    Ok(target)
}

/// A cookie value as the evidence shows it: at most a quarter of it (four characters at most)
/// and its length, so a report never carries a usable credential.
fn mask(value: &str) -> String {
    let length = value.chars().count();
    let shown: String = value.chars().take((length / 4).min(4)).collect();
    format!("{shown}…({length} chars)")
}

/// The connection to the application: the origin, the budget, the rate limit and the log of
/// exchanges the evidence quotes.
struct Session<'t> {
    origin: Origin,
    target: &'t Target,
    sent: u32,
    started: Instant,
    last: Option<Instant>,
    log: Vec<Step>,
    env: &'t dyn Fn(&str) -> Option<String>,
}

impl Session<'_> {
    /// Sends `call` with `cookies`; records the exchange.
    fn send(&mut self, call: &Call, cookies: &[(String, String)]) -> Result<Response, ProbeError> {
        if self.sent >= self.target.max_requests {
            return Err(ProbeError::Budget(self.target.max_requests));
        }
        let gap = Duration::from_secs_f64(1.0 / self.target.requests_per_second);
        if let Some(last) = self.last {
            let since = last.elapsed();
            if since < gap {
                std::thread::sleep(gap - since);
            }
        }
        let mut form = Vec::new();
        for (name, value) in &call.form {
            let v = match value {
                Value::Text(t) => t.clone(),
                Value::Env(var) => (self.env)(var).ok_or_else(|| {
                    ProbeError::Target(format!(
                        "form field `{name}` reads the environment variable {var}, which is not set"
                    ))
                })?,
            };
            form.push((name.clone(), v));
        }
        let method = match call.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let mut headers = Vec::new();
        if !cookies.is_empty() {
            let cookie = cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            headers.push(("Cookie".to_owned(), cookie));
        }
        let request = Request {
            method: method.to_owned(),
            path: call.path.clone(),
            headers,
            form: (call.method == Method::Post).then_some(form),
        };
        self.sent += 1;
        self.last = Some(Instant::now());
        let response = http::send(&self.origin, &request, Duration::from_secs(10))
            .map_err(ProbeError::Http)?;
        let sent_cookies = if cookies.is_empty() {
            String::new()
        } else {
            format!(
                " with Cookie {}",
                cookies
                    .iter()
                    .map(|(n, v)| format!("{n}={}", mask(v)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let set: Vec<String> = response
            .all("set-cookie")
            .filter_map(|h| SetCookie::parse(h).ok())
            .map(|c| describe_set_cookie(&c))
            .collect();
        let mut outcome = format!("HTTP {}", response.status);
        if let Some(location) = response.all("location").next() {
            outcome.push_str(&format!(", Location {location}"));
        }
        if !set.is_empty() {
            outcome.push_str(&format!("; Set-Cookie {}", set.join(", ")));
        }
        self.log.push(Step {
            at_ms: Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)),
            actor: "probe".to_owned(),
            action: format!("{method} {}{sent_cookies}", call.path),
            outcome,
            node: None,
        });
        Ok(response)
    }

    /// Whether the protected request with `cookies` is answered as signed in.
    fn signed_in(&mut self, cookies: &[(String, String)]) -> Result<bool, ProbeError> {
        let protected = self.target.protected.clone();
        let r = self.send(&protected, cookies)?;
        let yes = match &self.target.signed_in {
            SignedIn::Status(code) => r.status == *code,
            SignedIn::BodyContains(text) => {
                (200..300).contains(&r.status)
                    && String::from_utf8_lossy(&r.body).contains(text.as_str())
            }
        };
        if let Some(step) = self.log.last_mut() {
            step.outcome.push_str(if yes {
                " — signed in"
            } else {
                " — not signed in"
            });
        }
        Ok(yes)
    }

    /// Signs in holding `jar`; returns the jar afterwards and the cookies the sign-in set.
    fn sign_in(&mut self, jar: &Jar) -> Result<(Jar, Response), ProbeError> {
        self.sign_in_with(jar, &[])
    }

    /// Signs in holding `jar` with `extra` form fields (a ticked "remember me").
    fn sign_in_with(
        &mut self,
        jar: &Jar,
        extra: &[(String, Value)],
    ) -> Result<(Jar, Response), ProbeError> {
        let mut login = self.target.login.clone();
        login.form.extend(extra.iter().cloned());
        let response = self.send(&login, jar)?;
        let mut after = jar.clone();
        merge(&mut after, &set_cookies(&response));
        Ok((after, response))
    }

    /// The error for a sign-in that did not take, with the exchanges so far.
    fn not_signed_in(&self) -> ProbeError {
        ProbeError::Target(format!(
            "after signing in, {} {} did not look signed in ({:?}): check the credentials, the \
             login call and signed_in in the target file. Exchanges:\n{}",
            match self.target.protected.method {
                Method::Get => "GET",
                Method::Post => "POST",
            },
            self.target.protected.path,
            self.target.signed_in,
            self.log
                .iter()
                .map(|st| format!("  {} -> {}", st.action, st.outcome))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    }

    /// The steps logged since `from`, placed at `node`.
    fn evidence(&self, from: usize, node: &NodeId) -> Vec<Step> {
        self.log[from..]
            .iter()
            .cloned()
            .map(|mut s| {
                s.node = Some(node.clone());
                s
            })
            .collect()
    }
}

fn describe_set_cookie(c: &SetCookie) -> String {
    if c.value.is_empty() || c.max_age == Some(Duration::ZERO) {
        return format!("{} deleted", c.name);
    }
    let mut attrs = vec![format!("{}={}", c.name, mask(&c.value))];
    if c.secure {
        attrs.push("Secure".into());
    }
    if c.http_only {
        attrs.push("HttpOnly".into());
    }
    if let Some(s) = c.same_site {
        attrs.push(format!("SameSite={s:?}"));
    }
    attrs.join("; ")
}

/// How long the response asks the browser to keep cookie `name`: its `Max-Age`, else its
/// `Expires` less the response's `Date` (or now); `None` for a cookie kept until the browser
/// closes.
fn lifetime(r: &Response, name: &str) -> Option<Duration> {
    let header = r.all("set-cookie").find(|h| {
        h.trim_start()
            .split_once('=')
            .is_some_and(|(n, _)| n.trim() == name)
    })?;
    let parsed = SetCookie::parse(header).ok()?;
    if parsed.max_age.is_some() {
        return parsed.max_age;
    }
    let date = |text: &str| {
        chrono::DateTime::parse_from_rfc2822(&text.trim().replace('-', " "))
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    };
    let expires = header.split(';').find_map(|attr| {
        let (key, value) = attr.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("expires")
            .then(|| date(value))?
    })?;
    let now = r
        .all("date")
        .next()
        .and_then(date)
        .unwrap_or_else(chrono::Utc::now);
    (expires - now).to_std().ok()
}

/// The cookies a response sets (parsed), skipping deletions.
fn set_cookies(r: &Response) -> Vec<SetCookie> {
    r.all("set-cookie")
        .filter_map(|h| SetCookie::parse(h).ok())
        .filter(|c| c.max_age != Some(Duration::ZERO) && !c.value.is_empty())
        .collect()
}

/// The flow the target names (by its create-session node), or the map's first.
fn flow<'p>(plan: &'p Plan, target: &Target) -> Result<&'p compile::Flow, ProbeError> {
    match &target.flow {
        Some(id) => plan
            .flows
            .iter()
            .find(|f| f.create.as_str() == id)
            .ok_or_else(|| {
                ProbeError::Target(format!(
                    "flow `{id}` is not a create-session node of the map (flows: {})",
                    plan.flows
                        .iter()
                        .map(|f| f.create.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
        None => plan
            .flows
            .first()
            .ok_or_else(|| ProbeError::Target("the map draws no session flow".into())),
    }
}

/// Plays the checks the map and target offer against the application. `env` reads environment
/// variables (the command line passes `std::env::var`; tests pass their own).
pub fn probe(
    map: &Map,
    target: &Target,
    options: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Outcome, ProbeError> {
    let profile = options.profile;
    let origin = Origin::parse(&target.base_url).map_err(ProbeError::Target)?;
    if !options.allow_remote && !origin.is_loopback() {
        return Err(ProbeError::Remote(target.base_url.clone()));
    }
    let plan = compile::compile(map);
    let flow = flow(&plan, target)?;
    let policy = &flow.policy;
    let source = |s: Setting| flow.sources.of(s).first().cloned();
    let mut s = Session {
        origin,
        target,
        sent: 0,
        started: Instant::now(),
        last: None,
        log: Vec::new(),
        env,
    };
    let mut checks = Vec::new();
    let mut findings = Vec::new();

    // ── Fixation: a pre-login id, presented at sign-in ──────────────────────────────────────
    let from = s.log.len();
    let pre_response = match &target.login_page {
        Some(page) => Some(s.send(page, &[])?),
        None => None,
    };
    let pre = pre_response.as_ref().map(set_cookies).unwrap_or_default();
    let pre_cookies: Vec<(String, String)> = pre
        .iter()
        .map(|c| (c.name.clone(), c.value.clone()))
        .collect();
    let (jar, login) = s.sign_in(&pre_cookies)?;
    let issued = set_cookies(&login);
    // The session cookie: the drawn name, else the first cookie the sign-in set, else (a
    // sign-in that sets none keeps the pre-login one) the pre-login cookie.
    let drawn_name = format!("{}{}", policy.cookie.prefix.as_str(), policy.cookie.name);
    let session_cookie = issued
        .iter()
        .find(|c| c.name == drawn_name)
        .or_else(|| issued.first())
        .or_else(|| pre.iter().find(|c| c.name == drawn_name))
        .or_else(|| pre.first())
        .cloned();
    if !s.signed_in(&jar)? {
        return Err(s.not_signed_in());
    }
    let create = flow.create.clone();
    let rotation_node = source(Setting::LoginRotation).unwrap_or_else(|| create.clone());
    let drawn_rotation = match policy.rotation.on_login {
        e::Rotation::KeepId => "the same id carries on",
        e::Rotation::RotateEndOld => "a fresh id, the old one ended",
        e::Rotation::RotateKeepOld => "a fresh id, the old one kept",
    };
    let pre_session = session_cookie
        .as_ref()
        .and_then(|c| pre.iter().find(|p| p.name == c.name))
        .cloned();
    match (&pre_session, &session_cookie) {
        (Some(before), Some(after)) => {
            let kept = issued.iter().all(|c| c.name != before.name) || after.value == before.value;
            let (observed, gap) = if kept {
                (
                    "the pre-login id is still the session id after sign-in".to_owned(),
                    Some(Gap::SessFixNorotate),
                )
            } else if s.signed_in(&[(before.name.clone(), before.value.clone())])? {
                (
                    "a fresh id is issued, but the pre-login id is signed in too".to_owned(),
                    Some(Gap::SessFixOldidAlive),
                )
            } else {
                (
                    "a fresh id is issued and the pre-login id is not signed in".to_owned(),
                    None,
                )
            };
            let expected_gap = match policy.rotation.on_login {
                e::Rotation::KeepId => Some(Gap::SessFixNorotate),
                e::Rotation::RotateKeepOld => Some(Gap::SessFixOldidAlive),
                e::Rotation::RotateEndOld => None,
            };
            checks.push(Check {
                setting: Setting::LoginRotation.to_string(),
                drawn: drawn_rotation.to_owned(),
                observed: observed.clone(),
                verdict: if gap == expected_gap {
                    Verdict::Matches
                } else {
                    Verdict::Drifts
                },
                node: Some(rotation_node.clone()),
                covers: vec![Gap::SessFixNorotate, Gap::SessFixOldidAlive],
            });
            if let Some(gap) = gap {
                let mut f = Finding::new(
                    gap,
                    vec![rotation_node.clone()],
                    format!(
                        "Observed on the running application: {observed}. Someone who plants \
                         an id in the victim's browser before sign-in shares the signed-in \
                         session. Issue a fresh id at sign-in and end the old one."
                    ),
                );
                f.evidence = s.evidence(from, &rotation_node);
                findings.push(f);
            }
        }
        _ => checks.push(Check {
            setting: Setting::LoginRotation.to_string(),
            drawn: drawn_rotation.to_owned(),
            observed: if target.login_page.is_none() {
                "no login_page in the target file".to_owned()
            } else {
                "the login page sets no session cookie before sign-in".to_owned()
            },
            verdict: Verdict::NotChecked,
            node: Some(rotation_node.clone()),
            covers: Vec::new(),
        }),
    }

    // ── The cookie as actually sent ─────────────────────────────────────────────────────────
    let cookie_node = source(Setting::Cookie).unwrap_or_else(|| create.clone());
    if let Some(c) = &session_cookie {
        let drawn = &policy.cookie;
        let mut missing = Vec::new();
        let mut compare = |setting: &str, drawn_v: String, seen: String, covers: Vec<Gap>| {
            checks.push(Check {
                setting: setting.to_owned(),
                verdict: if drawn_v == seen {
                    Verdict::Matches
                } else {
                    Verdict::Drifts
                },
                drawn: drawn_v,
                observed: seen,
                node: Some(cookie_node.clone()),
                covers,
            });
        };
        let yes_no = |b: bool| if b { "set" } else { "not set" }.to_owned();
        compare(
            "cookie Secure",
            yes_no(drawn.secure),
            yes_no(c.secure),
            vec![Gap::CookieFlags],
        );
        compare(
            "cookie HttpOnly",
            yes_no(drawn.http_only),
            yes_no(c.http_only),
            vec![Gap::CookieFlags],
        );
        let same_site =
            |s: Option<e::SameSite>| s.map_or_else(|| "not set".to_owned(), |s| format!("{s:?}"));
        compare(
            "cookie SameSite",
            same_site(drawn.same_site),
            same_site(c.same_site),
            vec![Gap::CookieFlags],
        );
        compare(
            "cookie name",
            drawn_name.clone(),
            c.name.clone(),
            Vec::new(),
        );
        let set_by = if issued.iter().any(|i| i.name == c.name) {
            Some(&login)
        } else {
            pre_response.as_ref()
        };
        checks.push(waits::cookie_lifetime(
            drawn.max_age,
            set_by.and_then(|r| lifetime(r, &c.name)),
            &cookie_node,
        ));
        if !c.secure {
            missing.push("Secure");
        }
        if !c.http_only {
            missing.push("HttpOnly");
        }
        if c.same_site.is_none() {
            missing.push("SameSite");
        }
        if !missing.is_empty() {
            let mut f = Finding::new(
                Gap::CookieFlags,
                vec![cookie_node.clone()],
                format!(
                    "The running application sends the session cookie {} without {}.",
                    c.name,
                    missing.join(", ")
                ),
            );
            f.evidence = s.evidence(from, &cookie_node);
            findings.push(f);
        }
    }

    // ── Logout, then the old cookie again ───────────────────────────────────────────────────
    let logout_node = flow.offers.logout.first().cloned();
    match (&target.logout, &logout_node) {
        (Some(call), Some(node)) => {
            let from = s.log.len();
            let call = call.clone();
            s.send(&call, &jar)?;
            let still = s.signed_in(&jar)?;
            let drawn = match plan.ops.of(node) {
                Op::Logout(endpoint) => endpoint.invalidation,
                _ => policy.logout.invalidation,
            };
            let drawn_text = match drawn {
                e::LogoutInvalidation::ServerSide => "the server ends the session",
                e::LogoutInvalidation::ClientOnly => "only the browser forgets the cookie",
            };
            let observed = if still {
                "the cookie from before sign-out is still signed in"
            } else {
                "the cookie from before sign-out is refused"
            };
            checks.push(Check {
                setting: Setting::LogoutInvalidation.to_string(),
                drawn: drawn_text.to_owned(),
                observed: observed.to_owned(),
                verdict: if still == (drawn == e::LogoutInvalidation::ClientOnly) {
                    Verdict::Matches
                } else {
                    Verdict::Drifts
                },
                node: Some(node.clone()),
                covers: vec![Gap::LogoutServerNoop],
            });
            if still {
                let mut f = Finding::new(
                    Gap::LogoutServerNoop,
                    vec![node.clone()],
                    "Observed on the running application: after sign-out, the old session \
                     cookie is still signed in, so anyone holding a copy of it still is. End the \
                     session on the server at sign-out.",
                );
                f.evidence = s.evidence(from, node);
                findings.push(f);
            }
        }
        (None, Some(node)) => checks.push(Check {
            setting: Setting::LogoutInvalidation.to_string(),
            drawn: "a logout is drawn".into(),
            observed: "no logout in the target file".into(),
            verdict: Verdict::NotChecked,
            node: Some(node.clone()),
            covers: Vec::new(),
        }),
        _ => {}
    }

    account::remember_me(&mut s, flow, &profile, &mut checks, &mut findings)?;
    account::logout_everywhere(&mut s, &plan, flow, &mut checks, &mut findings)?;
    concurrency::concurrency(&mut s, flow, &mut checks, &mut findings)?;
    waits::timeouts(
        &mut s,
        flow,
        options.max_wait,
        &profile,
        &mut checks,
        &mut findings,
    )?;

    // ── A sample of fresh ids ───────────────────────────────────────────────────────────────
    let ids_node = source(Setting::Ids).unwrap_or_else(|| create.clone());
    let drawn_ids = match policy.ids.generator {
        e::IdGenerator::Csprng { bits } => format!("{bits} random bits"),
        e::IdGenerator::Sequential => "a counter".to_owned(),
        e::IdGenerator::Timestamp => "the issue time".to_owned(),
        e::IdGenerator::LowEntropy { bits } => format!("{bits} random bits (weak generator)"),
    };
    let name = pre_session.as_ref().map(|c| c.name.clone());
    match (&target.login_page, name) {
        // A signed-cookie session has no id to guess: its value is the signed session content,
        // the same for the same content, and its strength is the signing key's.
        _ if policy.mechanism == e::Mechanism::ClientCookie => checks.push(Check {
            setting: Setting::Ids.to_string(),
            drawn: drawn_ids,
            observed: "the drawn session lives in a signed cookie: its value is signed content, \
                       not a random id, so an id sample says nothing"
                .into(),
            verdict: Verdict::NotChecked,
            node: Some(ids_node),
            covers: Vec::new(),
        }),
        (Some(page), Some(name)) if target.id_samples >= 2 => {
            let from = s.log.len();
            let page = page.clone();
            let mut ids = Vec::new();
            for _ in 0..target.id_samples {
                let r = s.send(&page, &[])?;
                if let Some(c) = set_cookies(&r).into_iter().find(|c| c.name == name) {
                    ids.push(c.value);
                }
            }
            let quality = IdQuality::of(&ids);
            let min_bits = profile.id_entropy_min_bits;
            let gap = quality.gap(min_bits);
            let observed = match quality.pattern {
                Some(IdPattern::Counter) => {
                    format!("{} ids that count up: {}", ids.len(), quality.describe())
                }
                Some(IdPattern::Timestamp) => format!(
                    "{} ids that read as the current time: {}",
                    ids.len(),
                    quality.describe()
                ),
                None => format!("{} ids: {}", ids.len(), quality.describe()),
            };
            let drawn_weak = match policy.ids.generator {
                e::IdGenerator::Csprng { bits } | e::IdGenerator::LowEntropy { bits } => {
                    u32::from(bits) < min_bits
                }
                _ => true,
            };
            checks.push(Check {
                setting: Setting::Ids.to_string(),
                drawn: drawn_ids,
                observed: observed.clone(),
                verdict: if gap.is_some() == drawn_weak {
                    Verdict::Matches
                } else {
                    Verdict::Drifts
                },
                node: Some(ids_node.clone()),
                covers: vec![Gap::SessIdPredictable, Gap::SessIdEntropyLow],
            });
            if let Some(gap) = gap {
                let mut f = Finding::new(
                    gap,
                    vec![ids_node.clone()],
                    format!(
                        "Observed on the running application: {observed}. Profile {} asks for \
                         at least {min_bits} random bits per id.",
                        profile.name
                    ),
                );
                let evidence = s.evidence(from, &ids_node);
                f.evidence = evidence.into_iter().take(4).collect();
                findings.push(f);
            }
        }
        _ => checks.push(Check {
            setting: Setting::Ids.to_string(),
            drawn: drawn_ids,
            observed: "no pre-login id to sample (a login_page that sets one is needed)".into(),
            verdict: Verdict::NotChecked,
            node: Some(ids_node),
            covers: Vec::new(),
        }),
    }

    // Last: it changes the account (and changes it back).
    account::password_change(&mut s, &plan, flow, &mut checks, &mut findings)?;
    Ok(Outcome {
        checks,
        findings,
        requests: s.sent,
    })
}

/// What a sample of ids says about how they are made.
#[derive(Clone, Debug, PartialEq)]
pub struct IdQuality {
    pub samples: usize,
    pub length: usize,
    /// The smallest alphabet that holds every character seen (digits, hex, alphanumeric,
    /// base64url, or anything).
    pub alphabet: (&'static str, u32),
    /// An upper bound on the random bits per id: log2(alphabet) for every position whose
    /// character varies across the sample; a position that never changes carries nothing.
    pub bits: f64,
    /// A guessable pattern in the ids, if any.
    pub pattern: Option<IdPattern>,
}

/// How predictable ids are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdPattern {
    /// Numbers (decimal or hex) that count up by small steps.
    Counter,
    /// Numbers that read as the current time in seconds, milliseconds, microseconds or
    /// nanoseconds since 1970.
    Timestamp,
}

impl IdQuality {
    pub fn of(ids: &[String]) -> IdQuality {
        Self::at(ids, std::time::SystemTime::now())
    }

    /// The quality of `ids` fetched around `now` (what a timestamp id would read).
    pub fn at(ids: &[String], now: std::time::SystemTime) -> IdQuality {
        let chars: BTreeSet<char> = ids.iter().flat_map(|i| i.chars()).collect();
        let alphabet = if chars.iter().all(char::is_ascii_digit) {
            ("digits", 10)
        } else if chars.iter().all(char::is_ascii_hexdigit) {
            ("hex", 16)
        } else if chars.iter().all(char::is_ascii_alphanumeric) {
            ("letters and digits", 62)
        } else if chars
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '='))
        {
            ("base64", 64)
        } else {
            ("printable", 94)
        };
        let rows: Vec<Vec<char>> = ids.iter().map(|i| i.chars().collect()).collect();
        let length = rows.iter().map(Vec::len).min().unwrap_or(0);
        let varying = (0..length)
            .filter(|&k| rows.iter().any(|r| r[k] != rows[0][k]))
            .count();
        let bits = varying as f64 * f64::from(alphabet.1).log2();
        let radix = if alphabet.1 == 10 { 10 } else { 16 };
        let numbers: Vec<u128> = ids
            .iter()
            .filter_map(|i| u128::from_str_radix(i, radix).ok())
            .collect();
        let pattern = if ids.len() < 2 || numbers.len() != ids.len() {
            None
        } else {
            let (low, high) = (numbers.iter().min(), numbers.iter().max());
            let spread = high.zip(low).map_or(0, |(h, l)| h - l);
            let since_1970 = now
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let year = 365 * 24 * 3600;
            let near_now = |n: u128| {
                [1, 1_000, 1_000_000, 1_000_000_000]
                    .iter()
                    .any(|&per_second| {
                        let now = since_1970.as_nanos() * per_second / 1_000_000_000;
                        n.abs_diff(now) <= year * per_second
                    })
            };
            if numbers.iter().all(|&n| near_now(n)) {
                Some(IdPattern::Timestamp)
            } else if spread <= 1_000 * ids.len() as u128 {
                Some(IdPattern::Counter)
            } else {
                None
            }
        };
        IdQuality {
            samples: ids.len(),
            length,
            alphabet,
            bits,
            pattern,
        }
    }

    /// The gap this sample shows against a profile asking for `min_bits` random bits.
    pub fn gap(&self, min_bits: u32) -> Option<Gap> {
        if self.pattern.is_some() {
            Some(Gap::SessIdPredictable)
        } else if self.bits < f64::from(min_bits) {
            Some(Gap::SessIdEntropyLow)
        } else {
            None
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} characters of {}, at most {:.0} random bits each",
            self.length, self.alphabet.0, self.bits
        )
    }
}

/// The probe's report in `format`: the checks (drawing against application) and then the usual
/// findings report; JSON carries the checks as `checks`, SARIF the findings only.
pub fn render(
    report: &crate::report::Report,
    outcome: &Outcome,
    format: crate::report::Format,
) -> String {
    use crate::report::Format;
    use std::fmt::Write as _;
    let verdict = |v: Verdict| match v {
        Verdict::Matches => "matches the drawing",
        Verdict::Drifts => "DRIFTS from the drawing",
        Verdict::NotChecked => "not checked",
    };
    let label = |n: &Option<NodeId>| {
        n.as_ref().map_or_else(String::new, |n| {
            report
                .labels
                .get(n)
                .map_or_else(|| n.to_string(), |l| format!("«{l}» ({n})"))
        })
    };
    match format {
        Format::Json => {
            let mut value: serde_json::Value =
                serde_json::from_str(&crate::report::render(report, Format::Json))
                    .unwrap_or_default();
            value["checks"] = serde_json::to_value(&outcome.checks).unwrap_or_default();
            value["requests"] = outcome.requests.into();
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Sarif => crate::report::render(report, Format::Sarif),
        Format::Text => {
            let mut out = format!(
                "Probe of the running application against {} ({} requests)\n",
                report.file, outcome.requests
            );
            for c in &outcome.checks {
                let _ = writeln!(
                    out,
                    "  {:<22} {}: drawn {}; observed {} — {}",
                    c.setting,
                    label(&c.node),
                    c.drawn,
                    c.observed,
                    verdict(c.verdict)
                );
            }
            out.push('\n');
            out + &crate::report::render(report, Format::Text)
        }
        Format::Markdown => {
            let mut out = format!(
                "## Drawing against the running application\n\n{} requests.\n\n| setting | node | \
                 drawn | observed | verdict |\n|---|---|---|---|---|\n",
                outcome.requests
            );
            let cell = crate::report::markdown_escape;
            for c in &outcome.checks {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cell(&c.setting),
                    cell(&label(&c.node)),
                    cell(&c.drawn),
                    cell(&c.observed),
                    verdict(c.verdict)
                );
            }
            out.push('\n');
            out + &crate::report::render(report, Format::Markdown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight ids from `make`, as a probe would sample them.
    fn sample(make: impl FnMut(u64) -> String) -> Vec<String> {
        (0..8).map(make).collect()
    }

    #[test]
    fn the_id_estimator_calls_counters_and_timestamps_predictable_32_random_bits_weak_and_128_sound()
     {
        use rand::{Rng as _, SeedableRng as _};
        let now = std::time::SystemTime::now();
        let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let counter = sample(|k| (100_452 + 3 * k).to_string());
        let millis = sample(|k| (secs.as_millis() + u128::from(k) * 13).to_string());
        let micros_hex = sample(|k| format!("{:x}", secs.as_micros() + u128::from(k) * 977));
        let random32 = sample(|_| format!("{:08x}", rng.next_u32()));
        let random128 = sample(|_| format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()));
        let min_bits = 64;
        let verdict = |ids: &[String]| IdQuality::at(ids, now).gap(min_bits);
        assert_eq!(verdict(&counter), Some(Gap::SessIdPredictable));
        assert_eq!(
            IdQuality::at(&counter, now).pattern,
            Some(IdPattern::Counter)
        );
        assert_eq!(verdict(&millis), Some(Gap::SessIdPredictable));
        assert_eq!(
            IdQuality::at(&millis, now).pattern,
            Some(IdPattern::Timestamp)
        );
        assert_eq!(
            IdQuality::at(&micros_hex, now).pattern,
            Some(IdPattern::Timestamp)
        );
        assert_eq!(verdict(&random32), Some(Gap::SessIdEntropyLow));
        let q = IdQuality::at(&random32, now);
        assert!(q.pattern.is_none() && q.bits <= 32.0, "{q:?}");
        assert_eq!(verdict(&random128), None);
        let q = IdQuality::at(&random128, now);
        assert_eq!(q.alphabet.0, "hex");
        assert!(q.pattern.is_none() && q.bits >= 120.0, "{q:?}");
    }

    #[test]
    fn a_fixed_prefix_or_a_fixed_middle_carries_no_randomness() {
        let ids = sample(|k| format!("app-{k}-v1-{}", k * 7 % 10));
        let q = IdQuality::of(&ids);
        // Two positions vary, out of eleven characters.
        assert!(q.bits <= 2.0 * 64f64.log2() + 1e-9, "{q:?}");
        assert_eq!(q.gap(64), Some(Gap::SessIdEntropyLow));
    }

    #[test]
    fn a_secret_written_into_the_target_file_is_refused() {
        let text = r#"(base_url: "http://127.0.0.1:1", login: (method: Post, path: "/login", form: [("password", Text("hunter2"))]), protected: (path: "/"), signed_in: Status(200))"#;
        let e = parse_target(text, "t.ron").unwrap_err().to_string();
        assert!(e.contains("password") && e.contains("Env"), "{e}");
    }

    #[test]
    fn a_target_file_error_names_the_line_and_column() {
        let e = parse_target("(\n  base_url: 3,\n)", "t.ron")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.ron:2:"), "{e}");
    }
}
