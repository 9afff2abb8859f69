//! The simulated population: personas with their share of users and their habits.

use serde::{Deserialize, Serialize};

use super::{LaneId, Span};

/// A kind of user the simulator plays: how many there are and how they behave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub id: String,
    pub name: String,
    /// The lane (user type) whose flow this persona walks; `None` walks every lane's entry points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<LaneId>,
    /// Relative share of the population (shares are normalised, so percentages read well).
    pub share: u32,
    /// Visits (sign-ins or returns) on an active day.
    pub visits_per_day: u32,
    /// Mean pause between two actions within a visit.
    pub think_time: Span,
    pub active_hours: ActiveHours,
    /// Days a week this persona uses the application (1–7).
    pub days_per_week: u8,
    pub devices: Vec<Device>,
    #[serde(default)]
    pub behaviours: Vec<Behaviour>,
}

/// The local hours between which a persona is active, `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveHours {
    pub start: u8,
    pub end: u8,
}

/// A device category; concurrency limits can apply per category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
}

/// A habit that matters to session lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Behaviour {
    /// Ticks "remember me" when it is offered.
    TicksRememberMe,
    /// Closes the tab without logging out.
    ForgetsToLogOut,
    /// Walks away mid-task for about this long (meetings, lunch).
    WalksAway { pause: Span },
    /// Leaves a tab open that pings the server in the background.
    KeepsTabOpen,
    /// Changes the password about this often.
    ChangesPassword { every: Span },
    /// Fills long forms, so an expiry mid-task loses work.
    WritesLongForms,
    /// Has the account disabled at some point (leaver, fraud).
    GetsDisabled,
    /// Uses "log out of all devices".
    LogsOutEverywhere,
}
