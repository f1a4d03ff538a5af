//! The tamper-evident audit log, embedded in sled.
//!
//! # Write path
//! [`AuditStore::append`] serialises the record to its canonical bytes on the
//! caller's task and sends it over a **bounded** queue to the single
//! [`AuditWriter`] task. The writer takes everything queued (up to
//! `max_batch`), assigns consecutive sequence numbers, computes the hash chain
//! and applies one atomic sled batch (records, id index, search indexes and the
//! chain head together), then flushes (fsync). With [`Durability::Strict`]
//! (default) `append` resolves only after the flush that contains the record:
//! while one flush runs, new records queue up and the next flush serves all of
//! them (group commit). With [`Durability::Batched`] `append` resolves once the
//! record is queued and the writer flushes at most every `max_delay_ms`.
//!
//! # Failure (fail closed)
//! A failed batch marks the store unhealthy ([`AuditStore::health`]), bumps
//! [`AuditStore::write_errors`], and in strict mode every `append` in the batch
//! gets the error (the gateway answers 503). In batched mode the writer keeps
//! the failed batch and retries it with back-off, and `append` refuses new
//! records while unhealthy, so an accepted record is never dropped silently.
//! While unhealthy the writer also probes the disk with a flush every few
//! hundred milliseconds, so health recovers without traffic. Faults can be
//! injected with [`AuditStore::inject_write_failure`].
//!
//! # Chain format
//! Record `seq` (1-based, contiguous) is the entry
//! `version(1)=1 ‖ seq(8) ‖ prev_hash(32) ‖ hash(32) ‖ canonical`. A write batch
//! stores its entries in blocks of up to 64 under key `r` + the block's first
//! seq (u64 big-endian): a lone entry as it is (as every record was stored
//! before blocks), several as `2 ‖ (length u32 BE ‖ entry)*`. One key per block
//! instead of per record is what makes group commit cheap in sled; a purge
//! that cuts a block stores its rest again under the new first seq. Here
//! `canonical` is the record as compact JSON (serde_json, fields in
//! declaration order of [`AuditRecord`], `null` for absent options, times in
//! RFC 3339 UTC) and
//! `hash = SHA-256(prev_hash ‖ seq as u64 big-endian ‖ canonical)`.
//! The first record's `prev_hash` is 32 zero bytes. Verification hashes the
//! stored bytes, never a re-serialisation, so adding fields later does not
//! break old records. A chain head (`mhead`: last seq and hash) is written in
//! the same atomic batch, so truncating the tail is detected too.
//!
//! # Retention
//! [`AuditStore::purge_before`] removes expired records oldest first, in
//! atomic batches that also write the anchor (`manchor`: last purged seq and
//! hash). Verification starts from the anchor, so the remaining chain stays
//! verifiable. Purge stops at the first record that is not yet expired, so a
//! record whose timestamp is older than a later one's may outlive the cutoff
//! by that skew (seconds in practice).
//!
//! # What the chain does and does not prove
//! Anyone who edits, deletes or reorders records without recomputing every
//! later hash is detected. Someone with write access to the data directory can
//! rewrite the whole chain; to catch that, record the head hash printed by
//! `mamori logs verify` somewhere else from time to time (external anchoring).
//!
//! # Feedback and consent
//! Stored in the same tree under their own prefixes (`f` + id, `c` + subject),
//! never inside the chained bytes, and flushed before the call returns.

mod chain;
mod error;
mod layout;
mod query;
mod record;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};
use tokio::sync::{mpsc, oneshot};

pub use chain::{run_retention, BreakKind, ChainBreak, ChainPoint, VerifyReport};
pub use error::StoreError;
pub use query::{
    csv_cell, ExportFormat, FeedbackSummary, Filter, Page, Stats, TokenTotals, UTF8_BOM,
};
pub use record::{
    AuditRecord, Consent, Feedback, FindingSummary, Rating, StoredRecord, Usage, Verdict,
};
pub use writer::AuditWriter;

/// When `append` resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// After the record is flushed to disk (group commit). Default.
    #[default]
    Strict,
    /// Once queued; the writer flushes at most every `max_delay_ms`.
    Batched {
        /// Longest time a queued record waits before its batch is written and flushed.
        max_delay_ms: u64,
    },
}

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// When `append` resolves.
    pub durability: Durability,
    /// Capacity of the bounded queue between `append` and the writer.
    pub queue_capacity: usize,
    /// Most records in one sled batch.
    pub max_batch: usize,
    /// How long `append` waits for room in a full queue before failing with `QueueFull`.
    pub enqueue_timeout: Duration,
    /// Records older than this many days are purged by [`run_retention`]; `None` keeps all.
    pub retention_days: Option<u32>,
    /// sled page cache size in bytes (bounds the store's memory).
    pub cache_capacity_bytes: u64,
    /// Create the store when it does not exist (the CLI sets this to false).
    pub create_if_missing: bool,
    /// Offset used to cut days in [`Stats::by_day`] (e.g. +09:00 for JST).
    pub stats_utc_offset: UtcOffset,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            durability: Durability::Strict,
            queue_capacity: 8192,
            max_batch: 1024,
            enqueue_timeout: Duration::from_secs(5),
            retention_days: None,
            cache_capacity_bytes: 32 * 1024 * 1024,
            create_if_missing: true,
            stats_utc_offset: UtcOffset::UTC,
        }
    }
}

/// What `append` hands back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppendReceipt {
    /// The record id.
    pub id: String,
    /// Sequence number (strict mode only; unknown when merely queued).
    pub seq: Option<u64>,
    /// Hex chain hash (strict mode only).
    pub hash: Option<String>,
    /// True when the record was on disk before `append` resolved.
    pub durable: bool,
}

/// Health of the write path, for /readyz and logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreHealth {
    /// False after a failed write until a write or probe succeeds.
    pub healthy: bool,
    /// Text of the most recent write error.
    pub last_error: Option<String>,
    /// When the most recent write error happened.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_error_at: Option<OffsetDateTime>,
    /// Records waiting in the queue.
    pub queue_depth: usize,
    /// Failed write attempts since start.
    pub write_errors: u64,
}

/// One queued append.
pub(crate) struct Job {
    pub(crate) rec: AuditRecord,
    pub(crate) canonical: Vec<u8>,
    pub(crate) reply: Option<oneshot::Sender<Result<AppendReceipt, StoreError>>>,
    /// Keep retrying after a failed write even though the caller was told (released answers).
    pub(crate) retry: bool,
}

/// State shared by handles and the writer.
pub(crate) struct Shared {
    pub(crate) db: sled::Db,
    pub(crate) tree: sled::Tree,
    pub(crate) cfg: StoreConfig,
    pub(crate) path: PathBuf,
    healthy: AtomicBool,
    last_error: Mutex<Option<(String, OffsetDateTime)>>,
    write_errors: AtomicU64,
    fault: AtomicBool,
    /// Serialises purge and verify (verify must not see a half-purged prefix).
    pub(crate) maintenance: Mutex<()>,
}

impl Shared {
    /// Fails with `Injected` when a fault is injected.
    pub(crate) fn check_fault(&self) -> Result<(), StoreError> {
        if self.fault.load(Ordering::SeqCst) {
            Err(StoreError::Injected)
        } else {
            Ok(())
        }
    }

    /// Records a write failure: unhealthy, counted, logged.
    pub(crate) fn note_failure(&self, e: &StoreError) {
        self.write_errors.fetch_add(1, Ordering::Relaxed);
        let was_healthy = self.healthy.swap(false, Ordering::SeqCst);
        let mut g = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        *g = Some((e.to_string(), OffsetDateTime::now_utc()));
        if was_healthy {
            tracing::error!(error = %e, path = %self.path.display(), "audit store write failed; failing closed");
        }
    }

    /// Records a successful write: healthy again.
    pub(crate) fn note_success(&self) {
        if !self.healthy.swap(true, Ordering::SeqCst) {
            tracing::warn!(path = %self.path.display(), "audit store writes succeed again");
        }
    }

    /// Inclusive seq range currently stored: (anchor + 1 or 1, head or 0).
    pub(crate) fn chain_bounds(&self) -> Result<(u64, u64), StoreError> {
        let point = |k: &[u8]| -> Result<Option<u64>, StoreError> {
            self.tree
                .get(k)?
                .map(|v| layout::decode_point(&v).map(|(s, _)| s))
                .transpose()
        };
        let first = point(layout::K_ANCHOR)?.map_or(1, |s| s + 1);
        let last = point(layout::K_HEAD)?.unwrap_or(0);
        Ok((first, last))
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    fn last_error_text(&self) -> String {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| "earlier write failed".into())
    }

    /// Writes one key and flushes, with fault injection and health tracking.
    fn durable_insert(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StoreError> {
        let r = self.check_fault().and_then(|()| {
            self.tree.insert(key, value)?;
            self.db.flush()?;
            Ok(())
        });
        match &r {
            Ok(()) => self.note_success(),
            Err(e) => self.note_failure(e),
        }
        r
    }
}

/// Cloneable, thread-safe handle to the audit store.
#[derive(Clone)]
pub struct AuditStore {
    pub(crate) shared: Arc<Shared>,
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for AuditStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditStore")
            .field("path", &self.shared.path)
            .field("durability", &self.shared.cfg.durability)
            .finish()
    }
}

/// The sled directory used under a data dir.
pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

impl AuditStore {
    /// Opens (or creates) the store under `dir/audit`; spawn `AuditWriter::run` to accept appends.
    pub fn open(dir: &Path, cfg: StoreConfig) -> Result<(AuditStore, AuditWriter), StoreError> {
        let path = store_path(dir);
        let path_text = path.display().to_string();
        if !cfg.create_if_missing && !path.join("conf").exists() {
            return Err(StoreError::NotFoundStore { path: path_text });
        }
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(cfg.cache_capacity_bytes)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io) if io.to_string().contains("could not acquire lock") => {
                    StoreError::Locked {
                        path: path_text.clone(),
                    }
                }
                other => StoreError::from(other),
            })?;
        let tree = db.open_tree(layout::TREE)?;
        chain::upgrade_index(&tree, &db)?;
        let (next_seq, last_hash) = writer::load_chain_tail(&tree)?;
        let (tx, rx) = mpsc::channel(cfg.queue_capacity.max(1));
        let shared = Arc::new(Shared {
            db,
            tree,
            cfg,
            path,
            healthy: AtomicBool::new(true),
            last_error: Mutex::new(None),
            write_errors: AtomicU64::new(0),
            fault: AtomicBool::new(false),
            maintenance: Mutex::new(()),
        });
        let writer = AuditWriter::new(shared.clone(), rx, next_seq, last_hash);
        Ok((AuditStore { shared, tx }, writer))
    }

    /// Appends a record; see [`Durability`] for when it resolves. Errors mean "not logged": fail closed.
    pub async fn append(&self, rec: AuditRecord) -> Result<AppendReceipt, StoreError> {
        self.submit(rec, false).await
    }

    /// Appends the record of an answer that was already released (a finished stream).
    /// It resolves as [`AuditStore::append`] does, but refusing or dropping the record
    /// would only lose it: it is queued even while the store is unhealthy, and when its
    /// write fails the caller gets the error while the writer keeps the record and retries
    /// it until it is written. Only a full queue (after `enqueue_timeout`) or a closed
    /// store loses it, and that is the error returned.
    pub async fn append_released(&self, rec: AuditRecord) -> Result<(), StoreError> {
        self.submit(rec, true).await.map(|_| ())
    }

    /// Queues `rec`. Strict mode waits for its flush; batched mode returns once queued and
    /// refuses new records while unhealthy, unless the answer was already `released`.
    async fn submit(
        &self,
        mut rec: AuditRecord,
        released: bool,
    ) -> Result<AppendReceipt, StoreError> {
        if rec.id.is_empty() {
            return Err(StoreError::Invalid("record id is empty".into()));
        }
        rec.time = rec.time.to_offset(UtcOffset::UTC);
        let canonical = layout::canonical_bytes(&rec)?;
        match self.shared.cfg.durability {
            Durability::Strict => {
                let (reply, rx) = oneshot::channel();
                self.enqueue(Job {
                    rec,
                    canonical,
                    reply: Some(reply),
                    retry: released,
                })
                .await?;
                rx.await.map_err(|_| StoreError::Closed)?
            }
            Durability::Batched { .. } => {
                if !released && !self.shared.is_healthy() {
                    return Err(StoreError::Unavailable(self.shared.last_error_text()));
                }
                let id = rec.id.clone();
                self.enqueue(Job {
                    rec,
                    canonical,
                    reply: None,
                    retry: true,
                })
                .await?;
                Ok(AppendReceipt {
                    id,
                    seq: None,
                    hash: None,
                    durable: false,
                })
            }
        }
    }

    async fn enqueue(&self, job: Job) -> Result<(), StoreError> {
        match self.tx.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(StoreError::Closed),
            Err(mpsc::error::TrySendError::Full(job)) => self
                .tx
                .send_timeout(job, self.shared.cfg.enqueue_timeout)
                .await
                .map_err(|e| match e {
                    mpsc::error::SendTimeoutError::Timeout(_) => StoreError::QueueFull,
                    mpsc::error::SendTimeoutError::Closed(_) => StoreError::Closed,
                }),
        }
    }

    /// Current health of the write path.
    pub fn health(&self) -> StoreHealth {
        let last = self
            .shared
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        StoreHealth {
            healthy: self.shared.is_healthy(),
            last_error: last.as_ref().map(|(t, _)| t.clone()),
            last_error_at: last.map(|(_, at)| at),
            queue_depth: self.queue_depth(),
            write_errors: self.write_errors(),
        }
    }

    /// Records waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity().saturating_sub(self.tx.capacity())
    }

    /// Failed write attempts (batches, feedback/consent writes, probes) since open.
    pub fn write_errors(&self) -> u64 {
        self.shared.write_errors.load(Ordering::Relaxed)
    }

    /// The durability mode this store was opened with.
    pub fn durability(&self) -> Durability {
        self.shared.cfg.durability
    }

    /// Test hook: while `on`, every write (record batches, feedback, consent, purge, probes)
    /// fails with [`StoreError::Injected`] before touching disk, as a full disk would.
    #[doc(hidden)]
    pub fn inject_write_failure(&self, on: bool) {
        self.shared.fault.store(on, Ordering::SeqCst);
    }

    /// Looks a record up by id (O(log n)), with its chain position and feedback.
    pub fn get(&self, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        let Some(seqv) = self.shared.tree.get(layout::id_key(id))? else {
            return Ok(None);
        };
        let seq = layout::decode_seq(&seqv)?;
        let Some(at) = layout::locate(&self.shared.tree, seq)? else {
            return Ok(None);
        };
        let Some(entry) = at.entry(seq) else {
            return Ok(None);
        };
        let mut stored = query::decode_stored(entry)?;
        stored.feedback = self.get_feedback(id)?;
        Ok(Some(stored))
    }

    /// Stores (or replaces) feedback on record `id`; durable before returning.
    pub fn put_feedback(&self, id: &str, fb: Feedback) -> Result<(), StoreError> {
        if let Rating::Score(n) = fb.rating {
            if !(1..=5).contains(&n) {
                return Err(StoreError::Invalid(format!("rating {n} out of range 1..5")));
            }
        }
        if !self.shared.tree.contains_key(layout::id_key(id))? {
            return Err(StoreError::NoSuchRecord(id.to_string()));
        }
        let bytes = serde_json::to_vec(&fb)
            .map_err(|e| StoreError::Invalid(format!("feedback not serialisable: {e}")))?;
        self.shared.durable_insert(layout::feedback_key(id), bytes)
    }

    /// Feedback on record `id`, if any.
    pub fn get_feedback(&self, id: &str) -> Result<Option<Feedback>, StoreError> {
        match self.shared.tree.get(layout::feedback_key(id))? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("feedback for {id}: {e}"))),
        }
    }

    /// Records consent for `subject` (a user, or a user+plan key); durable before returning.
    pub fn record_consent(&self, subject: &str, c: Consent) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&c)
            .map_err(|e| StoreError::Invalid(format!("consent not serialisable: {e}")))?;
        self.shared
            .durable_insert(layout::consent_key(subject), bytes)
    }

    /// The consent recorded for `subject`, if any.
    pub fn get_consent(&self, subject: &str) -> Result<Option<Consent>, StoreError> {
        match self.shared.tree.get(layout::consent_key(subject))? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("consent for {subject}: {e}"))),
        }
    }

    /// Whether `subject` has recorded consent.
    pub fn has_consent(&self, subject: &str) -> Result<bool, StoreError> {
        Ok(self
            .shared
            .tree
            .contains_key(layout::consent_key(subject))?)
    }

    /// Number of records currently stored (head − anchor; O(1), assumes an intact chain).
    pub fn len(&self) -> Result<u64, StoreError> {
        let (first, last) = self.shared.chain_bounds()?;
        Ok((last + 1).saturating_sub(first))
    }

    /// Whether no records are stored.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }
}
