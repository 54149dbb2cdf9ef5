//! Duplicate-id detection for "the first row wins".

use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use polars::prelude::*;
use rustc_hash::FxBuildHasher;

/// The ids accepted so far, for "the first row wins". Exports usually list ids in
/// increasing order, so ids that arrive above every earlier one are appended to a
/// sorted arena (no hashing, no cache misses: a new id only needs comparing with the
/// last) and found again by binary search. The ids that break the order (hash ids,
/// UUIDs, shuffled rows) go to a second arena, found by a 64-bit hash of their
/// bytes: no allocation per id. A different id with a hash already taken — rare —
/// goes to a set of its own, so the check stays exact.
pub struct SeenIds<H = FxBuildHasher> {
    sorted_bytes: Vec<u8>,
    /// End of each sorted id in `sorted_bytes`; id `i` starts where `i - 1` ends.
    sorted_ends: Vec<usize>,
    other_bytes: Vec<u8>,
    /// End of each out-of-order id in `other_bytes`.
    other_ends: Vec<usize>,
    /// Hash of an out-of-order id → its index in `other_ends`.
    by_hash: std::collections::HashMap<u64, usize, FxBuildHasher>,
    /// How ids are hashed (a parameter so tests can force collisions).
    hasher: H,
    /// Out-of-order ids whose hash another id had first.
    collided: PlHashSet<Box<str>>,
}

impl SeenIds {
    pub fn with_capacity(rows: usize) -> SeenIds {
        SeenIds::with_hasher(rows, FxBuildHasher)
    }
}

impl<H: BuildHasher> SeenIds<H> {
    fn with_hasher(rows: usize, hasher: H) -> SeenIds<H> {
        SeenIds {
            sorted_bytes: Vec::with_capacity(rows * 10),
            sorted_ends: Vec::with_capacity(rows),
            other_bytes: Vec::new(),
            other_ends: Vec::new(),
            by_hash: std::collections::HashMap::default(),
            hasher,
            collided: PlHashSet::new(),
        }
    }

    fn sorted(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.sorted_ends[i - 1] };
        &self.sorted_bytes[start..self.sorted_ends[i]]
    }

    fn other(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.other_ends[i - 1] };
        &self.other_bytes[start..self.other_ends[i]]
    }

    /// Whether `id` is among the out-of-order ids.
    fn other_contains(&self, id: &str) -> bool {
        let bytes = id.as_bytes();
        match self.by_hash.get(&self.hasher.hash_one(bytes)) {
            Some(&i) => self.other(i) == bytes || self.collided.contains(id),
            None => false,
        }
    }

    /// Records an out-of-order `id`; false when it was already recorded.
    fn other_insert(&mut self, id: &str) -> bool {
        let bytes = id.as_bytes();
        let index = self.other_ends.len();
        match self.by_hash.entry(self.hasher.hash_one(bytes)) {
            Entry::Vacant(slot) => {
                slot.insert(index);
                self.other_bytes.extend_from_slice(bytes);
                self.other_ends.push(self.other_bytes.len());
                true
            }
            Entry::Occupied(first) => {
                let i = *first.get();
                let start = if i == 0 { 0 } else { self.other_ends[i - 1] };
                if &self.other_bytes[start..self.other_ends[i]] == bytes {
                    false
                } else {
                    self.collided.insert(id.into())
                }
            }
        }
    }

    /// Whether `id` is in the sorted run (binary search).
    fn sorted_contains(&self, bytes: &[u8]) -> bool {
        let (mut low, mut high) = (0, self.sorted_ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.sorted(mid).cmp(bytes) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    /// Records `id`; false when it was already recorded.
    pub fn insert(&mut self, id: &str) -> bool {
        let bytes = id.as_bytes();
        let n = self.sorted_ends.len();
        if n == 0 || bytes > self.sorted(n - 1) {
            if self.other_contains(id) {
                return false;
            }
            self.sorted_bytes.extend_from_slice(bytes);
            self.sorted_ends.push(self.sorted_bytes.len());
            return true;
        }
        if self.sorted_contains(bytes) {
            return false;
        }
        self.other_insert(id)
    }

    /// Whether `id` was recorded.
    pub fn contains(&self, id: &str) -> bool {
        self.sorted_contains(id.as_bytes()) || self.other_contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_find_repeats_in_any_order() {
        let mut seen = SeenIds::with_capacity(4);
        // Increasing, then out of order, then repeats of both kinds.
        for id in ["T1", "T2", "T5", "T3", "A", "", "T9", "订单"] {
            assert!(seen.insert(id), "{id:?} is new");
        }
        for id in ["T1", "T2", "T5", "T3", "A", "", "T9", "订单"] {
            assert!(!seen.insert(id), "{id:?} repeats");
        }
        assert!(seen.contains("T5") && seen.contains("订单") && !seen.contains("T7"));
        // Above the sorted run but already among the others: "T3" came out of order
        // before "T9" raised the run; "T4" never came.
        assert!(seen.insert("T4"));
        assert!(!seen.insert("T4"));
        let mut fresh = SeenIds::with_capacity(0);
        assert!(fresh.insert("B"));
        assert!(fresh.insert("A"));
        assert!(!fresh.insert("A"), "an out-of-order id repeated");
        assert!(fresh.insert("C"));
        assert!(!fresh.insert("A"));
        for id in ["A", "B", "C"] {
            assert!(fresh.contains(id), "{id:?} was recorded");
        }
        assert!(!fresh.contains("D") && !fresh.contains(""));
    }

    /// Every id hashed alike: each out-of-order id after the first collides, and
    /// repeats are still told from new ids exactly (against a plain set).
    #[test]
    fn colliding_hashes_stay_exact() {
        #[derive(Clone, Copy)]
        struct Constant;
        impl BuildHasher for Constant {
            type Hasher = rustc_hash::FxHasher;
            fn build_hasher(&self) -> rustc_hash::FxHasher {
                rustc_hash::FxHasher::default()
            }
            fn hash_one<T: std::hash::Hash>(&self, _: T) -> u64 {
                7
            }
        }
        let mut seen = SeenIds::with_hasher(0, Constant);
        let mut oracle = std::collections::HashSet::new();
        // A shuffled run with repeats: 0..300 by a step coprime to 300, twice.
        for round in 0..2 {
            for i in 0..300u32 {
                let id = format!("id{}", (i * 7 + 3) % 300 + round * 150);
                assert_eq!(seen.insert(&id), oracle.insert(id.clone()), "{id}");
                assert!(seen.contains(&id));
            }
        }
    }
}
