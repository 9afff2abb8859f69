//! The scene's bench: the engine of one flow, the clock and the trace. Scenes reach the engine
//! only through [`Lab::act`] (counted, and recorded with the engine's real answer) and
//! [`Lab::quiet`] (counted, not recorded: a guess among thousands); the engine and the event
//! count are private to this file, so a scene cannot claim an outcome it did not get.

use super::*;

/// A scene in progress: the engine of one flow, the clock, and the trace so far.
pub(super) struct Lab<'w, 'a> {
    pub(super) world: &'w World<'a>,
    pub(super) flow: usize,
    pub(super) info: &'w FlowInfo,
    engine: &'w mut Engine,
    clock: &'w ManualClock,
    pub(super) rng: &'w mut ChaCha8Rng,
    pub(super) now: u64,
    /// Midnight of the scene's first day: trace times are counted from it.
    pub(super) origin: u64,
    pub(super) trace: Vec<Step>,
    events: u64,
    pub(super) next_user: u64,
    pub(super) victim: UserId,
    /// The victim's refresh token (a hybrid flow), which the victim's app uses as an app does:
    /// when the access token has expired.
    pub(super) victim_refresh: Option<String>,
}

impl<'w, 'a> Lab<'w, 'a> {
    /// A scene starting at `start` (`origin` is that day's midnight), with a fresh victim.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        world: &'w World<'a>,
        flow: usize,
        info: &'w FlowInfo,
        engine: &'w mut Engine,
        clock: &'w ManualClock,
        rng: &'w mut ChaCha8Rng,
        (origin, start): (u64, u64),
        next_user: u64,
    ) -> Self {
        clock.set(Timestamp::from_millis(start));
        engine.sweep();
        let mut lab = Lab {
            world,
            flow,
            info,
            engine,
            clock,
            rng,
            now: start,
            origin,
            trace: Vec::new(),
            events: 0,
            next_user,
            victim: UserId(0),
            victim_refresh: None,
        };
        lab.victim = lab.account(true, Role::USER);
        lab
    }
}

impl Lab<'_, '_> {
    /// Engine events the scene caused (every call through `act` and `quiet`).
    pub(super) fn events(&self) -> u64 {
        self.events
    }

    /// The one way a scene asks the engine for something it records: counts the event, makes
    /// the call, and writes the engine's real answer as the step's outcome (`answer` words an
    /// acceptance; a refusal is written as the engine's reason).
    pub(super) fn act<T>(
        &mut self,
        actor: &str,
        action: impl Into<String>,
        node: &NodeId,
        call: impl FnOnce(&mut Engine) -> Result<T, Rejection>,
        answer: impl FnOnce(&T) -> String,
    ) -> Result<T, Rejection> {
        self.events += 1;
        let result = call(self.engine);
        let outcome = match &result {
            Ok(t) => answer(t),
            Err(why) => format!("refused: {why}"),
        };
        self.step(actor, action.into(), outcome, node);
        result
    }

    /// `act` for a call that issues a session (a remember-me login, a refresh), recorded at
    /// `node` (the flow's create stage when none is drawn) and worded as whom it let in.
    pub(super) fn issue_at(
        &mut self,
        actor: &str,
        action: impl Into<String>,
        node: Option<NodeId>,
        call: impl FnOnce(&mut Engine) -> Result<Issued, Rejection>,
    ) -> Result<Issued, Rejection> {
        let node = node.unwrap_or_else(|| self.info.create.clone());
        let victim = self.victim;
        self.act(actor, action, &node, call, |i| {
            accepted_as(victim, Some(i.user))
        })
    }

    /// An engine call counted but not written to the trace (a guess among thousands, a
    /// keep-alive among hundreds); the scene records what it concludes from the answers.
    pub(super) fn quiet<T>(&mut self, call: impl FnOnce(&mut Engine) -> T) -> T {
        self.events += 1;
        call(self.engine)
    }

    /// What the engine holds for a user (a read: no event).
    pub(super) fn sessions_of(&self, user: UserId) -> u32 {
        self.engine.user_sessions(user)
    }

    pub(super) fn wait(&mut self, d: u64) {
        self.now += d;
        self.clock.set(Timestamp::from_millis(self.now));
    }

    pub(super) fn account(&mut self, verified: bool, role: Role) -> UserId {
        self.next_user += 1;
        let user = UserId(self.next_user);
        self.engine.add_account(
            user,
            AccountSetup {
                role,
                email_verified: verified,
            },
        );
        user
    }

    pub(super) fn step(&mut self, actor: &str, action: String, outcome: String, node: &NodeId) {
        self.trace.push(Step {
            at_ms: Some(self.now - self.origin),
            actor: actor.to_owned(),
            action,
            outcome,
            node: Some(node.clone()),
        });
    }

    pub(super) fn label(&self, node: &NodeId) -> String {
        format!("«{}»", self.world.label(node))
    }

    /// How the engine's acceptance reads in the trace: as whom it let the request in.
    pub(super) fn accepted_as(&self, user: Option<UserId>) -> String {
        accepted_as(self.victim, user)
    }

    /// The victim (or another account) signs in at the flow's login.
    pub(super) fn sign_in(
        &mut self,
        user: UserId,
        client: Client<'_>,
        how: SignIn<'_>,
    ) -> Result<Issued, Rejection> {
        let actor = how.by.unwrap_or(if user == self.victim {
            "user"
        } else {
            "attacker"
        });
        let node = how
            .at
            .clone()
            .or_else(|| self.info.login.clone())
            .unwrap_or_else(|| self.info.create.clone());
        let mut action = format!("signs in at {}", self.label(&node));
        if how.remember {
            action.push_str(", ticking \"remember me\"");
        }
        if let Some(device) = how.device {
            action.push_str(&format!(" on the {device}"));
        }
        let request = LoginRequest {
            user,
            client,
            mfa: how.mfa,
            remember_me: if how.remember {
                RememberMe::Asked
            } else {
                RememberMe::No
            },
            presented_id: how.presented,
            idp_session: how.idp,
        };
        let who = self.accepted_as(Some(user));
        let issued = self.act(actor, action, &node, |e| e.login(&request), |_| who);
        if user == self.victim
            && let Ok(i) = &issued
        {
            self.victim_refresh = i.refresh.as_ref().map(|r| r.value.clone());
        }
        issued
    }

    /// The victim's app makes a request with `cred`, refreshing first (as an app does) when the
    /// access token has expired; `recorded` writes the request and any refresh to the trace.
    /// Returns the credential now in use and why the engine let it through.
    pub(super) fn as_victims_app(
        &mut self,
        cred: &str,
        recorded: Option<&str>,
    ) -> Result<(String, Grounds), Rejection> {
        let first = match recorded {
            Some(action) => self.present("user", action, cred, &LAPTOP, RequestKind::UserAction),
            None => self.quietly(cred, &LAPTOP, RequestKind::UserAction),
        };
        match first {
            Ok(a) => Ok((
                a.renewed.map_or_else(|| cred.to_owned(), |r| r.value),
                a.grounds,
            )),
            Err(Rejection::TokenExpired) if self.victim_refresh.is_some() => {
                let token = self.victim_refresh.clone().unwrap_or_default();
                let issued = match recorded {
                    Some(_) => self.issue_at(
                        "user",
                        "the app refreshes its tokens",
                        self.info.refresh.clone(),
                        |e| e.refresh(&token, &LAPTOP, RequestKind::UserAction),
                    ),
                    None => self.quiet(|e| e.refresh(&token, &LAPTOP, RequestKind::UserAction)),
                }?;
                self.victim_refresh = issued.refresh.as_ref().map(|r| r.value.clone());
                let grounds = issued.grounds.ok_or(Rejection::Malformed)?;
                Ok((issued.credential.value, grounds))
            }
            Err(why) => Err(why),
        }
    }

    /// Someone presents a credential with a request.
    pub(super) fn present(
        &mut self,
        actor: &str,
        action: impl Into<String>,
        cred: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Accepted, Rejection> {
        let node = self.info.request.clone();
        let victim = self.victim;
        self.act(
            actor,
            action,
            &node,
            |e| e.validate(cred, client, kind),
            |a| accepted_as(victim, a.user),
        )
    }

    /// Presents without recording (a guess among thousands, a keep-alive among hundreds).
    pub(super) fn quietly(
        &mut self,
        cred: &str,
        client: &Client<'_>,
        kind: RequestKind,
    ) -> Result<Accepted, Rejection> {
        self.quiet(|e| e.validate(cred, client, kind))
    }

    /// A user stays active: a request every `every` for `span`; returns the credential in use
    /// (renewed ones replace it) or the refusal that ended it.
    pub(super) fn stay_active(
        &mut self,
        cred: &str,
        every: u64,
        span: u64,
    ) -> Result<String, Rejection> {
        let mut cred = cred.to_owned();
        let mut done = 0;
        while done + every <= span {
            self.wait(every);
            done += every;
            cred = self.as_victims_app(&cred, None)?.0;
        }
        Ok(cred)
    }

    /// A pace at which an active user never trips the idle timeout.
    pub(super) fn active_pace(&self) -> u64 {
        let idle = self.info.policy.timeouts.idle.map_or(u64::MAX, ms);
        (10 * MINUTE)
            .min(idle.saturating_sub(MINUTE).max(idle / 2))
            .max(SECOND)
    }

    pub(super) fn observe(
        &self,
        id: Gap,
        nodes: Vec<NodeId>,
        explanation: impl Into<String>,
    ) -> Observation {
        Observation {
            id,
            flow: self.flow,
            nodes,
            explanation: explanation.into(),
            trace: self.trace.clone(),
        }
    }

    /// After a revocation at `self.now`, tries the revoked credential at growing offsets until
    /// refused; records the first and the last try. Returns (first accepted?, latency, open,
    /// refused-as-revoked?).
    pub(super) fn probe_after_revocation(
        &mut self,
        actor: &str,
        what: &str,
        cred: &str,
        client: &Client<'_>,
    ) -> Probe {
        let start = self.now;
        let mut cred = cred.to_owned();
        let mut first_accepted = None;
        let mut grounds = None;
        let mut last_ok = None;
        for (i, &offset) in PROBES.iter().enumerate() {
            let target = start + offset;
            if target > self.now {
                self.wait(target - self.now);
            }
            let result = if i == 0 {
                self.present(
                    actor,
                    format!("replays {what}"),
                    &cred,
                    client,
                    RequestKind::UserAction,
                )
            } else {
                self.quietly(&cred, client, RequestKind::UserAction)
            };
            match result {
                Ok(a) => {
                    if i == 0 {
                        first_accepted = Some(true);
                        grounds = Some(a.grounds);
                    }
                    if let Some(r) = a.renewed {
                        cred = r.value;
                    }
                    last_ok = Some(offset);
                }
                Err(why) => {
                    if i == 0 {
                        return Probe {
                            accepted: false,
                            grounds,
                            latency: Some(0),
                            revoked_later: false,
                        };
                    }
                    let line = format!("replays {what} again, {} after", human_ms(offset));
                    let outcome = format!("refused: {why}");
                    let node = self.info.request.clone();
                    self.step(actor, line, outcome, &node);
                    return Probe {
                        accepted: first_accepted.unwrap_or(false),
                        grounds,
                        latency: Some(offset),
                        revoked_later: why == Rejection::Revoked,
                    };
                }
            }
        }
        if let Some(offset) = last_ok {
            let node = self.info.request.clone();
            self.step(
                actor,
                format!("still using {what} {} after", human_ms(offset)),
                "accepted".into(),
                &node,
            );
        }
        Probe {
            accepted: first_accepted.unwrap_or(false),
            grounds,
            latency: None,
            revoked_later: false,
        }
    }

    /// An attacker keeps using a stolen credential every few minutes until it stops working;
    /// meanwhile the victim finishes the visit and, half the time, logs out. Returns how long
    /// the credential stayed usable and whether it still was at the end.
    pub(super) fn keep_using(
        &mut self,
        cred: &str,
        victim_cred: &str,
        client: &Client<'_>,
    ) -> (u64, bool) {
        let start = self.now;
        let visit = self.rng.random_range(5 * MINUTE..60 * MINUTE);
        let logs_out = self.info.logout.is_some() && self.rng.random_bool(0.5);
        let mut victim_done = false;
        let mut cred = cred.to_owned();
        let mut last_ok = start;
        // A bot that has learnt the idle timeout keeps the session just warm enough.
        let every = self.active_pace().min(KEEP_USING_EVERY);
        while self.now - start < KEEP_USING_FOR {
            self.wait(every);
            if !victim_done && self.now - start >= visit {
                victim_done = true;
                if logs_out {
                    // Off the trace: the attacker's replays below show whether it mattered.
                    let _ = self.quiet(|e| e.logout(victim_cred, &LAPTOP, LogoutScope::ThisDevice));
                }
            }
            match self.quietly(&cred, client, RequestKind::UserAction) {
                Ok(a) => {
                    last_ok = self.now;
                    if let Some(r) = a.renewed {
                        cred = r.value;
                    }
                }
                Err(_) => return (last_ok - start, false),
            }
        }
        (last_ok - start, true)
    }
}

/// The victim signs in and uses the site; an attacker has copied the session credential.
pub(super) fn copied(lab: &mut Lab<'_, '_>, how: &str) -> Option<Issued> {
    let s = victim_session(lab)?;
    lab.wait(30 * SECOND);
    let node = lab.info.request.clone();
    lab.step(
        "attacker",
        format!("copies the session credential ({how})"),
        "copied".into(),
        &node,
    );
    Some(s)
}

impl Lab<'_, '_> {
    /// What a drawn logout node does (its own endpoint, as the plan says).
    /// The re-authentication rule of the sensitive action at `node` (its own, as drawn).
    pub(super) fn reauth_of(&self, node: &NodeId) -> crate::engine::ReauthPolicy {
        match self.world.op(node) {
            Op::Sensitive(reauth) => reauth,
            _ => self.info.policy.reauth,
        }
    }

    pub(super) fn logout_endpoint(&self, node: &NodeId) -> LogoutEndpoint {
        match self.world.op(node) {
            Op::Logout(endpoint) => endpoint,
            _ => LogoutEndpoint {
                scope: LogoutScope::ThisDevice,
                invalidation: self.info.policy.logout.invalidation,
                refresh: self.info.policy.refresh.on_logout,
            },
        }
    }

    /// The user logs out at `node` with `cred`; the step records the engine's real answer.
    pub(super) fn log_out_at(
        &mut self,
        node: &NodeId,
        cred: &str,
        action: &str,
    ) -> Option<LoggedOut> {
        let endpoint = self.logout_endpoint(node);
        self.act(
            "user",
            action,
            node,
            |e| e.logout_at(cred, &LAPTOP, endpoint),
            |o| format!("logged out; {} session(s) ended on the server", o.ended),
        )
        .ok()
    }

    /// The end of a replay after something that should have ended the credential: a gap when
    /// the engine accepted it, named from its grounds and from what the ending really did.
    pub(super) fn survived(&self, p: &Probe, ending: &cause::Ending) -> Option<Observation> {
        let grounds = p.grounds.as_ref().filter(|_| p.accepted)?;
        let later = p.latency.filter(|_| p.revoked_later);
        let c = cause::survived(self.info, grounds, ending, later);
        Some(self.observe(c.id, c.nodes, c.explanation))
    }
}

/// "accepted as the victim", "accepted as another user", "accepted as an anonymous visitor".
pub(super) fn accepted_as(victim: UserId, user: Option<UserId>) -> String {
    let who = match user {
        Some(u) if u == victim => "the victim",
        Some(_) => "another user",
        None => "an anonymous visitor",
    };
    format!("accepted as {who}")
}
