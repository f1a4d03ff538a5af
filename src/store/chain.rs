//! Chain verification and retention purge.
//!
//! Verify walks records in seq order from the anchor (or seq 1 and the zero
//! hash), checking for each: the key's seq equals the expected next seq
//! (otherwise a record is missing), the stored seq matches the key, the stored
//! prev_hash equals the previous record's hash (link), and the recomputed hash
//! equals the stored one (content). Finally the last record must equal the
//! chain head, so a truncated tail is reported as missing.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::layout::{self, Hash, GENESIS};
use super::record::AuditRecord;
use super::{AuditStore, StoreError};

/// Records purged per atomic batch.
const PURGE_CHUNK: usize = 1000;
/// Old index keys removed per batch when the index is upgraded.
const UPGRADE_CHUNK: usize = 10_000;

/// A point of the chain: a seq and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    /// Sequence number.
    pub seq: u64,
    /// Hex SHA-256.
    pub hash: String,
}

/// What kind of break verify found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The record's bytes do not hash to its stored hash (content altered).
    Altered,
    /// The record's prev_hash does not equal the previous record's hash.
    BrokenLink,
    /// A sequence number is missing (deleted record, or truncated tail).
    Missing,
    /// Stored bytes cannot be decoded, or a record sits where none may be.
    Corrupt,
    /// The chain head does not match the last record.
    HeadMismatch,
}

/// The first break verify found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    /// Kind of break.
    pub kind: BreakKind,
    /// Sequence number where the chain breaks.
    pub seq: u64,
    /// Id of the record at `seq`, when known.
    pub id: Option<String>,
    /// Human-readable detail.
    pub detail: String,
}

/// Result of a verification walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// True when no break was found.
    pub intact: bool,
    /// Records whose hash and link were checked.
    pub checked: u64,
    /// First seq checked.
    pub first_seq: Option<u64>,
    /// Last seq checked.
    pub last_seq: Option<u64>,
    /// Retention anchor the walk started from.
    pub anchor: Option<ChainPoint>,
    /// Chain head the walk ended at (record it elsewhere for external anchoring).
    pub head: Option<ChainPoint>,
    /// The first break, if any.
    pub first_break: Option<ChainBreak>,
}

fn point(p: Option<(u64, Hash)>) -> Option<ChainPoint> {
    p.map(|(seq, h)| ChainPoint {
        seq,
        hash: hex::encode(h),
    })
}

fn read_point(tree: &sled::Tree, key: &[u8]) -> Result<Option<(u64, Hash)>, StoreError> {
    tree.get(key)?.map(|v| layout::decode_point(&v)).transpose()
}

fn id_of(canonical: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_slice::<IdOnly>(canonical)
        .ok()
        .map(|r| r.id)
}

impl AuditStore {
    /// Walks the chain and reports records checked and the first break.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let _guard = self
            .shared
            .maintenance
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let tree = &self.shared.tree;
        let anchor = read_point(tree, layout::K_ANCHOR)?;
        let head = read_point(tree, layout::K_HEAD)?;
        let (mut expected, mut prev) = match anchor {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS),
        };
        let start = expected;
        let limit = head.map(|(s, _)| s).unwrap_or(0);
        let mut report = VerifyReport {
            intact: true,
            checked: 0,
            first_seq: None,
            last_seq: None,
            anchor: point(anchor),
            head: point(head),
            first_break: None,
        };
        let mut brk: Option<ChainBreak> = None;
        // A record below the anchor should have been purged with it.
        if let Some((k, v)) = tree
            .range(layout::record_key(0)..layout::record_key(start))
            .next()
            .transpose()?
        {
            brk = Some(ChainBreak {
                kind: BreakKind::Corrupt,
                seq: layout::seq_from_record_key(&k).unwrap_or(0),
                id: layout::entry_ranges(&v)
                    .ok()
                    .and_then(|r| v.get(r.first()?.clone()))
                    .and_then(|b| layout::decode_entry(b).ok())
                    .and_then(|e| id_of(e.canonical)),
                detail: format!("record at or below the retention anchor (next expected {start})"),
            });
        }
        // Point lookups, not a range scan: keeps sled's page cache bounded on big stores.
        let mut seq = start;
        let mut cursor = layout::Cursor::default();
        while brk.is_none() && seq <= limit {
            let found = match cursor.entry(tree, seq) {
                Ok(found) => found,
                Err(StoreError::Corrupt(detail)) => {
                    brk = Some(ChainBreak {
                        kind: BreakKind::Corrupt,
                        seq,
                        id: self.id_for_seq(seq)?,
                        detail,
                    });
                    break;
                }
                Err(e) => return Err(e),
            };
            let Some(v) = found else {
                let next = tree
                    .range(layout::record_key(seq)..layout::record_key(limit.saturating_add(1)))
                    .next()
                    .transpose()?
                    .and_then(|(k, _)| layout::seq_from_record_key(&k));
                brk = Some(ChainBreak {
                    kind: BreakKind::Missing,
                    seq,
                    id: self.id_for_seq(seq)?,
                    detail: match next {
                        Some(n) => format!("record {seq} is missing (next present is {n})"),
                        None => {
                            format!("records {seq}..={limit} are missing (chain head is {limit})")
                        }
                    },
                });
                break;
            };
            let entry = match layout::decode_entry(v) {
                Ok(e) => e,
                Err(e) => {
                    brk = Some(ChainBreak {
                        kind: BreakKind::Corrupt,
                        seq,
                        id: self.id_for_seq(seq)?,
                        detail: e.to_string(),
                    });
                    break;
                }
            };
            let id = || id_of(entry.canonical);
            if entry.seq != seq {
                brk = Some(ChainBreak {
                    kind: BreakKind::Altered,
                    seq,
                    id: id(),
                    detail: format!("stored seq {} under key {seq}", entry.seq),
                });
                break;
            }
            if entry.prev != prev {
                brk = Some(ChainBreak {
                    kind: BreakKind::BrokenLink,
                    seq,
                    id: id(),
                    detail: format!(
                        "prev_hash {} does not equal the previous record's hash {}",
                        hex::encode(entry.prev),
                        hex::encode(prev)
                    ),
                });
                break;
            }
            let computed = layout::chain_hash(&entry.prev, seq, entry.canonical);
            if computed != entry.hash {
                brk = Some(ChainBreak {
                    kind: BreakKind::Altered,
                    seq,
                    id: id(),
                    detail: format!(
                        "content hashes to {} but {} is stored",
                        hex::encode(computed),
                        hex::encode(entry.hash)
                    ),
                });
                break;
            }
            if report.first_seq.is_none() {
                report.first_seq = Some(seq);
            }
            report.last_seq = Some(seq);
            report.checked += 1;
            prev = entry.hash;
            expected = seq + 1;
            seq += 1;
        }
        if brk.is_none() {
            let last = expected - 1;
            match head {
                Some((hs, _)) if last < hs => {
                    brk = Some(ChainBreak {
                        kind: BreakKind::Missing,
                        seq: expected,
                        id: self.id_for_seq(expected)?,
                        detail: format!(
                            "records {expected}..={hs} are missing (chain head is {hs})"
                        ),
                    });
                }
                Some((hs, hh)) if hh != prev => {
                    brk = Some(ChainBreak {
                        kind: BreakKind::HeadMismatch,
                        seq: hs,
                        id: None,
                        detail: "last record's hash differs from the chain head".into(),
                    });
                }
                _ => {
                    // A record beyond the head while no write happened meanwhile was inserted
                    // (or the head was removed: then every record lies beyond it).
                    // An entry added to the last block lies beyond it too.
                    let beyond = limit.saturating_add(1);
                    let after = tree
                        .range(layout::record_key(beyond)..layout::record_key(u64::MAX))
                        .next()
                        .transpose()?
                        .map(|(k, _)| layout::seq_from_record_key(&k).unwrap_or(0))
                        .or(layout::locate(tree, beyond)?.map(|_| beyond));
                    if let Some(at) = after {
                        if read_point(tree, layout::K_HEAD)? == head {
                            brk = Some(ChainBreak {
                                kind: BreakKind::Corrupt,
                                seq: at,
                                id: None,
                                detail: "record beyond the chain head".into(),
                            });
                        }
                    }
                }
            }
        }
        report.intact = brk.is_none();
        report.first_break = brk;
        Ok(report)
    }

    /// Id of the record that had `seq`, from the id index (a scan; only used on a break).
    fn id_for_seq(&self, seq: u64) -> Result<Option<String>, StoreError> {
        let want = seq.to_be_bytes();
        for kv in self.shared.tree.scan_prefix([layout::P_ID]) {
            let (k, v) = kv?;
            if v.as_ref() == want {
                return Ok(k
                    .get(1..)
                    .map(|id| String::from_utf8_lossy(id).into_owned()));
            }
        }
        Ok(None)
    }

    /// Removes records older than `cutoff`, oldest first, updating the anchor; returns how many.
    pub fn purge_before(&self, cutoff: OffsetDateTime) -> Result<usize, StoreError> {
        let _guard = self
            .shared
            .maintenance
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let shared = &self.shared;
        let tree = &shared.tree;
        let (first, last_seq) = shared.chain_bounds()?;
        let mut seq = first;
        let mut purged = 0usize;
        loop {
            let mut batch = sled::Batch::default();
            let mut terms: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut n = 0usize;
            let mut last: Option<(u64, Hash)> = None;
            let mut reached_live = false;
            // The stored value holding `seq`: records are removed a whole value at a time.
            let mut current: Option<layout::Located> = None;
            while seq <= last_seq && n < PURGE_CHUNK {
                if current.as_ref().is_none_or(|b| b.entry(seq).is_none()) {
                    if let Some(done) = current.take() {
                        // Moved past it: every record it held is purged.
                        batch.remove(&layout::record_key(done.first)[..]);
                    }
                    current = layout::locate(tree, seq)?;
                }
                let Some(v) = current.as_ref().and_then(|b| b.entry(seq)) else {
                    return Err(StoreError::Corrupt(format!(
                        "record {seq} is missing; purge stopped (run `mamori logs verify`)"
                    )));
                };
                let entry = layout::decode_entry(v)?;
                let rec: AuditRecord = serde_json::from_slice(entry.canonical).map_err(|e| {
                    StoreError::Corrupt(format!("record {seq}: {e}; purge stopped"))
                })?;
                if rec.time >= cutoff {
                    reached_live = true;
                    break;
                }
                let idk = layout::id_key(&rec.id);
                if tree.get(&idk)?.as_deref() == Some(&seq.to_be_bytes()[..]) {
                    batch.remove(idk);
                    batch.remove(layout::feedback_key(&rec.id));
                }
                terms.extend(
                    layout::index_terms(&rec)
                        .into_iter()
                        .filter_map(|(tag, value)| layout::index_prefix(tag, value)),
                );
                last = Some((seq, entry.hash));
                n += 1;
                seq += 1;
            }
            let Some((s, h)) = last else { break };
            if let Some(b) = current.filter(|b| s >= b.first) {
                batch.remove(&layout::record_key(b.first)[..]);
                if s < b.last() {
                    // The cut falls inside this value: what remains is stored again under
                    // its new first seq, so every key still names the seq it starts at.
                    let rest = (s + 1..=b.last())
                        .filter_map(|q| b.entry(q).map(<[u8]>::to_vec))
                        .collect();
                    batch.insert(
                        &layout::record_key(s + 1)[..],
                        layout::encode_records(rest)?,
                    );
                }
            }
            trim_postings(tree, &terms, s, &mut batch)?;
            batch.insert(layout::K_ANCHOR, &layout::encode_point(s, &h)[..]);
            let r = shared
                .check_fault()
                .and_then(|()| Ok(tree.apply_batch(batch)?));
            if let Err(e) = r {
                shared.note_failure(&e);
                return Err(e);
            }
            purged += n;
            if reached_live || seq > last_seq {
                break;
            }
        }
        if purged > 0 {
            if let Err(e) = shared.db.flush() {
                let e = StoreError::from(e);
                shared.note_failure(&e);
                return Err(e);
            }
            tracing::info!(purged, cutoff = %cutoff, "audit retention purge");
        }
        Ok(purged)
    }
}

/// Adds to `batch` what removes seqs up to `upto` from the posting lists of `terms`:
/// lists wholly at or below `upto` go; a list that straddles it is re-keyed by its first
/// remaining seq.
fn trim_postings(
    tree: &sled::Tree,
    terms: &BTreeSet<Vec<u8>>,
    upto: u64,
    batch: &mut sled::Batch,
) -> Result<(), StoreError> {
    for prefix in terms {
        let from = layout::posting_key(prefix, 0);
        let to = layout::posting_key(prefix, upto.saturating_add(1));
        for kv in tree.range(from..to) {
            let (k, v) = kv?;
            let seqs = layout::decode_postings(&v)?;
            batch.remove(k);
            let keep: Vec<u64> = seqs.into_iter().filter(|&q| q > upto).collect();
            if let Some(&first) = keep.first() {
                batch.insert(
                    layout::posting_key(prefix, first),
                    layout::encode_postings(&keep),
                );
            }
        }
    }
    Ok(())
}

/// Brings the search index to the current format. Stores written before posting lists
/// hold one index key per record and term; those are dropped and the lists rebuilt from
/// the records (the chained bytes are not touched). Runs once, on open.
pub(crate) fn upgrade_index(tree: &sled::Tree, db: &sled::Db) -> Result<(), StoreError> {
    if tree.get(layout::K_INDEX_FORMAT)?.as_deref() == Some(&[layout::INDEX_FORMAT][..]) {
        return Ok(());
    }
    let head = read_point(tree, layout::K_HEAD)?.map_or(0, |(s, _)| s);
    let first = read_point(tree, layout::K_ANCHOR)?.map_or(1, |(s, _)| s + 1);
    if head >= first {
        tracing::warn!(
            records = head + 1 - first,
            "audit store: rebuilding the search index in the posting-list format (once)"
        );
    }
    // Old keys go in bounded batches: a large store has millions of them.
    loop {
        let mut batch = sled::Batch::default();
        let mut n = 0usize;
        for kv in tree.scan_prefix([layout::P_INDEX]).take(UPGRADE_CHUNK) {
            batch.remove(kv?.0);
            n += 1;
        }
        if n == 0 {
            break;
        }
        tree.apply_batch(batch)?;
    }
    let mut seq = first;
    while seq <= head {
        let mut postings = layout::Postings::default();
        let end = head.min(seq.saturating_add(PURGE_CHUNK as u64 - 1));
        let mut cursor = layout::Cursor::default();
        for s in seq..=end {
            // A missing or unreadable record is verify's to report; it just stays unindexed.
            let Ok(Some(v)) = cursor.entry(tree, s) else {
                continue;
            };
            let Ok(entry) = layout::decode_entry(v) else {
                continue;
            };
            if let Ok(rec) = serde_json::from_slice::<AuditRecord>(entry.canonical) {
                postings.add(&rec, s);
            }
        }
        let mut batch = sled::Batch::default();
        for (k, v) in postings.into_entries() {
            batch.insert(k, v);
        }
        tree.apply_batch(batch)?;
        seq = end + 1;
    }
    tree.insert(layout::K_INDEX_FORMAT, &[layout::INDEX_FORMAT][..])?;
    db.flush()?;
    Ok(())
}

/// Runs retention every `every` until `shutdown`: purges records older than
/// `retention_days` (from the store's config; returns at once when unset).
pub async fn run_retention(store: AuditStore, every: Duration, shutdown: impl Future<Output = ()>) {
    let Some(days) = store.shared.cfg.retention_days else {
        return;
    };
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => break,
            _ = tick.tick() => {
                let cutoff = OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
                let s = store.clone();
                match tokio::task::spawn_blocking(move || s.purge_before(cutoff)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "audit retention purge failed"),
                    Err(e) => tracing::error!(error = %e, "audit retention task failed"),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::store::{Durability, Filter, FindingSummary, StoreConfig, Verdict};
    use time::macros::datetime;

    fn rec(i: usize) -> AuditRecord {
        AuditRecord {
            id: format!("01TEST{i:020}"),
            time: datetime!(2026-11-01 00:00 UTC) + time::Duration::minutes(i as i64),
            user: ["alice", "bob", "carol"][i % 3].into(),
            department: "総務課".into(),
            plan: None,
            route: "openai.chat".into(),
            model: "gpt-4o-mini".into(),
            provider: "mock".into(),
            upstream_status: Some(200),
            latency_ms: 1.0,
            upstream_ms: None,
            usage: None,
            verdict: if i % 4 == 0 {
                Verdict::Masked
            } else {
                Verdict::Allowed
            },
            findings: if i % 4 == 0 {
                vec![FindingSummary {
                    kind: "phone_jp".into(),
                    count: 1,
                    action: "mask".into(),
                    direction: "request".into(),
                }]
            } else {
                vec![]
            },
            prompt: None,
            output: None,
            notice_applied: false,
            stream: false,
            client_ip: None,
            user_agent: None,
            status: Some(200),
            error: None,
        }
    }

    /// Writes `n` records in batches of `per_batch` through the real batch writer path.
    fn store_with(dir: &std::path::Path, n: usize, per_batch: usize) -> AuditStore {
        let cfg = StoreConfig {
            durability: Durability::Batched { max_delay_ms: 1 },
            ..StoreConfig::default()
        };
        let (store, _writer) = AuditStore::open(dir, cfg).unwrap();
        let (mut next, mut prev) =
            super::super::writer::load_chain_tail(&store.shared.tree).unwrap();
        let recs: Vec<AuditRecord> = (0..n).map(rec).collect();
        for chunk in recs.chunks(per_batch) {
            let jobs: Vec<crate::store::Job> = chunk
                .iter()
                .map(|r| crate::store::Job {
                    canonical: layout::canonical_bytes(r).unwrap(),
                    rec: r.clone(),
                    reply: None,
                    retry: true,
                })
                .collect();
            let points =
                super::super::writer::write_batch_for_test(&store.shared, &jobs, next, prev);
            let &(s, h) = points.last().unwrap();
            next = s + 1;
            prev = h;
        }
        store
    }

    fn users(store: &AuditStore, user: &str, limit: usize) -> Vec<u64> {
        let filter = Filter {
            user: Some(user.into()),
            ..Filter::default()
        };
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store.search(&filter, cursor.as_deref(), limit).unwrap();
            out.extend(page.records.iter().map(|r| r.seq));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    #[test]
    fn posting_lists_serve_pages_and_survive_a_straddling_purge() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 40, 16);
        // Batches of 16 hold several alice records each: one list per batch, not per record.
        let lists = store
            .shared
            .tree
            .scan_prefix(layout::index_prefix(layout::T_USER, "alice").unwrap())
            .count();
        assert_eq!(lists, 3);
        let alice: Vec<u64> = (1..=40).rev().filter(|s| (s - 1) % 3 == 0).collect();
        assert_eq!(users(&store, "alice", 4), alice);
        assert_eq!(users(&store, "alice", 1000), alice);
        let phones = store
            .search(
                &Filter {
                    detector: Some("phone_jp".into()),
                    ..Filter::default()
                },
                None,
                1000,
            )
            .unwrap();
        assert_eq!(phones.records.len(), 10);

        // Purge the first 20 records: the second list (seqs 17..32) straddles the cut.
        let cutoff = datetime!(2026-11-01 00:20 UTC);
        assert_eq!(store.purge_before(cutoff).unwrap(), 20);
        let kept: Vec<u64> = alice.iter().copied().filter(|&s| s > 20).collect();
        assert_eq!(users(&store, "alice", 3), kept);
        let firsts: Vec<u64> = store
            .shared
            .tree
            .scan_prefix(layout::index_prefix(layout::T_USER, "alice").unwrap())
            .map(|kv| {
                let (k, _) = kv.unwrap();
                u64::from_be_bytes(k[k.len() - 8..].try_into().unwrap())
            })
            .collect();
        assert_eq!(firsts, vec![22, 34], "re-keyed by the first remaining seq");
        assert!(store.verify().unwrap().intact);
    }

    #[test]
    fn an_old_per_record_index_is_rebuilt_on_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = store_with(dir.path(), 12, 5);
            let tree = &store.shared.tree;
            // Turn the store into the pre-posting-list layout: one empty-valued key per term.
            for kv in tree.scan_prefix([layout::P_INDEX]) {
                tree.remove(kv.unwrap().0).unwrap();
            }
            for i in 0..12u64 {
                let r = rec(i as usize);
                for (tag, value) in layout::index_terms(&r) {
                    let prefix = layout::index_prefix(tag, value).unwrap();
                    tree.insert(layout::posting_key(&prefix, i + 1), &[][..])
                        .unwrap();
                }
            }
            tree.remove(layout::K_INDEX_FORMAT).unwrap();
            store.shared.db.flush().unwrap();
        }
        let (store, _writer) = AuditStore::open(dir.path(), StoreConfig::default()).unwrap();
        assert_eq!(users(&store, "bob", 2), vec![11, 8, 5, 2]);
        let masked = store
            .search(
                &Filter {
                    verdict: Some(Verdict::Masked),
                    ..Filter::default()
                },
                None,
                100,
            )
            .unwrap();
        assert_eq!(masked.records.len(), 3);
        assert_eq!(
            store
                .shared
                .tree
                .get(layout::K_INDEX_FORMAT)
                .unwrap()
                .as_deref(),
            Some(&[layout::INDEX_FORMAT][..])
        );
    }

    fn record_firsts(store: &AuditStore) -> Vec<u64> {
        store
            .shared
            .tree
            .scan_prefix([layout::P_RECORD])
            .map(|kv| layout::seq_from_record_key(&kv.unwrap().0).unwrap())
            .collect()
    }

    #[test]
    fn a_batch_is_stored_in_blocks_that_reads_purge_and_verify_see_through() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 150, 150);
        assert_eq!(
            record_firsts(&store),
            vec![1, 65, 129],
            "blocks of at most 64"
        );
        for i in [0usize, 63, 64, 100, 149] {
            let got = store.get(&rec(i).id).unwrap().unwrap();
            assert_eq!(got.seq, i as u64 + 1);
            assert_eq!(got.record, rec(i));
        }
        let report = store.verify().unwrap();
        assert!(report.intact && report.checked == 150, "{report:?}");
        let all = store.search(&Filter::default(), None, 1000).unwrap();
        let seqs: Vec<u64> = all.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=150).rev().collect::<Vec<u64>>());
        assert_eq!(users(&store, "carol", 7).len(), 50);

        // The cut falls inside the second block: its rest is stored again under 101.
        assert_eq!(
            store.purge_before(datetime!(2026-11-01 01:40 UTC)).unwrap(),
            100
        );
        assert_eq!(record_firsts(&store), vec![101, 129]);
        assert!(store.get(&rec(99).id).unwrap().is_none());
        assert_eq!(store.get(&rec(100).id).unwrap().unwrap().seq, 101);
        let report = store.verify().unwrap();
        assert!(report.intact && report.checked == 50, "{report:?}");
        let (next, _) = super::super::writer::load_chain_tail(&store.shared.tree).unwrap();
        assert_eq!(next, 151);
    }

    #[test]
    fn tampering_inside_a_block_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 20, 20);
        let tree = &store.shared.tree;
        let key = layout::record_key(1);
        let block = tree.get(key).unwrap().unwrap().to_vec();

        // One byte of record 7's JSON.
        let mut altered = block.clone();
        let r7 = layout::entry_ranges(&block).unwrap()[6].clone();
        let at = r7.start + layout::HEADER_LEN + 10;
        altered[at] ^= 1;
        tree.insert(key, altered).unwrap();
        let b = store.verify().unwrap().first_break.unwrap();
        assert_eq!((b.kind, b.seq), (BreakKind::Altered, 7));

        // A record slipped into the block after the head.
        let ranges = layout::entry_ranges(&block).unwrap();
        let mut entries: Vec<Vec<u8>> = ranges.iter().map(|r| block[r.clone()].to_vec()).collect();
        let last = layout::decode_entry(entries.last().unwrap()).unwrap();
        let extra = layout::chain_hash(&last.hash, 21, b"{}");
        entries.push(layout::encode_entry(21, &last.hash, &extra, b"{}"));
        tree.insert(key, layout::encode_records(entries).unwrap())
            .unwrap();
        let b = store.verify().unwrap().first_break.unwrap();
        assert_eq!((b.kind, b.seq), (BreakKind::Corrupt, 21), "{b:?}");

        // A block cut short.
        tree.insert(key, &block[..block.len() - 5]).unwrap();
        let b = store.verify().unwrap().first_break.unwrap();
        assert_eq!((b.kind, b.seq), (BreakKind::Corrupt, 1), "{b:?}");

        // Intact again once restored.
        tree.insert(key, block).unwrap();
        assert!(store.verify().unwrap().intact);
    }
}
