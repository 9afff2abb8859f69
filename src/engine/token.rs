//! Signed tokens in the JWT compact form `header.payload.signature`, signed with HMAC-SHA256
//! under the engine's key. [`Claims`] is public so an attacker model can do what real attackers
//! do with a token it holds: read the payload, change it, and send it back unsigned
//! (`alg: none`) to see whether the server checks.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::codec;
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

#[cfg(test)]
const HEADER_HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
const HEADER_NONE: &str = r#"{"alg":"none","typ":"JWT"}"#;
/// [`HEADER_HS256`] in base64url: the header of every token we sign, recognised without decoding.
const HEADER_HS256_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
const HEADER_HS256_B64_LEN: usize = HEADER_HS256_B64.len();

/// The payload as it is on the wire. Strings borrow from the decoded bytes unless they hold
/// escapes, so reading a token we issued allocates nothing.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    typ: Cow<'a, str>,
    #[serde(borrow)]
    sub: Cow<'a, str>,
    sid: u64,
    jti: u64,
    iat: u64,
    #[serde(default)]
    nbf: u64,
    exp: u64,
    #[serde(default)]
    auth_time: u64,
    role: u16,
    #[serde(default)]
    #[serde(rename = "gen")]
    generation: u32,
    #[serde(default)]
    ipf: u64,
    #[serde(default)]
    uaf: u64,
    #[serde(default)]
    ct: u64,
    #[serde(default)]
    la: u64,
    #[serde(default)]
    flg: u8,
}

/// The header as it is on the wire: only `alg` matters.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    alg: Option<Cow<'a, str>>,
}

/// Decodes base64url `s` (unpadded, canonical) and hands the bytes to `f`: on the stack when
/// they fit (every token we issue does), on the heap otherwise. `None` when `s` is not
/// base64url. Payloads are the longest thing the engine decodes on every request, so this
/// uses the SIMD decoder of `base64-simd`, which is twice as fast as a table per character.
fn with_decoded<T>(s: &[u8], f: impl FnOnce(&[u8]) -> T) -> Option<T> {
    use base64_simd::{Out, URL_SAFE_NO_PAD};
    use std::mem::MaybeUninit;
    // Left uninitialised: the decoder writes what it returns, and zeroing 512 bytes on every
    // request showed in profiles.
    let mut buf = [const { MaybeUninit::<u8>::uninit() }; 512];
    if URL_SAFE_NO_PAD.estimated_decoded_length(s.len()) <= buf.len() {
        let decoded = URL_SAFE_NO_PAD
            .decode(s, Out::from_uninit_slice(&mut buf))
            .ok()?;
        Some(f(decoded))
    } else {
        let bytes = URL_SAFE_NO_PAD.decode_to_vec(s).ok()?;
        Some(f(&bytes))
    }
}

impl Claims {
    /// The payload in our one spelling: the claims in a fixed order, no whitespace, and the
    /// optional claims (all but `typ`, `sub`, `sid`, `jti`, `iat`, `nbf`, `exp`, `role`)
    /// left out when they are 0, which is what a reader assumes for a missing one.
    fn payload_json(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str(match self.kind {
            TokenKind::Access => r#"{"typ":"at","sub":""#,
            TokenKind::CookieSession => r#"{"typ":"cs","sub":""#,
        });
        codec::push_decimal(self.sub.0, &mut s);
        s.push('"');
        for (key, value) in [
            (r#","sid":"#, self.sid),
            (r#","jti":"#, self.jti),
            (r#","iat":"#, self.iat),
            (r#","nbf":"#, self.nbf),
            (r#","exp":"#, self.exp),
            (r#","role":"#, u64::from(self.role.0)),
        ] {
            s.push_str(key);
            codec::push_decimal(value, &mut s);
        }
        for (key, value) in self.optional_claims() {
            if value != 0 {
                s.push_str(key);
                codec::push_decimal(value, &mut s);
            }
        }
        s.push('}');
        s
    }

    /// The optional claims in the order they are written.
    fn optional_claims(&self) -> [(&'static str, u64); 7] {
        [
            (r#","auth_time":"#, self.auth_time),
            (r#","gen":"#, u64::from(self.generation)),
            (r#","ipf":"#, self.ip_fp),
            (r#","uaf":"#, self.ua_fp),
            (r#","ct":"#, self.created_ms),
            (r#","la":"#, self.active_ms),
            (r#","flg":"#, u64::from(self.flags)),
        ]
    }

    /// The claims of a decoded payload, or `None` when it is not a payload we issue (wrong
    /// `typ`, a missing required claim, a number out of range, a duplicated claim).
    ///
    /// Every token we sign is in the one spelling [`Claims::payload_json`] writes, which
    /// [`Claims::from_canonical`] reads in one pass; anything else (another key order,
    /// whitespace, escapes, an attacker's `alg: none` payload) goes to `serde_json`. The two
    /// agree wherever the first answers: see [`payload_readers_agree`].
    fn from_payload(json: &[u8]) -> Option<Claims> {
        Claims::from_canonical(json).or_else(|| Claims::from_json(json))
    }

    /// Reads exactly the spelling [`Claims::payload_json`] writes: the claims in its order, no
    /// whitespace, plain decimals without leading zeros. `None` for anything else, including
    /// payloads `serde_json` would accept.
    fn from_canonical(json: &[u8]) -> Option<Claims> {
        let mut r = Canonical { rest: json };
        r.literal(br#"{"typ":""#)?;
        let kind = if r.literal(b"at").is_some() {
            TokenKind::Access
        } else {
            r.literal(b"cs")?;
            TokenKind::CookieSession
        };
        r.literal(br#"","sub":""#)?;
        let sub = UserId(r.number()?);
        r.literal(br#"","sid":"#)?;
        let sid = r.number()?;
        let jti = r.claim(br#","jti":"#)?;
        let iat = r.claim(br#","iat":"#)?;
        let nbf = r.claim(br#","nbf":"#)?;
        let exp = r.claim(br#","exp":"#)?;
        let role = Role(r.claim(br#","role":"#)?.try_into().ok()?);
        let auth_time = r.optional(br#","auth_time":"#)?;
        let generation = r.optional(br#","gen":"#)?.try_into().ok()?;
        let ip_fp = r.optional(br#","ipf":"#)?;
        let ua_fp = r.optional(br#","uaf":"#)?;
        let created_ms = r.optional(br#","ct":"#)?;
        let active_ms = r.optional(br#","la":"#)?;
        let flags = r.optional(br#","flg":"#)?.try_into().ok()?;
        r.literal(b"}")?;
        r.rest.is_empty().then_some(Claims {
            kind,
            sub,
            sid,
            jti,
            iat,
            nbf,
            exp,
            auth_time,
            role,
            generation,
            ip_fp,
            ua_fp,
            created_ms,
            active_ms,
            flags,
        })
    }

    /// Reads any JSON spelling of our claims.
    fn from_json(json: &[u8]) -> Option<Claims> {
        let p: Payload<'_> = serde_json::from_slice(json).ok()?;
        Some(Claims {
            kind: match p.typ.as_ref() {
                "at" => TokenKind::Access,
                "cs" => TokenKind::CookieSession,
                _ => return None,
            },
            sub: UserId(p.sub.parse().ok()?),
            sid: p.sid,
            jti: p.jti,
            iat: p.iat,
            nbf: p.nbf,
            exp: p.exp,
            auth_time: p.auth_time,
            role: Role(p.role),
            generation: p.generation,
            ip_fp: p.ipf,
            ua_fp: p.uaf,
            created_ms: p.ct,
            active_ms: p.la,
            flags: p.flg,
        })
    }

    /// Reads the claims of a token without checking anything (what anyone holding it can do).
    pub fn decode_unverified(token: &str) -> Option<Claims> {
        let mut parts = token.split('.');
        let (_header, payload) = (parts.next()?, parts.next()?);
        with_decoded(payload.as_bytes(), Claims::from_payload)?
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

/// A cursor over a payload in our own spelling.
struct Canonical<'a> {
    rest: &'a [u8],
}

impl Canonical<'_> {
    /// Consumes `expected`, or fails. The length is a constant, so the comparison is a few
    /// loads rather than a call.
    #[inline]
    fn literal<const N: usize>(&mut self, expected: &[u8; N]) -> Option<()> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        (head == expected).then(|| self.rest = rest)
    }

    /// Consumes a decimal as JSON writes it (digits, no sign, no leading zero) that fits a u64.
    /// Runs of eight digits are read as one word: digit by digit, a token's ten- and
    /// twenty-digit numbers are a chain of multiplications the processor cannot overlap.
    #[inline]
    fn number(&mut self) -> Option<u64> {
        let bytes = self.rest;
        let mut value: u64 = 0;
        let mut len = 0;
        while let Some(word) = bytes.get(len..).and_then(<[u8]>::first_chunk::<8>) {
            let Some(eight) = eight_digits(u64::from_le_bytes(*word)) else {
                break;
            };
            // Below 10^11, times 10^8 stays below 10^19 < 2^64: only longer numbers need the
            // overflow check (and the same holds for one more digit below 10^18).
            value = if len <= 11 {
                value * 100_000_000 + eight
            } else {
                value.checked_mul(100_000_000)?.checked_add(eight)?
            };
            len += 8;
        }
        while let Some(&d @ b'0'..=b'9') = bytes.get(len) {
            let d = u64::from(d - b'0');
            value = if len <= 18 {
                value * 10 + d
            } else {
                value.checked_mul(10)?.checked_add(d)?
            };
            len += 1;
        }
        if len == 0 || (bytes[0] == b'0' && len > 1) {
            return None;
        }
        self.rest = &bytes[len..];
        Some(value)
    }

    /// Consumes `,"name":` and the number after it.
    #[inline]
    fn claim<const N: usize>(&mut self, key: &[u8; N]) -> Option<u64> {
        self.literal(key)?;
        self.number()
    }

    /// Consumes `,"name":` and the number after it if the claim is there; 0 if it is not.
    #[inline]
    fn optional<const N: usize>(&mut self, key: &[u8; N]) -> Option<u64> {
        match self.literal(key) {
            Some(()) => self.number(),
            None => Some(0),
        }
    }
}

/// The value of eight ASCII digits read as a little-endian word, or `None` when any of the
/// bytes is not a digit.
#[inline]
fn eight_digits(x: u64) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    // Digits are the bytes whose high nibble is 3 and stays 3 when 6 is added (0x30..=0x39).
    // A carry out of a byte can only come from a byte that is not a digit itself.
    let all_digits =
        (x & HIGH) | ((x.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4) == 0x3333_3333_3333_3333;
    if !all_digits {
        return None;
    }
    // Pairs, then fours, then all eight (the first digit is the lowest byte).
    let v = x - ZEROS;
    let v = (v * 10 + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
    let v = (v * 100 + (v >> 16)) & 0x0000_ffff_0000_ffff;
    Some((v * 10_000 + (v >> 32)) & 0xffff_ffff)
}

/// Whether the one-pass reader and `serde_json` read `payload` the same way: the fast reader
/// may refuse what `serde_json` accepts, but whatever it accepts `serde_json` must read to the
/// same claims. The property tests and the fuzz target (`fuzz/`) call this on arbitrary and
/// mutated payloads.
#[doc(hidden)]
pub fn payload_readers_agree(payload: &[u8]) -> bool {
    match Claims::from_canonical(payload) {
        Some(fast) => Claims::from_json(payload) == Some(fast),
        None => true,
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
        let payload = claims.payload_json();
        let mut s = String::with_capacity(
            HEADER_HS256_B64.len() + codec::b64_len(payload.len()) + codec::b64_len(32) + 2,
        );
        s.push_str(HEADER_HS256_B64);
        s.push('.');
        codec::b64_encode_into(payload.as_bytes(), &mut s);
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
        // Three parts: the signature is found from the end and our own header by its known
        // spelling, so a token we issued is split without scanning the payload.
        let Some((signed, signature)) = token.rsplit_once('.') else {
            return Err(Rejection::Malformed);
        };
        let (header, payload) = match signed
            .as_bytes()
            .split_first_chunk::<HEADER_HS256_B64_LEN>()
        {
            Some((head, b".")) if head == HEADER_HS256_B64.as_bytes() => {
                (HEADER_HS256_B64, &signed[HEADER_HS256_B64_LEN + 1..])
            }
            _ => signed.split_once('.').ok_or(Rejection::Malformed)?,
        };
        let signature_and_algorithm = || {
            if header != HEADER_HS256_B64 && self.accepts_unsigned(header, algs)? {
                return Ok(());
            }
            let mut sig = [0u8; 32];
            if signature.len() != codec::b64_len(sig.len()) {
                return Err(Rejection::BadSignature);
            }
            base64_simd::URL_SAFE_NO_PAD
                .decode(signature.as_bytes(), base64_simd::Out::from_slice(&mut sig))
                .map_err(|_| Rejection::BadSignature)?;
            let mut mac = self.mac.clone();
            mac.update(signed.as_bytes());
            mac.verify_slice(&sig).map_err(|_| Rejection::BadSignature)
        };
        // The payload is decoded first (into a stack buffer) but read only once the algorithm
        // and the signature pass, in the order a server checks them. A payload that does not
        // decode may hold a fourth part: that is malformed before anything else.
        match with_decoded(payload.as_bytes(), |json| {
            signature_and_algorithm()?;
            Claims::from_payload(json).ok_or(Rejection::Malformed)
        }) {
            Some(read) => read,
            None if payload.contains('.') => Err(Rejection::Malformed),
            None => {
                signature_and_algorithm()?;
                Err(Rejection::Malformed)
            }
        }
    }

    /// Whether a header other than ours lets the token through unsigned: `Ok(false)` for HS256
    /// (the signature decides), `Ok(true)` for `alg: none` where the policy accepts it.
    fn accepts_unsigned(&self, header: &str, algs: AlgorithmPolicy) -> Result<bool, Rejection> {
        with_decoded(header.as_bytes(), |json| {
            let header: Header<'_> =
                serde_json::from_slice(json).map_err(|_| Rejection::Malformed)?;
            match header.alg.as_deref() {
                Some("HS256") => Ok(false),
                // The classic flaw: trusting the token's own claim that it needs no signature.
                Some(a)
                    if a.eq_ignore_ascii_case("none") && algs == AlgorithmPolicy::AcceptNone =>
                {
                    Ok(true)
                }
                _ => Err(Rejection::AlgorithmRejected),
            }
        })
        .ok_or(Rejection::Malformed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            kind: TokenKind::Access,
            sub: UserId(42),
            sid: 7,
            jti: 9,
            iat: 1_000,
            nbf: 1_000,
            exp: 1_900,
            auth_time: 990,
            role: Role(3),
            generation: 2,
            ip_fp: 5,
            ua_fp: 6,
            created_ms: 0,
            active_ms: 0,
            flags: flags::VIA_REMEMBER_ME,
        }
    }

    #[test]
    fn the_precomputed_header_is_the_encoded_hs256_header() {
        assert_eq!(HEADER_HS256_B64, codec::b64_encode(HEADER_HS256.as_bytes()));
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let signer = Signer::new(&[1; 32]);
        let token = signer.sign(&claims());
        assert_eq!(
            signer.verify(&token, AlgorithmPolicy::Hs256Only),
            Ok(claims())
        );
        assert_eq!(Claims::decode_unverified(&token), Some(claims()));
    }

    /// Signs an arbitrary payload under an arbitrary header, as a forger holding the key would.
    fn sign_raw(signer: &Signer, header: &str, payload: &str) -> String {
        let mut s = codec::b64_encode(header.as_bytes());
        s.push('.');
        codec::b64_encode_into(payload.as_bytes(), &mut s);
        let mut mac = signer.mac.clone();
        mac.update(s.as_bytes());
        s.push('.');
        codec::b64_encode_into(&mac.finalize().into_bytes(), &mut s);
        s
    }

    #[test]
    fn any_json_spelling_of_the_same_claims_reads_the_same() {
        let signer = Signer::new(&[1; 32]);
        let payload = r#" { "flg" : 4, "exp":1900, "typ":"\u0061t", "sub":"42", "sid":7, "jti":9,
            "iat":1000, "nbf":1000, "auth_time":990, "role":3, "gen":2, "ipf":5, "uaf":6,
            "extra": {"nested": [1, 2]} } "#;
        let token = sign_raw(&signer, r#"{ "typ":"JWT", "alg" : "HS256" }"#, payload);
        assert_eq!(
            signer.verify(&token, AlgorithmPolicy::Hs256Only),
            Ok(claims())
        );
    }

    #[test]
    fn a_payload_that_is_not_ours_is_malformed() {
        let signer = Signer::new(&[1; 32]);
        for payload in [
            r#"{"typ":"at","sub":"42","sid":7,"jti":9,"iat":1,"exp":2}"#, // no role
            r#"{"typ":"at","sub":"42","sid":7,"jti":9,"iat":1,"exp":2,"role":3,"role":4}"#,
            r#"{"typ":"xx","sub":"42","sid":7,"jti":9,"iat":1,"exp":2,"role":3}"#,
            r#"{"typ":"at","sub":"-1","sid":7,"jti":9,"iat":1,"exp":2,"role":3}"#,
            r#"{"typ":"at","sub":"42","sid":-7,"jti":9,"iat":1,"exp":2,"role":3}"#,
            r#"{"typ":"at","sub":"42","sid":7,"jti":9,"iat":1,"exp":2,"role":70000}"#,
            r#"[1,2,3]"#,
            "",
        ] {
            let token = sign_raw(&signer, HEADER_HS256, payload);
            assert_eq!(
                signer.verify(&token, AlgorithmPolicy::Hs256Only),
                Err(Rejection::Malformed),
                "{payload}"
            );
        }
    }

    #[test]
    fn an_unsigned_token_passes_only_where_none_is_accepted() {
        let signer = Signer::new(&[1; 32]);
        let token = claims().to_unsigned_token();
        assert_eq!(
            signer.verify(&token, AlgorithmPolicy::Hs256Only),
            Err(Rejection::AlgorithmRejected)
        );
        assert_eq!(
            signer.verify(&token, AlgorithmPolicy::AcceptNone),
            Ok(claims())
        );
        let forged = sign_raw(&signer, r#"{"alg":"HS512"}"#, &claims().payload_json());
        assert_eq!(
            signer.verify(&forged, AlgorithmPolicy::AcceptNone),
            Err(Rejection::AlgorithmRejected)
        );
    }

    /// Claims with numbers of every width, from 0 to the type's maximum.
    fn random_claims(rng: &mut impl rand::Rng) -> Claims {
        use rand::RngExt as _;
        fn n(rng: &mut impl rand::Rng) -> u64 {
            match rng.random_range(0..4) {
                0 => 0,
                1 => u64::MAX >> rng.random_range(0..64),
                _ => rng.random::<u64>() >> rng.random_range(0..64),
            }
        }
        Claims {
            kind: if rng.random() {
                TokenKind::Access
            } else {
                TokenKind::CookieSession
            },
            sub: UserId(n(rng)),
            sid: n(rng),
            jti: n(rng),
            iat: n(rng),
            nbf: n(rng),
            exp: n(rng),
            auth_time: n(rng),
            role: Role(n(rng) as u16),
            generation: n(rng) as u32,
            ip_fp: n(rng),
            ua_fp: n(rng),
            created_ms: n(rng),
            active_ms: n(rng),
            flags: n(rng) as u8,
        }
    }

    /// One random edit of the kind a fuzzer or a forger makes: a byte changed, inserted
    /// (mostly JSON punctuation and digits), removed, a run duplicated, or the tail cut.
    fn mutate(rng: &mut impl rand::Rng, bytes: &mut Vec<u8>) {
        use rand::RngExt as _;
        const INTERESTING: &[u8] = b"0123456789\",:{}[] \t\n.eE+-u\\at";
        if bytes.is_empty() {
            bytes.push(INTERESTING[rng.random_range(0..INTERESTING.len())]);
            return;
        }
        let at = rng.random_range(0..bytes.len());
        match rng.random_range(0..5) {
            0 => bytes[at] = rng.random(),
            1 => bytes.insert(at, INTERESTING[rng.random_range(0..INTERESTING.len())]),
            2 => {
                bytes.remove(at);
            }
            3 => {
                let end = (at + rng.random_range(1..12)).min(bytes.len());
                let run = bytes[at..end].to_vec();
                bytes.splice(at..at, run);
            }
            _ => bytes.truncate(at),
        }
    }

    #[test]
    fn the_one_pass_reader_reads_every_payload_we_write_as_serde_json_does() {
        use rand::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        for _ in 0..20_000 {
            let claims = random_claims(&mut rng);
            let json = claims.payload_json();
            assert_eq!(
                Claims::from_canonical(json.as_bytes()),
                Some(claims),
                "{json}"
            );
            assert_eq!(Claims::from_json(json.as_bytes()), Some(claims), "{json}");
        }
    }

    #[test]
    fn the_one_pass_reader_never_accepts_a_mutated_payload_differently_from_serde_json() {
        use rand::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut refused = 0;
        for _ in 0..20_000 {
            let mut bytes = random_claims(&mut rng).payload_json().into_bytes();
            for _ in 0..rand::RngExt::random_range(&mut rng, 1..4) {
                mutate(&mut rng, &mut bytes);
                assert!(
                    payload_readers_agree(&bytes),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            refused += usize::from(Claims::from_canonical(&bytes).is_none());
        }
        // The mutations must reach both sides of the fast reader, or the test proves nothing.
        assert!((1_000..19_000).contains(&refused), "{refused} refused");
    }

    #[test]
    fn arbitrary_bytes_never_read_differently_by_the_two_readers() {
        use rand::{RngExt as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(18);
        for _ in 0..20_000 {
            let len = rng.random_range(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            assert!(payload_readers_agree(&bytes));
        }
    }

    #[test]
    fn the_payload_decoder_agrees_with_the_engines_base64url_on_any_string() {
        use rand::{RngExt as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
        const ALPHABET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. ";
        for _ in 0..20_000 {
            let len = rng.random_range(0..900);
            let mut s: Vec<u8> = if rng.random() {
                // Mostly valid: the encoding of random bytes, sometimes with one change.
                let bytes: Vec<u8> = (0..len * 3 / 4).map(|_| rng.random()).collect();
                codec::b64_encode(&bytes).into_bytes()
            } else {
                (0..len)
                    .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
                    .collect()
            };
            if !s.is_empty() && rng.random_range(0..3) == 0 {
                let at = rng.random_range(0..s.len());
                s[at] = ALPHABET[rng.random_range(0..ALPHABET.len())];
            }
            assert_eq!(
                with_decoded(&s, <[u8]>::to_vec),
                codec::b64_decode(&s),
                "{}",
                String::from_utf8_lossy(&s)
            );
        }
    }

    #[test]
    fn a_wrong_or_truncated_signature_is_a_bad_signature() {
        let signer = Signer::new(&[1; 32]);
        let token = signer.sign(&claims());
        let other = Signer::new(&[2; 32]).sign(&claims());
        assert_eq!(
            signer.verify(&other, AlgorithmPolicy::Hs256Only),
            Err(Rejection::BadSignature)
        );
        let cut = &token[..token.len() - 2];
        assert_eq!(
            signer.verify(cut, AlgorithmPolicy::Hs256Only),
            Err(Rejection::BadSignature)
        );
    }
}
