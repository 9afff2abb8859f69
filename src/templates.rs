//! The bundled templates: realistic starting maps, embedded in the binary so the app works from
//! any folder, and also present as files under `templates/`.

use std::path::Path;

use crate::model::{self, LoadError, Loaded};

/// A bundled map.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// The name used on the command line (`--template NAME`), also the file stem.
    pub name: &'static str,
    /// The RON text, exactly as in `templates/NAME.ron`.
    pub text: &'static str,
}

macro_rules! bundled {
    ($($name:literal),+ $(,)?) => {
        &[$(Template { name: $name, text: include_str!(concat!("../templates/", $name, ".ron")) }),+]
    };
}

/// Every bundled template, in gallery order.
pub const ALL: &[Template] = bundled!(
    "banking",
    "spa-hybrid-tokens",
    "content-site",
    "saas-admin",
    "mobile-api",
    "sso-oidc",
    "legacy-shop",
    "flask-login",
    "django",
    "express-session",
    "rails-cookie-store",
    "spring-session",
    "aspnet-core-cookie",
);

/// The templates that draw what a widely used stack does out of the box (every node's notes cite
/// the framework setting and its documented default): a team picks its stack and sees its gaps
/// before drawing anything else. The others are designed maps, good or deliberately bad.
pub const FRAMEWORK_DEFAULTS: &[&str] = &[
    "flask-login",
    "django",
    "express-session",
    "rails-cookie-store",
    "spring-session",
    "aspnet-core-cookie",
];

/// The template the app opens on when there is nothing else to open.
pub const DEFAULT: &str = "banking";

pub fn find(name: &str) -> Option<&'static Template> {
    ALL.iter().find(|t| t.name == name)
}

impl Template {
    /// Whether this template shows a framework's defaults rather than a designed map.
    pub fn is_framework_default(&self) -> bool {
        FRAMEWORK_DEFAULTS.contains(&self.name)
    }

    /// Parses the template; the path in messages is the template's file under `templates/`.
    pub fn load(&self) -> Result<Loaded, LoadError> {
        model::load_str(self.text, &self.path())
    }

    pub fn path(&self) -> std::path::PathBuf {
        Path::new("templates").join(format!("{}.ron", self.name))
    }
}
