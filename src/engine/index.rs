//! The session index: an open-addressing table from a key's hash to its slab slot. Each entry
//! is one `u64` (32 hash bits, slot + 1), so a lookup touches one cache line of the index and
//! then the slot's line of the slab, where the caller checks the full key. Linear probing with
//! backward-shift deletion: no tombstones, and probes stay short at the load kept here.

/// An empty entry.
const EMPTY: u64 = 0;

/// Slots by hash.
#[derive(Debug, Default)]
pub(crate) struct SlotIndex {
    entries: Vec<u64>,
    len: usize,
}

/// A 64-bit hash of a 128-bit key (the `fmix64` finaliser of MurmurHash3 on the folded key):
/// sequential and timestamp ids spread as well as random ones.
#[inline]
pub(crate) fn hash128(n: u128) -> u64 {
    let mut x = (n as u64) ^ ((n >> 64) as u64).rotate_left(32);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl SlotIndex {
    #[inline]
    fn mask(&self) -> usize {
        self.entries.len().wrapping_sub(1)
    }

    /// The tag stored for a hash, and the home position it probes from.
    #[inline]
    fn tag_and_home(&self, hash: u64) -> (u64, usize) {
        let tag = hash >> 32;
        (tag, (tag as usize) & self.mask())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Entries allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// The slot whose entry has `hash` and for which `is_match` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut is_match: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let (tag, mut i) = self.tag_and_home(hash);
        let mask = self.mask();
        loop {
            let e = self.entries[i];
            if e == EMPTY {
                return None;
            }
            if e >> 32 == tag {
                let slot = (e as u32).wrapping_sub(1);
                if is_match(slot) {
                    return Some(slot);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `slot` under `hash` (the caller guarantees its key is not present).
    pub(crate) fn insert(&mut self, hash: u64, slot: u32) {
        // Keep the load at most 5/8 so probes stay within a cache line or two.
        if (self.len + 1) * 8 > self.entries.len() * 5 {
            self.grow();
        }
        self.place((hash >> 32) << 32 | u64::from(slot.wrapping_add(1)));
        self.len += 1;
    }

    fn place(&mut self, entry: u64) {
        let mask = self.mask();
        let mut i = ((entry >> 32) as usize) & mask;
        while self.entries[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.entries[i] = entry;
    }

    fn grow(&mut self) {
        let size = (self.entries.len() * 2).max(16);
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; size]);
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            self.place(e);
        }
    }

    /// Removes the entry of `slot` under `hash`; returns whether it was there.
    pub(crate) fn remove(&mut self, hash: u64, slot: u32) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let mask = self.mask();
        let wanted = (hash >> 32) << 32 | u64::from(slot.wrapping_add(1));
        let (_, mut i) = self.tag_and_home(hash);
        loop {
            match self.entries[i] {
                EMPTY => return false,
                e if e == wanted => break,
                _ => i = (i + 1) & mask,
            }
        }
        // Backward-shift: pull later entries of the run into the hole when their home allows.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e == EMPTY {
                break;
            }
            let home = ((e >> 32) as usize) & mask;
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Every slot.
    pub(crate) fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .iter()
            .filter(|&&e| e != EMPTY)
            .map(|&e| (e as u32).wrapping_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn index_agrees_with_a_hashmap_through_inserts_and_removes() {
        let mut index = SlotIndex::default();
        let mut model: HashMap<u32, u64> = HashMap::new();
        let mut x = 1u64;
        for step in 0..200_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = (x >> 40) as u32 % 5000;
            // Few distinct hashes, so entries share tags and runs collide and wrap.
            let hash = hash128(u128::from(slot % 700));
            match model.get(&slot) {
                Some(&h) if step % 3 != 0 => {
                    assert!(index.remove(h, slot));
                    model.remove(&slot);
                }
                Some(_) => {}
                None => {
                    index.insert(hash, slot);
                    model.insert(slot, hash);
                }
            }
            if step % 997 == 0 {
                for (&s, &h) in &model {
                    assert_eq!(index.find(h, |c| c == s), Some(s));
                }
                assert_eq!(index.len(), model.len());
                assert_eq!(index.slots().count(), model.len());
            }
        }
    }
}
