//! The gap catalogue: every id SessionMap reports, as `GAPS.md` defines it. The ids are a
//! public contract: reports, CI scripts and users' suppressions refer to them, so an id never
//! changes meaning. Add new ids when needed; never rename one.

use serde::Serialize;

use super::Severity;
use super::gap::Gap;

/// How a finding is proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// Decided from the map alone, instantly while drawing.
    Static,
    /// A virtual user or attacker actually did it against the engine.
    Sim,
}

/// One row of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: Gap,
    pub severity: Severity,
    pub how: How,
    pub title: &'static str,
    /// Standards the row comes from (ASVS, NIST, the cheat sheet, RFCs).
    pub references: &'static [&'static str],
    /// One paragraph of help: what the gap is and how to close it (SARIF rule help, reports).
    pub help: &'static str,
}

/// The catalogue row of an id spelled as a string (from a report file or a suppression list).
pub fn entry(id: &str) -> Option<&'static Entry> {
    Gap::parse(id).map(Gap::entry)
}

/// Where a cited standard can be read: the published document each reference names (a clause
/// such as "V7.2.3" is within it), or `None` for a reference we know no stable address for.
pub fn reference_url(reference: &str) -> Option<String> {
    if reference.starts_with("OWASP Session Management Cheat Sheet") {
        return Some(
            "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html"
                .to_owned(),
        );
    }
    if reference.starts_with("NIST SP 800-63B") {
        return Some("https://pages.nist.gov/800-63-4/sp800-63b.html".to_owned());
    }
    if let Some(rest) = reference.strip_prefix("OWASP ASVS ") {
        let version = rest.split_whitespace().next()?;
        return Some(format!("https://github.com/OWASP/ASVS/tree/v{version}"));
    }
    if reference == "RFC 6265bis" {
        return Some("https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/".to_owned());
    }
    let number = reference.strip_prefix("RFC ")?;
    number
        .chars()
        .all(|c| c.is_ascii_digit())
        .then(|| format!("https://www.rfc-editor.org/rfc/rfc{number}"))
}

impl Entry {
    /// The address of this gap's first cited standard (SARIF's `helpUri`); rows that cite none
    /// have their help text only.
    pub fn help_uri(&self) -> Option<String> {
        self.references.iter().find_map(|r| reference_url(r))
    }

    /// The references as Markdown, each linked where it has an address.
    pub fn references_markdown(&self) -> String {
        let cited: Vec<String> = self
            .references
            .iter()
            .map(|r| match reference_url(r) {
                Some(url) => format!("[{r}]({url})"),
                None => (*r).to_owned(),
            })
            .collect();
        cited.join("; ")
    }
}

impl Gap {
    /// This id's catalogue row.
    pub fn entry(self) -> &'static Entry {
        // `CATALOGUE` lists the ids in `Gap::ALL`'s order, which a test checks.
        &CATALOGUE[self as usize]
    }
}

use How::{Sim, Static};
use Severity::{Critical, High, Low, Medium};

/// Every row of `GAPS.md`, in its order.
///
/// References name the standards each row cites; rows whose source is only the workshop seed
/// material, and the map-hygiene rows, cite what applies or nothing rather than a guessed clause.
pub static CATALOGUE: &[Entry] = &[
    // ── Identifiers and creation ───────────────────────────────────────────────────────────────
    Entry {
        id: Gap::SessIdPredictable,
        severity: Critical,
        how: Sim,
        title: "Predictable session ids",
        references: &[
            "OWASP ASVS 4.0.3 V3.2.2",
            "OWASP ASVS 5.0.0 V7.2.3",
            "OWASP Session Management Cheat Sheet",
        ],
        help: "Session ids made from a counter, a timestamp or too few random bits let an attacker who has seen a few ids work out live ones and use another user's session. Generate ids with a cryptographically secure random generator and at least 128 bits of entropy, and never derive them from anything an attacker can observe.",
    },
    Entry {
        id: Gap::SessIdPermissive,
        severity: High,
        how: Sim,
        title: "Server adopts session ids the client made up",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "A permissive server creates a session under any id the client presents, so an attacker can choose an id, plant it in the victim's browser and wait for it to become authenticated. Run the session manager in strict mode: ignore unknown ids and always issue a fresh one from the server.",
    },
    Entry {
        id: Gap::SessFixNorotate,
        severity: High,
        how: Sim,
        title: "Session id not rotated on login",
        references: &["OWASP ASVS 4.0.3 V3.2.1", "OWASP ASVS 5.0.0 V7.2.4"],
        help: "When the id a user had before logging in stays the same afterwards, anyone who planted or saw that id (session fixation) is logged in with the victim. Issue a new session id at every authentication and end the old one.",
    },
    Entry {
        id: Gap::SessFixOldidAlive,
        severity: High,
        how: Sim,
        title: "Pre-login session id still valid after rotation",
        references: &["OWASP ASVS 5.0.0 V7.2.4"],
        help: "Rotating the id at login only helps if the old id stops working. If the pre-login id still validates, a planted id still gives the attacker the victim's session. Invalidate the previous id on the server in the same step that issues the new one.",
    },
    Entry {
        id: Gap::SessPrivStale,
        severity: High,
        how: Sim,
        title: "Role change keeps the old session and privileges",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "When a user's role changes, sessions that cached the old privileges keep using them: a demoted administrator can still act as one. Rotate the session id on every privilege change and reload privileges from the source of truth rather than a snapshot taken at login.",
    },
    Entry {
        id: Gap::SessPreverify,
        severity: High,
        how: Sim,
        title: "Full session before verification, MFA or reset completes",
        references: &["OWASP ASVS 4.0.3 V3.7.1", "OWASP ASVS 5.0.0 V7.6.2"],
        help: "A full session handed out before email verification, the second factor or a password reset is complete lets someone who only passed the first step use the account. Until the step is done, give no session or one limited to finishing the step.",
    },
    Entry {
        id: Gap::SessIdInUrl,
        severity: High,
        how: Static,
        title: "Session token in a URL",
        references: &["OWASP ASVS 4.0.3 V3.1.1"],
        help: "A session id or token in a URL parameter ends up in browser history, server and proxy logs, bookmarks and the Referer header sent to other sites, where anyone who reads them can replay it. Carry session tokens in a cookie or an Authorization header, never in the URL.",
    },
    Entry {
        id: Gap::SessIdEntropyLow,
        severity: Medium,
        how: Static,
        title: "Session ids with fewer random bits than the profile asks",
        references: &[
            "OWASP ASVS 4.0.3 V3.2.2",
            "OWASP ASVS 5.0.0 V7.2.3",
            "OWASP Session Management Cheat Sheet",
        ],
        help: "Each random bit an id lacks halves the guesses an attacker needs to hit some live session; with many sessions live at once, an id of 48 or 64 bits can be found by a patient guesser even though no single guess is likely. Generate ids with a cryptographically secure random generator and at least as many bits as the profile asks (128 for ASVS level 2 and 3, 64 for level 1 and NIST).",
    },
    // ── Timeouts ───────────────────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::SessIdleNone,
        severity: High,
        how: Sim,
        title: "No inactivity timeout",
        references: &["OWASP ASVS 5.0.0 V7.3.1", "NIST SP 800-63B rev 4"],
        help: "Without an idle timeout a session left open on a shared or stolen device stays usable for as long as it lives. Add an idle timeout enforced by the server, within the profile's limit, and attach it to the stages it governs.",
    },
    Entry {
        id: Gap::SessIdleTooLong,
        severity: Medium,
        how: Sim,
        title: "Idle timeout longer than the profile allows",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "An idle timeout longer than the profile allows leaves unattended sessions open longer than the application's risk accepts. The cheat sheet suggests 2-5 minutes for high-value applications and 15-30 minutes for low-risk ones; shorten the drawn timeout to the profile's limit or below.",
    },
    Entry {
        id: Gap::SessAbsNone,
        severity: High,
        how: Sim,
        title: "Sliding session without an absolute lifetime",
        references: &["OWASP ASVS 5.0.0 V7.3.2", "NIST SP 800-63B rev 4"],
        help: "An idle timeout alone lets a session that is used regularly, by its owner or by whoever stole it, live forever. Add an absolute timeout enforced by the server that ends the session a fixed time after login whatever the activity, and require a new authentication then.",
    },
    Entry {
        id: Gap::SessAbsTooLong,
        severity: Medium,
        how: Sim,
        title: "Absolute lifetime longer than the profile allows",
        references: &["OWASP ASVS 5.0.0 V7.3.2", "NIST SP 800-63B rev 4"],
        help: "An absolute timeout is drawn, but it lets a busy session live longer than the chosen profile allows (12 hours at ASVS level 2, 24 hours at NIST AAL2): a stolen session that is kept in use stays valid past the limit. Shorten the absolute timeout to the profile's limit or less.",
    },
    Entry {
        id: Gap::SessIdleBgping,
        severity: High,
        how: Sim,
        title: "Background requests keep the session alive",
        references: &[
            "NIST SP 800-63B rev 4 §5.2",
            "OWASP Session Management Cheat Sheet",
        ],
        help: "When polling, health checks or silent refreshes count as activity, an open tab keeps a session alive with nobody at the keyboard and the idle timeout never fires. Reset the idle timer only on user actions, and mark background requests as not counting.",
    },
    Entry {
        id: Gap::SessExpiryClientside,
        severity: High,
        how: Sim,
        title: "Expiry enforced only by the client",
        references: &[
            "NIST SP 800-63B rev 3",
            "NIST SP 800-63B rev 4",
            "OWASP Session Management Cheat Sheet",
        ],
        help: "A cookie Max-Age or a JavaScript timer only asks the browser to forget the credential; a copy replayed after the expiry still works if the server does not check. Record when each session was created and last used on the server, and refuse it there once a timeout has passed.",
    },
    Entry {
        id: Gap::UsabIdleFriction,
        severity: Medium,
        how: Sim,
        title: "Idle timeout interrupts normal work",
        references: &[],
        help: "An idle timeout shorter than the pauses users normally take logs them out in the middle of a task, which pushes them to workarounds (keep-alive tabs, saved passwords) that cost more security than the short timeout buys. Lengthen the timeout within the profile, warn before expiry, or keep drafts across a new login.",
    },
    Entry {
        id: Gap::UsabNoWarning,
        severity: Low,
        how: Sim,
        title: "Sessions expire without warning",
        references: &[],
        help: "When a session expires without warning, users lose what they were typing. Warn a couple of minutes before the idle timeout (with a way to stay signed in that is a real user action) and keep drafts so work survives a new login.",
    },
    // ── Remember-me ────────────────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::RememberNoMax,
        severity: Critical,
        how: Sim,
        title: "Remember-me token never expires",
        references: &["OWASP ASVS 4.0.3 V3.3.2", "NIST SP 800-63B rev 4"],
        help: "A remember-me token with no lifetime is a permanent key to the account: one copied cookie works years later. Attach a remember-me lifetime (30 days at most for most profiles), enforce it on the server and ask for a full login when it ends.",
    },
    Entry {
        id: Gap::RememberTooLong,
        severity: Medium,
        how: Sim,
        title: "Remember-me lifetime beyond the profile",
        references: &[],
        help: "A remember-me token that lives longer than the profile allows keeps auto-login available long after the user last proved who they are. Shorten the remember-me lifetime to the profile's limit.",
    },
    Entry {
        id: Gap::RememberUnbound,
        severity: High,
        how: Sim,
        title: "Remember-me token not bound to a device",
        references: &[],
        help: "A remember-me token that works from any device lets whoever copies it (malware, a synced profile, a shared backup) log in as the user. Tie the token to the device it was issued to and refuse it elsewhere.",
    },
    Entry {
        id: Gap::RememberStatic,
        severity: High,
        how: Sim,
        title: "Remember-me token never rotated and survives logout",
        references: &[],
        help: "A remember-me token that is never rotated and outlives logout stays valid for an attacker who copied it, even after the victim logged out. Issue a new token on each use, detect reuse of an old one, and revoke the token on logout.",
    },
    Entry {
        id: Gap::RememberEscalation,
        severity: High,
        how: Sim,
        title: "Auto-login grants sensitive actions",
        references: &["NIST SP 800-63B rev 4", "OWASP ASVS 5.0.0 V7.5.1"],
        help: "A session created by auto-login proves only that the browser holds a token, not that its owner is present. Require a real authentication before sensitive actions (email, password, MFA or payout changes) in sessions that began with remember-me.",
    },
    // ── Logout and revocation ──────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::LogoutServerNoop,
        severity: Critical,
        how: Sim,
        title: "Logout does not end the session on the server",
        references: &["OWASP ASVS 4.0.3 V3.3.1", "OWASP ASVS 5.0.0 V7.4.1"],
        help: "A logout that only deletes the cookie or token in the browser leaves the session valid on the server, so any copy of the credential keeps working. Invalidate the session (and its refresh tokens) on the server when the user logs out.",
    },
    Entry {
        id: Gap::LogoutOthersNone,
        severity: Medium,
        how: Sim,
        title: "No log out of all devices",
        references: &["OWASP ASVS 4.0.3 V3.3.4", "OWASP ASVS 5.0.0 V7.5.2"],
        help: "Without a way to see and end other sessions, a user who lost a phone or suspects a break-in cannot shut the attacker out. Offer \"log out of all devices\" (or a list of active sessions to end) and make it end them on the server.",
    },
    Entry {
        id: Gap::CredChangeSurvive,
        severity: High,
        how: Sim,
        title: "Password or MFA change leaves other sessions alive",
        references: &["OWASP ASVS 4.0.3 V3.3.3", "OWASP ASVS 5.0.0 V7.4.3"],
        help: "Users change their password because they fear someone else has it; if the attacker's sessions and refresh tokens survive the change, the reset achieves nothing. End all other sessions and revoke refresh tokens when a password or second factor changes (offering it as an option at least).",
    },
    Entry {
        id: Gap::AcctDisableSurvive,
        severity: High,
        how: Sim,
        title: "Disabled account keeps its sessions",
        references: &["OWASP ASVS 5.0.0 V7.4.2"],
        help: "Disabling an account only stops new logins; existing sessions keep working unless they are ended too. End every session and revoke every token of an account when it is disabled or deleted.",
    },
    Entry {
        id: Gap::AdminKillNone,
        severity: Medium,
        how: Static,
        title: "No administrator path to end a user's sessions",
        references: &["OWASP ASVS 5.0.0 V7.4.5"],
        help: "When an account is compromised, support or security staff need to end that user's sessions at once, without waiting for the user. Draw an admin revoke stage that ends one user's (or all users') sessions and connect it to the flow it acts on.",
    },
    Entry {
        id: Gap::RevokeLatency,
        severity: High,
        how: Sim,
        title: "Revoked credentials stay usable for a while",
        references: &["OWASP ASVS 5.0.0 V7.4.1"],
        help: "Stateless tokens and caches keep accepting a credential after logout or revocation until they expire or the revocation propagates. Keep that window short: short access token lifetimes, a denylist or per-user not-before checked on every request, and caches invalidated on revocation.",
    },
    Entry {
        id: Gap::FedRpOutlivesIdp,
        severity: High,
        how: Sim,
        title: "App session outlives identity-provider logout",
        references: &["OWASP ASVS 5.0.0 V7.1.3", "OWASP ASVS 5.0.0 V7.6.1"],
        help: "When users sign in through an identity provider, logging out there or being disabled there should end the application's session too; otherwise offboarding leaves working sessions behind. Handle the provider's back-channel (or front-channel) logout and end the matching sessions.",
    },
    // ── Tokens ─────────────────────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::JwtNoRevoke,
        severity: High,
        how: Sim,
        title: "Signed token cannot be revoked",
        references: &["OWASP ASVS 5.0.0 V7.4.1"],
        help: "A self-contained signed token is valid until its `exp` whatever happens: logout, password change and account disable do not stop it. Keep access tokens short-lived and add a revocation check (a denylist of token ids or a per-user not-before time) for the events that must end them.",
    },
    Entry {
        id: Gap::JwtLongLived,
        severity: Medium,
        how: Sim,
        title: "Access token lives for hours",
        references: &[],
        help: "A stolen access token is usable for its whole lifetime, and signed tokens are rarely revocable. Keep access tokens to minutes (15-30 at most; some identity providers default to 5) and use refresh tokens for longer sessions.",
    },
    Entry {
        id: Gap::JwtValidationWeak,
        severity: Critical,
        how: Sim,
        title: "Expired or unsigned tokens accepted",
        references: &[
            "OWASP ASVS 5.0.0 V9.1.1",
            "OWASP ASVS 5.0.0 V9.1.2",
            "OWASP ASVS 5.0.0 V9.2.1",
        ],
        help: "A verifier that skips `exp` or `nbf`, or accepts `alg: none`, accepts tokens that are expired, not yet valid or not signed at all, which anyone can forge. Verify the signature with an allow-listed algorithm and check `exp` and `nbf` on every request.",
    },
    Entry {
        id: Gap::RtNoRotation,
        severity: High,
        how: Sim,
        title: "Refresh token reusable without reuse detection",
        references: &["RFC 9700", "OWASP ASVS 5.0.0 V10.4.5"],
        help: "A refresh token that can be used again and again lets an attacker who copied it mint access tokens alongside the victim indefinitely. Rotate refresh tokens on every use and, when an old one comes back, revoke the whole token family.",
    },
    Entry {
        id: Gap::RtGraceWide,
        severity: Medium,
        how: Sim,
        title: "Refresh rotation accepts old generations",
        references: &[],
        help: "A rotation that still accepts tokens several generations old gives a stolen refresh token a second life. Accept only the newest token (a grace of one generation at most, for network retries) and treat anything older as reuse.",
    },
    Entry {
        id: Gap::RtNoAbsExpiry,
        severity: Medium,
        how: Sim,
        title: "Sliding refresh token never hard-expires",
        references: &["OWASP ASVS 5.0.0 V10.4.8"],
        help: "A refresh token whose lifetime restarts on every use lives forever for anyone who keeps using it, the attacker included. Give the refresh token family an absolute lifetime after which the user must authenticate again.",
    },
    Entry {
        id: Gap::RtSurvivesLogout,
        severity: High,
        how: Sim,
        title: "Logout leaves the refresh token valid",
        references: &["RFC 7009", "OWASP ASVS 5.0.0 V10.4.9"],
        help: "Ending the session but not its refresh token lets the refresh token start a new one right after logout. Revoke the refresh token (RFC 7009 token revocation) when the user logs out.",
    },
    Entry {
        id: Gap::TokenStorage,
        severity: High,
        how: Sim,
        title: "Token readable by scripts",
        references: &[
            "OWASP Session Management Cheat Sheet",
            "NIST SP 800-63B rev 4",
        ],
        help: "A credential in localStorage, sessionStorage or a cookie without HttpOnly can be read by any script on the page, so one XSS bug sends it to an attacker who replays it elsewhere. Keep session credentials in HttpOnly cookies, or access tokens in memory only.",
    },
    // ── Concurrency and binding ────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::ConcUnlimited,
        severity: Medium,
        how: Sim,
        title: "No limit on concurrent sessions",
        references: &["OWASP ASVS 5.0.0 V7.1.2"],
        help: "With no limit, an attacker holding the password can keep many sessions open next to the user's without anyone noticing. Limit concurrent sessions per user (3-5 is common) and show users their active sessions.",
    },
    Entry {
        id: Gap::ConcEvictionDos,
        severity: Medium,
        how: Sim,
        title: "Session limit evicts the victim or locks users out",
        references: &["OWASP ASVS 4.0.3 V3.7"],
        help: "A single-session policy where the last login wins lets an attacker with the password end the victim's session at will; one that rejects new logins locks out a user who closed a browser without logging out. Allow a few sessions, evict the oldest inactive one, and tell the user when it happens.",
    },
    Entry {
        id: Gap::UsabSingleFriction,
        severity: Low,
        how: Sim,
        title: "Single-session policy logs multi-device users out",
        references: &[],
        help: "Users with a laptop, a phone and a tablet are logged out every time they switch under a single-session policy, and such logouts are a large share of support tickets. Allow one session per device category, or a small number per user.",
    },
    Entry {
        id: Gap::BindNone,
        severity: Medium,
        how: Sim,
        title: "Session not bound to the client",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "With no binding at all, a stolen cookie replayed from a different network and browser is accepted as if nothing changed. Record the client's characteristics (user agent, network) at login and require re-authentication when they change abruptly.",
    },
    Entry {
        id: Gap::GeoVelocityNone,
        severity: Low,
        how: Sim,
        title: "Impossible travel not detected",
        references: &[],
        help: "One session used from places too far apart to travel between in the time elapsed is a strong sign of a stolen credential. Check the distance and time between uses and require re-authentication (or end the session) on impossible travel.",
    },
    // ── Sensitive actions ──────────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::ReauthSensitiveNone,
        severity: High,
        how: Sim,
        title: "Sensitive change without re-authentication",
        references: &["OWASP ASVS 4.0.3 V3.7.1", "OWASP ASVS 5.0.0 V7.5.1"],
        help: "If changing the email, password, second factor or payout details needs nothing but the session, a hijacked session becomes a taken-over account. Ask for the password or second factor again before such changes.",
    },
    Entry {
        id: Gap::ReauthStale,
        severity: Medium,
        how: Sim,
        title: "Re-authentication measured by session age, or too old",
        references: &["OWASP ASVS 4.0.3 V3.6.1"],
        help: "\"Recent login\" measured by the session's age is reset by auto-login and renewal, and a generous window lets an old authentication authorise a sensitive action hours later. Measure the time since the user last really authenticated, and keep the window to minutes.",
    },
    // ── Cookies and stored data ────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::CookieFlags,
        severity: High,
        how: Static,
        title: "Session cookie without Secure, HttpOnly or SameSite",
        references: &["OWASP ASVS 4.0.3 V3.4.1-3.4.3", "OWASP ASVS 5.0.0 V3.3"],
        help: "A session cookie must be Secure (never sent over plain HTTP), HttpOnly (not readable by scripts, so an XSS cannot steal it) and carry SameSite=Lax or Strict (not sent on cross-site requests). Set all three on every cookie that carries a credential.",
    },
    Entry {
        id: Gap::CookieScope,
        severity: Medium,
        how: Static,
        title: "Session cookie not locked to its host",
        references: &["OWASP ASVS 4.0.3 V3.4.4", "RFC 6265bis"],
        help: "A cookie with a Domain attribute is sent to every subdomain, and one without the `__Host-` prefix can be overwritten by a sibling subdomain or an insecure page (cookie tossing). Name session cookies `__Host-…` with Secure, Path=/ and no Domain, so the browser keeps them to the exact host that set them. A cookie that must be scoped to one path cannot be `__Host-`; use `__Secure-` and accept the finding knowingly.",
    },
    Entry {
        id: Gap::CookiePersistent,
        severity: Low,
        how: Static,
        title: "Session cookie persists without remember-me",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "A session cookie with Max-Age or Expires is written to disk and survives closing the browser, so the next person at a shared computer is still logged in, whether or not the user asked to be remembered. Leave Max-Age off the session cookie; if users want to stay signed in, offer remember-me with its own token and lifetime.",
    },
    Entry {
        id: Gap::DataSensitive,
        severity: High,
        how: Static,
        title: "Secrets or card or national-id numbers stored in the session",
        references: &[],
        help: "Passwords, password hashes, card numbers and national ids kept in session data are copied into every place the session goes (session stores, backups, tokens, logs), where they can leak. Keep only identifiers in the session and fetch sensitive data from its protected store when it is needed.",
    },
    Entry {
        id: Gap::DataStale,
        severity: Low,
        how: Static,
        title: "Fast-changing data cached in the session",
        references: &[],
        help: "Balances, totals and other data that change outside the session go stale once copied into it, and decisions based on the copy are wrong. Keep an identifier in the session and read the current value from its source.",
    },
    // ── Map hygiene ────────────────────────────────────────────────────────────────────────────
    Entry {
        id: Gap::MapNoLogout,
        severity: High,
        how: Static,
        title: "No logout from a stage",
        references: &["OWASP Session Management Cheat Sheet"],
        help: "From this stage the drawing offers no path to a logout, so a user who gets there cannot end the session and leaves it open, on a shared computer for the next person. Draw a transition to a logout from the stage, or from a stage it leads to.",
    },
    Entry {
        id: Gap::MapDeadEnd,
        severity: Low,
        how: Static,
        title: "A stage with no way out",
        references: &[],
        help: "A node with no outgoing transition that is not an end (a logout, an account disable, an admin revoke) strands virtual users and usually means an edge was forgotten. Draw where the user goes next.",
    },
    Entry {
        id: Gap::MapUnreachable,
        severity: Low,
        how: Static,
        title: "A node no entry point reaches",
        references: &[],
        help: "No entry point (and no operator action) leads to this node by transitions, so no virtual user ever gets there and its settings are never exercised. Connect it from the stage that leads to it, or remove it.",
    },
    Entry {
        id: Gap::MapUnusedTimeout,
        severity: Low,
        how: Static,
        title: "A timeout connected to nothing",
        references: &[],
        help: "A timeout governs only the stages it is attached to; one attached to nothing configures nothing, and the flow runs as if it were not drawn. Attach it to the stages (or the create-session stage) it is meant to govern.",
    },
];

/// The gap catalogue as a Markdown page (`docs/gaps.md` in the repository, checked by a test):
/// a table of every id, then one section per gap with its help and references.
pub fn catalogue_markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# The gap catalogue\n\n\
         <!-- Generated from `src/report/catalogue.rs` by \
         `UPDATE_DOCS=1 cargo test --test rules`; do not edit by hand. -->\n\n\
         Every finding SessionMap reports has one of these ids. The ids are a public contract: \
         reports, CI scripts and suppressions refer to them, so an id never changes meaning; \
         new ids are added, none is renamed.\n\n\
         `how` says how a finding is proven: **sim**, a virtual user or attacker did it against \
         the session engine and the evidence trace shows each step; **static**, decided from \
         the map alone.\n\n\
         | id | severity | how | title |\n|---|---|---|---|\n",
    );
    for e in CATALOGUE {
        let how = match e.how {
            How::Static => "static",
            How::Sim => "sim",
        };
        let _ = writeln!(
            out,
            "| [{id}](#{anchor}) | {sev} | {how} | {title} |",
            id = e.id,
            anchor = e.id.as_str().to_ascii_lowercase(),
            sev = e.severity,
            title = e.title
        );
    }
    for e in CATALOGUE {
        let _ = write!(
            out,
            "\n## {}\n\n**{}** · {}\n\n{}\n",
            e.id, e.severity, e.title, e.help
        );
        if !e.references.is_empty() {
            let _ = writeln!(out, "\nReferences: {}.", e.references_markdown());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_lists_every_gap_once_in_the_enums_order() {
        let ids: Vec<Gap> = CATALOGUE.iter().map(|e| e.id).collect();
        assert_eq!(ids, Gap::ALL);
        for gap in Gap::ALL {
            assert_eq!(gap.entry().id, *gap);
        }
    }
}
