//! Profiles: the thresholds `--profile` selects (GAPS.md, "Profiles").

use std::fmt;
use std::time::Duration;

/// The limits a profile sets; `None` means the profile sets no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub idle_max: Option<Duration>,
    pub absolute_max: Option<Duration>,
    /// How long a remember-me token may live.
    pub remember_me_max: Option<Duration>,
    /// Remember-me must not grant sensitive actions (asvs-l3).
    pub remember_me_sensitive_allowed: bool,
    pub id_entropy_min_bits: u32,
}

impl Profile {
    pub const ALL: [Profile; 5] = [
        Profile {
            name: "asvs-l1",
            idle_max: None,
            absolute_max: Some(Duration::from_hours(30 * 24)),
            remember_me_max: Some(Duration::from_hours(30 * 24)),
            remember_me_sensitive_allowed: true,
            id_entropy_min_bits: 64,
        },
        Profile {
            name: "asvs-l2",
            idle_max: Some(Duration::from_mins(30)),
            absolute_max: Some(Duration::from_hours(12)),
            remember_me_max: Some(Duration::from_hours(30 * 24)),
            remember_me_sensitive_allowed: true,
            id_entropy_min_bits: 128,
        },
        Profile {
            name: "asvs-l3",
            idle_max: Some(Duration::from_mins(15)),
            absolute_max: Some(Duration::from_hours(12)),
            remember_me_max: Some(Duration::from_hours(30 * 24)),
            remember_me_sensitive_allowed: false,
            id_entropy_min_bits: 128,
        },
        Profile {
            name: "nist-aal2",
            idle_max: Some(Duration::from_hours(1)),
            absolute_max: Some(Duration::from_hours(24)),
            remember_me_max: Some(Duration::from_hours(30 * 24)),
            remember_me_sensitive_allowed: true,
            id_entropy_min_bits: 64,
        },
        Profile {
            name: "nist-aal3",
            idle_max: Some(Duration::from_mins(15)),
            absolute_max: Some(Duration::from_hours(12)),
            remember_me_max: None,
            remember_me_sensitive_allowed: true,
            id_entropy_min_bits: 64,
        },
    ];

    /// The profile used when none is chosen.
    pub const DEFAULT: &'static str = "asvs-l2";

    pub fn named(name: &str) -> Option<Profile> {
        Self::ALL.into_iter().find(|p| p.name == name)
    }

    /// The default profile, `asvs-l2`.
    pub fn default_profile() -> Profile {
        Self::ALL[1]
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_mins(1);
    const HOUR: Duration = Duration::from_hours(1);
    const DAY: Duration = Duration::from_hours(24);

    #[test]
    fn the_default_profile_is_asvs_level_2() {
        let p = Profile::default_profile();
        assert_eq!(p.name, Profile::DEFAULT);
        assert_eq!(p.idle_max, Some(30 * MIN));
        assert_eq!(p.absolute_max, Some(12 * HOUR));
        assert_eq!(p.remember_me_max, Some(30 * DAY));
    }
}
