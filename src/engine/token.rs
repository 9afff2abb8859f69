//! Signed tokens in the JWT compact form `header.payload.signature`, signed with HMAC-SHA256
//! under the engine's key. [`Claims`] is public so an attacker model can do what real attackers
//! do with a token it holds: read the payload, change it, and send it back unsigned
//! (`alg: none`) to see whether the server checks.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::codec::{self, JsonValue};
use super::policy::AlgorithmPolicy;
use super::types::{Rejection, Role, UserId};

type HmacSha256 = Hmac<Sha256>;

/// What a signed token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An access token (SignedToken, Hybrid).
    Access,
    /// A whole session in a cookie (ClientCookie).
    CookieSession,
}

/// Bits of [`Claims::flags`].
pub mod flags {
    /// The session may only finish email verification.
    pub const LIMITED_EMAIL: u8 = 1;
    /// The session may only finish MFA.
    pub const LIMITED_MFA: u8 = 2;
    /// The session came from a remember-me auto-login.
    pub const VIA_REMEMBER_ME: u8 = 4;
    /// The session may only finish a password reset.
    pub const LIMITED_RESET: u8 = 8;
}

/// The payload of an engine token. Times are whole seconds (`NumericDate`) except the cookie
/// session's `created_ms` and `active_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Claims {
    /// `typ`.
    pub kind: TokenKind,
    /// `sub`: the user.
    pub sub: UserId,
    /// `sid`: the session (or refresh family) the token belongs to.
    pub sid: u64,
    /// `jti`: this token.
    pub jti: u64,
    /// `iat`.
    pub iat: u64,
    /// `nbf`.
    pub nbf: u64,
    /// `exp`.
    pub exp: u64,
    /// `auth_time`: the last authentication.
    pub auth_time: u64,
    /// `role`.
    pub role: Role,
    /// `gen`: the user's revocation generation when issued (per-user not-before).
    pub generation: u32,
    /// `ipf`: fingerprint of the bound IP, 0 = unbound.
    pub ip_fp: u64,
    /// `uaf`: fingerprint of the bound user agent, 0 = unbound.
    pub ua_fp: u64,
    /// `ct`: session creation in ms (cookie sessions).
    pub created_ms: u64,
    /// `la`: last activity in ms (cookie sessions).
    pub active_ms: u64,
    /// `flg`: bits from [`flags`].
    pub flags: u8,
}

const HEADER_HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const HEADER_NONE: &str = r#"{"alg":"none","typ":"JWT"}"#;

impl Claims {
    fn payload_json(&self) -> String {
        let typ = match self.kind {
            TokenKind::Access => "at",
            TokenKind::CookieSession => "cs",
        };
        format!(
            r#"{{"typ":"{typ}","sub":"{}","sid":{},"jti":{},"iat":{},"nbf":{},"exp":{},"auth_time":{},"role":{},"gen":{},"ipf":{},"uaf":{},"ct":{},"la":{},"flg":{}}}"#,
            self.sub.0,
            self.sid,
            self.jti,
            self.iat,
            self.nbf,
            self.exp,
            self.auth_time,
            self.role.0,
            self.generation,
            self.ip_fp,
            self.ua_fp,
            self.created_ms,
            self.active_ms,
            self.flags
        )
    }

    fn from_json(fields: &[(String, JsonValue)]) -> Option<Claims> {
        let uint = |name: &str| {
            fields.iter().find_map(|(k, v)| match v {
                JsonValue::Uint(n) if k == name => Some(*n),
                _ => None,
            })
        };
        let string = |name: &str| {
            fields.iter().find_map(|(k, v)| match v {
                JsonValue::Str(s) if k == name => Some(s.as_str()),
                _ => None,
            })
        };
        let kind = match string("typ")? {
            "at" => TokenKind::Access,
            "cs" => TokenKind::CookieSession,
            _ => return None,
        };
        Some(Claims {
            kind,
            sub: UserId(string("sub")?.parse().ok()?),
            sid: uint("sid")?,
            jti: uint("jti")?,
            iat: uint("iat")?,
            nbf: uint("nbf").unwrap_or(0),
            exp: uint("exp")?,
            auth_time: uint("auth_time").unwrap_or(0),
            role: Role(u16::try_from(uint("role")?).ok()?),
            generation: u32::try_from(uint("gen").unwrap_or(0)).ok()?,
            ip_fp: uint("ipf").unwrap_or(0),
            ua_fp: uint("uaf").unwrap_or(0),
            created_ms: uint("ct").unwrap_or(0),
            active_ms: uint("la").unwrap_or(0),
            flags: u8::try_from(uint("flg").unwrap_or(0)).ok()?,
        })
    }

    /// Reads the claims of a token without checking anything (what anyone holding it can do).
    pub fn decode_unverified(token: &str) -> Option<Claims> {
        let mut parts = token.split('.');
        let (_header, payload) = (parts.next()?, parts.next()?);
        let json = codec::b64_decode(payload.as_bytes())?;
        Claims::from_json(&codec::json_parse_flat(&json)?)
    }

    /// These claims as an unsigned token (`alg: none`, empty signature).
    pub fn to_unsigned_token(&self) -> String {
        let mut s = codec::b64_encode(HEADER_NONE.as_bytes());
        s.push('.');
        codec::b64_encode_into(self.payload_json().as_bytes(), &mut s);
        s.push('.');
        s
    }
}

/// Signs and verifies tokens with one HMAC key.
#[derive(Clone)]
pub(crate) struct Signer {
    mac: HmacSha256,
}

impl Signer {
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail; fall back to an empty-key MAC
        // rather than panic if a future version disagrees.
        let mac = HmacSha256::new_from_slice(key)
            .or_else(|_| HmacSha256::new_from_slice(&[]))
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Signer { mac }
    }

    pub(crate) fn sign(&self, claims: &Claims) -> String {
        let mut s = codec::b64_encode(HEADER_HS256.as_bytes());
        s.push('.');
        codec::b64_encode_into(claims.payload_json().as_bytes(), &mut s);
        let mut mac = self.mac.clone();
        mac.update(s.as_bytes());
        let tag = mac.finalize().into_bytes();
        s.push('.');
        codec::b64_encode_into(&tag, &mut s);
        s
    }

    /// MAC tag over `data`, truncated to 16 bytes (refresh tokens).
    pub(crate) fn tag16(&self, data: &[u8]) -> [u8; 16] {
        let mut mac = self.mac.clone();
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// Whether `tag` is the truncated MAC of `data` (constant-time).
    pub(crate) fn verify_tag16(&self, data: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        mac.update(data);
        tag.len() == 16 && mac.verify_truncated_left(tag).is_ok()
    }

    /// Verifies the form, algorithm and signature, and returns the claims. Time claims and
    /// revocation are the caller's business.
    pub(crate) fn verify(&self, token: &str, algs: AlgorithmPolicy) -> Result<Claims, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let header_json = codec::b64_decode(header.as_bytes()).ok_or(Rejection::Malformed)?;
        let header_fields = codec::json_parse_flat(&header_json).ok_or(Rejection::Malformed)?;
        let alg = header_fields.iter().find_map(|(k, v)| match v {
            JsonValue::Str(s) if k == "alg" => Some(s.as_str()),
            _ => None,
        });
        match alg {
            Some("HS256") => {
                let sig = codec::b64_decode(signature.as_bytes()).ok_or(Rejection::BadSignature)?;
                let signed_len = header.len() + 1 + payload.len();
                let signed = token.get(..signed_len).ok_or(Rejection::Malformed)?;
                let mut mac = self.mac.clone();
                mac.update(signed.as_bytes());
                mac.verify_slice(&sig)
                    .map_err(|_| Rejection::BadSignature)?;
            }
            // The classic flaw: trusting the token's own claim that it needs no signature.
            Some(a) if a.eq_ignore_ascii_case("none") && algs == AlgorithmPolicy::AcceptNone => {}
            _ => return Err(Rejection::AlgorithmRejected),
        }
        let json = codec::b64_decode(payload.as_bytes()).ok_or(Rejection::Malformed)?;
        let fields = codec::json_parse_flat(&json).ok_or(Rejection::Malformed)?;
        Claims::from_json(&fields).ok_or(Rejection::Malformed)
    }
}
