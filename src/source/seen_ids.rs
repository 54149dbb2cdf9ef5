//! Duplicate-id detection for "the first row wins".

use polars::prelude::*;

/// The ids accepted so far, for "the first row wins". Exports usually list ids in
/// increasing order, so ids that arrive above every earlier one are appended to a
/// sorted arena (no hashing, no cache misses: a new id only needs comparing with the
/// last) and found again by binary search; the ids that break the order go to a
/// hash set.
pub struct SeenIds {
    sorted_bytes: Vec<u8>,
    /// End of each sorted id in `sorted_bytes`; id `i` starts where `i - 1` ends.
    sorted_ends: Vec<usize>,
    others: PlHashSet<Box<str>>,
}

impl SeenIds {
    pub fn with_capacity(rows: usize) -> SeenIds {
        SeenIds {
            sorted_bytes: Vec::with_capacity(rows * 10),
            sorted_ends: Vec::with_capacity(rows),
            others: PlHashSet::new(),
        }
    }

    fn sorted(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.sorted_ends[i - 1] };
        &self.sorted_bytes[start..self.sorted_ends[i]]
    }

    /// Records `id`; false when it was already recorded.
    pub fn insert(&mut self, id: &str) -> bool {
        let bytes = id.as_bytes();
        let n = self.sorted_ends.len();
        if n == 0 || bytes > self.sorted(n - 1) {
            if self.others.contains(id) {
                return false;
            }
            self.sorted_bytes.extend_from_slice(bytes);
            self.sorted_ends.push(self.sorted_bytes.len());
            return true;
        }
        let (mut low, mut high) = (0, n);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.sorted(mid).cmp(bytes) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return false,
            }
        }
        self.others.insert(id.into())
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
    }
}
