//! The population's event queue: a radix heap. Events are packed `time << 13 | who` keys, and
//! a user only ever schedules itself at or after the event being handled, so no key pushed is
//! below the last one taken. That lets a key live in the bucket named by the highest bit in
//! which it differs from the last key taken, and taking the smallest costs a scan of 65
//! buckets and, now and then, a redistribution, instead of a sift through a binary heap on
//! every event. Keys come out in increasing order, exactly as from a binary heap.

/// A min-queue of `u64` keys that never go below the last key taken.
pub(super) struct RadixHeap {
    /// The last key taken (0 before any).
    last: u64,
    /// `buckets[0]` holds keys equal to `last`; `buckets[i]` keys whose highest bit differing
    /// from `last` is bit `i - 1`.
    buckets: [Vec<u64>; 65],
    len: usize,
}

impl RadixHeap {
    pub(super) fn new() -> Self {
        RadixHeap {
            last: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
            len: 0,
        }
    }

    fn bucket(&self, key: u64) -> usize {
        64 - (key ^ self.last).leading_zeros() as usize
    }

    /// Adds `key`, which must not be below the last key taken (a key below it would come out
    /// late, so debug builds check).
    pub(super) fn push(&mut self, key: u64) {
        debug_assert!(
            key >= self.last,
            "radix heap: {key} pushed after {}",
            self.last
        );
        let b = self.bucket(key);
        self.buckets[b].push(key);
        self.len += 1;
    }

    /// Takes the smallest key.
    pub(super) fn pop(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..self.buckets.len()).find(|&i| !self.buckets[i].is_empty())?;
            let mut keys = std::mem::take(&mut self.buckets[i]);
            self.last = keys.iter().copied().min()?;
            // Every key of bucket `i` now differs from `last` below bit `i - 1`.
            for &key in &keys {
                let b = self.bucket(key);
                self.buckets[b].push(key);
            }
            keys.clear();
            self.buckets[i] = keys;
        }
        self.len -= 1;
        self.buckets[0].pop()
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use rand::{RngExt as _, SeedableRng as _};

    use super::RadixHeap;

    #[test]
    fn keys_come_out_in_the_order_a_binary_heap_gives() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for round in 0..20 {
            let mut radix = RadixHeap::new();
            let mut binary = BinaryHeap::new();
            for _ in 0..rng.random_range(1..200) {
                let key = rng.random_range(0..1u64 << 40);
                radix.push(key);
                binary.push(Reverse(key));
            }
            // Like the population: each key taken schedules zero to two keys at or after it,
            // some equal to it.
            while let Some(Reverse(expected)) = binary.pop() {
                assert_eq!(radix.pop(), Some(expected), "round {round}");
                for _ in 0..rng.random_range(0..3) {
                    let later = expected
                        + [0, 1, rng.random_range(0..1u64 << (round % 40 + 1))]
                            [rng.random_range(0..3)];
                    if binary.len() < 500 {
                        radix.push(later);
                        binary.push(Reverse(later));
                    }
                }
            }
            assert_eq!(radix.pop(), None);
        }
    }
}
