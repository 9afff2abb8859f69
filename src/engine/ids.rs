//! Session ids: the fixed-size [`SessionKey`] the store is keyed by, the generators (a CSPRNG
//! and the weak ones real systems have), and the text form carried in the cookie. Decoding a
//! cookie value back to a key never allocates and never panics.

use std::fmt;
use std::hash::{Hash, Hasher};

use rand::Rng as _;
use rand_chacha::ChaCha20Rng;

use super::clock::Timestamp;
use super::codec;
use super::policy::{IdEncoding, IdGenerator, IdPolicy};

/// The store's key for a session: the id's 128-bit value, as two words (8-byte aligned, so
/// it travels in registers and packs densely).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SessionKey {
    hi: u64,
    lo: u64,
}

impl SessionKey {
    /// The key whose value is `n`.
    #[inline]
    pub fn from_u128(n: u128) -> Self {
        SessionKey {
            hi: (n >> 64) as u64,
            lo: n as u64,
        }
    }

    /// The key's value.
    #[inline]
    pub fn as_u128(self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }

    /// A non-secret fingerprint of the key, for logs and audit events.
    pub fn short(self) -> ShortId {
        let n = self.as_u128();
        let mixed = ((n as u64) ^ ((n >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ShortId((mixed >> 32) as u32)
    }
}

impl Hash for SessionKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Two words instead of a length-prefixed slice: cheaper with a word-at-a-time hasher.
        state.write_u64(self.lo);
        state.write_u64(self.hi);
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print a live id in full.
        write!(f, "SessionKey({})", self.short())
    }
}

/// A short, non-secret fingerprint of a session or token id, safe to log.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ShortId(pub u32);

impl fmt::Display for ShortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// Makes, encodes and decodes session ids as an [`IdPolicy`] says. The engine owns one; it is
/// public so tests and attacker models can generate and decode ids exactly as the server does.
#[derive(Clone, Debug)]
pub struct SessionIds {
    policy: IdPolicy,
    /// Bytes of a random id's text form (`ceil(bits / 8)`).
    bytes: usize,
    mask: u128,
    counter: u64,
    last_ms: u64,
}

impl SessionIds {
    /// A generator for `policy` (random bit counts are clamped to 1..=128).
    pub fn new(policy: IdPolicy) -> Self {
        let bits = match policy.generator {
            IdGenerator::Csprng { bits } | IdGenerator::LowEntropy { bits } => bits.clamp(1, 128),
            IdGenerator::Sequential | IdGenerator::Timestamp => 128,
        };
        let mask = if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        SessionIds {
            policy,
            bytes: usize::from(bits).div_ceil(8),
            mask,
            counter: 0,
            last_ms: 0,
        }
    }

    /// A fresh key. Random generators draw from `rng`; the others count.
    pub fn generate(&mut self, rng: &mut ChaCha20Rng, now: Timestamp) -> SessionKey {
        match self.policy.generator {
            IdGenerator::Csprng { .. } | IdGenerator::LowEntropy { .. } => {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                SessionKey::from_u128(u128::from_be_bytes(b) & self.mask)
            }
            IdGenerator::Sequential => {
                self.counter += 1;
                SessionKey::from_u128(u128::from(self.counter))
            }
            IdGenerator::Timestamp => {
                let ms = now.as_millis();
                if ms != self.last_ms {
                    self.last_ms = ms;
                    self.counter = 0;
                }
                self.counter += 1;
                SessionKey::from_u128(u128::from(ms) * 1000 + u128::from(self.counter % 1000))
            }
        }
    }

    /// The cookie value for `key`.
    pub fn encode(&self, key: SessionKey) -> String {
        match self.policy.generator {
            IdGenerator::Sequential | IdGenerator::Timestamp => key.as_u128().to_string(),
            IdGenerator::Csprng { .. } | IdGenerator::LowEntropy { .. } => {
                let full = key.as_u128().to_be_bytes();
                let tail = &full[16 - self.bytes..];
                let mut s = String::with_capacity(self.bytes * 2);
                match self.policy.encoding {
                    IdEncoding::Base64Url => codec::b64_encode_into(tail, &mut s),
                    IdEncoding::Hex => codec::hex_encode_into(tail, &mut s),
                }
                s
            }
        }
    }

    /// The key a cookie value names, if it is well-formed for this generator.
    #[inline(always)]
    pub fn decode(&self, value: &str) -> Option<SessionKey> {
        let s = value.as_bytes();
        match self.policy.generator {
            IdGenerator::Sequential | IdGenerator::Timestamp => {
                codec::decimal_decode(s).map(SessionKey::from_u128)
            }
            IdGenerator::Csprng { .. } | IdGenerator::LowEntropy { .. } => {
                if self.bytes == 16 && self.policy.encoding == IdEncoding::Base64Url {
                    // The default form, on the validation hot path.
                    return codec::b64_decode_128(s).map(SessionKey::from_u128);
                }
                let mut full = [0u8; 16];
                let tail = full.get_mut(16 - self.bytes..)?;
                match self.policy.encoding {
                    IdEncoding::Base64Url => codec::b64_decode_exact(s, tail)?,
                    IdEncoding::Hex => codec::hex_decode_exact(s, tail)?,
                }
                let n = u128::from_be_bytes(full);
                (n & !self.mask == 0).then_some(SessionKey::from_u128(n))
            }
        }
    }
}
