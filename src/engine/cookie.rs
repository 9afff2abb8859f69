//! `Set-Cookie` header strings (RFC 6265, with the `__Host-`/`__Secure-` prefixes of
//! RFC 6265bis): the engine builds them from the [`CookiePolicy`] and [`SetCookie::parse`] reads
//! one back, so tests and the simulator's browser model look at exactly what a server would send.

use std::fmt::Write as _;
use std::time::Duration;

use thiserror::Error;

use super::policy::{CookiePolicy, CookiePrefix, SameSite};

/// One `Set-Cookie` header, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    /// The full name, prefix included.
    pub name: String,
    /// The value.
    pub value: String,
    /// `Max-Age` (a negative or zero `Max-Age` is `Some(Duration::ZERO)`: delete now).
    pub max_age: Option<Duration>,
    /// `Domain`.
    pub domain: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite`.
    pub same_site: Option<SameSite>,
}

/// Why a `Set-Cookie` string did not parse.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CookieParseError {
    /// No `name=value` pair before the first `;`.
    #[error("the cookie has no name=value pair")]
    NoNameValue,
    /// The name is empty.
    #[error("the cookie name is empty")]
    EmptyName,
    /// An attribute had a value that does not parse (`Max-Age=abc`, `SameSite=Sideways`).
    #[error("attribute {0} has an invalid value")]
    BadAttribute(String),
}

impl SetCookie {
    /// A cookie as the policy configures it, named `base_name` (the prefix is added).
    pub(crate) fn configured(
        policy: &CookiePolicy,
        base_name: &str,
        value: String,
        max_age: Option<Duration>,
    ) -> Self {
        SetCookie {
            name: format!("{}{}", policy.prefix.as_str(), base_name),
            value,
            max_age,
            domain: policy.domain.clone(),
            path: Some(policy.path.clone()),
            secure: policy.secure,
            http_only: policy.http_only,
            same_site: policy.same_site,
        }
    }

    /// The header value (what follows `Set-Cookie: `).
    pub fn to_header(&self) -> String {
        let mut s = String::with_capacity(self.name.len() + self.value.len() + 64);
        let _ = write!(s, "{}={}", self.name, self.value);
        if let Some(age) = self.max_age {
            let _ = write!(s, "; Max-Age={}", age.as_secs());
        }
        if let Some(domain) = &self.domain {
            let _ = write!(s, "; Domain={domain}");
        }
        if let Some(path) = &self.path {
            let _ = write!(s, "; Path={path}");
        }
        if self.secure {
            s.push_str("; Secure");
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            s.push_str(match same_site {
                SameSite::Strict => "; SameSite=Strict",
                SameSite::Lax => "; SameSite=Lax",
                SameSite::None => "; SameSite=None",
            });
        }
        s
    }

    /// Parses a header value (with or without a leading `Set-Cookie:`). Unknown attributes are
    /// ignored, as RFC 6265 §5.2 says.
    pub fn parse(header: &str) -> Result<Self, CookieParseError> {
        let header = header.trim();
        let header = match header.get(..11) {
            Some(p) if p.eq_ignore_ascii_case("set-cookie:") => header.get(11..).unwrap_or(""),
            _ => header,
        };
        let mut parts = header.split(';');
        let pair = parts.next().unwrap_or("");
        let (name, value) = pair.split_once('=').ok_or(CookieParseError::NoNameValue)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(CookieParseError::EmptyName);
        }
        let mut cookie = SetCookie {
            name: name.to_owned(),
            value: value.trim().to_owned(),
            max_age: None,
            domain: None,
            path: None,
            secure: false,
            http_only: false,
            same_site: None,
        };
        for attr in parts {
            let (key, val) = match attr.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => (attr.trim(), ""),
            };
            let bad = || CookieParseError::BadAttribute(key.to_owned());
            match key.to_ascii_lowercase().as_str() {
                "max-age" => {
                    let secs: i64 = val.parse().map_err(|_| bad())?;
                    let secs = u64::try_from(secs).unwrap_or(0);
                    cookie.max_age = Some(Duration::from_secs(secs));
                }
                "domain" => cookie.domain = Some(val.trim_start_matches('.').to_owned()),
                "path" => cookie.path = Some(val.to_owned()),
                "secure" => cookie.secure = true,
                "httponly" => cookie.http_only = true,
                "samesite" => {
                    cookie.same_site = Some(match val.to_ascii_lowercase().as_str() {
                        "strict" => SameSite::Strict,
                        "lax" => SameSite::Lax,
                        "none" => SameSite::None,
                        _ => return Err(bad()),
                    });
                }
                _ => {}
            }
        }
        Ok(cookie)
    }

    /// The name's prefix.
    pub fn prefix(&self) -> CookiePrefix {
        if self.name.starts_with("__Host-") {
            CookiePrefix::Host
        } else if self.name.starts_with("__Secure-") {
            CookiePrefix::Secure
        } else {
            CookiePrefix::None
        }
    }

    /// Whether a browser following RFC 6265bis would store this cookie (prefix rules).
    pub fn prefix_rules_hold(&self) -> bool {
        match self.prefix() {
            CookiePrefix::None => true,
            CookiePrefix::Secure => self.secure,
            CookiePrefix::Host => {
                self.secure && self.domain.is_none() && self.path.as_deref() == Some("/")
            }
        }
    }

    /// Whether the browser deletes the cookie on receipt (`Max-Age=0`).
    pub fn is_removal(&self) -> bool {
        self.max_age == Some(Duration::ZERO)
    }
}
