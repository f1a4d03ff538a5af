//! On-disk layout: key prefixes in the single `audit` sled tree and the binary
//! entry format of chained records. Everything that must change atomically
//! (a record, its id and search index entries, the chain head; or a purge and
//! its anchor) lives in this one tree so a single `apply_batch` covers it.

use std::ops::Range;

use sha2::{Digest, Sha256};

use super::error::StoreError;
use super::record::AuditRecord;

/// Name of the sled tree holding everything.
pub const TREE: &str = "audit";
/// Record entries: `r` + first seq (u64 big-endian) → the entries of that seq and the
/// ones after it written in the same batch (see [`encode_records`]).
pub const P_RECORD: u8 = b'r';
/// Id index: `i` + id → seq (u64 big-endian).
pub const P_ID: u8 = b'i';
/// Secondary indexes: `x` + tag + len (u16 BE) + value + first seq (u64 BE) → posting list
/// (the ascending seqs, u64 BE each, of one write batch's records with that value).
pub const P_INDEX: u8 = b'x';
/// Feedback: `f` + id → JSON.
pub const P_FEEDBACK: u8 = b'f';
/// Consent: `c` + subject → JSON.
pub const P_CONSENT: u8 = b'c';
/// Chain head: seq (8) + hash (32) of the newest record.
pub const K_HEAD: &[u8] = b"mhead";
/// Anchor: seq (8) + hash (32) of the last purged record.
pub const K_ANCHOR: &[u8] = b"manchor";
/// Index format (one byte). Absent in stores written before posting lists, whose
/// one-key-per-record index entries are rebuilt on open.
pub const K_INDEX_FORMAT: &[u8] = b"mindexfmt";
/// Current index format: posting lists.
pub const INDEX_FORMAT: u8 = 2;

/// Entry format version byte.
pub const ENTRY_VERSION: u8 = 1;
/// Version byte of a block: several consecutive entries under one key.
pub const BLOCK_VERSION: u8 = 2;
/// Most entries in one block. A write batch inserts one key per block instead of one per
/// record (sled's cost is mostly per key); the cap bounds what a single-record read loads.
pub const MAX_BLOCK: usize = 64;
/// Header length: version (1) + seq (8) + prev_hash (32) + hash (32).
pub const HEADER_LEN: usize = 1 + 8 + 32 + 32;

/// Index tag for user.
pub const T_USER: u8 = b'u';
/// Index tag for department.
pub const T_DEPT: u8 = b'd';
/// Index tag for plan.
pub const T_PLAN: u8 = b'p';
/// Index tag for model.
pub const T_MODEL: u8 = b'm';
/// Index tag for verdict.
pub const T_VERDICT: u8 = b'v';
/// Index tag for finding type.
pub const T_TYPE: u8 = b't';

/// A 32-byte SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash before the first record ever written.
pub const GENESIS: Hash = [0u8; 32];

/// Key of record `seq`.
pub fn record_key(seq: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = P_RECORD;
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Key of the id index entry for `id`.
pub fn id_key(id: &str) -> Vec<u8> {
    prefixed(P_ID, id.as_bytes())
}

/// Key of the feedback for `id`.
pub fn feedback_key(id: &str) -> Vec<u8> {
    prefixed(P_FEEDBACK, id.as_bytes())
}

/// Key of the consent for `subject`.
pub fn consent_key(subject: &str) -> Vec<u8> {
    prefixed(P_CONSENT, subject.as_bytes())
}

fn prefixed(p: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(p);
    k.extend_from_slice(rest);
    k
}

/// Prefix of all index entries for (tag, value); `None` when the value is too long to index.
pub fn index_prefix(tag: u8, value: &str) -> Option<Vec<u8>> {
    let len = u16::try_from(value.len()).ok()?;
    let mut k = Vec::with_capacity(4 + value.len() + 8);
    k.push(P_INDEX);
    k.push(tag);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(value.as_bytes());
    Some(k)
}

/// Key of one posting list: the (tag, value) prefix + the list's first seq (u64 BE).
pub fn posting_key(prefix: &[u8], first: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 8);
    k.extend_from_slice(prefix);
    k.extend_from_slice(&first.to_be_bytes());
    k
}

/// The (tag, value) terms a record is indexed under: one per field, one per finding type.
pub fn index_terms(rec: &AuditRecord) -> Vec<(u8, &str)> {
    let mut out = Vec::with_capacity(6 + rec.findings.len());
    out.push((T_USER, rec.user.as_str()));
    out.push((T_DEPT, rec.department.as_str()));
    if let Some(p) = &rec.plan {
        out.push((T_PLAN, p.as_str()));
    }
    out.push((T_MODEL, rec.model.as_str()));
    out.push((T_VERDICT, rec.verdict.as_str()));
    let mut types: Vec<&str> = rec.findings.iter().map(|f| f.kind.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    out.extend(types.into_iter().map(|t| (T_TYPE, t)));
    out
}

/// Groups the index terms of consecutive records into posting lists, one per (tag, value):
/// prefix → ascending seqs. A batch writes one key per list instead of one per term and
/// record, which is what keeps sled's work per record small under load.
#[derive(Debug, Default)]
pub struct Postings {
    lists: std::collections::BTreeMap<Vec<u8>, Vec<u64>>,
}

impl Postings {
    /// Adds record `seq` (seqs must be added in ascending order).
    pub fn add(&mut self, rec: &AuditRecord, seq: u64) {
        for (tag, value) in index_terms(rec) {
            // Values longer than u16::MAX bytes are not indexed (a filter on them still works
            // by scanning the records).
            if let Some(prefix) = index_prefix(tag, value) {
                self.lists.entry(prefix).or_default().push(seq);
            }
        }
    }

    /// The (key, value) pairs to insert: one per list.
    pub fn into_entries(self) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
        self.lists.into_iter().filter_map(|(prefix, seqs)| {
            let first = *seqs.first()?;
            Some((posting_key(&prefix, first), encode_postings(&seqs)))
        })
    }
}

/// Encodes ascending seqs as consecutive u64 BE.
pub fn encode_postings(seqs: &[u64]) -> Vec<u8> {
    let mut v = Vec::with_capacity(seqs.len() * 8);
    for s in seqs {
        v.extend_from_slice(&s.to_be_bytes());
    }
    v
}

/// Decodes a posting list written by [`encode_postings`].
pub fn decode_postings(v: &[u8]) -> Result<Vec<u64>, StoreError> {
    if v.len() % 8 != 0 {
        return Err(StoreError::Corrupt("index posting list malformed".into()));
    }
    Ok(v.chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_be_bytes(a)
        })
        .collect())
}

/// Reads a seq from a record key.
pub fn seq_from_record_key(k: &[u8]) -> Option<u64> {
    if k.len() != 9 || k.first() != Some(&P_RECORD) {
        return None;
    }
    Some(u64::from_be_bytes(k.get(1..9)?.try_into().ok()?))
}

/// The chain hash: SHA-256(prev_hash || seq as u64 big-endian || canonical bytes).
pub fn chain_hash(prev: &Hash, seq: u64, canonical: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(canonical);
    h.finalize().into()
}

/// Canonical bytes of a record: compact JSON, fields in declaration order.
pub fn canonical_bytes(rec: &AuditRecord) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(rec)
        .map_err(|e| StoreError::Invalid(format!("record not serialisable: {e}")))
}

/// Builds an entry: header + canonical bytes.
pub fn encode_entry(seq: u64, prev: &Hash, hash: &Hash, canonical: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + canonical.len());
    v.push(ENTRY_VERSION);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(prev);
    v.extend_from_slice(hash);
    v.extend_from_slice(canonical);
    v
}

/// A decoded entry header with its canonical bytes.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Sequence number stored in the entry.
    pub seq: u64,
    /// Previous hash.
    pub prev: Hash,
    /// Stored hash.
    pub hash: Hash,
    /// Canonical JSON bytes.
    pub canonical: &'a [u8],
}

/// Splits an entry into header fields and canonical bytes.
pub fn decode_entry(v: &[u8]) -> Result<Entry<'_>, StoreError> {
    if v.len() < HEADER_LEN || v.first() != Some(&ENTRY_VERSION) {
        return Err(StoreError::Corrupt("entry header malformed".into()));
    }
    let bad = || StoreError::Corrupt("entry header malformed".into());
    let seq = u64::from_be_bytes(v.get(1..9).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
    let prev: Hash = v
        .get(9..41)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let hash: Hash = v
        .get(41..73)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let canonical = v.get(HEADER_LEN..).ok_or_else(bad)?;
    Ok(Entry {
        seq,
        prev,
        hash,
        canonical,
    })
}

/// The stored value for consecutive entries: a lone entry as it is (the only format
/// before blocks, so older stores read unchanged), several as a block
/// `2 ‖ (length u32 BE ‖ entry)*`.
pub fn encode_records(mut entries: Vec<Vec<u8>>) -> Result<Vec<u8>, StoreError> {
    if entries.len() == 1 {
        return Ok(entries.pop().unwrap_or_default());
    }
    let len: usize = entries.iter().map(|e| 4 + e.len()).sum();
    let mut v = Vec::with_capacity(1 + len);
    v.push(BLOCK_VERSION);
    for e in entries {
        let n =
            u32::try_from(e.len()).map_err(|_| StoreError::Invalid("record over 4 GiB".into()))?;
        v.extend_from_slice(&n.to_be_bytes());
        v.extend_from_slice(&e);
    }
    Ok(v)
}

/// Byte ranges of the entries in a stored record value, in seq order.
pub fn entry_ranges(v: &[u8]) -> Result<Vec<Range<usize>>, StoreError> {
    match v.first() {
        Some(&BLOCK_VERSION) => {
            let mut out = Vec::new();
            let mut at = 1;
            while at < v.len() {
                let len = v
                    .get(at..at + 4)
                    .and_then(|b| b.try_into().ok())
                    .map(|b: [u8; 4]| u32::from_be_bytes(b) as usize)
                    .ok_or_else(|| StoreError::Corrupt("record block truncated".into()))?;
                let start = at + 4;
                let end = start
                    .checked_add(len)
                    .filter(|&e| e <= v.len())
                    .ok_or_else(|| StoreError::Corrupt("record block truncated".into()))?;
                out.push(start..end);
                at = end;
            }
            Ok(out)
        }
        _ => Ok(std::iter::once(0..v.len()).collect()),
    }
}

/// Where a record is stored: the value holding it and its entry's bytes in that value.
pub struct Located {
    /// Seq of the first entry under the key (the key's seq).
    pub first: u64,
    /// The stored value.
    pub value: sled::IVec,
    /// The value's entries, in seq order.
    pub entries: Vec<Range<usize>>,
}

impl Located {
    /// The entry of `seq`, if this value holds it.
    pub fn entry(&self, seq: u64) -> Option<&[u8]> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.value.get(self.entries.get(i)?.clone())
    }

    /// Seq of the last entry held.
    pub fn last(&self) -> u64 {
        self.first + (self.entries.len() as u64).saturating_sub(1)
    }
}

/// Finds the stored value holding record `seq` (`None` when no value holds it).
pub fn locate(tree: &sled::Tree, seq: u64) -> Result<Option<Located>, StoreError> {
    let Some((k, value)) = tree
        .range(record_key(0)..=record_key(seq))
        .next_back()
        .transpose()?
    else {
        return Ok(None);
    };
    let Some(first) = seq_from_record_key(&k) else {
        return Ok(None);
    };
    let entries = entry_ranges(&value)?;
    let located = Located {
        first,
        value,
        entries,
    };
    Ok((!located.entries.is_empty() && located.last() >= seq).then_some(located))
}

/// Reads records by seq, keeping the value read last: walking seqs in order, one
/// lookup serves a whole block.
#[derive(Default)]
pub struct Cursor {
    block: Option<Located>,
}

impl Cursor {
    /// The entry bytes of record `seq`, `None` when no stored value holds it.
    pub fn entry(&mut self, tree: &sled::Tree, seq: u64) -> Result<Option<&[u8]>, StoreError> {
        if self.block.as_ref().is_none_or(|b| b.entry(seq).is_none()) {
            self.block = locate(tree, seq)?;
        }
        Ok(self.block.as_ref().and_then(|b| b.entry(seq)))
    }
}

/// Encodes a (seq, hash) pair for head/anchor.
pub fn encode_point(seq: u64, hash: &Hash) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&seq.to_be_bytes());
    v[8..].copy_from_slice(hash);
    v
}

/// Decodes a (seq, hash) pair for head/anchor.
pub fn decode_point(v: &[u8]) -> Result<(u64, Hash), StoreError> {
    let bad = || StoreError::Corrupt("chain head/anchor malformed".into());
    if v.len() != 40 {
        return Err(bad());
    }
    let seq = u64::from_be_bytes(v.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
    let hash: Hash = v.get(8..).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
    Ok((seq, hash))
}

/// Decodes an 8-byte big-endian seq value.
pub fn decode_seq(v: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("id index value malformed".into()))?;
    Ok(u64::from_be_bytes(arr))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chain_hash_is_sha256_of_prev_seq_canonical() {
        // SHA-256 of 32 zero bytes ‖ 00..01 ‖ "{}" computed independently.
        let mut input = vec![0u8; 32];
        input.extend_from_slice(&1u64.to_be_bytes());
        input.extend_from_slice(b"{}");
        let want: Hash = Sha256::digest(&input).into();
        assert_eq!(chain_hash(&GENESIS, 1, b"{}"), want);
        assert_ne!(chain_hash(&GENESIS, 2, b"{}"), want);
    }

    #[test]
    fn index_ranges_do_not_bleed_between_values() {
        // "ab" and "a" share a byte prefix but not an index prefix (length is part of it).
        let a = index_prefix(T_USER, "a").unwrap();
        let ab = posting_key(&index_prefix(T_USER, "ab").unwrap(), 1);
        assert!(!ab.starts_with(&a));
        assert!(posting_key(&a, 42).ends_with(&42u64.to_be_bytes()));
        assert!(index_prefix(T_USER, &"x".repeat(70_000)).is_none());
    }

    proptest! {
        #[test]
        fn stored_values_give_back_their_entries(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8)) {
            let entries: Vec<Vec<u8>> = bodies
                .iter()
                .enumerate()
                .map(|(i, b)| encode_entry(i as u64 + 1, &GENESIS, &GENESIS, b))
                .collect();
            let v = encode_records(entries.clone()).unwrap();
            let got: Vec<&[u8]> = entry_ranges(&v).unwrap().into_iter().map(|r| &v[r]).collect();
            let want: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn any_stored_value_splits_without_panics(v in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(ranges) = entry_ranges(&v) {
                for r in ranges {
                    prop_assert!(v.get(r).is_some());
                }
            }
        }

        #[test]
        fn entry_round_trips(seq in any::<u64>(), prev in any::<[u8; 32]>(), body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let h = chain_hash(&prev, seq, &body);
            let v = encode_entry(seq, &prev, &h, &body);
            let e = decode_entry(&v).unwrap();
            prop_assert_eq!(e.seq, seq);
            prop_assert_eq!(e.prev, prev);
            prop_assert_eq!(e.hash, h);
            prop_assert_eq!(e.canonical, &body[..]);
            prop_assert_eq!(decode_point(&encode_point(seq, &h)).unwrap(), (seq, h));
            prop_assert_eq!(seq_from_record_key(&record_key(seq)), Some(seq));
        }

        #[test]
        fn posting_keys_sort_by_first_seq_within_a_value(v in "[a-z\\u{3042}-\\u{3093}]{0,12}", a in any::<u64>(), b in any::<u64>()) {
            let p = index_prefix(T_DEPT, &v).unwrap();
            prop_assert_eq!(posting_key(&p, a).cmp(&posting_key(&p, b)), a.cmp(&b));
        }

        #[test]
        fn postings_round_trip(mut seqs in proptest::collection::vec(any::<u64>(), 0..64)) {
            seqs.sort_unstable();
            prop_assert_eq!(decode_postings(&encode_postings(&seqs)).unwrap(), seqs);
        }
    }

    #[test]
    fn truncated_entries_are_corrupt_not_panics() {
        for n in 0..HEADER_LEN {
            assert!(decode_entry(&vec![ENTRY_VERSION; n]).is_err());
        }
        assert!(decode_entry(&[2u8; 80]).is_err());
        assert!(decode_point(&[0u8; 39]).is_err());
    }
}
