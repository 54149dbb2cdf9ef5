//! Duplicate-id detection for "the first row wins".

use std::hash::BuildHasher;

use hashbrown::HashTable;
use polars::prelude::*;
use rustc_hash::FxBuildHasher;

/// Ids stored back to back with one length byte each: an id's start is its
/// block's start (every [`BLOCK`] ids) plus the lengths before it in the block.
/// About 1.5 bytes of bookkeeping an id, where an end offset took 8.
#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
    lengths: Vec<u8>,
    block_starts: Vec<usize>,
}

const BLOCK: usize = 16;

impl Arena {
    /// Appends an id of at most `u8::MAX` bytes; returns its index.
    fn push(&mut self, id: &[u8]) -> usize {
        let index = self.lengths.len();
        if index.is_multiple_of(BLOCK) {
            self.block_starts.push(self.bytes.len());
        }
        self.bytes.extend_from_slice(id);
        self.lengths.push(id.len() as u8);
        index
    }

    fn get(&self, index: usize) -> &[u8] {
        let block = index / BLOCK;
        let start = self.block_starts[block]
            + self.lengths[block * BLOCK..index]
                .iter()
                .map(|&l| usize::from(l))
                .sum::<usize>();
        &self.bytes[start..start + usize::from(self.lengths[index])]
    }
}

/// Ids in increasing order, front-coded: the first id of each block of [`BLOCK`]
/// whole, every other one as the length of the prefix it shares with the id
/// before it and the bytes after that. Ids in order share most of their bytes
/// (`ORD0001234`, `ORD0001235`), so an id takes 3–4 bytes where it took 11: at
/// 6.5 M shipments, about 50 MB less while the file is read.
#[derive(Default)]
struct SortedArena {
    /// Each id's bytes after the prefix it shares with the one before.
    suffixes: Vec<u8>,
    /// Each id's shared prefix length (0 for a block's first) and its suffix
    /// length, a byte each.
    shared: Vec<u8>,
    suffix_lengths: Vec<u8>,
    block_starts: Vec<usize>,
    /// The last id, whole: each new id is compared with it.
    last: Vec<u8>,
}

impl SortedArena {
    fn with_capacity(ids: usize) -> SortedArena {
        SortedArena {
            suffixes: Vec::with_capacity(ids * 2),
            shared: Vec::with_capacity(ids),
            suffix_lengths: Vec::with_capacity(ids),
            block_starts: Vec::with_capacity(ids / BLOCK + 1),
            last: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.shared.len()
    }

    /// Appends an id of at most `u8::MAX` bytes (a packed id of up to 254), above
    /// every earlier one.
    fn push(&mut self, id: &[u8]) {
        let shared = if self.len().is_multiple_of(BLOCK) {
            self.block_starts.push(self.suffixes.len());
            0
        } else {
            self.last.iter().zip(id).take_while(|(a, b)| a == b).count()
        };
        self.suffixes.extend_from_slice(&id[shared..]);
        self.shared.push(shared as u8);
        self.suffix_lengths.push((id.len() - shared) as u8);
        self.last.clear();
        self.last.extend_from_slice(id);
    }

    fn last(&self) -> Option<&[u8]> {
        (!self.shared.is_empty()).then_some(self.last.as_slice())
    }

    /// Hands each id of `range` (its index and bytes) to `visit`, decoded from
    /// the start of the block the range starts in.
    fn each_in(&self, range: std::ops::Range<usize>, mut visit: impl FnMut(usize, &[u8])) {
        let first = range.start / BLOCK * BLOCK;
        let Some(&start) = self.block_starts.get(first / BLOCK) else {
            return;
        };
        let mut at = start;
        let mut current = [0u8; 256];
        for i in first..range.end.min(self.len()) {
            let (shared, suffix) = (
                usize::from(self.shared[i]),
                usize::from(self.suffix_lengths[i]),
            );
            current[shared..shared + suffix].copy_from_slice(&self.suffixes[at..at + suffix]);
            at += suffix;
            if i >= range.start {
                visit(i, &current[..shared + suffix]);
            }
        }
    }

    /// Whether `id` is in the arena: a binary search over the first id of each
    /// block, then the block decoded id by id until one is not below `id`.
    fn contains(&self, id: &[u8]) -> bool {
        if self.last().is_none_or(|last| id > last) {
            return false;
        }
        let first = |b: usize| {
            let start = self.block_starts[b];
            &self.suffixes[start..start + usize::from(self.suffix_lengths[b * BLOCK])]
        };
        // The last block whose first id is not above `id`.
        let (mut low, mut high) = (0, self.block_starts.len());
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if first(mid) <= id {
                low = mid;
            } else {
                high = mid;
            }
        }
        let mut at = self.block_starts[low];
        // Ids are shorter than 255 bytes (longer ones are kept elsewhere).
        let mut current = [0u8; 256];
        for i in low * BLOCK..self.len().min((low + 1) * BLOCK) {
            let (shared, suffix) = (
                usize::from(self.shared[i]),
                usize::from(self.suffix_lengths[i]),
            );
            current[shared..shared + suffix].copy_from_slice(&self.suffixes[at..at + suffix]);
            at += suffix;
            match current[..shared + suffix].cmp(id) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Greater => return false,
            }
        }
        false
    }
}

/// The bytes an id is kept as: its text, or where the text has a shape real
/// exports use, a shorter or better-ordered form behind a tag byte — a UUID or a
/// run of hex digits as the bytes they spell (36 or 32 characters → 17 bytes), a
/// decimal number as 8 bytes big-endian (unpadded ids then arrive in increasing
/// order: 9 before 10). Text starting with a byte no id starts with (below 0x08)
/// is tagged too, so two ids are equal exactly when their packed forms are.
fn pack<'b>(id: &'b [u8], buf: &'b mut [u8; 512]) -> &'b [u8] {
    const DECIMAL: u8 = 1;
    const UUID_LOWER: u8 = 2;
    const UUID_UPPER: u8 = 3;
    const HEX_LOWER: u8 = 4;
    const HEX_UPPER: u8 = 5;
    const TEXT: u8 = 6;
    let hex_value = |c: u8, upper: bool| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' if !upper => Some(c - b'a' + 10),
        b'A'..=b'F' if upper => Some(c - b'A' + 10),
        _ => None,
    };
    if (1..=19).contains(&id.len()) && id[0] != b'0' && id.iter().all(u8::is_ascii_digit) {
        let n = id.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        buf[0] = DECIMAL;
        buf[1..9].copy_from_slice(&n.to_be_bytes());
        return &buf[..9];
    }
    const DASHES: [usize; 4] = [8, 13, 18, 23];
    let is_uuid = id.len() == 36 && DASHES.iter().all(|&i| id[i] == b'-');
    if is_uuid || (id.len() >= 16 && id.len().is_multiple_of(2)) {
        let (lower, upper) = match is_uuid {
            true => (UUID_LOWER, UUID_UPPER),
            false => (HEX_LOWER, HEX_UPPER),
        };
        for (tag, is_upper) in [(lower, false), (upper, true)] {
            let mut digits = id
                .iter()
                .enumerate()
                .filter(|(i, _)| !is_uuid || !DASHES.contains(i))
                .map(|(_, &c)| hex_value(c, is_upper));
            let mut n = 1;
            // An even count of digits: two at a time, until one is not hex.
            while let (Some(Some(hi)), Some(Some(lo))) = (digits.next(), digits.next()) {
                buf[n] = hi << 4 | lo;
                n += 1;
            }
            if n == 1 + (id.len() - if is_uuid { 4 } else { 0 }) / 2 {
                buf[0] = tag;
                return &buf[..n];
            }
        }
    }
    // The caller keeps ids this long elsewhere; here they would not fit.
    if id.first().is_some_and(|&b| b <= TEXT + 1) && id.len() < buf.len() {
        buf[0] = TEXT;
        buf[1..=id.len()].copy_from_slice(id);
        return &buf[..=id.len()];
    }
    id
}

/// The text of a [`pack`]ed id.
fn unpack(bytes: &[u8]) -> String {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    let hex = |digits: &[u8; 16], dashes: &[usize]| {
        let mut text = String::with_capacity(bytes.len() * 2 + dashes.len());
        for (i, b) in bytes[1..].iter().enumerate() {
            if dashes.contains(&i) {
                text.push('-');
            }
            text.push(char::from(digits[usize::from(b >> 4)]));
            text.push(char::from(digits[usize::from(b & 0xf)]));
        }
        text
    };
    // A UUID's dashes come before its 5th, 7th, 9th and 11th bytes.
    const UUID_DASHES: [usize; 4] = [4, 6, 8, 10];
    match bytes.first() {
        Some(1) => {
            let digits: [u8; 8] = bytes[1..9].try_into().unwrap_or_default();
            u64::from_be_bytes(digits).to_string()
        }
        Some(2) => hex(LOWER, &UUID_DASHES),
        Some(3) => hex(UPPER, &UUID_DASHES),
        Some(4) => hex(LOWER, &[]),
        Some(5) => hex(UPPER, &[]),
        Some(6) => String::from_utf8_lossy(&bytes[1..]).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The ids accepted so far, for "the first row wins". Exports usually list ids in
/// increasing order, so ids that arrive above every earlier one are appended to a
/// sorted arena (no hashing, no cache misses: a new id only needs comparing with the
/// last) and found again by binary search. The ids that break the order (hash ids,
/// UUIDs, shuffled rows) go to a second arena, found through a hash table of their
/// indexes (4 bytes a slot): every probe compares the id's bytes, so two ids with
/// one hash stay apart and the check is exact. Ids are kept [`pack`]ed; ids of 255
/// bytes or more (rare anywhere) in a set of their own.
pub struct SeenIds<H = FxBuildHasher> {
    sorted: SortedArena,
    other: Arena,
    /// Indexes into `other`, placed by the hash of the id's bytes.
    by_hash: HashTable<u32>,
    /// How ids are hashed (a parameter so tests can force collisions).
    hasher: H,
    /// Each long id, with its row when rows are kept.
    long: PlHashMap<Box<str>, u32>,
    /// Whether ids in increasing order go to the sorted arena (else every id is
    /// hashed).
    sorted_allowed: bool,
    /// The row each id was recorded at, when kept ([`SeenIds::with_rows`]).
    rows: Option<Rows>,
}

/// The row of each id in each arena (its index there), and the next row.
#[derive(Default)]
struct Rows {
    sorted: Vec<u32>,
    other: Vec<u32>,
    next: u64,
}

/// A recorded id found again in an earlier set ([`SeenIds::found_in`]): its row
/// and its text.
pub struct Repeat {
    pub row: usize,
    pub id: String,
}

impl SeenIds {
    pub fn with_capacity(rows: usize) -> SeenIds {
        SeenIds::with_hasher(rows, FxBuildHasher)
    }

    /// Ids every one of which is hashed: for a set that is mostly looked up
    /// rather than added to (a binary search per lookup, of a set that is
    /// mostly missed, took twice as long as a hash probe).
    pub fn hashed() -> SeenIds {
        SeenIds {
            sorted_allowed: false,
            ..SeenIds::with_capacity(0)
        }
    }

    /// A set of ids one per row, each kept with its row: a later part of a file
    /// is checked against the earlier parts through it, with no column of its
    /// ids as text (52 bytes a UUID; a row here takes 4 more).
    pub fn with_rows(rows: usize) -> SeenIds {
        SeenIds {
            rows: Some(Rows {
                sorted: Vec::with_capacity(rows),
                ..Rows::default()
            }),
            ..SeenIds::with_capacity(rows)
        }
    }

    /// Whether a set with rows has more than a row index holds (4 G): a part
    /// that large is read again in one piece.
    pub fn rows_overflowed(&self) -> bool {
        self.rows.as_ref().is_some_and(|r| r.next > 1 << 32)
    }

    /// The ids recorded here that one of `earlier` holds, in row order, looked
    /// up on every core.
    pub fn found_in(&self, earlier: &[&SeenIds]) -> Vec<Repeat> {
        let rows = self.rows.as_ref().expect("a set kept with its rows");
        let held = |bytes: &[u8]| earlier.iter().any(|e| e.contains_packed(bytes));
        let repeat = |row: u32, bytes: &[u8]| Repeat {
            row: row as usize,
            id: unpack(bytes),
        };
        let mut found: Vec<Repeat> = crate::parallel::map_parts(self.sorted.len(), |from, len| {
            let mut found = Vec::new();
            self.sorted.each_in(from..from + len, |i, bytes| {
                if held(bytes) {
                    found.push(repeat(rows.sorted[i], bytes));
                }
            });
            found
        })
        .into_iter()
        .flatten()
        .collect();
        found.extend(
            crate::parallel::map_parts(self.other.lengths.len(), |from, len| {
                (from..from + len)
                    .filter(|&i| held(self.other.get(i)))
                    .map(|i| repeat(rows.other[i], self.other.get(i)))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .flatten(),
        );
        found.extend(
            self.long
                .iter()
                .filter(|(id, _)| earlier.iter().any(|e| e.long.contains_key(*id)))
                .map(|(id, &row)| Repeat {
                    row: row as usize,
                    id: id.to_string(),
                }),
        );
        found.sort_unstable_by_key(|r| r.row);
        found
    }

    /// Records every id of `other` (its rows are not kept).
    pub fn extend_from(&mut self, other: &SeenIds) {
        other.sorted.each_in(0..other.sorted.len(), |_, bytes| {
            self.insert_packed(bytes, 0);
        });
        for i in 0..other.other.lengths.len() {
            self.insert_packed(other.other.get(i), 0);
        }
        for id in other.long.keys() {
            self.long.entry(id.clone()).or_insert(0);
        }
    }
}

impl<H: BuildHasher> SeenIds<H> {
    fn with_hasher(rows: usize, hasher: H) -> SeenIds<H> {
        SeenIds {
            sorted: SortedArena::with_capacity(rows),
            other: Arena::default(),
            by_hash: HashTable::new(),
            hasher,
            long: PlHashMap::new(),
            sorted_allowed: true,
            rows: None,
        }
    }

    /// Whether the packed id `bytes` was recorded.
    fn contains_packed(&self, bytes: &[u8]) -> bool {
        self.sorted.contains(bytes)
            || (!self.by_hash.is_empty() && self.find_other(self.hasher.hash_one(bytes), bytes))
    }

    fn find_other(&self, hash: u64, bytes: &[u8]) -> bool {
        self.by_hash
            .find(hash, |&i| self.other.get(i as usize) == bytes)
            .is_some()
    }

    /// Records an out-of-order id; false when it was already recorded.
    fn other_insert(&mut self, bytes: &[u8]) -> bool {
        let hash = self.hasher.hash_one(bytes);
        if self.find_other(hash, bytes) {
            return false;
        }
        let index = self.other.push(bytes) as u32;
        let (other, hasher) = (&self.other, &self.hasher);
        self.by_hash
            .insert_unique(hash, index, |&i| hasher.hash_one(other.get(i as usize)));
        true
    }

    /// Records `id`; false when it was already recorded.
    pub fn insert(&mut self, id: &str) -> bool {
        // Past u32::MAX rows the row wraps; the part is then read again whole
        // ([`SeenIds::rows_overflowed`]).
        let row = self.rows.as_ref().map_or(0, |r| r.next as u32);
        let new = if id.len() >= usize::from(u8::MAX) {
            !self.long.contains_key(id) && self.long.insert(id.into(), row).is_none()
        } else {
            let mut buf = [0; 512];
            self.insert_packed(pack(id.as_bytes(), &mut buf), row)
        };
        if let Some(rows) = self.rows.as_mut().filter(|_| new) {
            rows.next += 1;
        }
        new
    }

    /// Records the packed id `bytes`, at `row` when rows are kept; false when it
    /// was already recorded.
    fn insert_packed(&mut self, bytes: &[u8], row: u32) -> bool {
        // New: an out-of-order id was below the run's last when it came, and the
        // last only rises.
        if self.sorted_allowed && self.sorted.last().is_none_or(|last| bytes > last) {
            self.sorted.push(bytes);
            if let Some(rows) = &mut self.rows {
                rows.sorted.push(row);
            }
            return true;
        }
        if self.sorted.contains(bytes) {
            return false;
        }
        let new = self.other_insert(bytes);
        if let Some(rows) = self.rows.as_mut().filter(|_| new) {
            rows.other.push(row);
        }
        new
    }

    /// Whether `id` was recorded.
    pub fn contains(&self, id: &str) -> bool {
        if id.len() >= usize::from(u8::MAX) {
            return self.long.contains_key(id);
        }
        let mut buf = [0; 512];
        self.contains_packed(pack(id.as_bytes(), &mut buf))
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
        // Below the run's last: looked up in both arenas, then kept among the others.
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
        // Ids shorter than 255 bytes stay in the arenas, longer ones in their own set; across
        // block boundaries (every 16 ids) each is found again.
        let mut lengths = SeenIds::with_capacity(0);
        let ids: Vec<String> = (0..40).map(|i| format!("{i:02}").repeat(120 + i)).collect();
        for id in ids.iter().chain(ids.iter().rev()) {
            lengths.insert(id);
        }
        for id in &ids {
            assert!(lengths.contains(id) && !lengths.insert(id), "{}", id.len());
            assert!(!lengths.contains(&id[1..]));
        }
    }

    /// Packing keeps ids apart: every shape against its neighbours (case, a dash,
    /// a leading zero, one digit more), and numbers in numeric order.
    #[test]
    fn packed_ids_are_equal_exactly_when_the_ids_are() {
        let uuid = "0b5a3c1e-9f2d-4c6b-8a7e-1d2f3a4b5c6d";
        let hex = "9f2d4c6b8a7e1d2f3a4b5c6d0b5a3c1e";
        let ids = [
            uuid.to_string(),
            uuid.to_uppercase(),
            uuid.replacen('b', "B", 1),
            uuid.replace('-', ""),
            format!("{}-", &uuid[..35]),
            hex.to_string(),
            hex.to_uppercase(),
            hex[..30].to_string(),
            hex[..31].to_string(),
            "12345678901234567".into(),
            "012345678901234567".into(),
            "9".into(),
            "10".into(),
            "0".into(),
            "00".into(),
            "18446744073709551615".into(),
            "9999999999999999999".into(),
            "\u{1}\u{9}".into(),
            "\u{6}x".into(),
            "\u{3}".into(),
            "".into(),
            "T0000001".into(),
        ];
        let mut packed = std::collections::HashSet::new();
        for id in &ids {
            let mut buf = [0; 512];
            assert!(
                packed.insert(pack(id.as_bytes(), &mut buf).to_vec()),
                "{id:?}"
            );
        }
        let (mut a, mut b) = ([0; 512], [0; 512]);
        assert!(pack(b"9", &mut a) < pack(b"10", &mut b));
        assert_eq!(pack(uuid.as_bytes(), &mut a).len(), 17);
        let mut seen = SeenIds::with_capacity(0);
        for id in &ids {
            assert!(seen.insert(id), "{id:?} is new");
        }
        for id in &ids {
            assert!(seen.contains(id) && !seen.insert(id), "{id:?} repeats");
        }
        // Unpadded ids in order stay on the sorted run, past 9 and 99.
        let mut unpadded = SeenIds::with_capacity(0);
        for i in 1..=200 {
            assert!(unpadded.insert(&i.to_string()));
        }
        assert_eq!(
            (unpadded.sorted.len(), unpadded.other.lengths.len()),
            (200, 0)
        );
        // Found again in any block, and the ids between them are not.
        let mut gaps = SeenIds::with_capacity(0);
        for i in (0..2000).step_by(2) {
            assert!(gaps.insert(&format!("T{i:05}")));
        }
        for i in 0..2001 {
            assert_eq!(
                gaps.contains(&format!("T{i:05}")),
                i % 2 == 0 && i < 2000,
                "{i}"
            );
        }
        assert!(!gaps.contains("S") && !gaps.contains("T") && !gaps.contains("U"));
    }

    proptest::proptest! {
        /// Front-coded runs: ids that share prefixes of every length (a short id
        /// before its own extensions, long runs of one prefix across blocks),
        /// mostly in increasing order with some out of it, against a plain set.
        #[test]
        fn seen_ids_agree_with_a_set(
            ids in proptest::collection::vec("[ab]{0,3}[0-9]{0,4}", 0..300),
            sort in proptest::bool::ANY,
            probes in proptest::collection::vec("[ab]{0,3}[0-9]{0,4}", 0..50),
        ) {
            let mut ids = ids;
            if sort {
                // Sorted but for a few swapped neighbours.
                ids.sort();
                for i in (3..ids.len()).step_by(17) {
                    ids.swap(i - 1, i);
                }
            }
            for mut seen in [SeenIds::with_capacity(ids.len()), SeenIds::hashed()] {
                let mut oracle = std::collections::HashSet::new();
                for id in &ids {
                    proptest::prop_assert_eq!(seen.insert(id), oracle.insert(id.clone()), "{}", id);
                }
                for id in ids.iter().chain(&probes) {
                    proptest::prop_assert_eq!(seen.contains(id), oracle.contains(id), "{}", id);
                }
            }
        }
    }

    /// Every shape [`pack`] knows comes back as its text.
    #[test]
    fn unpacked_ids_are_the_ids() {
        let uuid = "0b5a3c1e-9f2d-4c6b-8a7e-1d2f3a4b5c6d";
        for id in [
            uuid.to_string(),
            uuid.to_uppercase(),
            uuid.replace('-', ""),
            "9f2d4c6b8a7e1d2f3a4b5c6d0B5A3C1E".into(),
            "12345678901234567".into(),
            "9999999999999999999".into(),
            "18446744073709551615".into(),
            "0".into(),
            "007".into(),
            "\u{1}\u{9}".into(),
            "".into(),
            "T0000001".into(),
            "订单-7".into(),
        ] {
            let mut buf = [0; 512];
            assert_eq!(unpack(pack(id.as_bytes(), &mut buf)), id);
        }
    }

    proptest::proptest! {
        #[test]
        fn pack_then_unpack_is_the_id(id in "([0-9a-fA-F-]{0,40}|\\PC{0,20})") {
            let mut buf = [0; 512];
            proptest::prop_assert_eq!(unpack(pack(id.as_bytes(), &mut buf)), id);
        }

        /// A part's ids found in earlier sets, against a plain set: the rows of
        /// the repeats, in row order, with their text; a part's rows are its
        /// new ids in order. Sorted runs, shuffled ids, long ids and numbers.
        #[test]
        fn repeats_of_a_part_are_found_with_their_rows(
            earlier in proptest::collection::vec("[ab]?[0-9]{1,3}", 0..200),
            part in proptest::collection::vec("[ab]?[0-9]{1,3}", 0..200),
            sort in proptest::bool::ANY,
            long in proptest::bool::ANY,
        ) {
            // Ids of 255 bytes or more are kept apart: made so by their text,
            // so that a long id of the part can repeat one of the earlier set.
            let widen = |id: String| match long && id.starts_with('b') {
                true => id.repeat(300 / id.len() + 1),
                false => id,
            };
            let mut part: Vec<String> = part.into_iter().map(widen).collect();
            if sort {
                part.sort();
            }
            let earlier: Vec<String> = earlier.into_iter().map(widen).collect();
            let mut first = SeenIds::with_capacity(0);
            earlier.iter().for_each(|id| { first.insert(id); });
            let mut seen = SeenIds::with_rows(part.len());
            let mut rows = Vec::new();
            for id in &part {
                if seen.insert(id) {
                    rows.push(id.clone());
                }
            }
            let expected: Vec<(usize, String)> = rows
                .iter()
                .enumerate()
                .filter(|(_, id)| earlier.contains(id))
                .map(|(row, id)| (row, id.clone()))
                .collect();
            let found: Vec<(usize, String)> =
                seen.found_in(&[&first]).into_iter().map(|r| (r.row, r.id)).collect();
            proptest::prop_assert_eq!(found, expected);
            // Taken into the earlier set, every id of the part is found there.
            first.extend_from(&seen);
            for id in &part {
                proptest::prop_assert!(first.contains(id), "{}", id);
            }
        }
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
