//! Typed gap ids. Every catalogue id is a variant of [`Gap`], so a finding made under a
//! misspelled id fails to compile instead of vanishing from a report. The strings are the public
//! contract (`GAPS.md`, reports, users' suppressions); the variant names follow them
//! (`SESS-ID-IN-URL` is `Gap::SessIdInUrl`, which is also its SARIF rule name).

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! gaps {
    ($($variant:ident = $id:literal,)*) => {
        /// A catalogue id. Serialized, displayed and debug-printed as its string.
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Gap {
            $($variant,)*
        }

        impl Gap {
            /// Every id, in the catalogue's order.
            pub const ALL: &[Gap] = &[$(Gap::$variant,)*];

            /// The public id, as `GAPS.md` spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Gap::$variant => $id,)*
                }
            }

            /// The variant's name, which SARIF uses as the rule's `name` (`SessIdInUrl`).
            pub const fn rule_name(self) -> &'static str {
                match self {
                    $(Gap::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

gaps! {
    SessIdPredictable = "SESS-ID-PREDICTABLE",
    SessIdPermissive = "SESS-ID-PERMISSIVE",
    SessFixNorotate = "SESS-FIX-NOROTATE",
    SessFixOldidAlive = "SESS-FIX-OLDID-ALIVE",
    SessPrivStale = "SESS-PRIV-STALE",
    SessPreverify = "SESS-PREVERIFY",
    SessIdInUrl = "SESS-ID-IN-URL",
    SessIdEntropyLow = "SESS-ID-ENTROPY-LOW",
    SessIdleNone = "SESS-IDLE-NONE",
    SessIdleTooLong = "SESS-IDLE-TOO-LONG",
    SessAbsNone = "SESS-ABS-NONE",
    SessAbsTooLong = "SESS-ABS-TOO-LONG",
    SessIdleBgping = "SESS-IDLE-BGPING",
    SessExpiryClientside = "SESS-EXPIRY-CLIENTSIDE",
    UsabIdleFriction = "USAB-IDLE-FRICTION",
    UsabNoWarning = "USAB-NO-WARNING",
    RememberNoMax = "REMEMBER-NO-MAX",
    RememberTooLong = "REMEMBER-TOO-LONG",
    RememberUnbound = "REMEMBER-UNBOUND",
    RememberStatic = "REMEMBER-STATIC",
    RememberEscalation = "REMEMBER-ESCALATION",
    LogoutServerNoop = "LOGOUT-SERVER-NOOP",
    LogoutOthersNone = "LOGOUT-OTHERS-NONE",
    CredChangeSurvive = "CRED-CHANGE-SURVIVE",
    AcctDisableSurvive = "ACCT-DISABLE-SURVIVE",
    AdminKillNone = "ADMIN-KILL-NONE",
    RevokeLatency = "REVOKE-LATENCY",
    FedRpOutlivesIdp = "FED-RP-OUTLIVES-IDP",
    JwtNoRevoke = "JWT-NO-REVOKE",
    JwtLongLived = "JWT-LONG-LIVED",
    JwtValidationWeak = "JWT-VALIDATION-WEAK",
    RtNoRotation = "RT-NO-ROTATION",
    RtGraceWide = "RT-GRACE-WIDE",
    RtNoAbsExpiry = "RT-NO-ABS-EXPIRY",
    RtSurvivesLogout = "RT-SURVIVES-LOGOUT",
    TokenStorage = "TOKEN-STORAGE",
    ConcUnlimited = "CONC-UNLIMITED",
    ConcEvictionDos = "CONC-EVICTION-DOS",
    UsabSingleFriction = "USAB-SINGLE-FRICTION",
    BindNone = "BIND-NONE",
    GeoVelocityNone = "GEO-VELOCITY-NONE",
    ReauthSensitiveNone = "REAUTH-SENSITIVE-NONE",
    ReauthStale = "REAUTH-STALE",
    CookieFlags = "COOKIE-FLAGS",
    CookieScope = "COOKIE-SCOPE",
    CookiePersistent = "COOKIE-PERSISTENT",
    DataSensitive = "DATA-SENSITIVE",
    DataStale = "DATA-STALE",
    MapNoLogout = "MAP-NO-LOGOUT",
    MapDeadEnd = "MAP-DEAD-END",
    MapUnreachable = "MAP-UNREACHABLE",
    MapUnusedTimeout = "MAP-UNUSED-TIMEOUT",
}

impl Gap {
    /// The id spelled `s`, if the catalogue has one.
    pub fn parse(s: &str) -> Option<Gap> {
        Gap::ALL.iter().copied().find(|g| g.as_str() == s)
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Ordered as the strings are, so lists sorted by id read alphabetically.
impl Ord for Gap {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Gap {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Gap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Gap {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Gap {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Gap> for &str {
    fn eq(&self, other: &Gap) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Gap;

    #[test]
    fn rule_names_are_the_ids_in_camel_case() {
        assert_eq!(Gap::CookieFlags.rule_name(), "CookieFlags");
        for gap in Gap::ALL {
            let camel: String = gap
                .as_str()
                .split('-')
                .map(|part| part[..1].to_owned() + &part[1..].to_ascii_lowercase())
                .collect();
            assert_eq!(gap.rule_name(), camel);
        }
    }

    #[test]
    fn every_id_parses_back_to_itself() {
        for gap in Gap::ALL {
            assert_eq!(Gap::parse(gap.as_str()), Some(*gap));
        }
        assert_eq!(Gap::parse("COOKIE-FLAG"), None);
    }
}
