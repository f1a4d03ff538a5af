//! Chain verification and retention purge.
//!
//! Verify walks records in seq order from the anchor (or seq 1 and the zero
//! hash), checking for each: the key's seq equals the expected next seq
//! (otherwise a record is missing), the stored seq matches the key, the stored
//! prev_hash equals the previous record's hash (link), and the recomputed hash
//! equals the stored one (content). Finally the last record must equal the
//! chain head, so a truncated tail is reported as missing.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::layout::{self, Hash, GENESIS};
use super::record::AuditRecord;
use super::{AuditStore, StoreError};

/// Records purged per atomic batch.
const PURGE_CHUNK: usize = 1000;

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
                id: layout::decode_entry(&v)
                    .ok()
                    .and_then(|e| id_of(e.canonical)),
                detail: format!("record at or below the retention anchor (next expected {start})"),
            });
        }
        // Point lookups, not a range scan: keeps sled's page cache bounded on big stores.
        let mut seq = start;
        while brk.is_none() && seq <= limit {
            let Some(v) = tree.get(layout::record_key(seq))? else {
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
            let entry = match layout::decode_entry(&v) {
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
                    let after = tree
                        .range(
                            layout::record_key(limit.saturating_add(1))
                                ..layout::record_key(u64::MAX),
                        )
                        .next()
                        .transpose()?;
                    if let Some((k, _)) = after {
                        if read_point(tree, layout::K_HEAD)? == head {
                            brk = Some(ChainBreak {
                                kind: BreakKind::Corrupt,
                                seq: layout::seq_from_record_key(&k).unwrap_or(0),
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
            let mut n = 0usize;
            let mut last: Option<(u64, Hash)> = None;
            let mut reached_live = false;
            while seq <= last_seq && n < PURGE_CHUNK {
                let key = layout::record_key(seq);
                let Some(v) = tree.get(key)? else {
                    return Err(StoreError::Corrupt(format!(
                        "record {seq} is missing; purge stopped (run `mamori logs verify`)"
                    )));
                };
                let entry = layout::decode_entry(&v)?;
                let rec: AuditRecord = serde_json::from_slice(entry.canonical).map_err(|e| {
                    StoreError::Corrupt(format!("record {seq}: {e}; purge stopped"))
                })?;
                if rec.time >= cutoff {
                    reached_live = true;
                    break;
                }
                batch.remove(&key[..]);
                let idk = layout::id_key(&rec.id);
                if tree.get(&idk)?.as_deref() == Some(&seq.to_be_bytes()[..]) {
                    batch.remove(idk);
                    batch.remove(layout::feedback_key(&rec.id));
                }
                for ik in layout::index_keys(&rec, seq) {
                    batch.remove(ik);
                }
                last = Some((seq, entry.hash));
                n += 1;
                seq += 1;
            }
            let Some((s, h)) = last else { break };
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
