//! `sessionmap probe` against real HTTP: a small web application served on a loopback port,
//! once built as the map draws it and once with the classic flaws (the pre-login id kept at
//! sign-in, a script-readable cookie, a sign-out that only deletes the cookie, counting ids).
//! The probe must say "matches" for the first and find each flaw, with its exchanges, in the
//! second.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sessionmap::compile::Profile;
use sessionmap::model::{self, Map};
use sessionmap::probe::{self, Target, Verdict};

/// How the application behaves.
#[derive(Clone, Copy)]
struct Flaws {
    keeps_pre_login_id: bool,
    script_readable_cookie: bool,
    logout_only_deletes_cookie: bool,
    counting_ids: bool,
    /// No limit on sessions per user (the sound one keeps three, ending the oldest).
    no_session_limit: bool,
    /// Sign-out leaves the remember-me token valid.
    remember_survives_logout: bool,
    /// "Log out of all devices" ends only the session that asked.
    logout_everywhere_only_here: bool,
    /// A password change ends no session.
    password_change_keeps_others: bool,
}

const SOUND: Flaws = Flaws {
    keeps_pre_login_id: false,
    script_readable_cookie: false,
    logout_only_deletes_cookie: false,
    counting_ids: false,
    no_session_limit: false,
    remember_survives_logout: false,
    logout_everywhere_only_here: false,
    password_change_keeps_others: false,
};
const FLAWED: Flaws = Flaws {
    keeps_pre_login_id: true,
    script_readable_cookie: true,
    logout_only_deletes_cookie: true,
    counting_ids: true,
    no_session_limit: true,
    remember_survives_logout: true,
    logout_everywhere_only_here: true,
    password_change_keeps_others: true,
};

/// The application's sessions (id → signed in), its signed-in ids oldest first, its
/// remember-me tokens and alice's password.
struct Store {
    sessions: HashMap<String, bool>,
    signed_in_order: Vec<String>,
    remember: Vec<String>,
    password: String,
    password_changes: u32,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            sessions: HashMap::new(),
            signed_in_order: Vec::new(),
            remember: Vec::new(),
            password: "s3cret".to_owned(),
            password_changes: 0,
        }
    }
}

/// A tiny web application with server-side sessions: `/login` (GET hands out a pre-login
/// session, POST signs in `alice` with her password, `remember=on` adds a remember-me token),
/// `/account` (200 when signed in or remembered, else a redirect), `/logout`,
/// `/logout-everywhere` and `/password` (`old` and `new`).
struct App {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    store: Arc<Mutex<Store>>,
}

impl App {
    fn start(flaws: Flaws) -> App {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("bound");
        listener.set_nonblocking(true).expect("non-blocking");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let sessions: Arc<Mutex<Store>> = Arc::default();
        let counter = Arc::new(AtomicU64::new(100_452));
        let (stop2, requests2, store) = (stop.clone(), requests.clone(), sessions.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        requests2.fetch_add(1, Ordering::Relaxed);
                        serve(stream, flaws, &sessions, &counter);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
                }
            }
        });
        App {
            addr,
            stop,
            requests,
            store,
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn new_id(flaws: Flaws, counter: &AtomicU64) -> String {
    if flaws.counting_ids {
        counter.fetch_add(1, Ordering::Relaxed).to_string()
    } else {
        use rand::RngExt as _;
        let bytes: [u8; 16] = rand::rng().random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The value of `name` in `text`, a list of `name=value` pairs split by `separator` (a
/// `Cookie` header, a form body).
fn pair(text: &str, separator: char, name: &str) -> Option<String> {
    text.split(separator)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

fn serve(stream: TcpStream, flaws: Flaws, store: &Mutex<Store>, counter: &AtomicU64) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let mut cookie = None;
    let mut remembered = None;
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("cookie") {
                cookie = pair(value, ';', "sid");
                remembered = pair(value, ';', "rt");
            }
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let attrs = if flaws.script_readable_cookie {
        "Path=/; Secure; SameSite=Lax"
    } else {
        "Path=/; Secure; HttpOnly; SameSite=Lax"
    };
    let mut guard = store.lock().expect("lock");
    let Store {
        sessions,
        signed_in_order,
        remember,
        password,
        password_changes,
    } = &mut *guard;
    let field = |name: &str| pair(&body, '&', name);
    let signed_in = cookie
        .as_ref()
        .is_some_and(|c| sessions.get(c) == Some(&true));
    let (status, headers) = match (method.as_str(), path.as_str()) {
        ("GET", "/login") => {
            let id = new_id(flaws, counter);
            sessions.insert(id.clone(), false);
            ("200 OK", format!("Set-Cookie: sid={id}; {attrs}\r\n"))
        }
        ("POST", "/login")
            if field("username").as_deref() == Some("alice")
                && field("password").as_ref() == Some(password) =>
        {
            let remember_me = if field("remember").as_deref() == Some("on") {
                let token = new_id(
                    Flaws {
                        counting_ids: false,
                        ..flaws
                    },
                    counter,
                );
                remember.push(token.clone());
                format!("Set-Cookie: rt={token}; Max-Age=2592000; {attrs}\r\n")
            } else {
                String::new()
            };
            match cookie
                .clone()
                .filter(|c| flaws.keeps_pre_login_id && sessions.contains_key(c))
            {
                Some(kept) => {
                    sessions.insert(kept, true);
                    ("302 Found", "Location: /account\r\n".to_owned())
                }
                None => {
                    if let Some(old) = cookie {
                        sessions.remove(&old);
                    }
                    let id = new_id(flaws, counter);
                    sessions.insert(id.clone(), true);
                    signed_in_order.push(id.clone());
                    if !flaws.no_session_limit {
                        signed_in_order.retain(|s| sessions.get(s) == Some(&true));
                        while signed_in_order.len() > 3 {
                            let oldest = signed_in_order.remove(0);
                            sessions.remove(&oldest);
                        }
                    }
                    (
                        "302 Found",
                        format!(
                            "Location: /account\r\nSet-Cookie: sid={id}; {attrs}\r\n{remember_me}"
                        ),
                    )
                }
            }
        }
        ("POST", "/login") => ("401 Unauthorized", String::new()),
        ("GET", "/account") if signed_in => ("200 OK", String::new()),
        ("GET", "/account") if remembered.as_ref().is_some_and(|t| remember.contains(t)) => {
            let id = new_id(flaws, counter);
            sessions.insert(id.clone(), true);
            ("200 OK", format!("Set-Cookie: sid={id}; {attrs}\r\n"))
        }
        ("GET", "/account") => ("302 Found", "Location: /login\r\n".to_owned()),
        ("POST", "/logout") => {
            if let Some(c) = cookie.filter(|_| !flaws.logout_only_deletes_cookie) {
                sessions.remove(&c);
                if !flaws.remember_survives_logout {
                    remember.retain(|t| Some(t) != remembered.as_ref());
                }
            }
            (
                "302 Found",
                "Set-Cookie: sid=; Max-Age=0; Path=/\r\nLocation: /login\r\n".to_owned(),
            )
        }
        ("POST", "/logout-everywhere") if signed_in => {
            if flaws.logout_everywhere_only_here {
                sessions.retain(|id, _| Some(id) != cookie.as_ref());
            } else {
                sessions.clear();
                remember.clear();
            }
            ("302 Found", "Location: /login\r\n".to_owned())
        }
        ("POST", "/password") if signed_in && field("old").as_ref() == Some(password) => {
            *password = field("new").unwrap_or_default();
            *password_changes += 1;
            if !flaws.password_change_keeps_others {
                sessions.retain(|id, _| Some(id) == cookie.as_ref());
                remember.clear();
            }
            ("200 OK", String::new())
        }
        _ => ("404 Not Found", String::new()),
    };
    drop(guard);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\nok"
    );
    let _ = stream.flush();
}

/// The application as drawn: server-side sessions, 128-bit ids, a fresh id at sign-in, the
/// cookie `sid` with Secure, HttpOnly and SameSite=Lax, a sign-out that ends the session.
fn drawn() -> Map {
    let source = r#"(
    format_version: 1,
    title: "Probed shop",
    lanes: [(id: "users", title: "Users", height: 400.0)],
    nodes: [
        (id: "login", label: "Sign in", kind: Login(mfa: Off, before_mfa: NoSession), lane: "users", pos: (0.0, 0.0)),
        (id: "create", label: "Start session", kind: CreateSession(mechanism: ServerSide, ids: Csprng(bits: 128), client_ids: Strict, on_login: RotateEndOld, concurrency: Limited(max: 3, per_device: false, on_limit: EvictOldestInactive), binding: (ip: false, user_agent: false, on_mismatch: Ignore, travel: None)), lane: "users", pos: (250.0, 0.0)),
        (id: "account", label: "Account", kind: Request(state_change: false), lane: "users", pos: (500.0, 0.0)),
        (id: "logout", label: "Sign out", kind: Logout(scope: ThisDevice, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 0.0)),
        (id: "idle", label: "Idle 15 min", kind: IdleTimeout(after: Minutes(15), resets_on: UserAction, enforced: Server), lane: "users", pos: (250.0, 150.0)),
        (id: "remember", label: "Remember me", kind: RememberMe(device_bound: false, rotate_on_use: false, survives_logout: false, grants_sensitive_actions: true), lane: "users", pos: (0.0, 150.0)),
        (id: "remember-ttl", label: "30 days", kind: RememberMeLifetime(after: Days(30)), lane: "users", pos: (0.0, 300.0)),
        (id: "logout-all", label: "Sign out everywhere", kind: Logout(scope: AllDevices, invalidation: Server, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 150.0)),
        (id: "password", label: "Change password", kind: PasswordChange(ends_other_sessions: true, revokes_refresh_tokens: true), lane: "users", pos: (750.0, 300.0)),
        (id: "cookie", label: "Session cookie", kind: ClientStorage(holds: SessionId, location: Cookie((name: "sid", secure: true, http_only: true, same_site: Lax, path: "/", domain: None, max_age: None))), lane: "users", pos: (500.0, 150.0)),
    ],
    edges: [
        (id: "e1", from: "login", to: "create", trigger: UserAction),
        (id: "e2", from: "create", to: "account", trigger: System),
        (id: "e3", from: "account", to: "logout", trigger: UserAction),
        (id: "a1", from: "idle", to: "create", trigger: Attach),
        (id: "a2", from: "create", to: "cookie", trigger: Attach),
        (id: "e4", from: "remember", to: "create", trigger: System),
        (id: "a3", from: "remember-ttl", to: "remember", trigger: Attach),
        (id: "e5", from: "account", to: "logout-all", trigger: UserAction),
        (id: "e6", from: "account", to: "password", trigger: UserAction),
    ],
    personas: [
        (id: "regular", name: "Regular", share: 100, visits_per_day: 2, think_time: Seconds(30), active_hours: (start: 8, end: 20), days_per_week: 7, devices: [Desktop], behaviours: []),
    ],
)"#;
    let loaded = model::load_str(source, std::path::Path::new("probed.ron")).expect("loads");
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.map
}

fn target(app: &App) -> Target {
    let text = format!(
        r#"(
    base_url: "http://{}",
    login: (method: Post, path: "/login", form: [("username", Env("SM_USER")), ("password", Env("SM_PASSWORD"))]),
    login_page: Some((path: "/login")),
    protected: (path: "/account"),
    signed_in: Status(200),
    logout: Some((method: Post, path: "/logout")),
    logout_everywhere: Some((method: Post, path: "/logout-everywhere")),
    remember_me: Some((field: ("remember", Text("on")), cookie: "rt")),
    throwaway_account: true,
    password_change: Some((
        change: (method: Post, path: "/password", form: [("old", Env("SM_PASSWORD")), ("new", Env("SM_NEW_PASSWORD"))]),
        restore: (method: Post, path: "/password", form: [("old", Env("SM_NEW_PASSWORD")), ("new", Env("SM_PASSWORD"))]),
    )),
    id_samples: 8,
    max_requests: 80,
    requests_per_second: 500.0,
)"#,
        app.addr
    );
    probe::parse_target(&text, "target.ron").expect("the target parses")
}

fn options() -> probe::Options {
    probe::Options {
        profile: Profile::default_profile(),
        allow_remote: false,
        max_wait: std::time::Duration::ZERO,
    }
}

fn credentials(var: &str) -> Option<String> {
    match var {
        "SM_USER" => Some("alice".into()),
        "SM_PASSWORD" => Some("s3cret".into()),
        "SM_NEW_PASSWORD" => Some("n3w-s3cret".into()),
        _ => None,
    }
}

fn verdict(outcome: &probe::Outcome, setting: &str) -> Verdict {
    outcome
        .checks
        .iter()
        .find(|c| c.setting == setting)
        .unwrap_or_else(|| panic!("{setting} checked: {:#?}", outcome.checks))
        .verdict
}

#[test]
fn an_application_built_as_drawn_matches_the_drawing_and_shows_no_finding() {
    let app = App::start(SOUND);
    let outcome = probe::probe(&drawn(), &target(&app), &options(), &credentials).expect("probes");
    assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
    for setting in [
        "id rotation on login",
        "cookie Secure",
        "cookie HttpOnly",
        "cookie SameSite",
        "logout invalidation",
        "session id generation",
        "cookie lifetime",
        "concurrent sessions",
        "remember-me",
        "remember-me lifetime",
        "log out of all devices",
        "on password change",
    ] {
        assert_eq!(verdict(&outcome, setting), Verdict::Matches, "{setting}");
    }
    // A timeout longer than --max-wait allows is said, not skipped.
    assert_eq!(verdict(&outcome, "idle timeout"), Verdict::NotChecked);
    assert_eq!(
        u64::from(outcome.requests),
        app.requests.load(Ordering::Relaxed)
    );
}

#[test]
fn a_flawed_application_drifts_and_each_flaw_is_a_finding_with_its_exchanges() {
    let app = App::start(FLAWED);
    let outcome = probe::probe(&drawn(), &target(&app), &options(), &credentials).expect("probes");
    let mut ids: Vec<&str> = outcome.findings.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "COOKIE-FLAGS",
            "CRED-CHANGE-SURVIVE",
            "LOGOUT-OTHERS-NONE",
            "LOGOUT-SERVER-NOOP",
            "SESS-FIX-NOROTATE",
            "SESS-ID-PREDICTABLE"
        ]
    );
    for setting in [
        "id rotation on login",
        "cookie HttpOnly",
        "logout invalidation",
        "session id generation",
        "concurrent sessions",
        "log out of all devices",
        "on password change",
    ] {
        assert_eq!(verdict(&outcome, setting), Verdict::Drifts, "{setting}");
    }
    assert_eq!(verdict(&outcome, "cookie Secure"), Verdict::Matches);
    let logout = outcome
        .findings
        .iter()
        .find(|f| f.id == "LOGOUT-SERVER-NOOP")
        .expect("found");
    assert_eq!(logout.nodes[0].as_str(), "logout");
    let trace: Vec<String> = logout
        .evidence
        .iter()
        .map(|s| format!("{} -> {}", s.action, s.outcome))
        .collect();
    assert!(
        trace[0].starts_with("POST /logout") && trace[1].contains("signed in"),
        "{trace:#?}"
    );
    // Secrets are masked in the evidence: no whole cookie value, no password.
    for f in &outcome.findings {
        for s in &f.evidence {
            assert!(!s.action.contains("s3cret") && !s.outcome.contains("s3cret"));
            assert!(
                !s.action.contains("sid=10045") || s.action.contains('…'),
                "{}",
                s.action
            );
        }
    }
}

#[test]
fn a_remember_me_token_that_survives_sign_out_is_found_at_the_remember_me_node() {
    let app = App::start(Flaws {
        remember_survives_logout: true,
        ..SOUND
    });
    let outcome = probe::probe(&drawn(), &target(&app), &options(), &credentials).expect("probes");
    let ids: Vec<&str> = outcome.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["REMEMBER-STATIC"]);
    assert_eq!(outcome.findings[0].nodes[0].as_str(), "remember");
    assert_eq!(verdict(&outcome, "remember-me"), Verdict::Drifts);
    assert_eq!(verdict(&outcome, "remember-me lifetime"), Verdict::Matches);
}

#[test]
fn a_throwaway_account_gets_its_password_back_and_a_real_one_is_never_changed() {
    let app = App::start(SOUND);
    // Twice: the second run signs in with the original password only if the first restored it.
    for _ in 0..2 {
        let outcome =
            probe::probe(&drawn(), &target(&app), &options(), &credentials).expect("probes");
        assert_eq!(verdict(&outcome, "on password change"), Verdict::Matches);
    }
    let mut real = target(&app);
    real.throwaway_account = false;
    let changes = || app.store.lock().expect("lock").password_changes;
    assert_eq!(changes(), 4, "changed and changed back, twice");
    let outcome = probe::probe(&drawn(), &real, &options(), &credentials).expect("probes");
    assert_eq!(verdict(&outcome, "on password change"), Verdict::NotChecked);
    let check = outcome
        .checks
        .iter()
        .find(|c| c.setting == "on password change")
        .expect("said");
    assert!(check.observed.contains("throwaway"), "{}", check.observed);
    assert_eq!(changes(), 4, "a real account's password is never changed");
}

#[test]
fn a_remote_target_is_refused_without_allow_remote_and_nothing_is_sent() {
    let mut t = target(&App::start(SOUND));
    t.base_url = "http://192.0.2.10:8080".into();
    let e = probe::probe(&drawn(), &t, &options(), &credentials).expect_err("refused");
    assert!(e.to_string().contains("--allow-remote"), "{e}");
}

#[test]
fn the_request_budget_stops_the_probe_with_a_clear_error() {
    let app = App::start(SOUND);
    let mut t = target(&app);
    t.max_requests = 3;
    let e = probe::probe(&drawn(), &t, &options(), &credentials).expect_err("over budget");
    assert!(e.to_string().contains("max_requests"), "{e}");
    assert!(app.requests.load(Ordering::Relaxed) <= 3);
}

#[test]
fn the_command_line_writes_an_example_target_that_parses_and_reports_a_probe() {
    let dir = tempfile::tempdir().expect("temp dir");
    let map_file = dir.path().join("probed.ron");
    std::fs::write(&map_file, model::to_ron(&drawn()).expect("serialises")).expect("written");
    let init = std::process::Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .args(["probe", "--init"])
        .arg(&map_file)
        .output()
        .expect("runs");
    assert!(init.status.success());
    let example = String::from_utf8(init.stdout).expect("text");
    let parsed = probe::parse_target(&example, "example.ron").expect("the example parses");
    assert_eq!(parsed.flow.as_deref(), Some("create"));

    let app = App::start(FLAWED);
    let target_file = dir.path().join("target.ron");
    std::fs::write(
        &target_file,
        example.replace("http://127.0.0.1:8080", &format!("http://{}", app.addr)),
    )
    .expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sessionmap"))
        .args(["probe", "--format", "markdown", "--target"])
        .arg(&target_file)
        .arg(&map_file)
        .env("SM_USER", "alice")
        .env("SM_PASSWORD", "s3cret")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("| logout invalidation |"), "{text}");
    assert!(text.contains("DRIFTS from the drawing"), "{text}");
    assert!(text.contains("LOGOUT-SERVER-NOOP"), "{text}");
}
