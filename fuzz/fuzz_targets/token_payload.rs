//! The token payload reader on arbitrary bytes: the one-pass reader must never read a payload
//! differently from `serde_json`, and nothing may panic. Also feeds the bytes, as text, to the
//! unverified decoder an attacker model uses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(sessionmap::engine::payload_readers_agree(data));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = sessionmap::engine::Claims::decode_unverified(text);
    }
});
