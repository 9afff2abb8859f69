//! Text encodings the credentials use: unpadded base64url (RFC 4648 §5), lowercase hex, and the
//! flat JSON objects inside signed tokens. Decoders take any string and return `None` on
//! anything malformed; they never panic and never allocate for fixed-size ids.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The 6-bit value of each byte in the base64url alphabet; 0xff for any other byte.
const B64_VALUE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        table[B64[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 6-bit value of a base64url character, or `None`.
#[inline]
fn b64_value(c: u8) -> Option<u32> {
    let v = B64_VALUE[usize::from(c)];
    (v != 0xff).then_some(u32::from(v))
}

/// Appends the unpadded base64url form of `bytes` to `out`.
pub(crate) fn b64_encode_into(bytes: &[u8], out: &mut String) {
    out.reserve(b64_len(bytes.len()));
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(B64[idx as usize]));
        }
    }
}

/// The unpadded base64url form of `bytes`.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    let mut s = String::new();
    b64_encode_into(bytes, &mut s);
    s
}

/// Length of the unpadded base64url form of `n` bytes.
pub(crate) const fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Decodes unpadded base64url into `out`, which must be exactly the decoded length.
#[inline]
pub(crate) fn b64_decode_exact(s: &[u8], out: &mut [u8]) -> Option<()> {
    if s.len() != b64_len(out.len()) {
        return None;
    }
    // Whole groups of four characters first: three bytes each, one validity check.
    let groups = s.len() / 4;
    let mut bad = 0u8;
    for (chunk, o) in s.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let v = [
            B64_VALUE[usize::from(chunk[0])],
            B64_VALUE[usize::from(chunk[1])],
            B64_VALUE[usize::from(chunk[2])],
            B64_VALUE[usize::from(chunk[3])],
        ];
        bad |= v[0] | v[1] | v[2] | v[3];
        let n = (u32::from(v[0]) << 18)
            | (u32::from(v[1]) << 12)
            | (u32::from(v[2]) << 6)
            | u32::from(v[3]);
        o[0] = (n >> 16) as u8;
        o[1] = (n >> 8) as u8;
        o[2] = n as u8;
    }
    // Invalid characters map to 0xff, the only value with the top bits set.
    if bad & 0xc0 != 0 {
        return None;
    }
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut o = groups * 3;
    for &c in &s[groups * 4..] {
        acc = (acc << 6) | b64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(o)? = (acc >> bits) as u8;
            o += 1;
            acc &= (1 << bits) - 1;
        }
    }
    // Canonical form only: the leftover bits must be zero.
    (acc == 0).then_some(())
}

/// Decodes the 22-character unpadded base64url form of a 128-bit value.
#[inline(always)]
pub(crate) fn b64_decode_128(s: &[u8]) -> Option<u128> {
    let s: &[u8; 22] = s.try_into().ok()?;
    // 22 characters carry 132 bits: the first holds the top 6 value bits, the other 21 hold
    // 126 bits whose last 4 must be zero (canonical form).
    let first = B64_VALUE[usize::from(s[0])];
    let mut bad = first;
    let mut rest: u128 = 0;
    for &c in &s[1..] {
        let v = B64_VALUE[usize::from(c)];
        bad |= v;
        rest = (rest << 6) | u128::from(v);
    }
    if bad & 0xc0 != 0 || rest & 0xf != 0 {
        return None;
    }
    Some((u128::from(first) << 122) | (rest >> 4))
}

/// Decodes unpadded base64url of any length.
pub(crate) fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = vec![0u8; s.len() * 3 / 4];
    b64_decode_exact(s, &mut out)?;
    Some(out)
}

/// Appends the lowercase hex form of `bytes` to `out`.
pub(crate) fn hex_encode_into(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// Decodes lowercase hex into `out`, which must be exactly half the input length.
#[inline]
pub(crate) fn hex_decode_exact(s: &[u8], out: &mut [u8]) -> Option<()> {
    if s.len() != out.len() * 2 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(())
}

/// Parses a canonical decimal number (no sign, no leading zeros) that fits in a `u128`.
pub(crate) fn decimal_decode(s: &[u8]) -> Option<u128> {
    if s.is_empty() || s.len() > 39 || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    let mut n: u128 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u128::from(c - b'0'))?;
    }
    Some(n)
}

/// A value in a flat JSON object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JsonValue {
    /// A non-negative integer.
    Uint(u64),
    /// A string.
    Str(String),
    /// Anything else we accept but do not interpret (negative or fractional numbers,
    /// booleans, null).
    Other,
}

/// Parses a flat JSON object (`{"k": value, ...}` with no nested objects or arrays).
pub(crate) fn json_parse_flat(input: &[u8]) -> Option<Vec<(String, JsonValue)>> {
    let mut p = Parser { s: input, i: 0 };
    p.ws();
    p.eat(b'{')?;
    let mut out = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let key = p.string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let value = p.value()?;
            if out.len() >= 64 {
                return None;
            }
            out.push((key, value));
            p.ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == p.s.len()).then_some(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        let end = self.i.checked_add(lit.len())?;
        (self.s.get(self.i..end)? == lit).then(|| self.i = end)
    }
    fn value(&mut self) -> Option<JsonValue> {
        match self.peek()? {
            b'"' => Some(JsonValue::Str(self.string()?)),
            b't' => self.literal(b"true").map(|()| JsonValue::Other),
            b'f' => self.literal(b"false").map(|()| JsonValue::Other),
            b'n' => self.literal(b"null").map(|()| JsonValue::Other),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
    fn number(&mut self) -> Option<JsonValue> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.i += 1;
        }
        let text = self.s.get(start..self.i)?;
        if text.iter().all(u8::is_ascii_digit) {
            let n = decimal_decode(text)?;
            Some(JsonValue::Uint(u64::try_from(n).ok()?))
        } else {
            // Validate loosely: a JSON number we do not interpret.
            std::str::from_utf8(text).ok()?.parse::<f64>().ok()?;
            Some(JsonValue::Other)
        }
    }
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => break,
                b'\\' => match self.next()? {
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'/' => out.push(b'/'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let end = self.i.checked_add(4)?;
                        let hex = std::str::from_utf8(self.s.get(self.i..end)?).ok()?;
                        self.i = end;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        let c = char::from_u32(code)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return None,
                },
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..40usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let s = b64_encode(&bytes);
            assert_eq!(s.len(), b64_len(n));
            assert_eq!(b64_decode(s.as_bytes()).as_deref(), Some(&bytes[..]));
        }
    }

    #[test]
    fn base64url_128_matches_the_general_decoder() {
        for seed in 0..200u128 {
            let n = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834) ^ (seed << 100);
            let s = b64_encode(&n.to_be_bytes());
            assert_eq!(b64_decode_128(s.as_bytes()), Some(n));
        }
        assert_eq!(b64_decode_128(b"AAAAAAAAAAAAAAAAAAAAAB"), None); // non-canonical tail
        assert_eq!(b64_decode_128(b"AAAAAAAAAAAAAAAAAAAAA="), None);
        assert_eq!(b64_decode_128(b"AAAA"), None);
    }

    #[test]
    fn flat_json_parses_and_rejects_nesting() {
        let v = json_parse_flat(br#"{"a":1,"b":"x\"y","c":true,"d":-1.5}"#).unwrap_or_default();
        assert_eq!(v.len(), 4);
        assert_eq!(v[0], ("a".to_owned(), JsonValue::Uint(1)));
        assert_eq!(v[1], ("b".to_owned(), JsonValue::Str("x\"y".to_owned())));
        assert!(json_parse_flat(br#"{"a":{"b":1}}"#).is_none());
        assert!(json_parse_flat(br#"{"a":1"#).is_none());
    }
}
