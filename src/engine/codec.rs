//! Text encodings the credentials use: unpadded base64url (RFC 4648 §5), lowercase hex and
//! canonical decimal (the JSON inside signed tokens is read in `token.rs`). Decoders take any
//! string and return `None` on anything malformed; they never panic and never allocate for
//! fixed-size ids.

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

/// Appends the unpadded base64url form of `bytes` to `out` (with `base64-simd`, as tokens are
/// encoded on every renewal).
pub(crate) fn b64_encode_into(bytes: &[u8], out: &mut String) {
    base64_simd::URL_SAFE_NO_PAD.encode_append(bytes, out);
}

/// Appends the decimal form of `n` to `out`, two digits per division.
pub(crate) fn push_decimal(n: u64, out: &mut String) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    // ASCII digits are always UTF-8.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
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
    // Eight characters at a time while eight bytes of room are left: six bytes each, stored
    // as one word whose last two bytes the next block overwrites.
    let mut bad = 0u8;
    let mut done = 0;
    while done / 4 * 3 + 8 <= out.len() && done + 8 <= s.len() {
        let v: [u8; 8] = std::array::from_fn(|i| B64_VALUE[usize::from(s[done + i])]);
        bad |= v[0] | v[1] | v[2] | v[3] | v[4] | v[5] | v[6] | v[7];
        // Independent shifts rather than a chain, so the eight values combine in parallel.
        // (An invalid character spoils the word, but then `bad` refuses the whole string.)
        let n = v
            .iter()
            .enumerate()
            .fold(0u64, |n, (i, &v)| n | (u64::from(v) << (58 - 6 * i)));
        let o = done / 4 * 3;
        out[o..o + 8].copy_from_slice(&n.to_be_bytes());
        done += 8;
    }
    // Then whole groups of four characters: three bytes each, one validity check.
    let (s, out) = (&s[done..], &mut out[done / 4 * 3..]);
    let groups = s.len() / 4;
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

/// Decodes unpadded base64url of any length: the reference the tests hold the fixed-size
/// decoders and the token payload decoder (`base64-simd`) to.
#[cfg(test)]
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
    fn decimals_are_written_as_rust_writes_them() {
        let edges = (0..20).flat_map(|p| {
            let p = 10u64.pow(p);
            [p - 1, p, p + 1]
        });
        for n in edges.chain([1_700_000_000, u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let mut s = String::from("x");
            push_decimal(n, &mut s);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn base64url_refuses_a_foreign_character_at_any_place() {
        for n in 1..60usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 91 + 7) as u8).collect();
            let s = b64_encode(&bytes);
            for at in 0..s.len() {
                for bad in [b'.', b'=', b'+', b'/', b' ', 0xc3] {
                    let mut t = s.clone().into_bytes();
                    t[at] = bad;
                    assert_eq!(b64_decode(&t), None, "{n} bytes, {bad:#x} at {at}");
                }
            }
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
}
