//! `sessionmap probe` against session implementations nobody here wrote: Django's
//! `django.contrib.sessions` + `django.contrib.auth` (Debian's python3-django, run by
//! `tests/frameworks/django_app.py`) and Rust's `tower-sessions` under axum (a dev-dependency,
//! served in-process). Each runs in a secure configuration and a weak one, described by a map in
//! `tests/frameworks/` (the weak Django one is also checked against the bundled Django
//! template). The probe must say "matches" where the drawing is right and find the framework's
//! real gaps; `simulate` on the same map must report the same ids for everything the probe
//! played. Where they disagree, the engine's model of reality is wrong.
//!
//! The Django tests need `/usr/bin/python3` with Django; CI installs python3-django and sets
//! `SESSIONMAP_REAL_FRAMEWORKS=1` (`.ci/run`), which makes a missing Django a failure.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sessionmap::compile::{self, Profile};
use sessionmap::model::{self, Map};
use sessionmap::probe::{self, Outcome, Target, Verdict};
use sessionmap::report::Gap;
use sessionmap::sim::{self, Builder};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor and three";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn map(path: &str) -> Map {
    let loaded = model::load_file(&repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(!loaded.has_errors(), "{path}: {:?}", loaded.diagnostics);
    loaded.map
}

fn target(addr: &str, cookie_probe_page: bool) -> Target {
    let text = format!(
        r#"(
    base_url: "http://{addr}",
    login: (method: Post, path: "/login", form: [("username", Text("alice")), ("password", Env("SM_PASSWORD"))]),
    login_page: {login_page},
    protected: (path: "/account"),
    signed_in: BodyContains("signed in as alice"),
    logout: Some((method: Post, path: "/logout")),
    throwaway_account: true,
    password_change: Some((
        change: (method: Post, path: "/password", form: [("old_password", Env("SM_PASSWORD")), ("new_password1", Env("SM_NEW_PASSWORD")), ("new_password2", Env("SM_NEW_PASSWORD"))]),
        restore: (method: Post, path: "/password", form: [("old_password", Env("SM_NEW_PASSWORD")), ("new_password1", Env("SM_PASSWORD")), ("new_password2", Env("SM_PASSWORD"))]),
    )),
    id_samples: 8,
    max_requests: 120,
    requests_per_second: 200.0,
)"#,
        login_page = if cookie_probe_page {
            r#"Some((path: "/login"))"#
        } else {
            "None"
        },
    );
    probe::parse_target(&text, "target.ron").expect("the target parses")
}

fn run_probe(map: &Map, addr: &str, max_wait: Duration) -> Outcome {
    let options = probe::Options {
        profile: Profile::default_profile(),
        allow_remote: false,
        max_wait,
    };
    probe::probe(map, &target(addr, true), &options, &|var| match var {
        "SM_PASSWORD" => Some(PASSWORD.to_owned()),
        "SM_NEW_PASSWORD" => Some(NEW_PASSWORD.to_owned()),
        _ => None,
    })
    .unwrap_or_else(|e| panic!("probe of {addr}: {e}"))
}

fn ids(findings: impl IntoIterator<Item = Gap>) -> BTreeSet<String> {
    findings.into_iter().map(|g| g.to_string()).collect()
}

/// What `simulate` reports for `map` (static and simulated findings), restricted to the ids
/// the probe played.
fn simulated(map: &Map, covered: &BTreeSet<Gap>) -> BTreeSet<String> {
    let plan = compile::compile(map);
    let builder = Builder {
        users: 300,
        days: 2,
        seed: 7,
        ..Builder::default()
    };
    let report = sim::report_with_simulation(map, &plan, "framework.ron", builder)
        .expect("the simulation runs");
    ids(report
        .findings
        .iter()
        .map(|f| f.id)
        .filter(|id| covered.contains(id)))
}

/// The probe's findings and verdicts, and the simulation agreeing on every id the probe played.
fn assert_agree(name: &str, map: &Map, outcome: &Outcome, expected: &[&str]) {
    let found = ids(outcome.findings.iter().map(|f| f.id));
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        found, expected,
        "{name}: probe findings {:#?}",
        outcome.checks
    );
    let covered = outcome.covered();
    assert_eq!(
        simulated(map, &covered),
        found,
        "{name}: the simulation disagrees with the running framework on {covered:?}"
    );
    let drifts: Vec<_> = outcome
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Drifts)
        .collect();
    assert!(drifts.is_empty(), "{name}: the drawing drifts: {drifts:#?}");
}

fn verdict(outcome: &Outcome, setting: &str) -> Verdict {
    outcome
        .checks
        .iter()
        .find(|c| c.setting == setting)
        .unwrap_or_else(|| panic!("{setting} checked: {:#?}", outcome.checks))
        .verdict
}

// ── Django ──────────────────────────────────────────────────────────────────────────────────

/// A Django process on a loopback port, stopped when dropped.
struct Django {
    child: Child,
    addr: String,
}

impl Drop for Django {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `django_app.py MODE`, or `None` where Django is missing and CI did not ask for it.
fn django(mode: &str) -> Option<Django> {
    let python = "/usr/bin/python3";
    let has_django = Command::new(python)
        .args(["-c", "import django"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_django {
        assert!(
            std::env::var_os("SESSIONMAP_REAL_FRAMEWORKS").is_none(),
            "SESSIONMAP_REAL_FRAMEWORKS is set but {python} cannot import django: install \
             python3-django"
        );
        eprintln!("Django is not installed (python3-django): the Django probe is not run here");
        return None;
    }
    let mut child = Command::new(python)
        .arg(repo("tests/frameworks/django_app.py"))
        .arg(mode)
        .env("SM_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 starts");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("Django says where it listens within a minute");
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("Django printed {line:?}"));
    Some(Django {
        addr: format!("127.0.0.1:{port}"),
        child,
    })
}

#[test]
fn hardened_django_matches_its_drawing_and_shows_only_what_django_cannot_limit() {
    let Some(app) = django("secure") else { return };
    let map = map("tests/frameworks/django-secure.ron");
    let outcome = run_probe(&map, &app.addr, Duration::ZERO);
    // Django has no limit on sessions per user: the one real gap the probe can show here.
    assert_agree("django secure", &map, &outcome, &["CONC-UNLIMITED"]);
    for setting in [
        "id rotation on login",
        "cookie Secure",
        "cookie SameSite",
        "cookie name",
        "cookie lifetime",
        "logout invalidation",
        "session id generation",
        // update_session_auth_hash keeps this session; the others' stored hash stops matching.
        "on password change",
    ] {
        assert_eq!(verdict(&outcome, setting), Verdict::Matches, "{setting}");
    }
    assert_eq!(verdict(&outcome, "absolute timeout"), Verdict::NotChecked);
}

#[test]
fn django_with_signed_cookie_sessions_still_signs_in_a_copied_cookie_after_logout() {
    let Some(app) = django("weak") else { return };
    let map = map("tests/frameworks/django-weak.ron");
    let outcome = run_probe(&map, &app.addr, Duration::ZERO);
    assert_agree(
        "django weak",
        &map,
        &outcome,
        &["CONC-UNLIMITED", "COOKIE-FLAGS", "LOGOUT-SERVER-NOOP"],
    );
    let logout = outcome
        .findings
        .iter()
        .find(|f| f.id == Gap::LogoutServerNoop)
        .expect("found");
    assert_eq!(logout.nodes[0].as_str(), "logout");
    assert!(
        logout.evidence[0].action.starts_with("POST /logout"),
        "{:#?}",
        logout.evidence
    );
    // The password hash travels in the signed cookie too: a password change still ends the
    // other sessions.
    assert_eq!(verdict(&outcome, "on password change"), Verdict::Matches);
}

#[test]
fn the_bundled_django_template_matches_django_s_defaults() {
    let Some(app) = django("defaults") else {
        return;
    };
    let map = map("templates/django.ron");
    let outcome = run_probe(&map, &app.addr, Duration::ZERO);
    assert_agree(
        "django defaults",
        &map,
        &outcome,
        &["CONC-UNLIMITED", "COOKIE-FLAGS"],
    );
    assert_eq!(verdict(&outcome, "cookie lifetime"), Verdict::Matches);
    assert_eq!(verdict(&outcome, "on password change"), Verdict::Matches);
}

// ── tower-sessions under axum ───────────────────────────────────────────────────────────────

mod tower {
    use std::collections::HashMap;
    use std::net::SocketAddr;

    use axum::Router;
    use axum::extract::Form;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Redirect, Response};
    use axum::routing::{get, post};
    use tower_sessions::cookie::SameSite;
    use tower_sessions::cookie::time::Duration;
    use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};

    /// Serves the application on a loopback port from a thread of its own; returns the
    /// address. `weak`: no Secure flag, no expiry set, and a sign-in that keeps the pre-login
    /// id. Otherwise: a `__Host-` cookie with Secure and SameSite=Strict, an inactivity expiry
    /// of `idle_seconds` saved on every request, and `cycle_id()` at sign-in.
    pub fn start(weak: bool, idle_seconds: i64) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("bound");
        listener.set_nonblocking(true).expect("non-blocking");
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let layer = SessionManagerLayer::new(MemoryStore::default());
                let layer = if weak {
                    layer.with_secure(false)
                } else {
                    layer
                        .with_name("__Host-id")
                        .with_secure(true)
                        .with_same_site(SameSite::Strict)
                        .with_expiry(Expiry::OnInactivity(Duration::seconds(idle_seconds)))
                        .with_always_save(true)
                };
                let app = Router::new()
                    .route(
                        "/login",
                        get(login_page).post(move |s, f| sign_in(s, f, weak)),
                    )
                    .route("/account", get(account))
                    .route("/logout", post(sign_out))
                    .layer(layer);
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio");
                axum::serve(listener, app).await.expect("serves");
            });
        });
        addr
    }

    async fn login_page(session: Session) -> &'static str {
        // Something kept before sign-in (a cart, a form's state), so a session exists.
        let _ = session.insert("visited_login", true).await;
        "sign in"
    }

    async fn sign_in(
        session: Session,
        Form(form): Form<HashMap<String, String>>,
        weak: bool,
    ) -> Response {
        let ok = form.get("username").map(String::as_str) == Some("alice")
            && form.get("password").map(String::as_str) == Some(super::PASSWORD);
        if !ok {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        if !weak && session.cycle_id().await.is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        if session.insert("user", "alice").await.is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Redirect::to("/account").into_response()
    }

    async fn account(session: Session) -> Response {
        match session.get::<String>("user").await {
            Ok(Some(user)) => format!("signed in as {user}").into_response(),
            _ => Redirect::to("/login").into_response(),
        }
    }

    async fn sign_out(session: Session) -> Redirect {
        let _ = session.flush().await;
        Redirect::to("/login")
    }
}

#[test]
fn secure_tower_sessions_match_their_drawing_and_the_idle_timeout_is_waited_out() {
    let addr: SocketAddr = tower::start(false, 2);
    let map = map("tests/frameworks/tower-secure.ron");
    let outcome = run_probe(&map, &addr.to_string(), Duration::from_secs(5));
    assert_agree("tower secure", &map, &outcome, &["CONC-UNLIMITED"]);
    for setting in [
        "id rotation on login",
        "cookie Secure",
        "cookie lifetime",
        "logout invalidation",
        "session id generation",
        "idle timeout",
    ] {
        assert_eq!(verdict(&outcome, setting), Verdict::Matches, "{setting}");
    }
}

#[test]
fn tower_sessions_that_never_cycle_the_id_keep_the_pre_login_id_through_sign_in() {
    let addr = tower::start(true, 0);
    let map = map("tests/frameworks/tower-weak.ron");
    let outcome = run_probe(&map, &addr.to_string(), Duration::ZERO);
    assert_agree(
        "tower weak",
        &map,
        &outcome,
        &["CONC-UNLIMITED", "COOKIE-FLAGS", "SESS-FIX-NOROTATE"],
    );
    let fixation = outcome
        .findings
        .iter()
        .find(|f| f.id == Gap::SessFixNorotate)
        .expect("found");
    assert_eq!(fixation.nodes[0].as_str(), "create");
}

/// The same map drawn wrong (a sign-in that rotates the id) drifts against the weak app: the
/// probe tells a map that is not true to the application.
#[test]
fn a_map_that_claims_rotation_drifts_against_tower_sessions_that_never_cycle_the_id() {
    let addr = tower::start(true, 0);
    let source = std::fs::read_to_string(repo("tests/frameworks/tower-weak.ron")).expect("reads");
    let wrong = source.replace("on_login: Keep", "on_login: RotateEndOld");
    let loaded = model::load_str(&wrong, Path::new("wrong.ron")).expect("loads");
    let outcome = run_probe(&loaded.map, &addr.to_string(), Duration::ZERO);
    assert_eq!(
        verdict(&outcome, "id rotation on login"),
        Verdict::Drifts,
        "{:#?}",
        outcome.checks
    );
}
